"""serve --cms, attacked again (issue 22, section 1): what a fourth break-it pass tried against
the protection of commit e61936c (site_builder/cms_local.py, theme/serve/decap-guard.cjs, serve's
`_api`/`_serve`/`_host_refused`), beyond what tests/test_cms_local.py replays.

A real `serve --cms` with the real decap-server behind it, as there.  Each test says whether the
attack broke the protection (and what now stops it) or held.
"""

from __future__ import annotations

import json
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


# --- a chain through the media folder: BROKE, fixed by section 4 (upload_problem) -------------------

def test_an_uploaded_svg_cannot_use_the_editors_api(editor):
    """BROKE (fixed: the upload is refused, readers.files.upload_problem): a flyer.svg someone sends the volunteer, uploaded through the editor (persistMedia to
    static/images/, as its media library does), is published by serve's rebuild at /images/, on
    serve's own origin; opened there, its script fetches /admin/config.yml (same origin: the
    secret is in it) and writes through the API.  Fix (section 4): refuse .svg/.html in the media
    folder (upload_problem, and the build), or serve media with `Content-Security-Policy: sandbox`."""
    svg = """<svg xmlns="http://www.w3.org/2000/svg"><script>
      fetch('/admin/config.yml').then(r => r.json()).then(c => fetch(c.local_backend.url, {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify({action: 'persistEntry', params: {
        branch: 'main', dataFiles: [{slug: 'p', path: 'content/posts/pwned-by-svg.md', raw: '---\\ntitle: P\\n---\\n'}],
        assets: [], options: {commitMessage: 'x', useWorkflow: false, status: 'x'}}})}))
        .then(r => document.title = 'done ' + r.status, e => document.title = 'failed ' + e);
    </script></svg>"""
    import base64
    status, _ = call(editor, "persistMedia", {"asset": {"path": "static/images/flyer.svg", "encoding": "base64",
                                                        "content": base64.b64encode(svg.encode()).decode()},
                                              "options": {"commitMessage": "x"}})
    target = editor.root / "content" / "posts" / "pwned-by-svg.md"
    try:
        if status == 200:
            deadline = time.monotonic() + 30
            while not (editor.output_dir / "images" / "flyer.svg").is_file() and time.monotonic() < deadline:
                time.sleep(0.2)
            with chromium() as browser:
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{editor.port}/images/flyer.svg")
                page.wait_for_function("document.title.length > 0", timeout=10_000)
        assert not target.exists()
    finally:
        target.unlink(missing_ok=True)
        (editor.root / "static" / "images" / "flyer.svg").unlink(missing_ok=True)


# --- who may ask: odd hosts and requests, HELD ------------------------------------------------------

@pytest.mark.parametrize("host", ["localhost.", "127.0.0.1.", "127.1", "0x7f.1", "0x7f000001", "2130706433",
                                  "017700000001", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "0.0.0.0", "foo.localhost",
                                  "localhost.evil.example", "evil.example", "127.0.0.1%00", "127.0.0.1:80@evil.example"])
