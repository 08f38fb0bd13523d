"""`site-builder check`: every internal link and anchor of a planned build, checked in memory.

Works on `build.plan()`'s outputs, so nothing is written and output/ is never touched.  A link is
internal when, resolved against the page's own absolute URL, it lands on the site's host under
base_url's path; it must then name a planned file (a folder URL names its index.html), and a
`#fragment` must be an id (or a named anchor) in the target page.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Iterable, Mapping
from urllib.parse import unquote, urljoin, urlsplit

from site_builder.config import SiteConfig
from site_builder.models import Output

SKIPPED_SCHEMES = ("mailto:", "tel:", "webcal:", "javascript:", "data:", "sms:", "geo:")
LINK_ATTRS = {"href", "src", "poster", "action"}


@dataclass(frozen=True, order=True)
class LinkProblem:
    """`where: link: what is wrong`; `where` is the source file (with line) when known, else the output path."""

    where: str
    link: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.link}: {self.message}"


@dataclass(frozen=True)
class LinkReport:
    pages: int
    checked: int
    problems: tuple[LinkProblem, ...]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in LINK_ATTRS:
                self.links.append(value.strip())
            elif name == "srcset":
                self.links += [part.strip().split()[0] for part in value.split(",") if part.strip()]
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)

    handle_startendtag = handle_starttag


def parse(data: bytes) -> _Collector:
    collector = _Collector()
    collector.feed(data.decode("utf-8", errors="replace"))
    collector.close()
    return collector


def _output_url(config: SiteConfig, path: str) -> str:
    if path == "index.html" or path.endswith("/index.html"):
        path = path[: -len("index.html")]
    return config.abs_url(path)


def _locate(link: str, sources: Mapping[str, str], texts: Mapping[str, str], output: str, base_path: str) -> str:
    """"content/posts/x.md:12 (news/x/index.html)" when the link's text is found in the source."""
    source = sources.get(output)
    if not source:
        return output
    text = texts.get(source, "")
    needles = [link]
    if base_path != "/" and link.startswith(base_path):
        needles.append("/" + link[len(base_path):])
    for needle in needles:
        at = text.find(needle)
        if at >= 0:
            return f"{source}:{text.count(chr(10), 0, at) + 1} ({output})"
    return f"{source} ({output})"


def check_links(config: SiteConfig, outputs: Iterable[Output], sources: Mapping[str, str] | None = None,
                texts: Mapping[str, str] | None = None) -> LinkReport:
    """Check every internal href/src (and srcset) of the HTML `outputs`.

    `sources` maps an output path to the source file it was rendered from (for messages);
    `texts` maps a source path to its text (to find the line of a link).
    """
    outputs = list(outputs)
    sources, texts = sources or {}, texts or {}
    files = {o.path for o in outputs}
    html = {o.path: o for o in outputs if o.path.endswith(".html") and o.data is not None}
    parsed = {path: parse(out.data or b"") for path, out in html.items()}
    base = urlsplit(config.base_url)
    problems: set[LinkProblem] = set()
    checked = 0
    for path in sorted(parsed):
        here = _output_url(config, path)
        for link in parsed[path].links:
            if not link or link.lower().startswith(SKIPPED_SCHEMES):
                continue
            absolute = urljoin(here, link)
            parts = urlsplit(absolute)
            if parts.scheme not in ("http", "https") or parts.netloc != base.netloc:
                continue
            checked += 1
            where = lambda: _locate(link, sources, texts, path, config.base_path)  # noqa: E731
            target_path = unquote(parts.path)
            if not target_path.startswith(config.base_path):
                problems.add(LinkProblem(where(), link, f"points outside the site's base path {config.base_path}"))
                continue
            rel = target_path[len(config.base_path):]
            if rel == "" or rel.endswith("/"):
                target = rel + "index.html"
            elif rel in files:
                target = rel
            elif rel + "/index.html" in files:
                target = rel + "/index.html"  # served with a redirect to rel/ by every static host
            else:
                target = rel
            if target not in files:
                problems.add(LinkProblem(where(), link, f"no such page or file: {target} is not built"))
                continue
            fragment = unquote(parts.fragment)
            if fragment and fragment != "top" and target in parsed and fragment not in parsed[target].ids:
                problems.add(LinkProblem(where(), link, f"no id {fragment!r} in {target}"))
    return LinkReport(pages=len(parsed), checked=checked, problems=tuple(sorted(problems)))


def plan_sources(plan) -> dict[str, str]:
    """Output path → source file, for every post and page of a `build.Plan`."""
    mapping = {}
    for item in (*plan.site.posts, *plan.site.pages):
        mapping[item.url.lstrip("/") + "index.html"] = item.source
    return mapping
