"""Post pages rendered inside the Markdown worker processes (cold builds) must be exactly the
pages the main process would render, and a template that needs another post's HTML must still
get it (such a page is left to the main process)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from site_builder.assemble import assemble
from site_builder.build import _render_markdown
from site_builder.config import load_config
from site_builder.markup import POOL_THRESHOLD, render_many
from site_builder.readers.content import read_pages, read_posts
from site_builder.render import PagesInWorkers, render_pages
from site_builder.textutil import plain_text, truncate
from tests.conftest import REPO, write_site

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=timezone.utc)
N = POOL_THRESHOLD + 6  # enough posts for the process pool


def many_posts(root, n=N):
    files = {"config.yaml": "title: Local\nbase_url: https://example.org/sub/\nposts_per_page: 4\n"}
    for i in range(n):
        files[f"content/posts/p{i:03d}.md"] = (
            f"---\ntitle: Post {i}\ndate: 2026-03-{1 + i % 28:02d} {i % 24:02d}:00\ntags: [t{i % 3}]\n---\n"
            f"## Part {i}\n\nWords about *item {i}* and [the news](/news/).\n\n- one\n- two {i}\n")
    return write_site(root, files)


def test_pages_from_the_workers_equal_pages_from_the_main_process(tmp_path):
    config = load_config(many_posts(tmp_path / "site") / "config.yaml")
    posts, _ = read_posts(config)
    pages, _ = read_pages(config)
    site, problems = assemble(config, posts, pages, NOW)
    assert not problems
    html = render_many({p.source: p.body for p in site.posts}, config.base_path, config.raw_html)
    here = {o.path: o.data for o in render_pages(site, html)}
    hook = PagesInWorkers(site, {p.source: [p.source] for p in site.posts})
    from_workers = {}
    for post in site.posts:  # what each worker does after rendering a post's Markdown
        from_workers.update(hook(post.source, html[post.source]))
    assert len(from_workers) == len(site.posts)
    assert {path: here[path] for path in from_workers} == from_workers
    # and the build takes them: the same site as rendered without them
    with_them = {o.path: o.data for o in render_pages(site, html, prerendered=dict(from_workers))}
    assert with_them == here


def test_a_template_showing_a_neighbours_summary_still_gets_it(tmp_path, build):
    root = many_posts(tmp_path / "site")
    theme_post = (REPO / "site_builder/theme/templates/post.html").read_text()
    custom = theme_post.replace('<nav class="pager" aria-label="More news">',
                                '{% if older %}<p class="older-summary">{{ summary(older) }}</p>{% endif %}\n'
                                '<nav class="pager" aria-label="More news">')
    assert custom != theme_post
    (root / "templates").mkdir()
    (root / "templates/post.html").write_text(custom)
    assert build(root).code == 0
    config = load_config(root / "config.yaml")
    posts, _ = read_posts(config)
    by_title = {p.title: p for p in posts}
    checked = 0
    for page in (root / "output/news").glob("p*/index.html"):
        text = page.read_text()
        found = re.search(r'<p class="older-summary">(.*?)</p>', text)
        if not found:
            continue
        older_title = re.search(r'rel="next" href="[^"]+">Older: (.*?)</a>', text).group(1)
        older = by_title[older_title]
        expected = truncate(plain_text(render_many({"x": older.body}, config.base_path, config.raw_html)["x"]),
                            config.summary_length)
        assert found.group(1) == expected, page
        checked += 1
    assert checked == N - 1


def test_the_cold_build_renders_post_pages_in_the_workers(tmp_path):
    config = load_config(many_posts(tmp_path / "site") / "config.yaml")
    posts, _ = read_posts(config)
    pages, _ = read_pages(config)
    site, _ = assemble(config, posts, pages, NOW)
    _, prerendered = _render_markdown(site, None)
    assert set(prerendered) == {f"news/{p.slug}/index.html" for p in site.posts}