def test_odd_host_forms_are_refused(editor, host):
    """HELD: every form of a name that is not exactly a loopback address or localhost (what a
    rebinding page sends, or a name Chromium resolves to 127.0.0.1 itself) gets 421, the
    editor's config included."""
    port = editor.port
    for target in ("/admin/config.yml", api_path(editor)):
        answer = raw(port, f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
        assert answer.split(b" ")[1] in (b"400", b"421") and b"local_backend" not in answer, (host, answer[:80])
    before = snapshot(editor.root)
    status, _ = persist(editor, "content/posts/rebound.md", Host=f"{host}:{port}", Origin=f"http://{host}:{port}")
    assert status in (400, 421)
    assert snapshot(editor.root) == before


def test_duplicate_hosts_and_http_1_0_without_host_are_refused(editor):
    """HELD: serve reads the first Host header (a second, right one does not help), and a request
    with none (HTTP/1.0) is refused."""
    port = editor.port
    answer = raw(port, (f"GET /admin/config.yml HTTP/1.1\r\nHost: evil.example:{port}\r\nHost: 127.0.0.1:{port}\r\n"
                        "Connection: close\r\n\r\n").encode())
    assert answer.startswith(b"HTTP/1.1 421")
    assert raw(port, b"GET /admin/config.yml HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 421")


def test_bodies_that_are_not_plain_json_are_refused_before_they_are_read(editor):
    """HELD: no Content-Length (a chunked body), a huge one (answered at once, nothing read),
    `Expect: 100-continue`, and a pipelined second request after a refused one."""
    port, path = editor.port, api_path(editor)
    head = "\r\n".join(f"{k}: {v}" for k, v in own(editor).items())
    before = snapshot(editor.root)
    chunked = raw(port, (f"POST {path} HTTP/1.1\r\n{head}\r\nTransfer-Encoding: chunked\r\n\r\n"
                         '11\r\n{"action":"info"}\r\n0\r\n\r\n').encode())
    assert chunked.startswith(b"HTTP/1.1 411")
    started = time.monotonic()
    huge = raw(port, f"POST {path} HTTP/1.1\r\n{head}\r\nContent-Length: {10**12}\r\nExpect: 100-continue\r\n\r\n".encode())
    assert b"HTTP/1.1 413" in huge and time.monotonic() - started < 5  # (after http.server's own 100 Continue)
    write = json.dumps({"action": "persistEntry", "params": {"branch": "main", "dataFiles": [
        {"slug": "p", "path": "content/posts/pipelined.md", "raw": "x"}], "assets": [], "options": OPTIONS}}).encode()
    refused = f"POST {path} HTTP/1.1\r\nHost: evil.example:{port}\r\nContent-Length: 0\r\n\r\n".encode()
    second = f"POST {path} HTTP/1.1\r\n{head}\r\nContent-Length: {len(write)}\r\n\r\n".encode() + write
    answer = raw(port, refused + second)
    assert answer.count(b"HTTP/1.1 ") == 1  # (the refused request closes the connection: the second is not read)
    assert snapshot(editor.root) == before


@pytest.mark.parametrize("body, written", [
    # duplicate keys: Python's json and Node's JSON.parse both keep the last, so the checked value is the written one
    (b'{"action":"persistEntry","params":{"branch":"main","dataFiles":[{"slug":"x","path":"config.yaml","raw":"pwned"}],'
     b'"dataFiles":[{"slug":"x","path":"content/posts/dup.md","raw":"ok"}],"assets":[],"options":OPTS}}',
     "content/posts/dup.md"),
    (b'{"action":"persistEntry","params":{"branch":"main","dataFiles":[{"slug":"x","path":"content/posts/dup.md",'
     b'"raw":"ok"}],"dataFiles":[{"slug":"x","path":"config.yaml","raw":"pwned"}],"assets":[],"options":OPTS}}', None),
    (b'{"action":"getEntry","action":"persistEntry","params":{"branch":"main","dataFiles":[{"slug":"x","path":'
     b'"config.yaml","raw":"pwned"}],"assets":[],"options":OPTS}}', None),
    (b'{"action":"persistEntry","params":{"branch":"main","dataFiles":[{"slug":"x","path":"content/posts/d.md",'
     b'"path":"config.yaml","raw":"pwned"}],"assets":[],"options":OPTS}}', None),
    # __proto__: an own key to json and JSON.parse (decap-server's handler would not see its dataFiles;
    # joi's copy does, and refuses the entry and dataFiles together)
    (b'{"action":"persistEntry","params":{"branch":"main","__proto__":{"dataFiles":[{"slug":"x","path":"config.yaml",'
     b'"raw":"pwned"}]},"entry":{"slug":"x","path":"content/posts/proto.md","raw":"ok"},"assets":[],"options":OPTS}}',
     None),
    # a BOM: both skip it; the check still applies
    (b'\xef\xbb\xbf{"action":"persistEntry","params":{"branch":"main","dataFiles":[{"slug":"x","path":"config.yaml",'
     b'"raw":"pwned"}],"assets":[],"options":OPTS}}', None),
    # UTF-16 (Python would read it; serve forwards it as UTF-8, which Node cannot parse), invalid UTF-8, NaN, escapes
    ('{"action":"persistEntry","params":{"branch":"main","dataFiles":[{"slug":"x","path":"content/posts/u16.md",'
     '"raw":"x"}],"assets":[],"options":OPTS}}'.encode("utf-16-le"), None),
    (b'{"action":"persistEntry","params":{"branch":"main","dataFiles":[{"slug":"x","path":"content/posts/\xc0\xaf.md",'
     b'"raw":"x"}],"assets":[],"options":OPTS}}', None),
    (b'{"action":"persistEntry","params":{"branch":"main","dataFiles":[{"slug":"x","path":"content/posts/nan.md",'
     b'"raw":"x"}],"assets":[],"options":OPTS,"n":NaN}}', None),
    (b'{"action":"persistEntry","params":{"branch":"main","dataFiles":[{"slug":"x","path":"\\u0063onfig.yaml",'
     b'"raw":"pwned"}],"assets":[],"options":OPTS}}', None),
    (b'{"action":"persistEntry","params":{"branch":"main","dataFiles":[{"slug":"x","path":"content/posts/\\u002e'
     b'\\u002e/\\u002e\\u002e/config.yaml","raw":"pwned"}],"assets":[],"options":OPTS}}', None),
    # a second request after the JSON (smuggling one to decap-server): not JSON to Python (serve sends
    # its own request, with its own Content-Length, on a connection of its own)
    (b'{"action":"info"}\r\n\r\nPOST /api/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}', None),
    # the xor decap-server checks: entry and dataFiles both given is refused by one or the other
    (b'{"action":"persistEntry","params":{"branch":"main","entry":{"slug":"x","path":"config.yaml","raw":"pwned"},'
     b'"dataFiles":[],"assets":[],"options":OPTS}}', None),
    (b'{"action":"persistEntry","params":{"branch":"main","entry":{"slug":"x","path":"content/posts/e.md","raw":"x"},'
     b'"dataFiles":[{"slug":"x","path":"content/posts/f.md","raw":"x"}],"assets":[],"options":OPTS}}', None),
])
def test_python_and_node_read_one_json_alike(editor, body, written):
    """HELD: where serve's json and decap-server's JSON.parse could disagree (the classic bypass),
    they do not: what serve checked is what decap-server writes, or nothing is written."""
    body = body.replace(b"OPTS", json.dumps(OPTIONS).encode()) if not body.startswith(b"{\x00") else \
        body.decode("utf-16-le").replace("OPTS", json.dumps(OPTIONS)).encode("utf-16-le")
    config = (editor.root / "config.yaml").read_bytes()
    before = snapshot(editor.root)
    status, answer = request(editor.port, "POST", api_path(editor), body, own(editor))
    assert (editor.root / "config.yaml").read_bytes() == config
    after = snapshot(editor.root)
    try:
        assert sorted(set(after) - set(before)) == ([written] if written else []), (status, answer)
        assert all(after[k] == v for k, v in before.items())
    finally:
        for new in set(after) - set(before):
            (editor.root / new).unlink()


@pytest.mark.parametrize("path", [
    "Content/posts/x.md", "content/POSTS/x.md", "CONFIG.YAML", "Config.yaml", "content/posts/X.MD",
    "content/calendar/EVENTS.yaml", "content/Contracts.yaml", "Static/images/x.png", "TEMPLATES/base.html",
    "content\uff0fposts\uff0fx.md", "\uff43ontent/posts/x.md", "content/posts/x.md\u200b", "content/posts/x.md/",
    "content/posts/x.md/.", "content/posts/%2e%2e/%2e%2e/config.yaml", "content/posts/..%2fconfig.yaml.md",
    "content/posts/" + "a" * 400 + ".md", "content/posts/x.md;.yaml", "content/posts\u2215x.md",
])
def test_case_unicode_and_encoding_variants_name_no_other_file(editor, path):
    """HELD: the check compares exact strings against the folders and files the editor names, and
    decap-server writes that exact string: a case variant (on a case-insensitive disk it would
    be another name of a refused file), a look-alike slash, a percent-encoding (decap-server
    decodes nothing), a trailing slash or a 400-character name is refused, or stays a name in its
    own folder; deleting the calendar or contracts files by a case variant is refused too."""
    before = snapshot(editor.root)
    status, _ = persist(editor, path, raw="pwned\n")
    new = set(snapshot(editor.root)) - set(before)
    try:
        assert status == 403 or all(n.startswith("content/posts/") and n.count("/") == 2 for n in new), (status, new)
        if status != 403:
            assert path.startswith("content/posts/") and "/" not in path[len("content/posts/"):]
        assert (editor.root / "config.yaml").read_bytes() == before["config.yaml"]
        status, _ = call(editor, "deleteFiles", {"paths": [path], "options": {"commitMessage": "x"}})
        assert status == 403 or path.startswith("content/posts/")
    finally:
        for n in set(snapshot(editor.root)) - set(before):
            (editor.root / n).unlink()
    assert set(snapshot(editor.root)) == set(before)


# --- decap-server's own port, around the guard: HELD -----------------------------------------------

def test_decap_servers_port_refuses_every_trick_without_the_token(editor):
    """HELD: HTTP/1.0 without Host, `Expect: 100-continue`, a WebSocket upgrade, CONNECT, an
    absolute-form target, a chunked body, and a second request pipelined on the same connection:
    all 403 before decap-server's code (the guard sees each request), nothing written."""
    port = editor.cms_backend.port
    before = snapshot(editor.root)
    delete = json.dumps({"action": "deleteFiles", "params": {"branch": "main", "paths": ["config.yaml"],
                                                             "options": {"commitMessage": "x"}}}).encode()
    host = f"127.0.0.1:{port}"
    post = (f"POST /api/v1 HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(delete)}\r\n\r\n").encode() + delete
    attempts = [
        b"POST /api/v1 HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(delete) + delete,
        post.replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n", 1),
        post.replace(b"\r\n\r\n", b"\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 1),
        f"CONNECT {host} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode(),
        post.replace(b"POST /api/v1", f"POST http://{host}/api/v1".encode(), 1),
        (f"POST /api/v1 HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
         f"{len(delete):x}\r\n").encode() + delete + b"\r\n0\r\n\r\n",
        f"GET /api/v1 HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() + post,  # pipelined
        post.replace(b"\r\n\r\n", b"\r\nX-Site-Builder-Token: \r\nX-Site-Builder-Token: x\r\n\r\n", 1),
    ]
    for data in attempts:
        answer = raw(port, data, timeout=5)
        assert b"200 OK" not in answer and b"deleted" not in answer, (data[:60], answer[:200])
        statuses = [line.split(b" ")[1] for line in answer.split(b"\r\n") if line.startswith(b"HTTP/1.")]
        assert all(s in (b"100", b"400", b"403") for s in statuses), (data[:60], answer[:200])
    assert snapshot(editor.root) == before
    assert alive(editor)


# --- odd places and many requests: HELD ------------------------------------------------------------

def test_serve_cms_runs_guarded_from_a_site_folder_with_spaces_quotes_and_accents(tmp_path):
    """HELD: the site folder reaches decap-server as an environment variable (GIT_REPO_DIRECTORY),
    never through NODE_OPTIONS: it starts, the guard is in place, and the editor saves there."""
    site = make_site(tmp_path / 'Local 12 "site" ünïon \\ $HOME')
    server = start(site)
    try:
        backend = server.cms_backend
        assert backend.post(b'{"action":"info"}', token=False)[0] == 403
        status, _ = persist(server, "content/posts/odd-place.md")
        assert status == 200 and (site / "content" / "posts" / "odd-place.md").is_file()
    finally:
        server.stop()


def test_a_dot_env_in_the_site_folder_changes_nothing_the_guard_relies_on(tmp_path):
    """HELD: decap-server reads `.env` in its working folder, the site (dotenv), which a
    contributor could commit; dotenv never overrides a variable already set, and serve sets every
    one that matters (the token, PORT, BIND_HOST, ORIGIN, MODE, GIT_REPO_DIRECTORY)."""
    site = make_site(tmp_path)
    token = "x" * 43
    (site / ".env").write_text(f"SITE_BUILDER_BACKEND_TOKEN={token}\nBIND_HOST=0.0.0.0\nORIGIN=*\nMODE=git\n"
                               "GIT_REPO_DIRECTORY=/\nPORT=1\n")
    server = start(site)
    try:
        port = server.cms_backend.port
        for headers in ({}, {"X-Site-Builder-Token": token}):
            status, _ = request(port, "POST", "/api/v1", b'{"action":"info"}',
                                {"Content-Type": "application/json", **headers})
            assert status == 403, headers
        status, answer = call(server, "info", {})
        assert status == 200 and json.loads(answer)["type"] == "local_fs"
        address = _other_address()
        if address:
            with pytest.raises(OSError):
                socket.create_connection((address, port), timeout=2).close()
    finally:
        server.stop()


def _other_address() -> str | None:
    """An address of this machine that is not a loopback one (a computer on the network, to serve)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("192.0.2.1", 9))  # (no packet is sent: only the route is looked up)
            address = sock.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_with_host_0_0_0_0_another_computer_gets_the_preview_but_never_the_editor(tmp_path):
    """HELD: `serve --cms --host 0.0.0.0` answers the preview to another computer, and refuses it
    the editor's config and API whatever Host and Origin it sends (loopback ones included), and
    decap-server is not reachable on that address at all."""
    address = _other_address()
    assert address is not None, "this test needs an address of the machine's own beyond the loopback (a network route)"
    require_tool("node")
    site = make_site(tmp_path)
    server = serve.start(site / "config.yaml", host="0.0.0.0", port=0, echo=lambda text: None, cms=True)
    try:
        port, path = server.port, api_path(server)

        def from_outside(data: bytes) -> bytes:
            with socket.create_connection((address, port), timeout=10, source_address=(address, 0)) as sock:
                sock.sendall(data)
                out = b""
                while chunk := sock.recv(65536):
                    out += chunk
                return out

        assert from_outside(f"GET / HTTP/1.1\r\nHost: {address}:{port}\r\nConnection: close\r\n\r\n".encode()
                            ).startswith(b"HTTP/1.1 200")
        before = snapshot(site)
        write = json.dumps({"action": "persistEntry", "params": {"branch": "main", "dataFiles": [
            {"slug": "p", "path": "content/posts/lan.md", "raw": "x"}], "assets": [], "options": OPTIONS}}).encode()
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"{address}:{port}"):
            answer = from_outside(f"GET /admin/config.yml HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            assert answer.split(b" ")[1] in (b"403", b"421") and b"local_backend" not in answer, host
            answer = from_outside((f"POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n"
                                   f"Content-Type: application/json\r\nContent-Length: {len(write)}\r\n\r\n").encode() + write)
            assert answer.split(b" ")[1] in (b"403", b"421"), host
        with pytest.raises(OSError):
            socket.create_connection((address, server.cms_backend.port), timeout=2).close()
        assert snapshot(site) == before
    finally:
        server.stop()


def test_many_connections_at_once_are_all_answered(editor):
    """BROKE: serve listened with socketserver's backlog of 5: of 3 x 48 editor requests at once,
    7 to 11 were reset (ConnectionResetError), the editor's save among them; a page (or pages of
    several sites, each with its own connections) opening many at once could do that to the
    editor.  Now the backlog is 128."""
    failures: list[str] = []
    statuses: list[int] = []

    def one() -> None:
        try:
            statuses.append(call(editor, "info", {})[0])  # (two connections each: the config, then the API)
        except OSError as exc:
            failures.append(type(exc).__name__)

    for _ in range(3):
        threads = [threading.Thread(target=one) for _ in range(48)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert failures == [] and statuses == [200] * 144, (failures, set(statuses))


def test_many_editor_requests_at_once_while_serve_rebuilds(editor):
    """HELD: 24 writes in parallel (serve rebuilding under them), with refused ones among them:
    each allowed one is written, each refused one is not, and serve and decap-server go on."""
    before = snapshot(editor.root)
    results: dict[int, int] = {}

    def one(i: int) -> None:
        path = f"content/posts/parallel-{i}.md" if i % 3 else f"templates/parallel-{i}.html"
        results[i] = persist(editor, path, raw=f"---\ntitle: P{i}\ndate: 2026-01-02\n---\n{i}\n")[0]

    threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert {i: s for i, s in results.items()} == {i: (200 if i % 3 else 403) for i in range(24)}
        for i in range(24):
            assert (editor.root / "content" / "posts" / f"parallel-{i}.md").is_file() == bool(i % 3)
        assert not (editor.root / "templates").exists()
        assert alive(editor)
    finally:
        for i in range(24):
            (editor.root / "content" / "posts" / f"parallel-{i}.md").unlink(missing_ok=True)
    time.sleep(0.5)
    assert set(snapshot(editor.root)) == set(before)


# --- Chromium as the attacker: HELD ----------------------------------------------------------------

CROSS = """<!doctype html><meta charset="utf-8"><body><script>
window.results = (async () => {
  const out = {};
  const wait = ms => new Promise(r => setTimeout(r, ms));
  // the config as a script, a stylesheet, a frame, an object: nothing of it readable here
  window.onerror = (m) => { out.scriptError = String(m); };
  const s = document.createElement('script'); s.src = SERVE + 'admin/config.yml'; document.body.append(s);
  const l = document.createElement('link'); l.rel = 'stylesheet'; l.href = SERVE + 'admin/config.yml'; document.head.append(l);
  const f = document.createElement('iframe'); f.src = SERVE + 'admin/config.yml'; document.body.append(f);
  await wait(1000);
  try { out.frame = f.contentDocument ? f.contentDocument.body.innerText : 'no access'; } catch (e) { out.frame = 'blocked:' + e.name; }
  try { out.css = [...l.sheet.cssRules].map(r => r.cssText).join(''); } catch (e) { out.css = 'blocked:' + e.name; }
  // WebSockets do not keep to the same-origin rule: to serve and to decap-server
  for (const [name, port] of [['wsServe', SPORT], ['wsBackend', BPORT]]) {
    out[name] = await new Promise(resolve => {
      const ws = new WebSocket('ws://127.0.0.1:' + port + '/api/v1');
      ws.onopen = () => resolve('open'); ws.onerror = () => resolve('error'); ws.onmessage = e => resolve('message:' + e.data);
      setTimeout(() => resolve('timeout'), 3000);
    });
  }
  // a form, text/plain, to decap-server (no preflight, no token)
  const form = document.createElement('form');
  form.method = 'POST'; form.enctype = 'text/plain'; form.action = 'http://127.0.0.1:' + BPORT + '/api/v1'; form.target = 'sink';
  const input = document.createElement('input'); input.name = '{"action":"deleteFiles","params":{"branch":"main","paths":["config.yaml"],"options":{"commitMessage":"x"}},"x":"';
  input.value = '"}'; form.append(input);
  const sink = document.createElement('iframe'); sink.name = 'sink'; document.body.append(sink); document.body.append(form);
  form.submit();
  await wait(1000);
  // a popup of the editor: no handle into it
  const w = window.open(SERVE + 'admin/config.yml');
  await wait(1000);
  try { out.popup = w.document.body.innerText; } catch (e) { out.popup = 'blocked:' + e.name; }
  return out;
})();
</script>"""


def test_a_page_in_chromium_cannot_read_the_config_or_reach_decap_server(editor, tmp_path):
    """HELD: a page on another local port tries the config as script, stylesheet, frame and popup,
    WebSockets to both ports, and a text/plain form to decap-server; and a page on a *.localhost
    name (which Chromium itself resolves to 127.0.0.1) is refused like a rebinding page."""
    before = snapshot(editor.root)
    page_text = (CROSS.replace("SERVE", json.dumps(f"http://127.0.0.1:{editor.port}/"))
                 .replace("SPORT", str(editor.port)).replace("BPORT", str(editor.cms_backend.port)))
    (tmp_path / "cross.html").write_text(page_text)
    secret = api_path(editor).split("/")[-3]
    with chromium() as browser, served(tmp_path) as url:
        page = browser.new_page()
        page.goto(f"{url}/cross.html")
        results = page.evaluate("window.results")
        localhost = browser.new_page()
        response = localhost.goto(f"http://editor.localhost:{editor.port}/admin/config.yml")
        assert response.status == 421 and secret not in localhost.content()
    assert secret not in json.dumps(results), results
    assert results["frame"] in ("no access", "blocked:SecurityError") and results["css"].startswith("blocked"), results
    assert results["popup"].startswith("blocked"), results
    assert results["wsServe"] != "open" and results["wsBackend"] != "open", results
    assert snapshot(editor.root) == before
