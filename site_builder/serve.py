"""`site-builder serve`: build a preview (drafts and future posts shown), serve it, rebuild on change.

- Every rebuild goes through `build.build()` into a private folder (`.cache/serve/output`), so the
  writer's atomic swap means the server always reads one whole, good site.  A failing build leaves
  the last good site in place; its problems go to the terminal and, over Server-Sent Events, to an
  overlay in every open tab.
- watchdog watches config.yaml, content/, templates/ and static/ (never output/, .cache/ or editor
  temp files); a burst of events is debounced into one rebuild on one background thread.
- The live-reload script (theme/serve/livereload.js) is injected into HTML responses here, at
  serve time; build output never contains it.
- No module-level mutable state: everything lives on the `Server` object.
"""

from __future__ import annotations

import functools
import html
import json
import mimetypes
import posixpath
import queue
import re
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.client import HTTPException
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, quote, unquote, urlsplit

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from site_builder.build import BuildOptions, build, preview_edits, serve_output_dir
from site_builder.cache import BuildCache
from site_builder.clock import build_time
from site_builder.cms_local import (API, CmsBackend, CmsBackendError, EditorPaths, EditorRequest, Refused,  # noqa: F401
                                     host_allowed, parse_action)
from site_builder.readers.source import skipped_name
from site_builder.config import CONFIG_NAME, SiteConfig, load_config
from site_builder.errors import BuildFailed, Problem, SiteError
from site_builder.hosts import security_headers, source_hash
from site_builder.writer import replace_in

WATCHED_DIRS = ("content", "templates", "static")
LIVERELOAD = "__livereload"
DEBOUNCE_SECONDS = 0.05  # an editor's save is a burst of events within a few ms
KEEPALIVE_SECONDS = 15.0
# Files that pages load: when one changes, every open tab reloads.
SUBRESOURCES = frozenset({".css", ".js", ".mjs", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".ico",
                          ".woff", ".woff2", ".ttf", ".otf", ".wasm", ".pf_meta", ".pf_index", ".pf_fragment"})

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".ics": "text/calendar; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
}


def content_type(path: str) -> str:
    suffix = posixpath.splitext(path)[1].lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


def is_ignored_name(name: str) -> bool:
    """Editor temp and backup files: `.#x` (Emacs), `x~`, `.x.swp` (Vim), `4913` (Vim's probe), hidden files."""
    return (
        skipped_name(name)
        or name.endswith((".swo", ".swx", ".part", ".crdownload"))
        or name == "4913"
        or (name.startswith("#") and name.endswith("#"))
    )


def is_relevant(path: str | bytes, root: Path) -> bool:
    """Does a change at `path` (absolute) affect the build of the site at `root`?"""
    if isinstance(path, bytes):
        path = path.decode(errors="replace")
    try:
        parts = Path(path).relative_to(root).parts
    except ValueError:
        return False
    if not parts:
        return False
    if len(parts) == 1:
        return parts[0] == CONFIG_NAME or parts[0] in WATCHED_DIRS
    return parts[0] in WATCHED_DIRS and not any(is_ignored_name(p) for p in parts[1:])


# -- the injected script ---------------------------------------------------------------------------

LIVERELOAD_JS = Path(__file__).parent / "theme" / "serve" / "livereload.js"  # (not in theme/static: never built)


@functools.lru_cache(maxsize=1)
def _livereload_code() -> str:
    return LIVERELOAD_JS.read_text(encoding="utf-8")


def livereload_script(build_number: int, version: int, endpoint: str) -> str:
    """The <script> element serve puts into a page: the theme's serve/livereload.js, inline, with
    the build, version and event-stream address as data attributes."""
    return (f'<script id="site-builder-livereload" data-build="{int(build_number)}" data-version="{int(version)}" '
            f'data-url="{html.escape(endpoint, quote=True)}">{_livereload_code()}</script>\n')


_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
# base.html's copy of the pages' policy (for hosts that send no headers), which would refuse the
# script: serve sends that policy as a header, with the script's hash (Server.security_headers).
_META_POLICY = re.compile(rb'<meta http-equiv="Content-Security-Policy" content="[^"]*">\n?')


def inject(page: bytes, script: str) -> bytes:
    """Insert `script` before the last `</body>` (or at the end when there is none); drop the
    page's <meta> policy."""
    page = _META_POLICY.sub(b"", page, count=1)
    data = script.encode("utf-8")
    matches = list(_BODY_END.finditer(page))
    if not matches:
        return page + data
    at = matches[-1].start()
    return page[:at] + data + page[at:]


