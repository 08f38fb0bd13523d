"""The calendar part of the site, assembled: what is upcoming, what happened, month grids.

Pure values computed from the calendar data, the config and "now"; no I/O.  The HTML
templates and the feeds read these; nothing here renders.
"""

from __future__ import annotations

import calendar as pycal
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import quote, urlencode

from site_builder.calendar.closures import closure_conflicts, resolve_closures
from site_builder.calendar.model import CalendarData, Closure, Event, MeetingSeries, Occurrence
from site_builder.calendar.recurrence import expand_series
from site_builder.calendar.words import ENGLISH, Speech, attendance_words, closure_title, pauses, regular_exceptions
from site_builder.config import SiteConfig
from site_builder.errors import Problem

UPCOMING_PER_SERIES = 6
# The upcoming lists a build makes stay right this long without a rebuild: each list also
# carries (marked `hidden`) the items that move up into it as earlier ones end within these
# days, and theme/static/js/live.js shows them when their turn comes (docs/theme.md).
LIVE_DAYS = 14


@dataclass(frozen=True)
class Item:
    """One entry on a day of the calendar: an event, a meeting occurrence or a closure."""

    kind: str  # event | meeting | closure
    title: str
    start: datetime | None  # None for all-day entries
    end: datetime | None
    day: date
    url: str
    status: str = "scheduled"
    note: str = ""
    starts: datetime | None = None  # the instant it starts and ends, all-day entries included
    ends: datetime | None = None  # (local midnights): the pages' data-starts / data-ends
    how: str = ""  # how to attend, in words ("on Zoom"): meetings only


@dataclass(frozen=True)
class ClosureNotice:
    """A closure as the "Office closed" notice shows it: from now until its day has passed."""

    closure: Closure
    starts: datetime  # local midnight at the start of the observed day
    ends: datetime  # local midnight after it
    today: bool = False  # the office is closed at the build's moment (the notice says "closed today")


@dataclass(frozen=True)
class SeriesView:
    series: MeetingSeries
    upcoming: tuple[Occurrence, ...]  # the next few, changes and cancellations included
    changes: tuple[Occurrence, ...]  # upcoming occurrences that differ from the plain rule
    later: tuple[Occurrence, ...] = ()  # the ones that join `upcoming` within LIVE_DAYS (built hidden)
    usual: tuple[str, tuple[int, ...]] = ("", ())  # a by-month way to attend (words.regular_exceptions)
    pauses: tuple[str, ...] = ()  # skipped dates ahead, in words ("No … meetings Dec 22 and 29.")

    @property
    def url(self) -> str:
        return f"/meetings/#{self.series.slug}"


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    weeks: tuple[tuple[tuple[date | None, tuple[Item, ...]], ...], ...]  # Monday-first weeks of (day, items)
    prev: str | None
    next: str | None

    @property
    def url(self) -> str:
        return month_url(self.year, self.month)


@dataclass(frozen=True)
class Feed:
    path: str  # site path of the .ics
    title: str


@dataclass(frozen=True)
class CalendarSite:
    events: tuple[Event, ...]  # all, by start
    upcoming: tuple[Event, ...]  # not yet ended, soonest first
    past: tuple[Event, ...]  # ended, most recent first
    series: tuple[SeriesView, ...]
    closures: tuple[Closure, ...]  # by observed date
    closures_by_year: tuple[tuple[int, tuple[Closure, ...]], ...]
    next_closure: Closure | None
    coming_up: tuple[Item, ...]  # next events and meetings for the home page
    months: tuple[Month, ...]
    today: date
    coming_up_later: tuple[Item, ...] = ()  # the items that join `coming_up` within LIVE_DAYS (built hidden)
    closures_ahead: tuple[ClosureNotice, ...] = ()  # next_closure, then each that is next within LIVE_DAYS
    next_meetings: tuple[Item, ...] = ()  # the next meeting of any series (not cancelled), then (built
    # hidden) each one that becomes next within LIVE_DAYS


def event_url(event: Event) -> str:
    return f"/events/{event.slug}/"


def month_url(year: int, month: int) -> str:
    return f"/calendar/{year:04d}/{month:02d}/"


def _occurrence_item(series: MeetingSeries, occ: Occurrence, say: Speech = ENGLISH) -> Item:
    return Item("meeting", occ.title, occ.start, occ.end, occ.start.date(), f"/meetings/#{series.slug}",
                occ.status, occ.note, occ.start, occ.end, attendance_words(occ.attendance, occ.venue, occ.online_url, say))


