"""What the local publishes beyond news (issue 12): action alerts, posts that end, reposts with
credit, related news, update series and live coverage of events.

Feeds are read with feedparser, .ics files with icalendar, JSON-LD with json; the browser half
(Playwright's clock) is tests/test_actions_browser.py.  The expectations come from the sample
content (content/alerts/, content/series/, the Kaiser posts) and the SOURCE_DATE_EPOCH of the
tests (2026-11-18), never from the code under test.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import feedparser
import icalendar
import pytest

from tests.conftest import MINIMAL_CONFIG, post

ALERT = "---\ntitle: {title}\nlink: \"{link}\"\n---\nDo it today.\n"


def _ld(html: str, kind: str) -> dict:
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S):
        data = json.loads(block)
        if data.get("@type") == kind:
            return data
    raise AssertionError(f"no {kind} JSON-LD")


# -- action alerts ------------------------------------------------------------------------------
def test_banner_on_every_page_holds_the_active_alert_and_the_next_one_hidden(sample_output):
    for page in ("index.html", "news/index.html", "about/index.html", "events/index.html", "404.html"):
        html = (sample_output / page).read_text()
        banner = re.search(r'<aside class="action-banner".*?</aside>', html, re.S).group(0)
        items = re.findall(r'<li class="action-item"([^>]*)>\s*<strong>([^<]+)</strong>', banner)
        titles = [t for _, t in items]
        # most recent start first: the rally alert (starts Nov 25) before Riverside (started Nov 10);
        # the HEROES Act alert ended in August and is not in the banner at all
        assert titles == ["Bring a friend to the winter solidarity rally",
                          "Tell HealthPartners: keep Riverside Clinic open"], page
        rally, riverside = (attrs for attrs, _ in items)
        assert " hidden" in rally and 'data-starts="2026-11-25T08:00:00-06:00"' in rally
        assert " hidden" not in riverside and 'data-ends="2026-12-16T00:00:00-06:00"' in riverside
        assert 'href="/act/">More actions</a>' in banner
        assert '/js/live.js' in html


def test_without_alerts_there_is_no_banner_no_act_page_and_no_script(scratch, build):
    root = scratch({"content/posts/a.md": post("A")})
    assert build(root).code == 0
    html = (root / "output/news/a/index.html").read_text()
    assert "action-banner" not in html and "/js/live.js" not in html
    assert not (root / "output/act").exists()


def test_act_page_lists_current_alerts_then_the_ended_ones(sample_output):
    html = (sample_output / "act/index.html").read_text()
    current, ended = html.split('id="act-ended-heading"')
    assert "keep Riverside Clinic open" in current and "winter solidarity rally" in current
    assert "HEROES Act" in ended and "HEROES Act" not in current
    assert 'href="tel:+12022243121"' in ended
    assert 'href="mailto:?subject=Keep%20Riverside%20Clinic%20open"' in current
    assert "through <time datetime=\"2026-12-16T00:00:00-06:00\">Tue, Dec 15, 2026</time>" in current


def test_act_page_lists_every_active_alert_the_banner_keeps_its_cap(scratch, build):
    # 15 active alerts (started Nov 1 … Nov 15), one starting Nov 20 (within 14 days of the build,
    # 2026-11-18: listed, built hidden), one that ended on Nov 10
    files = {f"content/alerts/a{n:02}.md": f"---\ntitle: Action {n:02}\nstarts: 2026-11-{n:02}\n---\nDo it.\n"
             for n in range(1, 16)}
    files["content/alerts/soon.md"] = "---\ntitle: Action soon\nstarts: 2026-11-20\n---\nDo it.\n"
    files["content/alerts/over.md"] = "---\ntitle: Action over\nstarts: 2026-11-01\nexpires: 2026-11-10\n---\nX\n"
    root = scratch(files)
    assert build(root).code == 0
    current, ended = (root / "output/act/index.html").read_text().split('id="act-ended-heading"')
    titles = re.findall(r'<li class="action-card"([^>]*)>\s*<h2 class="action-title">([^<]+)</h2>', current)
    assert [t for _, t in titles] == ["Action soon"] + [f"Action {n:02}" for n in range(15, 0, -1)]
    assert [t for attrs, t in titles if " hidden" in attrs] == ["Action soon"]
    assert "Action over" in ended and "Action over" not in current
    # the banner of every page is still built with at most 12, two of them shown
    banner = re.search(r'<aside class="action-banner".*?</aside>', (root / "output/index.html").read_text(), re.S).group(0)
    items = re.findall(r'<li class="action-item"([^>]*)>\s*<strong>([^<]+)</strong>', banner)
    assert len(items) == 12
    assert [t for attrs, t in items if " hidden" not in attrs] == ["Action 15", "Action 14"]


def test_alerts_feed_holds_the_alerts_that_have_started(sample_output):
    feed = feedparser.parse((sample_output / "act/feed.xml").read_bytes())
    assert feed.bozo == 0
    assert [e.title for e in feed.entries] == ["Tell HealthPartners: keep Riverside Clinic open",
                                               "Call your senator: pass the HEROES Act"]
    assert all(e.link.startswith("https://example.org/act/#") for e in feed.entries)
    # (feedparser's sanitizer drops tel: links from the HTML it hands out: read the XML itself)
    items = ET.parse(sample_output / "act/feed.xml").getroot().iter("item")
    content = [i.findtext("{http://purl.org/rss/1.0/modules/content/}encoded") for i in items]
    assert 'href="tel:+12022243121"' in content[1]


def test_alert_links_tel_and_mailto_pass_script_and_other_schemes_are_refused(scratch, build):
    root = scratch({
        "content/alerts/call.md": ALERT.format(title="Call", link="tel:+16515551234"),
        "content/alerts/mail.md": ALERT.format(title="Mail", link="mailto:steward@example.org"),
        "content/alerts/bad.md": ALERT.format(title="Bad", link="jav&#x09;ascript:alert(1)"),
        "content/alerts/ftp.md": ALERT.format(title="Ftp", link="ftp://example.org/x"),
        "content/alerts/long.md": "---\ntitle: Long\n---\n" + "word " * 80 + "\n",
    })
    run = build(root)
    assert run.code != 0
    assert "content/alerts/bad.md:3: link: " in run.err and "javascript:" in run.err
    assert "content/alerts/ftp.md:3: link: " in run.err and "tel: number" in run.err
    assert "content/alerts/long.md:4: body: warning: " in run.err
    assert "call.md" not in run.err and "mail.md" not in run.err


def test_alert_dates_are_checked(scratch, build):
    root = scratch({"content/alerts/a.md": "---\ntitle: A\nstarts: 2026-11-20\nexpires: 2026-11-19\n---\nX\n"})
    run = build(root)
    assert run.code != 0 and "content/alerts/a.md:4: expires: is not after starts" in run.err


# -- posts that end -----------------------------------------------------------------------------
def test_an_ended_post_leaves_lists_tags_and_feeds_but_keeps_its_page(sample_output):
    slug = "riverside-clinic-picket-july-30"  # expires 2026-07-30 19:00; the build is 2026-11-18
    page = (sample_output / f"news/{slug}/index.html").read_text()
    assert "This call to action ended on <time datetime=\"2026-07-30T19:00:00-05:00\">Thu, Jul 30, 2026</time>" in page
    for listing in ("index.html", "news/index.html", "news/page/2/index.html", "tags/picket/index.html",
                    "tags/healthpartners/index.html"):
        assert f"/news/{slug}/" not in (sample_output / listing).read_text(), listing
    for feed in sample_output.rglob("feed.xml"):
        assert all(slug not in e.link for e in feedparser.parse(feed.read_bytes()).entries), feed


def test_a_date_alone_ends_at_the_end_of_that_day(scratch, build):
    root = scratch({"content/posts/a.md": post("Sign by Friday", date="2026-11-01", expires="2026-11-18"),
                    "content/posts/b.md": post("Sign by Tuesday", date="2026-11-01", expires="2026-11-17")})
    assert build(root).code == 0  # SOURCE_DATE_EPOCH: Wed 2026-11-18 05:06 in Chicago (MINIMAL_CONFIG's zone)
    news = (root / "output/news/index.html").read_text()
    assert "Sign by Friday" in news and "Sign by Tuesday" not in news
    assert "ended on <time" in (root / "output/news/b/index.html").read_text()


def test_expires_before_date_is_an_error(scratch, build):
    run = build(scratch({"content/posts/a.md": post("A", date="2026-11-01", expires="2026-10-01")}))
    assert run.code != 0 and "content/posts/a.md:4: expires: is not after date" in run.err


# -- reposts ------------------------------------------------------------------------------------
def test_a_repost_credits_the_original_and_is_canonical_to_it(sample_output):
    html = (sample_output / "news/allina-doctors-hold-informational-pickets/index.html").read_text()
    original = "https://www.stpaulunionadvocate.org/2025/05/13/allina-doctors-make-history-on-the-picket-line/"
    assert re.findall(r'<link rel="canonical" href="([^"]+)">', html) == [original]
    assert ">Saint Paul Union Advocate</a> on <time datetime=\"2025-05-13\">Tue, May 13, 2025</time>, written by " \
           "Michael Moore." in html
    article = _ld(html, "NewsArticle")
    assert article["author"] == {"@type": "Person", "name": "Michael Moore"}
    assert article["isBasedOn"] == original
    own = (sample_output / "news/welcome-to-our-new-website/index.html").read_text()
    assert re.findall(r'<link rel="canonical" href="([^"]+)">', own) == ["https://example.org/news/welcome-to-our-new-website/"]
    assert _ld(own, "NewsArticle")["publisher"]["name"] == "OPEIU Local 12"


def test_the_feed_item_of_a_repost_names_its_source(sample_output):
    feed = feedparser.parse((sample_output / "feed.xml").read_bytes())
    assert feed.bozo == 0
    sources = {e.link.rsplit("/", 2)[-2]: e.source for e in feed.entries if "source" in e}
    assert sources["healthpartners-clerical-workers-set-may-5-strike"]["title"] == "Pioneer Press"
    assert sources["healthpartners-clerical-workers-set-may-5-strike"]["href"].startswith("https://www.twincities.com/")


def test_a_source_without_its_address_is_an_error(scratch, build):
    run = build(scratch({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-05\nsource:\n  name: Pioneer Press\n"
                                               "  url: \"javascript:alert(1)\"\n---\nX\n"}))
    assert run.code != 0 and "content/posts/a.md:6: source.url: " in run.err


# -- update series ------------------------------------------------------------------------------
KAISER = ["kaiser-national-bargaining-final-week", "kaiser-talks-end-without-economic-deal",
          "kaiser-bypasses-coalition-strike-vote-planned"]  # the sample's series, oldest first


def test_series_page_lists_the_updates_oldest_first_with_a_feed(sample_output):
    html = (sample_output / "series/kaiser-national-bargaining-2025/index.html").read_text()
    assert "<h1>Kaiser national bargaining 2025</h1>" in html and "These updates follow the talks" in html
    assert [m for m in re.findall(r'href="/news/([^/]+)/"', html) if m in KAISER] == KAISER
    feed = feedparser.parse((sample_output / "series/kaiser-national-bargaining-2025/feed.xml").read_bytes())
    assert feed.bozo == 0 and [e.link.rsplit("/", 2)[-2] for e in feed.entries] == KAISER[::-1]
    assert "/series/kaiser-national-bargaining-2025/" in (sample_output / "series/index.html").read_text()


def test_each_update_knows_its_place(sample_output):
    for n, slug in enumerate(KAISER, 1):
        html = (sample_output / f"news/{slug}/index.html").read_text()
        nav = re.search(r'<nav class="series-nav".*?</nav>', html, re.S).group(0)
        assert f"Update {n} of 3" in nav
        assert ("Previous update" in nav) == (n > 1) and ("Next update" in nav) == (n < 3)
        if n > 1:
            assert f'href="/news/{KAISER[n - 2]}/">Previous update' in nav


def test_series_ids_and_files(scratch, build):
    run = build(scratch({"content/posts/a.md": post("A", series="Kaiser 2019")}))
    assert run.code != 0 and "content/posts/a.md:4: series: 'Kaiser 2019' is not a valid series id" in run.err
    root = scratch({"content/posts/a.md": post("A", series="kaiser-2019"),
                    "content/series/kaiser-2019.md": "---\ntitle: One\n---\nX\n",
                    "content/series/other.md": "---\ntitle: Two\nid: kaiser-2019\n---\nY\n"})
    run = build(root)
    assert run.code != 0 and "content/series/other.md:3: id: the series id 'kaiser-2019' is already used by " \
                             "content/series/kaiser-2019.md" in run.err


def test_a_series_without_a_file_is_titled_from_its_id(scratch, build):
    root = scratch({"content/posts/a.md": post("A", series="kaiser-2019"),
                    "content/posts/b.md": post("B", date="2026-01-06", series="kaiser-2019")})
    assert build(root).code == 0
    assert "<h1>Kaiser 2019</h1>" in (root / "output/series/kaiser-2019/index.html").read_text()
    assert "Update 2 of 2" in (root / "output/news/b/index.html").read_text()


# -- related news -------------------------------------------------------------------------------
def _related(root, slug: str) -> list[str]:
    html = (root / f"output/news/{slug}/index.html").read_text()
    found = re.search(r'<section class="related".*?</section>', html, re.S)
    return re.findall(r'href="/news/([^/]+)/"', found.group(0)) if found else []


def test_related_news_weighs_employers_then_date_and_skips_what_is_not_published(scratch, build):
    root = scratch({
        "content/posts/me.md": post("Me", date="2026-06-01", tags="[kaiser, strike]"),
        "content/posts/same-employer-far.md": post("Far", date="2025-01-01", tags="[kaiser]"),
        "content/posts/topic-near.md": post("Near", date="2026-06-02", tags="[strike]"),
        "content/posts/topic-nearer.md": post("Nearer", date="2026-06-01 12:00", tags="[strike]"),
        "content/posts/both.md": post("Both", date="2024-01-01", tags="[kaiser, strike]"),
        "content/posts/nothing-shared.md": post("Other", date="2026-06-01", tags="[allina]"),
        "content/posts/draft.md": post("Draft", date="2026-06-01", tags="[kaiser, strike]", draft="true"),
        "content/posts/future.md": post("Future", date="2027-06-01", tags="[kaiser, strike]"),
        "content/posts/ended.md": post("Ended", date="2026-06-01", tags="[kaiser, strike]", expires="2026-07-01"),
    }, config=MINIMAL_CONFIG + "tags:\n  - {slug: kaiser, name: Kaiser Permanente, kind: employer}\n")
    assert build(root).code == 0
    # weight: both 3+1, kaiser 3, strike 1; equal weights by nearness in date
    assert _related(root, "me") == ["both", "same-employer-far", "topic-nearer", "topic-near"]
    assert _related(root, "nothing-shared") == []
    assert "me" in _related(root, "ended")  # an ended post's own page still lists related news


# -- live coverage --------------------------------------------------------------------------------
RALLY = "events/winter-solidarity-rally-2026/"


def test_event_with_live_coverage_in_ics_and_json_ld(sample_output):
    cal = icalendar.Calendar.from_ical((sample_output / RALLY / "event.ics").read_bytes())
    (event,) = cal.walk("VEVENT")
    conference = event["CONFERENCE"]
    assert str(conference) == "https://www.facebook.com/OPEIULocal12/live/"
    assert conference.params["VALUE"] == "URI" and "VIDEO" in conference.params["FEATURE"]
    whole = icalendar.Calendar.from_ical((sample_output / "calendar.ics").read_bytes())
    rally = [e for e in whole.walk("VEVENT") if "solidarity rally" in str(e["SUMMARY"])]
    assert str(rally[0]["CONFERENCE"]) == "https://www.facebook.com/OPEIULocal12/live/"
    html = (sample_output / RALLY / "index.html").read_text()
    data = _ld(html, "Event")
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    kinds = {loc["@type"]: loc for loc in data["location"]}
    assert kinds["VirtualLocation"]["url"] == "https://www.facebook.com/OPEIULocal12/live/"
    assert kinds["Place"]["name"] == "Minnesota State Capitol"
    # built on Nov 18: the link says when it goes live (an hour before the 11 am start)
    assert "Live from Sat, Dec 5, 2026 · 10 am" in html


@pytest.mark.parametrize("status", ["cancelled", "postponed"])
def test_no_live_coverage_for_an_event_that_is_not_happening(scratch, build, status):
    root = scratch({"content/calendar/events.yaml": (
        "events:\n  - id: rally\n    title: Rally\n    start: 2026-12-10 10:00\n    end: '11:00'\n"
        f"    status: {status}\n    livestream_url: https://live.example.org/rally\n")},
        config=MINIMAL_CONFIG + "calendar:\n  first_year: 2026\n  last_year: 2027\n")
    assert build(root).code == 0
    page = (root / "output/events/rally/index.html").read_text()
    assert "live.example.org" not in page and "Watch live" not in page
    (event,) = icalendar.Calendar.from_ical((root / "output/events/rally/event.ics").read_bytes()).walk("VEVENT")
    assert "CONFERENCE" not in event


def test_the_build_says_when_an_alert_or_a_post_expiry_makes_it_out_of_date(scratch, build):
    """Built Wed 2026-11-18 11:06 UTC: the alert ends Nov 19 at noon, the post's call Nov 21, the
    meeting of the calendar ends later; the earliest, in the site's zone, is what the build says."""
    root = scratch({
        "content/alerts/call.md": "---\ntitle: Call today\nlink: tel:+16515550112\nexpires: 2026-11-19 12:00\n---\nCall.\n",
        "content/posts/p.md": post("Rally", date="2026-11-10", expires="2026-11-21"),
        "content/calendar/m.yaml": "meetings:\n  - id: m\n    title: M\n    repeat: every Tuesday\n    time: '18:00'\n"
                                   "    duration: 1 hour\n    from: 2026-11-01\n",
    }, config=MINIMAL_CONFIG + "calendar:\n  first_year: 2026\n  last_year: 2027\n")
    run = build(root)
    assert run.code == 0, run.err
    assert "Coming up changes on 2026-11-19 12:00 America/Chicago (rebuild by then" in run.out
    (root / "content/alerts/call.md").unlink()
    run = build(root)
    assert "Coming up changes on 2026-11-22 00:00 America/Chicago" in run.out  # the post's call ends at midnight
