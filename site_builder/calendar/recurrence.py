"""Meeting series: readable recurrence rules → RRULE text, and series → occurrences.

Expansion runs dateutil's rrule over *naive wall-clock* datetimes and attaches the series'
zone afterwards, so 18:00 stays 18:00 on both sides of a DST change.

Bounded work: a meeting meets at most once a day (FREQ is DAILY or longer and BYHOUR, BYMINUTE
and BYSECOND are refused), and every expansion stops at a last date.  dateutil keeps looking
until year 9999 for a rule that gives no more dates (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30 never
happens, and dateutil would step through 2.9 million days to find out), so `_dates_between`
runs the rule shifted forward by whole 400-year cycles, close to 9999: the Gregorian calendar
repeats exactly every 400 years (146,097 days, 20,871 weeks), so the shifted rule gives the same
dates, shifted, and any search ends within 400 years of its last date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from site_builder.calendar.closures import MONTHS, next_working_day
from site_builder.calendar.model import Closure, MeetingSeries, Occurrence, OccurrenceChange

WEEKDAYS = {
    "monday": "MO", "mon": "MO", "tuesday": "TU", "tue": "TU", "tues": "TU",
    "wednesday": "WE", "wed": "WE", "thursday": "TH", "thu": "TH", "thur": "TH", "thurs": "TH",
    "friday": "FR", "fri": "FR", "saturday": "SA", "sat": "SA", "sunday": "SU", "sun": "SU",
}  # fmt: skip
ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
    "fourth": 4, "4th": 4, "fifth": 5, "5th": 5, "last": -1,
}  # fmt: skip

RULE_EXAMPLES = (
    '"every Tuesday", "weekly on Monday and Thursday", "every other Tuesday", '
    '"first Wednesday monthly", "last Friday of every month", '
    '"third Wednesday of March, June, September and December" or RRULE text like "FREQ=WEEKLY;BYDAY=TU"'
)
_MONTHLY_TAIL = r"(?:monthly|every month|each month|of every month|of each month|of the month|a month)"
_FORBIDDEN_PARTS = {
    "DTSTART": "give the first date in `from:`",
    "UNTIL": "give the last date in `until:`",
    **{key: "give the start in `time:`; a meeting series meets at most once a day (write two series for "
            "two meetings a day)" for key in ("BYHOUR", "BYMINUTE", "BYSECOND")},
}
CYCLE_YEARS = 400  # the Gregorian calendar repeats exactly every 400 years


def _split(words: str) -> list[str]:
    return [w for w in re.split(r"\s*(?:,|\band\b|&)\s*", words.strip()) if w]


def _days(words: str) -> list[str] | None:
    out = []
    for word in _split(words):
        code = WEEKDAYS.get(word) or (WEEKDAYS.get(word[:-1]) if word.endswith("s") else None)
        if code is None:
            return None
        if code not in out:
            out.append(code)
    return out or None


def _ordinals(words: str) -> list[int] | None:
    out = [ORDINALS.get(w) for w in _split(words)]
    return None if not out or None in out else out  # type: ignore[return-value]


def _months(words: str) -> list[int] | None:
    out = [MONTHS.get(w) for w in _split(words)]
    return None if not out or None in out else sorted(set(out))  # type: ignore[arg-type]


def parse_rule(text: str) -> str:
    """A recurrence as written by a volunteer → a canonical RRULE value ("FREQ=...;...").

    Raises ValueError with a message fit for `path:line: field: message`.
    """
    raw = " ".join(str(text).split())
    if re.match(r"(?i)^(rrule:)?\s*[a-z]+=", raw):
        return _check_rrule(re.sub(r"(?i)^rrule:\s*", "", raw))
    s = raw.lower().rstrip(".").replace("&", " and ")
    s = re.sub(r"\s+", " ", re.sub(r"\s*,\s*", ", ", s)).strip()
    if s in ("daily", "every day"):
        return "FREQ=DAILY"
    if s in ("every weekday", "weekdays", "every working day"):
        return "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    m = re.fullmatch(r"(?:every|each) (other |(\d+) weeks on )?(.+)", s) or re.fullmatch(
        r"(?:weekly|every week) on (.+)", s
    )
    if m:
        if len(m.groups()) == 1:
            interval, words = 1, m.group(1)
        else:
            interval = 2 if m.group(1) == "other " else int(m.group(2)) if m.group(2) else 1
            words = m.group(3)
        days = _days(words)
        if days and interval >= 1:
            return "FREQ=WEEKLY" + (f";INTERVAL={interval}" if interval > 1 else "") + ";BYDAY=" + ",".join(days)
    m = re.fullmatch(rf"(?:monthly on )?(?:the )?(.+?) (\w+?)(?: {_MONTHLY_TAIL})?", s)
    if m and (s.startswith("monthly on ") or re.search(rf" {_MONTHLY_TAIL}$", s)):
        nths, day = _ordinals(m.group(1)), _days(m.group(2))
        if nths and day and len(day) == 1:
            return "FREQ=MONTHLY;BYDAY=" + ",".join(f"{n}{day[0]}" for n in nths)
    m = re.fullmatch(r"(?:the )?(.+?) (\w+?) (?:of|in) (?:every )?(.+)", s)
    if m:
        nths, day, months = _ordinals(m.group(1)), _days(m.group(2)), _months(m.group(3))
        if nths and day and len(day) == 1 and months:
            return (
                "FREQ=MONTHLY;BYMONTH="
                + ",".join(map(str, months))
                + ";BYDAY="
                + ",".join(f"{n}{day[0]}" for n in nths)
            )
    raise ValueError(f"cannot understand the recurrence {raw!r}; write e.g. {RULE_EXAMPLES}")


def _check_rrule(value: str) -> str:
    parts = [p for p in value.upper().strip().strip(";").split(";") if p]
    keys = [p.split("=", 1)[0] for p in parts]
    for key, hint in _FORBIDDEN_PARTS.items():
        if key in keys:
            raise ValueError(f"RRULE must not contain {key}: {hint}")
    if any("=" not in p for p in parts) or len(set(keys)) != len(keys):
        raise ValueError(f"not a valid RRULE: {value!r}")
    if "FREQ" not in keys:
        raise ValueError(f"not a valid RRULE: {value!r} (it needs FREQ=, e.g. FREQ=WEEKLY;BYDAY=TU)")
    if keys[0] != "FREQ":
        parts.insert(0, parts.pop(keys.index("FREQ")))
    values = dict(p.split("=", 1) for p in parts)
    if "INTERVAL" in values and not (values["INTERVAL"].isdigit() and 1 <= int(values["INTERVAL"]) <= 1000):
        # INTERVAL=0 never moves on: dateutil would loop or fill the memory
        raise ValueError(f"INTERVAL must be a whole number from 1 to 1000, got {values['INTERVAL']!r}")
    canonical = ";".join(parts)
    try:  # parse only: iterating a rule that never happens would search until year 9999
        rrulestr("RRULE:" + canonical, dtstart=datetime(2025, 1, 1))
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise ValueError(f"not a valid RRULE: {value!r} ({exc})") from None
    if keys and parts[0].split("=", 1)[1] in ("HOURLY", "MINUTELY", "SECONDLY"):
        raise ValueError("meetings repeat at most daily (FREQ=DAILY, WEEKLY, MONTHLY or YEARLY)")
    return canonical


def rule_dates(rrule_text: str, first: datetime, until: date | None) -> rrule:
    """The dateutil rule over naive wall-clock datetimes, starting at `first` (naive or aware).

    Iterating it is unbounded for a rule that stops giving dates: use `_dates_between`."""
    rule = rrulestr("RRULE:" + rrule_text, dtstart=first.replace(tzinfo=None))
    if until is not None:
        rule = rule.replace(until=datetime.combine(until, time(23, 59, 59)))
    return rule


def _shift(value: datetime, years: int) -> datetime:
    return value.replace(year=value.year + years)  # a whole number of 400-year cycles: 29 February stays


def _shifted(rrule_text: str, first: datetime, until: date | None, hi: datetime) -> tuple[rrule, int]:
    """The rule moved forward by whole 400-year cycles so that `hi` lies within 400 years of 9999."""
    years = (9999 - hi.year) // CYCLE_YEARS * CYCLE_YEARS
    rule = rrulestr("RRULE:" + rrule_text, dtstart=_shift(first.replace(tzinfo=None), years))
    if until is not None:
        rule = rule.replace(until=_shift(datetime.combine(until, time(23, 59, 59)), years))
    return rule, years


def _dates_between(rrule_text: str, first: datetime, until: date | None, lo: datetime, hi: datetime) -> list[datetime]:
    """Naive starts in [lo, hi] of the rule starting at `first`, found with bounded work (see the
    module docstring): at most the rule's periods from `first` to `hi` plus 400 years."""
    first, lo, hi = first.replace(tzinfo=None), lo.replace(tzinfo=None), hi.replace(tzinfo=None)
    if until is not None:
        hi = min(hi, datetime.combine(until, time(23, 59, 59)))
    if hi < lo or hi < first:
        return []
    rule, years = _shifted(rrule_text, first, until, hi)
    return [_shift(d, -years) for d in rule.between(_shift(max(lo, first), years), _shift(hi, years), inc=True)]


