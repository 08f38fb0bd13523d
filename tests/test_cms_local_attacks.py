"""serve --cms, attacked again (issue 22, section 1): what a fourth break-it pass tried against
the protection of commit e61936c (site_builder/cms_local.py, theme/serve/decap-guard.cjs, serve's
`_api`/`_serve`/`_host_refused`), beyond what tests/test_cms_local.py replays.

A real `serve --cms` with the real decap-server behind it, as there.  Each test says whether the
attack broke the protection (and what now stops it) or held.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from site_builder import cms_local, serve
from site_builder.cms_local import CmsBackend
from tests.browser import chromium, served
from tests.conftest import REPO, require_tool
from tests.test_cms import make_site
from tests.test_cms_local import api_path, call, own, persist, request, served_config, snapshot

NODE_MODULES = REPO / "node_modules"
OPTIONS = {"commitMessage": "x", "useWorkflow": False, "status": "draft"}


def start(site: Path):
    require_tool("node")
    assert (NODE_MODULES / "decap-server").is_dir(), "make test installs the npm packages (npm ci)"
    return serve.start(site / "config.yaml", port=0, echo=lambda text: None, cms=True)


@pytest.fixture(scope="module")
def editor(tmp_path_factory):
    site = make_site(tmp_path_factory.mktemp("site"))
    for rel, text in ((".github/workflows/deploy.yml", "on: push\n"), (".git/hooks/post-checkout", "#!/bin/sh\n"),
                      ("content/calendar/events.yaml", "events: []\n"), ("static/images/logo.png", "png\n")):
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    server = start(site)
    try:
        yield server
    finally:
        server.stop()


def raw(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    """`data` sent as is on one connection; everything answered until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        return out


def alive(server) -> bool:
    """decap-server still runs and serve still passes the editor's requests to it."""
    return server.cms_backend.process.poll() is None and call(server, "info", {})[0] == 200


# --- decap-server stopped, requests unanswered: BROKE, fixed -------------------------------

def test_two_renames_in_one_request_cannot_stop_decap_server(editor):
    """BROKE: decap-server renames after answering (`dataFiles.forEach(async …)`, not awaited), and
    moves every file of the folder with each rename; the second rename of one file fails, the
    rejection is unhandled, and Node stops decap-server: the editor cannot save until serve is
    restarted (and serve then dropped each request without an answer).  Decap renames only
    entries of nested collections, which this site has none of: any newPath is refused now."""
    before = snapshot(editor.root)
    files = [{"slug": "a", "path": "content/posts/a.md", "raw": "x", "newPath": "content/posts/b.md"},
             {"slug": "a", "path": "content/posts/a.md", "raw": "x", "newPath": "content/posts/c.md"}]
    status, answer = call(editor, "persistEntry", {"dataFiles": files, "assets": [], "options": OPTIONS})
    assert status == 403 and b"does not rename" in answer
    for one in ([files[0]], [{**files[0], "newPath": "content/posts/a.md"}]):  # even one, even to itself
        assert call(editor, "persistEntry", {"dataFiles": one, "assets": [], "options": OPTIONS})[0] == 403
    time.sleep(0.5)
    assert alive(editor)
    assert snapshot(editor.root) == before


def test_serve_answers_when_decap_server_has_stopped(tmp_path):
    """BROKE: with decap-server gone (stopped by the crash above, or killed), serve's handler raised
    ConnectionRefusedError and closed the connection with no answer: the editor hung on
    "Saving…".  Now: 502 with what to do."""
    server = start(make_site(tmp_path))
    try:
        path = api_path(server)
        server.cms_backend.process.kill()
        server.cms_backend.process.wait(timeout=10)
        status, answer = call(server, "info", {}, path=path)
        assert status == 502 and b"restart site-builder serve --cms" in answer
        assert request(server.port, "GET", "/", headers={"Host": f"127.0.0.1:{server.port}"})[0] == 200
    finally:
        server.stop()


def test_json_nested_too_deep_is_answered(editor):
    """BROKE (mildly): 100,000 nested arrays raised RecursionError in json.loads, which the handler
    did not catch: no answer at all.  Now 400 like any other body that is not JSON."""
    body = b'{"action":"info","params":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    status, answer = request(editor.port, "POST", api_path(editor), body, own(editor))
    assert status == 400 and b"not JSON" in answer
    assert alive(editor)


