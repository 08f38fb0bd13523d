"""iCalendar (.ics) writers: subscribable feeds and single-event files.  The only icalendar user.

Rules kept here (see docs/calendar.md, "How feeds are built"):
* UIDs come from permanent ids: event-<id>@host, meeting-<id>@host, closure-<rule id>-<year>@host,
  so editing a title or a time never makes a second copy appear in members' calendars.
* DTSTAMP is the item's `updated` value, else the `now` passed in (the build's clock), in UTC.
* A meeting series is one VEVENT with RRULE (UNTIL in UTC), EXDATE for skipped dates and one
  RECURRENCE-ID VEVENT per moved/changed occurrence.
* Timed items carry TZID=<IANA name>; each zone used gets one VTIMEZONE in the yearly-RRULE form
  (one STANDARD + one DAYLIGHT) that Outlook maps to its own zones, falling back to icalendar's
  RDATE form for zones whose rules changed within the years covered.
* Closures are all-day (VALUE=DATE, exclusive DTEND) and TRANSP:TRANSPARENT.
* Output is byte-for-byte deterministic: fixed property order, items sorted by start then UID.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Callable, Iterable, Sequence
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard, vRecur
from icalendar import Event as VEvent

from site_builder.calendar.model import Closure, Event, MeetingSeries, Occurrence, Place
from site_builder.calendar.recurrence import plan_series

if TYPE_CHECKING:
    from site_builder.config import SiteConfig
    from site_builder.models import Contract

UTC = timezone.utc
STATUS = {"scheduled": "CONFIRMED", "cancelled": "CANCELLED", "postponed": "TENTATIVE"}
PREFIX = {"scheduled": "", "cancelled": "Cancelled: ", "postponed": "Postponed: "}
POSTPONED_NOTE = "Postponed: a new date will be announced."
_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


# -- identities ----------------------------------------------------------------------------
def host(config: "SiteConfig") -> str:
    return urlsplit(config.base_url).hostname or "localhost"


def _in(config: "SiteConfig") -> str:
    """A language's own feeds carry their own UIDs, `.es` after the id (ids never hold a dot), so a
    member subscribed to two languages' calendars gets two calendars, not a conflict (docs/languages.md)."""
    return f".{config.lang}" if config.lang else ""


def event_uid(event: Event, config: "SiteConfig") -> str:
    return f"event-{event.id}{_in(config)}@{host(config)}"


def series_uid(series: MeetingSeries, config: "SiteConfig") -> str:
    return f"meeting-{series.id}{_in(config)}@{host(config)}"


def contract_uid(contract: "Contract", config: "SiteConfig") -> str:
    return f"contract-{contract.id}@{host(config)}"


def closure_uid(closure: Closure, config: "SiteConfig") -> str:
    return f"closure-{closure.id}-{closure.year}{_in(config)}@{host(config)}"


# -- public writers ------------------------------------------------------------------------
def calendar_ics(
    *,
    name: str,
    events: Iterable[Event] = (),
    series: Iterable[MeetingSeries] = (),
    closures: Iterable[Closure] = (),
    config: "SiteConfig",
    now: datetime,
    event_url: Callable[[Event], str] | None = None,
    series_url: Callable[[MeetingSeries], str] | None = None,
    series_closures: Sequence[Closure] | None = None,
    description: str = "",
) -> bytes:
    """A subscribable feed.

    `closures` become all-day VEVENTs.  `series_closures` (default: `closures`) is what meeting
    series consult for `on_closure`; pass every resolved closure here when a feed shows
    meetings but no closures (meetings.ics, tag feeds), so both feeds agree on the dates.
    Items that ended more than `config.calendar.past_days` days before `now` are left out.
    """
    stamp = _utc(now)
    cutoff = stamp - timedelta(days=config.calendar.past_days)
    series = list(series)
    closures = list(closures)
    consult = list(closures if series_closures is None else series_closures)
    cal = _feed(name, config, description)

    groups: list[tuple[tuple, list[VEvent]]] = []
    zones: set[str] = set()
    years: set[int] = {config.calendar.first_year, config.calendar.last_year}
    for event in events:
        if event.end < cutoff:
            continue
        vevent = _event_component(event, config, stamp, event_url)
        groups.append(((_utc(event.start), vevent["UID"]), [vevent]))
        if not event.all_day:
            zones.add(event.timezone)
        years.update((event.start.year, event.end.year))
    for item in series:
        plan = plan_series(item, consult)
        if plan.last_end is not None and plan.last_end < cutoff:
            continue
        components = _series_components(item, plan.exdates, plan.changed, config, stamp, series_url)
        groups.append(((_utc(item.dtstart), components[0]["UID"]), components))
        zones.add(item.timezone)
        years.add(item.dtstart.year)
        years.update(o.start.year for o in plan.changed)
        if plan.last_end is not None:
            years.add(plan.last_end.year)
    for closure in closures:
        if closure.observed < cutoff.date():
            continue
        vevent = _closure_component(closure, config, stamp)
        start = datetime.combine(closure.observed, time.min, tzinfo=config.tz)
        groups.append(((_utc(start), vevent["UID"]), [vevent]))
    for tzid in sorted(zones):
        cal.add_component(vtimezone(tzid, min(years) - 1, max(years) + 1))
    for _, components in sorted(groups, key=lambda g: (g[0][0], str(g[0][1]))):
        for component in components:
            cal.add_component(component)
    return _serialize(cal)


