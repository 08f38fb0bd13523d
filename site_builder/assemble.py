"""Everything that spans items: what is published, ordering, URLs, tags, duplicate checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from site_builder.config import SiteConfig
from site_builder.errors import Problem
from site_builder.models import Page, Post, Tag
from site_builder.textutil import slugify

# First path segments the site itself uses; a page may not take them.
RESERVED = {"news", "tags", "events", "meetings", "closures", "calendar", "feed.xml", "sitemap.xml",
            "robots.txt", "404.html", "css", "js", "static", "search", "pagefind", "index.html"}


@dataclass(frozen=True)
class Site:
    config: SiteConfig
    now: datetime
    posts: tuple[Post, ...]  # published, newest first
    pages: tuple[Page, ...]  # sorted by slug
    tags: tuple[Tag, ...]  # sorted by slug
    drafts_shown: bool = False
    calendar: object = None  # calendar.assemble.CalendarSite, when the calendar stage ran

    @property
    def menu_pages(self) -> tuple[Page, ...]:
        return tuple(sorted((p for p in self.pages if p.menu is not None), key=lambda p: (p.menu, p.slug)))


def _is_published(post: Post, now: datetime, drafts: bool, future: bool) -> bool:
    if post.draft and not drafts:
        return False
    return future or post.date <= now


def _duplicates(items: Iterable, key, what: str) -> list[Problem]:
    seen: dict[str, object] = {}
    problems = []
    for item in items:
        k = key(item)
        if k in seen:
            first = seen[k]
            problems.append(Problem(item.source, item.slug_line, "slug", f"{what} {k!r} is already used by {first.source}"))
        else:
            seen[k] = item
    return problems


def assemble(
    config: SiteConfig,
    posts: list[Post],
    pages: list[Page],
    now: datetime,
    drafts: bool = False,
    future: bool = False,
    calendar=None,
) -> tuple[Site, list[Problem]]:
    """Choose what is published, order it, build tags; report URL clashes."""
    problems: list[Problem] = []
    by_source = sorted(posts, key=lambda p: p.source)
    problems += _duplicates(by_source, lambda p: p.slug, "the post slug")
    pages_sorted = sorted(pages, key=lambda p: p.source)
    problems += _duplicates(pages_sorted, lambda p: p.slug, "the page slug")
    for page in pages_sorted:
        if page.slug in RESERVED:
            problems.append(Problem(page.source, page.slug_line, "slug", f"{page.slug!r} is used by the site itself; choose another"))

    published = [p for p in by_source if _is_published(p, now, drafts, future)]
    published.sort(key=lambda p: (p.date, p.slug), reverse=True)
    visible_pages = tuple(sorted((p for p in pages_sorted if drafts or not p.draft), key=lambda p: p.slug))

    tag_names: dict[str, str] = {}
    tag_posts: dict[str, list[Post]] = {}
    tag_events: dict[str, list] = {}
    tag_series: dict[str, list] = {}
    for post in published:
        for name in post.tags:
            slug = slugify(name)
            tag_names.setdefault(slug, name)
            tag_posts.setdefault(slug, []).append(post)
    if calendar is not None:
        for mapping, items in ((tag_events, calendar.events), (tag_series, [v.series for v in calendar.series])):
            for item in items:
                for name in item.tags:
                    slug = slugify(name)
                    tag_names.setdefault(slug, name)
                    mapping.setdefault(slug, []).append(item)
    tags = tuple(
        Tag(name=tag_names[s], slug=s, posts=tuple(tag_posts.get(s, ())), events=tuple(tag_events.get(s, ())),
            series=tuple(tag_series.get(s, ())))
        for s in sorted(tag_names)
    )
    site = Site(config=config, now=now, posts=tuple(published), pages=visible_pages, tags=tags, drafts_shown=drafts,
                calendar=calendar)
    return site, problems
