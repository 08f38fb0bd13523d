"""The values a build passes between stages.  Frozen; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Mapping

# First path segments the site itself uses: a page slug or the editor's upload folder may not take them.
SITE_PATHS = frozenset({"news", "tags", "events", "meetings", "closures", "calendar", "feed.xml", "sitemap.xml",
                        "robots.txt", "404.html", "css", "js", "static", "search", "pagefind", "index.html", "act",
                        "series", "admin", "schemas", "contracts"})


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
class Credit:
    """`source:` of a repost: who published the story first (docs/content.md)."""

    name: str
    url: str
    author: str = ""
    date: Any = None  # a date, or None


@dataclass(frozen=True)
class Attachment:
    """A file a post, a page or a contract links to (`attachments:`, `document:`): as written, then,
    once files.resolve has found it, its site path, size and type."""

    file: str  # as written: "/files/letter.pdf" (static/) or "letter.pdf" (beside the post)
    title: str
    line: int = field(default=1, compare=False)
    url: str = ""  # site path of the file in output/
    size: int = 0  # bytes
    label: str = ""  # "PDF", "Word document", ...
    mime: str = ""  # "application/pdf"
    source: str = field(default="", compare=False)  # absolute path of a file beside a post (copied to `url`)
    language: str = ""  # a contract translation's language code


@dataclass(frozen=True)
class Contract:
    """One entry of content/contracts.yaml (docs/contracts.md)."""

    id: str
    employer: str  # a tag slug of config.yaml's tags:
    unit: str
    effective: Any = None  # a date, or None for a first contract still in bargaining
    expires: Any = None
    document: Attachment | None = None
    summary: str = ""
    status: str = "in force"
    languages: tuple[Attachment, ...] = ()
    line: int = field(default=1, compare=False)

    @property
    def anchor(self) -> str:
        return f"/contracts/#contract-{self.id}"


@dataclass(frozen=True)
class Post:
    source: str  # path relative to the site root, posix
    slug: str
    title: str
    date: datetime  # aware, in the site's timezone unless the author gave an offset
    body: str  # Markdown source
    updated: datetime | None = None
    summary: str = ""  # as written; render.Renderer.summary derives one from the text when empty
    tags: tuple[str, ...] = ()
    author: str = ""
    image: str = ""
    draft: bool = False
    extra: Mapping = field(default_factory=lambda: EMPTY)  # unknown front matter keys (also warned about)
    fingerprint: str = field(default="", compare=False, repr=False)  # hash of the source bytes it was read from
    slug_line: int = field(default=1, compare=False, repr=False)  # line of `slug:` (1: from the file name)
    expires: datetime | None = None  # after it the post leaves lists and feeds; its page stays
    credit: Credit | None = None  # front matter `source:` (a repost)
    series: str = ""  # the id of its update series
    series_line: int = field(default=1, compare=False, repr=False)
    attachments: tuple[Attachment, ...] = ()
    lang: str = ""  # a translation (about.es.md): its language code; "" in the default language

    @property
    def url(self) -> str:
        return f"/news/{self.slug}/"

    @property
    def ended_on(self):
        """The last day of a call to action (`expires: 2026-08-01` ends at the next midnight)."""
        return (self.expires - timedelta(microseconds=1)).date() if self.expires else None


@dataclass(frozen=True)
class Alert:
    """An action alert (content/alerts/*.md): a banner on every page while it is active."""

    source: str
    slug: str
    title: str
    body: str  # Markdown source
    link: str = ""
    link_text: str = "Take action"
    starts: datetime | None = None
    expires: datetime | None = None
    tags: tuple[str, ...] = ()
    draft: bool = False
    html: str = field(default="", compare=False)  # the body rendered (build.with_alert_html), before any page
    translations: Mapping = field(default_factory=lambda: EMPTY)  # code → {title, description, link_text}
    fingerprint: str = field(default="", compare=False, repr=False)
    slug_line: int = field(default=1, compare=False, repr=False)

    @property
    def url(self) -> str:
        return f"/act/#{self.slug}"

    @property
    def shown_starts(self):
        """`starts` as shown: a date alone when it is a midnight."""
        if self.starts is None:
            return None
        return self.starts.date() if (self.starts.hour, self.starts.minute, self.starts.second) == (0, 0, 0) \
            else self.starts

    @property
    def shown_expires(self):
        """`expires` as shown: at a midnight, the day before (its last day: "through Dec 15")."""
        if self.expires is None:
            return None
        if (self.expires.hour, self.expires.minute, self.expires.second) == (0, 0, 0):
            return (self.expires - timedelta(days=1)).date()
        return self.expires

    def active(self, now: datetime) -> bool:
        return (self.starts is None or self.starts <= now) and (self.expires is None or now < self.expires)


@dataclass(frozen=True)
class Series:
    """An update series: `series:` on posts, optionally described by content/series/<id>.md."""

    id: str
    title: str
    source: str = ""  # "" for a series no file describes
    body: str = ""  # the introduction (Markdown)
    summary: str = ""
    fingerprint: str = field(default="", compare=False, repr=False)
    slug_line: int = field(default=1, compare=False, repr=False)

    @property
    def slug(self) -> str:
        return self.id

    @property
    def url(self) -> str:
        return f"/series/{self.id}/"


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
    attachments: tuple[Attachment, ...] = ()
    lang: str = ""  # a translation (about.es.md): its language code; "" in the default language

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
    contracts: tuple = ()  # Contracts with this employer

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
