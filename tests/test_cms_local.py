"""serve --cms cannot be turned against its user (issue 22, section 1; site_builder/cms_local.py).

Each attack of the third break-it pass is replayed against a real `serve --cms` with the real
decap-server behind it: raw HTTP with the headers a hostile page or a DNS-rebinding page sends,
and Chromium itself as the attacker (a page on another port of 127.0.0.1, and a page on a name of
its own that resolves to 127.0.0.1).  The request the editor's own page sends passes, so every
refusal here is the check's doing, not a broken backend.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from site_builder import serve
from site_builder.cms_local import CmsBackend, CmsBackendError, decap_server_command
from tests.browser import chromium, served
from tests.conftest import REPO, require_tool
from tests.test_cms import make_site

NODE_MODULES = REPO / "node_modules"


@pytest.fixture(scope="module")
def editor(tmp_path_factory):
    require_tool("node")
    assert (NODE_MODULES / "decap-server").is_dir(), "make test installs the npm packages (npm ci)"
    site = make_site(tmp_path_factory.mktemp("site"))
    for rel, text in (("templates/base.html", "{% block content %}{% endblock %}\n"),
                      (".github/workflows/deploy.yml", "on: push\n"),
                      (".git/hooks/post-checkout", "#!/bin/sh\n"),
                      ("content/calendar/events.yaml", "events: []\n")):
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    (site / "templates" / "base.html").unlink()  # (a site with no template of its own: may not get one either)
    server = serve.start(site / "config.yaml", port=0, echo=lambda text: None, cms=True)
    try:
        yield server
    finally:
        server.stop()


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root (but serve's private output), with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".cache" not in p.relative_to(root).parts}


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def own(server) -> dict:
    host = f"127.0.0.1:{server.port}"
    return {"Host": host, "Origin": f"http://{host}", "Content-Type": "application/json",
            "Sec-Fetch-Site": "same-origin"}


def served_config(server, host: str | None = None) -> tuple[int, bytes]:
    return request(server.port, "GET", server.base_path + "admin/config.yml",
                   headers={"Host": f"127.0.0.1:{server.port}" if host is None else host})


def api_path(server) -> str:
    status, body = served_config(server)
    assert status == 200
    return urlsplit(json.loads(body)["local_backend"]["url"]).path


def call(server, action: str, params: dict, headers: dict | None = None, path: str | None = None):
    body = json.dumps({"action": action, "params": {"branch": "main", **params}}).encode()
    status, answer = request(server.port, "POST", path or api_path(server), body, {**own(server), **(headers or {})})
    return status, answer


def persist(server, path: str, raw: str = "---\ntitle: X\ndate: 2026-01-02\n---\nHi.\n", **headers):
    return call(server, "persistEntry", {
        "dataFiles": [{"slug": "x", "path": path, "raw": raw}], "assets": [],
        "options": {"commitMessage": "x", "useWorkflow": False, "status": "draft"}}, headers)


# --- the editor's own page: passes ------------------------------------------------------------------

def test_the_served_config_points_at_serves_own_origin_with_a_secret(editor):
    status, body = served_config(editor)
    url = json.loads(body)["local_backend"]["url"]
    assert url.startswith(f"http://127.0.0.1:{editor.port}{editor.base_path}__cms/") and url.endswith("/api/v1")
    secret = urlsplit(url).path.split("/")[-3]
    assert len(secret) >= 32
    assert str(editor.cms_backend.port) not in url  # the backend's own port is never told to a page
    built = (editor.output_dir / "admin" / "config.yml").read_text()
    assert "local_backend" not in built and secret not in built
    # with localhost, the address the volunteer may have typed, the API is on that origin
    status, body = served_config(editor, f"localhost:{editor.port}")
    assert json.loads(body)["local_backend"]["url"].startswith(f"http://localhost:{editor.port}/")


def test_the_editors_own_requests_save_and_delete_posts(editor):
    post = editor.root / "content" / "posts" / "from-the-editor.md"
    status, answer = persist(editor, "content/posts/from-the-editor.md")
    assert (status, json.loads(answer)) == (200, {"message": "entry persisted"})
    assert post.read_text().startswith("---\ntitle: X")
    status, answer = call(editor, "entriesByFolder", {"folder": "content/posts", "extension": "md", "depth": 1})
    assert status == 200 and "from-the-editor.md" in answer.decode()
    status, _ = call(editor, "deleteFiles", {"paths": ["content/posts/from-the-editor.md"],
                                               "options": {"commitMessage": "x"}})
    assert status == 200 and not post.exists()
    status, _ = call(editor, "persistMedia", {"asset": {"path": "static/images/flyer.png", "content": "iVBORw0K",
                                                        "encoding": "base64"}, "options": {"commitMessage": "x"}})
    assert status == 200 and (editor.root / "static" / "images" / "flyer.png").is_file()


# --- writes and deletes: only where the editor writes -----------------------------------------------

@pytest.mark.parametrize("path", [
    "config.yaml", "templates/base.html", ".github/workflows/deploy.yml", ".git/hooks/post-checkout",
    ".git/hooks/pre-commit", "content/posts/../../config.yaml", "content/posts/../../.git/hooks/pre-push",
    "content/posts/.hidden.md", "content/posts/x.html", "content/posts/sub/x.md", "content/calendar/other.yaml",
    "content/x.md", "static/js/site.js", "/etc/passwd", "content//posts/x.md", "content\\posts\\x.md",
    "content/posts/x.md\x00.txt", "static/images/../../config.yaml", "./content/posts/x.md",
])
def test_a_write_outside_the_editors_folders_is_refused(editor, path):
    before = snapshot(editor.root)
    status, answer = persist(editor, path, raw="pwned\n")
    assert status == 403, answer
    assert b"the editor may write only in" in answer
    assert snapshot(editor.root) == before


def test_an_upload_outside_the_media_folder_is_refused(editor):
    before = snapshot(editor.root)
    for asset in ("templates/base.html", "content/posts/x.md", "static/x.png", ".git/config"):
        status, _ = call(editor, "persistMedia", {"asset": {"path": asset, "content": "cHduZWQ=", "encoding": "base64"},
                                                  "options": {"commitMessage": "x"}})
        assert status == 403, asset
        status, _ = call(editor, "persistEntry", {
            "dataFiles": [{"slug": "ok", "path": "content/posts/ok.md", "raw": "---\ntitle: Ok\n---\n"}],
            "assets": [{"path": asset, "content": "cHduZWQ=", "encoding": "base64"}],
            "options": {"commitMessage": "x", "useWorkflow": False, "status": "draft"}})
        assert status == 403, asset  # the entry is refused whole: nothing half-written
    assert snapshot(editor.root) == before


def test_deleting_the_sites_own_files_is_refused_whole(editor):
    before = snapshot(editor.root)
    # the break-it pass's request: config.yaml and a post at once; neither goes
    status, _ = call(editor, "deleteFiles", {"paths": ["config.yaml", "content/posts/welcome.md"]})
    assert status == 403
    for path in ("content/calendar/events.yaml", "content/contracts.yaml", ".git/hooks/post-checkout", "content/posts"):
        status, _ = call(editor, "deleteFile", {"path": path})
        assert status == 403, path
    assert snapshot(editor.root) == before


def test_a_rename_stays_in_its_folder(editor):
    before = snapshot(editor.root)
    status, _ = call(editor, "persistEntry", {
        "dataFiles": [{"slug": "w", "path": "content/posts/welcome.md", "raw": "---\ntitle: W\n---\n",
                       "newPath": "content/pages/welcome.md"}],
        "assets": [], "options": {"commitMessage": "x", "useWorkflow": False, "status": "draft"}})
    assert status == 403
    assert snapshot(editor.root) == before


def test_an_entry_that_is_a_link_is_not_followed(editor, tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text("mine\n")
    link = editor.root / "content" / "posts" / "linked.md"
    link.symlink_to(outside)
    to_config = editor.root / "content" / "pages" / "config.md"
    to_config.symlink_to(editor.root / "config.yaml")
    try:
        for path in ("content/posts/linked.md", "content/pages/config.md"):
            status, answer = persist(editor, path, raw="pwned\n")
            assert status == 403 and b"symbolic link" in answer
            status, _ = call(editor, "getEntry", {"path": path})
            assert status == 403
        assert outside.read_text() == "mine\n" and "pwned" not in (editor.root / "config.yaml").read_text()
    finally:
        link.unlink()
        to_config.unlink()


def test_reads_stay_in_the_editors_folders(editor):
    for action, params in (("getEntry", {"path": "config.yaml"}), ("getEntry", {"path": ".git/config"}),
                           ("getMediaFile", {"path": "content/../config.yaml"}),
                           ("entriesByFiles", {"files": [{"path": "config.yaml"}]}),
                           ("entriesByFolder", {"folder": ".git", "extension": "", "depth": 9}),
                           ("entriesByFolder", {"folder": "", "extension": "yaml", "depth": 1}),
                           ("getMedia", {"mediaFolder": "."})):
        status, answer = call(editor, action, params)
        assert status == 403, (action, params, answer)


@pytest.mark.parametrize("action", ["unpublishedEntries", "publishUnpublishedEntry", "deleteUnpublishedEntry",
                                    "nothing", ""])
def test_actions_the_editor_does_not_use_are_refused(editor, action):
    status, _ = call(editor, action, {})
    assert status == 422


# --- who may ask -------------------------------------------------------------------------------------

def test_a_rebinding_host_is_refused_everywhere(editor):
    evil = f"evil.example:{editor.port}"
    status, body = served_config(editor, evil)  # the page would learn the API's address here
    assert status == 421 and b"local_backend" not in body
    assert request(editor.port, "GET", editor.base_path, headers={"Host": evil})[0] == 421
    before = snapshot(editor.root)
    status, _ = persist(editor, "content/posts/rebound.md", Host=evil, Origin=f"http://{evil}")
    assert status == 421
    assert snapshot(editor.root) == before
    for host in (f"127.0.0.1:{editor.port + 1}", f"localhost.evil.example:{editor.port}", f"127.0.0.1.nip.io:{editor.port}",
                 "", f"user@127.0.0.1:{editor.port}", f"127.0.0.1:{editor.port}/x"):
        assert served_config(editor, host)[0] in (400, 421), host


@pytest.mark.parametrize("headers", [
    {"Origin": "http://localhost:3000"}, {"Origin": "http://127.0.0.1:3000"}, {"Origin": "null"},
    {"Origin": ""}, {"Sec-Fetch-Site": "same-site"}, {"Sec-Fetch-Site": "cross-site"},
    {"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"},
])
def test_a_request_not_from_the_editors_page_is_refused(editor, headers):
    before = snapshot(editor.root)
    status, _ = persist(editor, "content/posts/csrf.md", **headers)
    assert status in (403, 415)
    assert snapshot(editor.root) == before


def test_the_api_needs_this_runs_secret(editor):
    before = snapshot(editor.root)
    real = api_path(editor)
    for path in (real.replace(real.split("/")[-3], "guess"), f"{editor.base_path}__cms/api/v1", "/api/v1",
                 real + "/", real.upper()):
        status, _ = call(editor, "persistEntry", {"dataFiles": [{"slug": "c", "path": "content/posts/c.md", "raw": "x"}],
                                                   "assets": [], "options": {"commitMessage": "x", "useWorkflow": False, "status": "draft"}},
                         path=path)
        assert status == 404, path
    assert snapshot(editor.root) == before


def test_decap_server_answers_serve_only(editor):
    """The break-it pass's direct requests to decap-server's port: refused by the guard."""
    before = snapshot(editor.root)
    port = editor.cms_backend.port
    delete = json.dumps({"action": "deleteFiles", "params": {"branch": "main",
                                                             "paths": ["config.yaml", "content/posts/welcome.md"]}})
    for headers in ({"Origin": "http://localhost:3000"}, {"Origin": f"http://127.0.0.1:{editor.port}"},
                    {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"},
                    # the token alone does not do with another Host, nor the right Host without it
                    {"Host": f"evil.example:{port}", "X-Site-Builder-Token": editor.cms_backend.token},
                    {"X-Site-Builder-Token": "x" * len(editor.cms_backend.token)}):
        status, _ = request(port, "POST", "/api/v1", delete.encode(), {"Content-Type": "application/json", **headers})
        assert status == 403, headers
        status, _ = request(port, "OPTIONS", "/api/v1", None, {"Origin": "http://localhost:3000",
                                                               "Access-Control-Request-Method": "POST", **headers})
        assert status == 403
    assert snapshot(editor.root) == before


def test_serve_refuses_to_start_an_unguarded_backend(tmp_path):
    """The guard's check can fail: decap-server run without it is stopped, never used."""
    require_tool("node")
    command = decap_server_command(make_site(tmp_path))
    if Path(command[0]).name == "node":  # (the guard comes in through NODE_OPTIONS: here it is dropped)
        command = [shutil.which("env") or "env", "-u", "NODE_OPTIONS", *command]
    backend = CmsBackend(tmp_path, command=command)
    with pytest.raises(CmsBackendError, match="did not load site_builder's guard"):
        backend.wait_ready()
    assert backend.process.poll() is not None


