"""Errors are values until the edge: readers collect Problems; the CLI prints them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or suspicious) in the user's input, printed as `path:line: field: message`."""

    path: str
    line: int
    field: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        prefix = f"{self.path}:{self.line}: "
        if self.field:
            prefix += f"{self.field}: "
        if self.severity == "warning":
            prefix += "warning: "
        return prefix + self.message

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