# -- build state and broadcasting ------------------------------------------------------------------

@dataclass(frozen=True)
class State:
    build: int  # number of the last good build (0: none yet)
    problems: tuple[str, ...]  # the current failure, if the last attempt failed

    def message(self, **more) -> str:
        return json.dumps({"build": self.build, "problems": list(self.problems), **more})


class ChangeLog:
    """Which pages changed at each announced version (a counter bumped by every reload event, the
    preview's included), so that a tab whose event stream opens late (it was loading while a
    change was announced) still learns whether its page changed since it was served.  Keeps the
    last `keep` versions; asked about anything older, it answers None ("assume everything")."""

    def __init__(self, keep: int = 256) -> None:
        self._lock = threading.Lock()
        self._keep = keep
        self.version = 0
        self._entries: list[tuple[int, tuple[str, ...] | None]] = []

    def add(self, paths: list[str] | None) -> int:
        with self._lock:
            self.version += 1
            self._entries.append((self.version, None if paths is None else tuple(paths)))
            del self._entries[:-self._keep]
            return self.version

    def since(self, version: int) -> list[str] | None:
        with self._lock:
            if version >= self.version:
                return []
            newer = [paths for v, paths in self._entries if v > version]
            if len(newer) < self.version - version or any(p is None for p in newer):
                return None
            return sorted({p for paths in newer for p in paths})


