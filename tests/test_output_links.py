"""Every internal href/src of the built sample site resolves to a built file, at / and under a subpath."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from tests.support import html_files, page_url, parse_html, resolve

CASES = [("sample_output", "https://example.org/"), ("sample_output_subpath", "https://example.org/local12/")]


@pytest.mark.parametrize("fixture,base_url", CASES)
def test_every_internal_link_and_anchor_resolves(request, fixture, base_url):
    output = request.getfixturevalue(fixture)
    pages = html_files(output)
    assert len(pages) > 30
    ids = {p: parse_html(p).ids for p in pages}
    broken, checked = [], 0
    for page in pages:
        here = page_url(output, page, base_url)
        for link in parse_html(page).links:
            if link.startswith(("mailto:", "tel:", "webcal:")):
                continue
            absolute = urljoin(here, link)
            target = resolve(absolute, output, base_url)
            if target is None:
                continue
            checked += 1
            if not target.is_file():
                broken.append(f"{page.relative_to(output)}: {link} → {target.relative_to(output)} missing")
                continue
            fragment = urlsplit(absolute).fragment
            if fragment and target.suffix == ".html" and fragment not in ids.get(target, parse_html(target).ids):
                broken.append(f"{page.relative_to(output)}: {link}: no id {fragment!r} in {target.relative_to(output)}")
    assert checked > 200
    assert broken == []


def test_subpath_build_never_links_to_the_domain_root(sample_output_subpath):
    for page in html_files(sample_output_subpath):
        for link in parse_html(page).links:
            if link.startswith("/"):
                assert link.startswith("/local12/"), f"{page}: {link}"


def test_static_files_and_robots(sample_output):
    assert (sample_output / "css" / "site.css").is_file()
    robots = (sample_output / "robots.txt").read_text()
    assert "Sitemap: https://example.org/sitemap.xml" in robots
    assert (sample_output / "404.html").is_file()
