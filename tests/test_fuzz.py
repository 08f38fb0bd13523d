"""Property tests (hypothesis, derandomized so CI is deterministic).

* The front matter and calendar readers never raise: every bad input becomes a collected Problem.
* RSS: any text in a title, summary or tag reads back unchanged through feedparser,
  except the control characters XML 1.0 cannot carry, which the writer drops.
* .ics: any text in an event's title, description or venue reads back unchanged through icalendar.

Example counts are set by EXAMPLES below (about 10 s in all on two cores).
"""

from __future__ import annotations

import html
import re
import tempfile
from xml.etree import ElementTree
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import icalendar
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from site_builder.calendar.ics import event_ics
from site_builder.calendar.model import Event, Place
from site_builder.config import load_config
from site_builder.errors import Problem
from site_builder.feeds import rss
from site_builder.models import Post
from site_builder.readers.calendar import CLOSURE_KEYS, EVENT_KEYS, MEETING_KEYS, read_calendar
from site_builder.readers.content import POST_KEYS, read_pages, read_posts

EXAMPLES = {"front_matter": 500, "calendar": 500, "rss": 400, "ics": 400}
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CHICAGO = ZoneInfo("America/Chicago")
CONFIG = "title: Fuzz Local\nbase_url: https://example.org/\ntimezone: America/Chicago\n" \
         "calendar:\n  first_year: 2025\n  last_year: 2026\n"

_site_dir = tempfile.TemporaryDirectory(prefix="fuzz-site-")
SITE = Path(_site_dir.name)
(SITE / "config.yaml").write_text(CONFIG)
for folder in ("posts", "pages", "calendar"):
    (SITE / "content" / folder).mkdir(parents=True)


@pytest.fixture(scope="module")
def config():
    yield load_config(SITE / "config.yaml")


# --- values that look like what volunteers write, and things that don't --------------------
PLAUSIBLE = st.sampled_from([
    "2026-12-05", "2026-12-05 18:30", "2026-02-30", "2026-12-05T6:30 pm", "18:30", "6 pm", "25:00", "noon",
    "90 minutes", "1h30m", "0 minutes", "every Tuesday", "first Wednesday monthly", "FREQ=WEEKLY;BYDAY=TU",
    "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2", "FREQ=YEARLY;COUNT=0", "FREQ=SECONDLY", "last Monday of May",
    "1 day after thanksgiving", "Easter - 2 days", "December 25", "America/New_York", "Mars/Base",
    "https://example.org/", "javascript:alert(1)", "online", "hybrid", "cancelled", "skip", "next-week",
    "con", "../x", "strike", "", " ", "~", "null", "yes", "no", "true", "1e999", "-1", "0",
])
SCALAR = st.one_of(PLAUSIBLE, st.text(max_size=30), st.integers(-10**12, 10**12), st.booleans(), st.none(),
                   st.floats(allow_nan=True))
VALUE = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                     max_leaves=12)


def _mapping(keys) -> st.SearchStrategy:
    return st.dictionaries(st.one_of(st.sampled_from(keys), st.text(max_size=8)), VALUE, max_size=len(keys) + 2)


def _dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


FRONT = st.one_of(_mapping(POST_KEYS).map(_dump), st.text(max_size=200), VALUE.map(_dump))
BODY = st.text(max_size=200)
DOCUMENT = st.one_of(
    st.tuples(FRONT, BODY).map(lambda fb: f"---\n{fb[0]}---\n{fb[1]}"),
    st.tuples(st.sampled_from(["\ufeff", "", "\n", "---", "--- \n"]), FRONT, st.sampled_from(["---", "...", "", "----"]),
              BODY).map(lambda p: f"{p[0]}---\n{p[1]}{p[2]}\n{p[3]}"),
    st.text(max_size=300),
)
RAW = st.one_of(DOCUMENT.map(lambda t: t.encode("utf-8")),
                DOCUMENT.map(lambda t: t.replace("\n", "\r\n").encode("utf-16")),
                st.binary(max_size=300))


def _only_problems(problems) -> None:
    assert all(isinstance(p, Problem) and p.line >= 1 and p.path for p in problems)


COUNTS: dict[str, int] = {}


@settings(max_examples=EXAMPLES["front_matter"], **SETTINGS)
@given(data=RAW)
def test_front_matter_reader_never_raises(config, data):
    COUNTS["front_matter"] = COUNTS.get("front_matter", 0) + 1
    for folder in ("posts", "pages"):
        (SITE / "content" / folder / "fuzz.md").write_bytes(data)
    posts, problems = read_posts(config)
    _only_problems(problems)
    pages, more = read_pages(config)
    _only_problems(more)
    assert len(posts) + sum(p.is_error for p in problems) >= 1  # either a post or a reason why not


