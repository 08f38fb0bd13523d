"""`serve`: a real server on a free port, a real headless Chromium (Playwright), real files edited on disk."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from site_builder import serve
from tests.conftest import EPOCH, REPO, require_tool, write_site

SUBPATH_CONFIG = """
title: Serve Local
base_url: https://example.org/local12/
timezone: America/Chicago
"""
POSTS = ("welcome-new-duluth-unit.md", "member-benefits-reminder.md", "healthpartners-strike-school.md")
SLUG = "welcome-new-duluth-unit"
ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    root = write_site(tmp_path / "site", {"config.yaml": SUBPATH_CONFIG})
    (root / "content" / "posts").mkdir(parents=True)
    for name in POSTS:
        shutil.copy(REPO / "content" / "posts" / name, root / "content" / "posts" / name)
    (root / "static" / "calendar").mkdir(parents=True)
    (root / "static" / "calendar" / "test.ics").write_text(ICS, encoding="utf-8", newline="")
    return root


@pytest.fixture
def server(site):
    lines: list[str] = []
    srv = serve.start(site / "config.yaml", port=0, echo=lines.append)
    srv.lines = lines
    yield srv
    srv.stop()


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_edit_break_fix_in_one_browser_tab(site, server):
    from playwright.sync_api import expect, sync_playwright

    chromium = require_tool("/usr/bin/chromium")
    post = site / "content" / "posts" / f"{SLUG}.md"
    good = post.read_text(encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            loads: list[str] = []
            page.on("framenavigated", lambda frame: loads.append(frame.url) if frame == page.main_frame else None)
            page.goto(server.url + f"news/{SLUG}/")
            assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/local12/")
            expect(page.locator("h1")).to_contain_text("Welcome to our newest unit")
            expect(page.locator("#site-builder-livereload")).to_have_count(1)
            page.wait_for_function("() => window.siteBuilderLiveReload.connected", timeout=5000)

            # 1. an edit on disk shows up in the same tab, with no page.reload() from the test
            edit(post, "Please join us in welcoming", "Live edited: please join us in welcoming")
            expect(page.locator("main")).to_contain_text("Live edited: please join", timeout=10_000)
            assert len(loads) >= 2  # the live-reload script reloaded the document itself
            assert browser.contexts[0].pages == [page]

            # 2. broken front matter: an overlay with `path:line: field: message`; the last good site stays
            post.write_text(good.replace("date: 2025-03-18", "date: 2025-13-45"), encoding="utf-8")
            overlay = page.locator("#site-builder-error")
            expect(overlay).to_be_visible(timeout=10_000)
            expect(overlay).to_contain_text(re.compile(rf"content/posts/{SLUG}\.md:3: date: \S"))
            assert any(f"content/posts/{SLUG}.md:3: date:" in line for line in server.lines)
            status, _, body = fetch(server.url + f"news/{SLUG}/")
            assert status == 200 and b"Live edited: please join" in body

            # the overlay shows the text as text: no markup from a message reaches the DOM
            post.write_text(good.replace("date: 2025-03-18", "date: <b>bold</b>"), encoding="utf-8")
            expect(overlay).to_contain_text("<b>bold</b>", timeout=10_000)
            expect(overlay.locator("b")).to_have_count(0)

            # 3. fixed: the overlay goes and the page shows the new text
            post.write_text(good.replace("Please join us", "Fixed: please join us"), encoding="utf-8")
            expect(page.locator("main")).to_contain_text("Fixed: please join us", timeout=10_000)
            expect(page.locator("#site-builder-error")).to_have_count(0)
            assert browser.contexts[0].pages == [page]
        finally:
            browser.close()


def test_content_types_subpath_and_404(site, server):
    status, headers, body = fetch(server.url + "calendar/test.ics")
    assert status == 200 and headers["Content-Type"] == "text/calendar; charset=utf-8" and body == ICS.encode()
    status, headers, body = fetch(server.url + "feed.xml")
    assert status == 200 and headers["Content-Type"].startswith("application/xml") and body.startswith(b"<?xml")
    status, headers, body = fetch(server.url + "news/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'id="site-builder-livereload"' in body and body.rstrip().endswith(b"</html>")
    status, headers, body = fetch(server.url + "no/such/page/")
    assert status == 404 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"Page not found" in body and b"site-builder-livereload" in body
    assert fetch(server.url + "../../config.yaml")[0] == 404
    # the site lives under base_url's subpath; the server root sends you there
    root = server.url[: -len("local12/")]
    assert fetch(root + "news/")[0] == 404
    status, _, body = fetch(root)
    assert status == 200 and b"Serve Local" in body
    # the livereload endpoint is an event stream that starts with the current state
    with urllib.request.urlopen(server.url + "__livereload", timeout=5) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        assert stream.readline() == b"retry: 500\n" and stream.readline() == b"id: 1\n"  # (the version)
        assert stream.readline() == b"event: state\n"
        data = stream.readline()
        assert data.startswith(b"data: ")
        state = json.loads(data[len(b"data: "):])
        assert state["build"] == 1 and state["problems"] == [] and state["paths"] is None  # (no ?since=: unknown)


def test_build_output_never_contains_the_script(site, server, build):
    assert build(site).code == 0
    for folder in (site / "output", server.output_dir):
        pages = list(folder.rglob("*.html"))
        assert len(pages) > 5
        for page in pages:
            assert b"livereload" not in page.read_bytes(), page
    assert server.output_dir.is_relative_to(site / ".cache")
    preview = (server.output_dir / "index.html").read_text(encoding="utf-8")
    assert "Preview: drafts and future posts are shown." in preview


def test_temp_files_and_output_do_not_trigger_rebuilds(site, server):
    posts = site / "content" / "posts"
    for name in (".#draft.md", "draft.md~", "4913", ".draft.md.swp"):
        (posts / name).write_text("junk", encoding="utf-8")
    (site / "output").mkdir()
    (site / "output" / "x.html").write_text("x", encoding="utf-8")
    (site / "notes.txt").write_text("x", encoding="utf-8")
    assert not server.wait_for_attempt(2, timeout=0.5)
    (posts / "new.md").write_text("---\ntitle: New\ndate: 2026-01-01\n---\nHi\n", encoding="utf-8")
    assert server.wait_for_attempt(2, timeout=5)
    assert server.state.problems == ()


def test_cli_serve_stops_cleanly_on_ctrl_c(site):
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "site_builder", "serve", "--config", str(site), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    try:
        line = proc.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+/local12/)", line)
        assert match, line + proc.stderr.read()
        assert fetch(match.group(1))[0] == 200
        time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert "Stopped." in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_an_edit_is_shown_at_once_and_the_full_rebuild_agrees(site, server):
    """Editing a post's text reloads its page from a preview of that page alone, before the full
    rebuild; the full rebuild then finds that page already right (it does not list it again),
    which is what makes the preview exact.  An edit that moves the post (its date) waits for the
    full rebuild.  Every reload names the pages that changed."""
    import json

    from site_builder.bench_serve import SSEClient

    client = SSEClient(server.url + serve.LIVERELOAD)
    try:
        assert client.next_event()[0] == "state"
        post = site / "content" / "posts" / f"{SLUG}.md"
        url = f"/local12/news/{SLUG}/"
        edit(post, "Please join us in welcoming", "Previewed: please join us in welcoming")
        event, data = client.next_event()
        assert event == "reload" and json.loads(data)["paths"] == [url]
        assert "Previewed: please join" in (server.output_dir / f"news/{SLUG}/index.html").read_text()
        event, data = client.next_event()  # the full rebuild
        assert event == "reload"
        assert url not in json.loads(data)["paths"]

        edit(post, "date: 2025-03-18", "date: 2025-03-17")  # moves the post among the others
        event, data = client.next_event()
        assert event == "reload"
        paths = json.loads(data)["paths"]
        assert url in paths and "/local12/news/" in paths  # one event: the full rebuild's
    finally:
        client.close()


def test_only_tabs_showing_a_changed_page_reload(site, server):
    from playwright.sync_api import expect, sync_playwright

    chromium = require_tool("/usr/bin/chromium")
    other = "member-benefits-reminder"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            edited, bystander = browser.new_page(), browser.new_page()
            loads = {"edited": 0, "bystander": 0}
            for name, page in (("edited", edited), ("bystander", bystander)):
                page.on("load", lambda _page, name=name: loads.__setitem__(name, loads[name] + 1))
            edited.goto(server.url + f"news/{SLUG}/")
            bystander.goto(server.url + f"news/{other}/")
            for page in (edited, bystander):
                page.wait_for_function("() => window.siteBuilderLiveReload.connected", timeout=5000)
            before = server.state.build
            # (wait for the reload's load event itself: the new text can be in the DOM before it fires)
            with edited.expect_event("load", timeout=10_000):
                edit(site / "content" / "posts" / f"{SLUG}.md", "Please join us in welcoming", "Only here: please join")
            expect(edited.locator("main")).to_contain_text("Only here: please join", timeout=10_000)
            assert server.wait_for_attempt(2)  # the start, then this edit's full rebuild
            bystander.wait_for_function(f"() => window.siteBuilderLiveReload.build > {before}", timeout=10_000)
            assert loads == {"edited": 2, "bystander": 1}
        finally:
            browser.close()


def served_version(body: bytes) -> int:
    match = re.search(rb'data-version="(\d+)"', body)
    assert match, body[-2000:]
    return int(match.group(1))


def stream_url(server, body: bytes) -> str:
    """The live-reload address the page's script opens (with its server instance and version)."""
    match = re.search(rb'<script id="site-builder-livereload"[^>]* data-url="([^"]+)"', body)
    assert match, body[-2000:]
    return server.url[: -len(server.base_path)] + html.unescape(match.group(1).decode())


