"""Closure rules → observed dates, checked against a real calendar by hand."""

from __future__ import annotations

from datetime import date

import pytest

from site_builder.calendar.closures import (
    closure_conflicts,
    nth_weekday,
    observe,
    parse_when,
    resolve_closures,
    rule_order,
)
from site_builder.calendar.model import ClosureRule
from site_builder.config import CalendarConfig


def rule(id: str, when: str, name: str = "", **extra) -> ClosureRule:
    return ClosureRule(id=id, name=name or id, text=when, **parse_when(when), **extra)


# The sample site's twelve closures (content/calendar/closures.yaml).
UNION = (
    rule("new-years-day", "January 1"),
    rule("mlk-day", "third Monday of January"),
    rule("good-friday", "Easter - 2 days"),
    rule("memorial-day", "last Monday of May"),
    rule("juneteenth", "June 19"),
    rule("july-fourth", "July 4"),
    rule("labor-day", "first Monday of September"),
    rule("thanksgiving", "fourth Thursday of November"),
    rule("day-after-thanksgiving", "1 day after thanksgiving"),
    rule("christmas-eve-closure", "last working day before christmas-day"),
    rule("christmas-day", "December 25"),
    rule("new-years-eve-closure", "last working day before new-years-day"),
)
CAL = CalendarConfig(first_year=2025, last_year=2027)


def observed(rules=UNION, cal=CAL) -> dict[tuple[str, int], tuple[date, date]]:
    return {(c.id, c.year): (c.date, c.observed) for c in resolve_closures(rules, cal)}


# (rule id, rule year, nominal date, observed date) — worked out from a wall calendar.
CASES = [
    ("new-years-day", 2025, date(2025, 1, 1), date(2025, 1, 1)),  # Wednesday
    ("mlk-day", 2025, date(2025, 1, 20), date(2025, 1, 20)),
    ("good-friday", 2025, date(2025, 4, 18), date(2025, 4, 18)),
    ("good-friday", 2026, date(2026, 4, 3), date(2026, 4, 3)),
    ("good-friday", 2027, date(2027, 3, 26), date(2027, 3, 26)),
    ("memorial-day", 2025, date(2025, 5, 26), date(2025, 5, 26)),
    ("memorial-day", 2027, date(2027, 5, 31), date(2027, 5, 31)),
    ("juneteenth", 2027, date(2027, 6, 19), date(2027, 6, 18)),  # Saturday → Friday
    ("july-fourth", 2025, date(2025, 7, 4), date(2025, 7, 4)),
    ("july-fourth", 2026, date(2026, 7, 4), date(2026, 7, 3)),  # Saturday → Friday
    ("july-fourth", 2027, date(2027, 7, 4), date(2027, 7, 5)),  # Sunday → Monday
    ("labor-day", 2026, date(2026, 9, 7), date(2026, 9, 7)),
    ("thanksgiving", 2025, date(2025, 11, 27), date(2025, 11, 27)),
    ("thanksgiving", 2026, date(2026, 11, 26), date(2026, 11, 26)),
    ("day-after-thanksgiving", 2025, date(2025, 11, 28), date(2025, 11, 28)),
    ("day-after-thanksgiving", 2027, date(2027, 11, 26), date(2027, 11, 26)),
    ("christmas-day", 2025, date(2025, 12, 25), date(2025, 12, 25)),  # Thursday
    ("christmas-eve-closure", 2025, date(2025, 12, 24), date(2025, 12, 24)),
    ("christmas-day", 2027, date(2027, 12, 25), date(2027, 12, 24)),  # Saturday → Friday 24th
    ("christmas-eve-closure", 2027, date(2027, 12, 23), date(2027, 12, 23)),  # before the observed 24th
    ("new-years-eve-closure", 2026, date(2025, 12, 31), date(2025, 12, 31)),  # before Thu 1 Jan 2026
    ("new-years-eve-closure", 2027, date(2026, 12, 31), date(2026, 12, 31)),  # before Fri 1 Jan 2027
    ("new-years-day", 2028, date(2028, 1, 1), date(2027, 12, 31)),  # Saturday → Friday 31 Dec 2027
    ("new-years-eve-closure", 2028, date(2027, 12, 30), date(2027, 12, 30)),  # Thursday
]


