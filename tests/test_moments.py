"""A date and time as editors and other tools write it (issue 22): ISO 8601 with fractional
seconds and `Z` or an offset, `2026-12-04T18:00:00.000Z`, is read the same everywhere a date and
time is read (posts, alerts, events' start, end and updated, meetings' moves) and shown in the
site's (or the entry's) time zone.  Each reader is checked through a built site: the page, the
feed (feedparser) or the .ics (icalendar).  The site is in America/Chicago: UTC-6 in December,
UTC-5 in early November until the 1st."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import feedparser
import icalendar

from tests.conftest import MINIMAL_CONFIG, post

CHICAGO = ZoneInfo("America/Chicago")
CALENDAR_CONFIG = MINIMAL_CONFIG + "calendar:\n  first_year: 2026\n  last_year: 2027\n"


def _ics_events(path) -> list:
    return icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")


def _built(scratch, build, files: dict[str, str], config: str = MINIMAL_CONFIG):
    root = scratch(files, config=config)
    run = build(root)
    assert run.code == 0, run.err
    return root


def test_an_event_with_z_and_fractional_seconds_is_at_its_local_time(scratch, build):
    root = _built(scratch, build, {"content/calendar/events.yaml": (
        "events:\n  - id: rally\n    title: Rally\n    start: 2026-12-04T18:00:00.000Z\n"
        "    end: '2026-12-04T20:30:00.000Z'\n    updated: 2026-11-10T15:00:00.000Z\n"
        "  - id: march\n    title: March\n    start: 2026-12-05T18:00:00.250+01:00\n    duration: 1 hour\n")},
        CALENDAR_CONFIG)
    (rally,) = _ics_events(root / "output/events/rally/event.ics")
    assert rally["DTSTART"].dt == datetime(2026, 12, 4, 12, 0, tzinfo=CHICAGO)
    assert str(rally["DTSTART"].dt.tzinfo) == "America/Chicago"
    assert rally["DTEND"].dt == datetime(2026, 12, 4, 14, 30, tzinfo=CHICAGO)
    assert rally["DTSTAMP"].dt == datetime(2026, 11, 10, 15, 0, tzinfo=timezone.utc)
    page = (root / "output/events/rally/index.html").read_text()
    assert '<time datetime="2026-12-04T12:00:00-06:00"' in page
    (march,) = _ics_events(root / "output/events/march/event.ics")
    assert march["DTSTART"].dt == datetime(2026, 12, 5, 11, 0, tzinfo=CHICAGO)  # 17:00 UTC; the fraction dropped
    assert march["DTEND"].dt - march["DTSTART"].dt == timedelta(hours=1)


def test_a_meeting_moved_to_a_moment_with_z_is_moved_to_its_local_time(scratch, build):
    root = _built(scratch, build, {"content/calendar/meetings.yaml": (
        "meetings:\n  - id: board\n    title: Board\n    repeat: every Tuesday\n    time: '18:00'\n"
        "    duration: 1 hour\n    from: 2026-11-03\n    until: 2026-12-29\n"
        "    move:\n      - date: 2026-12-08\n        to: 2026-12-10T00:30:00.000Z\n")},
        CALENDAR_CONFIG)
    moved = [e for e in _ics_events(root / "output/calendar/meetings.ics") if "RECURRENCE-ID" in e]
    assert [(e["RECURRENCE-ID"].dt, e["DTSTART"].dt) for e in moved] == [
        (datetime(2026, 12, 8, 18, 0, tzinfo=CHICAGO), datetime(2026, 12, 9, 18, 30, tzinfo=CHICAGO))]


def test_a_post_dated_with_z_is_dated_in_the_site_zone(scratch, build):
    # 03:00 UTC on Nov 11 is 9 pm on Nov 10 in Chicago: the page says Nov 10
    root = _built(scratch, build, {"content/posts/vote.md": post(
        "Vote", date="2026-11-11T03:00:00.000Z", updated="2026-11-12T15:30:00.5Z", expires="2026-11-20T06:00:00Z")})
    page = (root / "output/news/vote/index.html").read_text()
    assert '<time datetime="2026-11-10T21:00:00-06:00" data-pagefind-meta="date">Tue, Nov 10, 2026</time>' in page
    assert '<time datetime="2026-11-12T09:30:00.500000-06:00">' in page
    (entry,) = feedparser.parse((root / "output/feed.xml").read_bytes()).entries
    assert datetime(*entry.published_parsed[:6], tzinfo=timezone.utc) == datetime(2026, 11, 11, 3, 0, tzinfo=timezone.utc)


def test_an_alert_with_z_starts_and_ends_at_its_local_time(scratch, build):
    root = _built(scratch, build, {"content/alerts/call.md": "---\ntitle: Call\nstarts: 2026-11-17T14:00:00.000Z\n"
                                                             "expires: 2026-11-30T23:59:59.999Z\n---\nCall today.\n"})
    act = (root / "output/act/index.html").read_text()
    assert 'data-starts="2026-11-17T08:00:00-06:00"' in act
    assert 'data-ends="2026-11-30T17:59:59.999000-06:00"' in act


def test_a_moment_that_is_not_one_is_still_refused_at_its_line(scratch, build):
    root = scratch({"content/calendar/events.yaml": (
        "events:\n  - id: rally\n    title: Rally\n    start: 2026-12-04T25:00:00.000Z\n    end: '13:00'\n")},
        config=CALENDAR_CONFIG)
    run = build(root)
    assert run.code == 1
    assert "content/calendar/events.yaml:4: events[\"rally\"].start: not a date and time: '2026-12-04T25:00:00.000Z'" in run.err