# --- Chromium as the attacker ------------------------------------------------------------------------

ATTACK = """<!doctype html><meta charset="utf-8"><title>attack</title><script>
async function attempt(url, init) {
  try { const r = await fetch(url, init); return r.status + ':' + (await r.text()).slice(0, 200); }
  catch (e) { return 'blocked:' + e.name; }
}
window.results = (async () => {
  const json = {'Content-Type': 'application/json'};
  const write = JSON.stringify({action: 'persistEntry', params: {branch: 'main', dataFiles: [
    {slug: 'csrf', path: 'content/posts/csrf.md', raw: '---\\ntitle: csrf\\n---\\n'}], assets: [],
    options: {commitMessage: 'x', useWorkflow: false, status: 'x'}}});
  const remove = JSON.stringify({action: 'deleteFiles', params: {branch: 'main',
    paths: ['config.yaml', 'content/posts/welcome.md']}});
  const out = {};
  out.backendJson = await attempt(BACKEND + '/api/v1', {method: 'POST', headers: json, body: write});
  out.backendPlain = await attempt(BACKEND + '/api/v1', {method: 'POST', body: write});
  out.backendNoCors = await attempt(BACKEND + '/api/v1', {method: 'POST', mode: 'no-cors', body: remove});
  out.config = await attempt(SERVE + 'admin/config.yml', {});
  out.guess = await attempt(SERVE + '__cms/api/v1', {method: 'POST', headers: json, body: write});
  out.guessPlain = await attempt(SERVE + '__cms/api/v1', {method: 'POST', mode: 'no-cors', body: remove});
  return out;
})();
</script>"""


