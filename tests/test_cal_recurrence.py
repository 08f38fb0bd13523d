"""Readable recurrences → RRULE, and series expansion with skips, moves, overrides and closures."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from site_builder.calendar.model import Closure, MeetingSeries, OccurrenceChange, Place
from site_builder.calendar.recurrence import expand_series, parse_rule, plan_series

CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize(
    "text, rrule",
    [
        ("every Tuesday", "FREQ=WEEKLY;BYDAY=TU"),
        ("weekly on Tuesday", "FREQ=WEEKLY;BYDAY=TU"),
        ("Weekly on Monday and Thursday", "FREQ=WEEKLY;BYDAY=MO,TH"),
        ("every other Tuesday", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"),
        ("every 3 weeks on Friday", "FREQ=WEEKLY;INTERVAL=3;BYDAY=FR"),
        ("first Wednesday monthly", "FREQ=MONTHLY;BYDAY=1WE"),
        ("first Wednesday of every month", "FREQ=MONTHLY;BYDAY=1WE"),
        ("the first Wednesday of each month", "FREQ=MONTHLY;BYDAY=1WE"),
        ("monthly on the first Wednesday", "FREQ=MONTHLY;BYDAY=1WE"),
        ("last Friday monthly", "FREQ=MONTHLY;BYDAY=-1FR"),
        ("second and fourth Tuesday of the month", "FREQ=MONTHLY;BYDAY=2TU,4TU"),
        ("third Wednesday of March, June, September and December", "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYDAY=3WE"),
        ("every weekday", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        ("FREQ=WEEKLY;BYDAY=TU", "FREQ=WEEKLY;BYDAY=TU"),
        ("RRULE:byday=1we;freq=monthly", "FREQ=MONTHLY;BYDAY=1WE"),
    ],
)
def test_parse_rule(text, rrule):
    assert parse_rule(text) == rrule


@pytest.mark.parametrize(
    "text, start",
    [
        ("every blursday", "cannot understand the recurrence 'every blursday'"),
        ("FREQ=WEEKLY;UNTIL=20250101", "RRULE must not contain UNTIL"),
        ("FREQ=WEEKLY;DTSTART=20250101", "RRULE must not contain DTSTART"),
        ("BYDAY=TU", "not a valid RRULE: 'BYDAY=TU' (it needs FREQ="),
        ("FREQ=HOURLY", "meetings repeat at most daily"),
        ("first Blursday monthly", "cannot understand"),
    ],
)
def test_parse_rule_errors(text, start):
    with pytest.raises(ValueError) as info:
        parse_rule(text)
    assert str(info.value).startswith(start)


def series(**changes) -> MeetingSeries:
    base = dict(
        id="board",
        slug="board",
        title="Board",
        rule="first Wednesday monthly",
        rrule="FREQ=MONTHLY;BYDAY=1WE",
        dtstart=datetime(2025, 1, 1, 18, tzinfo=CHICAGO),
        duration=timedelta(hours=1),
        timezone="America/Chicago",
        until=date(2025, 12, 31),
        venue=Place("Hall", "1 Main St"),
        online_url="https://zoom.us/j/81200012012",
        attendance="online",
    )
    return MeetingSeries(**{**base, **changes})


NEW_YEAR = Closure("new-years-day", "New Year's Day", date(2025, 1, 1), date(2025, 1, 1), 2025)
JULY_2 = Closure("company-day", "Company day", date(2025, 7, 2), date(2025, 7, 2), 2025)


@pytest.mark.parametrize(
    "on_closure, january, july",
    [
        ("keep", date(2025, 1, 1), date(2025, 7, 2)),
        ("skip", None, None),
        ("next-working-day", date(2025, 1, 2), date(2025, 7, 3)),
        ("next-week", date(2025, 1, 8), date(2025, 7, 9)),
    ],
)
def test_on_closure(on_closure, january, july):
    occ = expand_series(series(on_closure=on_closure), [NEW_YEAR, JULY_2])
    by_month = {o.recurrence_id.month: o for o in occ}
    for month, expected in ((1, january), (7, july)):
        if expected is None:
            assert month not in by_month
        else:
            assert by_month[month].start == datetime.combine(expected, time(18), tzinfo=CHICAGO)
            assert by_month[month].moved == (expected.day not in (1, 2) or on_closure != "keep")
    assert len(occ) == (10 if on_closure == "skip" else 12)


def test_skip_move_override_and_plan():
    s = series(
        skips=(date(2025, 8, 6),),
        moves=(OccurrenceChange(date(2025, 1, 1), new_start=datetime(2025, 1, 8, 18, tzinfo=CHICAGO), attendance="in-person"),),
        overrides=(
            OccurrenceChange(date(2025, 3, 5), start_time=time(17, 30), duration=timedelta(hours=2), attendance="hybrid"),
            OccurrenceChange(date(2025, 10, 1), status="cancelled", note="Convention"),
        ),
    )
    occ = expand_series(s)
    assert [o.start.date() for o in occ][:3] == [date(2025, 1, 8), date(2025, 2, 5), date(2025, 3, 5)]
    assert occ[0].venue == Place("Hall", "1 Main St") and occ[0].online_url == "" and occ[0].moved
    assert occ[1].venue is None and occ[1].online_url and not occ[1].modified
    assert (occ[2].start.time(), occ[2].end.time(), occ[2].attendance) == (time(17, 30), time(19, 30), "hybrid")
    assert date(2025, 8, 6) not in {o.start.date() for o in occ}
    assert [o.status for o in occ if o.start.month == 10] == ["cancelled"]
    assert len(expand_series(s, include_cancelled=False)) == 10
    plan = plan_series(s)
    assert plan.exdates == (datetime(2025, 8, 6, 18, tzinfo=CHICAGO),)
    assert [o.recurrence_id.date() for o in plan.changed] == [date(2025, 1, 1), date(2025, 3, 5), date(2025, 10, 1)]
    assert plan.last_end == datetime(2025, 12, 3, 19, tzinfo=CHICAGO)


def test_window_and_open_ended_series():
    s = series(until=None, moves=(OccurrenceChange(date(2026, 3, 4), new_start=datetime(2026, 2, 25, 18, tzinfo=CHICAGO)),))
    feb = expand_series(s, start=date(2026, 2, 1), end=date(2026, 3, 1))
    assert [o.start.date() for o in feb] == [date(2026, 2, 4), date(2026, 2, 25)]  # the March meeting moved into February
    plan = plan_series(s)
    assert plan.last_end is None and [o.recurrence_id.date() for o in plan.changed] == [date(2026, 3, 4)]
    with pytest.raises(ValueError):
        expand_series(s)


def test_dst_keeps_wall_clock_time():
    s = series(rrule="FREQ=WEEKLY;BYDAY=SU", dtstart=datetime(2025, 3, 2, 9, tzinfo=CHICAGO), until=date(2025, 3, 16))
    occ = expand_series(s)
    assert [(o.start.hour, o.start.utcoffset()) for o in occ] == [
        (9, timedelta(hours=-6)), (9, timedelta(hours=-5)), (9, timedelta(hours=-5)),
    ]  # fmt: skip
