"""`serve --cms`: the editor's local backend, and what it trusts (docs/editor.md).

decap-server (Decap's local backend, MODE=fs) saves wherever it is told inside the site folder, and
asks nobody who is telling it.  So no web page talks to it; the /admin/ page that serve served, in
this run, talks to serve, and serve alone talks to decap-server:

1. decap-server listens on 127.0.0.1 at a free port, with `ORIGIN` set to serve's origin, and
   answers only requests carrying serve's per-run backend token and the Host 127.0.0.1:PORT
   (theme/serve/decap-guard.cjs, loaded into it with NODE_OPTIONS=--require).  Before the editor
   is used, serve checks that a request without the token is refused (`CmsBackend.wait_ready`).
2. The browser's editor posts to `{base}__cms/<secret>/api/v1` on serve's own origin; the secret
   is made per run and written only into the /admin/config.yml that serve serves (never into a
   build's output).  A page of another origin cannot read that file, and without it, cannot
   name the address.
3. serve answers that address only (`EditorRequest.refusal`): for a loopback Host with serve's own
   port, from a loopback client, as a POST whose Origin is serve's own, JSON of at most 50 MB,
   one of the actions the editor uses, and every path in it under the folders and files that
   admin/config.yml's collections and media folder name (`EditorPaths`): never config.yaml,
   templates/, .git/ or .github/, never through a symbolic link, never a type the build refuses.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import posixpath
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from site_builder.config import SiteConfig
from site_builder.errors import SiteError
from site_builder.readers.files import upload_problem  # the build's rule for the media folder, the same function

DECAP_SERVER_VERSION = "3.11.3"  # pinned, as in package.json
GUARD = Path(__file__).parent / "theme" / "serve" / "decap-guard.cjs"
TOKEN_HEADER = "X-Site-Builder-Token"
API = "__cms"  # the editor's API: {base}__cms/<secret>/api/v1
MAX_BODY = 50 * 1024 * 1024  # decap-server's own limit (express.json limit: '50mb')

# The actions the editor sends in publish_mode: simple (decap-server also knows the editorial
# workflow's, which this site never uses).
READS = frozenset({"info", "entriesByFolder", "entriesByFiles", "getEntry", "getMedia", "getMediaFile",
                   "getDeployPreview"})
WRITES = frozenset({"persistEntry", "persistMedia", "deleteFile", "deleteFiles"})


class CmsBackendError(SiteError):
    """decap-server could not be started."""


class Refused(Exception):
    """A request to the editor's API that serve does not pass on: (HTTP status, why)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- who may ask -------------------------------------------------------------------------------------

def host_name(header: str | None, port: int) -> str | None:
    """The host name of a Host header that names serve's own port (lowercased, IPv6 without
    brackets), else None."""
    if not header or len(header) > 300 or any(c in header for c in "/\\@?# \t"):
        return None
    try:
        parts = urlsplit("//" + header)
        given = parts.port or 80
    except ValueError:
        return None
    return parts.hostname if parts.hostname and given == port else None


def is_loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def host_allowed(header: str | None, port: int, listening: str) -> bool:
    """A Host serve answers: a loopback name or address with serve's port; other IP addresses too
    when serve listens beyond the loopback (`--host 0.0.0.0`, to preview on a phone).  Never a
    DNS name other than localhost: that is what a page using DNS rebinding sends."""
    name = host_name(header, port)
    if name is None:
        return False
    return is_loopback(name) or (is_address(name) and not is_loopback(listening or "0.0.0.0"))


# -- where it may write ------------------------------------------------------------------------------

