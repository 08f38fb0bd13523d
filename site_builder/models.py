"""The values a build passes between stages.  Frozen; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping


class FrozenMap(dict):
    """A read-only dict that pickles (for the cache), e.g. a post's extra front matter."""

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("FrozenMap is read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]

    def __reduce__(self):
        return (FrozenMap, (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=repr)))


EMPTY: Mapping = FrozenMap()


@dataclass(frozen=True)
class Post:
    source: str  # path relative to the site root, posix
    slug: str
    title: str
    date: datetime  # aware, in the site's timezone unless the author gave an offset
    body: str  # Markdown source
    updated: datetime | None = None
    summary: str = ""  # as written; see Site.summary_of for the derived one
    tags: tuple[str, ...] = ()
    author: str = ""
    image: str = ""
    draft: bool = False
    extra: Mapping = field(default_factory=lambda: EMPTY)  # unknown front matter keys (also warned about)
    fingerprint: str = field(default="", compare=False, repr=False)  # hash of the source bytes it was read from
    slug_line: int = field(default=1, compare=False, repr=False)  # line of `slug:` (1: from the file name)

    @property
    def url(self) -> str:
        return f"/news/{self.slug}/"


@dataclass(frozen=True)
class Page:
    source: str
    slug: str
    title: str
    body: str
    summary: str = ""
    menu: int | None = None  # position in the main navigation
    draft: bool = False
    updated: datetime | None = None
    extra: Mapping = field(default_factory=lambda: EMPTY)
    fingerprint: str = field(default="", compare=False, repr=False)
    slug_line: int = field(default=1, compare=False, repr=False)

    @property
    def url(self) -> str:
        return f"/{self.slug}/"


@dataclass(frozen=True)
class Tag:
    name: str  # as the author wrote it (first spelling seen)
    slug: str
    posts: tuple[Post, ...] = ()
    events: tuple = ()  # calendar Events carrying this tag
    series: tuple = ()  # calendar MeetingSeries carrying this tag

    @property
    def url(self) -> str:
        return f"/tags/{self.slug}/"


@dataclass(frozen=True)
class Output:
    """One file of the built site: a path relative to output/ and either bytes or a file to copy."""

    path: str
    data: bytes | None = None
    source: str | None = None  # absolute path of a static file to copy
    kind: str = field(default="page", compare=False)
    unchanged: bool = field(default=False, compare=False)  # `source` is the identical file already in output/
