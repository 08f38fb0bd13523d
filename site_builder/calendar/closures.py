"""Closure rules → the days the office is closed.

Rules are resolved for one year either side of the configured range, so rules that cross a
year end work ("the last working day before New Year's Day 2028" is Thursday 30 December 2027);
the result holds every closure whose *observed* date falls in [1 Jan first_year, 31 Dec last_year].

A working day is Monday–Friday and not the observed date of a closure.  Rules are applied in
dependency order (a rule after the rules it names); "last working day before" rules go as late
as their dependencies allow, so they see every fixed holiday.  Two closures observed on the same
day are both kept (the office is closed once); `closure_conflicts` lists them so the reader can warn.
"""

from __future__ import annotations

import heapq
import re
from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Iterable, Sequence

from dateutil.easter import easter

from site_builder.calendar.model import Closure, ClosureRule

if TYPE_CHECKING:
    from site_builder.config import CalendarConfig

SHIFTS = ("previous", "next", "none")


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    """The nth (1..5) or last (-1) `weekday` (0 = Monday) of a month; None if there is no 5th."""
    if nth > 0:
        first = date(year, month, 1)
        day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
        return day if day.month == month else None
    last = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
    day = last - timedelta(days=(last.weekday() - weekday) % 7 + 7 * (-nth - 1))
    return day if day.month == month else None


def observe(day: date, saturday: str, sunday: str) -> date:
    """Weekend observance: a Saturday/Sunday moves to the previous Friday / next Monday etc."""
    shift = {5: saturday, 6: sunday}.get(day.weekday(), "none")
    if shift == "previous":
        return day - timedelta(days=day.weekday() - 4)  # Sat → Fri, Sun → Fri
    if shift == "next":
        return day + timedelta(days=7 - day.weekday())  # Sat → Mon, Sun → Mon
    return day


def is_working_day(day: date, closed: Iterable[date] | set[date]) -> bool:
    return day.weekday() < 5 and day not in closed


def next_working_day(day: date, closed: set[date]) -> date:
    """The first working day strictly after `day`."""
    day += timedelta(days=1)
    while not is_working_day(day, closed):
        day += timedelta(days=1)
    return day


def previous_working_day(day: date, closed: set[date]) -> date:
    """The last working day strictly before `day`."""
    day -= timedelta(days=1)
    while not is_working_day(day, closed):
        day -= timedelta(days=1)
    return day


def rule_order(rules: Sequence[ClosureRule]) -> tuple[list[ClosureRule], list[ClosureRule], list[list[str]]]:
    """Dependency order of `rules`.

    Returns (ordered rules, rules naming an unknown closure, cycles as id paths).  Rules in a
    cycle or depending on an unknown/cyclic rule are left out of the order.
    """
    by_id: dict[str, ClosureRule] = {}
    for rule in rules:
        by_id.setdefault(rule.id, rule)
    index = {rule.id: i for i, rule in reversed(list(enumerate(rules)))}
    unknown = [r for r in rules if r.ref and r.ref not in by_id]
    dependents: dict[str, list[str]] = defaultdict(list)
    waiting: dict[str, int] = {}
    for rid, rule in by_id.items():
        waiting[rid] = 1 if rule.ref else 0  # an unknown reference never becomes ready
        if rule.ref in by_id:
            dependents[rule.ref].append(rid)
    heap = [(_priority(by_id[rid]), index[rid], rid) for rid, n in waiting.items() if n == 0]
    heapq.heapify(heap)
    ordered: list[ClosureRule] = []
    while heap:
        _, _, rid = heapq.heappop(heap)
        ordered.append(by_id[rid])
        for dep in dependents[rid]:
            waiting[dep] -= 1
            if waiting[dep] == 0:
                heapq.heappush(heap, (_priority(by_id[dep]), index[dep], dep))
    cycles: list[list[str]] = []
    in_cycle: set[str] = set()
    for rid in sorted(set(by_id) - {r.id for r in ordered}, key=index.__getitem__):
        path, seen = [rid], {rid}
        cur = by_id[rid].ref
        while cur in by_id and cur not in seen and cur not in in_cycle:
            path.append(cur)
            seen.add(cur)
            cur = by_id[cur].ref
        if cur in seen:  # walked into a loop: report it once, starting at its first member
            loop = path[path.index(cur):]
            start = min(loop, key=index.__getitem__)
            k = loop.index(start)
            loop = loop[k:] + loop[:k]
            if not in_cycle & set(loop):
                cycles.append(loop + [start])
                in_cycle.update(loop)
    return ordered, unknown, cycles