@dataclass(frozen=True)
class EditorPaths:
    """What the editor reads and writes: the folders of its folder collections (each with its
    file extension), the files of its file collections, and the media folder."""

    folders: dict[str, str]
    files: frozenset[str]
    media: str

    @classmethod
    def of(cls, config: SiteConfig) -> "EditorPaths":
        from site_builder import cms

        value = cms.cms_config(config)
        folders = {c["folder"]: c["extension"] for c in value["collections"] if "folder" in c}
        files = frozenset(f["file"] for c in value["collections"] for f in c.get("files", ()))
        return cls(folders, files, value["media_folder"].strip("/"))

    def entry(self, path: str) -> bool:
        """An entry's file: one of the files, or a file of a folder's extension directly in it."""
        folder = posixpath.dirname(path)
        return path in self.files or (folder in self.folders and path.endswith("." + self.folders[folder]))

    def medium(self, path: str) -> bool:
        return posixpath.dirname(path) == self.media

    def check(self, root: Path, action: str, params: Any) -> None:
        """Raise Refused unless every path `params` names is one this action may touch."""
        p = params if isinstance(params, dict) else {}

        def paths(*names: str) -> list[Any]:
            return [p.get(name) for name in names if name in p]

        if action in ("info", "getDeployPreview"):
            return
        if action == "entriesByFolder":
            # (decap-server lists `depth` levels down and any name ending in `extension`: the editor
            # asks for its folder's own entries only, one level, its extension)
            folder = p.get("folder")
            if not isinstance(folder, str) or folder not in self.folders:
                raise Refused(403, f"the editor lists only {', '.join(sorted(self.folders))}")
            if p.get("extension") != self.folders[folder] or p.get("depth") != 1 or isinstance(p.get("depth"), bool):
                raise Refused(403, f"the editor lists only the .{self.folders[folder]} files directly in {folder}")
            if linked(root, folder):
                raise Refused(403, f"{folder}: goes through a symbolic link; the editor does not follow links")
            return
        if action == "getMedia":
            if p.get("mediaFolder") != self.media:
                raise Refused(403, f"the media folder is {self.media}")
            return
        if action == "entriesByFiles":
            wanted = [f.get("path") if isinstance(f, dict) else f for f in p.get("files") or [None]]
            return self._all(root, wanted, lambda x: self.entry(x) or self.medium(x), "read")
        if action in ("getEntry", "getMediaFile"):
            return self._all(root, paths("path") or [None], lambda x: self.entry(x) or self.medium(x), "read")
        if action == "persistEntry":
            files = p.get("dataFiles") or [p.get("entry")]
            if p.get("entry") is not None and p.get("dataFiles"):
                files = [*files, p["entry"]]
            if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
                raise Refused(422, "persistEntry without its files")
            self._all(root, [f.get("path") for f in files], self.entry, "write")
            if any("newPath" in f for f in files):
                # Decap renames entries of nested collections only, and this site's are not nested.
                # decap-server moves them after it has answered, every file of the folder with them,
                # and stops on the first that fails (two renames of one file, or of files side by side)
                raise Refused(403, "the editor does not rename entries (its collections are not nested)")
            assets = p.get("assets") or []
            if not isinstance(assets, list) or not all(isinstance(a, dict) for a in assets):
                raise Refused(422, "persistEntry with malformed assets")
            return self._all(root, [a.get("path") for a in assets], self.upload, "write")
        if action == "persistMedia":
            asset = p.get("asset")
            return self._all(root, [asset.get("path") if isinstance(asset, dict) else None], self.upload, "write")
        if action in ("deleteFile", "deleteFiles"):
            wanted = p.get("paths") if action == "deleteFiles" else [p.get("path")]
            deletable = lambda x: (self.entry(x) and x not in self.files) or self.medium(x)  # noqa: E731
            return self._all(root, wanted if isinstance(wanted, list) and wanted else [None], deletable, "delete")
        raise Refused(422, f"the editor does not use the action {action!r}")

    def listed(self, root: Path, action: str, answer: bytes) -> bytes:
        """decap-server's answer to a listing, without the files the editor may not read (a link
        in the folder, which decap-server follows to anywhere in the site)."""
        if action not in ("entriesByFolder", "getMedia"):
            return answer
        try:
            items = json.loads(answer)
        except ValueError:
            return answer
        if not isinstance(items, list):
            return answer

        def path(item: Any) -> Any:
            return (item.get("file") or {}).get("path") if action == "entriesByFolder" else item.get("path")

        allowed = self.entry if action == "entriesByFolder" else self.medium
        kept = [item for item in items if isinstance(item, dict) and (clean := clean_path(path(item))) is not None
                and allowed(clean) and not linked(root, clean)]
        return answer if len(kept) == len(items) else json.dumps(kept).encode("utf-8")

    def upload(self, path: str) -> bool:
        if not self.medium(path):
            return False
        problem = upload_problem(path)
        if problem:
            raise Refused(403, problem)
        return True

    def _all(self, root: Path, paths: list[Any], allowed, verb: str) -> None:
        for path in paths:
            clean = clean_path(path)
            if clean is None or not allowed(clean):
                shown = repr(path)[:80]
                raise Refused(403, f"{shown}: the editor may {verb} only in "
                                   f"{', '.join(sorted([*self.folders, self.media, *self.files]))}")
            if linked(root, clean):
                raise Refused(403, f"{clean}: goes through a symbolic link; the editor does not follow links")


