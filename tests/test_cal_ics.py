"""The .ics writers, checked by parsing with icalendar and expanding with recurring-ical-events."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from site_builder.calendar.closures import resolve_closures
from site_builder.calendar.ics import calendar_ics, event_ics, vtimezone
from site_builder.config import load_config
from site_builder.readers.calendar import read_calendar

ROOT = Path(__file__).resolve().parents[1]
CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def lint_ics(data: bytes) -> list[str]:
    """Line-format problems: CRLF endings, ≤ 75 octets a line, no UTF-8 sequence split by a fold."""
    problems = []
    if not data.endswith(b"\r\n"):
        problems.append("does not end with CRLF")
    if re.search(rb"(?<!\r)\n", data) or re.search(rb"\r(?!\n)", data):
        problems.append("bare LF or CR")
    lines = data.split(b"\r\n")[:-1]
    for n, line in enumerate(lines, 1):
        if len(line) > 75:
            problems.append(f"line {n}: {len(line)} octets")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"line {n}: a fold splits a UTF-8 sequence")
        if line.startswith(b" ") and n == 1:
            problems.append("starts with a continuation")
    if lines[:1] != [b"BEGIN:VCALENDAR"] or lines[-1:] != [b"END:VCALENDAR"]:
        problems.append("not wrapped in BEGIN/END:VCALENDAR")
    unfolded = data.replace(b"\r\n ", b"").decode("utf-8")
    for n, line in enumerate(unfolded.split("\r\n")[:-1], 1):
        if not re.match(r"[A-Z0-9-]+[;:]", line):
            problems.append(f"unfolded line {n} is not a content line: {line[:30]!r}")
    return problems


@pytest.fixture(scope="module")
def site():
    config = load_config(ROOT / "config.yaml")
    data, problems = read_calendar(config)
    assert not [p for p in problems if p.is_error]
    closures = resolve_closures(data.closure_rules, config.calendar)
    return config, data, closures


def feeds(config, data, closures, now=NOW) -> dict[str, bytes]:
    url = lambda e: config.abs_url(f"/events/{e.slug}/")  # noqa: E731
    tagged = "healthpartners"
    return {
        "all": calendar_ics(name="All", events=data.events, series=data.series, closures=closures,
                            config=config, now=now, event_url=url),
        "events": calendar_ics(name="Events", events=data.events, config=config, now=now, event_url=url),
        "meetings": calendar_ics(name="Meetings", series=data.series, series_closures=closures, config=config, now=now),
        "closures": calendar_ics(name="Closures", closures=closures, config=config, now=now),
        "tag": calendar_ics(name="HealthPartners", events=[e for e in data.events if tagged in e.tags],
                            series=[s for s in data.series if tagged in s.tags], series_closures=closures,
                            config=config, now=now, event_url=url),
        **{f"event-{e.id}": event_ics(e, config, now, url) for e in data.events},
    }  # fmt: skip


def expand(data: bytes, start: date, end: date, uid_prefix: str = ""):
    cal = icalendar.Calendar.from_ical(data)
    found = recurring_ical_events.of(cal).between(start, end)
    return sorted(
        (e for e in found if str(e["UID"]).startswith(uid_prefix)), key=lambda e: (e.start.isoformat(), str(e["UID"]))
    )


def test_every_feed_lints_and_parses(site):
    for name, data in feeds(*site).items():
        assert lint_ics(data) == [], name
        cal = icalendar.Calendar.from_ical(data)
        assert cal["VERSION"] == "2.0" and cal["PRODID"]
        assert cal.get_missing_tzids() == set(), name
        for vevent in cal.walk("VEVENT"):
            assert vevent["UID"] and vevent["DTSTART"]
            assert vevent["DTSTAMP"].to_ical().endswith(b"Z"), name
        text = data.decode()
        if name.startswith("event-"):
            assert "REFRESH-INTERVAL" not in text and "X-WR-CALNAME" not in text
        else:
            assert "REFRESH-INTERVAL;VALUE=DURATION:PT12H\r\n" in text and "X-PUBLISHED-TTL:PT12H\r\n" in text
            assert "X-WR-TIMEZONE:America/Chicago\r\n" in text
            assert text.count("BEGIN:VTIMEZONE") <= 1


def test_executive_board_2025(site):
    data = feeds(*site)["meetings"]
    got = [e.start for e in expand(data, date(2025, 1, 1), date(2026, 1, 1), "meeting-executive-board")]
    days = [(1, 8), (2, 5), (3, 5), (4, 2), (5, 7), (6, 4), (7, 2), (8, 6), (9, 3), (10, 1), (11, 5), (12, 3)]
    assert got == [datetime(2025, m, d, 18, 0, tzinfo=CHICAGO) for m, d in days]
    # One master VEVENT with an RRULE, never one VEVENT per date.
    text = data.decode()
    assert text.count("UID:meeting-executive-board@example.org") == 1 + 15  # master + move + 14 in-person
    assert "RRULE:FREQ=MONTHLY;UNTIL=20280101T055959Z;BYDAY=1WE\r\n" in text
    assert "RECURRENCE-ID;TZID=America/Chicago:20250101T180000\r\n" in text


def test_executive_board_in_person_months(site):
    data = feeds(*site)["all"]
    board = expand(data, date(2026, 1, 1), date(2027, 1, 1), "meeting-executive-board")
    in_person = [e.start.month for e in board if "union office" in str(e.get("LOCATION", ""))]
    assert in_person == [1, 3, 5, 9, 11]
    assert all(e.start.time() == time(18) and e.end - e.start == timedelta(minutes=90) for e in board)


def test_cat_meetings(site):
    data = feeds(*site)["meetings"]
    cat = expand(data, date(2025, 1, 1), date(2026, 1, 1), "meeting-healthpartners-cat")
    assert (cat[0].start, cat[0].end) == (
        datetime(2025, 1, 7, 18, 30, tzinfo=CHICAGO),
        datetime(2025, 1, 7, 19, 30, tzinfo=CHICAGO),
    )
    assert len(cat) == 50  # 52 Tuesdays from 7 Jan, less 23 and 30 December
    assert cat[-1].start.date() == date(2025, 12, 16)
    # Wall-clock time holds across the DST change on 9 March 2025.
    march = [e.start for e in cat if e.start.month == 3]
    assert {s.time() for s in march} == {time(18, 30)} and {s.utcoffset() for s in march} == {
        timedelta(hours=-6),
        timedelta(hours=-5),
    }
    text = data.decode()
    assert "EXDATE;TZID=America/Chicago:20251223T183000,20251230T183000,20261222T183000," in text.replace("\r\n ", "")


def test_general_membership_quarterly_and_cancelled(site):
    data = feeds(*site)["meetings"]
    found = expand(data, date(2025, 1, 1), date(2028, 1, 1), "meeting-general-membership")
    assert [e.start.date() for e in found] == [
        date(2025, 3, 19), date(2025, 6, 18), date(2025, 9, 17), date(2025, 12, 17),
        date(2026, 3, 18), date(2026, 6, 17), date(2026, 9, 16), date(2026, 12, 16),
        date(2027, 3, 17), date(2027, 6, 16), date(2027, 9, 15), date(2027, 12, 15),
    ]  # fmt: skip
    assert str(found[-1]["STATUS"]) == "CANCELLED" and str(found[-1]["SUMMARY"]).startswith("Cancelled: ")
    assert "lower-level" in str(found[5]["LOCATION"])


def test_closures_feed(site):
    data = feeds(*site)["closures"]
    found = expand(data, date(2027, 12, 1), date(2028, 1, 1))
    assert [(e.start, str(e["SUMMARY"])) for e in found] == [
        (date(2027, 12, 23), "Office closed: Christmas holiday"),  # public_name (the rule's name stays in the YAML)
        (date(2027, 12, 24), "Office closed: Christmas Day (observed)"),
        (date(2027, 12, 30), "Office closed: New Year's holiday"),
        (date(2027, 12, 31), "Office closed: New Year's Day (observed)"),
    ]
    text = data.decode()
    assert "UID:closure-new-years-day-2028@example.org\r\n" in text
    assert "DTSTART;VALUE=DATE:20271231\r\nDTEND;VALUE=DATE:20280101\r\n" in text
    assert text.count("TRANSP:TRANSPARENT") == text.count("BEGIN:VEVENT")
    # Past closures (more than past_days before now) are left out of the feed.
    assert "closure-good-friday-2025@" not in text and "closure-thanksgiving-2025@" in text


def test_events_feed_and_past_cutoff(site):
    config, data, closures = site
    text = feeds(*site)["events"].decode()
    assert "event-winter-solidarity-rally-2026@example.org" in text
    assert "strike-school" in text  # April 2026: within 365 days of now (Nov 2026)
    later = feeds(config, data, closures, now=datetime(2027, 6, 1, tzinfo=timezone.utc))["events"].decode()
    assert "strike-school" not in later  # more than 365 days before June 2027
    assert "event-allina-doctors-solidarity-day-2027@" in later
    earlier = feeds(config, data, closures, now=datetime(2026, 4, 1, tzinfo=timezone.utc))["events"]
    school = expand(earlier, date(2026, 4, 1), date(2026, 5, 1))
    assert [(e.start, e.end) for e in school] == [
        (datetime(2026, 4, 9, 18, 30, tzinfo=CHICAGO), datetime(2026, 4, 9, 20, 0, tzinfo=CHICAGO)),
        (datetime(2026, 4, 16, 18, 30, tzinfo=CHICAGO), datetime(2026, 4, 16, 20, 0, tzinfo=CHICAGO)),
    ]
    first = school[0]
    assert str(first["LOCATION"]) == "Carpenters Hall, 710 Olive Street, Saint Paul, MN"
    assert "Register: https://docs.google.com/forms/d/e/1FAIpQLScnlw2Ng6eDLlnINKAEYuzzMMNwvd0t3kebXtykeoMgLK4_-g/viewform" in str(first["DESCRIPTION"])
    assert str(first["URL"]) == "https://example.org/events/healthpartners-strike-school-2026-04-09/"
    assert first.categories == ["healthpartners", "strike", "bargaining"]


def test_cancelled_and_all_day_events(site):
    text = feeds(*site)["events"].decode().replace("\r\n ", "")
    block = text[text.index("UID:event-organizing-training-2026-12@"):]
    block = block[: block.index("END:VEVENT")]
    assert "STATUS:CANCELLED" in block and "SUMMARY:Cancelled: New organizer training" in block
    assert "DTSTART;VALUE=DATE:20270318\r\nDTEND;VALUE=DATE:20270319\r\n" in text


def test_uid_is_stable_across_edits(site):
    config, data, _ = site
    event = next(e for e in data.events if e.id == "winter-solidarity-rally-2026")
    edited = replace(event, title="Rally (new title)", start=event.start + timedelta(days=1), end=event.end + timedelta(days=1))
    uid = lambda e: icalendar.Calendar.from_ical(event_ics(e, config, NOW)).walk("VEVENT")[0]["UID"]  # noqa: E731
    assert uid(event) == uid(edited) == "event-winter-solidarity-rally-2026@example.org"
    other = replace(event, id="second-rally", slug="second-rally")
    assert uid(other) != uid(event)  # two events on one day differ
    series = data.series[0]
    moved = replace(series, title="E-Board", dtstart=series.dtstart + timedelta(hours=1))
    for s in (series, moved):
        text = calendar_ics(name="x", series=[s], config=config, now=NOW).decode()
        assert "UID:meeting-executive-board@example.org\r\n" in text


def test_deterministic(site):
    config, data, closures = site
    one = feeds(config, data, closures)
    two = feeds(config, data, closures)
    assert one == two
    shuffled = calendar_ics(name="All", events=data.events[::-1], series=data.series[::-1], closures=closures[::-1],
                            config=config, now=NOW, event_url=lambda e: config.abs_url(f"/events/{e.slug}/"))  # fmt: skip
    assert shuffled == one["all"]


def test_now_must_be_aware(site):
    config, data, _ = site
    with pytest.raises(ValueError):
        event_ics(data.events[0], config, datetime(2026, 1, 1))


def test_folding_never_splits_utf8(site):
    config, data, _ = site
    long = replace(data.events[0], title="Grève générale — solidarité ✊ " * 8, description="é" * 300)
    out = event_ics(long, config, NOW)
    assert lint_ics(out) == []
    assert str(icalendar.Calendar.from_ical(out).walk("VEVENT")[0]["SUMMARY"]) == long.title


@pytest.mark.parametrize("tzid", ["America/Chicago", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata"])
def test_vtimezone_matches_zoneinfo(tzid):
    component = vtimezone(tzid, 2024, 2028)
    text = component.to_ical().decode()
    if tzid != "Asia/Kolkata":
        assert text.count("RRULE:FREQ=YEARLY") == 2 and "RDATE" not in text  # the form Outlook maps
    tz = icalendar.Calendar.from_ical(b"BEGIN:VCALENDAR\r\n" + component.to_ical() + b"END:VCALENDAR\r\n")
    built = tz.walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    zone = ZoneInfo(tzid)
    moment = datetime(2025, 1, 1, tzinfo=timezone.utc)
    while moment < datetime(2028, 1, 1, tzinfo=timezone.utc):
        assert moment.astimezone(built).utcoffset() == moment.astimezone(zone).utcoffset(), moment
        moment += timedelta(hours=61)
