"""Calendar data said in words for members: a series' rule, times and way to attend as one
sentence, a date's changes without repeating the series, a holiday pause as "No … meetings Dec 22
and 29".  Pure functions of the calendar values; the templates call them (render.py).

Every phrase is a whole msgid with named placeholders (`_("every %(day)s")`), said through a
`Speech`: English as written (ENGLISH), or a language's gettext and month and day names
(i18n.speech), so a translator can reorder the words.  `N_` marks them for `pybabel extract`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable, Iterable, Sequence
from urllib.parse import urlsplit

from site_builder.calendar.model import MeetingSeries, Occurrence, Place


def N_(message: str) -> str:  # noqa: N802 (gettext's name): marks a phrase for `pybabel extract` (babel.cfg)
    return message


DAY_NAMES = {"MO": N_("Monday"), "TU": N_("Tuesday"), "WE": N_("Wednesday"), "TH": N_("Thursday"),
             "FR": N_("Friday"), "SA": N_("Saturday"), "SU": N_("Sunday")}
DAY_ORDER = tuple(DAY_NAMES)
NTH = {1: N_("first"), 2: N_("second"), 3: N_("third"), 4: N_("fourth"), 5: N_("fifth"), -1: N_("last"),
       -2: N_("second to last")}
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# "every other Tuesday", "first Monday of every third month": each a whole phrase
EVERY_NTH_WEEK = {2: N_("every other %(days)s"), 3: N_("every third %(days)s"), 4: N_("every fourth %(days)s")}
EVERY_NTH_MONTH = {2: N_("%(which)s of every other month"), 3: N_("%(which)s of every third month"),
                   4: N_("%(which)s of every fourth month")}
EVERY_DAY = {"MO": N_("every Monday"), "TU": N_("every Tuesday"), "WE": N_("every Wednesday"),
             "TH": N_("every Thursday"), "FR": N_("every Friday"), "SA": N_("every Saturday"),
             "SU": N_("every Sunday")}
SERVICES = (("zoom.us", "Zoom"), ("teams.microsoft.com", "Microsoft Teams"), ("meet.google.com", "Google Meet"),
            ("webex.com", "Webex"))


def _same(message: str) -> str:
    return message


@dataclass(frozen=True)
class Speech:
    """How the sentences are said: `gettext` (English → the language), the names of days and
    months as a sentence writes them, a short date ("Dec 22").  ENGLISH says them as written."""

    gettext: Callable[[str], str] = _same
    day_name: Callable[[str], str] = DAY_NAMES.__getitem__  # "WE" → "Wednesday"
    month_name: Callable[[int], str] = lambda m: MONTH_NAMES[m - 1]  # noqa: E731
    month_abbr: Callable[[int], str] = lambda m: MONTH_ABBR[m - 1]  # noqa: E731
    english: bool = True

    def say(self, message: str, **values: object) -> str:
        """The phrase in the language, its placeholders filled in (a translator's %% is a % sign)."""
        return self.gettext(message) % values

    def and_list(self, words: Sequence[str]) -> str:
        words = list(words)
        if len(words) <= 1:
            return "".join(words)
        return self.say(N_("%(items)s and %(last)s"), items=", ".join(words[:-1]), last=words[-1])

    def day_month(self, day: int, month: int) -> str:
        """"Dec 22" (month abbreviated)."""
        return self.say(N_("%(month)s %(day)s"), month=self.month_abbr(month), day=day)


ENGLISH = Speech()


def and_list(words: Sequence[str], say: Speech = ENGLISH) -> str:
    """["a"] → "a"; ["a", "b"] → "a and b"; ["a", "b", "c"] → "a, b and c"."""
    return say.and_list(words)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _parts(rrule: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in rrule.upper().split(";") if "=" in part)


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


def recurrence_sentence(rrule: str, dtstart: date | datetime | None = None, say: Speech = ENGLISH) -> str:
    """A canonical RRULE (docs/calendar.md) as a phrase that starts a sentence:
    FREQ=MONTHLY;BYDAY=1WE → "First Wednesday of every month"."""
    p = _parts(rrule)
    freq = p.get("FREQ", "")
    interval = int(p.get("INTERVAL", "1") or 1)
    byday = p.get("BYDAY", "")
    months = [int(m) for m in p.get("BYMONTH", "").split(",") if m]
    month_list = say.and_list([say.month_name(m) for m in sorted(months)])
    start_day = DAY_ORDER[dtstart.weekday()] if dtstart is not None else None
    text = ""

    def day_list(codes: Sequence[str]) -> str:
        return say.and_list([say.day_name(d) for d in codes])

    if set(p) - {"FREQ", "INTERVAL", "BYDAY", "BYMONTH", "BYMONTHDAY", "COUNT", "WKST"}:
        pass  # BYSETPOS, BYWEEKNO, BYYEARDAY...: no sentence rather than a wrong one
    elif freq == "DAILY" and not byday:
        text = say.say(N_("every day")) if interval == 1 else say.say(N_("every %(count)s days"), count=interval)
    elif freq == "WEEKLY":
        days = [d for d in byday.split(",") if d in DAY_NAMES] or ([start_day] if start_day else [])
        if days == list(DAY_ORDER[:5]) and interval == 1:
            text = say.say(N_("every weekday (Monday to Friday)"))
        elif interval == 1:
            text = say.say(EVERY_DAY[days[0]]) if len(days) == 1 else \
                say.say(N_("%(days)s every week"), days=day_list(days))
        elif interval in EVERY_NTH_WEEK:
            text = say.say(EVERY_NTH_WEEK[interval], days=day_list(days))
        else:
            text = say.say(N_("every %(count)s weeks on %(days)s"), count=interval, days=day_list(days))
    elif freq == "MONTHLY" and byday and (nd := _nth_days(byday)):
        nths, days = nd
        which = say.say(N_("%(nth)s %(days)s"), nth=say.and_list([say.gettext(NTH[n]) for n in nths]),
                        days=day_list(days))
        if months:
            text = say.say(N_("%(which)s of %(months)s"), which=which, months=month_list)
        elif interval == 1:
            text = say.say(N_("%(which)s of every month"), which=which)
        elif interval in EVERY_NTH_MONTH:
            text = say.say(EVERY_NTH_MONTH[interval], which=which)
        else:
            text = say.say(N_("%(which)s of every %(count)s months"), which=which, count=interval)
    elif freq == "MONTHLY" and p.get("BYMONTHDAY") and not byday:
        days = [int(d) for d in p["BYMONTHDAY"].split(",")]
        ords = say.and_list([_day_ordinal(d, say) for d in days])
        if months:
            text = say.say(N_("the %(days)s of %(months)s"), days=ords, months=month_list)
        elif interval == 1:
            text = say.say(N_("the %(days)s of every month"), days=ords)
        elif interval in EVERY_NTH:
            text = say.say(EVERY_NTH[interval], days=ords)
        else:
            text = say.say(N_("the %(days)s of every %(count)s months"), days=ords, count=interval)
        if any(d > 28 for d in days):
            text += say.say(N_(" (in the months that have one)"))
    elif freq == "YEARLY" and not byday and not p.get("BYMONTHDAY") and dtstart is not None:
        text = say.say(N_("every year on %(month)s %(day)s"), month=say.month_name(dtstart.month), day=dtstart.day)
    if not text:
        return say.say(N_("On the dates below"))  # a rule this module cannot say in words: the dates say it
    if p.get("COUNT", "").isdigit():
        text += say.say(N_(", %(count)s times in all"), count=int(p["COUNT"]))
    return _cap(text)


EVERY_NTH = {2: N_("the %(days)s of every other month"), 3: N_("the %(days)s of every third month"),
             4: N_("the %(days)s of every fourth month")}
_WORD_ORDINAL = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _day_ordinal(d: int, say: Speech) -> str:
    """15 → "15th"; -1 → "last day"; -2 → "second-to-last day" (another language: its own words)."""
    if d == -1:
        return say.say(N_("last day"))
    if d > 0:
        return _ordinal(d) if say.english else say.say(N_("day %(number)s"), number=d)
    return say.say(N_("%(nth)s-to-last day"), nth=say.gettext(_WORD_ORDINAL[-d]) if -d in _WORD_ORDINAL
                   else (_ordinal(-d) if say.english else str(-d)))


def online_words(url: str, say: Speech = ENGLISH) -> str:
    """"on Zoom", "on Microsoft Teams", "on Google Meet" or "online"."""
    host = (urlsplit(url).hostname or "").lower() if url else ""
    for suffix, name in SERVICES:
        if host == suffix or host.endswith("." + suffix):
            return say.say(N_("on %(service)s"), service=name)
    return say.say(N_("online"))


def place_words(venue: Place | None, say: Speech = ENGLISH) -> str:
    """"at Carpenters Hall" (the name only; the address is shown once, separately)."""
    if venue is None:
        return say.say(N_("in person"))
    name = venue.name
    return say.say(N_("at %(place)s"), place=name[0].lower() + name[1:] if name.lower().startswith("the ") else name)


def attendance_words(attendance: str, venue: Place | None, online_url: str, say: Speech = ENGLISH) -> str:
    """"on Zoom", "at Carpenters Hall", "at Carpenters Hall and on Zoom"."""
    if attendance == "online":
        return online_words(online_url, say)
    if attendance == "hybrid":
        return say.say(N_("%(place)s and %(online)s"), place=place_words(venue, say), online=online_words(online_url, say)) \
            if venue else say.say(N_("in person and %(online)s"), online=online_words(online_url, say))
    return place_words(venue, say)


def _how_of(attendance: str, venue: Place | None, online_url: str, say: Speech = ENGLISH) -> str:
    """"in person at the union office", "on Zoom", "in person at Carpenters Hall and on Zoom"."""
    if attendance == "online":
        return online_words(online_url, say)
    if attendance == "hybrid":
        return say.say(N_("in person %(place)s and %(online)s"), place=place_words(venue, say),
                       online=online_words(online_url, say)) if venue \
            else say.say(N_("in person and %(online)s"), online=online_words(online_url, say))
    return say.say(N_("in person %(place)s"), place=place_words(venue, say)) if venue else say.say(N_("in person"))


def _how(occ: Occurrence, say: Speech = ENGLISH) -> str:
    return _how_of(occ.attendance, occ.venue, occ.online_url, say)


def _usual(series: MeetingSeries, say: Speech = ENGLISH) -> str:
    return _how_of(series.attendance, series.venue if series.attendance != "online" else None,
                   series.online_url if series.attendance != "in-person" else "", say)


def regular_exceptions(series: MeetingSeries, occurrences: Iterable[Occurrence],
                       say: Speech = ENGLISH) -> tuple[str, tuple[int, ...]]:
    """How the series departs from its usual way to attend by month, when it does so in at least
    two months and in every year it meets in them: ("in person at the union office", (1, 3, 5)).
    ("", ()) when there is no such pattern (the per-date notes then say it)."""
    by_month: dict[int, set[str]] = {}
    usual = _usual(series, say)
    for occ in occurrences:
        if occ.status == "cancelled" or occ.moved and occ.start.month != occ.recurrence_id.month:
            continue
        how = _how(occ, say)
        by_month.setdefault(occ.recurrence_id.month, set()).add(how if how != usual else "")
    months = tuple(sorted(m for m, hows in by_month.items() if len(hows) == 1 and next(iter(hows))))
    hows = {next(iter(by_month[m])) for m in months}
    if len(months) < 2 or len(hows) != 1:
        return "", ()
    return hows.pop(), months


def series_sentence(series: MeetingSeries, time_range: str = "",
                    usual: tuple[str, Sequence[int]] = ("", ()), say: Speech = ENGLISH) -> str:
    """"First Wednesday of every month, 6–7:30 pm, on Zoom; in person at the union office in
    January, March, May, September and November." `time_range`: the usual time, as the page writes
    times; `usual`: regular_exceptions() of the dates ahead (said with the same `say`)."""
    text = recurrence_sentence(series.rrule, series.dtstart, say)
    if time_range:
        text += f", {time_range}"
    text += ", " + attendance_words(series.attendance, series.venue, series.online_url, say)
    how, months = usual
    if months:
        text += say.say(N_("; %(how)s in %(months)s"), how=how,
                        months=say.and_list([say.month_name(m) for m in months]))
    return text + "."


def _restates(note: str, said: Iterable[str]) -> bool:
    """True when the note only repeats what is already said ("In person." beside "in person")."""
    plain = note.strip().rstrip(".!").strip().lower()
    return not plain or any(plain == s.lower() or plain == s.lower().split(" at ")[0] for s in said if s)


def occurrence_words(series: MeetingSeries, occ: Occurrence, say: Speech = ENGLISH) -> tuple[str, str]:
    """(what is different on this date, its note) with nothing said twice.  "" when it is as usual.
    A cancelled date says "Cancelled" and keeps its note as the reason (not struck through)."""
    changes: list[str] = []
    if occ.status == "cancelled":
        changes.append(say.say(N_("Cancelled")))
    elif occ.status == "postponed":
        changes.append(say.say(N_("Postponed")))
    if occ.title != series.title:
        changes.append(occ.title)
    if occ.status != "cancelled":
        if _how(occ, say) != _usual(series, say):
            changes.append(_how(occ, say))
    if occ.moved:
        changes.append(say.say(N_("moved from %(date)s"),
                               date=say.day_month(occ.recurrence_id.day, occ.recurrence_id.month)))
    note = occ.note
    plain = ["cancelled", "in person", "online", "hybrid"]
    if note and _restates(note, changes + plain + ([] if say.english else [say.gettext(w) for w in plain])):
        note = ""
    if note and occ.status == "cancelled" and note.lower().startswith("cancelled"):
        note = note[len("cancelled"):].lstrip(" ;:,.-—").strip()
        note = note[:1].upper() + note[1:]
    text = "; ".join(changes)
    return _cap(text) if text else "", note


def day_list(days: Sequence[date], say: Speech = ENGLISH) -> str:
    """[Dec 22, Dec 29] → "Dec 22 and 29"; across months "Dec 29 and Jan 5".  In another language
    each month's days are one phrase ("22 y 29 de dic"): `%(month)s %(days)s`."""
    days = sorted(days)
    if not say.english:
        runs: list[list[date]] = []
        for d in days:
            if runs and (runs[-1][0].year, runs[-1][0].month) == (d.year, d.month):
                runs[-1].append(d)
            else:
                runs.append([d])
        return say.and_list([say.say(N_("%(month)s %(days)s"), month=say.month_abbr(run[0].month),
                                     days=say.and_list([str(d.day) for d in run])) for run in runs])
    words, month = [], None
    for d in days:
        words.append(f"{MONTH_ABBR[d.month - 1]} {d.day}" if (d.year, d.month) != month else str(d.day))
        month = (d.year, d.month)
    return and_list(words)


def ngettext(one: str, many: str, n: int) -> str:
    """Marks a phrase said for one and for many for `pybabel extract` (a plural entry in the
    catalogs), and picks the English of the two: `one` when n is 1."""
    return one if n == 1 else many


def _meetings(title: str, n: int) -> str:
    """"Executive Board meeting" said for n dates: "Executive Board meeting(s)", "CAT meeting(s)"."""
    low = title.lower()
    if low.endswith("meetings") or (low.endswith("s") and low[:-1].endswith(("session", "training"))):
        title, low = title[:-1], low[:-1]
    if not low.endswith(("meeting", "session", "training")):
        title += " meeting"
    return title if n == 1 else title + "s"


def pauses(series: MeetingSeries, today: date, within_days: int = 180, say: Speech = ENGLISH) -> tuple[str, ...]:
    """The series' skipped dates from today on, said in words, one sentence per run of skips
    closer than five weeks apart: ("No HealthPartners CAT meetings Dec 22 and 29.",), and for one
    date "No Executive Board meeting Jan 6.".  Another language says it with the series' title
    as written: "No %(title)s meeting(s) %(dates)s.", a plural entry of its catalog."""
    ahead = sorted(d for d in series.skips if today <= d <= today + timedelta(days=within_days))
    groups: list[list[date]] = []
    for d in ahead:
        if groups and (d - groups[-1][-1]).days <= 35:
            groups[-1].append(d)
        else:
            groups.append([d])
    said = []
    for g in groups:
        phrase = ngettext("No %(title)s meeting %(dates)s.", "No %(title)s meetings %(dates)s.", len(g))
        if say.english or say.gettext(phrase) == phrase:  # (untranslated: the English way of saying it)
            said.append(f"No {_meetings(series.title, len(g))} {day_list(g, say)}.")
        else:
            said.append(say.say(phrase, title=series.title, dates=day_list(g, say)))
    return tuple(said)


def closure_title(name: str, say: Speech = ENGLISH) -> str:
    """"Office closed: Christmas Day" (a closure in the calendar's day lists)."""
    return say.say(N_("Office closed: %(holiday)s"), holiday=name)
