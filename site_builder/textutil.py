"""Small text helpers shared by readers and renderers: slugs, dates, plain-text summaries."""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from site_builder.errors import shown

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RAW_HTML_MODES = ("allow", "sanitize", "escape")
_UNSAFE_SCHEME = re.compile(r"^(?:javascript|vbscript|data):", re.IGNORECASE)
# A browser's URL parser strips leading C0 controls and spaces and removes tabs and newlines
# anywhere; we drop every C0 control, space and DEL (and the C1 controls) wherever they are.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f-\x9f]+")
# C0 controls except tab, line feed and carriage return; DEL; C1 controls (NEL U+0085 included).
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


_INVISIBLE_KINDS = ("Cf", "Cc", "Zl", "Zp")  # format characters (bidi controls, zero-width ones), controls, line breaks


def invisible_problem(value: str) -> str | None:
    """Why `value` cannot be an address, a slug, an id or a tag (None if it can): it holds a
    character a reader does not see, such as U+202E RIGHT-TO-LEFT OVERRIDE (which reorders the text
    after it) or U+200B ZERO WIDTH SPACE: two names that look alike would be two addresses.  (NUL
    has its own message where it is read; tab and line ends are white space, which each reader
    already rules on; the YAML loader has removed the other C0 and C1 controls.)"""
    for char in value:
        if char not in "\x00\t\n\r" and unicodedata.category(char) in _INVISIBLE_KINDS:
            name = unicodedata.name(char, "a control character")
            return f"contains the invisible character U+{ord(char):04X} ({name}): remove it"
    return None


def unsafe_url(value: str) -> bool:
    """True for javascript:, vbscript: and data: addresses, however they are spaced, cased or
    entity-encoded: `&#106;avascript:`, `javascript&colon;`, `jav&#x09;ascript:` are decoded
    as a browser decodes an attribute value (html.unescape, repeated so double encoding is
    caught too), then controls and spaces are dropped before the scheme is read.  The one
    function that decides what a script address is (front matter, config, calendar, Markdown)."""
    text = value
    for _ in range(4):  # each round can only shorten the text; real URLs settle in one
        decoded = html.unescape(text) if "&" in text else text
        if decoded == text:
            break
        text = decoded
    return bool(_UNSAFE_SCHEME.match(_IGNORED_IN_SCHEME.sub("", text)))


def strip_controls(text: str) -> str:
    """`text` without the control characters no HTML, XML or iCalendar text may carry (C0
    controls other than tab, line feed and carriage return, DEL, C1 controls)."""
    return CONTROL_CHARS.sub("", text)


_SLUG_GAPS = re.compile(r"[^a-z0-9]+")


@functools.lru_cache(maxsize=8192)  # (a post's topics are slugified some twenty times a build)
def slugify(text: str) -> str:
    """"Kaiser Permanente – 2026!" → "kaiser-permanente-2026"."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _SLUG_GAPS.sub("-", text.lower()).strip("-")


# ISO 8601 as editors and other tools write a moment: a date, a time (seconds and their fraction
# optional) and `Z` or an offset: 2026-12-04T18:00:00.000Z, 2026-12-04T12:00:00-06:00.
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)",
                     re.ASCII)


def parse_moment(text: str, tz: ZoneInfo | None) -> datetime | None:
    """An ISO 8601 date and time with `Z` or an offset → that moment in `tz` (in its own offset
    when `tz` is None); None for text without an offset (a date alone, a wall-clock time: each
    reader's own rule).  The one reader of such moments: posts, alerts, events, meetings.  Raises
    ValueError for one that has the form but not the values (hour 25)."""
    text = text.strip()
    if not _MOMENT.fullmatch(text):
        return None
    moment = datetime.fromisoformat(text.upper())  # (ValueError: a month 13, an hour 25, a day 31 of April)
    try:
        return moment.astimezone(tz) if tz is not None else moment
    except OverflowError:  # (year 1 or 9999 moved across midnight)
        raise ValueError(f"{text!r} is out of range") from None


def parse_datetime(value: object, tz: ZoneInfo) -> datetime:
    """"2026-03-14", "2026-03-14 18:30", "2026-03-14T18:30:00-05:00", "2026-03-14T23:30:00.000Z"
    → an aware datetime in `tz`.

    A value without an offset is wall-clock time in `tz`.  Raises ValueError with a readable message.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = parse_moment(text, None) or datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"not a date: {value!r} (write 2026-03-14, or 2026-03-14 18:30 for a time)"
            ) from None
    else:
        raise ValueError(f"must be a date like 2026-03-14, got {type(value).__name__} {value!r}")
    if not 1900 <= parsed.year <= 2200:  # (near year 1 or 9999 a time zone change overflows)
        raise ValueError(f"{value!r} is not a date this site can publish: the year must be from 1900 to 2200")
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed.astimezone(tz)


