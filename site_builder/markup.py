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

Fast inline stage: `_FastInlineProcessor` replaces the stock inline treeprocessor (same name,
priority, pattern order, stash handling) but skips a pattern on a text that lacks what every match
of its regex must contain (`[` for links, `*`/`_` for emphasis; nothing derivable: never skipped).
Python-Markdown versions not in `_FAST_INLINE_VERSIONS` keep the stock processor.
"""

from __future__ import annotations

import re
from typing import Callable
import xml.etree.ElementTree as etree

import markdown
import nh3
from markdown import inlinepatterns, util
from markdown.extensions import Extension
from markdown.treeprocessors import InlineProcessor, Treeprocessor

from site_builder.textutil import RAW_HTML_MODES, markdown_problem, strip_controls, unsafe_url

EXTENSIONS = ["extra", "toc", "sane_lists"]
URL_ATTRS = ("href", "src")  # what the base path is added to
# Every attribute a browser reads as an address (a script URL in any of them is dropped).
SCRIPT_URL_ATTRS = frozenset({
    "href", "src", "action", "formaction", "cite", "poster", "background", "data", "longdesc",
    "usemap", "lowsrc", "dynsrc", "codebase", "classid", "archive", "profile", "manifest", "icon",
    "ping", "srcdoc", "xlink:href", "srcset", "itemtype", "itemid",
})


# The sanitize allow-list: nh3's defaults (formatting, lists, tables, images, links) plus the
# attributes Markdown's own output uses.
_SANITIZE_TAGS = set(nh3.ALLOWED_TAGS) | {"tfoot"}
_SANITIZE_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
_SANITIZE_ATTRIBUTES["*"] = {"id", "class", "title", "lang", "dir"}
_SANITIZE_ATTRIBUTES.setdefault("th", set()).add("style")  # tables: style="text-align: left;"
_SANITIZE_ATTRIBUTES.setdefault("td", set()).add("style")
_SANITIZE_ATTRIBUTES["ol"] = _SANITIZE_ATTRIBUTES.get("ol", set()) | {"start", "type"}
_SANITIZE_SCHEMES = {"http", "https", "mailto", "tel"}


_TABLE_ALIGN = re.compile(r"text-align: (?:left|right|center);?")


def _keep_attribute(tag: str, attr: str, value: str) -> str | None:
    # nh3 lets "java\tscript:" through as a relative URL; browsers drop the tab and run it.
    return None if attr in SCRIPT_URL_ATTRS and unsafe_url(value) else value


def markdown_attribute_allowed(tag: str, attr: str, value: str) -> bool:
    """Whether an attribute on an element Markdown built (attr_list's `{: ... }` included) may
    stay when raw HTML is not trusted (`escape`, `sanitize`): the sanitize allow-list (no `on*`
    handlers, no `style` but a table cell's alignment), and no script address."""
    attr = attr.lower()
    if attr not in _SANITIZE_ATTRIBUTES["*"] and attr not in _SANITIZE_ATTRIBUTES.get(tag, ()):
        return False
    if attr == "style":
        return bool(_TABLE_ALIGN.fullmatch(value.strip()))
    return not (attr in SCRIPT_URL_ATTRS and unsafe_url(value))


# Word's settings and drawings, pasted as XML elements (outside the conditional comment Word puts
# them in, <w:View>Normal</w:View> would be the text "Normal"): Word, Office, Math, VML, Excel, <xml>.
# Other prefixed tags (smart tags such as <st1:place>) wrap the document's own text: nh3 drops
# their tags and keeps it.  `[^<>]` keeps the scan for a tag's end from running past the next tag.
_OFFICE_TAG = re.compile(r"<(/?)((?:[wovmx]:[A-Za-z][\w.-]*)|xml)(?=[\s/>])[^<>]*?(/?)>", re.IGNORECASE)
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>\n?")


def _without_office_xml(fragment: str) -> tuple[str, bool]:
    """`fragment` without its Office XML elements and their text; whether any was there.  One
    pass: an element that is never closed loses only its tags (the text after it stays)."""
    kept: list[str] = []
    pos = 0  # what is kept so far ends here
    open_names: list[str] = []
    counts: dict[str, int] = {}  # open_names as a multiset: a close tag is matched in O(1)
    tags: list[tuple[int, int]] = []  # the tags inside the element being dropped
    for match in _OFFICE_TAG.finditer(fragment):
        closing, name, alone = match.group(1), match.group(2).lower(), match.group(3)
        if not open_names:
            if closing or alone:  # a stray end tag, or an element with no content
                kept.append(fragment[pos:match.start()])
                pos = match.end()
            else:
                open_names, counts, tags = [name], {name: 1}, [match.span()]
            continue
        tags.append(match.span())
        if closing and counts.get(name):
            while True:  # (each name is pushed once and popped once: linear overall)
                last = open_names.pop()
                counts[last] -= 1
                if last == name:
                    break
            if not open_names:
                kept.append(fragment[pos:tags[0][0]])
                pos = match.end()
        elif not closing and not alone:
            open_names.append(name)
            counts[name] = counts.get(name, 0) + 1
    if open_names:  # never closed: only the tags go
        for start, end in tags:
            kept.append(fragment[pos:start])
            pos = end
    if not pos:
        return fragment, False
    kept.append(fragment[pos:])
    return "".join(kept), True


def sanitize(fragment: str) -> str:
    """Clean an HTML fragment with the allow-list above; text content is kept, script is not,
    nor Office XML (Word's settings) with its text."""
    fragment, cut = _without_office_xml(fragment)
    html = _clean(fragment)
    return _EMPTY_PARAGRAPH.sub("", html) if cut else html


def _clean(fragment: str) -> str:
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


_HTML_PLACEHOLDER = re.compile(re.escape(util.HTML_PLACEHOLDER).replace("%s", r"(\d+)"))


class _DropUnsafeUrls(Treeprocessor):
    """Remove javascript:/vbscript:/data: addresses (however entity-encoded) from every element
    Markdown built: links, images, reference definitions and attr_list's `{: href=... }`.
    With `trusted=False` (raw_html escape or sanitize) also every attribute outside the
    sanitize allow-list: attr_list cannot add `onmouseover=` or `style=` either."""

    def __init__(self, md: markdown.Markdown, trusted: bool):
        super().__init__(md)
        self.trusted = trusted

    def _resolved(self, value: str) -> str:
        # An entity written in attr_list's `{: href="&#106;..." }` is in the HTML stash until the
        # last step: check the value as it will be written.
        if util.STX not in value:
            return value
        blocks = self.md.htmlStash.rawHtmlBlocks

        def raw(match: re.Match) -> str:
            index = int(match.group(1))
            return str(blocks[index]) if index < len(blocks) else ""

        return _HTML_PLACEHOLDER.sub(raw, value)

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if not element.attrib:
                continue
            tag = element.tag if isinstance(element.tag, str) else ""
            for attr, value in list(element.attrib.items()):
                value = self._resolved(value)
                if self.trusted:
                    drop = attr.lower() in SCRIPT_URL_ATTRS and unsafe_url(value)
                else:
                    drop = not markdown_attribute_allowed(tag, attr, value)
                if drop:
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
    def __init__(self, base_path: str, trusted: bool = True):
        super().__init__()
        self.base_path, self.trusted = base_path, trusted

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_BasePathRewriter(md, self.base_path), "base_path", 1)
        # After "unescape" (0): attribute values hold their final characters by then.
        md.treeprocessors.register(_DropUnsafeUrls(md, self.trusted), "drop_unsafe_urls", -10)


def _untrusted_fence_attributes(fenced: object) -> None:
    """A fenced code block's `{ key=value }` pairs become attributes in HTML that fenced_code
    writes itself (past the tree): when raw HTML is not trusted keep only id, classes, title,
    lang and dir."""
    handle = getattr(fenced, "handle_attrs", None)
    if handle is None:
        return

    def handle_attrs(attrs):
        ident, classes, configs = handle(attrs)
        return ident, classes, {k: v for k, v in configs.items()
                                if isinstance(v, str) and markdown_attribute_allowed("code", k, v)}

    fenced.handle_attrs = handle_attrs


# --- bounds: see textutil.markdown_problem ------------------------------------------------
def _too_complex(text: str, reason: str) -> str:
    """What a text beyond the bounds renders to: itself, escaped, in a preformatted block."""
    import html

    return f'<pre class="markdown-too-complex" title="{html.escape(reason)}">{html.escape(text, quote=False)}</pre>'


# --- fast inline stage ------------------------------------------------------------------------
# Python-Markdown versions (major, minor) whose InlineProcessor.__handleInline the override below
# reproduces line for line.  Any other version gets the stock processor.
_FAST_INLINE_VERSIONS = {(3, 11)}


def _markdown_version() -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in markdown.__version__.split(".")[:2])
    except (AttributeError, ValueError):
        return ()


