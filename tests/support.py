"""Independent helpers for the tests: an HTML link collector and a URL → built file mapper."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit


class LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


def parse_html(path: Path) -> LinkCollector:
    collector = LinkCollector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


def page_url(output: Path, file: Path, base_url: str) -> str:
    rel = file.relative_to(output).as_posix()
    if rel.endswith("index.html"):
        rel = rel[: -len("index.html")]
    return urljoin(base_url, rel)


def resolve(url: str, output: Path, base_url: str) -> Path | None:
    """Map an absolute URL on the site to the file that would serve it; None if off-site."""
    base = urlsplit(base_url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc != base.netloc:
        return None
    path = unquote(parts.path)
    assert path.startswith(base.path), f"{url} is outside the site's base path {base.path}"
    rel = path[len(base.path):]
    target = output / rel
    if rel == "" or rel.endswith("/"):
        target = target / "index.html"
    return target


def html_files(output: Path) -> list[Path]:
    return sorted(output.rglob("*.html"))