def dates_between(rrule_text: str, first_day: date, start_time: time, until: date | None,
                  lo: date, hi: date) -> list[datetime]:
    """The naive starts the rule gives on the days `lo` to `hi` (inclusive), starting at `first_day`."""
    return _dates_between(rrule_text, datetime.combine(first_day, start_time), until,
                          datetime.combine(lo, time.min), datetime.combine(hi, time.max))


def first_after(rrule_text: str, first: datetime, until: date | None, after: datetime) -> datetime | None:
    """The first naive start strictly after `after` (None: the rule gives no more), bounded work."""
    first, after = first.replace(tzinfo=None), after.replace(tzinfo=None)
    if after.year >= 9999 - CYCLE_YEARS:
        raise ValueError("dates this late are not supported")
    rule, years = _shifted(rrule_text, first, until, after)
    found = rule.after(_shift(after, years))
    return None if found is None else _shift(found, -years)


def first_occurrence(rrule_text: str, first_day: date, start_time: time, until: date | None,
                     last_day: date = date(9000, 12, 31)) -> datetime | None:
    """The first naive start the rule gives from `first_day` to `last_day` (None: no dates)."""
    first = datetime.combine(first_day, start_time)
    found = first_after(rrule_text, first, until, first - timedelta(microseconds=1))
    return found if found is not None and found.date() <= last_day else None