def test_a_page_on_another_local_port_cannot_write_or_delete(editor, tmp_path):
    before = snapshot(editor.root)
    (tmp_path / "attack.html").write_text(ATTACK.replace("BACKEND", json.dumps(editor.cms_backend.url))
                                          .replace("SERVE", json.dumps(f"http://127.0.0.1:{editor.port}/")))
    with chromium() as browser, served(tmp_path) as url:
        page = browser.new_page()
        page.goto(f"{url}/attack.html")
        results = page.evaluate("window.results")
    assert results["config"].startswith("blocked"), results  # another origin cannot read the secret
    assert not any(value.startswith("200") for value in results.values()), results
    assert snapshot(editor.root) == before


def test_a_rebinding_page_in_chromium_gets_nothing(editor, tmp_path):
    """A name of the attacker's that resolves to 127.0.0.1 (DNS rebinding's end state): the page is
    same-origin with serve's port as far as the browser knows, and serve refuses its Host."""
    before = snapshot(editor.root)
    with chromium(("--host-resolver-rules=MAP evil.example 127.0.0.1",)) as browser:
        page = browser.new_page()
        response = page.goto(f"http://evil.example:{editor.port}/")
        assert response.status == 421
        results = page.evaluate("""async () => {
          const r = await fetch('/admin/config.yml');
          const w = await fetch('/__cms/x/api/v1', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                                   body: '{"action":"info"}'});
          return [r.status, await r.text(), w.status];
        }""")
        backend = page.goto(f"http://evil.example:{editor.cms_backend.port}/api/v1")
        assert backend.status == 403
    assert results[0] == 421 and "local_backend" not in results[1] and results[2] == 421
    assert snapshot(editor.root) == before


