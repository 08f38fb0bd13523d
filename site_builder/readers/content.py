"""content/posts/*.md and content/pages/*.md → Post and Page values (+ every Problem found)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from pathlib import Path
from typing import Any, Callable, Protocol

from frontmatter.default_handlers import YAMLHandler

from site_builder.config import SiteConfig
from site_builder.errors import ContentError, Problem
from site_builder.errors import shown as quoted
from site_builder import schema
from site_builder.models import Alert, Attachment, Credit, FrozenMap, Page, Post, Series
from site_builder.readers import files
from site_builder.hashing import digest
from site_builder.readers.source import (
    is_empty, read_tags,
    StatIndex, decode_source, list_sources, read_source, rel, reserved_name, signature, slug_too_long, MAX_SLUG,
)
from site_builder.i18n import read_translations
from site_builder.textutil import SLUG_RE, invisible_problem, markdown_problem, parse_datetime, slugify, unsafe_url
from site_builder.yamlutil import YMap, load_yaml

class Memo(Protocol):
    def get_many(self, ns: str, keys: list[str]) -> dict[str, Any]: ...
    def put_many(self, ns: str, items: dict[str, Any]) -> None: ...


POST_KEYS = schema.POST.names
ALERT_KEYS = schema.ALERT.names
SERIES_KEYS = schema.SERIES.names
CREDIT_KEYS = schema.CREDIT.names
ALERT_TEXT_LIMIT = 300  # characters of an alert's text; more is a warning (a banner is read in passing)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PAGE_KEYS = schema.PAGE.names
ATTACHMENT_KEYS = schema.ATTACHMENT.names
MAX_ATTACHMENTS = 50
_HANDLER = YAMLHandler()


@dataclass(frozen=True)
class Document:
    path: str
    meta: YMap
    body: str
    warnings: tuple[Problem, ...] = ()  # from the YAML loader (control characters removed)
    body_line: int = 1  # the file's line number of the body's first line


def split_document(text: str, shown: str) -> Document:
    """Split `---` YAML front matter (python-frontmatter's boundary rule) from the Markdown body."""
    if not text.strip():
        raise ContentError(shown, 1, "", "file is empty: it needs front matter between --- lines, then Markdown")
    if not _HANDLER.detect(text):
        raise ContentError(shown, 1, "", "must start with a --- line opening the YAML front matter")
    try:
        fm, body = _HANDLER.split(text)
    except ValueError:
        raise ContentError(shown, 1, "", "front matter opened with --- is never closed by a second --- line") from None
    warnings: list[Problem] = []
    meta = load_yaml(fm, shown, warnings=warnings)
    if meta is None:
        meta = YMap()
        meta.line, meta.key_lines = 2, {}
    if not isinstance(meta, YMap):
        raise ContentError(shown, 2, "", "front matter must be YAML keys and values (title: ..., date: ...)")
    body = body.lstrip("\n")
    body_line = text.count("\n", 0, len(text) - len(body)) + 1 if body else 1
    return Document(shown, meta, body, tuple(warnings), body_line)


class _Meta:
    """Typed access to one document's front matter; problems are collected, not raised."""

    def __init__(self, doc: Document, problems: list[Problem]):
        self.doc, self.problems = doc, problems

    def line(self, key: str) -> int:
        return self.doc.meta.line_of(key)

    def error(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.doc.path, self.line(key), key, message))

    def text(self, key: str, required: bool = False) -> str:
        value = self.doc.meta.get(key)
        if value is None or value == "":
            if required:
                self.error(key, "required" + (" but empty" if key in self.doc.meta else ""))
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.error(key, f"must be text, got {_kind(value)}")
            return ""
        if "\x00" in value and key != "slug":  # (slug() says what a slug may hold)
            self.error(key, "contains a NUL character (written \\0 in double quotes): remove it")
            return ""
        return value.strip()

    def when(self, key: str, tz, required: bool = False):
        value = self.doc.meta.get(key)
        if is_empty(value):  # (the browser editor saves a cleared date as "")
            if required:
                self.error(key, "required (a date like 2026-03-14)")
            return None
        try:
            return parse_datetime(value, tz)
        except ValueError as exc:
            self.error(key, str(exc))
            return None

    def until(self, key: str, tz):
        """An end moment (`expires`): a date alone means the end of that day (the next midnight)."""
        found = self.when(key, tz)
        value = self.doc.meta.get(key)
        if found is not None and isinstance(value, str) and _DATE_ONLY.match(value.strip()):
            found = datetime.combine(found.date() + timedelta(days=1), time(), found.tzinfo)
        return found

    def ident(self, key: str, what: str) -> str:
        """A slug-shaped id (`series:`); anything else is an error at its line."""
        value = self.text(key)
        if value and (message := invisible_problem(value)):
            self.error(key, message)
            return ""
        if value and not SLUG_RE.match(value):
            self.error(key, f"{quoted(value)} is not a valid {what}: use lowercase letters, digits and single "
                            "hyphens (kaiser-national-bargaining-2019)")
            return ""
        if value and (message := slug_too_long(value, what)):
            self.error(key, message)
            return ""
        if value and reserved_name(value):
            self.error(key, f"{value!r} is a reserved device name on Windows; choose another {what}")
            return ""
        return value

    def credit(self, key: str) -> Credit | None:
        """`source:` of a repost: name and url required, author and date optional."""
        value = self.doc.meta.get(key)
        if is_empty(value):
            return None
        if not isinstance(value, dict):
            self.error(key, f"must be a section with name: and url: (the original's publisher and address), got "
                            f"{_kind(value)}")
            return None
        line = (lambda k: value.line_of(k)) if hasattr(value, "line_of") else (lambda k: self.line(key))
        before = len(self.problems)

        def err(sub: str, message: str, severity: str = "error") -> None:
            self.problems.append(Problem(self.doc.path, line(sub), f"{key}.{sub}", message, severity))

        def text(sub: str) -> str:
            item = value.get(sub)
            if is_empty(item):
                return ""
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                return str(item)
            if not isinstance(item, str) or "\x00" in item:
                err(sub, f"must be text, got {_kind(item)}")
                return ""
            return item.strip()

        for sub in value:
            if sub not in CREDIT_KEYS:
                err(sub, f"unknown key (known: {', '.join(CREDIT_KEYS)})", "warning")
        name, url, author = text("name"), text("url"), text("author")
        if not name:
            err("name", "required: who published the story first (Pioneer Press)")
        if not url:
            err("url", "required: the original's https:// address")
        elif unsafe_url(url) or urlsplit(url).scheme.lower() not in ("http", "https") or \
                re.search(r"[\x00-\x20\x7f<>\"\\]", url):
            err("url", f"{quoted(url)} must be an https:// address")
        day = None
        if not is_empty(value.get("date")):
            raw = value.get("date")
            if not isinstance(raw, str) or not _DATE_ONLY.match(raw.strip()):
                err("date", f"must be a date like 2026-03-14, got {quoted(raw)}")
            else:
                try:
                    day = date.fromisoformat(raw.strip())
                except ValueError:
                    err("date", f"not a date: {quoted(raw)}")
        if any(p.is_error for p in self.problems[before:]):
            return None
        return Credit(name=name, url=url, author=author, date=day)

    def attachments(self, key: str) -> tuple[Attachment, ...]:
        """`attachments:` a list of {file:, title:}; only what was typed is checked here (the
        files themselves are found on every build: readers/files.resolve)."""
        value = self.doc.meta.get(key)
        if is_empty(value):
            return ()
        if not isinstance(value, list):
            self.error(key, f"must be a list of files (- file: /files/letter.pdf, title: ...), got {_kind(value)}")
            return ()
        if len(value) > MAX_ATTACHMENTS:
            self.error(key, f"{len(value)} files; at most {MAX_ATTACHMENTS} can be listed under one text")
            return ()
        out: list[Attachment] = []
        for i, entry in enumerate(value):
            at = value.line_of(i) if hasattr(value, "line_of") else self.line(key)
            where = f"{key}[{i}]"
            if isinstance(entry, str):  # `- /files/letter.pdf`: a file without a title
                entry = {"file": entry}
            if not isinstance(entry, dict):
                self.problems.append(Problem(self.doc.path, at, where, f"must be file: and title:, got {_kind(entry)}"))
                continue
            line = (lambda k: entry.line_of(k)) if hasattr(entry, "line_of") else (lambda k: at)
            for sub in entry:
                if sub not in ATTACHMENT_KEYS:
                    self.problems.append(Problem(self.doc.path, line(sub), f"{where}.{sub}",
                                                 f"unknown key (known: {', '.join(ATTACHMENT_KEYS)})", "warning"))
            path, message = files.written(entry.get("file"), beside=True)
            if message:
                self.problems.append(Problem(self.doc.path, line("file") if "file" in entry else at,
                                             f"{where}.file", message))
                continue
            title = entry.get("title")
            if isinstance(title, (int, float)) and not isinstance(title, bool):
                title = str(title)
            if is_empty(title):
                self.problems.append(Problem(self.doc.path, line("title") if "title" in entry else at, f"{where}.title",
                                             "required: the link's words (Letter to members)"))
                continue
            if not isinstance(title, str) or "\x00" in title:
                self.problems.append(Problem(self.doc.path, line("title"), f"{where}.title",
                                             f"must be text, got {_kind(title)}"))
                continue
            out.append(Attachment(file=path, title=" ".join(title.split()), line=at))
        return tuple(out)

    def flag(self, key: str) -> bool:
        value = self.doc.meta.get(key, False)
        if is_empty(value):
            return False
        if not isinstance(value, bool):
            self.error(key, f"must be true or false, got {quoted(value)}")
            return False
        return value

    def slug(self, default_from: str) -> str:
        if "slug" in self.doc.meta and not is_empty(self.doc.meta["slug"]):
            value = self.text("slug")
            if value and (message := invisible_problem(value)):
                self.error("slug", message)
                return ""
            if value and not SLUG_RE.match(value):
                self.error("slug", f"{quoted(value)} is not a slug: use lowercase letters, digits and single hyphens")
                return ""
            if value and (message := slug_too_long(value, "a slug")):
                self.error("slug", f"{message}: choose a shorter slug")
                return ""
            if value and reserved_name(value):
                self.error("slug", f"{value!r} is a reserved device name on Windows; choose another slug")
                return ""
            return value
        slug = slugify(default_from)
        if not slug:
            self.problems.append(Problem(self.doc.path, 1, "slug", "cannot make a slug from the file name; add slug:"))
        elif reserved_name(slug):
            self.problems.append(Problem(self.doc.path, 1, "slug",
                                         f"{slug!r} (from the file name) is a reserved device name on Windows; add slug:"))
            return ""
        elif slug_too_long(slug):
            self.problems.append(Problem(self.doc.path, 1, "slug", f"the file name is too long for a slug ({len(slug)} "
                                         f"characters; a slug may have at most {MAX_SLUG}): rename the file or add "
                                         "a shorter slug:"))
            return ""
        return slug

    def link(self, key: str, calls: bool = False) -> str:
        """A site path (/images/x.jpg), a relative path or an http(s) address, and with `calls`
        (an alert's link) also a `tel:` number or a `mailto:` address; script URLs are refused."""
        value = self.text(key)
        if not value:
            return ""
        if unsafe_url(value):
            self.error(key, f"{quoted(value)} is refused: javascript:, data: and vbscript: addresses are not allowed")
            return ""
        if value.startswith(("//", "\\\\")):  # another host without a scheme: write it out
            self.error(key, f"{quoted(value)} names another site without https:; write https://{value.lstrip('/')}")
            return ""
        scheme = urlsplit(value).scheme.lower() if not re.match(r"^[A-Za-z]:[\\/]", value) else "drive"
        if scheme and scheme not in (("http", "https", "tel", "mailto") if calls else ("http", "https")):
            self.error(key, f"{quoted(value)} must be a site path, an https:// address, a tel: number or a mailto: "
                            "address" if calls else
                            f"{quoted(value)} must be a site path such as /images/photo.jpg or an https:// address")
            return ""
        if re.search(r"[\x00-\x1f\x7f<>\"\\\s]" if calls else r"[\x00-\x1f\x7f<>\"\\]", value):
            self.error(key, f"{quoted(value)} contains a space, a control character, <, >, \\ or a double quote"
                       if calls else f"{quoted(value)} contains a control character, <, >, \\ or a double quote")
            return ""
        return value

    def unknown(self, known: tuple[str, ...]) -> FrozenMap:
        extra = {}
        for key in self.doc.meta:
            if key not in known:
                self.problems.append(
                    Problem(self.doc.path, self.line(key), key, f"unknown key (known: {', '.join(known)})", "warning")
                )
                extra[key] = self.doc.meta[key]
        return FrozenMap(extra)




