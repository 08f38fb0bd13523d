"""Markdown → HTML.  The only module that imports `markdown` (and `nh3`, the HTML sanitizer).

One Markdown instance per renderer, reset between documents (a fresh instance per document
costs about a quarter more).  Root-relative links and images written by authors (`/news/x/`)
are prefixed with the site's base path, so a site under https://host/local12/ keeps working.

Raw HTML inside Markdown follows `raw_html` (see docs/hardening.md):
* ``allow``: kept as written (authors are trusted);
* ``sanitize``: the rendered HTML is cleaned with an allow-list (nh3): no script, iframe, svg,
  style, event handler attributes or javascript:/data:/vbscript: URLs; the tags and attributes
  Markdown itself writes (ids, classes, footnotes, tables) are kept;
* ``escape``: raw HTML is shown as text.
In every mode a Markdown link or image (`[x](javascript:...)`) whose address uses a script
scheme loses that address: Markdown syntax is not raw HTML, so no mode trusts it.
"""

from __future__ import annotations

from typing import Callable
import xml.etree.ElementTree as etree

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from site_builder.textutil import RAW_HTML_MODES, unsafe_url  # noqa: F401  (RAW_HTML_MODES re-exported)

EXTENSIONS = ["extra", "toc", "sane_lists"]
URL_ATTRS = ("href", "src")


# The sanitize allow-list: nh3's defaults (formatting, lists, tables, images, links) plus the
# attributes Markdown's own output uses.
_SANITIZE_TAGS = set(nh3.ALLOWED_TAGS) | {"tfoot"}
_SANITIZE_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
_SANITIZE_ATTRIBUTES["*"] = {"id", "class", "title", "lang", "dir"}
_SANITIZE_ATTRIBUTES.setdefault("th", set()).add("style")  # tables: style="text-align: left;"
_SANITIZE_ATTRIBUTES.setdefault("td", set()).add("style")
_SANITIZE_ATTRIBUTES["ol"] = _SANITIZE_ATTRIBUTES.get("ol", set()) | {"start", "type"}
_SANITIZE_SCHEMES = {"http", "https", "mailto", "tel"}


def _keep_attribute(tag: str, attr: str, value: str) -> str | None:
    # nh3 lets "java\tscript:" through as a relative URL; browsers drop the tab and run it.
    return None if attr in ("href", "src", "cite", "action", "formaction") and unsafe_url(value) else value


def sanitize(fragment: str) -> str:
    """Clean an HTML fragment with the allow-list above; text content is kept, script is not."""
    return nh3.clean(
        fragment,
        tags=_SANITIZE_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_SANITIZE_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes=_SANITIZE_SCHEMES,
        link_rel=None,
        filter_style_properties={"text-align"},
    )


class _DropUnsafeUrls(Treeprocessor):
    """Remove javascript:/vbscript:/data: addresses from links and images written in Markdown."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            for attr in URL_ATTRS:
                value = element.get(attr)
                if value is not None and unsafe_url(value):
                    del element.attrib[attr]


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
        md.treeprocessors.register(_DropUnsafeUrls(md), "drop_unsafe_urls", 0)


class MarkdownRenderer:
    """Renders Markdown documents one after another with one reused Markdown instance."""

    def __init__(self, base_path: str = "/", raw_html: str = "allow"):
        if raw_html not in RAW_HTML_MODES:
            raise ValueError(f"raw_html must be one of {', '.join(RAW_HTML_MODES)}, got {raw_html!r}")
        self.sanitize = raw_html == "sanitize"
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
            html = self.md.reset().convert(text)
            return sanitize(html) if self.sanitize else html
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


def render_many(texts: dict[str, str], base_path: str, raw_html: str, workers: int | None = None,
                progress: Callable[[int, int], None] | None = None) -> dict[str, str]:
    """Render {key: markdown} → {key: html}, over `workers` processes when there is enough work.

    `progress(done, total)` is called as documents finish (for a progress bar)."""
    import multiprocessing
    import os

    workers = workers or os.cpu_count() or 1
    items = sorted(texts.items())
    total = len(items)
    results: dict[str, str] = {}
    if workers < 2 or total < POOL_THRESHOLD:
        renderer = MarkdownRenderer(base_path, raw_html)
        for key, text in items:
            results[key] = renderer.render(text)
            if progress and len(results) % 50 == 0:
                progress(len(results), total)
    else:
        size = max(8, total // (workers * 8))
        chunks = [items[i : i + size] for i in range(0, total, size)]
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_init_worker, initargs=(base_path, raw_html)) as pool:
            for done in pool.imap_unordered(_render_chunk, chunks):
                results.update(done)
                if progress:
                    progress(len(results), total)
    if progress and total:
        progress(total, total)
    return results