def _day_bounds(day: date, tz) -> tuple[datetime, datetime]:
    """Local midnight at the start of `day` and after it."""
    return datetime.combine(day, time.min, tzinfo=tz), datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def _ahead(items: list, end_of, now: datetime, until: datetime, limit: int) -> tuple[tuple, tuple]:
    """The first `limit` of `items` (in their order) that have not ended at `now`, and, in the same
    order, the others that are among the first `limit` at some moment up to `until` as earlier
    ones end.  Such a list only changes when one of its items ends, so those are the moments tried."""
    def first_at(moment: datetime) -> list[int]:
        return [i for i, item in enumerate(items) if end_of(item) > moment][:limit]

    shown = first_at(now)
    later: set[int] = set()
    for moment in sorted({end for end in map(end_of, items) if now < end <= until}):
        later.update(first_at(moment))
    later.difference_update(shown)
    return tuple(items[i] for i in shown), tuple(items[i] for i in sorted(later))


def _event_items(event: Event) -> list[Item]:
    """An event spanning several days appears on each of them."""
    items = []
    last = (event.end - timedelta(microseconds=1)).date() if event.all_day else event.end.date()
    day = event.start.date()
    while day <= last:
        items.append(Item("event", event.title, None if event.all_day else event.start,
                          None if event.all_day else event.end, day, event_url(event), event.status,
                          starts=event.start, ends=event.end))
        day += timedelta(days=1)
    return items


def last_year_warning(cal) -> Problem:
    """In the calendar's last year: it stops on Dec 31, silently for members (no closures, no
    meetings after it), so the build says so while there is a year to raise last_year."""
    from site_builder.config import MAX_CALENDAR_YEARS

    later = cal.last_year + 2
    first = "" if later - cal.first_year < MAX_CALENDAR_YEARS else f" and first_year: {later - MAX_CALENDAR_YEARS + 1}"
    return Problem("config.yaml", cal.last_year_line, "calendar.last_year",
                   f"the calendar ends Dec 31, {cal.last_year}: after that day office closures are not worked out "
                   f"and meetings are not listed; raise last_year in config.yaml (for example last_year: {later}{first})",
                   "warning")


