"""The fast inline stage (markup._FastInlineProcessor) renders exactly what stock Python-Markdown does.

Differential: every document is rendered by MarkdownRenderer (fast path) and by
MarkdownRenderer(fast_inline=False), which keeps Python-Markdown's own inline processor (same
extensions, _BasePath, raw_html modes), and the HTML must be identical: the site's own posts and pages, 200 bench posts, and
hypothesis-built text made of Markdown-significant fragments.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import markdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown.treeprocessors import InlineProcessor

from site_builder import markup
from site_builder.bench import post_text
from site_builder.markup import MarkdownRenderer

REPO = Path(__file__).resolve().parent.parent
MODES = ("allow", "escape", "sanitize")
BASES = ("/", "/local12/")


def body(text: str) -> str:
    """The Markdown after the front matter (the text after the second --- line)."""
    if text.startswith("---"):
        parts = text.split("---", 2)
        if len(parts) == 3:
            return parts[2].lstrip("\n")
    return text


def StockRenderer(base_path: str, raw_html: str) -> MarkdownRenderer:
    """The same configuration with Python-Markdown's stock inline processor: the reference."""
    renderer = MarkdownRenderer(base_path, raw_html, fast_inline=False)
    assert type(renderer.md.treeprocessors["inline"]) is InlineProcessor
    return renderer


_PAIRS: dict[tuple[str, str], tuple[MarkdownRenderer, MarkdownRenderer]] = {}


def pair(base_path: str, raw_html: str) -> tuple[MarkdownRenderer, MarkdownRenderer]:
    # Reused across documents on purpose: state left over from one document must not leak either.
    key = (base_path, raw_html)
    if key not in _PAIRS:
        _PAIRS[key] = (MarkdownRenderer(base_path, raw_html), StockRenderer(base_path, raw_html))
    return _PAIRS[key]


def outcome(renderer, text: str) -> str:
    try:
        return renderer.render(text)
    except Exception as error:  # noqa: BLE001 - the same failure on both sides is still "identical"
        return f"raised {type(error).__name__}: {error}"


def assert_same(text: str, base_path: str = "/local12/", modes=MODES) -> None:
    for mode in modes:
        fast, stock = pair(base_path, mode)
        got, want = outcome(fast, text), outcome(stock, text)
        assert got == want, f"raw_html={mode} base={base_path}: fast path differs for {text!r}"


def registries(md: markdown.Markdown) -> dict[str, list[tuple[str, float, type]]]:
    out = {}
    for name in ("preprocessors", "parser.blockprocessors", "inlinePatterns", "treeprocessors", "postprocessors"):
        registry = md
        for part in name.split("."):
            registry = getattr(registry, part)
        registry._sort()
        out[name] = [(item.name, item.priority, type(registry[item.name])) for item in registry._priority]
    return out


SAMPLES = sorted((REPO / "content").glob("posts/*.md")) + sorted((REPO / "content").glob("pages/*.md"))
BENCH = [body(post_text(i, random.Random(i))) for i in range(200)]


# --- the comparison is meaningful ---------------------------------------------------------------

def test_fast_path_is_active_for_the_installed_markdown():
    assert markup._fast_inline_supported(), (
        f"Python-Markdown {markdown.__version__} is not in markup._FAST_INLINE_VERSIONS: the stock (slower) "
        "inline processor is used.  Check _FastInlineProcessor against the new treeprocessors.py, then add it.")
    for mode in MODES:
        fast, _ = pair("/", mode)
        assert type(fast.md.treeprocessors["inline"]) is markup._FastInlineProcessor


@pytest.mark.parametrize("mode", MODES)
def test_reference_is_configured_like_the_renderer(mode):
    fast, stock = pair("/local12/", mode)
    got, want = registries(fast.md), registries(stock.md)
    assert [(n, p) for n, p, _ in got["treeprocessors"]] == [(n, p) for n, p, _ in want["treeprocessors"]]
    got["treeprocessors"] = [row for row in got["treeprocessors"] if row[0] != "inline"]
    want["treeprocessors"] = [row for row in want["treeprocessors"] if row[0] != "inline"]
    assert got == want


def test_unknown_markdown_version_falls_back_to_stock(monkeypatch):
    monkeypatch.setattr(markdown, "__version__", "3.99.0")
    renderer = MarkdownRenderer("/", "allow")
    assert type(renderer.md.treeprocessors["inline"]) is InlineProcessor
    assert renderer.render("*a* [b](/c)") == '<p><em>a</em> <a href="/c">b</a></p>'


