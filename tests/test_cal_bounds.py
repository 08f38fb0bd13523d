"""Calendar input is bounded: work and dates stay within the calendar's years (issue 17).

The invalid-site cases (tests/invalid_sites/cal-*, config-calendar-*) check the messages of a
whole build; these tests check the rules underneath them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from dateutil.rrule import rrulestr

import site_builder.readers.calendar as reader
from site_builder.calendar import recurrence
from site_builder.calendar.closures import parse_when
from site_builder.calendar.recurrence import dates_between, expand_series, first_occurrence, parse_rule, plan_series
from site_builder.config import CalendarConfig, ConfigError, load_config, timezone_problem
from site_builder.readers.calendar import parse_date, parse_duration, read_calendar
from tests.conftest import write_site
from tests.test_cal_reader import CONFIG  # the same small calendar site



def _read(tmp_path: Path, calendar: str, config: str = CONFIG):
    root = write_site(tmp_path / "site", {"config.yaml": config, "content/calendar/c.yaml": calendar})
    data, problems = read_calendar(load_config(root / "config.yaml"))
    return data, [str(p) for p in problems]


# -- the 400-year shift gives exactly dateutil's dates ---------------------------------------
RULES = [
    "FREQ=WEEKLY;BYDAY=TU", "FREQ=DAILY;INTERVAL=3", "FREQ=MONTHLY;BYDAY=5FR", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=SU", "FREQ=MONTHLY;BYMONTHDAY=-1", "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=-1",
    "FREQ=DAILY;COUNT=800", "FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH", "FREQ=MONTHLY;INTERVAL=7;BYMONTHDAY=31",
]  # fmt: skip


@pytest.mark.parametrize("rule", RULES)
def test_bounded_expansion_matches_dateutil(rule):
    first = datetime(2024, 2, 29, 18, 30)
    lo, hi = date(2025, 3, 1), date(2036, 12, 31)
    expected = list(rrulestr("RRULE:" + rule, dtstart=first).between(
        datetime.combine(lo, time.min), datetime.combine(hi, time.max), inc=True))
    assert expected  # every rule above has dates in the window
    assert dates_between(rule, first.date(), first.time(), None, lo, hi) == expected
    until = date(2030, 6, 30)
    if "COUNT=" in rule:
        return  # COUNT and until together are refused by the reader
    assert dates_between(rule, first.date(), first.time(), until, lo, hi) == [d for d in expected if d.date() <= until]


NEVER = ["FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "FREQ=DAILY;INTERVAL=7;BYDAY=MO", "FREQ=MONTHLY;BYDAY=6MO",
         "FREQ=WEEKLY;BYDAY=TU;BYMONTH=4;BYMONTHDAY=31"]  # fmt: skip


@pytest.mark.parametrize("rule", NEVER)
def test_a_rule_that_never_happens_is_searched_for_a_bounded_time(rule, monkeypatch):
    """dateutil would look until year 9999 (2.9 million days for FREQ=DAILY); the shifted rule
    starts within 400 years of 9999, so the search looks at a few hundred years at most."""
    rule = parse_rule(rule)
    seen: list[int] = []
    real = recurrence.rrulestr

    def counting(text, dtstart):
        seen.append(dtstart.year)
        return real(text, dtstart=dtstart)

    monkeypatch.setattr(recurrence, "rrulestr", counting)
    assert first_occurrence(rule, date(2025, 1, 7), time(18, 30), None) is None  # a Tuesday
    assert dates_between(rule, date(2025, 1, 7), time(18, 30), None, date(2025, 1, 1), date(2037, 12, 31)) == []
    assert seen and all(9999 - year <= 2 * recurrence.CYCLE_YEARS for year in seen), seen


def test_byhour_byminute_bysecond_are_refused():
    for part in ("BYHOUR=9,14", "BYMINUTE=0,30", "BYSECOND=0"):
        with pytest.raises(ValueError, match="at most once a day"):
            parse_rule(f"FREQ=DAILY;{part}")
    assert parse_rule("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30") == "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"  # parsed, not run


# -- skip/move/override lists cost one expansion per series ----------------------------------
def test_skips_are_checked_against_one_expansion(tmp_path, monkeypatch):
    calls: list[tuple] = []
    real = reader.dates_between
    monkeypatch.setattr(reader, "dates_between", lambda *a: calls.append(a) or real(*a))
    days = [date(2025, 1, 7) + timedelta(days=7 * i) for i in range(150)]
    text = ("meetings:\n  - id: cat\n    title: CAT\n    repeat: every Tuesday\n    time: 18:30\n    end: 19:30\n"
            "    from: 2025-01-07\n    online_url: https://zoom.us/j/1\n    skip:\n"
            + "".join(f"      - {d}\n" for d in days[:100])
            + "    override:\n" + "".join(f"      - date: {d}\n        note: changed\n" for d in days[100:])
            + "      - date: 2025-01-08\n        note: not a Tuesday\n")
    data, problems = _read(tmp_path, text)
    assert len(calls) == 1
    assert problems == ["content/calendar/c.yaml:211: meetings[\"cat\"].override[50].date: 2025-01-08 is not a date of "
                        "this series (the nearest are 2025-01-07 and 2025-01-14)"]


# -- dates stay in the calendar's range ------------------------------------------------------
def test_the_date_range_is_the_years_and_a_margin():
    assert CalendarConfig(first_year=2025, last_year=2027).date_range == (date(2015, 1, 1), date(2037, 12, 31))
    within = CalendarConfig().date_range
    assert parse_date("2037-12-31", within) == date(2037, 12, 31)
    for bad in ("2038-01-01", "2014-12-31", "9999-12-31", "0001-01-01"):
        with pytest.raises(ValueError, match="outside the dates this calendar covers, 2015-01-01 to 2037-12-31"):
            parse_date(bad, within)


@pytest.mark.parametrize("years, message", [
    ((0, 2027), "calendar.first_year: must be from 1900 to 2200; got 0"),
    ((2025, 10000), "calendar.last_year: must be from 1900 to 2200; got 10000"),
    ((2000, 2020), "calendar.last_year: the calendar covers at most 20 years; 2000 to 2020 is 21 (for example last_year: 2019)"),
])  # fmt: skip
def test_config_years_are_limited(tmp_path, years, message):
    config = CONFIG.replace("2025", str(years[0])).replace("2027", str(years[1]))
    root = write_site(tmp_path / "site", {"config.yaml": config})
    with pytest.raises(ConfigError) as err:
        load_config(root / "config.yaml")
    assert [p.field + ": " + p.message for p in err.value.problems] == [message]
    write_site(root, {"config.yaml": CONFIG.replace("2025", "2000").replace("2027", "2019")})
    assert load_config(root / "config.yaml").calendar.date_range == (date(1990, 1, 1), date(2029, 12, 31))


def test_a_timezone_region_is_not_a_timezone():
    assert timezone_problem("America") == "'America' is a region, not a time zone; name a city in it, such as America/Chicago"
    assert timezone_problem("Central") == "unknown time zone 'Central' (for Central Time write America/Chicago)"
    assert timezone_problem("America/Chicago") is None


def test_durations_and_closure_offsets_are_limited():
    assert parse_duration("744 hours") == timedelta(days=31)
    for bad in ("745 hours", "99999999999999999999 hours", "9" * 400 + " minutes"):
        with pytest.raises(ValueError, match="longer than 31 days"):
            parse_duration(bad)
    assert parse_when("Easter - 47 days")["offset"] == -47
    assert parse_when("366 days after christmas-day")["offset"] == 366
    for bad in ("Easter + 400 days", "9999999 days after christmas-day", "christmas-day - 367"):
        with pytest.raises(ValueError, match="at most 366 days"):
            parse_when(bad)


def test_a_count_inside_the_range_is_fine_and_plans_are_bounded(tmp_path):
    text = ("meetings:\n  - id: cat\n    title: CAT\n    repeat: FREQ=DAILY;COUNT=4000\n    time: 18:30\n"
            "    end: 19:30\n    from: 2025-01-07\n    online_url: https://zoom.us/j/1\n")
    data, problems = _read(tmp_path, text)
    assert problems == []
    plan = plan_series(data.series[0])
    assert plan.last_end.date() == date(2025, 1, 7) + timedelta(days=3999)
    data, problems = _read(tmp_path, text.replace("4000", "4800"))
    assert problems == ["content/calendar/c.yaml:4: meetings[\"cat\"].repeat: its COUNT goes on past 2037-12-31, the last "
                        "date this calendar covers; give a smaller COUNT, or until: instead"]


# -- daylight saving time ------------------------------------------------------------------
MEETING_AT_NIGHT = """
meetings:
  - id: night-shift
    title: Night shift meeting
    repeat: every Sunday
    time: 2:30 am
    duration: 1 hour
    from: 2026-03-01
    until: 2027-12-31
    online_url: https://zoom.us/j/1