@dataclass(frozen=True)
class SeriesPlan:
    """A series with its exceptions worked out (what the .ics writer needs)."""

    exdates: tuple[datetime, ...]  # original starts that are skipped (explicitly or by closure)
    changed: tuple[Occurrence, ...]  # occurrences that differ from the plain rule
    last_end: datetime | None  # end of the last occurrence; None if the series never ends


def _zone(series: MeetingSeries) -> ZoneInfo:
    return ZoneInfo(series.timezone)


def _margin(series: MeetingSeries) -> timedelta:
    reach = [abs((m.new_start.date() - m.date).days) for m in series.moves if m.new_start]
    return timedelta(days=max(reach, default=0) + 22)


def _originals(series: MeetingSeries, lo: date | None, hi: date | None) -> Iterable[datetime]:
    """Naive original starts between lo and hi (inclusive dates; None: unbounded).

    Without `hi` a series must end (until: or COUNT); its expansion then stops at `until` or
    where COUNT runs out, and in any case CYCLE_YEARS after its first date (the reader refuses
    a COUNT that goes past the calendar's last date)."""
    first = series.dtstart.replace(tzinfo=None)
    if hi is None:
        if series.until is None and not _is_finite(series.rrule):
            raise ValueError("an open-ended series needs an end date to expand")
        hi = series.until or date(min(first.year + CYCLE_YEARS, 9999 - CYCLE_YEARS), 12, 31)
    lo = max(lo or first.date(), first.date())
    return dates_between(series.rrule, first.date(), first.time(), series.until, lo, hi)


def _is_finite(rrule_text: str) -> bool:
    return "COUNT=" in rrule_text.upper()


def _apply(series: MeetingSeries, original: datetime, change: OccurrenceChange | None, moved_to: datetime | None, note: str) -> Occurrence:
    tz = _zone(series)
    orig = original.replace(tzinfo=tz)
    start = orig
    duration = series.duration
    title, venue, url, attendance, status = series.title, series.venue, series.online_url, series.attendance, "scheduled"
    if change is not None:
        if change.new_start is not None:
            start = change.new_start
        elif change.start_time is not None:
            start = datetime.combine(orig.date(), change.start_time, tzinfo=tz)
        duration = change.duration or duration
        title = change.title if change.title is not None else title
        venue = change.venue if change.venue is not None else venue
        url = change.online_url if change.online_url is not None else url
        attendance = change.attendance or attendance
        status = change.status or status
        note = change.note or note
    if moved_to is not None:
        start = moved_to
    start = _on_the_clock(start)
    return Occurrence(
        series_id=series.id,
        start=start,
        end=start + duration,
        title=title,
        venue=venue if attendance in ("in-person", "hybrid") else None,
        online_url=url if attendance in ("online", "hybrid") else "",
        attendance=attendance,
        status=status,
        note=note,
        recurrence_id=orig,
        moved=start.date() != orig.date(),
        modified=change is not None or moved_to is not None,
    )