class Broadcaster:
    """One queue per open EventSource; a new message goes to all of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: set[queue.Queue] = set()
        self.closed = threading.Event()

    def subscribe(self) -> queue.Queue:
        q: queue.Queue = queue.Queue()
        with self._lock:
            self._clients.add(q)
        return q

    def unsubscribe(self, q: queue.Queue) -> None:
        with self._lock:
            self._clients.discard(q)

    def send(self, event: str, data: str, event_id: int | None = None) -> int:
        with self._lock:
            clients = list(self._clients)
        for q in clients:
            q.put((event, data, event_id))
        return len(clients)

    def close(self) -> None:
        self.closed.set()
        with self._lock:
            clients = list(self._clients)
        for q in clients:
            q.put(None)


# -- watching ---------------------------------------------------------------------------------------

class _Changes(FileSystemEventHandler):
    def __init__(self, root: Path, on_change: Callable[[str], None]) -> None:
        self.root, self.on_change = root, on_change

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type == "modified":
            return
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        if any(p and is_relevant(p, self.root) for p in paths):
            self.on_change(paths[1] or paths[0])


# -- HTTP -------------------------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    server: "_HTTPServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet; the terminal shows builds
        pass

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._serve(head=False)

    def _send(self, status: int, body: bytes, ctype: str, head: bool, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in [*(extra or {}).items(), *self.server.app.security_headers(self.path, ctype)]:
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        self._api()

    def do_OPTIONS(self) -> None:  # noqa: N802 - (no CORS: the editor's page is served from this origin)
        self._refuse(Refused(405, "serve answers GET, HEAD and the editor's POST only"))

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS  # noqa: N815

    def _refuse(self, refused: Refused) -> None:
        self.close_connection = True
        self._send(refused.status, (refused.message + "\n").encode("utf-8"), "text/plain; charset=utf-8",
                   self.command == "HEAD", {"Connection": "close"})

    def _host_refused(self, app: "Server") -> bool:
        """A Host that is not this serve's (a page using DNS rebinding sends its own name): refused;
        so is a request-target in absolute form (`GET http://other.example/ HTTP/1.1`, whose
        authority HTTP says to take over the Host header; browsers send it to proxies only)."""
        if self.path.startswith("/") and host_allowed(self.headers.get("Host"), app.port, app.host):
            return False
        self._refuse(Refused(HTTPStatus.MISDIRECTED_REQUEST,
                             f"site-builder serve answers only http://127.0.0.1:{app.port}/ and http://localhost:{app.port}/"))
        return True

    def _api(self) -> None:
        """The editor's API (`{base}__cms/<secret>/api/v1`): checked here, then passed to
        decap-server (site_builder/cms_local.py says what is refused and why)."""
        app = self.server.app
        if self._host_refused(app):
            return
        path = urlsplit(self.path).path
        if app.cms_backend is None or not secrets.compare_digest(path.encode(), app.editor_api_path.encode()):
            return self._refuse(Refused(HTTPStatus.NOT_FOUND, "not found"))
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            length = None
        request = EditorRequest(self.command, self.headers.get("Host"), self.headers.get("Origin"),
                                self.headers.get("Sec-Fetch-Site"), self.headers.get("Content-Type"), length,
                                self.client_address[0])
        try:
            refused = request.refusal(app.port)
            if refused is not None:
                raise refused
            body = self.rfile.read(length or 0)
            action, params = parse_action(body)
            paths = app.editor_paths
            if paths is None:
                raise Refused(HTTPStatus.FORBIDDEN, "config.yaml has no cms: section now")
            paths.check(app.root, action, params)
        except Refused as refused:
            return self._refuse(refused)
        try:
            status, ctype, answer = app.cms_backend.post(body)
        except (OSError, HTTPException) as exc:  # decap-server stopped (or hangs): the editor is told, serve goes on
            return self._refuse(Refused(HTTPStatus.BAD_GATEWAY, f"the editor's backend (decap-server) did not answer: "
                                                                f"{exc}; restart site-builder serve --cms"))
        if status == 200:
            answer = paths.listed(app.root, action, answer)
        self._send(status, answer, ctype, False)

    def _serve(self, head: bool) -> None:
        app = self.server.app
        if self._host_refused(app):
            return
        base = app.base_path
        path = unquote(urlsplit(self.path).path)
        if path == base + LIVERELOAD:
            return self._events(app, urlsplit(self.path).query, self.headers.get("Last-Event-ID"))
        if not path.startswith(base):
            if path.rstrip("/") == base.rstrip("/"):
                return self._send(HTTPStatus.MOVED_PERMANENTLY, b"", "text/plain", head, {"Location": base})
            if path in ("/", "/index.html"):
                return self._send(HTTPStatus.FOUND, b"", "text/plain", head, {"Location": base})
            return self._not_found(app, head)
        rel = path[len(base):]
        norm = posixpath.normpath("/" + rel).lstrip("/")
        if any(ord(c) < 32 or ord(c) == 127 for c in path) or norm.startswith(".."):
            return self._not_found(app, head)  # (no file has a control character; a header must never get one)
        root = app.output_dir
        target = root / norm if norm not in ("", ".") else root
        if target.is_dir():
            if rel and not rel.endswith("/"):  # (the normalised path: never `//other.example/`)
                location = quote(base + (norm + "/" if norm not in ("", ".") else ""))
                return self._send(HTTPStatus.MOVED_PERMANENTLY, b"", "text/plain", head, {"Location": location})
            target = target / "index.html"
        script = app.script()  # (taken before the file is read: a change in between reloads, never is missed)
        try:
            body = target.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return self._not_found(app, head)
        ctype = content_type(target.name)
        editor = norm == "admin" or norm.startswith("admin/")
        if editor and norm == "admin/config.yml" and app.cms_backend is not None:
            from site_builder.cms import local_config_yml
            from site_builder.cms_local import host_name, is_loopback

            name = host_name(self.headers.get("Host"), app.port)
            if not (name and is_loopback(name) and is_loopback(self.client_address[0])):
                return self._refuse(Refused(HTTPStatus.FORBIDDEN, "the editor is served to this computer only"))
            api = f"http://{self.headers['Host']}{app.editor_api_path}"
            body = local_config_yml(body.decode("utf-8"), api).encode("utf-8")
            ctype = "text/yaml; charset=utf-8"
        if ctype.startswith("text/html") and not editor:  # (a reload would lose the editor's unsaved work)
            body = inject(body, script)
        # (no other site frames the editor, to have it clicked through under a decoy: _send's headers)
        self._send(HTTPStatus.OK, body, ctype, head)

    def _not_found(self, app: "Server", head: bool) -> None:
        script = app.script()
        try:
            body = (app.output_dir / "404.html").read_bytes()
        except OSError:
            body = b"<!doctype html><title>Not found</title><h1>Not found</h1></body>"
        self._send(HTTPStatus.NOT_FOUND, inject(body, script), "text/html; charset=utf-8", head)

    def _events(self, app: "Server", query: str, last_event_id: str | None) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        q = app.events.subscribe()
        try:
            # (a reconnecting EventSource sends the id of the last event it saw: newer than ?since=)
            message, version = app.state_message(query, last_event_id)
            self._write_event("state", message, retry=500, event_id=version)
            while not app.events.closed.is_set():
                try:
                    item = q.get(timeout=KEEPALIVE_SECONDS)
                except queue.Empty:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    continue
                if item is None:
                    break
                event, data, event_id = item
                self._write_event(event, data, event_id=event_id)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            app.events.unsubscribe(q)

    def _write_event(self, event: str, data: str, retry: int | None = None, event_id: int | None = None) -> None:
        text = f"retry: {retry}\n" if retry else ""
        text += f"id: {event_id}\n" if event_id is not None else ""
        text += f"event: {event}\n" + "".join(f"data: {line}\n" for line in data.split("\n")) + "\n"
        self.wfile.write(text.encode("utf-8"))
        self.wfile.flush()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # (socketserver's 5: connections beyond it, a page's many at once, were reset)

    def __init__(self, address, app: "Server") -> None:
        self.app = app
        super().__init__(address, _Handler)


# -- the server -------------------------------------------------------------------------------------

def _url_host(host: str) -> str:
    """The host part of a URL for the address serve listens on (127.0.0.1 for every address)."""
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _default_echo(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Requests:
    """Rebuild requests from the watcher, debounced: `next()` blocks until a burst of changes has
    been quiet for DEBOUNCE_SECONDS and returns the files changed in it (None once stopped)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._since: float | None = None  # when the first change of the waiting burst came
        self._last = 0.0  # when its latest change came
        self._edited: set[str] = set()  # files changed in it
        self._stopping = False

    def add(self, path: str = "") -> None:
        with self._cond:
            if path:
                self._edited.add(path)
            now = time.monotonic()
            if self._since is None:
                self._since = now
            self._last = now
            self._cond.notify()

    @property
    def waiting(self) -> bool:
        with self._cond:
            return self._since is not None

    def next(self) -> set[str] | None:
        with self._cond:
            while not self._stopping:
                if self._since is not None:
                    wait = self._last + DEBOUNCE_SECONDS - time.monotonic()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                else:
                    self._cond.wait()
            if self._stopping:
                return None
            self._since = None
            edited, self._edited = self._edited, set()
            return edited

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()