def plain_text(fragment_html: str) -> str:
    """HTML → whitespace-folded plain text."""
    text = re.sub(r"<[^>]+>", " ", fragment_html)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,;:.-–—")
    return cut + "…"


# --- bounds: what Python-Markdown cannot render in linear time ---------------------------------
# Python-Markdown scans from every `[` to its `]` (three times: link, reference, footnote), from
# every `](` to its `)` and, for raw HTML, from every `<tag` to its `>`; unclosed ones scan to the
# end of the paragraph, so 40,000 `[` take minutes.  Its block parser recurses once per level of
# nesting.  `markdown_problem` measures both in one linear pass over the source, before rendering.
MAX_NESTING = 50  # levels of lists, block quotes and indentation on one line
MAX_SCAN = 2_000_000  # characters those scans may cover in one text (about half a second)
_LEAD = re.compile(r"(?m)^[ \t>*+\-.)0-9]{%d,}" % MAX_NESTING)  # candidates: a long run of them
_MARKERS = re.compile(r"[>*+\-.)]")
_RULE = re.compile(r"[ \t]*([*_-])(?:[ \t]*\1)*[ \t]*")  # --- or * * *: a rule, not nesting


def _nesting_line(text: str) -> int | None:
    """The first line (1-based) whose leading indentation and list/quote markers could nest more
    than MAX_NESTING levels (a marker and its space count as a level, so do four more columns)."""
    for match in _LEAD.finditer(text):
        lead = match.group()
        line_end = text.find("\n", match.start())
        if _RULE.fullmatch(text, match.start(), line_end if line_end >= 0 else len(text)):
            continue
        markers = len(_MARKERS.findall(lead))  # each followed by a space, as in "> " or "- "
        if markers + max(0, len(lead.expandtabs(4)) - 2 * markers) // 4 > MAX_NESTING:
            return text.count("\n", 0, match.start()) + 1
    return None
_SCANNED = re.compile(r"\n[ \t]*\n|[\[\]()>]|<[A-Za-z/!?]")


MAX_FOOTNOTE_REFS = 500  # Python-Markdown's footnotes cost grows with the square of their number


REMEMBERED_LENGTH = 16_384  # characters: longer texts are not kept (their scan is a small part of their cost)


def markdown_problem(text: str) -> tuple[int, str] | None:
    """(line, message) when `text` is beyond what can be rendered quickly (line 1 = the text's
    first line), else None.  Linear in the length of the text.  (Asked by the readers and again
    before rendering, in the Markdown workers, which are forked after reading: remembered, for
    texts of a post's usual length only, so that serve, every edit a new text, holds at most
    8,192 of those and none of the long ones.)"""
    return _remembered_problem(text) if len(text) <= REMEMBERED_LENGTH else _problem(text)


@functools.lru_cache(maxsize=8192)
def _remembered_problem(text: str) -> tuple[int, str] | None:
    return _problem(text)