# --- decap-server ends with serve --------------------------------------------------------------------

NPX_LIKE = """// Like npx: this process is not decap-server; it starts the real one as its child.
const { spawn } = require('child_process');
const child = spawn(process.execPath, [process.env.REAL_DECAP_SERVER], { stdio: 'inherit' });
child.on('exit', code => process.exit(code === null ? 1 : code));
"""


def _backend_processes(site: Path) -> list[int]:
    """The node processes running in the site folder (decap-server and its npx-like parent)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "cwd").resolve() == site.resolve() and b"node" in (proc / "cmdline").read_bytes():
                    if (proc / "stat").read_text().split()[2] != "Z":
                        found.append(int(proc.name))
            except OSError:
                pass
    return found


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "SIGHUP", "SIGKILL"])
def test_decap_server_and_its_parent_end_with_serve(tmp_path, how):
    """`kill <serve pid>` left decap-server (under npx, serve's grandchild) running and holding its
    port. Here decap-server runs under an npx-like parent, as it does on a machine without a
    local copy; every way serve ends (even SIGKILL, with no chance to clean up) ends both."""
    require_tool("node")
    site = make_site(tmp_path)
    wrapper = site / "node_modules" / "decap-server" / "dist" / "index.js"
    wrapper.parent.mkdir(parents=True)
    wrapper.write_text(NPX_LIKE)
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "REAL_DECAP_SERVER": str(NODE_MODULES / "decap-server" / "dist" / "index.js")}
    proc = subprocess.Popen([sys.executable, "-m", "site_builder", "serve", "--cms", "--config", str(site),
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=tmp_path)
    try:
        line = proc.stdout.readline()
        assert re.search(r"at http://127\.0\.0\.1:\d+/", line), line + proc.stderr.read()
        children = _backend_processes(site)
        assert len(children) == 2, children  # the npx-like parent and decap-server
        proc.send_signal(getattr(signal, how))
        proc.wait(timeout=20)
        deadline = time.monotonic() + 10  # (after SIGKILL: the guard sees serve gone within 2 s)
        while time.monotonic() < deadline and _backend_processes(site):
            time.sleep(0.1)
        assert _backend_processes(site) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in _backend_processes(site):
            os.kill(pid, signal.SIGKILL)