def assemble_calendar(config: SiteConfig, data: CalendarData, now: datetime,
                      say: Speech = ENGLISH) -> tuple[CalendarSite, list[Problem]]:
    tz = config.tz
    local_now = now.astimezone(tz)
    today = local_now.date()
    until = now + timedelta(days=LIVE_DAYS)
    cal = config.calendar
    problems: list[Problem] = []
    if not cal.first_year <= today.year <= cal.last_year:
        problems.append(Problem("config.yaml", 1, "calendar.first_year",
                                f"today ({today.isoformat()}) is outside the calendar's years {cal.first_year} to "
                                f"{cal.last_year}: no office closures are shown for this year and meetings ignore "
                                "them; move first_year and last_year to include it", "warning"))
    if today.year == cal.last_year and (data.closure_rules or data.series):
        problems.append(last_year_warning(cal))
    closures = tuple(sorted(resolve_closures(data.closure_rules, cal), key=lambda c: (c.observed, c.id)))
    rules = {r.id: r for r in data.closure_rules}
    for a, b in closure_conflicts(closures):
        rule = rules.get(b.id)
        problems.append(Problem(getattr(rule, "source", "content/calendar"), getattr(rule, "line", 1), "when",
                                f"{a.name} and {b.name} are both observed on {b.observed.isoformat()}", "warning"))

    events = tuple(sorted(data.events, key=lambda e: (e.start, e.id)))
    upcoming = tuple(e for e in events if e.end > now)
    past = tuple(sorted((e for e in events if e.end <= now), key=lambda e: (e.start, e.id), reverse=True))

    first = date(cal.first_year, 1, 1)
    last = date(cal.last_year, 12, 31)
    for e in events:
        first, last = min(first, e.start.date()), max(last, e.end.date())
    window_end = last + timedelta(days=1)

    views, all_occurrences = [], []
    for series in sorted(data.series, key=lambda s: (s.dtstart, s.id)):
        occurrences = expand_series(series, closures, start=first, end=window_end)
        all_occurrences += [(series, o) for o in occurrences]
        coming = tuple(o for o in occurrences if o.end > now)
        shown, later = _ahead(list(coming), lambda o: o.end, now, until, UPCOMING_PER_SERIES)
        views.append(SeriesView(series, shown, tuple(o for o in coming if o.modified)[:UPCOMING_PER_SERIES], later,
                                regular_exceptions(series, coming, say), pauses(series, today, say=say)))

    by_day: dict[date, list[Item]] = {}
    for e in events:
        for item in _event_items(e):
            by_day.setdefault(item.day, []).append(item)
    for series, occ in all_occurrences:
        item = _occurrence_item(series, occ, say)
        by_day.setdefault(item.day, []).append(item)
    for c in closures:
        starts, ends = _day_bounds(c.observed, tz)
        by_day.setdefault(c.observed, []).append(
            Item("closure", closure_title(c.name, say), None, None, c.observed, "/closures/", starts=starts, ends=ends))

    def order(item: Item) -> tuple:
        return (item.kind != "closure", item.start or datetime.min.replace(tzinfo=tz), item.title)

    month_keys = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        month_keys.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    months = []
    for i, (y, m) in enumerate(month_keys):
        weeks = []
        for week in pycal.Calendar(firstweekday=0).monthdatescalendar(y, m):
            weeks.append(tuple((d if d.month == m else None, tuple(sorted(by_day.get(d, ()), key=order)) if d.month == m else ())
                               for d in week))
        months.append(Month(y, m, tuple(weeks),
                            month_url(*month_keys[i - 1]) if i > 0 else None,
                            month_url(*month_keys[i + 1]) if i + 1 < len(month_keys) else None))

    coming_up = sorted(
        [Item("event", e.title, None if e.all_day else e.start, None if e.all_day else e.end, e.start.date(),
              event_url(e), e.status, starts=e.start, ends=e.end) for e in upcoming]
        + [_occurrence_item(s, o, say) for s, o in all_occurrences if o.end > now],
        key=lambda i: (i.day, i.start or datetime.combine(i.day, time.min, tzinfo=tz), i.title),
    )
    coming_up, coming_up_later = _ahead(coming_up, lambda i: i.ends, now, until, cal.home_events)
    notices = [ClosureNotice(c, *_day_bounds(c.observed, tz)) for c in closures]
    notices = [replace(n, today=n.starts <= now < n.ends) for n in notices]
    next_notice, later_notices = _ahead(notices, lambda n: n.ends, now, until, 1)
    meetings = sorted((_occurrence_item(s, o, say) for s, o in all_occurrences if o.end > now and o.status != "cancelled"),
                      key=lambda i: (i.starts, i.title))
    next_meeting, later_meetings = _ahead(meetings, lambda i: i.ends, now, until, 1)
    years: dict[int, list[Closure]] = {}
    for c in closures:
        years.setdefault(c.observed.year, []).append(c)
    site = CalendarSite(
        events=events,
        upcoming=upcoming,
        past=past,
        series=tuple(views),
        closures=closures,
        closures_by_year=tuple((year, tuple(items)) for year, items in sorted(years.items())),
        next_closure=next((c for c in closures if c.observed >= today), None),
        coming_up=coming_up,
        months=tuple(months),
        today=today,
        coming_up_later=coming_up_later,
        closures_ahead=next_notice + later_notices,
        next_meetings=next_meeting + later_meetings,
    )
    return site, problems


def next_change(site: CalendarSite, tz) -> datetime | None:
    """When the built pages' upcoming lists first go out of date, in `tz`: the earliest end of
    anything an upcoming list shows (home, /events/, tag pages, /meetings/) or the end of the next
    closure's day.  None when nothing is upcoming."""
    ends = [i.ends for i in site.coming_up if i.ends is not None] + [e.end for e in site.upcoming]
    ends += [o.end for view in site.series for o in view.upcoming]
    ends += [n.ends for n in site.closures_ahead[:1]]
    ends += [n.starts for n in site.closures_ahead[:1] if not n.today]  # "next closure" becomes "closed today"
    ends += [i.ends for i in site.next_meetings[:1]]
    return min(ends).astimezone(tz) if ends else None


def current_month_url(site: CalendarSite) -> str | None:
    if not site.months:
        return None
    key = (site.today.year, site.today.month)
    for month in site.months:
        if (month.year, month.month) == key:
            return month.url
    return site.months[0].url if key < (site.months[0].year, site.months[0].month) else site.months[-1].url


# -- links to calendar apps ----------------------------------------------------------------
def subscribe_links(config: SiteConfig, path: str) -> dict[str, str]:
    """webcal://, Google Calendar (cid=) and Outlook "add from web" links for a feed."""
    https = config.abs_url(path)
    webcal = "webcal://" + https.split("://", 1)[1]
    name = config.calendar.name or config.title
    return {
        "ics": config.url(path),
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/r?" + urlencode({"cid": webcal}),
        "outlook": "https://outlook.live.com/calendar/0/addfromweb?" + urlencode({"url": https, "name": name}),
    }