def _problem(text: str) -> tuple[int, str] | None:
    if text.count("[^") > MAX_FOOTNOTE_REFS:
        at = 0
        for _ in range(MAX_FOOTNOTE_REFS + 1):
            at = text.index("[^", at) + 2
        return (text.count("\n", 0, at) + 1,
                f"more than {MAX_FOOTNOTE_REFS} footnote references ([^…]); a text this long needs fewer "
                "(or write the brackets as \\[^)")
    nested = _nesting_line(text)
    if nested:
        return (nested,
                f"lists, block quotes or indentation are nested more than {MAX_NESTING} levels deep here; "
                "flatten the structure")
    cost = 0
    block_start = 0
    brackets: list[int] = []  # open `[` of this paragraph
    parens: list[int] = []  # open `(`, negative when it does not follow `]`
    tags = 0  # open `<tag` since the last `>`, and the sum of their positions
    tag_sum = 0
    previous, previous_end = "", -1
    for match in _SCANNED.finditer(text):
        token, at = match.group(), match.start()
        if token[0] == "\n" or token == ">":
            if tags:
                cost += tags * at - tag_sum
                tags = tag_sum = 0
            if token[0] == "\n":
                cost += len(brackets) * at - sum(brackets) + sum(at - p for p in parens if p >= 0)
                brackets.clear()
                parens.clear()
                block_start = match.end()
        elif token == "[":
            brackets.append(at)
        elif token == "]":
            if brackets:
                cost += at - brackets.pop()
        elif token == "(":
            parens.append(at if previous == "]" and match.start() == previous_end else -1)
        elif token == ")":
            if parens and (p := parens.pop()) >= 0:
                cost += at - p
        else:  # <tag
            tags += 1
            tag_sum += at
        previous, previous_end = token, match.end()
        if cost > MAX_SCAN:
            break
    end = len(text)
    cost += len(brackets) * end - sum(brackets) + sum(end - p for p in parens if p >= 0) + tags * end - tag_sum
    if cost > MAX_SCAN:
        return (text.count("\n", 0, block_start) + 1,
                "this paragraph has too many [ ( or < that Markdown must search far to close (unclosed or nested "
                "ones) to be rendered in reasonable time; close them, write them as \\[ \\( \\<, or put the text "
                "in a code block")
    return None


# A BCP 47 language tag, as far as a site needs one: a 2–3 letter language, then optional
# subtags of 1–8 letters or digits (script, region, variant): en, fr-CA, zh-Hant-TW, es-419.
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
MAX_LANGUAGE = 35


# Names of a translation's language, in that language (others are shown as their code).
LANGUAGE_NAMES = {"en": "English", "es": "Español", "so": "Soomaali", "hmn": "Hmoob", "vi": "Tiếng Việt",
                  "am": "አማርኛ", "om": "Afaan Oromoo", "kar": "Karen", "fr": "Français", "ar": "العربية",
                  "zh": "中文", "ru": "Русский", "ht": "Kreyòl ayisyen", "lo": "ລາວ", "km": "ខ្មែរ",
                  "tl": "Tagalog", "pt": "Português", "ko": "한국어", "ne": "नेपाली", "my": "မြန်မာ"}


def language_problem(value: str) -> str | None:
    """Why `value` cannot be the site's `language` (None if it can).  Pagefind (search.py), the
    page's `lang` attribute and the feeds all need a real language tag; a long made-up one once made
    Pagefind's binary panic and the build wait for it forever."""
    if isinstance(value, str) and len(value) <= MAX_LANGUAGE and _LANGUAGE.match(value):
        return None
    return (f"{shown(value)} is not a language tag: use a 2- or 3-letter language code, optionally with a "
            "region, such as en, es, fr-CA or en-US")


def english_time(value) -> str:
    """A time of day as the English pages write it: "6:30 pm", "6 pm", "noon"."""
    hour, minute = value.hour, value.minute
    if (hour, minute) == (12, 0):
        return "noon"
    suffix = "am" if hour < 12 else "pm"
    h12 = hour % 12 or 12
    return f"{h12}:{minute:02d} {suffix}" if minute else f"{h12} {suffix}"
