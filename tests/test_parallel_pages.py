"""Post pages rendered inside the Markdown worker processes (cold builds) must be exactly the
pages the main process would render, and a template that needs another post's HTML must still
get it (such a page is left to the main process)."""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone

import pytest

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


def test_a_cold_build_writes_the_list_pages_early_too(tmp_path, monkeypatch):
    """Not only the post pages: the lists and topic pages are handed to the early writer as soon as
    they are rendered, before the feeds, sitemap and search index are done."""
    from site_builder import build as build_module
    from site_builder.writer import EarlyWriter

    root = many_posts(tmp_path / "site")
    config = load_config(root / "config.yaml")
    handed: list[str] = []
    real = EarlyWriter.pages_ready
    monkeypatch.setattr(EarlyWriter, "pages_ready", lambda self, pages: handed.extend(pages) or real(self, pages))
    sitemaps: list[int] = []
    real_sitemap = build_module.sitemap
    monkeypatch.setattr(build_module, "sitemap", lambda *a: sitemaps.append(len(handed)) or real_sitemap(*a))
    build_module.build(config, NOW, output_dir=tmp_path / "cold", use_cache=False)
    assert {"index.html", "news/page/2/index.html", "tags/t1/index.html"} <= set(handed[: sitemaps[0]])
    assert len(handed) == len(set(handed))  # (each page once)


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


def _site_and_html(root):
    config = load_config(root / "config.yaml")
    posts, _ = read_posts(config)
    pages, _ = read_pages(config)
    site, problems = assemble(config, posts, pages, NOW)
    assert not problems
    return site, render_many({p.source: p.body for p in site.posts}, config.base_path, config.raw_html)


def test_list_pages_rendered_by_two_processes_equal_those_of_one(tmp_path, monkeypatch):
    """render_pages `spread` (a cold build): the list and topic pages are dealt out between this
    process and a forked copy of it; the pages and their order are those of one process."""
    import os

    from site_builder import forked, render

    site, html = _site_and_html(many_posts(tmp_path / "site"))
    alone = [(o.path, o.data) for o in render_pages(site, html)]
    senders, fills = [], []
    real_beside, real_fill = forked.Beside, render.Share.fill

    class Watched(real_beside):
        def __init__(self, work):
            super().__init__(lambda: {"pid": os.getpid(), "made": work()})

        def result(self):
            sent = super().result()
            senders.append(sent["pid"])
            return sent["made"]

    def fill(share, r, out, made):
        fills.append((len(share.theirs), dict(made)))
        return real_fill(share, r, out, made)

    monkeypatch.setattr(forked, "Beside", Watched)
    monkeypatch.setattr(render.Share, "fill", fill)
    together = [(o.path, o.data) for o in render_pages(site, html, spread=True)]
    assert together == alone
    assert senders and senders[0] != os.getpid()  # (made in another process)
    theirs, made = fills[0]
    lists = sum(1 for path, _ in alone if path.startswith(("news/index", "news/page", "tags/")))
    assert theirs >= lists // 2 - 1 and set(made) <= {path for path, _ in alone} and len(made) == theirs


def _spread_with_the_copy_doing(tmp_path, monkeypatch, doing):
    """The site's pages rendered in two processes, the copy running `doing(work)` instead of its
    work; they must be those of one process."""
    from site_builder import forked

    site, html = _site_and_html(many_posts(tmp_path / "site"))
    alone = [(o.path, o.data) for o in render_pages(site, html)]
    real_beside = forked.Beside

    class Doing(real_beside):
        def __init__(self, work):
            super().__init__(lambda: doing(work))

    monkeypatch.setattr(forked, "Beside", Doing)
    assert [(o.path, o.data) for o in render_pages(site, html, spread=True)] == alone


def test_when_the_copy_fails_its_pages_are_rendered_here(tmp_path, monkeypatch):
    def fail(work):
        raise RuntimeError("the copy fails")

    _spread_with_the_copy_doing(tmp_path, monkeypatch, fail)


def test_a_broken_list_template_is_the_same_message_with_two_processes(tmp_path, build):
    """The copy's half of the pages fails in the copy; this process then renders them and reports
    the template's file and line as a build in one process does."""
    root = many_posts(tmp_path / "site", n=N + 40)
    (root / "templates").mkdir()
    theme_tag = (REPO / "site_builder/theme/templates/tag.html").read_text()
    (root / "templates/tag.html").write_text(theme_tag.replace("{% block main %}",
                                                               "{% block main %}{{ pager.number.nothing.here }}", 1))
    cold = build(root)
    assert cold.code == 1
    said = cold.err
    assert "tag.html" in said and "Traceback" not in said
    (root / "output").mkdir()  # a build that is not cold: the pages are rendered in one process
    again = build(root)
    assert again.code == 1 and _problem_lines(again.err) == _problem_lines(said)