def test_skipped_patterns_really_cannot_match():
    """Wherever a pattern is skipped (its required text is absent), its regex finds nothing."""
    renderer, _ = pair("/", "allow")
    renderer.render("x")
    entries = renderer.md.treeprocessors["inline"]._patterns
    assert [p for p, _ in entries] == list(renderer.md.inlinePatterns)
    assert all(needles for _, needles in entries)  # every stock pattern can be skipped somewhere
    texts = [p.read_text(encoding="utf-8") for p in SAMPLES] + BENCH[:20] + FRAGMENTS
    for text in texts:
        for piece in [text, *text.split("\n")]:
            for pattern, needles in entries:
                if not any(needle in piece for needle in needles):
                    assert pattern.getCompiledRegExp().search(piece) is None, (pattern, piece)


@pytest.mark.parametrize("regex, must_contain", [
    (r"\[\^([^\]]*)\]", {"[^"}),
    (r"\*|_", {"*", "_"}),
    (r"(?<!\\)`", {"`"}),
    (r"<([A-Za-z][A-Za-z0-9+.-]*://[^<>]*)>", {"://"}),
    (r"(?:ab|cd)+x?", {"ab", "cd"}),
    (r"a*", None),                # can match the empty string
    (r"(?=x)", None),             # zero width
    (r"(?i)abc", None),           # case-insensitive: never skipped
    (r"(?i:abc)", None),
    (r"[^a]", None),
    (r"\d+", None),
])
def test_required_strings(regex, must_contain):
    from re import _parser

    compiled = re.compile(regex, re.DOTALL)
    got = markup._required_strings(_parser.parse(compiled.pattern, compiled.flags),
                                   bool(compiled.flags & re.IGNORECASE))
    assert got == (None if must_contain is None else frozenset(must_contain))


# --- differential -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_site_content_renders_identically(path):
    assert SAMPLES
    text = body(path.read_text(encoding="utf-8"))
    for base in BASES:
        assert_same(text, base)


def test_bench_posts_render_identically():
    for text in BENCH:
        assert_same(text, "/local12/")


FRAGMENTS = [
    "Plain *em* and **strong** and ***both*** and _u_ and __uu__ and `code` and ``a ` b``.\n",
    "[a](/b) ![i](/x.png) [ref] [ref][] ![ref] <http://x.y> <me@x.y> &amp; &copy; &#35; &#x41; & AT&T\n",
    "\\* \\_ \\` \\[x\\] \\\\ trailing  \nbreak <span class=\"k\">*in*</span> <!-- c --> <?pi?>\n",
    "Footnote[^1] and HTML abbr.\n\n[^1]: The *note* [a](/b).\n\n*[HTML]: Hyper Text\n\n[ref]: /refs/ \"T\"\n",
    "# Head *x* {: .cls}\n\npara {: #id }\n\n- a\n- *b*\n\n1. one\n2. [two](/2)\n",
    "| a | *b* |\n|---|:-:|\n| `c` | [d](/e) |\n\n```\n*not em* [no](/link)\n```\n\n> quote **s**\n",
    "Term\n: *definition* <b>x</b>\n\n<div markdown=\"1\">*md* in html</div>\n\n~~~ {.python}\nx\n~~~\n",
    "a_b_c snake_case_word 2*3*4 **unclosed *mixed** end* `unclosed [x](y\n",
]


@pytest.mark.parametrize("text", FRAGMENTS)
def test_handwritten_fragments_render_identically(text):
    for base in BASES:
        assert_same(text, base)


INLINE = st.sampled_from([
    "*", "**", "***", "_", "__", "`", "``", " ", " ", "  \n", "\n", "word", "HTML", "x", "a_b",
    "[a](/b)", "![i](/x.png)", "[a](/b \"t\")", "[ref]", "[ref][]", "[x][ref]", "![ref]", "[", "]", "(", ")", "!",
    "<span>", "</span>", "<b>", "<", ">", "&amp;", "&", "&#35;", "\\*", "\\", "\\_", "\\`",
    "<http://x.y>", "<a@b.c>", "[^1]", "[^2]", "{: .cls}", "{: #i }", "|", "#", ":", "'", "\"",
    "\x02", "\x03", "klzzwxh:0001",
])
LINE_START = st.sampled_from(["", "", "", "# ", "## ", "- ", "* ", "1. ", "> ", "    ", "| ", ": ",
                              "*[HTML]: ", "[^1]: ", "[ref]: /r ", "    - "])
BLOCK = st.sampled_from([
    "```\ncode *x* [a](/b)\n```",
    "~~~\n`x`\n~~~",
    "| a | b |\n|---|---|\n| *c* | `d` |",
    "| h *1* | h2 |\n|:--|--:|\n| [x](/y) | <b>z</b> |",
    "<div>*raw*</div>",
    "<div markdown=\"1\">*md*</div>",
    "---",
    "",
])
LINE = st.builds(lambda start, parts: start + "".join(parts), LINE_START, st.lists(INLINE, max_size=12))
DOCUMENT = st.lists(st.one_of(LINE, LINE, LINE, BLOCK), min_size=1, max_size=10).map("\n".join)


@settings(derandomize=True, max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT)
def test_generated_markdown_renders_identically(text):
    assert_same(text)