"""


def test_a_series_time_in_the_skipped_hour_is_a_warning_and_shown_as_the_clocks_read(tmp_path):
    data, problems = _read(tmp_path, MEETING_AT_NIGHT)
    assert problems == [
        "content/calendar/c.yaml:5: meetings[\"night-shift\"].time: warning: 2:30 am does not exist on 2026-03-08 in "
        "America/Chicago (nor on 1 more up to 2027): the clocks go forward that night (daylight saving time), so "
        "that meeting is at 3:30 am; give the date an override with another time: (or a skip) to silence this"
    ]
    series = data.series[0]
    occ = [o for o in expand_series(series, start=date(2026, 3, 1), end=date(2026, 3, 16))]
    assert [o.start.strftime("%m-%d %H:%M %Z") for o in occ] == ["03-01 02:30 CST", "03-08 03:30 CDT", "03-15 02:30 CDT"]
    assert occ[1].end - occ[1].start == timedelta(hours=1)
    fixed = MEETING_AT_NIGHT + "    skip: [2027-03-14]\n    override:\n      - date: 2026-03-08\n        time: 3:00 am\n"
    assert _read(tmp_path, fixed)[1] == []


def test_an_event_in_the_skipped_hour_is_an_error_and_the_repeated_hour_takes_the_first(tmp_path):
    text = "events:\n  - id: a\n    title: A\n    start: 2026-03-08 2:30 am\n    end: 4:00 am\n"
    assert _read(tmp_path, text)[1] == [
        "content/calendar/c.yaml:4: events[\"a\"].start: 2026-03-08 2:30 am does not exist in America/Chicago: the "
        "clocks go forward an hour that night (daylight saving time); write 3:30 am or another time"
    ]
    data, problems = _read(tmp_path, text.replace("2026-03-08 2:30", "2026-11-01 1:30").replace("4:00", "1:45"))
    assert problems == []
    event = data.events[0]
    assert event.start.utcoffset() == timedelta(hours=-5)  # 1:30 am CDT, the first 1:30 of that night
    assert event.start.astimezone(timezone.utc).hour == 6


@pytest.mark.parametrize("zone", ["America/Chicago", "Europe/London", "Africa/Casablanca", "Australia/Lord_Howe",
                                  "America/Santiago", "Asia/Tehran", "Pacific/Apia", "UTC", "America/Havana",
                                  "Asia/Gaza"])
def test_the_daylight_saving_gap_days_are_those_of_a_day_by_day_scan(zone):
    """_gap_days steps a week at a time (docs/performance.md); it must find exactly the days a
    walk over every day finds, in zones that change their clocks often or by half an hour."""
    from datetime import date, datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from site_builder.readers.calendar import _Reader

    lo, hi = date(2015, 1, 1), date(2037, 12, 31)
    tz, expected, day = ZoneInfo(zone), set(), lo
    before = datetime.combine(day, time(12), tzinfo=tz).utcoffset()
    while day < hi:
        day += timedelta(days=1)
        after = datetime.combine(day, time(12), tzinfo=tz).utcoffset()
        if after > before:
            expected.update((day - timedelta(days=1), day))
        before = after
    reader = _Reader.__new__(_Reader)
    reader.gap_days, reader.range = {}, (lo, hi)
    assert reader._gap_days(zone) == frozenset(expected)


def test_the_last_year_warning_needs_a_calendar_and_keeps_within_twenty_years(scratch, build):
    """At the tests' now (Nov 2026): a calendar ending 2026 with closures warns, and the years it
    suggests stay within the 20 allowed; one with no closures nor meetings has nothing to lose."""
    config = ("title: T\nbase_url: https://example.org/\ntimezone: America/Chicago\n"
              "calendar:\n  first_year: 2008\n  last_year: 2026\n")
    empty = scratch(config=config)
    assert build(empty, "--strict").err == ""
    root = scratch({"content/calendar/closures.yaml": "closures:\n  - id: new-year\n    name: New Year\n    when: January 1\n"},
                   config=config)
    run = build(root)
    assert run.code == 0
    assert run.err.splitlines() == [
        "config.yaml:6: calendar.last_year: warning: the calendar ends Dec 31, 2026: after that day office closures are "
        "not worked out and meetings are not listed; raise last_year in config.yaml (for example last_year: 2028 and "
        "first_year: 2009)"]