def _entries(keys):
    return st.lists(_mapping(keys), max_size=3)


CALENDAR = st.one_of(
    st.fixed_dictionaries({}, optional={"events": _entries(EVENT_KEYS), "meetings": _entries(MEETING_KEYS),
                                        "closures": _entries(CLOSURE_KEYS)}).map(_dump),
    VALUE.map(_dump),
    st.text(max_size=300),
)


@settings(max_examples=EXAMPLES["calendar"], **SETTINGS)
@given(text=CALENDAR, raw=st.booleans())
def test_calendar_reader_never_raises(config, text, raw):
    COUNTS["calendar"] = COUNTS.get("calendar", 0) + 1
    (SITE / "content/calendar/fuzz.yaml").write_bytes(text.encode("utf-8") if not raw else text.encode("utf-16"))
    _, problems = read_calendar(config)
    _only_problems(problems)


# --- RSS ------------------------------------------------------------------------------------
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")  # dropped by the writer
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)


MOJIBAKE = re.compile("[\xc2-\xf4][\xa0-\xbf]")


def _xml_round_trip(text: str) -> str:
    return XML_ILLEGAL.sub("", text)


@settings(max_examples=EXAMPLES["rss"], **SETTINGS)
@given(title=TEXT, summary=TEXT, tag=TEXT)
def test_rss_round_trips_any_text(config, title, summary, tag):
    COUNTS["rss"] = COUNTS.get("rss", 0) + 1
    expected = {k: _xml_round_trip(v) for k, v in dict(title=title, summary=summary, tag=tag).items()}
    # feedparser trims surrounding whitespace; the readers do too (titles are stripped when read)
    assume(all(v and v == v.strip() for v in expected.values()))
    post = Post(source="content/posts/a.md", slug="a", title=title, date=datetime(2026, 1, 5, tzinfo=CHICAGO),
                body="", summary=summary, tags=(tag,))
    out = rss(config, path="/feed.xml", title="Feed", link="/news/", description="d", posts=[post],
              summary=lambda p: p.summary, body=lambda p: "<p>x</p>")
    # A strict XML parser reads back exactly the text (the summary is HTML, so unescape it once).
    item = ElementTree.fromstring(out.data).find("channel/item")
    assert item.findtext("title") == expected["title"]
    assert html.unescape(item.findtext("description")) == expected["summary"]
    assert item.findtext("category") == expected["tag"]
    # feedparser too, except where it "repairs" what looks like UTF-8 read as Latin-1 ("Ã©" → "é")
    feed = feedparser.parse(out.data)
    assert not feed.bozo, feed.get("bozo_exception")
    entry = feed.entries[0]
    got = {"title": entry.title, "summary": html.unescape(entry.summary), "tag": entry.tags[0].term}
    for key, value in expected.items():
        if not MOJIBAKE.search(value):
            assert got[key] == value, key


# --- .ics -----------------------------------------------------------------------------------
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
ICS_FORBIDDEN = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")
ONE_LINE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=LINE_BREAKS), min_size=1,
                   max_size=80).map(str.strip).filter(bool)


@settings(max_examples=EXAMPLES["ics"], **SETTINGS)
@given(title=ONE_LINE, description=ONE_LINE, venue=ONE_LINE, address=st.one_of(st.just(""), ONE_LINE))
def test_ics_round_trips_any_text(config, title, description, venue, address):
    COUNTS["ics"] = COUNTS.get("ics", 0) + 1
    start = datetime(2026, 12, 5, 18, 30, tzinfo=CHICAGO)
    event = Event(id="e", slug="e", title=title, start=start, end=start + timedelta(hours=2),
                  timezone="America/Chicago", venue=Place(venue, address), description=description)
    data = event_ics(event, config, start)
    # RFC 5545 allows no control character but HTAB in a content line (CRLF ends lines); the
    # writer also drops the C1 controls: those are the only changes to the text.
    assert not ICS_FORBIDDEN.search(data.decode("utf-8").replace("\r\n", ""))
    cal = icalendar.Calendar.from_ical(data)
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == ICS_FORBIDDEN.sub("", title)
    assert str(vevent["LOCATION"]) == ICS_FORBIDDEN.sub("", Place(venue, address).text)
    assert str(vevent["DESCRIPTION"]) == ICS_FORBIDDEN.sub("", description)


def test_report_counts():
    """Runs last in this module: prints how many generated cases ran (see the closing note)."""
    print("fuzz cases run:", COUNTS)