def clean_path(path: Any) -> str | None:
    """A site-relative posix path with no '..', '.', empty or hidden part, else None."""
    if not isinstance(path, str) or not path or len(path) > 400:
        return None
    if path.startswith("/") or "\\" in path or ":" in path or any(ord(c) < 32 or ord(c) == 127 for c in path):
        return None
    if any("\ud800" <= c <= "\udfff" for c in path):  # (a lone surrogate: no file name, to Python or Node)
        return None
    parts = path.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    return path


def linked(root: Path, path: str) -> bool:
    """Whether any part of `path` under `root` is a symbolic link (or it escapes `root`)."""
    base = os.path.realpath(root)
    return os.path.realpath(os.path.join(base, *path.split("/"))) != os.path.join(base, *path.split("/"))


@dataclass(frozen=True)
class EditorRequest:
    """One request to the editor's API, as serve received it."""

    method: str
    host: str | None
    origin: str | None
    fetch_site: str | None
    content_type: str | None
    length: int | None
    client: str

    def refusal(self, port: int) -> Refused | None:
        """Why serve does not pass this request on (before its body is read), or None."""
        name = host_name(self.host, port)
        if name is None or not is_loopback(name) or not is_loopback(self.client):
            return Refused(403, "the editor's backend answers only this computer's own address")
        if self.method != "POST":
            return Refused(405, "the editor's backend takes POST only")
        if self.origin != f"http://{self.host}" or self.fetch_site not in (None, "same-origin"):
            return Refused(403, "the editor's backend answers only the /admin/ page of this serve")
        if (self.content_type or "").split(";")[0].strip().lower() != "application/json":
            return Refused(415, "the editor's backend takes JSON only")
        if self.length is None or self.length < 0:
            return Refused(411, "a request to the editor's backend needs a Content-Length")
        if self.length > MAX_BODY:
            return Refused(413, f"a request to the editor's backend is at most {MAX_BODY // (1024 * 1024)} MB")
        return None


def parse_action(body: bytes) -> tuple[str, Any]:
    try:  # (UTF-8, as decap-server reads it: serve passes the same bytes on, as application/json)
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # (RecursionError: nested too deep)
        raise Refused(400, "not JSON") from None
    if not isinstance(value, dict) or not isinstance(value.get("action"), str):
        raise Refused(400, "no action")
    action = value["action"]
    if action not in READS | WRITES:
        raise Refused(422, f"the editor does not use the action {action[:40]!r}")
    return action, value.get("params")


# -- decap-server ------------------------------------------------------------------------------------