def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {quoted(value)}"


def _tags(meta: _Meta) -> tuple[str, ...]:
    return read_tags(meta.doc.meta.get("tags"), meta.doc.path, "tags", meta.line("tags"), meta.problems)


def _check_body(doc: Document, problems: list[Problem]) -> None:
    """Markdown that would take minutes to render (40,000 `[`, lists 2,000 deep) is refused at its line."""
    if found := markdown_problem(doc.body):
        problems.append(Problem(doc.path, doc.body_line + found[0] - 1, "body", found[1]))


def _post(doc: Document, stem: str, config: SiteConfig, problems: list[Problem]) -> Post | None:
    meta = _Meta(doc, problems)
    before = len(problems)
    _check_body(doc, problems)
    title = meta.text("title", required=True)
    date = meta.when("date", config.tz, required=True)
    updated = meta.when("updated", config.tz)
    if date and updated and updated < date:
        meta.error("updated", "is before date")
    post = dict(
        title=title,
        date=date,
        updated=updated,
        summary=meta.text("summary"),
        tags=_tags(meta),
        author=meta.text("author"),
        image=meta.link("image"),
        draft=meta.flag("draft"),
        slug=meta.slug(stem),
        slug_line=meta.line("slug") if "slug" in doc.meta else 1,
        expires=meta.until("expires", config.tz),
        credit=meta.credit("source"),
        series=meta.ident("series", "series id"),
        series_line=meta.line("series"),
        attachments=meta.attachments("attachments"),
        extra=meta.unknown(POST_KEYS),
    )
    if date and post["expires"] and post["expires"] <= date:
        meta.error("expires", "is not after date")
    if any(p.is_error for p in problems[before:]):
        return None
    return Post(source=doc.path, body=doc.body, **post)