class Attempts:
    """How many builds have been attempted; tests and the benchmark wait on it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.count = 0

    def add(self) -> None:
        with self._cond:
            self.count += 1
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.count >= count, timeout)


class Watcher:
    """watchdog on config.yaml and the watched folders of `root`; a folder created later is
    watched once `watch_new()` sees it."""

    def __init__(self, root: Path, on_change: Callable[[str], None]) -> None:
        self.root = root
        self.observer = Observer()
        self._handler = _Changes(root, on_change)
        self._watched: set[str] = set()

    def start(self) -> None:
        self.observer.schedule(self._handler, str(self.root), recursive=False)
        self.watch_new(quiet=False)
        self.observer.start()

    def watch_new(self, quiet: bool = True) -> None:
        """Watch the folders not watched yet; `quiet`: one that cannot be is tried again next time."""
        for name in WATCHED_DIRS:
            folder = self.root / name
            if name not in self._watched and folder.is_dir():
                try:
                    self.observer.schedule(self._handler, str(folder), recursive=True)
                except (OSError, RuntimeError):
                    if not quiet:
                        raise
                    continue
                self._watched.add(name)

    def stop(self) -> None:
        try:
            self.observer.stop()
            self.observer.join(timeout=5)
        except RuntimeError:
            pass


class Server:
    """A running preview server.  Create with `start()`; `stop()` ends it (idempotent).

    Its state, by what it is for: the site (config_path, root, base_path, output_dir, strict,
    cache, and `site`, the last good build, that edits are previewed from); what the tabs are
    told (`state`, `changes`, `instance`, `events`); the rebuild loop's `requests`, `attempts`
    and `watcher`; the HTTP server (`httpd`, host, port) and the editor's `cms_backend`."""

    def __init__(self, config_path: Path, host: str, port: int, output_dir: Path | None,
                 echo: Callable[[str], None], strict: bool = False, cms: bool = False) -> None:
        self.config_path = Path(config_path)
        self.cms_backend: CmsBackend | None = None
        self.echo = echo
        self.strict = strict
        config = self._load_config(None)  # raises ConfigError: a site that cannot even load is not served
        self.config = config  # the last good build's (security_headers)
        self.root = config.root
        self.base_path = config.base_path
        if cms and config.cms is None:
            raise CmsBackendError("serve --cms: config.yaml has no cms: section, so there is no editor at /admin/ "
                                  "(add `cms:` with backend: github and repo: owner/name; docs/editor.md)")
        self.want_cms = cms
        # the editor's API: its address holds this run's secret; what it may touch, from config.yaml
        self.editor_api_path = f"{self.base_path}{API}/{secrets.token_urlsafe(24)}/api/v1"
        self.editor_paths = EditorPaths.of(config) if config.cms else None
        self.output_dir = Path(output_dir) if output_dir else serve_output_dir(config)
        self.cache = BuildCache(self.root / ".cache").open()  # kept open: rebuilds reuse what it holds in memory
        self.site = None  # the last good build's Site: edits are previewed from it
        # what the tabs are told
        self.state = State(0, ())
        self.changes = ChangeLog()
        self.instance = secrets.token_hex(8)  # versions are this run's own: a restarted serve is another
        self.events = Broadcaster()
        # the rebuild loop
        self.requests = Requests()
        self.attempts = Attempts()
        self.watcher = Watcher(self.root, self.requests.add)
        self.httpd = _HTTPServer((host, port), self)
        self.host = host
        self.port = self.httpd.server_address[1]
        self._threads: list[threading.Thread] = []
        self._stopped = False

    # public --------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}{self.base_path}"

    def script(self) -> str:
        version = self.changes.version
        query = f"?instance={self.instance}&since={version}"
        return livereload_script(self.state.build, version, self.base_path + LIVERELOAD + query)

    def security_headers(self, request_path: str, ctype: str) -> list[tuple[str, str]]:
        """The host's headers for a response (`_headers`' values: hosts.security_headers); a
        page's also let it run the live-reload script serve puts in it.  (The editor's local
        backend is answered on serve's own origin, which its policy allows as 'self'.)"""
        path = unquote(urlsplit(request_path).path)
        rel = path[len(self.base_path):] if path.startswith(self.base_path) else ""
        scripts = (source_hash(_livereload_code()),) if ctype.startswith("text/html") else ()
        return security_headers(self.config, rel, scripts=scripts)

    def state_message(self, query: str = "", last_event_id: str | None = None) -> tuple[str, int]:
        """The first event of a tab's stream, and its version: the build, the current failure,
        and which pages changed since the version the tab last knew (its Last-Event-ID when it
        reconnects, else `?since=`, the version it was served at); null (every page) when that
        is unknown, or when it came from another run of serve (its `instance` differs)."""
        params = parse_qs(query)
        try:
            since = int(last_event_id or params.get("since", [""])[0])
        except ValueError:
            since = None
        if params.get("instance", [""])[0] != self.instance:
            since = None
        version = self.changes.version
        paths = None if since is None else self.changes.since(since)
        return self.state.message(version=version, paths=paths), version

    def _announce(self, paths: list[str] | None) -> None:
        """Tell every tab that `paths` (None: every page) changed; tabs showing one reload."""
        version = self.changes.add(paths)
        self.events.send("reload", json.dumps({"build": self.state.build, "version": version, "paths": paths}),
                         event_id=version)

    def wait_for_attempt(self, count: int, timeout: float = 10.0) -> bool:
        """Block until `count` builds have been attempted (tests and the benchmark use this)."""
        return self.attempts.wait_for(count, timeout)

    def serve_forever(self) -> None:
        """Block until stop() (from another thread) or Ctrl-C; then stop cleanly."""
        try:
            while not self._stopped:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.requests.stop()
        self.watcher.stop()
        self.events.close()
        if self._threads:  # shutdown() waits for serve_forever, which only runs once started
            self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        if self.cms_backend is not None:
            self.cms_backend.stop()
        self.cache.close()

    # internals -----------------------------------------------------------------------------------
    def _load_config(self, port: int | None) -> SiteConfig:
        config = load_config(self.config_path, strict=self.strict)
        if port is None:
            return config
        return load_config(self.config_path, strict=self.strict,
                           base_url=f"http://{_url_host(self.host)}:{port}{config.base_path}")

    def _start(self) -> "Server":
        if self.want_cms:
            self.cms_backend = CmsBackend(self.root, origin=f"http://{_url_host(self.host)}:{self.port}")
            self.cms_backend.wait_ready()
        self.rebuild(initial=True)
        self.watcher.start()
        loops = ((lambda: self.httpd.serve_forever(poll_interval=0.1), "site-builder-http"),
                 (self._rebuild_loop, "site-builder-rebuild"))
        for target, name in loops:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _rebuild_loop(self) -> None:
        while (edited := self.requests.next()) is not None:
            self.watcher.watch_new()  # a folder created after start is watched from now on
            if edited and self.site is not None and not self.state.problems:
                self._preview(edited)
            self.rebuild()

    def _preview(self, edited: set[str]) -> None:
        """Show edited posts and pages at once: render just their pages from the last build and
        reload the tabs showing them, before the full rebuild (which then finds those pages
        already right).  Only for edits of existing content files that move nothing
        (build.preview_edits); anything else waits for the full rebuild."""
        paths = [Path(p) for p in edited]
        content = self.root / "content"
        if not all(p.suffix == ".md" and p.is_file() and p.parent.is_relative_to(content) and
                   p.relative_to(content).parts[0] in ("posts", "pages") for p in paths):
            return
        try:
            pages = preview_edits(self.site, paths, self.cache)
        except Exception:  # the full rebuild reports whatever is wrong
            return
        if not pages:
            return
        shown = []
        for path, data in pages.items():
            target = self.output_dir / path
            if not target.is_file() or target.read_bytes() != data:
                replace_in(self.output_dir, path, data)
                shown.append(path)
        if shown:
            self._announce(self._urls(shown))

    def _urls(self, changed: tuple[str, ...] | list[str] | None) -> list[str] | None:
        """The site paths of changed files, for each tab to decide whether it shows one of them;
        None (every tab reloads) when a file that pages load changed (a stylesheet, a script, an
        image, a font) or the 404 page (shown at addresses no list could name)."""
        if changed is None or any(p == "404.html" or posixpath.splitext(p)[1].lower() in SUBRESOURCES for p in changed):
            return None
        return sorted(self.base_path + (p[: -len("index.html")] if p.endswith("index.html") else p) for p in changed)

    def rebuild(self, initial: bool = False) -> bool:
        """Build once into the private folder; announce a reload or the failure.  True if it built."""
        started = time.perf_counter()
        try:
            config = self._load_config(self.port)
            report = build(config, build_time(), BuildOptions(drafts=True, future=True, strict=self.strict,
                                        stale_search_ok=not initial),
                           output_dir=self.output_dir, cache=self.cache, atomic=False)
        except BuildFailed as exc:
            if self._superseded():
                return False
            self._failed(exc.problems)
            return False
        except SiteError as exc:
            self._failed([Problem(CONFIG_NAME, 1, "", str(exc))])
            return False
        except Exception as exc:  # a bug must not kill the server; show it like any other failure
            self._failed([Problem("site-builder", 1, "", f"internal error: {type(exc).__name__}: {exc}")])
            return False
        self.base_path = config.base_path
        self.editor_paths = EditorPaths.of(config) if config.cms else None
        self.config = config
        self.site = report.site
        recovered = bool(self.state.problems)
        self.state = State(self.state.build + 1, ())
        for warning in report.warnings:
            self.echo(str(warning))
        what = "Built" if initial else ("Fixed; rebuilt" if recovered else "Rebuilt")
        self.echo(f"{what} {report.pages} pages in {time.perf_counter() - started:.2f} s "
                  f"({report.written} written, {report.unchanged} unchanged, {report.removed} removed)")
        paths = None if initial else self._urls(report.changed)  # (tabs not named still drop the overlay)
        self._announce(paths)
        self.attempts.add()
        return True

    def _superseded(self) -> bool:
        """A failed build whose files changed again meanwhile is not shown: an editor saving in
        place (truncate, then write) can be caught half-way, and the next rebuild is coming.
        It still counts as an attempt."""
        if self.requests.waiting:
            self.attempts.add()
            return True
        return False

    def _failed(self, problems: list[Problem]) -> None:
        lines = tuple(str(p) for p in problems if p.is_error) or tuple(str(p) for p in problems)
        self.state = State(self.state.build, lines)
        self.echo("Build failed; still serving the last good build:")
        for line in lines:
            self.echo(f"  {line}")
        self.events.send("error-state", self.state.message())
        self.attempts.add()


def start(config_path: Path | str = CONFIG_NAME, host: str = "127.0.0.1", port: int = 8000,
          output_dir: Path | None = None, echo: Callable[[str], None] = _default_echo,
          strict: bool = False, cms: bool = False) -> Server:
    """Bind, build once, start watching and serving in background threads; return the Server.

    `port=0` picks a free port (see `.port`).  Raises ConfigError when config.yaml cannot be loaded
    and OSError when the port is taken.  A failing first build still serves (a page with the overlay).
    """
    server = Server(Path(config_path), host, port, output_dir, echo, strict, cms)
    try:
        return server._start()
    except BaseException:
        server.stop()
        raise


__all__ = ["Server", "start", "inject", "livereload_script", "content_type", "is_relevant"]