def _required_strings(sequence, ignorecase: bool) -> frozenset[str] | None:
    """Alternatives of which any match of the parsed regex `sequence` contains at least one, or
    None when nothing safe can be said.  Only literal characters, positive character sets and
    what must be matched at least once count; everything else is simply not used."""
    from re import _constants as c

    if ignorecase:
        return None
    candidates: list[frozenset[str]] = []
    run = ""
    for op, av in sequence:
        if op is c.LITERAL:
            run += chr(av)  # consecutive literals must occur together
            continue
        if run:
            candidates.append(frozenset([run]))
            run = ""
        found = None
        if op is c.IN:
            chars: set[str] = set()
            for item_op, item_av in av:
                if item_op is c.LITERAL:
                    chars.add(chr(item_av))
                elif item_op is c.RANGE and item_av[1] - item_av[0] < 64:
                    chars.update(chr(code) for code in range(item_av[0], item_av[1] + 1))
                else:  # NEGATE, CATEGORY, wide ranges: unusable
                    chars = set()
                    break
            found = frozenset(chars) or None
        elif op is c.SUBPATTERN:
            found = _required_strings(av[3], bool(av[1] & re.IGNORECASE))
        elif op is c.ATOMIC_GROUP:
            found = _required_strings(av, False)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            if av[0] >= 1:
                found = _required_strings(av[2], False)
        elif op is c.BRANCH:
            union: set[str] = set()
            for branch in av[1]:
                alternatives = _required_strings(branch, False)
                if alternatives is None:
                    union = set()
                    break
                union |= alternatives
            found = frozenset(union) or None
        if found:
            candidates.append(found)
    if run:
        candidates.append(frozenset([run]))
    if not candidates:
        return None

    def cost(alternatives: frozenset[str]) -> tuple[int, int, int]:
        common = any(len(a) == 1 and (a.isspace() or a.isalnum()) for a in alternatives)
        return len(alternatives), -min(len(a) for a in alternatives), common

    return min(candidates, key=cost)