def _page(doc: Document, stem: str, config: SiteConfig, problems: list[Problem]) -> Page | None:
    meta = _Meta(doc, problems)
    before = len(problems)
    _check_body(doc, problems)
    menu = doc.meta.get("menu")
    if is_empty(menu):
        menu = None
    if menu is not None and (isinstance(menu, bool) or not isinstance(menu, int)):
        meta.error("menu", f"must be a whole number (its place in the navigation), got {quoted(menu)}")
        menu = None
    page = dict(
        title=meta.text("title", required=True),
        summary=meta.text("summary"),
        updated=meta.when("updated", config.tz),
        menu=menu,
        draft=meta.flag("draft"),
        slug=meta.slug(stem),
        slug_line=meta.line("slug") if "slug" in doc.meta else 1,
        attachments=meta.attachments("attachments"),
        extra=meta.unknown(PAGE_KEYS),
    )
    if any(p.is_error for p in problems[before:]):
        return None
    return Page(source=doc.path, body=doc.body, **page)


def _alert(doc: Document, stem: str, config: SiteConfig, problems: list[Problem]) -> Alert | None:
    meta = _Meta(doc, problems)
    before = len(problems)
    _check_body(doc, problems)
    starts = meta.when("starts", config.tz)
    expires = meta.until("expires", config.tz)
    if starts and expires and expires <= starts:
        meta.error("expires", "is not after starts")
    text = doc.body.strip()
    if len(text) > ALERT_TEXT_LIMIT:
        problems.append(Problem(doc.path, doc.body_line, "body", f"{len(text)} characters: an alert is read in "
                                f"passing, keep it under {ALERT_TEXT_LIMIT} and link to a post for the rest",
                                "warning"))
    alert = dict(
        title=meta.text("title", required=True),
        link=meta.link("link", calls=True),
        link_text=meta.text("link_text") or schema.ALERT["link_text"].default,
        starts=starts,
        expires=expires,
        tags=_tags(meta),
        draft=meta.flag("draft"),
        slug=meta.slug(stem),
        translations=read_translations(doc.meta, doc.path, "translations", config, ("title", "description", "link_text"),
                                       problems),
    )
    meta.unknown(ALERT_KEYS)
    if any(p.is_error for p in problems[before:]):
        return None
    return Alert(source=doc.path, body=doc.body, **alert)