def _on_the_clock(value: datetime) -> datetime:
    """A start in the hour skipped when daylight saving time begins (2:30 am) → the time the clocks
    show then (3:30 am), as iCalendar reads it; every other time is returned as it is."""
    real = value.astimezone(timezone.utc).astimezone(value.tzinfo)
    return value if real.replace(tzinfo=None) == value.replace(tzinfo=None) else real


def _closure_target(series: MeetingSeries, day: date, closed: dict[date, Closure]) -> date | None:
    if series.on_closure == "next-working-day":
        return next_working_day(day, set(closed))
    day += timedelta(days=7)
    while day in closed:  # next-week: same weekday a week later, again if that is closed too
        day += timedelta(days=7)
    return day


def _long_date(day: date) -> str:
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def _instances(series: MeetingSeries, closures: Sequence[Closure], lo: date | None, hi: date | None):
    """(original naive start, Occurrence or None when skipped) in rule order."""
    skips = set(series.skips)
    moves = {m.date: m for m in series.moves}
    overrides = {o.date: o for o in series.overrides}
    closed = {c.observed: c for c in closures}
    tz = _zone(series)
    for original in _originals(series, lo, hi):
        day = original.date()
        if day in skips:
            yield original, None
        elif day in moves:
            yield original, _apply(series, original, moves[day], None, "")
        elif day in overrides:
            yield original, _apply(series, original, overrides[day], None, "")
        elif day in closed and series.on_closure != "keep":
            if series.on_closure == "skip":
                yield original, None
                continue
            target = _closure_target(series, day, closed)
            start = datetime.combine(target, original.time(), tzinfo=tz)
            note = f"Moved from {_long_date(day)} ({closed[day].name})."
            yield original, _apply(series, original, None, start, note)
        else:
            yield original, _apply(series, original, None, None, "")


def expand_series(
    series: MeetingSeries,
    closures: Sequence[Closure] = (),
    *,
    start: datetime | date | None = None,
    end: datetime | date | None = None,
    include_cancelled: bool = True,
) -> tuple[Occurrence, ...]:
    """Occurrences of `series` whose start lies in [start, end), sorted by start.

    Skips, moves, per-date overrides and (by `series.on_closure`) `closures` are applied.
    `start`/`end` may be dates (local midnight in the series' zone) or aware datetimes.
    An open-ended series needs `end`.
    """
    tz = _zone(series)
    lo_dt = _as_datetime(start, tz) if start is not None else None
    hi_dt = _as_datetime(end, tz) if end is not None else None
    margin = _margin(series)
    lo = (lo_dt.astimezone(tz).date() - margin) if lo_dt else None
    hi = (hi_dt.astimezone(tz).date() + margin) if hi_dt else None
    result = [
        occ
        for _, occ in _instances(series, closures, lo, hi)
        if occ is not None
        and (lo_dt is None or occ.start >= lo_dt)
        and (hi_dt is None or occ.start < hi_dt)
        and (include_cancelled or occ.status != "cancelled")
    ]
    return tuple(sorted(result, key=lambda o: (o.start, o.recurrence_id)))


def _as_datetime(value: datetime | date, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("expand_series needs timezone-aware datetimes")
        return value
    return datetime.combine(value, time.min, tzinfo=tz)


def plan_series(series: MeetingSeries, closures: Sequence[Closure] = ()) -> SeriesPlan:
    """EXDATEs and changed occurrences over the whole series (for the .ics writer).

    For an open-ended series the exceptions can only come from explicit entries and the
    (finite) closures, so expansion stops after the last of those.
    """
    tz = _zone(series)
    bounded = series.until is not None or _is_finite(series.rrule)
    hi: date | None = None
    if not bounded:
        marks = [series.dtstart.date(), *series.skips, *(c.date for c in series.moves), *(c.date for c in series.overrides)]
        if series.on_closure != "keep":
            marks += [c.observed for c in closures]
        hi = max(marks) + timedelta(days=1)
    exdates, changed, last_end = [], [], None
    for original, occ in _instances(series, closures, None, hi):
        if occ is None:
            exdates.append(original.replace(tzinfo=tz))
            continue
        if occ.modified:
            changed.append(occ)
        if bounded and (last_end is None or occ.end > last_end):
            last_end = occ.end
    return SeriesPlan(tuple(exdates), tuple(changed), last_end if bounded else None)


def occurrence_dates(series: MeetingSeries) -> frozenset[date]:
    """The original dates the rule gives (bounded series only; for validation)."""
    return frozenset(d.date() for d in _originals(series, None, None))


def original_dates_between(series: MeetingSeries, lo: date, hi: date) -> frozenset[date]:
    return frozenset(d.date() for d in _originals(series, lo, hi))
