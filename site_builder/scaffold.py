"""`site-builder new post|page|event "Title"`: create a source file with its front matter.

The slug comes from the title, the date is today in the site's timezone (from the build clock, so
SOURCE_DATE_EPOCH is honoured), and an existing file is never overwritten.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from site_builder.config import SiteConfig
from site_builder.errors import SiteError, shown
from site_builder.textutil import slugify


class ScaffoldError(SiteError):
    """The file could not be created (it exists, the title has no slug, a value is malformed)."""


@dataclass(frozen=True)
class Created:
    path: Path  # absolute
    shown: str  # relative to the site root


def _quote(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _slug(title: str, slug: str | None) -> str:
    from site_builder.readers.source import MAX_SLUG

    value = slugify(slug if slug else title)
    if not value:
        raise ScaffoldError(f"cannot make a slug from {shown(title)}: give --slug with letters or digits")
    if len(value) > MAX_SLUG:
        if slug:
            raise ScaffoldError(f"--slug is {len(value)} characters long; the limit is {MAX_SLUG}: choose a shorter one")
        value = value[: MAX_SLUG + 1].rsplit("-", 1)[0] if "-" in value[: MAX_SLUG + 1] else value[:MAX_SLUG]
    return value


def _create(config: SiteConfig, rel: str, text: str) -> Created:
    path = config.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)  # never overwrite, even in a race
    except FileExistsError:
        raise ScaffoldError(f"{rel} already exists; not overwriting it (choose another title or --slug)") from None
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return Created(path, rel)


def new_post(config: SiteConfig, title: str, now: datetime, slug: str | None = None) -> Created:
    slug = _slug(title, slug)
    today = now.astimezone(config.tz).date().isoformat()
    text = (
        "---\n"
        f"title: {_quote(title)}\n"
        f"date: {today}\n"
        'summary: ""\n'
        "tags: []\n"
        "draft: true\n"
        "---\n"
        "\n"
        "Write the post here, in Markdown. Remove `draft: true` above to publish it.\n"
    )
    return _create(config, f"content/posts/{slug}.md", text)


def new_page(config: SiteConfig, title: str, now: datetime, slug: str | None = None) -> Created:
    slug = _slug(title, slug)
    today = now.astimezone(config.tz).date().isoformat()
    text = (
        "---\n"
        f"title: {_quote(title)}\n"
        'summary: ""\n'
        f"updated: {today}\n"
        "draft: true\n"
        "# menu: 5   # its place in the main navigation; leave out to keep it off the menu\n"
        "---\n"
        "\n"
        "Write the page here, in Markdown. Remove `draft: true` above to publish it.\n"
    )
    return _create(config, f"content/pages/{slug}.md", text)


def new_event(config: SiteConfig, title: str, start: str, now: datetime, slug: str | None = None,
              duration: str | None = None, end: str | None = None) -> Created:
    """content/calendar/<id>.yaml holding one entry of `events:` (format: docs/calendar.md)."""
    from site_builder.readers.calendar import parse_date_time, parse_duration, parse_time

    try:
        day, at = parse_date_time(start)
    except ValueError as exc:
        raise ScaffoldError(f"--start: {exc}") from None
    if duration and end:
        raise ScaffoldError("give --end or --duration, not both")
    try:
        if duration:
            parse_duration(duration)
        if end and at is not None and not end.strip()[:4].isdigit():
            parse_time(end)
        elif end:
            parse_date_time(end)
    except ValueError as exc:
        raise ScaffoldError(f"--{'duration' if duration else 'end'}: {exc}") from None
    base = _slug(title, slug)
    ident = base if slug else f"{base}-{day.isoformat()}"  # like docs/calendar.md: strike-school-2025-04-16
    lines = [
        "# One event; the whole format is in docs/calendar.md.",
        "events:",
        f"  - id: {ident}   # permanent: calendar apps know the event by it; never change it",
        f"    title: {_quote(title)}",
    ]
    if at is None:
        lines.append(f"    start: {day.isoformat()}")
        if end:
            lines.append(f"    end: {end.strip()}")
    else:
        lines.append(f'    start: "{day.isoformat()} {at:%H:%M}"')
        if end:
            lines.append(f"    end: {_quote(end.strip())}")
        else:
            lines.append(f"    duration: {duration or '2 hours'}")
    lines += [
        "    # venue:",
        "    #   name: Local 12 Hall",
        "    #   address: 123 Main St, Minneapolis, MN",
        "    # online_url: https://example.org/meeting",
        "    tags: []",
        '    description: ""',
        "",
    ]
    del now  # the event's own date is what matters; kept for a uniform signature
    return _create(config, f"content/calendar/{ident}.yaml", "\n".join(lines))