def _priority(rule: ClosureRule) -> int:
    return 1 if rule.kind == "working-day-before" else 0


def _shifts(rule: ClosureRule, saturday: str, sunday: str) -> tuple[str, str]:
    if rule.kind == "fixed":
        default_sat, default_sun = saturday, sunday
    else:
        default_sat = default_sun = "none"
    return (rule.observe_saturday or default_sat, rule.observe_sunday or default_sun)


def resolve_closures(rules: Sequence[ClosureRule], cal: "CalendarConfig") -> tuple[Closure, ...]:
    """Every closure observed between 1 Jan `cal.first_year` and 31 Dec `cal.last_year`.

    `cal` is a CalendarConfig (first_year, last_year, observe_saturday, observe_sunday).
    Sorted by observed date, then id.  Rules with unknown references or cycles are left out
    (the reader reports them).
    """
    ordered, _, _ = rule_order(rules)
    years = range(cal.first_year - 1, cal.last_year + 2)
    nominal: dict[tuple[str, int], date] = {}
    observed: dict[tuple[str, int], date] = {}
    closed: set[date] = set()
    result: list[Closure] = []
    for rule in ordered:
        saturday, sunday = _shifts(rule, cal.observe_saturday, cal.observe_sunday)
        for year in years:
            day = _nominal(rule, year, nominal, observed, closed)
            if day is None:
                continue
            seen = day if rule.kind == "working-day-before" else observe(day, saturday, sunday)
            nominal[rule.id, year] = day
            observed[rule.id, year] = seen
            closed.add(seen)
            result.append(Closure(rule.id, rule.public_name or rule.name, day, seen, year))
    first, last = date(cal.first_year, 1, 1), date(cal.last_year, 12, 31)
    return tuple(sorted((c for c in result if first <= c.observed <= last), key=lambda c: c.sort_key))


def _nominal(rule: ClosureRule, year: int, nominal, observed, closed) -> date | None:
    if rule.kind == "fixed":
        try:
            return date(year, rule.month, rule.day)
        except ValueError:  # 29 February in a common year
            return None
    if rule.kind == "nth-weekday":
        return nth_weekday(year, rule.month, rule.weekday, rule.nth)
    if rule.kind == "easter":
        return easter(year) + timedelta(days=rule.offset)
    if rule.kind == "offset":
        base = nominal.get((rule.ref, year))
        return None if base is None else base + timedelta(days=rule.offset)
    if rule.kind == "working-day-before":
        base = observed.get((rule.ref, year))
        return None if base is None else previous_working_day(base, closed)
    raise ValueError(f"unknown closure rule kind {rule.kind!r}")


def closed_days(closures: Iterable[Closure]) -> frozenset[date]:
    return frozenset(c.observed for c in closures)


def closure_conflicts(closures: Iterable[Closure]) -> list[tuple[Closure, Closure]]:
    """Pairs of closures observed on the same day (first, later-by-id)."""
    by_day: dict[date, list[Closure]] = defaultdict(list)
    for c in closures:
        by_day[c.observed].append(c)
    pairs = []
    for day in sorted(by_day):
        group = sorted(by_day[day], key=lambda c: c.id)
        pairs.extend((group[0], other) for other in group[1:])
    return pairs