def _utc_stamp(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def add_to_calendar_links(config: SiteConfig, event: Event, details: str) -> dict[str, str]:
    """One-event "Add to Google Calendar" and "Add to Outlook" links."""
    location = event.venue.text if event.venue else event.online_url
    page = config.abs_url(event_url(event))
    title = {"cancelled": "Cancelled: ", "postponed": "Postponed: "}.get(event.status, "") + event.title
    body = (details + "\n\n" + page).strip()
    if event.all_day:
        dates = f"{event.start.strftime('%Y%m%d')}/{event.end.strftime('%Y%m%d')}"
        start_iso, end_iso = event.start.date().isoformat(), event.end.date().isoformat()
    else:
        dates = f"{_utc_stamp(event.start)}/{_utc_stamp(event.end)}"
        start_iso, end_iso = event.start.isoformat(), event.end.isoformat()
    google = "https://calendar.google.com/calendar/render?" + urlencode(
        {"action": "TEMPLATE", "text": title, "dates": dates, "details": body, "location": location,
         "ctz": event.timezone}, quote_via=quote)
    outlook_params = {"path": "/calendar/action/compose", "rru": "addevent", "subject": title,
                      "startdt": start_iso, "enddt": end_iso, "body": body, "location": location}
    if event.all_day:
        outlook_params["allday"] = "true"
    outlook = "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(outlook_params, quote_via=quote)
    return {"google": google, "outlook": outlook}


# -- schema.org ----------------------------------------------------------------------------
_MODES = {
    "in-person": "https://schema.org/OfflineEventAttendanceMode",
    "online": "https://schema.org/OnlineEventAttendanceMode",
    "hybrid": "https://schema.org/MixedEventAttendanceMode",
}
_STATUS = {
    "scheduled": "https://schema.org/EventScheduled",
    "cancelled": "https://schema.org/EventCancelled",
    "postponed": "https://schema.org/EventPostponed",
}


def postal_address(address: str) -> dict:
    """"710 Olive Street, Saint Paul, MN 55101" → a schema.org PostalAddress (best effort)."""
    parts = [p.strip() for p in address.split(",") if p.strip()]
    result: dict = {"@type": "PostalAddress"}
    if parts and (m := re.fullmatch(r"([A-Z]{2})(?:\s+(\d{5}(?:-\d{4})?))?", parts[-1])):
        result["addressRegion"] = m.group(1)
        if m.group(2):
            result["postalCode"] = m.group(2)
        parts = parts[:-1]
    if len(parts) >= 2:
        result["addressLocality"] = parts[-1]
        result["streetAddress"] = ", ".join(parts[:-1])
    elif parts:
        result["addressLocality" if "addressRegion" in result else "streetAddress"] = parts[0]
    return result


def _iso(event: Event, value: datetime) -> str:
    return value.date().isoformat() if event.all_day else value.isoformat()


LIVESTREAM_LEAD = timedelta(hours=1)  # "Watch live" shows this long before an event with livestream_url starts


def livestream_state(event: Event, now: datetime) -> dict | None:
    """What an event page shows of its live coverage at `now`: when "Watch live" opens, and whether it
    is `before`, `live` or `after` (static/js/live.js moves it on between builds)."""
    if not event.live_coverage:
        return None
    opens = event.start - LIVESTREAM_LEAD
    state = "before" if now < opens else "live" if now < event.end else "after"
    return {"url": event.live_coverage, "opens": opens, "state": state}


def event_json_ld(config: SiteConfig, event: Event, description: str) -> dict:
    """schema.org Event for the event page; startDate is the same instant as the .ics DTSTART."""
    locations: list[dict] = []
    if event.venue and event.attendance in ("in-person", "hybrid"):
        place: dict = {"@type": "Place", "name": event.venue.name}
        if event.venue.address:
            place["address"] = postal_address(event.venue.address)
        locations.append(place)
    if event.online_url and event.attendance in ("online", "hybrid"):
        locations.append({"@type": "VirtualLocation", "url": event.online_url})
    if event.live_coverage:  # live coverage: people also follow it online
        locations.append({"@type": "VirtualLocation", "url": event.live_coverage, "name": "Live coverage"})
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "startDate": _iso(event, event.start),
        "endDate": _iso(event, event.end - timedelta(days=1) if event.all_day else event.end),
        "eventStatus": _STATUS[event.status],
        "eventAttendanceMode": _MODES["hybrid" if event.live_coverage
                                      and event.attendance == "in-person" else event.attendance],
        "url": config.abs_url(event_url(event)),
        "organizer": {"@type": "Organization", "name": config.title, "url": config.base_url},
    }
    if locations:
        data["location"] = locations[0] if len(locations) == 1 else locations
    if description:
        data["description"] = description
    if event.registration_url:
        data["offers"] = {"@type": "Offer", "url": event.registration_url, "price": "0", "priceCurrency": "USD",
                          "availability": "https://schema.org/InStock"}
    return data
