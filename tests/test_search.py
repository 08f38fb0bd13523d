"""search.search_outputs: a Pagefind bundle made from the rendered pages by one run of the binary, deterministic."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from site_builder.config import load_config
from site_builder.models import Output
from tests.conftest import MINIMAL_CONFIG

import pagefind  # noqa: F401,E402  (the search service the build uses: a missing install is a failure)
from site_builder.search import search_outputs, searchable  # noqa: E402


def html(title: str, text: str, body: bool = True) -> bytes:
    mark = " data-pagefind-body" if body else ""
    return (f'<!DOCTYPE html><html lang="en"><head><title>{title}</title></head><body><nav>Menu words</nav>'
            f"<main><article{mark}><h1>{title}</h1><p>{text}</p></article></main></body></html>").encode()


@pytest.fixture
def config(scratch):
    return load_config(scratch() / "config.yaml")


def entry(outputs: list[Output]) -> dict:
    return json.loads(next(o.data for o in outputs if o.path == "pagefind/pagefind-entry.json"))


def test_indexes_marked_pages_only_and_returns_the_bundle_as_outputs(config, tmp_path):
    unchanged = tmp_path / "kept.html"
    unchanged.write_bytes(html("Benefits", "Dental and vision coverage"))
    outputs = [
        Output("news/strike-vote/index.html", html("Strike vote", "Members authorized a strike")),
        Output("benefits/index.html", source=str(unchanged), unchanged=True),  # reused from output/: read from disk
        Output("tags/x/index.html", html("Topic x", "a listing", body=False)),
        Output("feed.xml", b"<rss>data-pagefind-body</rss>", kind="feed"),
        Output("css/site.css", source=str(unchanged), kind="static"),
    ]
    assert [p for p, _ in searchable(outputs)] == ["benefits/index.html", "news/strike-vote/index.html"]
    found = search_outputs(config, outputs)
    paths = [o.path for o in found]
    assert paths == sorted(paths) and all(p.startswith("pagefind/") for p in paths)
    assert {"pagefind/pagefind-ui.js", "pagefind/pagefind-ui.css", "pagefind/pagefind.js"} <= set(paths)
    assert all(o.kind == "search" and o.data for o in found)
    assert entry(found)["languages"]["en"]["page_count"] == 2
    assert not any("playground" in p for p in paths)


def test_same_pages_give_the_same_bytes(config):
    outputs = [Output(f"news/p{i}/index.html", html(f"Post {i}", f"Text number {i} about bargaining")) for i in range(30)]
    first, second = search_outputs(config, outputs), search_outputs(config, list(reversed(outputs)))
    assert [(o.path, o.data) for o in first] == [(o.path, o.data) for o in second]


def test_no_marked_pages_means_no_bundle(config):
    assert search_outputs(config, [Output("index.html", html("Home", "x", body=False))]) == []


def test_language_is_the_primary_subtag(config):
    found = search_outputs(replace(config, language="en-US"), [Output("a/index.html", html("A", "words"))])
    assert list(entry(found)["languages"]) == ["en"]


def test_a_full_build_writes_the_index_and_the_search_page(scratch, build):
    root = scratch({"content/posts/a.md": "---\ntitle: Contract ratified\ndate: 2026-01-05\n---\n\nMembers ratified it.\n"},
                   config=MINIMAL_CONFIG.replace("https://example.org/", "https://example.org/local12/"))
    assert build(root).code == 0
    out = root / "output"
    assert (out / "search/index.html").is_file()
    assert entry([Output("pagefind/pagefind-entry.json", (out / "pagefind/pagefind-entry.json").read_bytes())])[
        "languages"]["en"]["page_count"] == 1
    page = (out / "search/index.html").read_text()
    assert 'src="/local12/pagefind/pagefind-ui.js"' in page
    assert 'data-bundle="/local12/pagefind/" data-base="/local12/"' in page
    assert 'href="/local12/search/"' in (out / "index.html").read_text()
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / "pagefind").rglob("*") if p.is_file()}
    assert build(root).code == 0  # and a second build writes the very same index
    after = {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / "pagefind").rglob("*") if p.is_file()}
    assert before == after


def test_search_can_be_turned_off(scratch, build):
    root = scratch({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-05\n---\n\nText.\n"},
                   config=MINIMAL_CONFIG + "search: false\n")
    run = build(root)
    assert run.code == 0 and "unknown key" not in run.err, run.err
    out = root / "output"
    assert not (out / "pagefind").exists() and not (out / "search").exists()
    assert "/search/" not in (out / "index.html").read_text()


def test_serve_reuses_the_last_index_but_build_reindexes(tmp_path):
    from datetime import datetime, timezone

    from site_builder.build import BuildOptions, build
    from site_builder.config import load_config
    from tests.conftest import write_site

    root = write_site(tmp_path / "site", {
        "config.yaml": "title: S\nbase_url: https://example.org/\n",
        "content/posts/a.md": "---\ntitle: Alpha\ndate: 2026-01-01\n---\nPicket at the clinic.\n",
    })
    config, now = load_config(root / "config.yaml"), datetime(2026, 11, 18, tzinfo=timezone.utc)

    def index() -> dict:
        return {p.relative_to(root / "output").as_posix(): p.read_bytes()
                for p in (root / "output/pagefind").rglob("*") if p.is_file()}

    build(config, now)
    first = index()
    (root / "content/posts/b.md").write_text("---\ntitle: Beta\ndate: 2026-01-02\n---\nRally downtown.\n")
    build(config, now, BuildOptions(stale_search_ok=True))
    assert index() == first  # the preview kept the last index
    assert (root / "output/news/b/index.html").is_file()
    build(config, now)
    assert index() != first  # a real build indexes what it publishes


# --- issue 17: a bad language or a broken binary never hangs the build ---------------------
from site_builder import search as search_module  # noqa: E402
from site_builder.search import SearchError, language_problem  # noqa: E402


@pytest.mark.parametrize("tag", ["en", "EN", "fr-CA", "zh-Hant-TW", "es-419", "gsw", "en-US-x-twain"])
def test_real_language_tags_are_accepted(tag):
    assert language_problem(tag) is None


@pytest.mark.parametrize("tag", ["a" * 50, "e", "english-language", "en_US", "en-", "", "1en", "en-" + "x" * 9,
                                 "en-us-" + "-".join(["abc"] * 10)])
def test_other_languages_are_refused_with_what_is_allowed(tag):
    assert language_problem(tag).endswith("is not a language tag: use a 2- or 3-letter language code, "
                                          "optionally with a region, such as en, es, fr-CA or en-US")


def test_a_made_up_language_is_a_message_before_pagefind_runs(config):
    with pytest.raises(SearchError, match=r"not built: language: 'aaaaaaaa.*' is not a language tag"):
        search_outputs(replace(config, language="a" * 50), [Output("a/index.html", html("A", "words"))])


def _leftovers(folder) -> list:
    return [p.name for p in folder.iterdir() if p.name.startswith("site-builder-search-")]


def test_a_panicking_pagefind_is_an_error_not_a_hang(monkeypatch, tmp_path):
    # The real reproduction: a 50-letter language makes the binary panic (exit status 101);
    # the client would wait for its answer forever.  Bypass the check to reach the binary.
    monkeypatch.setattr(search_module.tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(search_module, "TIMEOUT_SECONDS", 60.0)
    with pytest.raises(SearchError, match=r"the pagefind program stopped while .* \(exit status \d+\)"):
        search_module.Indexing([("a/index.html", html("A", "words"))], "a" * 50).result()
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("script, message", [
    ("head -c 1 >/dev/null; exit 3", r"the pagefind program stopped while indexing the pages \(exit status 3\)"),
    ("exec sleep 60", r"no answer from the pagefind program after 1 s while indexing the pages"),
    ("echo 'Error: no space left' >&2; exit 1", r"stopped while indexing the pages \(exit status 1\): Error: no space left"),
    ("exit 0", r"Pagefind indexed None of 1 pages"),
])
def test_a_dead_or_silent_binary_ends_the_call(monkeypatch, tmp_path, config, script, message):
    fake = tmp_path / "pagefind"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    work = tmp_path / "tmp"
    work.mkdir()
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fake))
    monkeypatch.setattr(search_module.tempfile, "tempdir", str(work))
    monkeypatch.setattr(search_module, "TIMEOUT_SECONDS", 1.0)
    with pytest.raises(SearchError, match=message):
        search_outputs(config, [Output("a/index.html", html("A", "words"))])
    assert _leftovers(work) == []


def test_serves_first_edit_after_an_unchanged_build_reuses_the_index(tmp_path, monkeypatch):
    """The "last:" entry must survive builds whose exact index was in the cache: serve's first
    edit after them reuses the last index instead of running Pagefind (issue 15)."""
    from datetime import datetime, timezone

    from site_builder import build as build_module
    from site_builder.build import BuildOptions, build
    from site_builder.config import load_config
    from tests.conftest import write_site

    root = write_site(tmp_path / "site", {
        "config.yaml": "title: S\nbase_url: https://example.org/\n",
        "content/posts/a.md": "---\ntitle: Alpha\ndate: 2026-01-01\n---\nPicket at the clinic.\n",
    })
    config, now = load_config(root / "config.yaml"), datetime(2026, 11, 18, tzinfo=timezone.utc)
    build(config, now)
    build(config, now)  # the exact index is in the cache
    runs = []
    real = build_module.search_outputs
    monkeypatch.setattr(build_module, "search_outputs", lambda *a: runs.append(1) or real(*a))
    (root / "content/posts/b.md").write_text("---\ntitle: Beta\ndate: 2026-01-02\n---\nRally downtown.\n")
    build(config, now, BuildOptions(stale_search_ok=True))
    assert runs == []
    build(config, now)
    assert runs == [1]


def test_a_full_or_refused_memory_folder_falls_back_to_the_disk(monkeypatch, tmp_path, config):
    """/dev/shm is small in many containers (64 MB): a folder that cannot take the pages is no
    failure, the system's temporary folder is used; when that fails too, the message says why."""
    refused = tmp_path / "refused"
    refused.write_text("a file where the folder should be: refused even for root")
    monkeypatch.setattr(search_module, "_scratch_folder", lambda size: str(refused))
    work = tmp_path / "tmp"
    work.mkdir()
    monkeypatch.setattr(search_module.tempfile, "tempdir", str(work))
    out = search_outputs(config, [Output("a/index.html", html("A", "words"))])
    assert entry(out)["languages"]["en"]["page_count"] == 1
    assert _leftovers(work) == []
    monkeypatch.setattr(search_module.tempfile, "tempdir", str(refused))
    with pytest.raises(SearchError, match=r"not built: could not write the pages for it \(Not a directory\)"):
        search_outputs(config, [Output("a/index.html", html("A", "words"))])


