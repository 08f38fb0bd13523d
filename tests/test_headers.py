"""The hosts' security headers (site_builder/hosts.py): the built `_headers` file parsed and matched
as Netlify and Cloudflare Pages match it, `serve` sending the same headers, and Chromium showing
what they do: no other origin frames a page or the editor, search runs under the policy, and no
page of the site reports a Content Security Policy violation.  docs/hardening.md, "Headers"."""

from __future__ import annotations

import base64
import hashlib
import html
import html.parser
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from site_builder import serve
from site_builder.build import build
from site_builder.clock import build_time
from site_builder.config import load_config
from tests.browser import chromium, headers_of, parse_headers_file, served, watch_csp
from tests.conftest import write_site

SUB = "/local12/"
SITE = {
    "config.yaml": """
        title: Header Local
        base_url: https://example.org/local12/
        timezone: America/Chicago
        cms:
          backend: github
          repo: local12/website
        """,
    "content/posts/picket.md": """
        ---
        title: Picket at the clinic
        date: 2026-01-05
        tags: [picket]
        ---
        The zephyrine picket starts at noon.

        | Shift | Start |
        |:------|------:|
        | Day   | 7:00  |
        """,
    "content/pages/about.md": "---\ntitle: About\n---\nWho we are.\n",
}
SECURITY = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin",
            "X-Frame-Options": "DENY"}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return write_site(tmp_path_factory.mktemp("headers") / "site", SITE)


@pytest.fixture(scope="module")
def output(site) -> Path:
    return build(load_config(site / "config.yaml"), build_time()).output_dir


@pytest.fixture(scope="module")
def browser():
    with chromium() as running:
        yield running


def _request_path(rel: str, base: str = SUB) -> str:
    """How a browser asks for a built file: a folder's index.html by the folder."""
    return base + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def _directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in policy.split(";")) if d}


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