def first_state(url: str, headers: dict | None = None) -> dict:
    from site_builder.bench_serve import SSEClient

    client = SSEClient(url, headers)
    try:
        event, data = client.next_event()
    finally:
        client.close()
    assert event == "state"
    return json.loads(data)


def test_a_tab_whose_stream_opens_late_still_learns_its_page_changed(site, server):
    """A tab loads a page, and before its event stream connects, its page changes (the browser was
    slow, or the page was reloading): the stream's first event names the pages changed since the
    version the page was served at, so that tab reloads and the others stay."""
    _, _, body = fetch(server.url + f"news/{SLUG}/")
    since, url = served_version(body), stream_url(server, body)
    edit(site / "content" / "posts" / f"{SLUG}.md", "Please join us in welcoming", "Late: please join us in welcoming")
    assert server.wait_for_attempt(2)
    state = first_state(url)
    assert state["version"] > since
    assert f"/local12/news/{SLUG}/" in state["paths"]
    assert "/local12/news/member-benefits-reminder/" not in state["paths"]
    # served now, the page is current: nothing changed since
    _, _, body = fetch(server.url + f"news/{SLUG}/")
    assert b"Late: please join" in body
    assert server.changes.since(served_version(body)) == []


def test_change_log_answers_all_when_it_no_longer_knows():
    log = serve.ChangeLog(keep=3)
    assert log.since(0) == []
    log.add(None)  # the first build: every page
    assert log.since(0) is None and log.since(1) == []
    log.add(["/b/"])
    log.add(["/a/", "/b/"])
    assert log.since(1) == ["/a/", "/b/"] and log.since(2) == ["/a/", "/b/"] and log.since(3) == []
    log.add(["/c/"])
    log.add(["/d/"])  # version 2 and older are forgotten
    assert log.since(3) == ["/c/", "/d/"] and log.since(1) is None