def _problem_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "tag.html" in line]


def test_a_forked_copy_never_uses_the_cache_database(tmp_path):
    """The copy that renders half the list pages shares the build cache's memory but not its SQLite
    connection (BuildCache.db is None in it): it finds what is in memory and writes nothing."""
    from site_builder.cache import BuildCache
    from site_builder.forked import Beside

    cache = BuildCache(tmp_path / ".cache").open()
    cache.put_many("md", {"in-memory": "<p>a</p>"})
    fresh = BuildCache(tmp_path / ".cache").open()  # (another process's view: only what is in the database)
    fresh.put_many("md", {"on-disk": "<p>b</p>"})

    def in_the_copy():
        cache.put_many("md", {"from-the-copy": "<p>c</p>"})
        return (cache.db is None, cache.get_many("md", ["in-memory", "on-disk", "from-the-copy"]))

    copy = Beside(in_the_copy).result()
    assert copy == (True, {"in-memory": "<p>a</p>", "from-the-copy": "<p>c</p>"})
    assert cache.db is not None and cache.get_many("md", ["on-disk", "from-the-copy"]) == {"on-disk": "<p>b</p>"}
    cache.close()
    fresh.close()


def test_a_cold_build_with_part_of_the_markdown_cached_equals_a_clean_build(tmp_path):
    """output/ deleted, .cache kept, and more posts edited than the pool threshold: the pool runs,
    the list pages are rendered in two processes, some HTML comes from the cache; the site is the
    one a clean build makes."""
    import shutil

    from site_builder.build import build

    root = many_posts(tmp_path / "site", n=N + 30)
    config = load_config(root / "config.yaml")
    build(config, NOW)
    shutil.rmtree(config.output_path)
    for i in range(N + 2):
        path = root / f"content/posts/p{i:03d}.md"
        path.write_text(path.read_text().replace("Words about", "Edited words about"))
    build(config, NOW)
    shutil.rmtree(root / ".cache")
    build(config, NOW, output_dir=tmp_path / "clean", use_cache=False)
    assert tree_bytes(config.output_path) == tree_bytes(tmp_path / "clean")


@pytest.mark.parametrize("first", [2, 3])  # (one of the two is dealt to the copy, the next one here)
def test_of_two_pages_that_fail_the_first_is_reported_with_two_processes(tmp_path, build, first):
    """A template that fails on two pages in a row, with two messages: a build in one process
    reports the first; so does a cold build, whichever process the first was dealt to."""
    root = many_posts(tmp_path / "site", n=N + 40)
    (root / "templates").mkdir()
    theme_tag = (REPO / "site_builder/theme/templates/tag.html").read_text()
    fails = ('{% block main %}{% if tag.slug == "t1" and pager.number == ' + str(first) + ' %}{{ first_missing }}'
             '{% elif tag.slug == "t1" and pager.number == ' + str(first + 1) + ' %}{{ second_missing }}{% endif %}')
    (root / "templates/tag.html").write_text(theme_tag.replace("{% block main %}", fails, 1))
    cold = build(root)
    assert cold.code == 1 and "'first_missing' is undefined" in cold.err and "second_missing" not in cold.err
    (root / "output").mkdir()  # (not cold: one process)
    assert _problem_lines(build(root).err) == _problem_lines(cold.err)


def test_a_copy_killed_by_a_signal_has_its_pages_rendered_here(tmp_path, monkeypatch):
    import os
    import signal

    def killed(work):
        work()  # (its pages made, then killed before it sends them)
        os.kill(os.getpid(), signal.SIGKILL)

    _spread_with_the_copy_doing(tmp_path, monkeypatch, killed)


def test_a_result_that_cannot_be_pickled_or_a_cut_send_is_none():
    import os

    from site_builder.forked import Beside

    assert Beside(lambda: (lambda: "a function")).result() is None
    assert Beside(lambda: {"a": b"x" * 200_000}).result() == {"a": b"x" * 200_000}  # (more than a pipe holds)

    class Cut(Beside):  # the copy's send cut short: a partial pickle, exit status 0
        def __init__(self):
            read_end, write_end = os.pipe()
            self.pid = os.fork()
            if self.pid == 0:
                os.write(write_end, __import__("pickle").dumps({"a": b"x" * 1000})[:100])
                os._exit(0)
            os.close(write_end)
            self.pipe = os.fdopen(read_end, "rb")

    assert Cut().result() is None