class _Inline(html.parser.HTMLParser):
    """A page's <script> elements (src, type, text) and inline <style> texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[tuple[str | None, str | None, str]] = []
        self.styles: list[str] = []
        self._open: tuple | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._open = (tag, dict(attrs), [])

    def handle_data(self, data):
        if self._open:
            self._open[2].append(data)

    def handle_endtag(self, tag):
        if self._open and tag == self._open[0]:
            name, attrs, text = self._open
            if name == "script":
                self.scripts.append((attrs.get("src"), attrs.get("type"), "".join(text)))
            else:
                self.styles.append("".join(text))
            self._open = None


def _inline(page: str) -> _Inline:
    parser = _Inline()
    parser.feed(page)
    return parser


# --- the built _headers, matched as the hosts match it ------------------------------------------------

def test_every_built_file_gets_the_security_headers_once_under_the_subpath(output):
    rules = parse_headers_file((output / "_headers").read_text())
    files = [p.relative_to(output).as_posix() for p in sorted(output.rglob("*")) if p.is_file()
             and p.name not in ("_headers", ".site-builder")]  # (the hosts' and the build's own, not pages)
    assert "admin/index.html" in files and any(f.startswith("pagefind/") for f in files)
    for rel in files:
        got = headers_of(rules, _request_path(rel))
        for name, value in SECURITY.items():
            assert got.get(name) == [value], (rel, name, got.get(name))
        # one policy: a host that joins two rules' values (Cloudflare) would enforce both
        policies = got.get("Content-Security-Policy", [])
        assert len(policies) == 1, (rel, policies)
        directives = _directives(policies[0])
        assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"], rel
        assert "'unsafe-inline'" not in directives["script-src"], rel
        assert headers_of(rules, _request_path(rel, "/")) == {}, rel  # every rule carries the subpath


def test_the_pages_policy_allows_the_theme_and_nothing_inline_but_its_style(output):
    rules = parse_headers_file((output / "_headers").read_text())
    pages = [p for p in sorted(output.rglob("*.html")) if p.relative_to(output).parts[0] != "admin"]
    assert len(pages) > 5
    for path in pages:
        rel = path.relative_to(output).as_posix()
        (policy,) = headers_of(rules, _request_path(rel))["Content-Security-Policy"]
        directives = _directives(policy)
        found = _inline(path.read_text(encoding="utf-8"))
        for src, kind, text in found.scripts:
            # the theme has no inline script: every script is a file of the site (JSON-LD is data, not run)
            assert src and src.startswith(SUB) or kind == "application/ld+json", (rel, src, kind, text[:80])
        for style in found.styles:
            assert _hash(style) in directives["style-src"], (rel, style)
        assert directives["script-src"] == ["'self'", "'wasm-unsafe-eval'"]  # Pagefind compiles WebAssembly
    table = (output / "news" / "picket" / "index.html").read_text()
    assert 'style="text-align:right"' in table  # a table's alignment: style-src-attr
    (policy,) = headers_of(rules, SUB + "news/picket/")["Content-Security-Policy"]
    assert _directives(policy)["style-src-attr"] == ["'unsafe-inline'"]


def test_the_editors_policy_allows_the_pinned_app_and_its_inline_script_only(output):
    rules = parse_headers_file((output / "_headers").read_text())
    (policy,) = headers_of(rules, SUB + "admin/")["Content-Security-Policy"]
    directives = _directives(policy)
    found = _inline((output / "admin" / "index.html").read_text())
    sources = [src for src, _, _ in found.scripts if src and not src.startswith(SUB)]  # (the site's own: 'self')
    assert sources and all(src.startswith("https://unpkg.com/decap-cms@") for src in sources)
    inline = [text for src, _, text in found.scripts if not src]
    assert set(directives["script-src"]) == {"'self'", "'unsafe-eval'", *sources, *map(_hash, inline)}
    assert "https://api.github.com" in directives["connect-src"]  # the github backend's API
    assert directives["frame-ancestors"] == ["'none'"]
    # the pages' policy is not the editor's: the app's CDN is allowed on /admin/ only
    (page_policy,) = headers_of(rules, SUB + "news/picket/")["Content-Security-Policy"]
    assert "unpkg.com" not in page_policy and "'unsafe-eval'" not in page_policy


# --- serve sends the same headers ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(site):
    running = serve.start(site / "config.yaml", port=0, echo=lambda text: None)
    try:
        yield running
    finally:
        running.stop()


def _get(url: str) -> tuple[int, dict[str, list[str]], str]:
    try:
        with urllib.request.urlopen(url) as response:
            status, headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, error.headers, error.read()
    values: dict[str, list[str]] = {}
    for name, value in headers.items():
        values.setdefault(name, []).append(value)
    return status, values, body.decode("utf-8", errors="replace")


def test_serve_sends_the_headers_of_its_built_headers_file(server):
    rules = parse_headers_file((server.output_dir / "_headers").read_text())
    origin = server.url[: -len(SUB)]
    for path in (SUB, SUB + "news/picket/", SUB + "about/", SUB + "admin/", SUB + "css/site.css",
                 SUB + "tags/picket/feed.xml", SUB + "search/"):
        status, got, body = _get(origin + path)
        assert status == 200, path
        expected = headers_of(rules, path)
        for name in SECURITY:
            assert got[name] == expected[name], (path, name)
        (sent,) = got["Content-Security-Policy"]
        (written,) = expected["Content-Security-Policy"]
        injected = [text for src, kind, text in _inline(body).scripts if not src and not kind
                    and path.endswith("/") and not path.endswith("admin/")]
        # a page also runs the live-reload script serve puts in it, allowed by its hash and nothing else
        assert _directives(sent) == {name: sources + [_hash(t) for t in injected] * (name == "script-src")
                                     for name, sources in _directives(written).items()}, path
    status, got, _ = _get(origin + SUB + "no-such-page/")  # the 404 page is under the pages' policy too
    assert status == 404 and "frame-ancestors 'none'" in got["Content-Security-Policy"][0]


# --- in Chromium ---------------------------------------------------------------------------------------

FRAMER = '<!doctype html><title>Another site</title><iframe id="f" src="{url}" width="600" height="400"></iframe>'


def _framed(browser, tmp_path: Path, url: str) -> tuple[str, str, list[str]]:
    """Open a page of another origin that frames `url`: the address the frame shows (Chromium's
    error page when the frame was refused), its text, and the console's lines."""
    (tmp_path / "index.html").write_text(FRAMER.format(url=url))
    with served(tmp_path) as other:
        context = browser.new_context()
        messages: list[str] = []
        context.on("console", lambda m: messages.append(m.text))
        page = context.new_page()
        page.route("https://unpkg.com/**", lambda route: route.abort())  # (the editor app is not needed)
        page.goto(other + "/")
        page.wait_for_load_state("load")
        shown = page.frame_locator("#f").locator("body").inner_text(timeout=10_000)
        (frame,) = [f for f in page.frames if f is not page.main_frame]
        address = frame.url
        context.close()
    return address, shown, messages