def contracts_ics(*, name: str, contracts: Iterable["Contract"], config: "SiteConfig", now: datetime,
                  page_url: str) -> bytes:
    """/calendar/contracts.ics: each contract's last day, all-day (VALUE=DATE, exclusive DTEND),
    UID contract-<id>@host, sorted by date then UID; contracts without an expiry are left out."""
    cal = _feed(name, config, f"When the contracts of {config.title} expire")
    stamp = _utc(now)
    items = sorted((c for c in contracts if c.expires is not None), key=lambda c: (c.expires, c.id))
    for contract in items:
        employer = config.tag_info(contract.employer).name or contract.employer
        vevent = VEvent()
        vevent.add("UID", contract_uid(contract, config))
        vevent.add("DTSTAMP", stamp)
        vevent.add("DTSTART", contract.expires)
        vevent.add("DTEND", contract.expires + timedelta(days=1))
        vevent.add("SUMMARY", f"Contract expires: {employer}, {contract.unit}")
        text = f"The {employer} contract for {contract.unit} ends on {_long_date(contract.expires)}."
        text += f" Status: {contract.status}."
        if contract.summary:
            text += " " + contract.summary
        vevent.add("DESCRIPTION", text + "\n\n" + page_url + f"#contract-{contract.id}")
        vevent.add("URL", page_url + f"#contract-{contract.id}")
        vevent.add("CATEGORIES", ["contracts"])
        vevent.add("TRANSP", "TRANSPARENT")
        vevent.add("STATUS", "CONFIRMED")
        cal.add_component(vevent)
    return _serialize(cal)


def event_ics(
    event: Event, config: "SiteConfig", now: datetime, event_url: Callable[[Event], str] | None = None
) -> bytes:
    """A one-event .ics file ("add to my calendar"): no feed properties, same UID as the feeds."""
    cal = _calendar(config)
    if not event.all_day:
        years = (event.start.year, event.end.year)
        cal.add_component(vtimezone(event.timezone, min(years) - 1, max(years) + 1))
    cal.add_component(_event_component(event, config, _utc(now), event_url))
    return _serialize(cal)


# -- components ----------------------------------------------------------------------------
# What RFC 5545 forbids in a content line (TEXT values included): C0 controls but HTAB, and DEL;
# the C1 controls (U+0080-U+009F, NEL U+0085 among them) are dropped too, as in the RSS feeds.
# icalendar escapes line breaks in TEXT but passes the other controls through.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)|(?<!\r)\n")


def _serialize(cal: Calendar) -> bytes:
    """The calendar as .ics bytes, whatever characters its sources held: every forbidden
    control character is dropped from the written lines (CRLF line ends are kept)."""
    data = cal.to_ical(sorted=False)
    text = data.decode("utf-8")
    cleaned = _FORBIDDEN.sub("", text)
    return data if cleaned == text else cleaned.encode("utf-8")