def _odd_site(root, kind):
    """Sites whose list pages are dealt out oddly between the two processes."""
    from site_builder.bench import sample_site

    if kind == "sample, languages, 70 posts":
        return sample_site(root, POOL_THRESHOLD + 6)
    config = "title: Local\nbase_url: https://example.org/\nposts_per_page: 3\nsearch: false\n"
    files = {}
    for i in range(N):
        tags = {"no tags": "", "a topic per post": f"[only{i}]",
                "thousands of topics": "[" + ", ".join(f"t{i}x{j}" for j in range(25)) + "]",
                "drafts and future": f"[t{i % 2}]", "huge pages": "[all]",
                "summaries of others": f"[t{i % 4}]"}[kind]
        extra = "draft: true\n" if kind == "drafts and future" and i % 3 == 0 else ""
        year = 2030 if kind == "drafts and future" and i % 4 == 0 else 2026
        body = ("Long words. " * 4000) if kind == "huge pages" else f"Words about item {i}.\n\n- one\n- two"
        files[f"content/posts/p{i:03d}.md"] = (f"---\ntitle: Post {i}\ndate: {year}-03-{1 + i % 28:02d}\n"
                                               f"{'tags: ' + tags + chr(10) if tags else ''}{extra}---\n\n{body}\n")
    if kind == "huge pages":  # every post's whole text on the one topic page and the news pages
        config = config.replace("posts_per_page: 3", "posts_per_page: 100")
        files["templates/tag.html"] = ("{% extends 'base.html' %}{% block main %}{% for p in posts %}"
                                       "{{ body(p) }}{% endfor %}{% endblock %}")
    if kind == "summaries of others":  # a list template reading summary() of posts it does not list
        files["templates/tag.html"] = ("{% extends 'base.html' %}{% block main %}{{ tag.name }}{% for p in posts %}"
                                       "<p>{{ summary(p) }}</p>{% endfor %}{% if pager.number == 1 %}"
                                       "{{ summary(posts[0]) }}{% endif %}{% endblock %}")
    return write_site(root, {"config.yaml": config, **files})


@pytest.mark.parametrize("kind", ["no tags", "a topic per post", "thousands of topics", "drafts and future",
                                  "huge pages", "summaries of others", "sample, languages, 70 posts"])
def test_odd_sites_build_the_same_in_two_processes_as_in_one(tmp_path, monkeypatch, kind):
    """A cold build's list pages dealt out between this process and a forked copy (render.Share)
    give the site a build in one process gives, byte for byte, for sites that deal them oddly."""
    from site_builder import forked, render
    from site_builder.build import BuildOptions, build

    root = _odd_site(tmp_path / "site", kind)
    config = load_config(root / "config.yaml")
    options = BuildOptions(drafts=True, future=True) if kind == "drafts and future" else BuildOptions()
    copies = []
    real_beside = forked.Beside

    class Counted(real_beside):
        def result(self):
            made = super().result()
            copies.append(len(made or ()))
            return made

    monkeypatch.setattr(forked, "Beside", Counted)
    build(config, NOW, options, output_dir=tmp_path / "two", use_cache=False)
    assert copies and all(copies), copies  # (the copy rendered and sent pages, in every language)
    real_rest = render.SitePages.rest
    monkeypatch.setattr(render.SitePages, "rest", lambda self, extra=None, spread=False: real_rest(self, extra))
    build(config, NOW, options, output_dir=tmp_path / "one", use_cache=False)
    assert tree_bytes(tmp_path / "two") == tree_bytes(tmp_path / "one")


@pytest.mark.parametrize("refused", ["tags/t1/index.html", "news/p003/index.html"])
def test_a_full_disk_while_the_lists_are_written_early_leaves_nothing(tmp_path, build, monkeypatch, refused):
    """The early writer gets the list pages too (build.plan → pages_ready): the disk filling up on
    one of them (or on a post page from the Markdown workers) is a message naming that page, and
    the build leaves no output/ and no staging folder, as any failed build."""
    import errno

    from site_builder.writer import EarlyWriter

    root = many_posts(tmp_path / "site")
    real_write = EarlyWriter._write

    def full(self, path, data):
        if path == refused:
            raise OSError(errno.ENOSPC, "No space left on device", os.path.join(self.staging, path))
        real_write(self, path, data)

    monkeypatch.setattr(EarlyWriter, "_write", full)
    failed = build(root)
    assert failed.code == 1 and "Traceback" not in failed.err
    assert f"output/{refused}" in failed.err and "No space left on device" in failed.err
    assert not (root / "output").exists() and not list(root.glob(".output.staging-*"))
    monkeypatch.setattr(EarlyWriter, "_write", real_write)
    assert build(root).code == 0 and (root / "output" / refused).is_file()
