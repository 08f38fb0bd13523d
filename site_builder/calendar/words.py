"""Calendar data said in words for members: a series' rule, times and way to attend as one
sentence, a date's changes without repeating the series, a holiday pause as "No … meetings Dec 22
and 29".  Pure functions of the calendar values; the templates call them (render.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Iterable, Sequence
from urllib.parse import urlsplit

from site_builder.calendar.model import MeetingSeries, Occurrence, Place

DAY_NAMES = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
             "SA": "Saturday", "SU": "Sunday"}
DAY_ORDER = tuple(DAY_NAMES)
NTH = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last", -2: "second to last"}
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
EVERY_NTH = {2: "other", 3: "third", 4: "fourth"}


def and_list(words: Sequence[str]) -> str:
    """["a"] → "a"; ["a", "b"] → "a and b"; ["a", "b", "c"] → "a, b and c"."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _parts(rrule: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in rrule.upper().split(";") if "=" in part)


def _plural_day(code: str) -> str:
    return DAY_NAMES[code] + "s"


def _nth_days(byday: str) -> tuple[list[int], list[str]] | None:
    """"1WE" → ([1], ["WE"]); "2TU,4TU" → ([2, 4], ["TU"]); None unless every entry has a number."""
    nths, days = [], []
    for entry in byday.split(","):
        number, code = entry[:-2], entry[-2:]
        if not number or code not in DAY_NAMES:
            return None
        try:
            n = int(number)
        except ValueError:
            return None
        if n not in NTH:
            return None
        if n not in nths:
            nths.append(n)
        if code not in days:
            days.append(code)
    if len(days) > 1 and len(nths) > 1:
        return None  # "first Monday and third Friday": say it plainly below
    return nths, days


def recurrence_sentence(rrule: str, dtstart: date | datetime | None = None) -> str:
    """A canonical RRULE (docs/calendar.md) as a phrase that starts a sentence:
    FREQ=MONTHLY;BYDAY=1WE → "First Wednesday of every month"."""
    p = _parts(rrule)
    freq = p.get("FREQ", "")
    interval = int(p.get("INTERVAL", "1") or 1)
    byday = p.get("BYDAY", "")
    months = [int(m) for m in p.get("BYMONTH", "").split(",") if m]
    start_day = DAY_ORDER[dtstart.weekday()] if dtstart is not None else None
    text = ""
    if set(p) - {"FREQ", "INTERVAL", "BYDAY", "BYMONTH", "BYMONTHDAY", "COUNT", "WKST"}:
        pass  # BYSETPOS, BYWEEKNO, BYYEARDAY...: no sentence rather than a wrong one
    elif freq == "DAILY" and not byday:
        text = "every day" if interval == 1 else f"every {interval} days"
    elif freq == "WEEKLY":
        days = [d for d in byday.split(",") if d in DAY_NAMES] or ([start_day] if start_day else [])
        if days == list(DAY_ORDER[:5]) and interval == 1:
            text = "every weekday (Monday to Friday)"
        elif interval == 1:
            text = "every " + and_list([DAY_NAMES[d] for d in days]) if len(days) == 1 else \
                and_list([DAY_NAMES[d] for d in days]) + " every week"
        elif interval in EVERY_NTH:
            text = f"every {EVERY_NTH[interval]} " + and_list([DAY_NAMES[d] for d in days])
        else:
            text = f"every {interval} weeks on " + and_list([DAY_NAMES[d] for d in days])
    elif freq == "MONTHLY" and byday and (nd := _nth_days(byday)):
        nths, days = nd
        which = and_list([NTH[n] for n in nths]) + " " + and_list([DAY_NAMES[d] for d in days])
        if months:
            text = f"{which} of " + and_list([MONTH_NAMES[m - 1] for m in sorted(months)])
        elif interval == 1:
            text = f"{which} of every month"
        elif interval in EVERY_NTH:
            text = f"{which} of every {EVERY_NTH[interval]} month"
        else:
            text = f"{which} of every {interval} months"
    elif freq == "MONTHLY" and p.get("BYMONTHDAY") and not byday:
        days = [int(d) for d in p["BYMONTHDAY"].split(",")]
        ords = [_ordinal(d) if d > 0 else ("last day" if d == -1 else f"{_WORD_ORDINAL.get(-d, _ordinal(-d))}-to-last day")
                for d in days]
        if months:
            text = "the " + and_list(ords) + " of " + and_list([MONTH_NAMES[m - 1] for m in sorted(months)])
        elif interval == 1:
            text = "the " + and_list(ords) + " of every month"
        elif interval in EVERY_NTH:
            text = "the " + and_list(ords) + f" of every {EVERY_NTH[interval]} month"
        else:
            text = "the " + and_list(ords) + f" of every {interval} months"
        if any(d > 28 for d in days):
            text += " (in the months that have one)"
    elif freq == "YEARLY" and not byday and not p.get("BYMONTHDAY") and dtstart is not None:
        text = f"every year on {MONTH_NAMES[dtstart.month - 1]} {dtstart.day}"
    if not text:
        return "On the dates below"  # a rule this module cannot say in words: the dates say it
    if p.get("COUNT", "").isdigit():
        text += f", {int(p['COUNT'])} times in all"
    return text[0].upper() + text[1:]


