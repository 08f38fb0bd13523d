"""What the browser tests share: Debian's Chromium driven by Playwright, and a folder served over
http on 127.0.0.1 (links in the built site are root-relative, so file:// would not do)."""

from __future__ import annotations

import contextlib
import functools
import http.server
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


@contextlib.contextmanager
def served(folder: Path) -> Iterator[str]:
    """`folder` served at http://127.0.0.1:PORT (a free port); yields that address."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
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
