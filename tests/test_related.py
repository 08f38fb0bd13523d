"""Related news (assemble.related_news) chooses exactly what its definition says.

Differential: `reference` below is the definition written out plainly (each shared topic's
RELATED_WINDOW posts nearest in date on either side are candidates; the most shared weight
first, then the nearest in date, then by slug), and assemble() must give the same lists for
hypothesis-built sites: few topics so that posts share many, employer topics, dates that tie to
the microsecond and differ by one, drafts, future and ended posts, tags written in other cases.
"""

from __future__ import annotations

import bisect
import heapq
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site_builder.assemble import EMPLOYER_WEIGHT, RELATED, RELATED_WINDOW, TOPIC_WEIGHT, assemble
from site_builder.config import SiteConfig, TagInfo
from site_builder.models import Post
from site_builder.textutil import slugify

CONFIG = SiteConfig(root=Path("/nonexistent"), title="Local", base_url="https://example.org/",
                    tags=(TagInfo("kaiser", kind="employer"), TagInfo("allina", kind="employer"),
                          TagInfo("strike", kind="topic")))
NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
TOPICS = ["kaiser", "Kaiser", "allina", "strike", "pay", "safety", "Pay Equity"]


def reference(config: SiteConfig, published: tuple[Post, ...], ended: tuple[Post, ...], now: datetime) -> dict:
    """Related news by its definition, each post on its own (no masks, no shared tables)."""
    candidates = sorted((p for p in published if not p.draft and p.date <= now), key=lambda p: (p.date, p.slug))

    def topics_of(p: Post) -> set[str]:
        return {slugify(t) for t in p.tags}

    def weight(tag: str) -> int:
        return EMPLOYER_WEIGHT if config.is_employer(tag) else TOPIC_WEIGHT

    out = {}
    for post in (*published, *ended):
        mine = topics_of(post)
        found = {}
        for tag in mine:
            items = [p for p in candidates if tag in topics_of(p)]
            at = bisect.bisect_left([(p.date, p.slug) for p in items], (post.date, post.slug))
            for other in items[max(0, at - RELATED_WINDOW): at + RELATED_WINDOW + 1]:
                if other.slug != post.slug:
                    found[other.slug] = other

        def rank(other: Post) -> tuple:
            shared = sum(weight(t) for t in mine & topics_of(other))
            return (-shared, abs((other.date - post.date).total_seconds()), other.slug)

        out[post.slug] = [p.slug for p in heapq.nsmallest(RELATED, found.values(), key=rank)]
    return out


BASE = datetime(2026, 5, 1, tzinfo=timezone.utc)
post_shape = st.tuples(
    st.lists(st.sampled_from(TOPICS), max_size=3),
    # minutes apart, or a microsecond apart (ties and near-ties in date), some in the future
    st.one_of(st.integers(-3000, 60000).map(lambda m: timedelta(minutes=m)),
              st.integers(0, 3).map(lambda us: timedelta(microseconds=us))),
    st.sampled_from(["plain", "plain", "plain", "draft", "ended"]),
)


def make_posts(shapes) -> list[Post]:
    posts = []
    for i, (tags, offset, state) in enumerate(shapes):
        posts.append(Post(source=f"content/posts/p{i:03}.md", slug=f"p{i:03}", title=f"P{i}", date=BASE + offset,
                          body="", tags=tuple(tags), draft=state == "draft",
                          expires=BASE if state == "ended" else None))
    return posts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(post_shape, max_size=120))
def test_related_news_is_its_definition(shapes):
    posts = make_posts(shapes)
    for drafts, future in ((False, False), (True, True)):
        site, _ = assemble(CONFIG, posts, [], NOW, drafts=drafts, future=future)
        got = {slug: [p.slug for p in items] for slug, items in site.related.items()}
        assert got == reference(CONFIG, site.posts, site.ended, NOW)


