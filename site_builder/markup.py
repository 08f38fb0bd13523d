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
