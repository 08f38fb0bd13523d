"""The docs' examples build: every block marked `<!-- file: PATH -->` is written into a scratch site."""

from __future__ import annotations

import dataclasses
import re

from site_builder.config import CalendarConfig, SiteConfig, ThemeConfig
from tests.conftest import REPO

BLOCK = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\n```[a-z]*\n(?P<text>.*?)\n```", re.S)


def doc_files(name: str) -> dict[str, str]:
    return {m["path"]: m["text"] + "\n" for m in BLOCK.finditer((REPO / "docs" / name).read_text())}


def test_content_examples_build_strictly(scratch, build):
    files = doc_files("content.md")
    assert set(files) == {"content/posts/strike-vote-results.md", "content/pages/office-hours.md",
                          "content/posts/doctors-picket-repost.md", "content/posts/kaiser-update-july-8.md",
                          "content/posts/kaiser-update-july-11.md", "content/series/kaiser-national-bargaining-2019.md",
                          "content/alerts/call-your-senator.md"}
    root = scratch(files)
    run = build(root, "--strict")
    assert run.code == 0, run.err
    post = (root / "output/news/strike-vote-results/index.html").read_text()
    assert "<table>" in post and 'class="footnote"' in post and 'class="notice"' in post
    assert '<h2 id="what-happens-next">' in post
    assert (root / "output/office-hours/index.html").is_file()
    assert (root / "output/tags/healthpartners/feed.xml").is_file()
    repost = (root / "output/news/doctors-picket-repost/index.html").read_text()
    assert '<link rel="canonical" href="https://www.stpaulunionadvocate.org/2025/05/13/allina-doctors-picket/">' in repost
    assert "Originally published by" in repost and "Michael Moore" in repost
    series = (root / "output/series/kaiser-national-bargaining-2019/index.html").read_text()
    assert series.index("July 8") < series.index("July 11")
    assert "Update 2 of 2" in (root / "output/news/kaiser-update-july-11/index.html").read_text()
    assert 'href="tel:+12022243121"' in (root / "output/act/index.html").read_text()


def test_configuration_example_is_complete_and_valid(scratch, build):
    files = doc_files("configuration.md")
    root = scratch({**doc_files("content.md")}, config=files["config.yaml"])
    (root / "static/images").mkdir(parents=True)
    (root / "static/images/logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (root / "static/css").mkdir(parents=True)
    (root / "static/css/local.css").write_text("body{}")
    run = build(root, "--strict")
    assert run.code == 0, run.err
    assert 'href="/local12/css/local.css"' in (root / "output/index.html").read_text()
    documented = (REPO / "docs/configuration.md").read_text()
    keys = [f.name for f in dataclasses.fields(SiteConfig) if f.name not in ("root", "warnings", "theme", "calendar",
                                                                           "lang", "root_only")]  # (set per language by the build)
    keys += [f"theme.{f.name}" for f in dataclasses.fields(ThemeConfig)]
    keys += [f"calendar.{f.name}" for f in dataclasses.fields(CalendarConfig) if not f.metadata.get("not_a_key")]
    missing = [k for k in keys if f"`{k}`" not in documented]
    assert missing == []
