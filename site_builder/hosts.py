"""Files for hosts and for the next build: a Netlify / Cloudflare Pages `_headers` file, and the
writer's marker (writer.MARKER) that tells a later build the folder is its own.

GitHub Pages ignores `_headers` (it already serves `.ics` as text/calendar); Netlify and Cloudflare
Pages read it and would otherwise serve `.ics` files with a generic type.  Each file gets an exact
path rule (wildcards in the middle of a path segment, like `/*.ics`, are not matched the same way
by every host), prefixed with base_url's subpath.
"""

from __future__ import annotations

from typing import Iterable

from site_builder.config import SiteConfig
from site_builder.models import Output
from site_builder.writer import MARKER, MARKER_TEXT

HEADERS_FILE = "_headers"

TYPES = {
    ".ics": ("Content-Type: text/calendar; charset=utf-8",),
    "feed.xml": ("Content-Type: application/rss+xml; charset=utf-8",),
}


def _rules_for(path: str) -> tuple[str, ...]:
    if path.endswith(".ics"):
        return TYPES[".ics"]
    if path == "feed.xml" or path.endswith("/feed.xml"):
        return TYPES["feed.xml"]
    return ()


def headers_file(config: SiteConfig, paths: Iterable[str]) -> str:
    lines = ["# Read by Netlify and Cloudflare Pages (ignored by GitHub Pages). Written by site-builder build."]
    for path in sorted(set(paths)):
        if rules := _rules_for(path):
            lines.append(config.url(path))
            lines += [f"  {rule}" for rule in rules]
    return "\n".join(lines) + "\n"


def host_files(config: SiteConfig, outputs: Iterable[Output] = ()) -> list[Output]:
    """Extra files for the build output; `outputs` are the site's other planned files."""
    return [Output(HEADERS_FILE, headers_file(config, (o.path for o in outputs)).encode("utf-8"), kind="host"),
            Output(MARKER, MARKER_TEXT, kind="host")]
