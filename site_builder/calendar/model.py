"""Frozen calendar values.  No I/O, no parsing: readers build these, everything else reads them.

All datetimes are timezone-aware.  Dates that name a *day* (skips, closures) are `date`s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping
from datetime import date, datetime, time, timedelta

from site_builder.schema import ATTENDANCE, ON_CLOSURE  # noqa: F401  (the allowed values live in the schema)
from site_builder.schema import STATUS as EVENT_STATUS
from site_builder.models import EMPTY


@dataclass(frozen=True)
class Place:
    name: str
    address: str = ""

    @property
    def text(self) -> str:
        """"Carpenters Hall, 710 Olive Street, Saint Paul, MN" (the LOCATION line)."""
        return ", ".join(part for part in (self.name, self.address) if part)


@dataclass(frozen=True)
class Event:
    """A one-off event.  All-day events start at local midnight and end at local midnight
    after their last day (exclusive end, as in iCalendar)."""

    id: str
    slug: str
    title: str
    start: datetime
    end: datetime
    timezone: str
    all_day: bool = False
    venue: Place | None = None
    online_url: str = ""
    attendance: str = "in-person"  # in-person | online | hybrid
    registration_url: str = ""
    tags: tuple[str, ...] = ()
    status: str = "scheduled"  # scheduled | cancelled | postponed
    description: str = ""  # Markdown source
    updated: datetime | None = None  # last edit (DTSTAMP); None: the build's clock
    livestream_url: str = ""  # live coverage: "Watch live" from LIVESTREAM_LEAD before the start
    source: str = ""  # content/calendar/events.yaml
    line: int = 0
    translations: Mapping = field(default_factory=lambda: EMPTY)  # code → {title, description} (i18n.py)

    @property
    def live_coverage(self) -> str:
        """The livestream address while the event goes ahead as planned ("" when it is cancelled or
        postponed: no "Watch live" for something that is not happening)."""
        return self.livestream_url if self.status == "scheduled" else ""

    @property
    def sort_key(self) -> tuple:
        return (self.start, self.id)


@dataclass(frozen=True)
class OccurrenceChange:
    """A change to one occurrence of a series, keyed by the occurrence's original date.

    A *move* has `new_start`; an *override* keeps the date (but may change the time).
    Fields left as None keep the series' value.
    """

    date: date  # the original occurrence date (local, in the series' timezone)
    new_start: datetime | None = None  # moves only: where the occurrence goes
    start_time: time | None = None  # overrides: a different time on the same day
    duration: timedelta | None = None
    title: str | None = None
    venue: Place | None = None
    online_url: str | None = None
    attendance: str | None = None
    status: str | None = None
    note: str = ""
    line: int = 0
    translations: Mapping = field(default_factory=lambda: EMPTY)  # code → {title, note}


@dataclass(frozen=True)
class MeetingSeries:
    id: str
    slug: str
    title: str
    rule: str  # as written: "first Wednesday monthly" or "FREQ=MONTHLY;BYDAY=1WE"
    rrule: str  # canonical RRULE value without DTSTART/UNTIL: "FREQ=MONTHLY;BYDAY=1WE"
    dtstart: datetime  # the first occurrence (aware, in `timezone`)
    duration: timedelta
    timezone: str
    until: date | None = None  # last possible date (inclusive); None: open-ended
    venue: Place | None = None
    online_url: str = ""
    attendance: str = "online"
    registration_url: str = ""
    skips: tuple[date, ...] = ()
    moves: tuple[OccurrenceChange, ...] = ()
    overrides: tuple[OccurrenceChange, ...] = ()
    on_closure: str = "keep"  # keep | skip | next-working-day | next-week
    tags: tuple[str, ...] = ()
    description: str = ""
    updated: datetime | None = None
    source: str = ""
    line: int = 0
    translations: Mapping = field(default_factory=lambda: EMPTY)  # code → {title, description}

    @property
    def sort_key(self) -> tuple:
        return (self.dtstart, self.id)


@dataclass(frozen=True)
class Occurrence:
    """One meeting of a series, after skips, moves, overrides and closures are applied."""

    series_id: str
    start: datetime
    end: datetime
    title: str
    venue: Place | None
    online_url: str
    attendance: str
    status: str
    note: str
    recurrence_id: datetime  # the start the rule gave this occurrence (iCalendar RECURRENCE-ID)
    moved: bool = False  # on another day than the rule gives
    modified: bool = False  # differs in any way from the plain rule instance

    @property
    def sort_key(self) -> tuple:
        return (self.start, self.series_id)


@dataclass(frozen=True)
class ClosureRule:
    """How to find a closure's date in a given year.

    kind:
      fixed       month, day                     (January 1)
      nth-weekday month, weekday (0=Mon), nth    (nth=-1: last; fourth Thursday of November)
      easter      offset days from Western Easter (Good Friday: -2)
      offset      offset days from closure `ref`'s nominal date (day after Thanksgiving: +1)
      working-day-before  the last working day before closure `ref`'s observed date
    observe_saturday / observe_sunday: previous | next | none; None means: the site's default
    for fixed dates and "none" for every other kind.
    """

    id: str
    name: str
    kind: str
    month: int = 0
    day: int = 0
    weekday: int = 0
    nth: int = 0
    offset: int = 0
    ref: str = ""
    observe_saturday: str | None = None
    observe_sunday: str | None = None
    public_name: str = ""  # what members see (default: name)
    text: str = ""  # the rule as written
    source: str = ""
    line: int = 0
    translations: Mapping = field(default_factory=lambda: EMPTY)  # code → {title}: the public name


@dataclass(frozen=True)
class Closure:
    """An office closure in one year.  `year` is the year the rule was applied for, so
    New Year's Day 2028 (observed Friday 31 December 2027) has year 2028."""

    id: str  # the rule's id
    name: str
    date: date  # the holiday's nominal date
    observed: date  # the day the office is closed
    year: int

    @property
    def is_shifted(self) -> bool:
        return self.observed != self.date

    @property
    def sort_key(self) -> tuple:
        return (self.observed, self.id)


@dataclass(frozen=True)
class CalendarData:
    events: tuple[Event, ...] = ()
    series: tuple[MeetingSeries, ...] = ()
    closure_rules: tuple[ClosureRule, ...] = ()
