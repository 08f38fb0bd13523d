"""What members read: calendar data said as sentences (calendar/words.py), the answers a member
comes for (next meeting, next office closure, search), cancelled events without join or add links.

Every expected sentence below is written by hand from docs/calendar.md's table of `repeat:` forms,
never copied from the code under test.  The browser tests set Chromium's clock (Playwright) and
search the real Pagefind index of the built sample site.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from site_builder.calendar.model import MeetingSeries, Occurrence, Place
from site_builder.calendar.recurrence import parse_rule
from site_builder.calendar.words import day_list, occurrence_words, pauses, recurrence_sentence, series_sentence
from site_builder.config import load_config, placeholder_base_url
from site_builder.errors import ConfigError
from tests.conftest import REPO

CHI = ZoneInfo("America/Chicago")
TUE = datetime(2025, 1, 7, 18, 30, tzinfo=CHI)

# docs/calendar.md, "`repeat:` understands": every form in its left column → the sentence a member reads
RECURRENCES = [
    ("every Tuesday", "Every Tuesday"),
    ("weekly on Tuesday", "Every Tuesday"),
    ("every Tuesdays", "Every Tuesday"),
    ("weekly on Monday and Thursday", "Monday and Thursday every week"),
    ("every other Tuesday", "Every other Tuesday"),
    ("every 2 weeks on Tuesday", "Every other Tuesday"),
    ("first Wednesday monthly", "First Wednesday of every month"),
    ("first Wednesday of every month", "First Wednesday of every month"),
    ("second and fourth Tuesday of the month", "Second and fourth Tuesday of every month"),
    ("last Friday monthly", "Last Friday of every month"),
    ("third Wednesday of March, June, September and December",
     "Third Wednesday of March, June, September and December"),
    ("every day", "Every day"),
    ("every weekday", "Every weekday (Monday to Friday)"),
    ("FREQ=MONTHLY;BYDAY=1WE", "First Wednesday of every month"),
]


@pytest.mark.parametrize("written, sentence", RECURRENCES)
def test_every_documented_repeat_form_reads_as_a_sentence(written, sentence):
    assert recurrence_sentence(parse_rule(written), TUE) == sentence


def test_every_form_of_the_docs_table_is_in_this_test():
    docs = (REPO / "docs/calendar.md").read_text(encoding="utf-8")
    table = docs.split("`repeat:` understands:", 1)[1].split("\n\n", 2)[1]
    forms = {f for row in table.splitlines()[2:] for f in re.findall(r"`([^`]+)`", row.split("|")[1])}
    assert forms <= {w for w, _ in RECURRENCES}, forms - {w for w, _ in RECURRENCES}


def test_a_rule_without_words_points_at_the_dates_never_at_its_code():
    for rule in ("FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", "FREQ=YEARLY;BYMONTH=6;BYDAY=2SA", "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=-1"):
        assert recurrence_sentence(rule, TUE) == "On the dates below"


@pytest.mark.parametrize("rule, sentence", [  # the break-it pass's cases, written by hand
    ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15", "The 15th of every third month"),
    ("FREQ=MONTHLY;BYMONTHDAY=31", "The 31st of every month (in the months that have one)"),
    ("FREQ=MONTHLY;BYMONTHDAY=-2", "The second-to-last day of every month"),
    ("FREQ=WEEKLY;BYDAY=WE;COUNT=5", "Every Wednesday, 5 times in all"),
])
def test_intervals_counts_and_month_ends_are_said(rule, sentence):
    assert recurrence_sentence(rule, TUE) == sentence


OFFICE = Place("The Local 12 union office", "Saint Paul, MN")
HALL = Place("Carpenters Hall", "710 Olive Street, Saint Paul, MN")


def _series(**kw) -> MeetingSeries:
    base = dict(id="eb", slug="eb", title="Executive Board meeting", rule="first Wednesday monthly",
                rrule="FREQ=MONTHLY;BYDAY=1WE", dtstart=datetime(2025, 1, 1, 18, 0, tzinfo=CHI),
                duration=timedelta(minutes=90), timezone="America/Chicago", venue=OFFICE,
                online_url="https://zoom.us/j/81200012012", attendance="online")
    return MeetingSeries(**{**base, **kw})


def _occ(series: MeetingSeries, day: date, **kw) -> Occurrence:
    start = datetime.combine(day, series.dtstart.timetz())
    base = dict(series_id=series.id, start=start, end=start + series.duration, title=series.title, venue=None,
                online_url=series.online_url, attendance="online", status="scheduled", note="", recurrence_id=start)
    return Occurrence(**{**base, **kw})


def test_series_sentence_names_time_way_to_attend_and_the_in_person_months():
    s = _series()
    assert series_sentence(s, "6–7:30 pm", ("in person at the Local 12 union office", (1, 3, 5, 9, 11))) == (
        "First Wednesday of every month, 6–7:30 pm, on Zoom; in person at the Local 12 union office in January, "
        "March, May, September and November.")
    hybrid = _series(attendance="hybrid", venue=HALL, rrule="FREQ=MONTHLY;BYMONTH=3,6,9,12;BYDAY=3WE")
    assert series_sentence(hybrid, "6–7:30 pm") == (
        "Third Wednesday of March, June, September and December, 6–7:30 pm, at Carpenters Hall and on Zoom.")
    in_person = _series(attendance="in-person", online_url="", venue=HALL)
    assert series_sentence(in_person, "6–7:30 pm") == "First Wednesday of every month, 6–7:30 pm, at Carpenters Hall."
    other = _series(online_url="https://meet.example.net/abc")
    assert series_sentence(other).endswith(", online.")


def test_a_date_says_only_what_differs_and_a_reason_is_not_repeated():
    s = _series()
    assert occurrence_words(s, _occ(s, date(2027, 2, 3))) == ("", "")
    assert occurrence_words(s, _occ(s, date(2027, 1, 6), attendance="in-person", venue=OFFICE, online_url="",
                                    note="In person.")) == ("In person at the Local 12 union office", "")
    cancelled = _occ(s, date(2027, 12, 1), status="cancelled",
                     note="Cancelled; the December business moves to the March meeting.")
    assert occurrence_words(s, cancelled) == ("Cancelled", "The December business moves to the March meeting.")
    moved = _occ(s, date(2025, 1, 8), recurrence_id=datetime(2025, 1, 1, 18, 0, tzinfo=CHI), moved=True,
                 note="Moved one week because January 1 is New Year's Day.")
    assert occurrence_words(s, moved) == ("Moved from Jan 1", "Moved one week because January 1 is New Year's Day.")


def test_a_holiday_pause_is_said_in_words():
    cat = _series(title="HealthPartners CAT meeting", skips=(date(2026, 12, 22), date(2026, 12, 29), date(2027, 12, 21)))
    assert pauses(cat, date(2026, 11, 18)) == ("No HealthPartners CAT meetings Dec 22 and 29.",)
    assert pauses(cat, date(2026, 12, 23)) == ("No HealthPartners CAT meeting Dec 29.",)  # one date: one meeting
    board = _series(skips=(date(2027, 1, 6),))
    assert pauses(board, date(2026, 12, 1)) == ("No Executive Board meeting Jan 6.",)
    board = _series(title="Executive Board", skips=(date(2027, 1, 6), date(2027, 2, 3)))
    assert pauses(board, date(2026, 12, 1)) == ("No Executive Board meetings Jan 6 and Feb 3.",)
    assert pauses(board, date(2027, 1, 7)) == ("No Executive Board meeting Feb 3.",)
    sessions = _series(title="Steward trainings", skips=(date(2027, 1, 6),))
    assert pauses(sessions, date(2026, 12, 1)) == ("No Steward training Jan 6.",)
    assert day_list([date(2026, 12, 29), date(2027, 1, 5)]) == "Dec 29 and Jan 5"


# -- the built sample site -----------------------------------------------------------------
def _text(path) -> str:
    html = path.read_text(encoding="utf-8")
    main = html[html.index("<main"):html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace(" ,", ",").replace(" .", ".")


def test_the_meetings_page_speaks_plainly(sample_output):
    text = _text(sample_output / "meetings/index.html")
    assert ("First Wednesday of every month, 6–7:30 pm, on Zoom; in person at the Local 12 union office in "
            "January, March, May, September and November.") in text
    assert "Every Tuesday, 6:30–7:30 pm, on Zoom." in text
    assert "No HealthPartners CAT meetings Dec 22 and 29." in text
    assert "Third Wednesday of March, June, September and December, 6–7:30 pm, at Carpenters Hall and on Zoom." in text
    for echo in ("First wednesday monthly", "Every tuesday", "In person.)", "Online · Join online"):
        assert echo not in text


def test_a_closure_shows_its_public_name_and_the_rule_name_stays_in_the_yaml(sample_output):
    text = _text(sample_output / "closures/index.html")
    assert "Christmas holiday" in text and "Last working day before Christmas" not in text
    assert "Earlier years (2025)" in text  # folded away in <details>
    html = (sample_output / "closures/index.html").read_text()
    assert html.index("<details") < html.index('id="y2025"') and html.index('id="y2026"') < html.index("<details")


def test_a_cancelled_event_offers_no_join_or_add_links_and_its_ics_says_cancelled(sample_output):
    folder = sample_output / "events/organizing-training-2026-12"
    html = (folder / "index.html").read_text()
    assert "Cancelled: New organizer training" in html
    assert "Add to Google Calendar" not in html and "Add to Outlook" not in html and "Join " not in _text(folder / "index.html")
    event = icalendar.Calendar.from_ical((folder / "event.ics").read_bytes()).walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED" and str(event["SUMMARY"]).startswith("Cancelled")
    feed = icalendar.Calendar.from_ical((sample_output / "calendar.ics").read_bytes())
    same = [e for e in feed.walk("VEVENT") if "New organizer training" in str(e["SUMMARY"])]
    assert [str(e["STATUS"]) for e in same] == ["CANCELLED"] and str(same[0]["SUMMARY"]).startswith("Cancelled")


def test_topics_have_display_names_kinds_and_bargaining_status(sample_output):
    text = _text(sample_output / "tags/index.html")
    assert text.index("Employers") < text.index("HealthPartners") < text.index("Other topics")
    assert "Tentative agreement reached May 3, 2026" in text and "(3 news" not in text
    tag = _text(sample_output / "tags/healthpartners/index.html")
    assert "Topic: healthpartners" not in tag and "HealthPartners" in tag and "Where bargaining stands:" in tag
    assert load_config(REPO / "config.yaml").is_employer("healthpartners")
    assert not load_config(REPO / "config.yaml").is_employer("bargaining")


def test_contact_details_are_real_links(sample_output):
    html = (sample_output / "contact/index.html").read_text()
    assert 'href="tel:+16515550112"' in html and 'href="mailto:office@local12.example"' in html
    assert 'href="https://www.openstreetmap.org/search?query=2+Main+Street%2C+Saint+Paul%2C+MN+55101"' in html
    assert "contact form" not in html
    assert 'href="tel:+16515550112"' in (sample_output / "news/index.html").read_text()  # the footer, everywhere


def test_not_found_page_offers_search_and_the_main_sections(sample_output):
    html = (sample_output / "404.html").read_text()
    for link in ('action="/search/"', 'href="/news/"', 'href="/events/"', 'href="/meetings/"'):
        assert link in html
    assert 'href="/news/">All news</a>' in (sample_output / "news/healthpartners-tentative-agreement/index.html").read_text()


def test_placeholder_addresses_are_named():
    assert placeholder_base_url("https://example.org/")
    assert placeholder_base_url("https://www.example.com/local12/")
    assert placeholder_base_url("https://local12.github.io/") is None


# -- in Chromium ---------------------------------------------------------------------------



def _shown(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.filter(e => e.getClientRects().length > 0)"
                                     ".map(e => e.textContent.replace(/\\s+/g, ' ').trim())")


@pytest.mark.parametrize("path", ["/", "/meetings/"])
def test_the_next_meeting_of_any_series_leads(open_at, path):
    # Built Wed 2026-11-18: the CAT meeting (every Tuesday) on Nov 24 comes first; an hour after the
    # Dec 1 one ends, the Executive Board (first Wednesday) on Dec 2 is next.
    page = open_at(path, datetime(2026, 11, 18, 9, 0, tzinfo=CHI))
    assert _shown(page, ".next-meeting-item") == ["HealthPartners CAT meeting: Tue, Nov 24, 2026 · 6:30–7:30 pm, on Zoom"]
    page = open_at(path, datetime(2026, 12, 1, 20, 30, tzinfo=CHI))
    assert _shown(page, ".next-meeting-item") == ["Executive Board meeting: Wed, Dec 2, 2026 · 6–7:30 pm, on Zoom"]


def test_the_closure_notice_names_the_next_closure_and_says_when_the_office_is_closed_today(open_at):
    page = open_at("/", datetime(2026, 11, 20, 10, 0, tzinfo=CHI))
    assert _shown(page, ".office-closed .alert-when") == ["Next office closure: Thu, Nov 26 (Thanksgiving Day)"]
    assert _shown(page, ".office-closed .alert") == []  # no yellow box a week ahead
    page = open_at("/", datetime(2026, 11, 26, 10, 0, tzinfo=CHI))
    assert [t.lstrip("! ") for t in _shown(page, ".office-closed .alert-when")] == [
        "The office is closed today: Thanksgiving Day (Thu, Nov 26)"]
    page = open_at("/closures/", datetime(2026, 11, 28, 10, 0, tzinfo=CHI))
    assert _shown(page, ".office-closed .alert-when") == ["Next office closure: Thu, Dec 24 (Christmas holiday)"]
    page = open_at("/", datetime(2026, 12, 24, 15, 0, tzinfo=CHI))
    assert [t.lstrip("! ") for t in _shown(page, ".office-closed .alert-when")] == [
        "The office is closed today: Christmas holiday (Thu, Dec 24)"]


@pytest.mark.parametrize("query, path", [("Executive Board", "/meetings/"), ("Christmas", "/closures/")])
def test_search_finds_the_calendar_pages(open_at, query, path):
    page = open_at(f"/search/?q={query}", None)
    page.wait_for_selector(".pagefind-ui__result-link", timeout=10_000)
    links = page.eval_on_selector_all(".pagefind-ui__result-link", "els => els.map(e => e.getAttribute('href'))")
    assert path in links, links
    style = page.eval_on_selector(".pagefind-ui__result-link", "e => getComputedStyle(e).textDecorationLine")
    assert "underline" in style  # results look like links


@pytest.mark.parametrize("url", ["http://localhost:8000/", "https://127.0.0.1/", "http://[::1]:8000/",
                                 "https://192.168.1.20/", "https://local12.example/", "https://site.test/"])
def test_addresses_only_this_computer_reaches_are_placeholders_too(url):
    assert placeholder_base_url(url)


@pytest.mark.parametrize("phone", ["651-555-0112 ext. 3", "651-555-0112 or 651-555-0113", "651-555-0112, 24/7"])
def test_the_contact_phone_is_one_number(tmp_path, phone):
    (tmp_path / "config.yaml").write_text(f"title: T\nbase_url: https://local12.org/\ncontact:\n  phone: {phone}\n")
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path / "config.yaml")
    assert [str(p) for p in exc.value.problems] == [
        "config.yaml:4: contact.phone: must be one phone number with its area code, such as 651-555-0112 (extensions "
        f"and other numbers belong in hours or on the contact page); got {phone!r}"]


def test_topic_feeds_and_calendars_are_named_as_config_names_them(sample_output):
    import feedparser
    import icalendar

    feed = feedparser.parse((sample_output / "tags/kaiser/feed.xml").read_bytes())
    assert feed.bozo == 0 and feed.feed.title == "OPEIU Local 12: Kaiser Permanente"
    cal = icalendar.Calendar.from_ical((sample_output / "tags/healthpartners/calendar.ics").read_bytes())
    assert str(cal["X-WR-CALNAME"]).endswith(": HealthPartners")


def test_a_calendar_that_leaves_out_this_year_is_a_warning(tmp_path, capsys):
    from tests.conftest import main_at_epoch

    (tmp_path / "content/calendar").mkdir(parents=True)
    (tmp_path / "config.yaml").write_text("title: T\nbase_url: https://local12.org/\ncalendar:\n  first_year: 2030\n"
                                          "  last_year: 2032\n")
    (tmp_path / "content/calendar/c.yaml").write_text("closures:\n  - id: nyd\n    name: New Year's Day\n    when: January 1\n")
    capsys.readouterr()
    assert main_at_epoch(["build", "--config", str(tmp_path / "config.yaml")]) == 0
    assert "config.yaml:1: calendar.first_year: warning: today (2026-11-18) is outside the calendar's years 2030 to " \
           "2032: no office closures are shown for this year and meetings ignore them; move first_year and last_year " \
           "to include it" in capsys.readouterr().err
    assert main_at_epoch(["build", "--config", str(tmp_path / "config.yaml"), "--strict"]) == 1
