"""Issue 17, "escape means escape": entity-encoded script URLs, attr_list event handlers,
control characters in .ics and HTML, credentials in base_url, Markdown that would not finish."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import icalendar
import pytest

from site_builder.markup import MarkdownRenderer
from site_builder.textutil import markdown_problem
from site_builder.textutil import unsafe_url
from tests.bounded import build_bounded
from tests.conftest import MINIMAL_CONFIG, post, write_site

ENCODED = [
    "&#106;avascript:alert(1)", "&#0000106;avascript:alert(1)", "&#x6A;avascript:alert(1)", "&#X6a;avascript:alert(1)",
    "javascript&colon;alert(1)", "jav&#x09;ascript:alert(1)", "jav&#10;ascript:alert(1)", "java&NewLine;script:alert(1)",
    "&#x20;javascript:alert(1)", "&amp;#106;avascript:alert(1)", "vbscript&#58;msgbox(1)", "&#100;ata:text/html,<script>x</script>",
    "JaVa&Tab;ScRiPt:alert(1)", "\x01\x02 javascript:alert(1)",
]
SCRIPT = re.compile(r"^(?:javascript|data|vbscript):", re.IGNORECASE)
URL_ATTRS = {"href", "src", "action", "formaction", "cite", "poster", "background", "data", "srcdoc", "xlink:href"}


class Attrs(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def attributes(html: str) -> list[tuple[str, dict]]:
    parser = Attrs()
    parser.feed(html)
    parser.close()
    return parser.tags


def browser_sees_script(value: str) -> bool:
    """What a browser does with an attribute (already entity-decoded by the parser): strip
    leading C0 controls and spaces, remove tabs and newlines, then read the scheme."""
    value = value.lstrip("".join(map(chr, range(0x21)))).replace("\t", "").replace("\n", "").replace("\r", "")
    return bool(SCRIPT.match(value))


def assert_safe(html: str) -> None:
    for tag, attrs in attributes(html):
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, attrs, html)
            if name in URL_ATTRS:
                assert not browser_sees_script(value), (tag, attrs, html)


@pytest.mark.parametrize("url", ENCODED)
def test_one_function_decodes_before_reading_the_scheme(url):
    assert unsafe_url(url), url


def test_safe_addresses_stay_safe():
    for url in ["https://example.org/?a=1&amp;b=2", "/news/javascript-tips/", "#data:x", "mailto:x@example.org",
                "https://example.org/a&colon;b", "&#x6Aavascript:alert(1)"]:  # the last is U+06AA + "vascript:"
        assert not unsafe_url(url), url


@pytest.mark.parametrize("mode", ["allow", "sanitize", "escape"])
@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("url", ENCODED)
def test_markdown_links_images_and_references_lose_encoded_script_urls(mode, fast, url):
    renderer = MarkdownRenderer("/", mode, fast_inline=fast)
    for text in (f"[x]({url})", f"![i]({url})", f"[a][1]\n\n[1]: {url}", f"[a]\n\n[a]: {url}",
                 f"![i][1]\n\n[1]: {url}", f"[x](<{url}>)", f"[x](https://ok.example/){{: href=\"{url}\" }}"):
        html = renderer.render(text)
        assert_safe(html)
        if "<" not in url:  # `[x](<…<script>…>)` keeps a harmless relative address starting with "<"
            assert "href" not in html and "src" not in html, (text, html)


@pytest.mark.parametrize("mode", ["sanitize", "escape"])
def test_attr_lists_add_no_event_handlers_styles_or_script_urls(mode):
    renderer = MarkdownRenderer("/", mode)
    for text in ('A paragraph\n{: onmouseover="alert(1)" }', "## Heading {: onclick=alert(1) #h .c }",
                 'A paragraph\n{: style="background:url(javascript:alert(1))" ONFOCUS="x" }',
                 '[x](https://ok.example/){: onclick="alert(1)" href="javascript:alert(1)" }',
                 '```{ .python #code onclick="alert(1)" style="color:red" }\nprint(1)\n```',
                 "| a |\n|:-|\n| b |\n{: onmouseover=x }"):
        html = renderer.render(text)
        assert_safe(html)
        assert "style=\"background" not in html and "color:red" not in html, html
    # what Markdown itself writes survives: ids, classes, table alignment, code language
    assert renderer.render("## Heading {: #h .c }") == '<h2 class="c" id="h">Heading</h2>'
    assert re.search('<td style="text-align: ?left;?">b', renderer.render("| a |\n|:-|\n| b |"))
    assert renderer.render("```python\nx\n```") == '<pre><code class="language-python">x\n</code></pre>'


def test_allow_trusts_attr_lists_but_not_script_urls():
    renderer = MarkdownRenderer("/", "allow")
    assert renderer.render('A\n{: onmouseover="alert(1)" }') == '<p onmouseover="alert(1)">A</p>'
    assert renderer.render('A\n{: href="&#106;avascript:alert(1)" }') == "<p>A</p>"


CONFIG_ESCAPE = MINIMAL_CONFIG + "raw_html: {mode}\ncalendar:\n  first_year: 2026\n  last_year: 2027\n"


@pytest.mark.parametrize("mode", ["allow", "sanitize", "escape"])
def test_built_pages_and_feed_carry_no_script(scratch, build, mode):
    body = "\n\n".join(["[one](&#106;avascript:alert(1))", "![two](&#100;ata:text/html,x)", "[three][1]",
                        "[1]: &#x6a;avascript:alert(1)", "[four](javascript&colon;alert(1))",
                        "[five](jav&#x09;ascript:alert(1))", 'Hover me\n{: onmouseover="alert(1)" }'])
    root = scratch({
        "content/posts/x.md": post("X", body=body),
        "content/calendar/e.yaml": "events:\n  - id: e\n    title: E\n    start: 2026-12-05 11:00\n    end: '13:00'\n"
                                   f"    description: {json.dumps(body)}\n",
    }, config=CONFIG_ESCAPE.format(mode=mode))
    run = build(root)
    assert run.code == 0, run.err
    out = root / "output"
    for page in (out / "news/x/index.html", out / "events/e/index.html"):
        html = page.read_text(encoding="utf-8")
        assert "one</a>" in html or "one" in html
        for tag, attrs in attributes(html):
            for name, value in attrs.items():
                if name in URL_ATTRS:
                    assert not browser_sees_script(value), (page, tag, attrs)
                if mode != "allow":
                    assert not name.startswith("on"), (page, tag, attrs)
    feed = (out / "feed.xml").read_text(encoding="utf-8")
    from xml.etree import ElementTree
    content = ElementTree.fromstring(feed).find("channel/item/{http://purl.org/rss/1.0/modules/content/}encoded").text
    assert "one" in content
    for tag, attrs in attributes(content):
        for name, value in attrs.items():
            if name in URL_ATTRS:
                assert not browser_sees_script(value), (tag, attrs)
            if mode != "allow":
                assert not name.startswith("on"), (tag, attrs)


@pytest.mark.parametrize("value", ["&#106;avascript:alert(1)", "javascript&colon;alert(1)", "jav&#x09;ascript:x"])
def test_encoded_script_urls_are_refused_in_front_matter_and_menu(scratch, build, value):
    root = scratch(config=MINIMAL_CONFIG + f'menu:\n  - title: Join\n    url: "{value}"\n')
    run = build(root)
    assert run.code == 1
    assert f"config.yaml:6: menu[0].url: {value!r} is refused: javascript:, data: and vbscript:" in run.err
    root = scratch({"content/posts/a.md": f'---\ntitle: A\ndate: 2026-01-05\nimage: "{value}"\n---\nx\n'})
    run = build(root)
    assert run.code == 1
    assert f"content/posts/a.md:4: image: {value!r} is refused: javascript:, data: and vbscript:" in run.err


# --- control characters -------------------------------------------------------------------------
CONTROLS = "".join(chr(c) for c in [*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f, *range(0x80, 0xa0)])
ICS_FORBIDDEN = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def test_ics_carries_no_control_character(scratch, build):
    from site_builder.calendar.ics import event_ics
    from site_builder.calendar.model import Event, Place
    from site_builder.config import load_config
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    root = scratch()
    config = load_config(root / "config.yaml")
    start = datetime(2026, 12, 5, 18, 30, tzinfo=ZoneInfo("America/Chicago"))
    text = "Rally" + CONTROLS + "\u0085end"
    event = Event(id="e", slug="e", title=text, start=start, end=start + timedelta(hours=1), timezone="America/Chicago",
                  venue=Place(text, text), description=text + "\n\nsecond" + "\r" + "third")
    data = event_ics(event, config, start)
    assert not ICS_FORBIDDEN.search(data.decode("utf-8").replace("\r\n", ""))
    (vevent,) = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Rallyend"
    # the line breaks among the controls (\x0b, \x0c, \x1c-\x1e) fold into spaces, as soft breaks do
    assert re.sub(r"\s+", " ", str(vevent["DESCRIPTION"])) == "Rally end second third"


@pytest.mark.parametrize("mode", ["allow", "sanitize", "escape"])
def test_markdown_output_carries_no_control_character(mode):
    html = MarkdownRenderer("/", mode).render("A" + CONTROLS + "\u0085B\n\n[l" + CONTROLS + "](/x" + "\x01" + ")")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", html), repr(html)
    assert "AB" in html


# --- base_url -----------------------------------------------------------------------------------
@pytest.mark.parametrize("url,message", [
    ("https://user:pass@host.example/", "must not contain a user name or password"),
    ("https://user@host.example/", "must not contain a user name or password"),
    ("https://host.example:0/", "has a bad port '0'"),
    ("https://host.example:65536/", "has a bad port '65536'"),
    ("https://host.example:http/", "has a bad port 'http'"),
    ("https://[::1/", "must be an absolute http(s) URL"),
])
def test_base_url_flag_is_checked_like_the_config(scratch, build, url, message):
    root = scratch({"content/posts/a.md": post("A")})
    run = build(root, "--base-url", url)
    assert run.code == 1 and "Traceback" not in run.err
    assert f"--base-url:1: base_url: {message}" in run.err
    assert "pass" not in run.err.replace("password", "")  # the secret is not repeated


def test_base_url_with_a_good_port_builds(scratch, build):
    root = scratch({"content/posts/a.md": post("A")})
    assert build(root, "--base-url", "https://host.example:8443/local12").code == 0
    assert "https://host.example:8443/local12/news/a/" in (root / "output/feed.xml").read_text()


# --- bounded Markdown -----------------------------------------------------------------------------
PATHOLOGICAL = {
    "brackets": "[" * 40_000,
    "images": "![" * 20_000,
    "links": "[a](" * 10_000,
    "stars": "*" * 40_000 + "a" + "*" * 40_000,
    "tags": "<a " * 13_000,
    "backticks": "`" * 40_000,
    "quotes": "> " * 10_000 + "x",
    "lists": "\n".join("  " * i + "- x" for i in range(300)),
    "emphasis": "*a " * 10_000 + "b",
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_markdown_renders_in_bounded_time_and_memory(tmp_path, name):
    root = write_site(tmp_path / "site", {
        "config.yaml": MINIMAL_CONFIG,
        "content/posts/ok.md": post("Ok", body="Fine [link](/x/)."),
    })
    body = PATHOLOGICAL[name]
    (root / "content/posts/bad.md").write_text(post("Bad", body=body), encoding="utf-8")
    run = build_bounded(root, cpu=20, wall=40)
    assert run.finished, f"killed by its limits (code {run.code}): {run.err[-2000:]}"
    assert "Traceback" not in run.err, run.err[-3000:]
    if run.code == 0:  # rendered (or shown as escaped text), never a crash
        html = (root / "output/news/bad/index.html").read_text(encoding="utf-8")
        assert "<script" not in html.split("<main", 1)[-1].split("</main>", 1)[0]
    else:  # or refused at its line
        assert "content/posts/bad.md:" in run.err, run.err


def test_the_bound_names_the_line():
    assert markdown_problem("Intro.\n\n" + "[" * 40_000) == (3, markdown_problem("[" * 40_000)[1])
    line, message = markdown_problem("a\n\n- x\n" + "\n".join("    " * i + "- x" for i in range(1, 60)))
    assert line == 3 + 50 and "nested more than 50 levels" in message
    for fine in ["[x](/y) " * 20_000, "-" * 80, "* " * 60, "Some *news* and <b>bold</b>.\n" * 5000,
                 "\n".join("    " * i + "- x" for i in range(12))]:
        assert markdown_problem(fine) is None


def test_a_refused_text_is_shown_escaped():
    html = MarkdownRenderer("/", "allow").render("<script>x</script>" + "[" * 40_000)
    assert html.startswith('<pre class="markdown-too-complex"') and "<script>" not in html


def test_long_texts_checked_for_markdown_bounds_are_not_kept_in_memory():
    """markdown_problem remembers its answers (the readers ask, then the Markdown workers): in
    serve every saved edit is a new text, so a long page edited a hundred times must not stay in
    memory a hundred times."""
    import gc
    import tracemalloc

    from site_builder.textutil import markdown_problem

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for version in range(100):
            assert markdown_problem(f"Version {version} of a long page.\n\n" + "Words of the page. " * 10_000) is None
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 1_000_000, kept  # (each text is 190 KB: 19 MB if they were kept)