def _series(doc: Document, stem: str, config: SiteConfig, problems: list[Problem]) -> Series | None:
    meta = _Meta(doc, problems)
    before = len(problems)
    _check_body(doc, problems)
    ident = meta.ident("id", "series id") if "id" in doc.meta and not is_empty(doc.meta["id"]) else ""
    if not ident and not any(p.is_error for p in problems[before:]):
        ident = meta.slug(stem)
    series = dict(title=meta.text("title", required=True), summary=meta.text("summary"), id=ident,
                  slug_line=meta.line("id") if "id" in doc.meta else 1)
    meta.unknown(SERIES_KEYS)
    if any(p.is_error for p in problems[before:]):
        return None
    return Series(source=doc.path, body=doc.body, **series)


def _parse(data: bytes, shown: str, stem: str, config: SiteConfig, make: Callable) -> tuple[Any, list[Problem]]:
    problems: list[Problem] = []
    try:
        doc = split_document(decode_source(data, shown), shown)
    except ContentError as exc:
        return None, [exc.problem]
    problems += doc.warnings
    item = make(doc, stem, config, problems)
    return item, sorted(problems)


def _read_folder(config: SiteConfig, folder: str, make: Callable, memo: Memo | None) -> tuple[list, list[Problem]]:
    """Read every Markdown file of a folder.  With `memo` (the build cache), a file whose bytes
    were parsed before is not parsed again, and one whose stat signature is unchanged since the
    last build is not even read (see source.StatIndex)."""
    slot = digest(folder, str(config.content_dir), config.timezone)
    index = StatIndex(memo.get_many("stat", [slot]).get(slot) if memo else None)
    sources = []
    problems: list[Problem] = []
    odd: list[Path] = []
    for path in list_sources(config.content_dir / folder, config.root, "*.md", odd):
        shown = rel(path, config.root)
        try:
            sig = signature(path)
            key = index.known(shown, sig)
            data = None
            if key is None:
                data = read_source(path, shown)
                key = _key(folder, shown, config, data)
        except (ContentError, OSError) as exc:
            problems.append(_unreadable(exc, shown))
            continue
        sources.append((path, shown, sig, data, key))
    for path in sorted(odd):  # a named pipe or device called *.md: say why it is not read
        try:
            read_source(path, rel(path, config.root))
        except (ContentError, OSError) as exc:
            problems.append(_unreadable(exc, rel(path, config.root)))
    cached = memo.get_many("doc", [s[4] for s in sources]) if memo else {}
    fresh = {}
    items = []
    for path, shown, sig, data, key in sources:
        if key not in cached:
            if data is None:  # known by its signature, but no longer in the cache: read it after all
                try:
                    data = read_source(path, shown)
                except (ContentError, OSError) as exc:
                    problems.append(_unreadable(exc, shown))
                    continue
                key = _key(folder, shown, config, data)
        if key in cached:
            item, found = cached[key]
        else:
            item, found = fresh[key] = _item(data, shown, path.stem, config, make, key)
        index.record(shown, sig, key)
        problems += found
        if item is not None:
            items.append(item)
    if memo:
        memo.put_many("doc", fresh)
        if index.current != index.previous:
            memo.put_many("stat", {slot: index.current})
    return items, problems


