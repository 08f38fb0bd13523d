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
from site_builder.writer import MARKER, MARKER_TEXT
from tests.conftest import REPO, tree_bytes, write_site

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
    pager = '<nav class="pager" aria-label="{{ _("More news") }}">'
    custom = theme_post.replace(pager, '{% if older %}<p class="older-summary">{{ summary(older) }}</p>{% endif %}\n' + pager)
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


def test_a_cold_build_writing_pages_early_equals_a_build_that_did_not(tmp_path):
    """A cold build (no output/ yet) writes the post pages into its staging folder while it is
    still rendering (writer.EarlyWriter); the site it makes is exactly the one a build over an
    existing output/ makes, and it leaves no staging folder behind."""
    from site_builder.build import build

    root = many_posts(tmp_path / "site")
    config = load_config(root / "config.yaml")
    cold = build(config, NOW, output_dir=tmp_path / "cold", use_cache=False)
    assert cold.written == len(tree_bytes(tmp_path / "cold")) and cold.unchanged == 0
    (tmp_path / "warm").mkdir()
    (tmp_path / "warm" / "stale.html").write_text("from an older site")
    (tmp_path / "warm" / MARKER).write_bytes(MARKER_TEXT)  # (an older site of site-builder's own)
    warm = build(config, NOW, output_dir=tmp_path / "warm", use_cache=False)
    assert warm.removed == 1
    assert tree_bytes(tmp_path / "cold") == tree_bytes(tmp_path / "warm")
    assert not list(tmp_path.glob(".*.staging-*"))


def test_early_files_that_are_not_the_final_ones_are_replaced_or_removed(tmp_path):
    from site_builder.models import Output
    from site_builder.writer import EarlyWriter, write_site

    target = tmp_path / "output"
    final = [Output("index.html", b"home"), Output("news/a/index.html", b"final a"),
             Output("news/b/index.html", b"b"), Output("style.css", b"css")]
    early = EarlyWriter(target)
    try:
        assert early.active
        early.pages_ready({"news/a/index.html": b"early a", "news/b/index.html": b"b", "news/gone/index.html": b"x",
                   "../escape.html": b"never"})
        report = write_site(final, target, early=early)
    finally:
        early.close()
    assert tree_bytes(target) == {o.path: o.data for o in final}
    assert (report.written, report.unchanged, report.removed) == (4, 0, 0)
    assert not (tmp_path / "escape.html").exists() and not list(tmp_path.glob(".*.staging-*"))
    assert not EarlyWriter(target).active  # output/ exists now: later builds compare with it


def test_a_failed_cold_build_leaves_no_staging_folder(tmp_path):
    from site_builder.writer import EarlyWriter

    early = EarlyWriter(tmp_path / "output")
    early.pages_ready({"news/a/index.html": b"a"})
    early.finish()
    assert list(tmp_path.glob(".output.staging-*"))
    early.close()  # what build() does when anything after this point fails
    assert not list(tmp_path.glob(".output.staging-*")) and not (tmp_path / "output").exists()


def test_early_files_are_dropped_when_output_appears_meanwhile(tmp_path):
    from site_builder.models import Output
    from site_builder.writer import EarlyWriter, write_site

    target = tmp_path / "output"
    early = EarlyWriter(target)
    try:
        early.pages_ready({"news/a/index.html": b"early a", "news/b/index.html": b"early b"})
        target.mkdir()
        (target / "old.html").write_text("made by hand")
        report = write_site([Output("news/a/index.html", b"a")], target, early=early, force=True)
    finally:
        early.close()
    assert tree_bytes(target) == {"news/a/index.html": b"a"} and report.removed == 1  # (--force: not ours)
    assert not list(tmp_path.glob(".*.staging-*"))
