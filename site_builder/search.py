"""Static full-text search: a Pagefind index of the built pages, returned as outputs.

The index is built in memory from the rendered HTML of posts, pages and events (the pages whose
main content carries `data-pagefind-body`), by the `pagefind` package's bundled binary, and
comes back as `Output`s under `pagefind/`; the writer writes them with everything else, so the
swap of output/ stays atomic and a failed index never leaves half a site.

The only module that imports `pagefind`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Iterable

from site_builder.config import SiteConfig
from site_builder.models import Output

BODY_MARK = b"data-pagefind-body"
BUNDLE_DIR = "pagefind"


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
    language = (config.language or "en").split("-")[0].lower()
    try:
        files = _run(_index(pages, language))
    except SearchError:
        raise
    except Exception as exc:  # the binary missing, crashing or answering with an error
        raise SearchError(f"search index (Pagefind) failed: {exc}") from exc
    return [Output(f"{BUNDLE_DIR}/{rel}", data, kind="search") for rel, data in sorted(files.items())]


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


async def _index(pages: list[tuple[str, bytes]], language: str) -> dict[str, bytes]:
    # Pagefind's Python client answers one message per 0.1 s and reads its pipe in 2 MiB lines,
    # so pages go in as one directory (one message) and the bundle comes back through files in
    # a private temporary folder, never through the pipe; nothing is written near output/.
    from pagefind.index import IndexConfig
    from pagefind.service import PagefindService

    with tempfile.TemporaryDirectory(prefix="site-builder-search-") as tmp:
        site, bundle = Path(tmp) / "site", Path(tmp) / "bundle"
        for rel, data in pages:
            target = site / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        service = await PagefindService().launch()
        try:
            index = await service.create_index(IndexConfig(force_language=language, write_playground=False))
            result = await index.add_directory(str(site))
            if result.get("page_count", 0) != len(pages):
                raise SearchError(f"Pagefind indexed {result.get('page_count')} of {len(pages)} pages")
            await index.write_files(output_path=str(bundle))
        finally:
            await service.close()
        return {p.relative_to(bundle).as_posix(): p.read_bytes() for p in sorted(bundle.rglob("*")) if p.is_file()}
