"""Everything that spans items: what is published, ordering, URLs, tags, duplicate checks."""

from __future__ import annotations

import bisect
import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable, Mapping

from site_builder.cache import BuildCache
from site_builder.config import SiteConfig
from site_builder.errors import Problem
from site_builder.hashing import digest
from site_builder.calendar.site import LIVE_DAYS
from site_builder.contracts import order as contract_order
from site_builder.models import EMPTY, SITE_PATHS, Alert, FrozenMap, Page, Post, Series, Tag
from site_builder.textutil import slugify

RESERVED = SITE_PATHS  # (models.py: the first path segments the site itself uses)

RELATED = 4  # related posts listed under a post
RELATED_WINDOW = 20  # of each shared topic, the posts this near in date are candidates (bounds the work)
BANNER = 2  # active alerts in the banner of every page
BANNER_BUILT = 12  # alerts built into every page's banner markup, shown or waiting (all are on /act/)
# A topic naming an employer (`kind: employer` in config.yaml's `tags:`) weighs most when
# related news is chosen.
EMPLOYER_WEIGHT, TOPIC_WEIGHT = 3, 1


def is_employer_tag(config: SiteConfig, slug: str) -> bool:
    """Whether the topic `slug` names an employer: config.yaml's `tags:` says so."""
    return config.is_employer(slug)


@dataclass(frozen=True)
class SeriesPosts:
    """An update series with its published posts, oldest first."""

    series: Series
    posts: tuple[Post, ...]


@dataclass(frozen=True)
class SeriesPlace:
    """Where a post stands in its series: "Update 2 of 5", the previous and the next."""

    series: Series
    number: int
    total: int
    previous: Post | None = None
    next: Post | None = None


@dataclass(frozen=True)
class Site:
    config: SiteConfig
    now: datetime
    posts: tuple[Post, ...]  # published, newest first
    pages: tuple[Page, ...]  # sorted by slug
    tags: tuple[Tag, ...]  # sorted by slug
    drafts_shown: bool = False
    calendar: object = None  # calendar.site.CalendarSite, when the calendar stage ran
    ended: tuple[Post, ...] = ()  # published posts past their `expires`: own page only
    alerts: tuple[Alert, ...] = ()  # every alert not a draft, most recent start first
    series: tuple[SeriesPosts, ...] = ()  # sorted by id
    related: Mapping = field(default_factory=lambda: EMPTY)  # post slug → its related posts
    series_of: Mapping = field(default_factory=lambda: EMPTY)  # post slug → SeriesPlace
    contracts: tuple = ()  # content/contracts.yaml, in file order

    @property
    def current_alerts(self) -> tuple[Alert, ...]:
        """Every alert /act/ lists as current: the active ones, and those starting within LIVE_DAYS
        (built hidden: static/js/live.js shows them when they start)."""
        until = self.now + timedelta(days=LIVE_DAYS)
        return tuple(a for a in self.alerts if (a.expires is None or a.expires > self.now)
                     and (a.starts is None or a.starts <= until))

    @property
    def banner(self) -> tuple[Alert, ...]:
        """The alerts the banner of every page is built with: the first BANNER_BUILT current ones."""
        return self.current_alerts[:BANNER_BUILT]  # (1,000 alerts: not on every page; all are on /act/)

    @property
    def banner_hidden(self) -> frozenset[str]:
        """Slugs of the banner's alerts built hidden: not started yet, or beyond the first BANNER active."""
        active = [a.slug for a in self.banner if a.active(self.now)]
        return frozenset(a.slug for a in self.banner if a.slug not in active[:BANNER])

    @property
    def menu_pages(self) -> tuple[Page, ...]:
        return tuple(sorted((p for p in self.pages if p.menu is not None), key=lambda p: (p.menu, p.slug)))


def _is_published(post: Post, now: datetime, drafts: bool, future: bool) -> bool:
    if post.draft and not drafts:
        return False
    return future or post.date <= now


def alert_order(alert: Alert) -> tuple:
    """Most recent start first (an alert without `starts` is the oldest), then by slug."""
    return (alert.starts is not None, alert.starts or datetime.min, alert.slug)