def test_many_posts_on_one_topic_only_the_window_is_weighed():
    """300 posts on one topic: a post far beyond that topic's window is still a candidate through
    an employer they share, and the employer's weight wins over nearness."""
    shapes = [(["strike"], timedelta(hours=i), "plain") for i in range(300)]
    shapes[150] = (["strike", "kaiser"], timedelta(hours=150), "plain")
    shapes[160] = (["kaiser"], timedelta(hours=160), "plain")
    shapes[299] = (["strike", "kaiser"], timedelta(hours=299), "plain")  # outside p150's strike window
    posts = make_posts(shapes)
    site, _ = assemble(CONFIG, posts, [], NOW + timedelta(days=30))
    related = [p.slug for p in site.related["p150"]]
    assert related == ["p299", "p160", "p149", "p151"]
    assert related == reference(CONFIG, site.posts, site.ended, NOW + timedelta(days=30))["p150"]


def test_the_window_ends_twenty_posts_away_on_each_side():
    """A post sharing two topics is found 20 posts away in each topic's list, not 21."""
    shapes = [(["pay", "safety"], timedelta(0), "plain")]  # p000
    for i in range(1, 20):  # p001, p003, ... on pay; p002, p004, ... on safety
        shapes += [(["pay"], timedelta(hours=2 * i - 1), "plain"), (["safety"], timedelta(hours=2 * i), "plain")]
    shapes += [(["pay", "safety"], timedelta(hours=39), "plain"),  # p039: 20th after p000 on both topics
               (["pay", "safety"], timedelta(hours=40), "plain")]  # p040: 21st
    posts = make_posts(shapes)
    site, _ = assemble(CONFIG, posts, [], NOW + timedelta(days=30))
    related = [p.slug for p in site.related["p000"]]
    assert related == ["p039", "p001", "p002", "p003"]
    assert related == reference(CONFIG, site.posts, site.ended, NOW + timedelta(days=30))["p000"]


def test_kept_in_the_cache_exactly_what_it_depends_on(tmp_path, monkeypatch):
    """The lists come from the cache while the slugs, dates and topics are unchanged, made of
    the posts of this build (an edited text is the new post); a retag, a new date or a new
    employer makes them again, and the lists are always those made afresh without a cache."""
    import site_builder.assemble as assemble_module
    from site_builder.cache import BuildCache

    later = NOW + timedelta(days=30)
    shapes = [([TOPICS[i % 4], TOPICS[(i * 3) % 7]], timedelta(hours=5 * i), "plain") for i in range(60)]
    posts = make_posts(shapes)
    employer = replace(CONFIG, tags=(*CONFIG.tags, TagInfo("pay", kind="employer")))
    builds = [
        (CONFIG, posts, "made"),
        (CONFIG, [replace(p, body="New text.", fingerprint="new") if p.slug == "p010" else p for p in posts], "cached"),
        (CONFIG, [replace(p, tags=("pay",)) if p.slug == "p010" else p for p in posts], "made"),
        (CONFIG, [replace(p, date=p.date + timedelta(microseconds=1)) if p.slug == "p020" else p for p in posts], "made"),
        (employer, posts, "made"),
        (CONFIG, posts, "cached"),
    ]

    def lists(site):
        return {slug: [p.slug for p in items] for slug, items in site.related.items()}

    expected = [lists(assemble(config, items, [], later)[0]) for config, items, _ in builds]
    made = []
    real = assemble_module._related_news
    monkeypatch.setattr(assemble_module, "_related_news", lambda *args: made.append(1) or real(*args))
    cache = BuildCache(tmp_path / "cache").open()
    for (config, items, how), want in zip(builds, expected):
        before = len(made)
        site, _ = assemble(config, items, [], later, cache=cache)
        assert lists(site) == want
        assert len(made) - before == (1 if how == "made" else 0), how
        current = {p.slug: p for p in items}
        assert all(p is current[p.slug] for shown in site.related.values() for p in shown)  # this build's posts
    cache.close()