MONTHS = {
    name: i
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")],
        start=1,
    )
    for name in names
}  # fmt: skip
_WEEKDAYS = {
    name: i
    for i, names in enumerate(
        [("monday", "mon"), ("tuesday", "tue", "tues"), ("wednesday", "wed"), ("thursday", "thu", "thur", "thurs"),
         ("friday", "fri"), ("saturday", "sat"), ("sunday", "sun")]
    )
    for name in names
}  # fmt: skip
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
             "fifth": 5, "5th": 5, "last": -1}  # fmt: skip
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
WHEN_EXAMPLES = (
    '"July 4", "third Monday of January", "last Monday of May", "Easter - 2 days", '
    '"1 day after thanksgiving" or "last working day before christmas-day"'
)
_ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"
MAX_OFFSET_DAYS = 366  # "N days after/before" a holiday or Easter: at most a year away


def _offset(raw: str, days: int) -> int:
    if abs(days) > MAX_OFFSET_DAYS:
        raise ValueError(f"{raw!r}: a closure can be at most {MAX_OFFSET_DAYS} days before or after the day it follows")
    return days


def parse_when(text: str) -> dict:
    """A closure rule's `when:` text → ClosureRule fields (kind, month, day, weekday, nth, offset, ref).

    Raises ValueError with a message fit for `path:line: field: message`.
    """
    raw = " ".join(str(text).split())
    s = raw.lower().rstrip(".")
    m = re.fullmatch(r"([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?|(\d{1,2})(?:st|nd|rd|th)? ([a-z]+)", s)
    if m:
        month_name, day = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        month = MONTHS.get(month_name)
        if month:
            day_n = int(day)
            if not 1 <= day_n <= _DAYS_IN_MONTH[month - 1]:
                raise ValueError(f"{raw!r}: there is no day {day_n} in {month_name.capitalize()}")
            if (month, day_n) == (2, 29):
                raise ValueError("February 29 is not in every year; pick another date")
            return {"kind": "fixed", "month": month, "day": day_n}
    m = re.fullmatch(r"(?:the )?([a-z0-9]+) ([a-z]+?)s? (?:of|in) ([a-z]+)", s)
    if m and m.group(1) in _ORDINALS and m.group(2) in _WEEKDAYS and m.group(3) in MONTHS:
        return {"kind": "nth-weekday", "nth": _ORDINALS[m.group(1)], "weekday": _WEEKDAYS[m.group(2)],
                "month": MONTHS[m.group(3)]}  # fmt: skip
    m = re.fullmatch(rf"(?:the )?last working day (?:before|preceding) ({_ID})", s)
    if m:
        return {"kind": "working-day-before", "ref": m.group(1)}
    m = re.fullmatch(r"easter(?: ?([+-]) ?(\d+)(?: days?)?)?", s)
    if m:
        return {"kind": "easter", "offset": _offset(raw, int(m.group(2) or 0) * (-1 if m.group(1) == "-" else 1))}
    m = re.fullmatch(rf"({_ID})(?: ?([+-]) ?(\d+)(?: days?)?)?", s) or re.fullmatch(
        rf"(\d+) days? (before|after) ({_ID})", s
    )
    if m:
        if m.re.pattern.startswith("(\\d+)"):
            offset = int(m.group(1)) * (-1 if m.group(2) == "before" else 1)
            base = m.group(3)
        else:
            base = m.group(1)
            offset = int(m.group(3) or 0) * (-1 if m.group(2) == "-" else 1)
        if base == "easter":
            return {"kind": "easter", "offset": _offset(raw, offset)}
        if m.group(2) is not None or m.re.pattern.startswith("(\\d+)"):
            return {"kind": "offset", "ref": base, "offset": _offset(raw, offset)}
    raise ValueError(f"cannot understand {raw!r}; write e.g. {WHEN_EXAMPLES}")