def test_a_reconnecting_tab_and_a_tab_from_an_earlier_serve(site, server):
    """A tab that reconnects (after sleep, a network drop) is answered from the last event it
    saw (the Last-Event-ID its EventSource sends), not from when it was first served; a tab
    served by an earlier run of serve cannot be answered at all (null: it reloads)."""
    _, _, body = fetch(server.url + f"news/{SLUG}/")
    url = stream_url(server, body)
    assert first_state(url)["paths"] == []
    edit(site / "content" / "posts" / f"{SLUG}.md", "Please join us in welcoming", "Again: please join us in welcoming")
    assert server.wait_for_attempt(2)
    state = first_state(url)
    assert f"/local12/news/{SLUG}/" in state["paths"]
    assert first_state(url, {"Last-Event-ID": str(state["version"])})["paths"] == []
    earlier = re.sub(r"instance=[0-9a-f]+", "instance=0123456789abcdef", url)
    assert earlier != url and first_state(earlier)["paths"] is None


def test_an_edited_or_new_template_shows_on_the_next_rebuild(site):
    """One Jinja environment per build, with no up-to-date check within it (render.make_env): a
    template edited while serve runs (twice, an included partial, an override that did not exist
    when serve started) is what the next rebuild renders."""
    from site_builder.bench_serve import SSEClient

    theme = REPO / "site_builder/theme/templates"
    (site / "templates/partials").mkdir(parents=True)
    footer = site / "templates/partials/footer.html"
    original = (theme / "partials/footer.html").read_text()
    footer.write_text(original + "<p>footer-mark-1</p>\n")
    srv = serve.start(site / "config.yaml", port=0, echo=lambda line: None)
    client = SSEClient(srv.url + serve.LIVERELOAD)
    page = srv.output_dir / f"news/{SLUG}/index.html"
    try:
        assert client.next_event()[0] == "state"
        assert "footer-mark-1" in page.read_text()
        for mark in ("footer-mark-2", "footer-mark-3"):
            footer.write_text(original + f"<p>{mark}</p>\n")
            assert client.next_event()[0] == "reload"
            assert mark in page.read_text() and "footer-mark-1" not in page.read_text()
        (site / "templates/post.html").write_text(
            (theme / "post.html").read_text().replace("{% block main %}", "{% block main %}<p>new-override</p>", 1))
        assert client.next_event()[0] == "reload"
        assert "new-override" in page.read_text() and "footer-mark-3" in page.read_text()
    finally:
        client.close()
        srv.stop()
