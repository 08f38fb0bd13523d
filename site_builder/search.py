"""Static full-text search: a Pagefind index of the built pages, returned as outputs.

The index is built from the rendered HTML of posts, pages and events (the pages whose main
content carries `data-pagefind-body`): they are put in a private temporary folder (in memory
where there is one) and the `pagefind` package's bundled binary runs once over it.  Its bundle
comes back as `Output`s under `pagefind/`; the writer writes them with everything else, so the
swap of output/ stays atomic and a failed index never leaves half a site.

The only module that imports `pagefind`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from site_builder.files import is_plain_path
from site_builder.models import Output
from site_builder.textutil import language_problem

# subprocess is imported where the binary is run: a build whose index is unchanged (a no-op)
# takes it from the cache and never needs it (docs/performance.md).

if TYPE_CHECKING:
    from site_builder.config import SiteConfig

BODY_MARK = b"data-pagefind-body"
BUNDLE_DIR = "pagefind"
TIMEOUT_SECONDS = 300.0  # for the whole run of the pagefind binary


class SearchError(RuntimeError):
    """Pagefind could not be started or failed while indexing."""


def searchable(outputs: Iterable[Output]) -> list[tuple[str, bytes]]:
    """(path, html) of the pages to index: HTML whose main content is marked for Pagefind."""
    pages = []
    for out in outputs:
        if not out.path.endswith(".html") or out.kind != "page" or not is_plain_path(out.path):
            continue  # (a path that is not plain is refused by the writer, by name; never written here)
        data = out.data if out.data is not None else Path(out.source).read_bytes() if out.source else b""
        if BODY_MARK in data:
            pages.append((out.path, data))
    return sorted(pages)


# What Pagefind reads of a page besides its data-pagefind-body element (pagefind.app, "Metadata",
# "Filters", "Sorting"): <html lang>, <title>, the first <h1> and the first <img> after it, and any
# data-pagefind-* attribute wherever it is.  Tags and attribute names are matched in any case.
_BEFORE_MAIN_READ = (b"data-pagefind", b"<h1")
_AFTER_MAIN_READ = (b"data-pagefind", b"<h1", b"<img")
# What makes text that looks like markup not markup (a comment, a script's string, a <textarea>...):
# where one is in a part left out, a "<main" or "<title" found may not be the element, or the part
# kept may start inside one, so the page is given whole.
_NOT_MARKUP = (b"<!--", b"<![cdata[", b"<script", b"<style", b"<textarea", b"<title", b"<noscript", b"<template",
               b"<xmp", b"<iframe", b"<noembed", b"<noframes", b"<plaintext", b"<svg", b"<math")
# Text and whole tags (quoted values may hold "<" and ">"): a part left out must be made of these
# alone, so that the "<main" or "<title" after it starts a tag, not the inside of an attribute's value.
_TAGS_AND_TEXT = re.compile(rb"""(?:[^<]++|<(?:[^>"']++|"[^"]*+"|'[^']*+')*+>)*+""")  # (possessive: linear)


def for_pagefind(html: bytes) -> bytes:
    """The page as Pagefind needs it: without the theme's head, header, menu and footer around
    its <main> element when nothing Pagefind reads is there, so the binary parses about half the
    bytes (a fifth less of its time; the bundle is byte for byte the same, which a test checks
    with the binary run on the whole pages).  A page where any of it is outside <main>, where a
    part left out holds a comment, script or the like, or that has no one <main>, is given whole."""
    low = html.lower()  # (ASCII letters only: the same length, the same places)
    start, end = low.find(b"<main"), low.rfind(b"</main>")
    head_end = low.find(b"</head>")
    opened = low.find(b"<html")
    if min(start, end, head_end, opened) < 0 or not opened < head_end < start < end:
        return html
    before, after = low[head_end:start], low[end + len(b"</main>"):]
    if any(mark in before for mark in _BEFORE_MAIN_READ + _NOT_MARKUP) or any(mark in after for mark in _AFTER_MAIN_READ) \
            or not _TAGS_AND_TEXT.fullmatch(before):
        return html
    tag_end = low.find(b">", opened) + 1
    tag, prologue = html[opened:tag_end], low[:opened].strip()
    if prologue not in (b"", b"<!doctype html>") or low[opened + 5:opened + 6] not in b" \t\r\n>" or (
            b"'" in tag or tag.count(b'"') % 2):  # (the one <html> tag, with no ">" inside a quoted value)
        return html
    head = low[tag_end:head_end]
    title_at = head.find(b"<title")
    closed = head.find(b"</title", title_at) if title_at >= 0 else -1
    title_end = head.find(b">", closed) + 1 if closed >= 0 else 0
    if b"data-pagefind" in low[:head_end] or (title_at >= 0 and (
            title_end <= 0 or any(mark in head[:title_at] for mark in _NOT_MARKUP) or b"<title" in head[title_end:]
            or not _TAGS_AND_TEXT.fullmatch(head, 0, title_at))):
        return html
    title = html[tag_end + title_at:tag_end + title_end] if title_at >= 0 else b""
    return b"<!DOCTYPE html>" + tag + b"<head>" + title + b"</head><body>" + html[start:end] + b"</main></body></html>"


def search_outputs(config: SiteConfig, outputs: Iterable[Output]) -> list[Output]:
    """The Pagefind bundle (index + UI) for these outputs, as `pagefind/...` Outputs, sorted by path.

    Deterministic: the same pages give the same bytes.  Raises SearchError if Pagefind fails.
    """
    return bundle_outputs(start_search(config, searchable(outputs)))


def start_search(config: SiteConfig, pages: list[tuple[str, bytes]]) -> Indexing | None:
    """Start the pagefind binary over `pages` (from `searchable`) and return at once: the
    `Indexing` run goes on in the background while the build does other work, and
    `bundle_outputs` collects it.  None when there is nothing to index."""
    if not pages:
        return None
    if problem := language_problem(config.language or "en"):
        raise SearchError(f"search index (Pagefind) not built: language: {problem}")
    language = (config.language or "en").split("-")[0].lower()
    size = sum(len(data) for _, data in pages)
    # several languages: Pagefind reads each page's <html lang> and keeps one index per language
    forced = None if config.languages else language
    problem = ""
    for folder in dict.fromkeys((_scratch_folder(size), None)):  # in memory, else the system's temporary folder
        try:
            return Indexing(pages, forced, folder=folder)
        except OSError as exc:  # the pages could not be written there (full, refused)
            problem = exc.strerror or str(exc)
    raise SearchError(f"search index (Pagefind) not built: could not write the pages for it ({problem})")


def bundle_outputs(run: Indexing | None) -> list[Output]:
    """The bundle of a started run as `pagefind/...` Outputs, sorted by path (waits for the run)."""
    if run is None:
        return []
    return [Output(f"{BUNDLE_DIR}/{rel}", data, kind="search") for rel, data in sorted(run.result().items())]


def _sorted_entry(data: bytes) -> bytes:
    """pagefind-entry.json with its languages in a fixed order: Pagefind writes them in the order of a
    hash map, which differs from run to run (a site with several languages, i18n.py), and the same
    input must give the same bytes."""
    import json

    return json.dumps(json.loads(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


MEMORY_FOLDER = "/dev/shm"


def _scratch_folder(size: int) -> str | None:
    """Where the pages are put for Pagefind: a folder in memory (/dev/shm) when there is one with
    room for three times their size (the pages and the bundle), else None (the system's temporary
    folder).  On the disk, creating a thousand folders and files and Pagefind reading them back
    cost about as much as the indexing itself (docs/performance.md)."""
    if tempfile.tempdir is not None:  # (set on purpose: the tests, a TMPDIR the caller chose)
        return None
    try:
        st = os.statvfs(MEMORY_FOLDER)
    except OSError:
        return None
    room = st.f_bavail * st.f_frsize
    return MEMORY_FOLDER if room > 3 * size and os.access(MEMORY_FOLDER, os.W_OK | os.X_OK) else None


def pagefind_binary() -> Path | None:
    """The pagefind program, found as the `pagefind` package finds it (PAGEFIND_BINARY_PATH, the
    bundled pagefind_bin, then PATH); None when there is none."""
    from pagefind.service import get_executable

    return get_executable()


class Indexing:
    """One run of the pagefind binary over `pages` (path, html), started by the constructor and
    collected by `result()` (or stopped by `cancel()`): the build renders and writes its other
    files meanwhile (docs/architecture.md, "Search").  The pages are put in a private temporary
    folder (inside `folder`; None: the system's), so nothing is written near output/; the binary
    is stopped `timeout` seconds after it started (it once hung on a made-up language).
    OSError from the constructor: the pages could not be written (a full folder...)."""

    def __init__(self, pages: list[tuple[str, bytes]], language: str | None, timeout: float | None = None,
                 folder: str | None = None):
        import subprocess

        self.pages, self.language = pages, language
        self.timeout = TIMEOUT_SECONDS if timeout is None else timeout
        self.tmp = Path(tempfile.mkdtemp(prefix="site-builder-search-", dir=folder))
        self.proc: subprocess.Popen | None = None
        try:
            site = self.tmp / "site"
            for rel, data in pages:
                target = site / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(for_pagefind(data))
            binary = pagefind_binary()
            if binary is None:
                raise SearchError("search index (Pagefind) failed: the pagefind program is not installed")
            command = [str(binary), "--site", str(site), "--output-path", str(self.tmp / "bundle"), "--silent"]
            if language is not None:  # (None: each page's <html lang> says: a site in several languages)
                command[-1:-1] = ["--force-language", language]
            self.started = time.monotonic()
            with open(self.tmp / "stderr", "wb") as said:
                try:
                    self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                                 stderr=said)
                except OSError as exc:
                    raise SearchError(f"search index (Pagefind) failed: {exc.strerror or exc}") from None
        except BaseException:
            self.cancel()
            raise

    def result(self) -> dict[str, bytes]:
        """Wait for the binary and return its bundle; SearchError if it failed or took too long."""
        import subprocess

        assert self.proc is not None
        try:
            try:
                status = self.proc.wait(timeout=max(0.0, self.timeout - (time.monotonic() - self.started)))
            except subprocess.TimeoutExpired:
                raise SearchError(f"search index (Pagefind) failed: no answer from the pagefind program after "
                                  f"{self.timeout:g} s while indexing the pages") from None
            try:
                if status != 0:
                    said = (self.tmp / "stderr").read_bytes().decode("utf-8", "replace").strip().splitlines()[-1:]
                    said = said or [""]
                    raise SearchError(f"search index (Pagefind) failed: the pagefind program stopped while indexing "
                                      f"the pages (exit status {status}){': ' + said[0][:300] if said[0] else ''}")
                bundle = self.tmp / "bundle"
                files = {p.relative_to(bundle).as_posix(): p.read_bytes() for p in sorted(bundle.rglob("*"))
                         if p.is_file()}
            except OSError as exc:
                raise SearchError(f"search index (Pagefind) failed: its bundle could not be read "
                                  f"({exc.strerror or exc})") from None
            indexed = _page_count(files)
            if indexed != len(self.pages):
                raise SearchError(f"search index (Pagefind) failed: Pagefind indexed {indexed} of {len(self.pages)} pages")
            if self.language is None and "pagefind-entry.json" in files:
                files["pagefind-entry.json"] = _sorted_entry(files["pagefind-entry.json"])
            return files
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the binary if it still runs and remove the temporary folder (again: nothing happens)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _page_count(files: dict[str, bytes]) -> int | None:
    """How many pages the bundle's entry file says were indexed (None if it has none)."""
    import json

    try:
        entry = json.loads(files["pagefind-entry.json"])
        return sum(int(language["page_count"]) for language in entry["languages"].values())
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