def _unreadable(exc: Exception, shown: str) -> Problem:
    """The problem for a source that could not be read (a pipe, a device, a permission)."""
    if isinstance(exc, ContentError):
        return exc.problem
    return Problem(shown, 1, "", f"cannot read the file: {getattr(exc, 'strerror', None) or exc}")


def _key(folder: str, shown: str, config: SiteConfig, data: bytes) -> str:
    """What a parsed source is a pure function of (its cache key and fingerprint); an alert's
    `translations:` are read against the site's languages."""
    return digest(folder, shown, config.timezone, data, *(lang.code for lang in config.languages))


def _item(data: bytes, shown: str, stem: str, config: SiteConfig, make: Callable, key: str) -> tuple[Any, list[Problem]]:
    item, found = _parse(data, shown, stem, config, make)
    if item is not None:
        item = replace(item, fingerprint=key)  # the item is a pure function of this key
    return item, found


def read_one(config: SiteConfig, path: Path) -> tuple[Post | Page | None, list[Problem]]:
    """One file of content/posts or content/pages, read exactly as read_posts/read_pages do."""
    folder = path.relative_to(config.content_dir).parts[0]
    make = {"posts": _post, "pages": _page}[folder]
    shown = rel(path, config.root)
    try:
        data = read_source(path, shown)
    except (ContentError, OSError) as exc:
        return None, [_unreadable(exc, shown)]
    return _item(data, shown, path.stem, config, make, _key(folder, shown, config, data))


def read_posts(config: SiteConfig, memo: Memo | None = None) -> tuple[list[Post], list[Problem]]:
    return _read_folder(config, "posts", _post, memo)


def read_pages(config: SiteConfig, memo: Memo | None = None) -> tuple[list[Page], list[Problem]]:
    return _read_folder(config, "pages", _page, memo)


def read_alerts(config: SiteConfig, memo: Memo | None = None) -> tuple[list[Alert], list[Problem]]:
    """content/alerts/*.md (none: no alerts)."""
    return _read_folder(config, "alerts", _alert, memo)


def read_series(config: SiteConfig, memo: Memo | None = None) -> tuple[list[Series], list[Problem]]:
    """content/series/*.md: titles and introductions of update series (each file optional)."""
    return _read_folder(config, "series", _series, memo)
