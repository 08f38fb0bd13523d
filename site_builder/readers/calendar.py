"""content/calendar/*.yaml → CalendarData, with every problem as `path:line: field: message`.

Each file may hold three lists: `events:`, `meetings:` and `closures:` (see docs/calendar.md).
Parsing happens here, at the boundary: dates, times, durations, recurrences, time zones and
URLs are checked once, and the rest of the build trusts the frozen values it gets.
"""

from __future__ import annotations

import bisect
from dataclasses import replace
import re
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from site_builder.calendar.closures import closure_conflicts, parse_when, resolve_closures, rule_order
from site_builder.calendar.model import (
    ATTENDANCE,
    EVENT_STATUS,
    ON_CLOSURE,
    CalendarData,
    ClosureRule,
    Event,
    MeetingSeries,
    OccurrenceChange,
    Place,
)
from site_builder.calendar.recurrence import dates_between, first_after, parse_rule
from site_builder.config import YEAR_MARGIN, timezone_problem, timezone_warning
from site_builder.errors import ContentError, Problem
from site_builder import schema
from site_builder.textutil import invisible_problem, markdown_problem, parse_moment
from site_builder.readers.source import decode_source, list_sources, read_source, read_tags, reserved_name, slug_too_long, is_empty
from site_builder.yamlutil import YList, YMap, entry_field, load_yaml

SECTIONS = ("events", "meetings", "closures")
ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SHIFTS = schema.WEEKDAY_SHIFT

# The keys each entry may have, from the one description of every field (site_builder/schema.py)
EVENT_KEYS = schema.EVENT.names
MEETING_KEYS = schema.MEETING.names
CHANGE_KEYS = schema.OVERRIDE.names  # a move: the same and `to` (schema.MOVE)
CLOSURE_KEYS = schema.CLOSURE.names
VENUE_KEYS = schema.VENUE.names
MAX_DURATION = timedelta(days=31)  # a longer event gives start and end dates


class _Skip(Exception):
    """A field was wrong; the problem is recorded, the item is dropped."""


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def parse_time(value: Any) -> time:
    """"18:30", "6:30 pm", "6pm", "noon" → time.  Raises ValueError."""
    if not isinstance(value, str):
        raise ValueError(f"must be a time like 18:30 or 6:30 pm, got {_describe(value)}")
    s = value.strip().lower()
    if s == "noon":
        return time(12, 0)
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m\.?", s)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if 1 <= hour <= 12 and minute < 60:
            return time(hour % 12 + (12 if m.group(3) == "p" else 0), minute)
    m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::00)?", s)
    if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
        return time(int(m.group(1)), int(m.group(2)))
    raise ValueError(f"not a time: {value!r} (write e.g. 18:30 or 6:30 pm)")


def parse_date(value: Any, within: tuple[date, date] | None = None) -> date:
    """"2025-01-07" → date; with `within` (first, last day) a date outside it is refused."""
    if not isinstance(value, str):
        raise ValueError(f"must be a date like 2025-01-07, got {_describe(value)}")
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value.strip())
    try:
        if not m:
            raise ValueError
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError(f"not a date: {value!r} (write YYYY-MM-DD, e.g. 2025-01-07)") from None
    if within is not None and not within[0] <= day <= within[1]:
        raise ValueError(outside_message(day, within))
    return day


def outside_message(day: date, within: tuple[date, date]) -> str:
    return (
        f"{_fmt(day)} is outside the dates this calendar covers, {_fmt(within[0])} to {_fmt(within[1])} "
        f"(calendar.first_year to last_year in config.yaml, and {YEAR_MARGIN} years either side)"
    )


def parse_date_time(value: Any, within: tuple[date, date] | None = None,
                    tz: str | None = None) -> tuple[date, time | None]:
    """"2025-04-08 18:30" / "2025-04-08T6:30 pm" / "2025-04-08" → (date, time or None); a moment
    with `Z` or an offset ("2025-04-08T23:30:00.000Z", textutil.parse_moment) → its date and time
    in the entry's zone `tz` (to the second)."""
    if not isinstance(value, str):
        raise ValueError(f"must be a date and time like 2025-04-08 18:30, got {_describe(value)}")
    wrong = f"not a date and time: {value!r} (write e.g. 2025-04-08 18:30 or 2025-04-08 6:30 pm)"
    try:
        moment = parse_moment(value, ZoneInfo(tz) if tz else None)
    except ValueError:
        raise ValueError(wrong) from None
    if moment is not None:
        if within is not None and not within[0] <= moment.date() <= within[1]:
            raise ValueError(outside_message(moment.date(), within))
        return moment.date(), moment.time().replace(microsecond=0)
    m = re.fullmatch(r"(\S{10})(?:[ T]+(.+))?", value.strip())
    if not m:
        raise ValueError(wrong)
    day = parse_date(m.group(1), within)
    return day, (parse_time(m.group(2)) if m.group(2) else None)


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(hours?|hrs?|h|minutes?|mins?|m)(?![a-z])\s*(?:and\s*)?")


