"""Markdown → HTML.  The only module that imports `markdown`.

One Markdown instance per renderer, reset between documents (a fresh instance per document
costs about a quarter more).  Root-relative links and images written by authors (`/news/x/`)
are prefixed with the site's base path, so a site under https://host/local12/ keeps working.
"""

from __future__ import annotations

import xml.etree.ElementTree as etree

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

EXTENSIONS = ["extra", "toc", "sane_lists"]
URL_ATTRS = ("href", "src")


class _BasePathRewriter(Treeprocessor):
    def __init__(self, md: markdown.Markdown, base_path: str):
        super().__init__(md)
        self.prefix = base_path.rstrip("/")

    def run(self, root: etree.Element) -> None:
        if not self.prefix:
            return
        for element in root.iter():
            for attr in URL_ATTRS:
                value = element.get(attr)
                if value and value.startswith("/") and not value.startswith("//"):
                    element.set(attr, self.prefix + value)


class _BasePath(Extension):
    def __init__(self, base_path: str):
        super().__init__()
        self.base_path = base_path

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_BasePathRewriter(md, self.base_path), "base_path", 1)


class MarkdownRenderer:
    """Renders Markdown documents one after another with one reused Markdown instance."""

    def __init__(self, base_path: str = "/", raw_html: str = "allow"):
        self.md = markdown.Markdown(
            extensions=[*EXTENSIONS, _BasePath(base_path)],
            extension_configs={"toc": {"permalink": False}},
            output_format="html",
        )
        if raw_html == "escape":
            self.md.preprocessors.deregister("html_block")
            self.md.inlinePatterns.deregister("html")

    def render(self, text: str) -> str:
        try:
            return self.md.reset().convert(text)
        finally:
            self.md.reset()


# --- many documents at once, spread over a process pool -------------------------------------
# Each worker process keeps one renderer (set up by the pool initializer) and reuses it.
_worker_renderer: MarkdownRenderer | None = None
POOL_THRESHOLD = 64  # below this many documents a pool costs more than it saves


def _init_worker(base_path: str, raw_html: str) -> None:
    global _worker_renderer
    _worker_renderer = MarkdownRenderer(base_path, raw_html)


def _render_chunk(chunk: list[tuple[str, str]]) -> list[tuple[str, str]]:
    assert _worker_renderer is not None
    return [(key, _worker_renderer.render(text)) for key, text in chunk]


def render_many(texts: dict[str, str], base_path: str, raw_html: str, workers: int | None = None) -> dict[str, str]:
    """Render {key: markdown} → {key: html}, over `workers` processes when there is enough work."""
    import multiprocessing
    import os

    workers = workers or os.cpu_count() or 1
    items = sorted(texts.items())
    if workers < 2 or len(items) < POOL_THRESHOLD:
        renderer = MarkdownRenderer(base_path, raw_html)
        return {key: renderer.render(text) for key, text in items}
    size = max(8, len(items) // (workers * 8))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_init_worker, initargs=(base_path, raw_html)) as pool:
        results: dict[str, str] = {}
        for done in pool.imap_unordered(_render_chunk, chunks):
            results.update(done)
    return results
