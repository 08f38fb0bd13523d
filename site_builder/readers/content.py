"""content/posts/*.md and content/pages/*.md → Post and Page values (+ every Problem found)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit
from pathlib import Path
from typing import Any, Callable, Protocol

from frontmatter.default_handlers import YAMLHandler

from site_builder.config import SiteConfig
from site_builder.errors import ContentError, Problem
from site_builder.errors import shown as quoted
from site_builder.models import FrozenMap, Page, Post
from site_builder.cache import digest
from site_builder.readers.source import (
    read_tags,
    StatIndex, decode_source, list_sources, read_source, rel, reserved_name, signature, slug_too_long, MAX_SLUG,
)
from site_builder.textutil import SLUG_RE, markdown_problem, parse_datetime, slugify, unsafe_url
from site_builder.yamlutil import YMap, load_yaml

class Memo(Protocol):
    def get_many(self, ns: str, keys: list[str]) -> dict[str, Any]: ...
    def put_many(self, ns: str, items: dict[str, Any]) -> None: ...


POST_KEYS = ("title", "date", "updated", "summary", "tags", "author", "image", "draft", "slug")
PAGE_KEYS = ("title", "updated", "summary", "menu", "draft", "slug")
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
        if _empty(value):  # (the browser editor saves a cleared date as "")
            if required:
                self.error(key, "required (a date like 2026-03-14)")
            return None
        try:
            return parse_datetime(value, tz)
        except ValueError as exc:
            self.error(key, str(exc))
            return None

    def flag(self, key: str) -> bool:
        value = self.doc.meta.get(key, False)
        if _empty(value):
            return False
        if not isinstance(value, bool):
            self.error(key, f"must be true or false, got {quoted(value)}")
            return False
        return value

    def slug(self, default_from: str) -> str:
        if "slug" in self.doc.meta and not _empty(self.doc.meta["slug"]):
            value = self.text("slug")
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

    def link(self, key: str) -> str:
        """A site path (/images/x.jpg), a relative path or an http(s) address; script URLs are refused."""
        value = self.text(key)
        if not value:
            return ""
        if unsafe_url(value):
            self.error(key, f"{quoted(value)} is refused: javascript:, data: and vbscript: addresses are not allowed")
            return ""
        scheme = urlsplit(value).scheme if not re.match(r"^[A-Za-z]:[\\/]", value) else "drive"
        if scheme and scheme not in ("http", "https"):
            self.error(key, f"{quoted(value)} must be a site path such as /images/photo.jpg or an https:// address")
            return ""
        if re.search(r"[\x00-\x1f\x7f<>\"\\]", value):
            self.error(key, f"{quoted(value)} contains a control character, <, >, \\ or a double quote")
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


def _empty(value: Any) -> bool:
    """An optional field the browser editor left empty (`""`, `[]`, `{}`) is not given."""
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, (list, dict)) and not value)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {quoted(value)}"


def _tags(meta: _Meta) -> tuple[str, ...]:
    value = meta.doc.meta.get("tags")
    if isinstance(value, list) and all(isinstance(t, str) and not t.strip() for t in value):
        value = None  # `tags: []`, or the empty item an editor's list leaves
    return read_tags(None if _empty(value) else value, meta.doc.path, "tags", meta.line("tags"), meta.problems)


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
        extra=meta.unknown(POST_KEYS),
    )
    if any(p.is_error for p in problems[before:]):
        return None
    return Post(source=doc.path, body=doc.body, **post)


def _page(doc: Document, stem: str, config: SiteConfig, problems: list[Problem]) -> Page | None:
    meta = _Meta(doc, problems)
    before = len(problems)
    _check_body(doc, problems)
    menu = doc.meta.get("menu")
    if _empty(menu):
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
        extra=meta.unknown(PAGE_KEYS),
    )
    if any(p.is_error for p in problems[before:]):
        return None
    return Page(source=doc.path, body=doc.body, **page)


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
    """What a parsed source is a pure function of (its cache key and fingerprint)."""
    return digest(folder, shown, config.timezone, data)


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