def parse_duration(value: Any) -> timedelta:
    """"90 minutes", "1 hour", "1.5 hours", "1h30m", "2 hours 30 minutes" → timedelta."""
    if not isinstance(value, str):
        raise ValueError(f"must be a duration like '90 minutes' or '1h30m', got {_describe(value)}")
    s, total, pos = value.strip().lower(), 0.0, 0
    for m in _DURATION_PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * (60 if m.group(2).startswith("h") else 1)
        pos = m.end()
    if pos != len(s) or not s or total <= 0:
        raise ValueError(f"not a duration: {value!r} (write e.g. 90 minutes, 1 hour or 1h30m)")
    if total > MAX_DURATION.total_seconds() / 60:
        raise ValueError(
            f"{value.strip()!r} is longer than {MAX_DURATION.days} days; for a longer event give an end date and time"
        )
    return timedelta(minutes=round(total))


def check_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"[\s\x00-\x1f<>\"]", value):
        return f"must be an http:// or https:// address, got {value!r}"
    return None


def _fmt(day: date, at: time | None = None) -> str:
    return day.isoformat() + (f" {at:%H:%M}" if at is not None else "")


def _description(item: "_Item") -> str:
    """The Markdown description; one that would take minutes to render is refused at its line."""
    text = item.text("description")
    if found := markdown_problem(text):
        item.problems.append(Problem(item.path, item.line("description") + found[0], item.field("description"), found[1]))
        item.failed = True
    return text