def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def node_option_quoted(value: str) -> str:
    """`value` for a double-quoted string in NODE_OPTIONS (where a backslash escapes the next character)."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def decap_server_command(root: Path) -> list[str]:
    """How to run decap-server: the site's own node_modules, site_builder's (a checkout with
    `npm ci`), else npx with the pinned version."""
    node = shutil.which("node")
    for base in (root, Path(__file__).resolve().parent.parent):
        script = base / "node_modules" / "decap-server" / "dist" / "index.js"
        if node and script.is_file():
            return [node, str(script)]
    npx = shutil.which("npx")
    if npx:
        return [npx, "--yes", f"decap-server@{DECAP_SERVER_VERSION}"]
    raise CmsBackendError("serve --cms needs Node.js (node and npx) to run decap-server: install it from "
                          "https://nodejs.org/ or your package manager, then try again")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


class CmsBackend:
    """decap-server, the editor's local backend: saves into the site folder (MODE=fs).  It has no
    sign-in, so it listens on the loopback address only (BIND_HOST) and answers only requests
    with this run's `token` (decap-guard.cjs); `origin` is serve's own (decap-server's ORIGIN)."""

    HOST = "127.0.0.1"

    def __init__(self, root: Path, origin: str = "", port: int = 0, command: list[str] | None = None) -> None:
        self.root = root
        self.port = port or _free_port(self.HOST)
        self.token = secrets.token_urlsafe(32)
        options = os.environ.get("NODE_OPTIONS", "")
        env = {**os.environ, "PORT": str(self.port), "BIND_HOST": self.HOST, "MODE": "fs",
               "GIT_REPO_DIRECTORY": str(root), "LOG_LEVEL": "warn", "ORIGIN": origin or self.url,
               "SITE_BUILDER_BACKEND_TOKEN": self.token, "SITE_BUILDER_SERVE_PID": str(os.getpid()),
               "NODE_OPTIONS": f'{options} --require "{node_option_quoted(GUARD.resolve().as_posix())}"'.strip()}
        self.log = tempfile.TemporaryFile()  # (a pipe nobody reads would fill and stop decap-server)
        # its own process group: npx starts decap-server as a grandchild, and stop() ends them all
        self.process = subprocess.Popen(command or decap_server_command(root), cwd=str(root), env=env,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log,
                                        start_new_session=os.name == "posix")

    @property
    def url(self) -> str:
        return f"http://{self.HOST}:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until decap-server listens, then check that it answers only with the token."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                err = self.log.read().decode(errors="replace")
                raise CmsBackendError(f"decap-server stopped at once (exit {self.process.returncode}): "
                                      f"{err.strip()[-500:]}")
            try:
                with socket.create_connection((self.HOST, self.port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise CmsBackendError(f"decap-server did not start listening on {self.url} within {timeout:.0f} s")
        unguarded, _, _ = self.post(b'{"action":"info"}', token=False)
        status, _, body = self.post(b'{"action":"info"}')
        if unguarded != 403 or status != 200 or b"local_fs" not in body:
            self.stop()
            raise CmsBackendError("decap-server did not load site_builder's guard (theme/serve/decap-guard.cjs), "
                                  "so any web page could write to the site; not started "
                                  f"(without the token: HTTP {unguarded}; with it: HTTP {status})")

    def post(self, body: bytes, token: bool = True) -> tuple[int, str, bytes]:
        """POST `body` to decap-server's API: (status, content type, body)."""
        connection = http.client.HTTPConnection(self.HOST, self.port, timeout=120)
        try:
            headers = {"Content-Type": "application/json", **({TOKEN_HEADER: self.token} if token else {})}
            connection.request("POST", "/api/v1", body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type", "application/json"), response.read()
        finally:
            connection.close()

    def stop(self) -> None:
        """End decap-server and whatever it started (npx's child): the whole process group."""
        if os.name != "posix":
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=5)
            self.log.close()
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)  # (its group: start_new_session made it the leader)
            except (ProcessLookupError, PermissionError):
                break
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and (self.process.poll() is None or _group_alive(self.process.pid)):
                time.sleep(0.05)
            if self.process.poll() is not None and not _group_alive(self.process.pid):
                break
        self.process.wait(timeout=5)
        self.log.close()