def _feed(name: str, config: "SiteConfig", description: str = "") -> Calendar:
    """A subscribable calendar's head: its name, zone and how often apps should fetch it again."""
    cal = _calendar(config)
    cal.add("NAME", name)
    cal.add("X-WR-CALNAME", name)
    if description:
        cal.add("X-WR-CALDESC", description)
    cal.add("X-WR-TIMEZONE", config.timezone)
    cal.add("REFRESH-INTERVAL", timedelta(hours=config.calendar.refresh_hours), parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", f"PT{config.calendar.refresh_hours}H")
    return cal


def _calendar(config: "SiteConfig") -> Calendar:
    cal = Calendar()
    cal.add("VERSION", "2.0")
    cal.add("PRODID", f"-//{config.title}//site_builder//EN")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("METHOD", "PUBLISH")
    return cal


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("the .ics writer needs timezone-aware datetimes (got a naive one)")
    return value.astimezone(UTC)


def _location(venue: Place | None, online_url: str, attendance: str) -> str:
    if attendance == "online":
        return online_url or "Online"
    if venue is None:
        return "Online" if online_url else ""
    return venue.text + (" (and online)" if attendance == "hybrid" else "")


def plain_text(markdown: str) -> str:
    """Markdown source → readable plain text: soft line breaks inside a paragraph become spaces
    (calendar apps show every newline); paragraphs and list items keep their own lines."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", markdown.strip()):
        lines: list[str] = []
        for line in block.splitlines():
            line = line.strip()
            if lines and not re.match(r"([-*+]|\d+[.)])\s", line):
                lines[-1] += " " + line
            else:
                lines.append(line)
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def _description(*, note: str, status: str, body: str, online_url: str, registration_url: str, page: str) -> str:
    parts = []
    if status == "postponed":
        parts.append(POSTPONED_NOTE)
    if note:
        parts.append(note)
    if body:
        parts.append(plain_text(body))
    links = []
    if online_url:
        links.append(f"Join online: {online_url}")
    if registration_url:
        links.append(f"Register: {registration_url}")
    if page:
        links.append(f"Details: {page}")
    if links:
        parts.append("\n".join(links))
    return "\n\n".join(parts)


def _common(
    vevent: VEvent,
    *,
    title: str,
    status: str,
    venue: Place | None,
    online_url: str,
    attendance: str,
    registration_url: str,
    body: str,
    note: str,
    tags: Sequence[str],
    page: str,
) -> None:
    vevent.add("SUMMARY", PREFIX[status] + title)
    if location := _location(venue, online_url, attendance):
        vevent.add("LOCATION", location)
    text = _description(
        note=note, status=status, body=body, online_url=online_url, registration_url=registration_url, page=page
    )
    if text:
        vevent.add("DESCRIPTION", text)
    if page:
        vevent.add("URL", page)
    if tags:
        vevent.add("CATEGORIES", list(tags))
    vevent.add("STATUS", STATUS[status])


def _event_component(event: Event, config: "SiteConfig", stamp: datetime, event_url) -> VEvent:
    vevent = VEvent()
    vevent.add("UID", event_uid(event, config))
    vevent.add("DTSTAMP", _utc(event.updated) if event.updated else stamp)
    if event.all_day:
        vevent.add("DTSTART", event.start.date())
        vevent.add("DTEND", event.end.date())
        vevent.add("TRANSP", "TRANSPARENT")
    else:
        vevent.add("DTSTART", event.start)
        vevent.add("DTEND", event.end)
    _common(
        vevent,
        title=event.title,
        status=event.status,
        venue=event.venue,
        online_url=event.online_url if event.attendance in ("online", "hybrid") else "",
        attendance=event.attendance,
        registration_url=event.registration_url,
        body=event.description,
        note="",
        tags=event.tags,
        page=event_url(event) if event_url else "",
    )
    if event.live_coverage:  # RFC 7986 live coverage
        vevent.add("CONFERENCE", event.live_coverage,
                   parameters={"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": "Live coverage"})
    return vevent


def _series_components(
    series: MeetingSeries,
    exdates: Sequence[datetime],
    changed: Sequence[Occurrence],
    config: "SiteConfig",
    stamp: datetime,
    series_url,
) -> list[VEvent]:
    uid = series_uid(series, config)
    dtstamp = _utc(series.updated) if series.updated else stamp
    page = series_url(series) if series_url else ""
    master = VEvent()
    master.add("UID", uid)
    master.add("DTSTAMP", dtstamp)
    master.add("DTSTART", series.dtstart)
    master.add("DTEND", series.dtstart + series.duration)
    rule = vRecur.from_ical(series.rrule)
    if series.until is not None:
        last = datetime.combine(series.until, time(23, 59, 59), tzinfo=ZoneInfo(series.timezone))
        rule["UNTIL"] = _utc(last)
    master.add("RRULE", rule)
    if exdates:
        master.add("EXDATE", list(exdates))
    _common(
        master,
        title=series.title,
        status="scheduled",
        venue=series.venue if series.attendance in ("in-person", "hybrid") else None,
        online_url=series.online_url if series.attendance in ("online", "hybrid") else "",
        attendance=series.attendance,
        registration_url=series.registration_url,
        body=series.description,
        note="",
        tags=series.tags,
        page=page,
    )
    components = [master]
    for occ in sorted(changed, key=lambda o: o.recurrence_id):
        vevent = VEvent()
        vevent.add("UID", uid)
        vevent.add("DTSTAMP", dtstamp)
        vevent.add("RECURRENCE-ID", occ.recurrence_id)
        vevent.add("DTSTART", occ.start)
        vevent.add("DTEND", occ.end)
        _common(
            vevent,
            title=occ.title,
            status=occ.status,
            venue=occ.venue,
            online_url=occ.online_url,
            attendance=occ.attendance,
            registration_url=series.registration_url,
            body=series.description,
            note=occ.note,
            tags=series.tags,
            page=page,
        )
        components.append(vevent)
    return components


def _long_date(day: date) -> str:
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def _closure_component(closure: Closure, config: "SiteConfig", stamp: datetime) -> VEvent:
    vevent = VEvent()
    vevent.add("UID", closure_uid(closure, config))
    vevent.add("DTSTAMP", stamp)
    vevent.add("DTSTART", closure.observed)
    vevent.add("DTEND", closure.observed + timedelta(days=1))
    vevent.add("SUMMARY", f"Office closed: {closure.name}" + (" (observed)" if closure.is_shifted else ""))
    text = f"The {config.title} office is closed on {_long_date(closure.observed)}."
    if closure.is_shifted:
        text = f"{closure.name} falls on {_long_date(closure.date)}. " + text
    vevent.add("DESCRIPTION", text)
    vevent.add("CATEGORIES", ["closures"])
    vevent.add("TRANSP", "TRANSPARENT")
    vevent.add("STATUS", "CONFIRMED")
    return vevent


# -- VTIMEZONE -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Transition:
    at: datetime  # local wall time in the offset *before* the change (VTIMEZONE DTSTART)
    offset_from: timedelta
    offset_to: timedelta
    name: str
    is_dst: bool


@functools.lru_cache(maxsize=64)  # a pure function of its arguments, asked for once per event file
def _transitions(zone: ZoneInfo, first_year: int, last_year: int) -> tuple[_Transition, ...]:
    """Every UTC-offset change in [first_year, last_year], found by day steps and bisection."""
    out: list[_Transition] = []
    t = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=6)
    prev = t.astimezone(zone).utcoffset()
    while t < end:
        nxt = t + step
        off = nxt.astimezone(zone).utcoffset()
        if off != prev:
            lo, hi = t, nxt  # offset(lo) == prev, offset(hi) == off
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == prev:
                    lo = mid
                else:
                    hi = mid
            local = hi.astimezone(zone)
            out.append(
                _Transition(
                    (hi + prev).replace(tzinfo=None), prev, off, local.tzname() or "", bool(local.dst())
                )
            )
            prev = off
        t = nxt
    return tuple(out)


def _byday(day: date) -> str | None:
    """"2SU"/"-1SU" style rule part for a date, preferring nth-from-start when < 5."""
    nth = (day.day - 1) // 7 + 1
    return f"{nth}{_BYDAY[day.weekday()]}" if nth < 5 else None


def _last_byday(day: date) -> str | None:
    following = day + timedelta(days=7)
    return f"-1{_BYDAY[day.weekday()]}" if following.month != day.month else None


def _yearly_rule(group: list[_Transition], years: range) -> str | None:
    if [t.at.year for t in group] != list(years):
        return None
    if len({(t.at.month, t.at.time(), t.at.weekday()) for t in group}) != 1:
        return None
    for form in (_byday, _last_byday):
        parts = {form(t.at.date()) for t in group}
        if len(parts) == 1 and None not in parts:
            return f"FREQ=YEARLY;BYMONTH={group[0].at.month};BYDAY={parts.pop()}"
    return None


def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE for `tzid` valid from `first_year` to `last_year` (and beyond, if the rules hold).

    Regular DST zones give one STANDARD and one DAYLIGHT subcomponent with a yearly RRULE;
    zones without DST give one STANDARD; anything irregular uses icalendar's RDATE form.
    """
    zone = ZoneInfo(tzid)
    found = _transitions(zone, first_year, last_year)
    tz = Timezone()
    tz.add("TZID", tzid)
    if not found:
        probe = datetime(first_year, 1, 1, tzinfo=zone)
        std = TimezoneStandard()
        std.add("DTSTART", datetime(1970, 1, 1))
        std.add("TZOFFSETFROM", probe.utcoffset())
        std.add("TZOFFSETTO", probe.utcoffset())
        std.add("TZNAME", probe.tzname() or tzid)
        tz.add_component(std)
        return tz
    groups: dict[tuple, list[_Transition]] = {}
    for t in found:
        groups.setdefault((t.is_dst, t.offset_from, t.offset_to, t.name), []).append(t)
    years = range(found[0].at.year, found[-1].at.year + 1)
    rules = {key: _yearly_rule(group, years) for key, group in groups.items()}
    if len(groups) != 2 or None in rules.values():
        return Timezone.from_tzinfo(zone, tzid, date(first_year, 1, 1), date(last_year + 1, 1, 1))
    for key, group in sorted(groups.items(), key=lambda kv: kv[1][0].at):
        is_dst, offset_from, offset_to, name = key
        sub = TimezoneDaylight() if is_dst else TimezoneStandard()
        sub.add("DTSTART", group[0].at)
        sub.add("TZOFFSETFROM", offset_from)
        sub.add("TZOFFSETTO", offset_to)
        sub.add("TZNAME", name)
        sub.add("RRULE", vRecur.from_ical(rules[key]))
        tz.add_component(sub)
    return tz