def _needles(pattern: object) -> tuple[str, ...] | None:
    """Strings of which every match of `pattern` contains at least one (so where none occurs the
    pattern cannot match), or None when the pattern must always be tried."""
    if not isinstance(pattern, inlinepatterns.InlineProcessor):
        return None  # legacy patterns: always tried
    if type(pattern).getCompiledRegExp is not inlinepatterns.Pattern.getCompiledRegExp:
        return None  # a subclass choosing its regex at run time
    if "getCompiledRegExp" in vars(pattern):
        return None
    compiled = getattr(pattern, "compiled_re", None)
    if not isinstance(compiled, re.Pattern) or not isinstance(compiled.pattern, str):
        return None
    try:
        from re import _parser

        alternatives = _required_strings(_parser.parse(compiled.pattern, compiled.flags),
                                         bool(compiled.flags & re.IGNORECASE))
    except Exception:  # noqa: BLE001 - a regex we cannot read is always tried
        return None
    return tuple(sorted(alternatives, key=lambda a: (-len(a), a))) if alternatives else None


class _FastInlineProcessor(InlineProcessor):
    """The stock inline treeprocessor, minus the calls that cannot match: before trying a pattern
    on a string, look for what every match of that pattern contains; if it is absent, move on to
    the next pattern exactly as the stock code does after a failed try (index + 1, start 0)."""

    def __init__(self, md: markdown.Markdown):
        super().__init__(md)
        self._needles: dict[int, tuple[object, object, tuple[str, ...] | None]] = {}
        self._patterns: list[tuple[object, tuple[str, ...] | None]] = []

    def _refresh(self) -> None:
        # The registry may have changed since the last document (e.g. "html" deregistered).
        patterns = []
        for pattern in self.inlinePatterns:  # registry order = the stock processor's order
            compiled = getattr(pattern, "compiled_re", None)
            cached = self._needles.get(id(pattern))
            if cached is None or cached[0] is not pattern or cached[1] is not compiled:
                cached = (pattern, compiled, _needles(pattern))
                self._needles[id(pattern)] = cached
            patterns.append((pattern, cached[2]))
        self._patterns = patterns

    def run(self, tree: etree.Element, ancestors: list[str] | None = None) -> etree.Element:
        self._refresh()
        return super().run(tree, ancestors)

    # Replaces InlineProcessor.__handleInline (name-mangled; called by the stock run() and
    # __applyPattern).  Same loop, over the cached pattern list, with the skip added.
    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if not isinstance(data, util.AtomicString):
            apply = self._InlineProcessor__applyPattern
            patterns = self._patterns
            startIndex = 0
            count = len(patterns)
            while patternIndex < count:
                pattern, needles = patterns[patternIndex]
                if needles is not None:
                    for needle in needles:
                        if needle in data:
                            break
                    else:  # cannot match: what __applyPattern returns then is (data, False, 0)
                        patternIndex += 1
                        startIndex = 0
                        continue
                data, matched, startIndex = apply(pattern, data, patternIndex, startIndex)
                if not matched:
                    patternIndex += 1
        return data


def _fast_inline_supported() -> bool:
    return (_markdown_version() in _FAST_INLINE_VERSIONS
            and callable(getattr(InlineProcessor, "_InlineProcessor__handleInline", None))
            and callable(getattr(InlineProcessor, "_InlineProcessor__applyPattern", None)))