_WORD_ORDINAL = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def online_words(url: str) -> str:
    """"on Zoom", "on Microsoft Teams", "on Google Meet" or "online"."""
    host = (urlsplit(url).hostname or "").lower() if url else ""
    for suffix, name in (("zoom.us", "Zoom"), ("teams.microsoft.com", "Microsoft Teams"),
                         ("meet.google.com", "Google Meet"), ("webex.com", "Webex")):
        if host == suffix or host.endswith("." + suffix):
            return f"on {name}"
    return "online"


def place_words(venue: Place | None) -> str:
    """"at Carpenters Hall" (the name only; the address is shown once, separately)."""
    if venue is None:
        return "in person"
    name = venue.name
    return "at " + (name[0].lower() + name[1:] if name.lower().startswith("the ") else name)


def attendance_words(attendance: str, venue: Place | None, online_url: str) -> str:
    """"on Zoom", "at Carpenters Hall", "at Carpenters Hall and on Zoom"."""
    if attendance == "online":
        return online_words(online_url)
    if attendance == "hybrid":
        return f"{place_words(venue)} and {online_words(online_url)}" if venue else \
            f"in person and {online_words(online_url)}"
    return place_words(venue)


def _how_of(attendance: str, venue: Place | None, online_url: str) -> str:
    """"in person at the union office", "on Zoom", "in person at Carpenters Hall and on Zoom"."""
    if attendance == "online":
        return online_words(online_url)
    if attendance == "hybrid":
        return f"in person {place_words(venue)} and {online_words(online_url)}" if venue \
            else f"in person and {online_words(online_url)}"
    return f"in person {place_words(venue)}" if venue else "in person"


def _how(occ: Occurrence) -> str:
    return _how_of(occ.attendance, occ.venue, occ.online_url)


def _usual(series: MeetingSeries) -> str:
    return _how_of(series.attendance, series.venue if series.attendance != "online" else None,
                   series.online_url if series.attendance != "in-person" else "")


def regular_exceptions(series: MeetingSeries, occurrences: Iterable[Occurrence]) -> tuple[str, tuple[int, ...]]:
    """How the series departs from its usual way to attend by month, when it does so in at least
    two months and in every year it meets in them: ("in person at the union office", (1, 3, 5)).
    ("", ()) when there is no such pattern (the per-date notes then say it)."""
    by_month: dict[int, set[str]] = {}
    for occ in occurrences:
        if occ.status == "cancelled" or occ.moved and occ.start.month != occ.recurrence_id.month:
            continue
        how = _how(occ) if _how(occ) != _usual(series) else ""
        by_month.setdefault(occ.recurrence_id.month, set()).add(how)
    months = tuple(sorted(m for m, hows in by_month.items() if len(hows) == 1 and next(iter(hows))))
    hows = {next(iter(by_month[m])) for m in months}
    if len(months) < 2 or len(hows) != 1:
        return "", ()
    return hows.pop(), months


