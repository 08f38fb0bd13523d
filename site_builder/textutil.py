"""Small text helpers shared by readers and renderers: slugs, dates, plain-text summaries."""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RAW_HTML_MODES = ("allow", "sanitize", "escape")
_UNSAFE_SCHEME = re.compile(r"^(?:javascript|vbscript|data):", re.IGNORECASE)
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")  # browsers skip these inside a scheme


def unsafe_url(value: str) -> bool:
    """True for javascript:, vbscript: and data: addresses, however they are spaced or cased."""
    return bool(_UNSAFE_SCHEME.match(_IGNORED_IN_SCHEME.sub("", value)))


def slugify(text: str) -> str:
    """"Kaiser Permanente – 2026!" → "kaiser-permanente-2026"."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def parse_datetime(value: object, tz: ZoneInfo) -> datetime:
    """"2026-03-14", "2026-03-14 18:30", "2026-03-14T18:30:00-05:00" → an aware datetime.

    A value without an offset is wall-clock time in `tz`.  Raises ValueError with a readable message.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"not a date: {value!r} (write 2026-03-14, or 2026-03-14 18:30 for a time)"
            ) from None
    else:
        raise ValueError(f"must be a date like 2026-03-14, got {type(value).__name__} {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def plain_text(fragment_html: str) -> str:
    """HTML → whitespace-folded plain text."""
    text = re.sub(r"<[^>]+>", " ", fragment_html)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,;:.-–—")
    return cut + "…"