class _SharedWeight(dict):
    """The weight of a set of shared topics given as a bit mask, worked out once per mask."""

    def __init__(self, employers: int):
        super().__init__()
        self.employers = employers

    def __missing__(self, shared: int) -> int:
        weight = self[shared] = (TOPIC_WEIGHT * shared.bit_count()
                                 + (EMPLOYER_WEIGHT - TOPIC_WEIGHT) * (shared & self.employers).bit_count())
        return weight


def related_news(config: SiteConfig, posts: Iterable[Post], candidates: list[Post],
                 cache: BuildCache | None = None) -> dict[str, tuple[Post, ...]]:
    """Related news (_related_news), kept in the cache under the slugs, dates and topics of the
    posts and candidates and the employers among those topics: all it depends on, so an edit
    that changes none of them (a post's text, a new summary) finds the lists already made."""
    posts = tuple(posts)  # (the candidates are among them)
    if cache is None or len({p.slug for p in posts}) != len(posts):  # (two posts with one slug: an error, said elsewhere)
        return _related_news(config, posts, candidates)
    by_slug = {p.slug: p for p in candidates}
    topics = {p.slug: sorted({slugify(t) for t in p.tags}) for p in posts}
    employers = sorted({t for names in topics.values() for t in names if is_employer_tag(config, t)})
    lines = {p.slug: f"{p.slug} {p.date.isoformat()} {topics[p.slug]!r}" for p in posts}  # (repr: [] is not [""])
    key = digest(" ".join(employers), *(lines[p.slug] for p in candidates), "posts", *(lines[p.slug] for p in posts))
    known = cache.get_many("related", [key]).get(key)
    if isinstance(known, dict) and all(slug in by_slug for slugs in known.values() for slug in slugs):
        return {slug: tuple(by_slug[s] for s in known.get(slug, ())) for slug in (p.slug for p in posts)}
    related = _related_news(config, posts, candidates)
    cache.put_many("related", {key: {slug: tuple(p.slug for p in items) for slug, items in related.items()}})
    return related