def test_a_lone_surrogate_in_a_path_is_refused_with_an_answer(editor):
    """BROKE (mildly): `\\ud800` in a path is a str to Python's json (U+FFFD to Node's): the check's
    os.path.realpath raised UnicodeEncodeError, uncaught, and serve closed the connection without
    an answer.  Now such a path is refused like any other that names no file."""
    before = snapshot(editor.root)
    body = (b'{"action":"persistEntry","params":{"branch":"main","dataFiles":[{"slug":"x","path":"content/posts/'
            b'\\ud800.md","raw":"x"}],"assets":[],"options":' + json.dumps(OPTIONS).encode() + b"}}")
    status, answer = request(editor.port, "POST", api_path(editor), body, own(editor))
    assert status == 403 and b"the editor may write only in" in answer
    assert snapshot(editor.root) == before


# --- reads beyond the editor's entries: BROKE, fixed ------------------------------------------------

def test_a_listing_reads_only_the_folders_own_entries(editor, tmp_path):
    """BROKE: entriesByFolder was checked for its folder only, while decap-server lists `depth`
    levels down every name ending in `extension` and reads each: {"folder": "content/posts",
    "extension": "t", "depth": 100} read content/posts/sub/notes.txt; the media folder listed
    100 levels down too.  Now: a collection's folder, its extension, depth 1."""
    (editor.root / "content" / "posts" / "sub").mkdir()
    (editor.root / "content" / "posts" / "sub" / "notes.txt").write_text("SUB-SECRET\n")
    (editor.root / "content" / "posts" / "draft.txt").write_text("NOT-AN-ENTRY\n")
    try:
        for params in ({"folder": "content/posts", "extension": "t", "depth": 100},
                       {"folder": "content/posts", "extension": "md", "depth": 2},
                       {"folder": "content/posts", "extension": "txt", "depth": 1},
                       {"folder": "content/posts", "extension": "md", "depth": True},
                       {"folder": "static/images", "extension": "g", "depth": 100}):
            status, answer = call(editor, "entriesByFolder", params)
            assert status == 403, (params, answer)
            assert b"SECRET" not in answer and b"NOT-AN-ENTRY" not in answer
        status, answer = call(editor, "entriesByFolder", {"folder": "content/posts", "extension": "md", "depth": 1})
        assert status == 200 and "welcome.md" in answer.decode()  # what the editor asks for still works
    finally:
        shutil.rmtree(editor.root / "content" / "posts" / "sub")
        (editor.root / "content" / "posts" / "draft.txt").unlink()


def test_a_listing_does_not_read_through_a_link(editor):
    """BROKE: a link in a collection's folder or the media folder (one committed to the site's
    repository is enough) was refused to getEntry but listed, followed and read by entriesByFolder
    and getMedia: config.yaml's text came back.  Now such files are left out of the answer."""
    (editor.root / "config.yaml").write_text((editor.root / "config.yaml").read_text() + "# CONFIG-TEXT\n")
    links = [editor.root / "content" / "posts" / "config.md", editor.root / "static" / "images" / "config.png"]
    for link in links:
        link.symlink_to(editor.root / "config.yaml")
    try:
        status, answer = call(editor, "entriesByFolder", {"folder": "content/posts", "extension": "md", "depth": 1})
        assert status == 200 and b"CONFIG-TEXT" not in answer and "welcome.md" in answer.decode()
        status, answer = call(editor, "getMedia", {"mediaFolder": "static/images"})
        assert status == 200 and b"CONFIG-TEXT" not in json.dumps(json.loads(answer)).encode()
        import base64
        assert all(b"CONFIG-TEXT" not in base64.b64decode(m["content"]) for m in json.loads(answer))
        assert [m["name"] for m in json.loads(answer)] == ["logo.png"]
    finally:
        for link in links:
            link.unlink()


# --- serve's own pages: BROKE, fixed ----------------------------------------------------------------