class _Item:
    """Typed access to one YAML mapping; every problem is recorded with path, line and field."""

    def __init__(self, data: YMap, path: str, prefix: str, problems: list[Problem], allowed: tuple[str, ...]):
        self.data, self.path, self.prefix, self.problems, self.allowed = data, path, prefix, problems, allowed
        self.failed = False

    def field(self, key: str) -> str:
        return f"{self.prefix}.{key}"

    def line(self, key: str | None = None) -> int:
        return self.data.line_of(key) if key else self.data.line

    def error(self, key: str, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(self.path, self.line(key), self.field(key), message, severity))
        if severity == "error":
            self.failed = True

    def has(self, key: str) -> bool:
        return not is_empty(self.data.get(key))

    def parsed(self, key: str, parse: Callable[[Any], Any], default: Any = None, required: str = "") -> Any:
        if not self.has(key):
            if required:
                self.error(key, f"is required ({required})")
            return default
        try:
            return parse(self.data[key])
        except ValueError as exc:
            self.error(key, str(exc))
            return default

    def text(self, key: str, default: str = "", required: str = "") -> str:
        def parse(value: Any) -> str:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)  # `title: 2026`: text, as in front matter (one rule for every text field)
            if not isinstance(value, str):
                raise ValueError(f"must be text, got {_describe(value)} (put it in quotes)")
            if "\x00" in value:
                raise ValueError("contains a NUL character (written \\0): remove it")
            if required and not value.strip():
                raise ValueError(f"is required ({required})")
            return value.strip()

        return self.parsed(key, parse, default, required)

    def ident(self, key: str, required: str = "") -> str:
        def parse(value: Any) -> str:
            if isinstance(value, str) and (invisible := invisible_problem(value)):
                raise ValueError(invisible)
            if not isinstance(value, str) or not ID_RE.fullmatch(value):
                raise ValueError(
                    f"must be lowercase letters, digits and dashes, like strike-vote-2026, got {_describe(value)}"
                )
            if reserved_name(value):
                raise ValueError(f"{value!r} is a reserved device name on Windows; choose another")
            if too_long := slug_too_long(value, "an id"):
                raise ValueError(too_long)
            return value

        return self.parsed(key, parse, "", required)

    def choice(self, key: str, choices: tuple[str, ...], default: str | None) -> str | None:
        def parse(value: Any) -> str:
            if value not in choices:
                raise ValueError(f"must be one of {', '.join(choices)}, got {_describe(value)}")
            return value

        return self.parsed(key, parse, default)

    def url(self, key: str) -> str:
        def parse(value: Any) -> str:
            if not isinstance(value, str):
                raise ValueError(f"must be an http:// or https:// address, got {_describe(value)}")
            if msg := check_url(value.strip()):
                raise ValueError(msg)
            return value.strip()

        return self.parsed(key, parse, "")

    def timezone(self, default: str) -> str:
        def parse(value: Any) -> str:
            if not isinstance(value, str):
                raise ValueError(f"unknown time zone {value!r} (write a time zone name such as America/Chicago)")
            if msg := timezone_problem(value):
                raise ValueError(msg)
            return value

        zone = self.parsed("timezone", parse, default)
        if self.has("timezone") and (msg := timezone_warning(zone)):
            self.error("timezone", msg, "warning")  # (EST: a fixed offset, not New York's time)
        return zone

    def time(self, key: str, required: str = "") -> time | None:
        value = self.parsed(key, parse_time, None, required)
        raw = self.data.get(key)
        if value is not None and isinstance(raw, str) and re.fullmatch(r"0?[1-6]:\d\d", raw.strip()):
            self.error(
                key,
                f"{raw.strip()} is in the morning; write {value.hour + 12}:{value:%M} or {raw.strip()} pm "
                f"for the evening, or {raw.strip()} am to silence this",
                "warning",
            )
        return value

    def tags(self) -> tuple[str, ...]:
        before = len(self.problems)
        tags = read_tags(self.data.get("tags"), self.path, self.field("tags"), self.line("tags"), self.problems)
        if len(self.problems) > before:
            self.failed = True
        return tags

    def venue(self, key: str = "venue") -> Place | None:
        value = self.data.get(key)
        if is_empty(value):
            return None
        if isinstance(value, str) and value.strip():
            return Place(value.strip())
        if not isinstance(value, YMap):
            self.error(key, f"must be a place name or a mapping with name and address, got {_describe(value)}")
            return None
        sub = _Item(value, self.path, self.field(key), self.problems, VENUE_KEYS)
        name = sub.text("name", required="the place's name, e.g. Carpenters Hall")
        address = sub.text("address")
        sub.warn_unknown()
        self.failed |= sub.failed
        return Place(name, address) if not sub.failed else None

    def warn_unknown(self) -> None:
        for key in self.data:
            if key not in self.allowed:
                import difflib  # (here: only a misspelt key needs it)

                close = difflib.get_close_matches(key, self.allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.problems.append(
                    Problem(self.path, self.line(key), self.field(key), f"unknown key (ignored{hint})", "warning")
                )




def _attendance(item: _Item, venue: Place | None, online_url: str) -> str:
    explicit = item.choice("attendance", ATTENDANCE, None)
    if explicit is None:
        if item.has("attendance"):
            return "in-person"
        return "hybrid" if venue and online_url else "online" if online_url else "in-person"
    if explicit in ("online", "hybrid") and not online_url and not item.failed:
        item.error("attendance", f"is {explicit} but no online_url is given")
    if explicit == "hybrid" and venue is None and not item.failed:
        item.error("attendance", "is hybrid but no venue is given")
    return explicit


def _aware(day: date, at: time, tz: str) -> datetime:
    """A local time; of a time that happens twice (the hour repeated when daylight saving time
    ends) the first is taken (fold=0, as iCalendar does)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(tz))


def _clock(value: time) -> str:
    return f"{value.hour % 12 or 12}:{value:%M} {'am' if value.hour < 12 else 'pm'}"


def skipped_time(day: date, at: time, tz: str) -> str | None:
    """Why `day at` does not exist in `tz` (the hour skipped when daylight saving time starts);
    None when it exists."""
    local = _aware(day, at, tz)
    real = local.astimezone(timezone.utc).astimezone(local.tzinfo)
    if real.replace(tzinfo=None) == local.replace(tzinfo=None):
        return None
    jump = real.replace(tzinfo=None) - local.replace(tzinfo=None)
    size = "an hour" if jump == timedelta(hours=1) else f"{int(jump.total_seconds() // 60)} minutes"
    return (
        f"{_fmt(day)} {_clock(at)} does not exist in {tz}: the clocks go forward {size} that night "
        f"(daylight saving time); write {_clock(real.time())} or another time"
    )


def _updated(item: _Item, tz: str, within: tuple[date, date]) -> datetime | None:
    def parse(value: Any) -> datetime:
        day, at = parse_date_time(value, within, tz)
        return _aware(day, at or time(0), tz)

    return item.parsed("updated", parse)


class _Reader:
    def __init__(self, config: Any):
        self.config = config
        self.problems: list[Problem] = []
        self.ids: dict[str, tuple[str, int]] = {}  # events and meetings share one namespace
        self.slugs: dict[str, tuple[str, int]] = {}
        self.closure_ids: dict[str, tuple[str, int]] = {}
        self.closure_where: dict[tuple[str, int], tuple[str, int]] = {}  # (source, line) → (prefix, when line)
        self.range = config.calendar.date_range  # the first and last day an entry may name
        self.gap_days: dict[str, frozenset[date]] = {}  # timezone → days on which its clocks go forward

    def _date(self, value: Any) -> date:
        return parse_date(value, self.range)

    def _date_time(self, tz: str) -> Callable[[Any], tuple[date, time | None]]:
        """The reader of a date and time in the entry's zone `tz`, within the calendar's dates."""
        return lambda value: parse_date_time(value, self.range, tz)

    def _exists(self, item: "_Item", key: str, day: date, at: time, tz: str) -> bool:
        """False (and an error at `key`) when `day at` falls in the hour skipped for daylight saving time."""
        if msg := skipped_time(day, at, tz):
            item.error(key, msg)
            return False
        return True

    def _gap_days(self, tz: str) -> frozenset[date]:
        """The days in the calendar's range on which `tz`'s clocks go forward (found once per zone).
        The offset is compared a week apart and only a week in which it grew is looked at day by
        day (no zone changes its clocks twice within a week)."""
        if tz not in self.gap_days:
            zone, found = ZoneInfo(tz), set()
            day, last = self.range[0], self.range[1]

            def offset(d: date):
                return datetime.combine(d, time(12), tzinfo=zone).utcoffset()

            before = offset(day)
            while day < last:
                week_end = min(day + timedelta(days=7), last)
                after = offset(week_end)
                if after is not None and before is not None and after > before:
                    prev = before
                    for i in range(1, (week_end - day).days + 1):
                        now = offset(day + timedelta(days=i))
                        if now is not None and prev is not None and now > prev:
                            found.update((day + timedelta(days=i - 1), day + timedelta(days=i)))
                        prev = now
                before, day = after, week_end
            self.gap_days[tz] = frozenset(found)
        return self.gap_days[tz]

    # -- files ---------------------------------------------------------------------------
    def read(self) -> CalendarData:
        folder = self.config.content_dir / "calendar"
        odd: list[Path] = []  # pipes and devices named like calendar files: _load reports them
        files = [
            p for p in list_sources(folder, self.config.root, "*.y*ml", odd) if p.parent == folder and p.suffix in (".yaml", ".yml")
        ]
        files += sorted(p for p in odd if p.parent == folder and p.suffix in (".yaml", ".yml"))
        events: list[Event] = []
        series: list[MeetingSeries] = []
        rules: list[ClosureRule] = []
        pending: list[tuple[YMap, str, str]] = []
        for file in files:
            path = self._display(file)
            data = self._load(file, path)
            if data is None:
                continue
            for key in data:
                if key not in SECTIONS:
                    self.problems.append(
                        Problem(path, data.line_of(key), key, f"unknown section (ignored); use {', '.join(SECTIONS)}", "warning")
                    )
            for section in SECTIONS:
                items = data.get(section)
                if items is None:
                    continue
                if not isinstance(items, YList):
                    self.problems.append(Problem(path, data.line_of(section), section, "must be a list of entries (- ...)"))
                    continue
                for i, raw in enumerate(items):
                    prefix = entry_field(section, raw, i, "name" if section == "closures" else "title")
                    if not isinstance(raw, YMap):
                        self.problems.append(Problem(path, items.line_of(i), prefix, "each entry must be a mapping of keys to values"))
                        continue
                    if section == "closures":
                        if rule := self._closure(raw, path, prefix):
                            rules.append(rule)
                    else:
                        pending.append((raw, path, prefix))
        closures = self._check_closure_rules(rules)
        for raw, path, prefix in pending:
            if prefix.startswith("events"):
                if event := self._event(raw, path, prefix):
                    events.append(event)
            elif meeting := self._meeting(raw, path, prefix, closures):
                series.append(meeting)
        self.problems.sort(key=lambda p: (p.path, p.line, p.field, p.message))
        return CalendarData(
            events=tuple(sorted(events, key=lambda e: e.sort_key)),
            series=tuple(sorted(series, key=lambda s: s.sort_key)),
            closure_rules=tuple(rules),
        )

    def _display(self, file: Path) -> str:
        try:
            return file.relative_to(self.config.root).as_posix()
        except ValueError:
            return file.as_posix()

    def _load(self, file: Path, path: str) -> YMap | None:
        try:
            data = load_yaml(decode_source(read_source(file, path), path), path, warnings=self.problems)
        except OSError as exc:
            self.problems.append(Problem(path, 1, "", f"cannot read the file: {exc.strerror or exc}"))
            return None
        except ContentError as exc:
            self.problems.append(exc.problem)
            return None
        if data is None:
            return None
        if not isinstance(data, YMap):
            self.problems.append(Problem(path, 1, "", f"must be a mapping with {', '.join(SECTIONS)} lists"))
            return None
        return data

    def _claim(self, registry: dict, item: _Item, key: str, value: str) -> None:
        if not value:
            return
        if value in registry:
            where = registry[value]
            what = "id" if registry is self.ids or registry is self.closure_ids else "slug"
            item.error(key, f"duplicate {what} {value!r} (already used at {where[0]}:{where[1]})")
        else:
            registry[value] = (item.path, item.line(key))

    def _translations(self, item: _Item, allowed: tuple[str, ...]):
        from site_builder.i18n import read_translations

        before = len(self.problems)
        found = read_translations(item.data, item.path, item.field("translations"), self.config, allowed, self.problems)
        if any(p.is_error for p in self.problems[before:]):
            item.failed = True
        return found

    def _common(self, item: _Item) -> dict:
        ident = item.ident("id", required="a permanent id such as strike-vote-2026; never change it")
        slug = item.ident("slug") or ident
        duplicate_id = ident in self.ids
        self._claim(self.ids, item, "id", ident)
        if slug and not duplicate_id:
            self._claim(self.slugs, item, "slug" if item.has("slug") else "id", slug)
        tz = item.timezone(self.config.timezone)
        venue = item.venue()
        online_url = item.url("online_url")
        return dict(
            id=ident,
            slug=slug,
            title=item.text("title", required="what the calendar shows"),
            timezone=tz,
            venue=venue,
            online_url=online_url,
            attendance=_attendance(item, venue, online_url),
            registration_url=item.url("registration_url"),
            tags=item.tags(),
            description=_description(item),
            updated=_updated(item, tz, self.range),
            translations=self._translations(item, ("title", "description")),
        )

    # -- events --------------------------------------------------------------------------
    def _event(self, raw: YMap, path: str, prefix: str) -> Event | None:
        item = _Item(raw, path, prefix, self.problems, EVENT_KEYS)
        common = self._common(item)
        status = item.choice("status", EVENT_STATUS, "scheduled")
        livestream_url = item.url("livestream_url")
        tz = common["timezone"]
        start = item.parsed("start", self._date_time(tz), required="e.g. 2025-04-08 18:30")
        item.warn_unknown()
        if start is None or item.failed:
            return None
        day, at = start
        if at is None:  # all day
            if item.has("duration"):
                item.error("duration", "an all-day event takes an end date, not a duration")
                return None
            last = item.parsed("end", self._date, day)
            if item.failed:
                return None
            if last < day:
                item.error("end", f"must not be before start ({_fmt(day)}), got {_fmt(last)}")
                return None
            begin, finish = _aware(day, time(0), tz), _aware(last + timedelta(days=1), time(0), tz)
        else:
            self._morning_warning(item, "start", at)
            if not self._exists(item, "start", day, at, tz):
                return None
            begin = _aware(day, at, tz)
            finish = self._end(item, day, at, tz)
            if finish is None:
                return None
        return Event(
            **common, start=begin, end=finish, all_day=at is None, status=status, livestream_url=livestream_url,
            source=path, line=raw.line
        )

    def _morning_warning(self, item: _Item, key: str, at: time) -> None:
        raw = str(item.data.get(key, ""))
        m = re.search(r"(?:^|[ T])(0?[1-6]:\d\d)$", raw.strip())
        if m:
            item.error(
                key,
                f"{m.group(1)} is in the morning; write {at.hour + 12}:{at:%M} or {m.group(1)} pm for the "
                f"evening, or {m.group(1)} am to silence this",
                "warning",
            )

    def _end(self, item: _Item, day: date, at: time, tz: str) -> datetime | None:
        """The end of a timed event or meeting: `end` (time or date+time) or `duration`."""
        start = _aware(day, at, tz)
        if item.has("end") and item.has("duration"):
            item.error("duration", "give end or duration, not both")
            return None
        if item.has("duration"):
            length = item.parsed("duration", parse_duration)
            return None if length is None else start + length
        if not item.has("end"):
            item.error("end", "is required when there is a start time (or give duration, e.g. 90 minutes)")
            return None
        raw = item.data["end"]
        try:
            if isinstance(raw, str) and re.match(r"\d{4}-", raw.strip()):
                end_day, end_at = self._date_time(tz)(raw)
                if end_at is None:
                    raise ValueError(f"needs a time as well, e.g. {raw.strip()} 20:00")
            else:
                end_day, end_at = day, parse_time(raw)
        except ValueError as exc:
            item.error("end", str(exc))
            return None
        if not self._exists(item, "end", end_day, end_at, tz):
            return None
        finish = _aware(end_day, end_at, tz)
        if finish <= start:
            item.error("end", f"must be after start ({_fmt(day, at)}), got {_fmt(end_day, end_at)}")
            return None
        return finish

    # -- meetings ------------------------------------------------------------------------
    def _meeting(self, raw: YMap, path: str, prefix: str, closures: tuple) -> MeetingSeries | None:
        item = _Item(raw, path, prefix, self.problems, MEETING_KEYS)
        common = self._common(item)
        rule_text = item.text("repeat", required='e.g. "first Wednesday monthly" or "FREQ=WEEKLY;BYDAY=TU"')
        rrule = item.parsed("repeat", parse_rule) if rule_text else None
        at = item.time("time", required="the start time, e.g. 18:00 or 6 pm")
        first = item.parsed("from", self._date, required="the first date, e.g. 2025-01-07")
        until = item.parsed("until", parse_date)
        if until is not None and not self.range[0] <= until <= self.range[1]:
            item.error("until", outside_message(until, self.range) + "; leave until: out for a series with no end")
        on_closure = item.choice("on_closure", ON_CLOSURE, "keep")
        item.warn_unknown()
        if until is not None and first is not None and until < first:
            item.error("until", f"must not be before from ({_fmt(first)}), got {_fmt(until)}")
        if rrule and until is not None and "COUNT=" in rrule:
            item.error("until", "give until or COUNT in the rule, not both")
        if item.failed or rrule is None or at is None or first is None:
            return None
        tz = common["timezone"]
        end = self._end(item, first, at, tz)
        if end is None:
            return None
        duration = end - _aware(first, at, tz)
        last = min(until or self.range[1], self.range[1])
        try:  # bounded work: the rule is looked at only up to the last date the calendar covers
            dates = dates_between(rrule, first, at, until, first, last)
            counted = bool(dates) and until is None and "COUNT=" in rrule.upper()
            beyond = counted and first_after(rrule, datetime.combine(first, at), None, datetime.combine(last, time.max))
        except (ValueError, OverflowError) as exc:
            item.error("repeat", f"not a usable recurrence ({exc})")
            return None
        if not dates:
            where = "" if until is not None and until <= self.range[1] else ", the last date this calendar covers"
            item.error("repeat", f"gives no dates between {_fmt(first)} and {_fmt(last)}{where}")
            return None
        if beyond:
            item.error(
                "repeat",
                f"its COUNT goes on past {_fmt(self.range[1])}, the last date this calendar covers; "
                f"give a smaller COUNT, or until: instead",
            )
            return None
        start = dates[0]
        series = MeetingSeries(
            **common,
            rule=rule_text,
            rrule=rrule,
            dtstart=start.replace(tzinfo=ZoneInfo(tz)),
            duration=duration,
            until=until,
            on_closure=on_closure,
            source=path,
            line=raw.line,
        )
        days = [d.date() for d in dates]
        skips, moves, overrides = self._changes(item, series, days)
        if item.failed:
            return None
        self._series_gaps(item, series, days, skips, moves, overrides)
        return replace(series, skips=skips, moves=moves, overrides=overrides)

    def _series_gaps(self, item: _Item, series: MeetingSeries, days: list[date], skips, moves, overrides) -> None:
        """Warn about meetings whose time falls in the hour skipped when daylight saving time starts."""
        at = series.dtstart.time()
        handled = set(skips) | {m.date for m in moves} | {o.date for o in overrides if o.start_time is not None}
        cal = self.config.calendar
        gaps = [d for d in sorted(self._gap_days(series.timezone).intersection(days))
                if cal.first_year <= d.year <= cal.last_year and d not in handled
                and skipped_time(d, at, series.timezone)]
        if not gaps:
            return
        real = _aware(gaps[0], at, series.timezone).astimezone(timezone.utc).astimezone(ZoneInfo(series.timezone))
        more = f" (nor on {len(gaps) - 1} more up to {gaps[-1].year})" if len(gaps) > 1 else ""
        item.error(
            "time",
            f"{_clock(at)} does not exist on {_fmt(gaps[0])} in {series.timezone}{more}: the clocks go forward "
            f"that night (daylight saving time), so that meeting is at {_clock(real.time())}; give the date "
            f"an override with another time: (or a skip) to silence this",
            "warning",
        )

    def _changes(self, item: _Item, series: MeetingSeries, days: list[date]):
        used: dict[date, str] = {}
        skips: list[date] = []
        moves: list[OccurrenceChange] = []
        overrides: list[OccurrenceChange] = []
        for key in ("skip", "move", "override"):
            value = item.data.get(key)
            if value is None:
                continue
            if not isinstance(value, YList):
                item.error(key, "must be a list (- ...)")
                continue
            for i, entry in enumerate(value):
                field, line = f"{item.field(key)}[{i}]", value.line_of(i)
                if key == "skip":
                    try:
                        day = self._date(entry)
                    except ValueError as exc:
                        self.problems.append(Problem(item.path, line, field, str(exc)))
                        item.failed = True
                        continue
                    if self._is_occurrence(item, days, day, field, line, used, key):
                        skips.append(day)
                    continue
                if not isinstance(entry, YMap):
                    self.problems.append(Problem(item.path, line, field, "must be a mapping with date: and the changes"))
                    item.failed = True
                    continue
                change = self._change(entry, item.path, field, series, key, used, days)
                item.failed |= change is None
                if change is not None:
                    (moves if key == "move" else overrides).append(change)
        return tuple(sorted(skips)), tuple(sorted(moves, key=lambda c: c.date)), tuple(
            sorted(overrides, key=lambda c: c.date)
        )

    def _is_occurrence(self, item, days: list[date], day, field, line, used, key) -> bool:
        """Is `day` one of the series' dates (`days`, sorted)?  A lookup, so N entries cost N."""
        if day in used:
            self.problems.append(Problem(item.path, line, field, f"{_fmt(day)} is already listed under {used[day]}"))
            item.failed = True
            return False
        i = bisect.bisect_left(days, day)
        if i == len(days) or days[i] != day:
            reach = timedelta(days=62)
            before = [days[i - 1]] if i > 0 and days[i - 1] >= day - reach else []
            after = [days[i]] if i < len(days) and days[i] <= day + reach else []
            hint = " and ".join(_fmt(d) for d in before + after)
            self.problems.append(
                Problem(
                    item.path,
                    line,
                    field,
                    f"{_fmt(day)} is not a date of this series"
                    + (f" (the nearest are {hint})" if len(before + after) == 2 else f" (the nearest is {hint})" if hint else ""),
                )
            )
            item.failed = True
            return False
        used[day] = key
        return True

    def _change(self, raw: YMap, path: str, prefix: str, series: MeetingSeries, key: str, used,
                days: list[date]) -> OccurrenceChange | None:
        allowed = schema.MOVE.names if key == "move" else CHANGE_KEYS
        sub = _Item(raw, path, prefix, self.problems, allowed)
        day = sub.parsed("date", self._date, required="the date the rule gives, e.g. 2025-01-01")
        at = sub.time("time")
        tz = series.timezone
        new_start = None
        if key == "move":
            target = sub.parsed("to", self._date_time(tz), required="the new date, e.g. 2025-01-08 (or 2025-01-08 18:00)")
            if target is not None:
                if target[1] is not None and at is not None:
                    sub.error("time", "give the new time in to: or time:, not both")
                new_at = target[1] or at or series.dtstart.time()
                if self._exists(sub, "to" if target[1] is not None or at is None else "time", target[0], new_at, tz):
                    new_start = _aware(target[0], new_at, tz)
        elif at is not None and day is not None:
            self._exists(sub, "time", day, at, tz)
        venue = sub.venue()
        online_url = sub.url("online_url") if sub.has("online_url") else None
        attendance = sub.choice("attendance", ATTENDANCE, None)
        status = sub.choice("status", EVENT_STATUS, None)
        title = sub.text("title") if sub.has("title") else None
        note = sub.text("note")
        translations = self._translations(sub, ("title", "note"))
        sub.warn_unknown()
        duration = None
        if sub.has("end") or sub.has("duration"):
            base = new_start or (
                _aware(day, at or series.dtstart.time(), tz) if day is not None else None
            )
            if base is not None and not sub.failed:
                finish = self._end(sub, base.date(), base.time(), tz)
                duration = None if finish is None else finish - base
        if day is not None and not sub.failed:
            self._is_occurrence(sub, days, day, sub.field("date"), sub.line("date"), used, key)
        if sub.failed or day is None:
            return None
        final_attendance = attendance or series.attendance
        final_venue = venue or series.venue
        final_url = online_url if online_url is not None else series.online_url
        # An entry is no stricter than its series: what the series may leave out (an in-person
        # meeting with no venue given), an entry that only changes the time or adds a note may too.
        if attendance in ("in-person", "hybrid") and final_venue is None:
            sub.error("attendance", f"is {final_attendance} but neither this entry nor the series gives a venue")
            return None
        if final_attendance in ("online", "hybrid") and not final_url:
            sub.error("attendance" if attendance else "date", f"is {final_attendance} but neither this entry nor the series gives an online_url")
            return None
        return OccurrenceChange(
            date=day,
            new_start=new_start,
            start_time=at if key == "override" else None,
            duration=duration,
            title=title,
            venue=venue,
            online_url=online_url,
            attendance=attendance,
            status=status,
            note=note,
            line=raw.line,
            translations=translations,
        )

    # -- closures ------------------------------------------------------------------------
    def _closure(self, raw: YMap, path: str, prefix: str) -> ClosureRule | None:
        item = _Item(raw, path, prefix, self.problems, CLOSURE_KEYS)
        ident = item.ident("id", required="a permanent id such as christmas-day")
        self._claim(self.closure_ids, item, "id", ident)
        name = item.text("name", required="what the calendar shows, e.g. Christmas Day")
        public_name = item.text("public_name") or ""
        when_text = item.text("when", required='e.g. "December 25" or "fourth Thursday of November"')
        fields = item.parsed("when", parse_when) if when_text else None
        saturday = item.choice("observe_saturday", SHIFTS, None)
        sunday = item.choice("observe_sunday", SHIFTS, None)
        translations = self._translations(item, ("title",))
        item.warn_unknown()
        if item.failed or fields is None:
            return None
        self.closure_where[path, raw.line] = (prefix, item.line("when"))
        return ClosureRule(
            id=ident,
            name=name,
            public_name=public_name,
            observe_saturday=saturday,
            observe_sunday=sunday,
            text=when_text,
            source=path,
            line=raw.line,
            translations=translations,
            **fields,
        )

    def _check_closure_rules(self, rules: list[ClosureRule]) -> tuple:
        ordered, unknown, cycles = rule_order(rules)
        known = sorted({r.id for r in rules})
        for rule in unknown:
            import difflib

            close = difflib.get_close_matches(rule.ref, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known) or 'none'}"
            self.problems.append(
                Problem(rule.source, self._when_line(rule), self._when_field(rule), f"unknown closure {rule.ref!r} ({hint})")
            )
        by_id = {r.id: r for r in rules}
        for cycle in cycles:
            rule = by_id[cycle[0]]
            self.problems.append(
                Problem(rule.source, self._when_line(rule), self._when_field(rule), "closure rules form a cycle: " + " → ".join(cycle))
            )
        closures = resolve_closures(rules, self.config.calendar)
        for first, other in closure_conflicts(closures):
            rule = by_id[other.id]
            self.problems.append(
                Problem(
                    rule.source,
                    self._when_line(rule),
                    self._when_field(rule),
                    f"{other.name} {other.year} is observed on {_fmt(other.observed)}, the same day as "
                    f"{first.name}; both are listed and the office is closed once",
                    "warning",
                )
            )
        return closures

    def _when_field(self, rule: ClosureRule) -> str:
        return self.closure_where[rule.source, rule.line][0] + ".when"

    def _when_line(self, rule: ClosureRule) -> int:
        return self.closure_where[rule.source, rule.line][1]


def read_calendar(config: Any) -> tuple[CalendarData, list[Problem]]:
    """Read every content/calendar/*.yaml; return the data and every problem (errors and warnings).

    Items with errors are left out of the data; callers stop the build if any problem is an error.
    """
    reader = _Reader(config)
    data = reader.read()
    return data, reader.problems
