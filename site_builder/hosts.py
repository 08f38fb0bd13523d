"""Files for hosts and for the next build: a Netlify / Cloudflare Pages `_headers` file, and the
writer's marker (writer.MARKER) that tells a later build the folder is its own.

`_headers` carries the site's security headers and two content types.  Every value comes from
`headers_for(config, path)`, which `site-builder serve` also sends, so the preview runs under the
host's headers (docs/hardening.md, "Headers").

* `/*` (under base_url's subpath): `X-Content-Type-Options: nosniff`, a Referrer-Policy and
  `X-Frame-Options: DENY`, the same for every file.
* The Content-Security-Policy differs between the site and the editor (/admin/).  Hosts disagree on
  what a path matched by two rules gets (Cloudflare joins both values with a comma, which makes two
  policies that must both allow a load; Netlify keeps one), so no path is given two different
  policies: the editor's is on `/admin/*` and the site's on the home page and on each other name at
  the top of the output (`/news/*`, `/feed.xml`…), never on `/*`.
* Every page also carries the pages' policy in a `<meta http-equiv="Content-Security-Policy">`
  (site_policy's `meta`), the one part of it a host that sends no headers (GitHub Pages) still
  gives; base.html writes it before anything the page loads.
* GitHub Pages ignores `_headers` (it already serves `.ics` as text/calendar); Netlify and
  Cloudflare Pages would otherwise serve `.ics` files with a generic type.  Each such file gets an
  exact path rule (wildcards in the middle of a path segment, like `/*.ics`, are not matched the
  same way by every host).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from typing import Iterable
from urllib.parse import urlsplit

from site_builder.config import SiteConfig
from site_builder.models import Output
from site_builder.writer import MARKER, MARKER_TEXT

HEADERS_FILE = "_headers"
EDITOR_FOLDER = "admin"

TYPES = {
    ".ics": ("Content-Type", "text/calendar; charset=utf-8"),
    "feed.xml": ("Content-Type", "application/rss+xml; charset=utf-8"),
}

# The same for every file the site serves.
COMMON = (
    ("X-Content-Type-Options", "nosniff"),  # a file is only ever what its Content-Type says
    ("Referrer-Policy", "strict-origin-when-cross-origin"),  # other sites learn the origin, not the page
    ("X-Frame-Options", "DENY"),  # no other site frames a page (browsers without CSP's frame-ancestors)
)
CSP = "Content-Security-Policy"
# What an editor app itself calls, beyond its backend's API: Sveltia CMS reads its own images as
# data: addresses, asks the CDN for its latest version and GitHub's status page whether GitHub is up.
EDITOR_CONNECT = {
    "decap": (),
    "sveltia": ("data:", "blob:", "https://unpkg.com/@sveltia/cms/package.json"),
}
GITHUB_STATUS = "https://www.githubstatus.com/api/v2/status.json"


def _type_of(path: str) -> tuple[str, str] | None:
    if path.endswith(".ics"):
        return TYPES[".ics"]
    if path == "feed.xml" or path.endswith("/feed.xml"):
        return TYPES["feed.xml"]
    return None


def source_hash(text: str) -> str:
    """A CSP hash source ('sha256-…') for an inline <script> or <style> whose text is `text`."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _policy(directives: dict[str, Iterable[str]]) -> str:
    return "; ".join(" ".join((name, *sources)) for name, sources in directives.items())


@functools.lru_cache(maxsize=16)
def site_policy(config: SiteConfig, scripts: tuple[str, ...] = (), meta: bool = False) -> str:
    """The pages' policy: the theme loads its scripts and styles from the site itself (no inline
    script; its one inline <style>, the theme's colours, is allowed by its hash); Pagefind compiles
    its WebAssembly ('wasm-unsafe-eval'); images and fonts may come from any https:// address
    (a post's `image:`, a Markdown image, theme.logo).  With `raw_html: allow` the authors are
    trusted with script: their inline and https:// scripts, styles and frames (a YouTube embed)
    run.  `scripts`: hash sources serve adds for the script it injects.  `meta`: as every page
    carries it in <meta http-equiv> too, for hosts that send no headers (GitHub Pages): without
    frame-ancestors, which browsers ignore there."""
    from site_builder.render import theme_style

    external_css = sorted({_origin(css) for css in config.theme.extra_css if css.startswith(("https://", "http://"))})
    scripts_from = ["'self'", "'wasm-unsafe-eval'", *scripts]
    styles_from = ["'self'", source_hash(theme_style(config.theme)), *external_css]
    trusted = config.raw_html == "allow"  # the authors' raw HTML may hold script, styles and embeds
    if trusted:  # (no hashes: beside one, a browser ignores 'unsafe-inline')
        scripts_from, styles_from = ["'self'", "'wasm-unsafe-eval'", "'unsafe-inline'", "https:"], \
            ["'self'", "'unsafe-inline'", "https:"]
    directives: dict[str, Iterable[str]] = {
        "default-src": ["'self'"],
        "script-src": scripts_from,
        "style-src": styles_from,
        "style-src-attr": ["'unsafe-inline'"],  # a table cell's style="text-align: …" (sanitize keeps only that)
        "img-src": ["'self'", "data:", "https:"],  # (Pagefind's stylesheet draws its icon as a data: SVG)
        "font-src": ["'self'", "https:"],
        "media-src": ["'self'", "https:"],
        "frame-src": ["'self'", "https:"] if trusted else ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        **({} if meta else {"frame-ancestors": ["'none'"]}),
    }
    return _policy(directives)


