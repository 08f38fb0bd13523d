"""Errors are values until the edge: readers collect Problems; the CLI prints them."""

from __future__ import annotations

import re
from dataclasses import dataclass

# What a terminal (or a log viewer) would act on rather than show: C0 controls (tab and newline
# included: a problem is one line), DEL, C1 controls and the bidirectional overrides.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
MAX_SHOWN = 60  # characters of a value quoted in a message
MAX_FIELD = 80
MAX_MESSAGE = 600


def _escape_char(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control character written as an escape (ESC → \\x1b), so a message
    can never move the cursor, clear a terminal or reorder what a volunteer reads."""
    return _UNPRINTABLE.sub(_escape_char, text)


def clip(text: str, limit: int) -> str:
    """`text` cut to about `limit` characters, keeping its start and its end around " … "."""
    if len(text) <= limit:
        return text
    tail = limit // 3
    return f"{text[: limit - tail - 3]} … {text[-tail:]}"


def shown(value: object, limit: int = MAX_SHOWN) -> str:
    """A value as quoted in a message: its repr, cut to `limit` characters with an ellipsis.
    Never reprs more than needed: a long string is cut before it is quoted."""
    if isinstance(value, str):
        text = repr(value[: limit + 1])
        return text if len(value) <= limit else text[: limit + 1] + "…" + text[-1]
    if isinstance(value, (list, tuple, dict, set)) and len(value) > limit:
        return f"{type(value).__name__} of {len(value)} items"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or suspicious) in the user's input, printed as `path:line: field: message`."""

    path: str
    line: int
    field: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        """One printable line: control characters escaped, a long field or message cut."""
        prefix = f"{printable(self.path)}:{self.line}: "
        if self.field:
            prefix += f"{clip(printable(self.field), MAX_FIELD)}: "
        if self.severity == "warning":
            prefix += "warning: "
        return prefix + clip(printable(self.message), MAX_MESSAGE)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class SiteError(Exception):
    """Base class for every error site_builder reports to the user."""


class ContentError(SiteError):
    """One problem in one input file; raise it inside a parser, collect `.problem` at the boundary."""

    def __init__(self, path: str, line: int, field: str, message: str):
        self.problem = Problem(str(path), int(line or 1), field, message)
        super().__init__(str(self.problem))


class BuildFailed(SiteError):
    """The build stopped because of input problems; `problems` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(BuildFailed):
    """config.yaml is missing, unreadable or invalid."""
