"""Static full-text search: a Pagefind index of the built pages, returned as outputs.

The index is built in memory from the rendered HTML of posts, pages and events (the pages whose
main content carries `data-pagefind-body`), by the `pagefind` package's bundled binary, and
comes back as `Output`s under `pagefind/`; the writer writes them with everything else, so the
swap of output/ stays atomic and a failed index never leaves half a site.

The only module that imports `pagefind`.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from site_builder.models import Output

if TYPE_CHECKING:  # config.py may call language_problem: no import cycle at run time
    from site_builder.config import SiteConfig

BODY_MARK = b"data-pagefind-body"
BUNDLE_DIR = "pagefind"
TIMEOUT_SECONDS = 300.0  # for each answer of the Pagefind process; a crash is noticed at once
# A BCP 47 language tag, as far as a site needs one: a 2–3 letter language, then optional
# subtags of 1–8 letters or digits (script, region, variant): en, fr-CA, zh-Hant-TW, es-419.
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
MAX_LANGUAGE = 35


def language_problem(value: str) -> str | None:
    """Why `value` cannot be the site's `language` (None if it can).  Pagefind, the page's
    `lang` attribute and the feeds all need a real language tag; a long made-up one once made
    Pagefind's binary panic and the build wait for it forever."""
    if isinstance(value, str) and len(value) <= MAX_LANGUAGE and _LANGUAGE.match(value):
        return None
    from site_builder.errors import shown

    return (f"{shown(value)} is not a language tag: use a 2- or 3-letter language code, optionally with a "
            "region, such as en, es, fr-CA or en-US")


class SearchError(RuntimeError):
    """Pagefind could not be started or failed while indexing."""


def searchable(outputs: Iterable[Output]) -> list[tuple[str, bytes]]:
    """(path, html) of the pages to index: HTML whose main content is marked for Pagefind."""
    pages = []
    for out in outputs:
        if not out.path.endswith(".html") or out.kind != "page":
            continue
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
    try:
        # several languages: Pagefind reads each page's <html lang> and keeps one index per language
        files = _run(_index(pages, None if config.languages else language))
    except SearchError:
        raise
    except Exception as exc:  # the binary missing, crashing or answering with an error
        raise SearchError(f"search index (Pagefind) failed: {exc}") from exc
    if config.languages and "pagefind-entry.json" in files:
        files["pagefind-entry.json"] = _sorted_entry(files["pagefind-entry.json"])
    return [Output(f"{BUNDLE_DIR}/{rel}", data, kind="search") for rel, data in sorted(files.items())]


def _sorted_entry(data: bytes) -> bytes:
    """pagefind-entry.json with its languages in a fixed order: Pagefind writes them in the order of a
    hash map, which differs from run to run (a site with several languages, i18n.py), and the same
    input must give the same bytes."""
    import json

    return json.dumps(json.loads(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _run(coro):
    """Run a coroutine to completion, also when called from inside a running event loop."""
    import asyncio  # only a build with search needs it (saves its import on every other build)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _index(pages: list[tuple[str, bytes]], language: str | None, timeout: float | None = None) -> dict[str, bytes]:
    # Pagefind's Python client answers one message per 0.1 s and reads its pipe in 2 MiB lines,
    # so pages go in as one directory (one message) and the bundle comes back through files in
    # a private temporary folder, never through the pipe; nothing is written near output/.
    # The client waits forever for an answer from a binary that has died (a panic), so every
    # call is raced against the binary's exit and a timeout, and the binary is always stopped.
    from pagefind.index import IndexConfig
    from pagefind.service import PagefindService

    timeout = TIMEOUT_SECONDS if timeout is None else timeout
    tmp = tempfile.mkdtemp(prefix="site-builder-search-")
    service = None
    try:
        site, bundle = Path(tmp) / "site", Path(tmp) / "bundle"
        for rel, data in pages:
            target = site / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        service = await _call(None, PagefindService().launch(), "starting", timeout)
        index = await _call(service, service.create_index(IndexConfig(force_language=language, write_playground=False)),
                            "starting an index", timeout)
        result = await _call(service, index.add_directory(str(site)), "indexing the pages", timeout)
        if result.get("page_count", 0) != len(pages):
            raise SearchError(f"Pagefind indexed {result.get('page_count')} of {len(pages)} pages")
        await _call(service, index.write_files(output_path=str(bundle)), "writing the index", timeout)
        return await _settled_files(bundle)
    finally:
        try:
            if service is not None:
                await _stop(service)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


async def _settled_files(bundle: Path, patience: float = 10.0) -> dict[str, bytes]:
    """The bundle's files once Pagefind has finished writing them.  Its "written" answer can come
    while the last files are still being written (seen on a loaded machine: an empty
    pagefind-highlight.js), so the folder is read until two reads 50 ms apart agree and no file is
    empty (no file of a Pagefind bundle is), for at most `patience` seconds."""
    import asyncio

    def read() -> dict[str, bytes]:
        return {p.relative_to(bundle).as_posix(): p.read_bytes() for p in sorted(bundle.rglob("*")) if p.is_file()}

    files, waited = read(), 0.0
    while waited < patience:
        await asyncio.sleep(0.05)
        waited += 0.05
        again = read()
        if again == files and files and all(files.values()):
            return files
        files = again
    raise SearchError("search index (Pagefind) not built: its files were still changing after "
                      f"{patience:.0f} s")


async def _call(service, awaitable, doing: str, timeout: float):
    """Await one call to Pagefind, but not longer than `timeout` seconds, nor after the binary
    has exited (its answer would never come)."""
    import asyncio

    task = asyncio.ensure_future(awaitable)
    watch = {task}
    process = getattr(service, "_backend", None)
    exited = asyncio.ensure_future(process.wait()) if process is not None else None
    if exited is not None:
        watch.add(exited)
    try:
        done, _ = await asyncio.wait(watch, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if exited is not None and not exited.done():
            exited.cancel()
    if task in done:
        return task.result()
    task.cancel()
    if exited is not None and exited in done:
        raise SearchError(f"search index (Pagefind) failed: the pagefind program stopped while {doing} "
                          f"(exit status {exited.result()})")
    raise SearchError(f"search index (Pagefind) failed: no answer from the pagefind program after {timeout:g} s "
                      f"while {doing}")


async def _stop(service) -> None:
    """Stop the binary for good, whether it answered, hung or died; never wait long for it."""
    import asyncio

    for future in list(getattr(service, "_responses", {}).values()):
        if not future.done():
            future.cancel()
    poll = getattr(service, "_poll_task", None)
    if poll is not None:
        poll.cancel()
        try:
            await poll
        except BaseException:  # noqa: BLE001 - its end (cancelled, or the pipe closed) is expected
            pass
    process = getattr(service, "_backend", None)
    if process is None:
        return
    if process.returncode is None:
        try:
            process.kill()
        except ProcessLookupError:
            pass
    try:
        await asyncio.wait_for(process.wait(), timeout=5)
    except asyncio.TimeoutError:
        pass