def series_sentence(series: MeetingSeries, time_range: str = "",
                    usual: tuple[str, Sequence[int]] = ("", ())) -> str:
    """"First Wednesday of every month, 6–7:30 pm, on Zoom; in person at the union office in
    January, March, May, September and November." `time_range`: the usual time, as the page writes
    times; `usual`: regular_exceptions() of the dates ahead."""
    text = recurrence_sentence(series.rrule, series.dtstart)
    if time_range:
        text += f", {time_range}"
    text += ", " + attendance_words(series.attendance, series.venue, series.online_url)
    how, months = usual
    if months:
        text += f"; {how} in " + and_list([MONTH_NAMES[m - 1] for m in months])
    return text + "."


def _restates(note: str, said: Iterable[str]) -> bool:
    """True when the note only repeats what is already said ("In person." beside "in person")."""
    plain = note.strip().rstrip(".!").strip().lower()
    return not plain or any(plain == s.lower() or plain == s.lower().split(" at ")[0] for s in said if s)


def occurrence_words(series: MeetingSeries, occ: Occurrence) -> tuple[str, str]:
    """(what is different on this date, its note) with nothing said twice.  "" when it is as usual.
    A cancelled date says "Cancelled" and keeps its note as the reason (not struck through)."""
    changes: list[str] = []
    if occ.status == "cancelled":
        changes.append("Cancelled")
    elif occ.status == "postponed":
        changes.append("Postponed")
    if occ.title != series.title:
        changes.append(occ.title)
    if occ.status != "cancelled":
        if _how(occ) != _usual(series):
            changes.append(_how(occ))
    if occ.moved:
        changes.append(f"moved from {MONTH_ABBR[occ.recurrence_id.month - 1]} {occ.recurrence_id.day}")
    note = occ.note
    if note and _restates(note, changes + ["cancelled", "in person", "online", "hybrid"]):
        note = ""
    if note and occ.status == "cancelled" and note.lower().startswith("cancelled"):
        note = note[len("cancelled"):].lstrip(" ;:,.-—").strip()
        note = note[:1].upper() + note[1:]
    text = "; ".join(changes)
    return (text[:1].upper() + text[1:]) if text else "", note


def day_list(days: Sequence[date]) -> str:
    """[Dec 22, Dec 29] → "Dec 22 and 29"; across months "Dec 29 and Jan 5"."""
    days = sorted(days)
    words, month = [], None
    for d in days:
        words.append(f"{MONTH_ABBR[d.month - 1]} {d.day}" if (d.year, d.month) != month else str(d.day))
        month = (d.year, d.month)
    return and_list(words)


def _plural(title: str) -> str:
    low = title.lower()
    if low.endswith("meeting") or low.endswith("session") or low.endswith("training"):
        return title + "s"
    return title + " meetings" if not low.endswith("meetings") else title


def pauses(series: MeetingSeries, today: date, within_days: int = 180) -> tuple[str, ...]:
    """The series' skipped dates from today on, said in words, one sentence per run of skips
    closer than five weeks apart: ("No HealthPartners CAT meetings Dec 22 and 29.",)."""
    ahead = sorted(d for d in series.skips if today <= d <= today + timedelta(days=within_days))
    groups: list[list[date]] = []
    for d in ahead:
        if groups and (d - groups[-1][-1]).days <= 35:
            groups[-1].append(d)
        else:
            groups.append([d])
    return tuple(f"No {_plural(series.title)} {day_list(g)}." for g in groups)