class MarkdownRenderer:
    """Renders Markdown documents one after another with one reused Markdown instance."""

    def __init__(self, base_path: str = "/", raw_html: str = "allow", fast_inline: bool = True):
        """`fast_inline=False`: Python-Markdown's own inline stage (the reference in tests)."""
        if raw_html not in RAW_HTML_MODES:
            raise ValueError(f"raw_html must be one of {', '.join(RAW_HTML_MODES)}, got {raw_html!r}")
        self.sanitize = raw_html == "sanitize"
        self.md = markdown.Markdown(
            extensions=[*EXTENSIONS, _BasePath(base_path, trusted=raw_html == "allow")],
            extension_configs={"toc": {"permalink": False}},
            output_format="html",
        )
        if raw_html == "escape":
            self.md.preprocessors.deregister("html_block")
            self.md.inlinePatterns.deregister("html")
        if raw_html != "allow" and "fenced_code_block" in self.md.preprocessors:
            _untrusted_fence_attributes(self.md.preprocessors["fenced_code_block"])
        if fast_inline and _fast_inline_supported():
            self.md.treeprocessors.register(_FastInlineProcessor(self.md), "inline", 20)

    def render(self, text: str) -> str:
        text = strip_controls(text)
        if problem := markdown_problem(text):
            return _too_complex(text, f"line {problem[0]}: {problem[1]}")
        try:
            html = self.md.reset().convert(text)
        except RecursionError:  # nesting the check above does not measure (emphasis inside emphasis…)
            return _too_complex(text, "nested too deeply")
        finally:
            self.md.reset()
        return sanitize(html) if self.sanitize else html


# --- many documents at once, spread over a process pool -------------------------------------
# Each worker process keeps one renderer (set up by the pool initializer) and reuses it.
_worker_renderer: MarkdownRenderer | None = None
_worker_then: Callable[[str, str], dict] | None = None
POOL_THRESHOLD = 64  # below this many documents a pool costs more than it saves


def _init_worker(base_path: str, raw_html: str, then: Callable[[str, str], dict] | None) -> None:
    global _worker_renderer, _worker_then
    import signal

    # Ctrl-C reaches the whole process group: the main process stops the pool (with SIGTERM), so a
    # worker neither prints a traceback of its own nor outlives it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _worker_renderer = MarkdownRenderer(base_path, raw_html)
    _worker_then = then


def _render_chunk(chunk: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], dict]:
    assert _worker_renderer is not None
    done = [(key, _worker_renderer.render(text)) for key, text in chunk]
    extra: dict = {}
    if _worker_then is not None:
        for key, html in done:
            extra.update(_worker_then(key, html))
    return done, extra


def render_many(texts: dict[str, str], base_path: str, raw_html: str, workers: int | None = None,
                progress: Callable[[int, int], None] | None = None) -> dict[str, str]:
    """Render {key: markdown} → {key: html}, over `workers` processes when there is enough work.

    `progress(done, total)` is called as documents finish (for a progress bar)."""
    return render_then(texts, base_path, raw_html, None, workers, progress)[0]


def render_then(texts: dict[str, str], base_path: str, raw_html: str, then: Callable[[str, str], dict] | None,
                workers: int | None = None,
                progress: Callable[[int, int], None] | None = None,
                pages_ready: Callable[[dict], None] | None = None) -> tuple[dict[str, str], dict]:
    """render_many, and when the work is spread over worker processes, `then(key, html)` is
    called in the worker right after each document (the pool is forked, so `then` may use
    anything the caller has, unpickled); the dicts it returns are merged and returned too,
    and each is passed to `pages_ready` as it comes back (while the workers go on).
    With too little work for a pool, `then` is not called and the second dict is empty."""
    import multiprocessing
    import os

    workers = workers or os.cpu_count() or 1
    items = sorted(texts.items())
    total = len(items)
    results: dict[str, str] = {}
    extra: dict = {}
    if workers < 2 or total < POOL_THRESHOLD:
        renderer = MarkdownRenderer(base_path, raw_html)
        for key, text in items:
            results[key] = renderer.render(text)
            if progress and len(results) % 50 == 0:
                progress(len(results), total)
    else:
        size = max(8, total // (workers * 16))  # (small enough that no worker waits long for the last one)
        chunks = [items[i : i + size] for i in range(0, total, size)]
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_init_worker, initargs=(base_path, raw_html, then)) as pool:
            for done, more in pool.imap_unordered(_render_chunk, chunks):
                results.update(done)
                extra.update(more)
                if pages_ready and more:
                    pages_ready(more)
                if progress:
                    progress(len(results), total)
    if progress and total:
        progress(total, total)
    return results, extra
