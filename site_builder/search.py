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
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from site_builder.files import is_plain_path
from site_builder.models import Output
from site_builder.textutil import language_problem

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


def search_outputs(config: SiteConfig, outputs: Iterable[Output]) -> list[Output]:
    """The Pagefind bundle (index + UI) for these outputs, as `pagefind/...` Outputs, sorted by path.

    Deterministic: the same pages give the same bytes.  Raises SearchError if Pagefind fails.
    """
    pages = searchable(outputs)
    if not pages:
        return []
    if problem := language_problem(config.language or "en"):
        raise SearchError(f"search index (Pagefind) not built: language: {problem}")
    language = (config.language or "en").split("-")[0].lower()
    size = sum(len(data) for _, data in pages)
    # several languages: Pagefind reads each page's <html lang> and keeps one index per language
    forced = None if config.languages else language
    files, problem = None, ""
    for folder in dict.fromkeys((_scratch_folder(size), None)):  # in memory, else the system's temporary folder
        try:
            files = _index(pages, forced, folder=folder)
            break
        except OSError as exc:  # the pages could not be written there (full, refused)
            problem = exc.strerror or str(exc)
    if files is None:
        raise SearchError(f"search index (Pagefind) not built: could not write the pages for it ({problem})")
    if config.languages and "pagefind-entry.json" in files:
        files["pagefind-entry.json"] = _sorted_entry(files["pagefind-entry.json"])
    return [Output(f"{BUNDLE_DIR}/{rel}", data, kind="search") for rel, data in sorted(files.items())]


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


def _index(pages: list[tuple[str, bytes]], language: str | None, timeout: float | None = None,
           folder: str | None = None) -> dict[str, bytes]:
    """Run the pagefind binary once over the pages, put in a private temporary folder (inside
    `folder`; None: the system's), and return its bundle (relative path → bytes).  Nothing is
    written near output/; the binary is stopped after `timeout` seconds (it once hung on a
    made-up language).  OSError: the pages could not be written (a full folder...)."""
    timeout = TIMEOUT_SECONDS if timeout is None else timeout
    tmp = tempfile.mkdtemp(prefix="site-builder-search-", dir=folder)
    try:
        site, bundle = Path(tmp) / "site", Path(tmp) / "bundle"
        for rel, data in pages:
            target = site / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        binary = pagefind_binary()
        if binary is None:
            raise SearchError("search index (Pagefind) failed: the pagefind program is not installed")
        command = [str(binary), "--site", str(site), "--output-path", str(bundle), "--silent"]
        if language is not None:  # (None: each page's <html lang> says)
            command[-1:-1] = ["--force-language", language]
        try:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise SearchError(f"search index (Pagefind) failed: no answer from the pagefind program after {timeout:g} s "
                              "while indexing the pages") from None
        except OSError as exc:
            raise SearchError(f"search index (Pagefind) failed: {exc.strerror or exc}") from None
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise SearchError(f"search index (Pagefind) failed: the pagefind program stopped while indexing the pages "
                              f"(exit status {done.returncode}){': ' + said[0][:300] if said[0] else ''}")
        files = {p.relative_to(bundle).as_posix(): p.read_bytes() for p in sorted(bundle.rglob("*")) if p.is_file()}
        indexed = _page_count(files)
        if indexed != len(pages):
            raise SearchError(f"search index (Pagefind) failed: Pagefind indexed {indexed} of {len(pages)} pages")
        return files
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _page_count(files: dict[str, bytes]) -> int | None:
    """How many pages the bundle's entry file says were indexed (None if it has none)."""
    import json

    try:
        entry = json.loads(files["pagefind-entry.json"])
        return sum(int(language["page_count"]) for language in entry["languages"].values())
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