@pytest.mark.parametrize("path", ["news/picket/", "admin/"])
def test_no_other_origin_can_frame_a_page_or_the_editor(browser, server, output, tmp_path, path):
    for name in ("bare", "serve", "host"):
        (tmp_path / name).mkdir()
    with served(output) as plain:  # without the headers (GitHub Pages), another site frames the page
        address, shown, _ = _framed(browser, tmp_path / "bare", plain + "/" + path)
    assert address == plain + "/" + path and ("Picket at the clinic" in shown or path == "admin/"), (address, shown)
    address, shown, messages = _framed(browser, tmp_path / "serve", server.url + path)
    assert address != server.url + path and "Picket at the clinic" not in shown, (address, shown)
    assert any("frame-ancestors" in m for m in messages), messages
    with served(output, host_headers=True, under=SUB) as host:  # and as a host applies _headers
        address, shown, messages = _framed(browser, tmp_path / "host", host + SUB + path)
    assert address != host + SUB + path and "Picket at the clinic" not in shown, (address, shown)
    assert any("frame-ancestors" in m for m in messages), messages


def _search(page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_selector(".pagefind-ui__search-input[aria-label]", timeout=15_000)
    page.fill(".pagefind-ui__search-input", "zephyrine")
    page.wait_for_selector(".pagefind-ui__result-link", timeout=15_000)
    return page.eval_on_selector_all(".pagefind-ui__result-link", "els => els.map(e => e.getAttribute('href'))")


@pytest.mark.parametrize("where", ["serve", "host", "github-pages"])
def test_search_and_pages_run_under_the_policy(browser, server, output, where):
    """In serve, on a host that applies _headers, and on one that sends no headers (the pages'
    <meta> policy alone): the theme's style, a table's alignment and search work, and no page
    reports a violation."""
    with served(output, host_headers=where == "host", under=SUB) as host:
        base = server.url if where == "serve" else host + SUB
        context = browser.new_context()
        reports = watch_csp(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        response = page.goto(base + "news/picket/")
        framing = "frame-ancestors 'none'" in response.headers.get("content-security-policy", "")
        assert framing == (where != "github-pages")
        assert page.eval_on_selector("td:last-child", "td => getComputedStyle(td).textAlign") == "right"
        assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--primary')").strip()
        page.goto(base + "about/")
        assert _search(page, base + "search/")[0].endswith("/news/picket/")
        context.close()
    assert reports == [] and errors == [], (reports, errors)


@pytest.mark.parametrize("where", ["host", "github-pages"])
def test_a_script_put_into_a_page_does_not_run(browser, output, where):
    """What the policy is for: a script that reached a page (a sanitizer slip, a hostile template) is refused."""
    with served(output, host_headers=where == "host", under=SUB) as host:
        context = browser.new_context()
        reports = watch_csp(context)
        page = context.new_page()
        page.goto(host + SUB + "about/")
        ran = page.evaluate("""() => { const s = document.createElement("script");
                                       s.textContent = "window.injected = true"; document.body.append(s);
                                       return window.injected === true; }""")
        context.close()
    assert ran is False
    assert any("script-src" in r for r in reports), reports


def test_every_page_carries_the_pages_policy_in_a_meta_for_hosts_without_headers(output, server):
    """GitHub Pages sends no headers: each page's <meta http-equiv> policy is `_headers`' but for
    frame-ancestors (which a <meta> cannot carry), and comes before anything the page loads.
    serve, which sends the policy as a header, takes the <meta> out (it would refuse the live-reload script)."""
    rules = parse_headers_file((output / "_headers").read_text())
    pages = [p for p in sorted(output.rglob("*.html")) if p.relative_to(output).parts[0] != "admin"]
    for path in pages:
        rel = path.relative_to(output).as_posix()
        (policy,) = headers_of(rules, _request_path(rel))["Content-Security-Policy"]
        text = path.read_text(encoding="utf-8")
        head = text[: text.index("</head>")]
        metas = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', head)
        assert len(metas) == 1, rel
        expected = {k: v for k, v in _directives(policy).items() if k != "frame-ancestors"}
        assert _directives(html.unescape(metas[0])) == expected, rel
        first = re.search(r"<(link|script|style|img|base)\b", head)
        assert first is None or first.start() > head.index("Content-Security-Policy"), rel
    _, _, served_page = _get(server.url + "news/picket/")
    assert "http-equiv" not in served_page and "site-builder-livereload" in served_page


TRUSTED = {
    "config.yaml": SITE["config.yaml"] + "raw_html: allow\n",
    "content/posts/embed.md": """
        ---
        title: Our rally video
        date: 2026-01-06
        ---
        <div id="embed" style="border-top: 3px solid rgb(1, 2, 3)">The video</div>
        <script>document.getElementById("embed").dataset.ran = "yes";</script>
        """,
}


@pytest.mark.parametrize("where", ["serve", "host", "github-pages"])
def test_raw_html_that_the_authors_are_trusted_with_runs_under_the_policy(browser, tmp_path, where):
    """`raw_html: allow` trusts the authors with script and styles (docs/hardening.md): the policy
    does not take that back; the rest of it (plug-ins, framing, <base>) stays."""
    root = write_site(tmp_path / "site", TRUSTED)
    output = build(load_config(root / "config.yaml"), build_time()).output_dir
    running = serve.start(root / "config.yaml", port=0, echo=lambda text: None) if where == "serve" else None
    try:
        with served(output, host_headers=where == "host", under=SUB) as host:
            base = running.url if running else host + SUB
            context = browser.new_context()
            reports = watch_csp(context)
            page = context.new_page()
            page.goto(base + "news/embed/")
            page.wait_for_selector("#embed[data-ran=yes]", timeout=10_000)
            border = page.eval_on_selector("#embed", "e => getComputedStyle(e).borderTopColor")
            context.close()
    finally:
        if running:
            running.stop()
    assert border == "rgb(1, 2, 3)"
    assert reports == [], reports
    (policy,) = headers_of(parse_headers_file((output / "_headers").read_text()), SUB + "news/embed/")[
        "Content-Security-Policy"]
    directives = _directives(policy)
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert "https:" in directives["frame-src"]  # (an embedded video's page)


def test_sveltia_gets_its_own_app_and_no_eval(tmp_path):
    files = {**SITE, "config.yaml": SITE["config.yaml"] + "  editor: sveltia\n"}
    output = build(load_config(write_site(tmp_path / "site", files) / "config.yaml"), build_time()).output_dir
    (policy,) = headers_of(parse_headers_file((output / "_headers").read_text()), SUB + "admin/")[
        "Content-Security-Policy"]
    directives = _directives(policy)
    sources = [src for src, _, _ in _inline((output / "admin" / "index.html").read_text()).scripts
               if src and not src.startswith(SUB)]
    assert sources and all(src.startswith("https://unpkg.com/@sveltia/cms@") for src in sources)
    assert set(sources) <= set(directives["script-src"]) and "'unsafe-eval'" not in directives["script-src"]
    assert not any("decap" in source for source in directives["script-src"])


def test_the_editor_carries_its_policy_in_a_meta_for_hosts_without_headers(browser, output):
    """On GitHub Pages /admin/ still gets the editor's policy (but frame-ancestors) from its <meta>,
    and Decap CMS loads under it with nothing reported."""
    from tests.test_cms import _route_editor

    rules = parse_headers_file((output / "_headers").read_text())
    (policy,) = headers_of(rules, SUB + "admin/")["Content-Security-Policy"]
    page_text = (output / "admin" / "index.html").read_text()
    head = page_text[: page_text.index("</head>")]
    (meta,) = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', head)
    assert _directives(html.unescape(meta)) == {k: v for k, v in _directives(policy).items() if k != "frame-ancestors"}
    assert head.index("Content-Security-Policy") < head.index("<link")
    with served(output, under=SUB) as host:
        context = browser.new_context()
        reports = watch_csp(context)
        page = context.new_page()
        _route_editor(page)
        page.goto(host + SUB + "admin/")
        page.get_by_role("button", name="Login with GitHub").wait_for(timeout=30_000)
        context.close()
    assert reports == [], reports
