"""Lists that stay right between builds (theme/static/js/live.js).

The sample site is built at SOURCE_DATE_EPOCH (Wed 2026-11-18 05:06 in Saint Paul) and served on
127.0.0.1; Chromium's clock (Playwright's clock API) is then set to later moments.  What a build
at that moment would show is worked out independently: recurring-ical-events expands the built
calendar.ics, and the first few items that have not ended are the expectation, never the code
under test.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from tests.conftest import EPOCH, REPO, post

CHI = ZoneInfo("America/Chicago")
BUILT = datetime.fromtimestamp(int(EPOCH), timezone.utc)  # Wed 2026-11-18 05:06:40 in Saint Paul
HOME_EVENTS = 3  # config.yaml leaves calendar.home_events at its default

VISIBLE = r"""sel => [...document.querySelectorAll(sel)].filter(e => e.getClientRects().length > 0).map(e => {
    const t = e.querySelector("time");
    return {text: e.textContent.replace(/\s+/g, " ").trim(), time: t ? t.getAttribute("datetime") : null};
})"""


# -- the independent expectation ----------------------------------------------------------
def _aware(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, time.min, tzinfo=CHI)


def _components(output, at: datetime):
    cal = icalendar.Calendar.from_ical((output / "calendar.ics").read_bytes())
    return recurring_ical_events.of(cal).between(at - timedelta(days=3), at + timedelta(days=200))


def expected_coming_up(output, at: datetime, n: int = HOME_EVENTS) -> list[datetime]:
    """Starts of the first `n` events and meetings in calendar.ics that have not ended at `at`."""
    items = sorted((_aware(c["DTSTART"].dt), str(c["SUMMARY"])) for c in _components(output, at)
                   if not str(c["UID"]).startswith("closure-") and _aware(c["DTEND"].dt) > at)
    return [start for start, _ in items[:n]]


def expected_closure(output, at: datetime) -> tuple[date, str]:
    """The day and name of the first office closure in calendar.ics whose day has not passed at `at`."""
    days = sorted((c["DTSTART"].dt, str(c["SUMMARY"]).removeprefix("Office closed: ").removesuffix(" (observed)"))
                  for c in _components(output, at) if str(c["UID"]).startswith("closure-")
                  and _aware(c["DTEND"].dt) > at)
    return days[0]


def _start_of(shown: dict) -> datetime:
    value = shown["time"]
    return datetime.fromisoformat(value) if "T" in value else _aware(date.fromisoformat(value))


def _day_text(day: date) -> str:
    return f"{day:%b} {day.day}"  # "Nov 26", as the closure notice writes it (the next closure is weeks away at most)


# -- the browser ----------------------------------------------------------------------------



def home_state(page) -> tuple[list[datetime], list[str], list[dict]]:
    """(starts of the shown "Next" card and list items, the shown kickers, the shown closure lines)."""
    card = page.evaluate(VISIBLE, "section[aria-labelledby=coming-up] .next-up")
    items = page.evaluate(VISIBLE, "section[aria-labelledby=coming-up] .item-list li")
    kickers = [k["text"] for k in page.evaluate(VISIBLE, "section[aria-labelledby=coming-up] .next-up .kicker")]
    closures = page.evaluate(VISIBLE, ".office-closed .alert-when")
    assert len(card) == 1, card
    return [_start_of(c) for c in card + items], kickers, closures


def _cat_meetings(output) -> list[tuple[datetime, datetime]]:
    cal = icalendar.Calendar.from_ical((output / "calendar/meetings.ics").read_bytes())
    found = recurring_ical_events.of(cal).between(BUILT, BUILT + timedelta(days=30))
    return sorted((c["DTSTART"].dt, c["DTEND"].dt) for c in found if "CAT" in str(c["SUMMARY"]))


# -- the tests ----------------------------------------------------------------------------
def test_without_javascript_the_home_page_shows_the_build_time_list(open_at, sample_output):
    page = open_at("/", None, javascript=False)
    starts, kickers, closures = home_state(page)
    assert starts == expected_coming_up(sample_output, BUILT)
    assert starts[0] == datetime(2026, 11, 24, 18, 30, tzinfo=CHI)  # the CAT meeting, by hand from the seeds
    assert kickers == ["Next meeting"]
    assert [c["text"] for c in closures] == ["Next office closure: Thu, Nov 26 (Thanksgiving Day)"]
    # The later items are in the page, hidden: a reader without JavaScript sees the same first three
    assert page.locator("section[aria-labelledby=coming-up] .next-up").count() > 1
    assert page.locator(".office-closed .alert-when").count() > 1


def test_with_javascript_at_build_time_the_page_is_as_built(open_at, sample_output):
    page = open_at("/", BUILT)
    starts, _, closures = home_state(page)
    assert starts == expected_coming_up(sample_output, BUILT)
    assert [c["text"] for c in closures] == ["Next office closure: Thu, Nov 26 (Thanksgiving Day)"]
    assert page.js_errors == []


def test_an_hour_after_the_next_meeting_ends_the_next_one_is_next(open_at, sample_output):
    (start, end), (following, _) = _cat_meetings(sample_output)[:2]
    moment = end + timedelta(hours=1)
    page = open_at("/", moment)
    starts, kickers, _ = home_state(page)
    assert start not in starts
    assert starts[0] == following == datetime(2026, 12, 1, 18, 30, tzinfo=CHI)
    assert starts == expected_coming_up(sample_output, moment)
    assert kickers == ["Next meeting"]
    assert len(starts) == HOME_EVENTS  # the list keeps its length: later items moved up
    assert page.js_errors == []


def test_a_week_later_the_home_page_is_what_a_build_then_would_show(open_at, sample_output):
    moment = BUILT + timedelta(days=7)
    page = open_at("/", moment)
    starts, _, closures = home_state(page)
    assert starts == expected_coming_up(sample_output, moment)
    day, name = expected_closure(sample_output, moment)
    assert len(closures) == 1 and name in closures[0]["text"] and _day_text(day) in closures[0]["text"]


def test_the_home_page_stays_right_every_day_for_two_weeks(open_at, sample_output):
    for days in range(15):
        for hour in (0, 13):  # just after the morning build (05:06) and in the evening (18:06, meeting time)
            moment = BUILT + timedelta(days=days, hours=hour)
            page = open_at("/", moment)
            starts, _, closures = home_state(page)
            assert starts == expected_coming_up(sample_output, moment), moment
            day, name = expected_closure(sample_output, moment)
            assert len(closures) == 1 and name in closures[0]["text"] and _day_text(day) in closures[0]["text"], moment
            page.context.close()


def test_the_next_closure_moves_on_when_its_day_has_passed(open_at, sample_output):
    for moment, text in [(datetime(2026, 11, 27, 9, 0, tzinfo=CHI),
                          "! The office is closed today: Day after Thanksgiving (Fri, Nov 27)"),
                         (datetime(2026, 11, 28, 9, 0, tzinfo=CHI), "Next office closure: Thu, Dec 24 (Christmas holiday)")]:
        page = open_at("/", moment)
        assert [c["text"] for c in home_state(page)[2]] == [text]
        day, name = expected_closure(sample_output, moment)
        assert name in text and _day_text(day) in text
        closures_page = open_at("/closures/", moment)
        shown = closures_page.evaluate(VISIBLE, ".office-closed")
        assert len(shown) == 1 and _day_text(day) in shown[0]["text"] and name in shown[0]["text"]


def test_an_open_page_updates_itself_when_a_meeting_ends(open_at, sample_output):
    (start, end), (following, _) = _cat_meetings(sample_output)[:2]
    page = open_at("/", BUILT)
    assert home_state(page)[0][0] == start
    page.clock.fast_forward(int((end - BUILT).total_seconds() * 1000) + 60_000)  # the timer set for its end fires
    assert home_state(page)[0][0] == following
    assert page.js_errors == []


def test_a_tab_coming_back_into_view_is_checked_again(open_at, sample_output):
    page = open_at("/", BUILT)
    later = BUILT + timedelta(days=8)
    page.clock.set_fixed_time(later)
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    assert home_state(page)[0] == expected_coming_up(sample_output, later)


def _events_state(page, upcoming: str, past: str) -> tuple[list[str], list[str]]:
    titles = lambda sel: [e["text"] for e in page.evaluate(VISIBLE, sel)]  # noqa: E731
    return titles(f"{upcoming} .event-card h3"), titles(f"{past} .event-card h3")


def test_an_ended_event_moves_to_past_on_the_events_page(open_at, sample_output):
    cal = icalendar.Calendar.from_ical((sample_output / "calendar/events.ics").read_bytes())
    rally = next(e for e in cal.walk("VEVENT") if "Winter solidarity rally" in str(e["SUMMARY"]))
    moment = rally["DTEND"].dt + timedelta(hours=1)

    before = open_at("/events/", BUILT)
    upcoming, past = _events_state(before, "#upcoming-events", "#past-events")
    assert upcoming[0] == "Winter solidarity rally for healthcare workers"
    assert "Winter solidarity rally for healthcare workers" not in past

    page = open_at("/events/", moment)
    upcoming, past = _events_state(page, "#upcoming-events", "#past-events")
    assert "Winter solidarity rally for healthcare workers" not in upcoming
    assert past[0] == "Winter solidarity rally for healthcare workers"  # the most recent first
    assert page.locator("section[aria-labelledby=past]").is_visible()
    assert upcoming[0] == "Cancelled: New organizer training"  # Dec 9: the next event, cancelled
    assert page.js_errors == []


def test_an_ended_event_moves_to_past_on_a_tag_page(open_at, sample_output):
    built = open_at("/tags/solidarity/", BUILT)
    count = int(built.locator("[data-live-count]").inner_text())
    page = open_at("/tags/solidarity/", datetime(2026, 12, 5, 14, 0, tzinfo=CHI))
    upcoming, _ = _events_state(page, "#tag-upcoming-events", "#tag-past-events")
    assert "Winter solidarity rally for healthcare workers" not in upcoming
    page.locator("details summary").click()
    _, past = _events_state(page, "#tag-upcoming-events", "#tag-past-events")
    assert past[0] == "Winter solidarity rally for healthcare workers"
    assert page.locator("details summary").inner_text() == f"Past events ({count + 1})"


def test_without_javascript_the_events_page_is_as_built(open_at):
    page = open_at("/events/", None, javascript=False)
    upcoming, past = _events_state(page, "#upcoming-events", "#past-events")
    assert upcoming[0] == "Winter solidarity rally for healthcare workers"
    assert past[0] == "Informational picket at Riverside Clinic"
    assert not page.get_by_text("No upcoming events right now.").is_visible()


def test_meetings_page_keeps_six_next_dates(open_at, sample_output):
    moment = datetime(2026, 12, 1, 21, 0, tzinfo=CHI)  # two CAT meetings after the build
    page = open_at("/meetings/", moment)
    shown = [_start_of(i) for i in page.evaluate(VISIBLE, "#healthpartners-cat .item-list li")]
    cal = icalendar.Calendar.from_ical((sample_output / "calendar/meetings.ics").read_bytes())
    cat = sorted(c["DTSTART"].dt for c in recurring_ical_events.of(cal).between(moment, moment + timedelta(days=120))
                 if "CAT" in str(c["SUMMARY"]) and c["DTEND"].dt > moment)
    assert shown == cat[:6]


def test_the_script_is_deferred_external_and_only_where_needed(sample_output):
    home = (sample_output / "index.html").read_text()
    assert '<script src="/js/live.js" defer></script>' in home
    for page in ("events/index.html", "meetings/index.html", "closures/index.html", "tags/solidarity/index.html"):
        assert "/js/live.js" in (sample_output / page).read_text(), page
    for page in ("news/index.html", "about/index.html", "calendar/2026/12/index.html", "tags/kaiser/index.html"):
        # no list of their own: they load it only for the action alert banner (tests/test_actions.py
        # checks that a site without alerts does not load it there)
        text = (sample_output / page).read_text()
        assert "/js/live.js" not in text or 'class="action-banner"' in text, page
    assert "<script>" not in home  # no inline script (a CSP may forbid it)
    assert (sample_output / "js/live.js").is_file()


def test_items_carry_their_start_and_end(sample_output):
    home = (sample_output / "index.html").read_text()
    assert 'data-starts="2026-11-24T18:30:00-06:00" data-ends="2026-11-24T19:30:00-06:00"' in home
    events = (sample_output / "events/index.html").read_text()
    assert 'data-starts="2026-12-05T11:00:00-06:00" data-ends="2026-12-05T13:00:00-06:00"' in events
    assert 'data-starts="2027-03-18T00:00:00-05:00" data-ends="2027-03-19T00:00:00-05:00"' in events  # all day


def _copy_sample(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copytree(REPO / "static", site / "static")  # (the contracts' PDFs)
    shutil.copy(REPO / "config.yaml", site / "config.yaml")
    return site


def test_build_says_when_coming_up_changes(tmp_path, build):
    run = build(_copy_sample(tmp_path))
    assert run.code == 0
    lines = run.out.splitlines()
    built = next(i for i, line in enumerate(lines) if line.startswith("Built "))
    # The first thing an upcoming list shows to end: Tuesday's CAT meeting, 6:30-7:30 pm, Saint Paul time
    assert lines[built + 1] == "Coming up changes on 2026-11-24 19:30 America/Chicago (rebuild by then, or let the daily build do it)"


def test_build_without_a_calendar_prints_no_such_line(scratch, build):
    run = build(scratch({"content/posts/a.md": post()}))
    assert run.code == 0
    assert "Coming up changes" not in run.out


def test_with_only_closures_the_line_names_the_end_of_the_next_closure_day(scratch, build):
    root = scratch({"content/calendar/closures.yaml": """
        closures:
          - id: christmas-day
            name: Christmas Day
            when: December 25
        """})
    run = build(root)
    assert run.code == 0, run.err
    # Built on Wed 2026-11-18: the next closure is Fri 2026-12-25; the notice changes when that day starts
    # ("Next office closure" becomes "The office is closed today")
    assert "Coming up changes on 2026-12-25 00:00 America/Chicago (rebuild by then, or let the daily build do it)" in run.out
