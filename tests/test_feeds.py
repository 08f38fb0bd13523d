"""feedparser reads every RSS feed of the sample site; items point at built pages."""

from __future__ import annotations

import email.utils
import re
import xml.etree.ElementTree as ET

import feedparser
import pytest

from tests.support import resolve

CASES = [("sample_output", "https://example.org/"), ("sample_output_subpath", "https://example.org/local12/")]


def feeds(output):
    return sorted(output.rglob("feed.xml"))


@pytest.mark.parametrize("fixture,base_url", CASES)
def test_every_feed_parses_cleanly_and_links_resolve(request, fixture, base_url):
    output = request.getfixturevalue(fixture)
    found = feeds(output)
    assert len(found) >= 10  # the site feed and one per tag
    for path in found:
        feed = feedparser.parse(path.read_bytes())
        assert feed.bozo == 0, (path, feed.get("bozo_exception"))
        assert feed.version == "rss20"
        assert feed.feed.title and feed.feed.link.startswith(base_url)
        self_links = [l.href for l in feed.feed.links if l.rel == "self"]
        assert self_links == [base_url + path.relative_to(output).as_posix()]
        rel = path.relative_to(output).as_posix()
        # (a language's own news feed exists from the start: empty until its first post, docs/languages.md)
        assert feed.entries or rel in ("so/feed.xml", "hmn/feed.xml"), path
        dates = [e.published_parsed for e in feed.entries]
        assert dates == sorted(dates, reverse=True), "newest first"
        for entry in feed.entries:
            assert entry.id == entry.link
            target = resolve(entry.link, output, base_url)
            assert target is not None and target.is_file(), entry.link
            assert entry.summary
            html = entry.content[0].value
            for url in re.findall(r'(?:href|src)="([^"]+)"', html):
                assert re.match(r"^(https?:|mailto:|tel:)", url), f"{entry.link}: relative URL {url} in content:encoded"


def test_pubdate_carries_the_sites_utc_offset(sample_output):
    root = ET.parse(sample_output / "feed.xml").getroot()
    dates = [item.findtext("pubDate") for item in root.iter("item")]
    assert dates
    for text in dates:
        parsed = email.utils.parsedate_to_datetime(text)
        assert parsed.utcoffset().total_seconds() / 3600 in (-5, -6), text  # America/Chicago


def test_feed_item_count_is_configurable(scratch, build):
    posts = {f"content/posts/p{i}.md": f"---\ntitle: Post {i}\ndate: 2026-01-{i + 1:02d}\n---\nBody {i}\n" for i in range(5)}
    root = scratch(posts, config="title: T\nbase_url: https://example.org/\nfeed_items: 3\n")
    assert build(root).code == 0
    feed = feedparser.parse((root / "output" / "feed.xml").read_bytes())
    assert [e.title for e in feed.entries] == ["Post 4", "Post 3", "Post 2"]


def test_hostile_text_survives_the_feed(scratch, build):
    title = 'Rally <script>alert(1)</script> & "picket" ]]> now'
    root = scratch({"content/posts/a.md": f"---\ntitle: '{title}'\ndate: 2026-01-02\ntags: [a&b]\n---\nx ]]> y\n"})
    assert build(root).code == 0
    feed = feedparser.parse((root / "output" / "feed.xml").read_bytes())
    assert feed.bozo == 0
    assert feed.entries[0].title == title