def test_a_path_cannot_write_headers_into_serves_answer(editor):
    """BROKE: the redirect of a folder without its slash put the decoded path in Location as it
    came: /x%0d%0aSet-Cookie:… (that normalises to a folder) added any header to serve's answer
    (HTTP response splitting), and /%2fevil.example/.. redirected to //evil.example/ (an open
    redirect).  Now a control character is a 404 and Location is the normalised, quoted path."""
    port = editor.port
    answer = raw(port, (f"GET /news%0d%0aSet-Cookie:%20pwned=1%0d%0aX:%20/.. HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                        "Connection: close\r\n\r\n").encode())
    head = answer.split(b"\r\n\r\n")[0]
    assert b"Set-Cookie" not in head and b"pwned" not in head
    for target in ("/%2fevil.example/..", "/%5cevil.example/..", "//evil.example/.."):
        answer = raw(port, f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        head = answer.split(b"\r\n\r\n")[0].decode("latin-1").lower()
        assert "evil.example" not in head, (target, head)
    # the redirect serve is for still comes
    (editor.output_dir / "odd café").mkdir(exist_ok=True)
    answer = raw(port, f"GET /odd%20caf%C3%A9 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 301") and b"\r\nLocation: /odd%20caf%C3%A9/\r\n" in answer


def test_a_page_in_chromium_cannot_set_a_cookie_for_every_local_server(editor, tmp_path):
    """BROKE: the attack above from a page: navigated to serve with a Set-Cookie in the path, the
    browser stored a cookie for 127.0.0.1, which it then sends to every local server on every
    port (cookies do not keep to a port): a session cookie planted in every other local app."""
    # (%2F: the browser resolves the dot segments it sees itself, serve those it decodes)
    evil = (f"http://127.0.0.1:{editor.port}/news%0d%0aSet-Cookie:%20pwned=1;%20Path=%2F;%20Max-Age=600"
            "%0d%0aX:%20%2F..%2F..")
    (tmp_path / "attack.html").write_text(f"<!doctype html><script>location.href = {json.dumps(evil)};</script>")
    with chromium() as browser, served(tmp_path) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{url}/attack.html")
        page.wait_for_url(f"http://127.0.0.1:{editor.port}/**", timeout=10_000)
        page.wait_for_load_state()
        cookies = context.cookies(f"http://127.0.0.1:{editor.port + 1}/")
    assert not [c for c in cookies if c["name"] == "pwned"], cookies


def test_the_editor_cannot_be_framed_by_another_page(editor, tmp_path):
    """BROKE: /admin/ had no frame protection: a page on any origin framed the editor (signed in
    at one click on the local backend) under a decoy and could have the volunteer click Delete
    (clickjacking).  Now /admin/ answers X-Frame-Options: DENY and CSP frame-ancestors 'none'."""
    status, _ = request(editor.port, "GET", "/admin/", headers={"Host": f"127.0.0.1:{editor.port}"})
    assert status == 200
    (tmp_path / "frame.html").write_text(f'<!doctype html><iframe src="http://127.0.0.1:{editor.port}/admin/"></iframe>')
    with chromium() as browser, served(tmp_path) as url:
        page = browser.new_page()
        page.route("https://unpkg.com/**", lambda route: route.abort())  # (nothing leaves the machine)
        page.goto(f"{url}/frame.html")
        page.wait_for_timeout(1500)
        framed = [f for f in page.frames if f is not page.main_frame]
        contents = []
        for frame in framed:
            try:
                contents.append(frame.content())
            except Exception:  # noqa: BLE001 - an error page that went away
                contents.append("")
    assert framed and not any("cms-config-url" in text for text in contents), contents


def test_an_absolute_form_request_target_is_refused(editor):
    """BROKE (outside browsers): `GET http://evil.example:PORT/admin/config.yml` with Host
    127.0.0.1 was answered with the secret (HTTP says such a target's authority replaces Host; a
    proxy in between would have taken evil.example).  Now 421: serve takes origin-form only."""
    port = editor.port
    for target in (f"http://evil.example:{port}/admin/config.yml", f"http://127.0.0.1:{port}/admin/config.yml", "*"):
        answer = raw(port, f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        assert answer.startswith(b"HTTP/1.1 421") and b"local_backend" not in answer, target


# --- the guard's path in NODE_OPTIONS: BROKE, fixed -------------------------------------------------

def test_the_guard_loads_from_a_path_with_quotes_and_backslashes(tmp_path, monkeypatch):
    """BROKE (it failed closed): NODE_OPTIONS named the guard in double quotes without escaping,
    where Node reads a backslash as an escape: site_builder installed under a folder with `\\`
    or `"` could not run serve --cms at all.  Now the path is escaped for NODE_OPTIONS."""
    require_tool("node")
    folder = tmp_path / 'odd "quoted" \\ back ü'
    folder.mkdir()
    shutil.copy(cms_local.GUARD, folder / "decap-guard.cjs")
    monkeypatch.setattr(cms_local, "GUARD", folder / "decap-guard.cjs")
    backend = CmsBackend(make_site(tmp_path / "site"))
    try:
        backend.wait_ready()  # (checks that the guard refuses a request without the token)
        assert backend.post(b'{"action":"info"}', token=False)[0] == 403
    finally:
        backend.stop()