def _related_news(config: SiteConfig, posts: Iterable[Post], candidates: list[Post]) -> dict[str, tuple[Post, ...]]:
    """For each of `posts`, up to RELATED of `candidates` (oldest first) sharing a topic with it:
    the most shared weight first (an employer's topic weighs EMPLOYER_WEIGHT, any other
    TOPIC_WEIGHT), then the nearest in date, then by slug.  Candidates are each shared topic's
    RELATED_WINDOW posts nearest in date on either side.

    Worked out in one pass over the posts: each topic is a bit and a post's topics a bit mask, so
    the topics two posts share are the masks' AND (its weight looked up once per distinct AND);
    dates are whole microseconds from the oldest candidate (exact, like the timedelta they stand
    for); each topic keeps its candidates as (mask, microseconds, slug, post) records."""
    if not candidates:
        return {p.slug: () for p in posts}
    topics = {p.slug: frozenset(slugify(t) for t in p.tags) for p in (*candidates, *posts)}
    by_tag: dict[str, list[Post]] = {}
    for post in candidates:
        for name in topics[post.slug]:
            by_tag.setdefault(name, []).append(post)
    bit = {tag: 1 << i for i, tag in enumerate(sorted(by_tag))}
    weight = _SharedWeight(sum(b for tag, b in bit.items() if is_employer_tag(config, tag)))
    origin = candidates[0].date
    micros = timedelta(microseconds=1)

    def record(post: Post) -> tuple:
        return (sum(bit.get(t, 0) for t in topics[post.slug]), (post.date - origin) // micros, post.slug, post)

    records = {p.slug: record(p) for p in candidates}
    slugs = {tag: [p.slug for p in items] for tag, items in by_tag.items()}
    tag_records = {tag: [records[p.slug] for p in items] for tag, items in by_tag.items()}
    position = {(tag, slug): i for tag, items in slugs.items() for i, slug in enumerate(items)}
    related: dict[str, tuple[Post, ...]] = {}
    for post in posts:
        mine, here, _, _ = records.get(post.slug) or record(post)
        found: dict[str, tuple] = {}
        for tag in topics[post.slug]:
            if tag not in by_tag:
                continue
            at = position.get((tag, post.slug))
            if at is None:  # `post` itself is not a candidate (an ended post): find where its date falls
                at = bisect.bisect_left([(p.date, p.slug) for p in by_tag[tag]], (post.date, post.slug))
            window = slice(max(0, at - RELATED_WINDOW), at + RELATED_WINDOW + 1)
            found.update(zip(slugs[tag][window], tag_records[tag][window]))
        found.pop(post.slug, None)
        ranked = [(-weight[mine & mask], abs(when - here), slug, other)  # (slugs differ: posts never compared)
                  for mask, when, slug, other in found.values()]
        related[post.slug] = tuple(item[3] for item in heapq.nsmallest(RELATED, ranked))
    return related


def _series(config: SiteConfig, files: list[Series], posts: tuple[Post, ...],
            problems: list[Problem]) -> tuple[tuple[SeriesPosts, ...], dict]:
    """Each series named by a post (a file describing it is optional), its posts oldest first."""
    described: dict[str, Series] = {}
    for item in sorted(files, key=lambda f: f.source):
        if item.id in described:
            problems.append(Problem(item.source, item.slug_line, "id",
                                    f"the series id {item.id!r} is already used by {described[item.id].source}"))
        else:
            described[item.id] = item
    members: dict[str, list[Post]] = {}
    for post in posts:
        if post.series:
            members.setdefault(post.series, []).append(post)
    out, place = [], {}
    for ident in sorted(members):
        series = described.get(ident) or Series(id=ident, title=ident.replace("-", " ").capitalize())
        items = tuple(sorted(members[ident], key=lambda p: (p.date, p.slug)))
        out.append(SeriesPosts(series, items))
        for i, post in enumerate(items):
            place[post.slug] = SeriesPlace(series, i + 1, len(items), items[i - 1] if i else None,
                                           items[i + 1] if i + 1 < len(items) else None)
    return tuple(out), place


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
    alerts: Iterable[Alert] = (),
    series: Iterable[Series] = (),
    contracts: tuple = (),
    cache: BuildCache | None = None,
) -> tuple[Site, list[Problem]]:
    """Choose what is published, order it, build tags; report URL clashes.  (`cache`: where
    related news is kept, related_news.)"""
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
    ended = tuple(p for p in published if p.expires is not None and p.expires <= now)
    published = [p for p in published if p.expires is None or p.expires > now]
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
    tag_contracts: dict[str, list] = {}
    for contract in contracts:  # an employer's tag page lists its contracts, news or not
        tag_names.setdefault(contract.employer, contract.employer)
        tag_contracts.setdefault(contract.employer, []).append(contract)
    tags = tuple(
        Tag(name=config.tag_info(s).name or tag_names[s], slug=s,  # (config.yaml's tags: name, else as first written)
            posts=tuple(tag_posts.get(s, ())), events=tuple(tag_events.get(s, ())),
            series=tuple(tag_series.get(s, ())), contracts=tuple(sorted(tag_contracts.get(s, ()), key=contract_order)))
        for s in sorted(tag_names)
    )
    alerts = sorted(alerts, key=lambda a: a.source)
    problems += _duplicates(alerts, lambda a: a.slug, "the alert slug")
    shown_alerts = tuple(sorted((a for a in alerts if drafts or not a.draft), key=alert_order, reverse=True))
    series_list, series_of = _series(config, list(series), tuple(published), problems)

    # Related news: never a draft, a future or an ended post (even in a preview that shows them).
    candidates = sorted((p for p in published if not p.draft and p.date <= now), key=lambda p: (p.date, p.slug))
    related = related_news(config, (*published, *ended), candidates, cache)
    site = Site(config=config, now=now, posts=tuple(published), pages=visible_pages, tags=tags, drafts_shown=drafts,
                calendar=calendar, ended=ended, alerts=shown_alerts, series=series_list,
                related=FrozenMap(related), series_of=FrozenMap(series_of), contracts=tuple(contracts))
    return site, problems