def test_the_memory_folder_is_used_only_with_room_to_spare(monkeypatch):
    monkeypatch.setattr(search_module.tempfile, "tempdir", None)
    import os

    room = os.statvfs(search_module.MEMORY_FOLDER)
    free = room.f_bavail * room.f_frsize
    assert search_module._scratch_folder(free // 4) == search_module.MEMORY_FOLDER
    assert search_module._scratch_folder(free // 2) is None


def test_a_page_path_that_is_not_plain_is_never_written_for_pagefind(tmp_path):
    pages = [Output("../../escape/index.html", html("E", "words")), Output("a/index.html", html("A", "words"))]
    assert [path for path, _ in searchable(pages)] == ["a/index.html"]


def _binary_over(pages: list[tuple[str, bytes]], folder, language: str | None) -> dict[str, bytes]:
    """The bundle the pagefind binary makes over the whole pages, as its users run it."""
    import subprocess

    from site_builder.search import _sorted_entry, pagefind_binary

    site, bundle = folder / "site", folder / "bundle"
    for rel, data in pages:
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)
    command = [str(pagefind_binary()), "--site", str(site), "--output-path", str(bundle), "--silent"]
    if language:
        command[-1:-1] = ["--force-language", language]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    files = {p.relative_to(bundle).as_posix(): p.read_bytes() for p in sorted(bundle.rglob("*")) if p.is_file()}
    if language is None:
        files["pagefind-entry.json"] = _sorted_entry(files["pagefind-entry.json"])
    return files


def test_the_trimmed_pages_give_the_bundle_of_the_whole_pages(sample_output, tmp_path):
    """Pagefind is given each page without the theme's chrome (search.for_pagefind): over the whole
    sample site, every language, the bundle is byte for byte what the binary makes of the whole pages."""
    from site_builder.search import Indexing, for_pagefind

    pages = searchable(Output(p.relative_to(sample_output).as_posix(), p.read_bytes())
                       for p in sorted(sample_output.rglob("*.html")))
    assert len(pages) > 40 and {"es", "so"} <= {path.split("/")[0] for path, _ in pages}
    trimmed = sum(len(for_pagefind(data)) for _, data in pages)
    assert trimmed < 0.7 * sum(len(data) for _, data in pages)  # (the chrome really is left out)
    ours = Indexing(pages, None).result()
    assert ours == _binary_over(pages, tmp_path, None)


CHROME = [  # pages with something Pagefind reads outside <main>: each is given whole
    '<!DOCTYPE html><html lang="en"><head><title>T</title></head><body><header><h1>Site title</h1></header>'
    '<main><article data-pagefind-body><p>Words about dues</p></article></main></body></html>',
    '<!DOCTYPE html><html lang="en"><head><title>T</title><meta data-pagefind-meta="image[content]" '
    'content="/a.png"></head><body><main><article data-pagefind-body><h1>H</h1><p>Words</p></article></main></body></html>',
    '<!DOCTYPE html><html lang="en"><head><title>T</title></head><body><main><article data-pagefind-body><h1>H</h1>'
    '<p>Words</p></article></main><footer><img src="/logo.png" alt="Logo"></footer></body></html>',
    '<!DOCTYPE html><html lang="en"><head><title>T</title></head><body><main><article data-pagefind-body><h1>H</h1>'
    '</article></main><footer data-pagefind-filter="topic:dues">x</footer></body></html>',
    '<!DOCTYPE html><html lang="en"><head><title>T</title></head><body><div data-pagefind-body><p>No main'
    '</p></div></body></html>',
    '<!DOCTYPE html><html lang="en"><head><title>Only the title</title></head><body><nav>Menu</nav><main>'
    '<article data-pagefind-body><p>No heading here</p></article></main><footer>Footer</footer></body></html>',
    '<!DOCTYPE html><html lang="en"><head><title>Two mains</title></head><body><nav>Menu</nav><main><p>First</p></main><aside '
    'data-pagefind-meta="kind:two"></aside><main><article data-pagefind-body><h1>H</h1><p>Words</p></article>'
    '</main></body></html>',
]


def test_a_page_with_what_pagefind_reads_outside_main_is_given_whole(tmp_path):
    from site_builder.search import Indexing, for_pagefind

    pages = [(f"p{i}/index.html", page.encode()) for i, page in enumerate(CHROME)]
    assert [for_pagefind(data) == data for _, data in pages] == [True] * 5 + [False, False]
    assert Indexing(pages, "en").result() == _binary_over(pages, tmp_path, "en")


def _page(head: str = "", before: str = "", after: str = "", html: str = '<html lang="en">',
          title: str = "<title>T</title>", body: str = "<h1>Real heading</h1><p>Words about dues</p>") -> str:
    return (f'<!DOCTYPE html>{html}<head><meta charset="utf-8">{title}{head}</head><body>{before}<main>'
            f'<article data-pagefind-body>{body}</article></main>{after}</body></html>')


NO_H1 = "<p>Words about dues</p>"
HOSTILE = {  # a site's own base.html: what looks like markup outside <main> but is not, tags in capitals...
    "a comment before main": _page(before="<header><!-- <main><h1>Commented out</h1> --></header>"),
    "a script's string": _page(before='<script>var s = "<main><h1>In a script</h1>";</script>'),
    "a style's comment": _page(before="<style>/* <main><h1>css</h1> */</style>"),
    "a textarea": _page(before="<textarea><main><h1>Typed</h1></textarea>"),
    "a noscript": _page(before="<noscript><main><h1>No script</h1></noscript>"),
    "a title in an svg": _page(before="<svg><title>Logo</title></svg>", body=NO_H1),
    "an attribute's value": _page(before='<header><a title="<main><h1>x</h1>" href="/">Home</a></header>'),
    "H1 in capitals": _page(before="<header><H1>Site name</H1></header>", body=NO_H1),
    "IMG in capitals": _page(after='<footer><IMG src="/logo.png" alt="Logo"></footer>'),
    "a filter in capitals": _page(after='<footer DATA-PAGEFIND-FILTER="topic:dues">x</footer>'),
    "meta in capitals": _page(head='<meta DATA-PAGEFIND-META="image[content]" content="/a.png">'),
    "a commented title": _page(title="<!-- <title>Old</title> --><title>New</title>", body=NO_H1),
    "a title only in a comment": _page(title="<!-- <title>Old</title> -->", body=NO_H1),
    "a title in a script": _page(title='<script>document.title = "<title>Set</title>"</script><title>New</title>',
                                 body=NO_H1),
    "a title after a script's </head>": _page(title='<script>"</head>"</script><title>Late</title>', body=NO_H1),
    "a title in an attribute": _page(title='<meta content="<title>Meta</title>"><title>New</title>', body=NO_H1),
    "> in a quoted html attribute": _page(html='<html lang="en" data-x="a>b">'),
    "'>' in a single-quoted one": _page(html="<html lang='en' data-x='a>b'>"),
    "<html> in a comment": '<!DOCTYPE html><!-- <html lang="fr"> -->' + _page()[15:],
    # (and what may be trimmed: the bundle is the same all the same)
    "html attributes": _page(html='<html lang="en" dir="ltr" class="js" data-theme="dark">'),
    "a title with attributes": _page(title='<title id="t" data-x="y">Titled</title>', body=NO_H1),
    "TITLE in capitals": _page(title="<TITLE>Upper</TITLE>", body=NO_H1),
    "no title": _page(title="", body=NO_H1),
    "MAIN in capitals": _page().replace("<main>", "<MAIN>").replace("</main>", "</MAIN>"),
    "a comment after main": _page(after="<footer><!-- </main> --></footer>"),
    "a custom element named main-": _page(before="<main-menu><b>x</b></main-menu>"),
    "a charset that is not UTF-8": _page(head='<meta http-equiv="content-type" content="text/html; charset=iso-8859-1">',
                                         body="<h1>Dúes</h1>"),
}


@pytest.mark.parametrize("language", ["en", None])
def test_hostile_templates_around_main_give_the_bundle_of_the_whole_pages(tmp_path, language):
    """search.for_pagefind over pages a site's own templates could make: comments, scripts and
    attribute values holding "<main", "<title" or "<html", tags in capitals... Whatever is trimmed,
    the bundle is what the binary makes of the whole pages (the page with bytes that are not UTF-8 too)."""
    from site_builder.search import Indexing, for_pagefind

    pages = [(f"p{i}/index.html", text.encode()) for i, text in enumerate(HOSTILE.values())]
    pages.append(("raw/index.html", _page(body="<h1>Bytes</h1><p>caf\xe9</p>").encode("latin-1")))
    trimmed = {name for name, (_, data) in zip(HOSTILE, pages) if for_pagefind(data) != data}
    assert trimmed == set(list(HOSTILE)[list(HOSTILE).index("html attributes"):])
    assert Indexing(pages, language).result() == _binary_over(pages, tmp_path, language)