@functools.lru_cache(maxsize=16)
def editor_policy(config: SiteConfig, meta: bool = False) -> str:
    """/admin/'s policy: the pinned editor app from the CDN (only that file) and the site's own
    scripts (editor.js), any inline script of the page by its hash, 'unsafe-eval' (Decap CMS
    compiles its config checks with new Function) and inline styles (both editors style their
    widgets inline); the API of the backend named in config.yaml (serve's local backend is on
    serve's own origin: 'self').  `meta`: as admin/index.html carries it, without frame-ancestors."""
    from site_builder import cms

    settings = config.cms
    assert settings is not None
    scripts = ["'self'", cms.script_url(settings.editor), *map(source_hash, _INLINE_SCRIPT.findall(cms.admin_html(config, policy=False)))]
    apis = ["'self'", *EDITOR_CONNECT[settings.editor]]
    if settings.backend == "github":
        apis.append("https://api.github.com")
        if settings.editor == "sveltia":
            apis.append(GITHUB_STATUS)
    if settings.backend == "git-gateway":
        scripts.append(cms.NETLIFY_IDENTITY)
        apis.append("https://api.netlify.com")
    if settings.editor == "decap":
        scripts.append("'unsafe-eval'")
    directives: dict[str, Iterable[str]] = {
        "default-src": ["'self'"],
        "script-src": scripts,
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", "https:"],
        "font-src": ["'self'", "https:"],
        "connect-src": apis,
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        **({} if meta else {"frame-ancestors": ["'none'"]}),
    }
    return _policy(directives)


def security_headers(config: SiteConfig, path: str, scripts: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The security headers of the file at `path` (relative to the output folder: "news/x/",
    "admin/index.html", ""), in order.  `scripts`: what serve adds to the pages' policy (the hash
    of its live-reload script)."""
    editor = path.lstrip("/").split("/", 1)[0] == EDITOR_FOLDER and config.cms is not None
    return [*COMMON, (CSP, editor_policy(config) if editor else site_policy(config, scripts))]


def _rules(config: SiteConfig, paths: Iterable[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(path pattern, headers) of `_headers`, under base_url's subpath.  A file matched by several
    patterns gets from them, together, what security_headers gives it, each header from one pattern."""
    base = config.base_path.rstrip("/") + "/"
    paths = sorted(set(paths))
    # (the home page is asked for as base + "", never as its index.html: hosts answer that with a redirect)
    tops = {p.split("/", 1)[0]: "/" in p for p in paths if p not in (HEADERS_FILE, MARKER, "index.html")}
    rules = [(base + "*", list(COMMON))]
    for top, folder in [("", False), *sorted(tops.items())]:
        policy = [h for h in security_headers(config, top + "/" * folder) if h[0] == CSP]
        rules.append((base + top + "/*" * folder, policy))
    rules += [(base + path, [content_type]) for path in paths if (content_type := _type_of(path))]
    return rules


def headers_file(config: SiteConfig, paths: Iterable[str]) -> str:
    lines = ["# Read by Netlify and Cloudflare Pages (ignored by GitHub Pages). Written by site-builder build."]
    for pattern, headers in _rules(config, paths):
        lines.append(pattern)
        lines += [f"  {name}: {value}" for name, value in headers]
    return "\n".join(lines) + "\n"


def host_files(config: SiteConfig, outputs: Iterable[Output] = ()) -> list[Output]:
    """Extra files for the build output; `outputs` are the site's other planned files."""
    return [Output(HEADERS_FILE, headers_file(config, (o.path for o in outputs)).encode("utf-8"), kind="host"),
            Output(MARKER, MARKER_TEXT, kind="host")]
