"""The built sample site's calendars, read by independent consumers.

recurring-ical-events expands every .ics the build wrote; the expectations below are written
by hand from the seeds (the 2025 E-Board list, the CAT restart, the holiday list) and a
printed calendar, not computed by the code under test.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from tests.conftest import REPO, tree_bytes
from tests.support import parse_html
from tests.test_cal_ics import lint_ics

CHI = ZoneInfo("America/Chicago")
FEEDS = ["calendar.ics", "calendar/events.ics", "calendar/meetings.ics", "calendar/closures.ics"]


def expand(path, start: date, end: date):
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return recurring_ical_events.of(cal).between(start, end)


def starts(components, title_part: str) -> list[datetime]:
    return sorted(c["DTSTART"].dt for c in components if title_part in str(c["SUMMARY"]))


@pytest.mark.parametrize("feed", FEEDS)
def test_feeds_lint_and_carry_calendar_properties(sample_output, feed):
    data = (sample_output / feed).read_bytes()
    assert lint_ics(data) == []
    cal = icalendar.Calendar.from_ical(data)
    assert cal["VERSION"] == "2.0" and cal["PRODID"]
    assert str(cal["X-WR-TIMEZONE"]) == "America/Chicago"
    assert str(cal["X-WR-CALNAME"]).startswith("OPEIU Local 12")
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT12H" in data.decode()
    for event in cal.walk("VEVENT"):
        assert event["UID"] and event["DTSTART"]
        assert event["DTSTAMP"].to_ical().endswith(b"Z")


def test_executive_board_2025_matches_the_seed_list(sample_output):
    # The seed page: "E Board Wednesdays at 6:00", 1/8 (in person), 2/5, 3/5 (in person), 4/2, ...
    found = starts(expand(sample_output / "calendar/meetings.ics", date(2025, 1, 1), date(2026, 1, 1)),
                   "Executive Board")
    expected = [datetime(2025, m, d, 18, 0, tzinfo=CHI) for m, d in
                [(1, 8), (2, 5), (3, 5), (4, 2), (5, 7), (6, 4), (7, 2), (8, 6), (9, 3), (10, 1), (11, 5), (12, 3)]]
    assert found == expected


def test_one_series_is_one_vevent_with_rrule(sample_output):
    cal = icalendar.Calendar.from_ical((sample_output / "calendar/meetings.ics").read_bytes())
    masters = [e for e in cal.walk("VEVENT") if "RRULE" in e and "Executive Board" in str(e["SUMMARY"])]
    assert len(masters) == 1
    assert masters[0]["DTSTART"].params["TZID"] == "America/Chicago"
    until = masters[0]["RRULE"]["UNTIL"][0]
    assert until.tzinfo is not None and until.utcoffset().total_seconds() == 0
    overrides = [e for e in cal.walk("VEVENT") if "RECURRENCE-ID" in e and "executive-board" in str(e["UID"])]
    assert len(overrides) >= 10  # the move of Jan 1, 2025 and the in-person months
    assert len(cal.walk("VTIMEZONE")) == 1


def test_cat_meetings_restart_on_january_7_and_pause_for_the_holidays(sample_output):
    comps = expand(sample_output / "calendar/meetings.ics", date(2025, 1, 1), date(2027, 1, 1))
    cat = [c for c in comps if "CAT" in str(c["SUMMARY"])]
    first = min(c["DTSTART"].dt for c in cat)
    assert first == datetime(2025, 1, 7, 18, 30, tzinfo=CHI)
    one = next(c for c in cat if c["DTSTART"].dt == first)
    assert one["DTEND"].dt == datetime(2025, 1, 7, 19, 30, tzinfo=CHI)
    days = {c["DTSTART"].dt.date() for c in cat}
    december_2026 = sorted(d for d in days if (d.year, d.month) == (2026, 12))
    assert december_2026 == [date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 15)]
    assert len([d for d in days if d.year == 2026]) == 50  # 52 Tuesdays less the two holiday weeks
    assert all(d.weekday() == 1 for d in days)


def test_closures_2026_and_2027(sample_output):
    comps = expand(sample_output / "calendar/closures.ics", date(2026, 1, 1), date(2028, 1, 1))
    got = sorted((c["DTSTART"].dt, str(c["SUMMARY"])) for c in comps)
    expected_days = [
        date(2026, 1, 1), date(2026, 1, 19), date(2026, 4, 3), date(2026, 5, 25), date(2026, 6, 19),
        date(2026, 7, 3),  # July 4 is a Saturday
        date(2026, 9, 7), date(2026, 11, 26), date(2026, 11, 27), date(2026, 12, 24), date(2026, 12, 25),
        date(2026, 12, 31),  # last working day before New Year's Day 2027 (a Friday)
        date(2027, 1, 1), date(2027, 1, 18), date(2027, 3, 26), date(2027, 5, 31),
        date(2027, 6, 18),  # Juneteenth is a Saturday
        date(2027, 7, 5),  # July 4 is a Sunday
        date(2027, 9, 6), date(2027, 11, 25), date(2027, 11, 26),
        date(2027, 12, 23), date(2027, 12, 24),  # Christmas is a Saturday: observed Friday, the day before Thursday
        date(2027, 12, 30), date(2027, 12, 31),  # New Year's Day 2028 is a Saturday
    ]
    assert [d for d, _ in got] == expected_days
    cal = icalendar.Calendar.from_ical((sample_output / "calendar/closures.ics").read_bytes())
    for event in cal.walk("VEVENT"):
        assert event["DTSTART"].params.get("VALUE") == "DATE"
        assert (event["DTEND"].dt - event["DTSTART"].dt).days == 1
        assert str(event["TRANSP"]) == "TRANSPARENT"


def test_the_all_feed_holds_everything_and_tag_feeds_their_part(sample_output):
    window = (date(2026, 11, 1), date(2027, 3, 1))
    everything = expand(sample_output / "calendar.ics", *window)
    parts = sum((expand(sample_output / f, *window) for f in FEEDS[1:]), [])
    key = lambda c: (str(c["UID"]), c["DTSTART"].dt)  # noqa: E731
    assert sorted(map(key, everything)) == sorted(map(key, parts))
    tag = expand(sample_output / "tags/healthpartners/calendar.ics", *window)
    titles = {str(c["SUMMARY"]) for c in tag}
    assert "HealthPartners CAT meeting" in titles
    assert "HealthPartners strike authorization vote" in titles
    assert not any("Executive Board" in t for t in titles)


def test_cancelled_event_stays_in_the_feed(sample_output):
    cal = icalendar.Calendar.from_ical((sample_output / "calendar/events.ics").read_bytes())
    cancelled = [e for e in cal.walk("VEVENT") if "organizing-training" in str(e["UID"])]
    assert len(cancelled) == 1 and str(cancelled[0]["STATUS"]) == "CANCELLED"


def json_ld_of(page) -> dict:
    text = page.read_text()
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    assert match, page
    return json.loads(match.group(1))


def test_event_pages_json_ld_matches_the_ics(sample_output):
    pages = sorted((sample_output / "events").glob("*/index.html"))
    assert len(pages) >= 6
    for page in pages:
        data = json_ld_of(page)
        assert data["@type"] == "Event"
        ics = icalendar.Calendar.from_ical((page.parent / "event.ics").read_bytes())
        (event,) = ics.walk("VEVENT")
        start = event["DTSTART"].dt
        if isinstance(start, datetime):
            assert datetime.fromisoformat(data["startDate"]) == start
        else:
            assert data["startDate"] == start.isoformat()
        assert data["name"] in str(event["SUMMARY"])
        assert "NAME" not in ics and "REFRESH-INTERVAL" not in ics  # single-event files are not feeds


def test_strike_school_page(sample_output):
    page = sample_output / "events/healthpartners-strike-school-2026-04-09/index.html"
    data = json_ld_of(page)
    assert data["startDate"] == "2026-04-09T18:30:00-05:00"
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert data["location"]["@type"] == "Place"
    assert data["location"]["name"] == "Carpenters Hall"
    assert data["location"]["address"]["streetAddress"] == "710 Olive Street"
    assert data["location"]["address"]["addressLocality"] == "Saint Paul"
    links = parse_html(page).links
    assert any(l.startswith("https://calendar.google.com/calendar/render?action=TEMPLATE") for l in links)
    assert any(l.startswith("https://outlook.live.com/calendar/0/deeplink/compose?") for l in links)
    assert "/events/healthpartners-strike-school-2026-04-09/event.ics" in links
    assert any("docs.google.com/forms" in l for l in links)
    text = page.read_text()
    assert "Thu, Apr 9, 2026 · 6:30–8 pm" in text


def test_hybrid_event_has_place_and_virtual_location(sample_output):
    data = json_ld_of(sample_output / "events/membership-town-hall-2027-02/index.html")
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert {loc["@type"] for loc in data["location"]} == {"Place", "VirtualLocation"}


def test_subscribe_links(sample_output):
    links = parse_html(sample_output / "events/index.html").links
    assert "webcal://example.org/calendar/events.ics" in links
    assert "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fexample.org%2Fcalendar%2Fevents.ics" in links
    assert any(l.startswith("https://outlook.live.com/calendar/0/addfromweb?url=https%3A%2F%2Fexample.org%2Fcalendar%2Fevents.ics")
               for l in links)


def test_events_page_lists_upcoming_before_past(sample_output):
    text = (sample_output / "events/index.html").read_text()
    # now = 2026-11-18: the December 2026 rally is upcoming, the 2025 strike schools are past
    assert text.index("Winter solidarity rally") < text.index("Past events") < text.index("HealthPartners Strike School")


def test_home_shows_next_items_and_next_closure(sample_output):
    text = (sample_output / "index.html").read_text()
    assert "Next office closure: <time datetime=\"2026-11-26\">Thu, Nov 26</time> (Thanksgiving Day)" in text
    assert "Coming up" in text


def test_month_grid_and_neighbours(sample_output):
    page = sample_output / "calendar/2026/12/index.html"
    text = page.read_text()
    assert "Winter solidarity rally" in text and "Christmas Day" in text
    links = parse_html(page).links
    assert "/calendar/2026/11/" in links and "/calendar/2027/01/" in links


def test_tag_page_lists_news_and_events(sample_output):
    text = (sample_output / "tags/healthpartners/index.html").read_text()
    assert "HealthPartners strike authorization vote" in text  # an event
    assert "News" in text and "/news/" in text


def test_uids_survive_an_edit_of_title_and_time(tmp_path, build):
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copytree(REPO / "static", site / "static")  # (the contracts' PDFs)
    shutil.copy(REPO / "config.yaml", site / "config.yaml")
    assert build(site).code == 0

    def uids():
        cal = icalendar.Calendar.from_ical((site / "output/calendar.ics").read_bytes())
        return sorted(str(e["UID"]) for e in cal.walk("VEVENT"))

    before = uids()
    events = site / "content/calendar/events.yaml"
    text = events.read_text()
    text = text.replace("title: Winter solidarity rally for healthcare workers", "title: Winter rally (new time)")
    text = text.replace("start: 2026-12-05 11:00 am", "start: 2026-12-05 1:00 pm")
    events.write_text(text)
    assert build(site).code == 0
    assert uids() == before
    cal = icalendar.Calendar.from_ical((site / "output/calendar.ics").read_bytes())
    rally = [e for e in cal.walk("VEVENT") if "winter-solidarity-rally" in str(e["UID"])]
    assert rally[0]["DTSTART"].dt == datetime(2026, 12, 5, 13, 0, tzinfo=CHI)


def test_bad_calendar_leaves_output_untouched(tmp_path, build):
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copytree(REPO / "static", site / "static")  # (the contracts' PDFs)
    shutil.copy(REPO / "config.yaml", site / "config.yaml")
    assert build(site).code == 0
    before = tree_bytes(site / "output")
    (site / "content/calendar/bad.yaml").write_text(
        "events:\n  - id: oops\n    title: Oops\n    start: 2026-12-05 18:30\n    end: 2026-12-05 17:00\n")
    run = build(site)
    assert run.code == 1
    assert "content/calendar/bad.yaml:5: events[\"oops\"].end:" in run.err
    assert tree_bytes(site / "output") == before