@pytest.mark.parametrize("rule_id, year, nominal, seen", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_union_closures(rule_id, year, nominal, seen):
    assert observed()[rule_id, year] == (nominal, seen)


def test_range_is_by_observed_date():
    result = resolve_closures(UNION, CAL)
    assert min(c.observed for c in result) == date(2025, 1, 1)
    assert max(c.observed for c in result) == date(2027, 12, 31)  # New Year's Day 2028, observed
    # The last working day before New Year's Day 2025 is Tue 31 Dec 2024: outside the range.
    assert ("new-years-eve-closure", 2025) not in observed()
    # 12 a year, plus New Year's Day 2028 and the day before it, minus 31 Dec 2024.
    assert len(result) == 12 * 3 + 2 - 1
    assert list(result) == sorted(result, key=lambda c: (c.observed, c.id))
    assert all(c.observed.weekday() < 5 for c in result)
    assert closure_conflicts(result) == []


def test_observance_can_be_configured_or_switched_off():
    off = CalendarConfig(first_year=2026, last_year=2027, observe_saturday="none", observe_sunday="none")
    assert observed(cal=off)["july-fourth", 2026] == (date(2026, 7, 4), date(2026, 7, 4))
    nxt = CalendarConfig(first_year=2026, last_year=2027, observe_saturday="next", observe_sunday="next")
    assert observed(cal=nxt)["july-fourth", 2026][1] == date(2026, 7, 6)
    # A rule may override the site's default.
    own = (rule("july-fourth", "July 4", observe_saturday="none"),)
    assert observed(own)["july-fourth", 2026][1] == date(2026, 7, 4)


def test_last_working_day_skips_weekends_and_other_closures():
    # Christmas 2022 is a Sunday → observed Monday 26th; the working day before is Friday 23rd.
    cal = CalendarConfig(first_year=2022, last_year=2022)
    assert observed(cal=cal)["christmas-eve-closure", 2022][1] == date(2022, 12, 23)
    # New Year's Day 2023 is a Sunday → Monday 2 Jan; the working day before is Friday 30 Dec 2022.
    assert observed(cal=cal)["new-years-eve-closure", 2023][1] == date(2022, 12, 30)
    # A closure sitting on the day before is stepped over.
    rules = UNION + (rule("boxing-day", "December 26", observe_saturday="none", observe_sunday="none"),)
    # 2025: Christmas Thu 25, Boxing Day Fri 26 — Wed 31 Dec still the day before New Year's Day 2026.
    assert observed(rules)["new-years-eve-closure", 2026][1] == date(2025, 12, 31)


@pytest.mark.parametrize(
    "year, month, weekday, nth, expected",
    [
        (2025, 11, 3, 4, date(2025, 11, 27)),
        (2027, 5, 0, -1, date(2027, 5, 31)),
        (2026, 1, 0, 3, date(2026, 1, 19)),
        (2025, 2, 0, 5, None),  # February 2025 has four Mondays
        (2024, 12, 1, -1, date(2024, 12, 31)),
    ],
)
def test_nth_weekday(year, month, weekday, nth, expected):
    assert nth_weekday(year, month, weekday, nth) == expected


@pytest.mark.parametrize(
    "day, saturday, sunday, expected",
    [
        (date(2026, 7, 4), "previous", "next", date(2026, 7, 3)),
        (date(2027, 7, 4), "previous", "next", date(2027, 7, 5)),
        (date(2027, 7, 4), "previous", "previous", date(2027, 7, 2)),
        (date(2026, 7, 4), "next", "next", date(2026, 7, 6)),
        (date(2026, 7, 4), "none", "none", date(2026, 7, 4)),
        (date(2025, 7, 4), "previous", "next", date(2025, 7, 4)),
    ],
)
def test_observe(day, saturday, sunday, expected):
    assert observe(day, saturday, sunday) == expected


def test_same_day_closures_are_both_kept_and_reported():
    rules = (rule("christmas-day", "December 25"), rule("company-day", "December 25"))
    result = resolve_closures(rules, CalendarConfig(first_year=2025, last_year=2025))
    assert [(c.id, c.observed) for c in result] == [
        ("christmas-day", date(2025, 12, 25)),
        ("company-day", date(2025, 12, 25)),
    ]
    assert [(a.id, b.id) for a, b in closure_conflicts(result)] == [("christmas-day", "company-day")]


def test_unknown_references_and_cycles_are_left_out():
    rules = (
        rule("a", "1 day after b"),
        rule("b", "last working day before a"),
        rule("c", "2 days after nowhere"),
        rule("d", "July 4"),
    )
    ordered, unknown, cycles = rule_order(rules)
    assert [r.id for r in ordered] == ["d"]
    assert [r.id for r in unknown] == ["c"]
    assert cycles == [["a", "b", "a"]]
    assert [c.id for c in resolve_closures(rules, CAL)] == ["d", "d", "d"]


@pytest.mark.parametrize(
    "text, fields",
    [
        ("January 1", {"kind": "fixed", "month": 1, "day": 1}),
        ("Dec 25th", {"kind": "fixed", "month": 12, "day": 25}),
        ("19 June", {"kind": "fixed", "month": 6, "day": 19}),
        ("4th Thursday in November", {"kind": "nth-weekday", "nth": 4, "weekday": 3, "month": 11}),
        ("last Monday of May", {"kind": "nth-weekday", "nth": -1, "weekday": 0, "month": 5}),
        ("Easter - 2 days", {"kind": "easter", "offset": -2}),
        ("Easter+1", {"kind": "easter", "offset": 1}),
        ("2 days before Easter", {"kind": "easter", "offset": -2}),
        ("thanksgiving + 1 day", {"kind": "offset", "ref": "thanksgiving", "offset": 1}),
        ("Last working day preceding christmas-day", {"kind": "working-day-before", "ref": "christmas-day"}),
    ],
)
def test_parse_when(text, fields):
    assert parse_when(text) == fields


@pytest.mark.parametrize(
    "text, message",
    [
        ("February 30", "'February 30': there is no day 30 in February"),
        ("Feb 29", "February 29 is not in every year; pick another date"),
        ("someday", "cannot understand 'someday'"),
    ],
)
def test_parse_when_errors(text, message):
    with pytest.raises(ValueError) as info:
        parse_when(text)
    assert str(info.value).startswith(message)
