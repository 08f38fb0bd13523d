"""What the browser tests share: Debian's Chromium driven by Playwright, and a folder served over
http on 127.0.0.1 (links in the built site are root-relative, so file:// would not do), with or
without the headers its `_headers` file gives (as Cloudflare Pages applies them); and what
Chromium reports of the Content Security Policy."""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import threading
from pathlib import Path
from typing import Iterator

from tests.conftest import require_tool

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):  # the browser moved on mid-download
            pass


def parse_headers_file(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """A `_headers` file as (path pattern, [(name, value)]) rules, in order (Netlify's and
    Cloudflare's syntax: a pattern line, then indented `Name: value` lines; `#` comments)."""
    rules: list[tuple[str, list[tuple[str, str]]]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            rules.append((line.strip(), []))
        else:
            name, _, value = line.strip().partition(":")
            assert rules and value, f"a header line outside a rule, or without a value: {line!r}"
            rules[-1][1].append((name.strip(), value.strip()))
    return rules


def _pattern(rule: str) -> re.Pattern:
    # a splat (*) matches anything, slashes too; a placeholder (:name) one path segment
    parts = re.split(r"(\*|:[A-Za-z]\w*)", rule)
    return re.compile("".join(".*" if p == "*" else "[^/]+" if p.startswith(":") else re.escape(p) for p in parts))


def headers_of(rules, path: str) -> dict[str, list[str]]:
    """Every value each matching rule gives each header (Cloudflare Pages joins them with commas)."""
    found: dict[str, list[str]] = {}
    for rule, headers in rules:
        if _pattern(rule).fullmatch(path):
            for name, value in headers:
                found.setdefault(name, []).append(value)
    return found


class HostHandler(QuietHandler):
    """Serves the folder at `under` (a site's base_url subpath) and adds the headers `rules`
    (a parsed `_headers`) give a path, as a host does."""

    rules: list = []
    under = "/"

    def translate_path(self, path):
        if not path.startswith(self.under):
            return super().translate_path("/.outside-the-site/")  # (no such file: 404)
        return super().translate_path("/" + path[len(self.under):])

    def end_headers(self):
        for name, values in headers_of(self.rules, self.path.split("?")[0]).items():
            if name.lower() != "content-type":  # (the stdlib server has sent its own)
                self.send_header(name, ", ".join(values))
        super().end_headers()


@contextlib.contextmanager
def served(folder: Path, host_headers: bool = False, under: str = "/") -> Iterator[str]:
    """`folder` served at http://127.0.0.1:PORT (a free port), at the path `under`; yields that
    address.  `host_headers`: with the headers of its `_headers` file (else none, as GitHub Pages)."""
    handler = QuietHandler
    if host_headers or under != "/":
        rules = parse_headers_file((folder / "_headers").read_text()) if host_headers else []
        handler = type("Host", (HostHandler,), {"rules": rules, "under": under})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium(args: tuple[str, ...] = ()):
    """One headless Chromium; stopped at the end, since a running sync Playwright would keep an
    event loop that other modules' Playwright sessions refuse to share.  `args`: more of
    Chromium's flags (such as --host-resolver-rules, for a page on a name of its own)."""
    from playwright.sync_api import sync_playwright

    require_tool(CHROMIUM)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*LAUNCH_ARGS, *args])
        try:
            yield browser
        finally:
            browser.close()


# A page reports each load its Content Security Policy blocks as a securitypolicyviolation event.
CSP_WATCH = """document.addEventListener("securitypolicyviolation", e => console.error(
    `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));"""


def watch_csp(context, into: list[str] | None = None) -> list[str]:
    """Every Content Security Policy report of the pages of `context` (the violation events and
    Chromium's own console lines), collected into `into` (a new list if None), which is returned."""
    reports: list[str] = [] if into is None else into
    context.add_init_script(CSP_WATCH)

    def on_console(message):
        if "Content Security Policy" in message.text or message.text.startswith("CSP violation"):
            reports.append(message.text)

    context.on("console", on_console)
    return reports
