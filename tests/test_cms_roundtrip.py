"""What the files hold, the editor shows; opening changes nothing; one change changes one value
(issue 23, section 2).

Decap CMS in Chromium, against `serve --cms` and the real decap-server, with the browser in
another time zone than the site's.  Every entry of an `init`'d site and of the sample site is
opened; every date and time input must show what the build's own readers make of the file
(`6:00 pm` is 18:00, never 06:00), and opening an entry must not mark it changed.  Then one date is
changed and saved: the file, read back with PyYAML, differs in that value only, and the built
calendar (icalendar) in that event only.  An online-only event, a meeting series' move and an
all-day event are entered through the form and built.
"""

from __future__ import annotations

import re
import shutil
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import frontmatter
import icalendar
import pytest
import yaml

from site_builder import schema
from site_builder.build import build
from site_builder.config import load_config
from site_builder.readers.calendar import parse_date_time, parse_time
from site_builder.starter import Answers, init_site
from tests.browser import chromium
from tests.conftest import REPO, require_tool
from tests.test_cms import BROWSER_ZONE, NODE_MODULES, _wait_for, open_editor

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
DATE_TYPES = ("date", "datetime", "time")


# --- what the readers make of a file's dates and times -------------------------------------------------

def _shown(f: schema.Field, value) -> tuple[str, str]:
    """(date input, time input) for a value, as the build reads it."""
    if f.type == "time":
        if isinstance(value, int):  # (PyYAML reads an unquoted 18:30 as 1110 minutes)
            return "", f"{value // 60:02d}:{value % 60:02d}"
        return "", parse_time(value).strftime("%H:%M")
    if isinstance(value, datetime):
        return value.date().isoformat(), value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat(), ""
    day, at = parse_date_time(str(value))
    return day.isoformat(), at.strftime("%H:%M") if at else ""


def expected(kind: schema.Kind, value) -> list[tuple[str, str]]:
    """Every date and time a mapping of `kind` holds, as (date, time) pairs."""
    found: list[tuple[str, str]] = []
    if not isinstance(value, dict):
        return found
    for f in kind.fields:
        v = value.get(f.name)
        if v in (None, "", []):
            continue
        if f.type in DATE_TYPES:
            found.append(_shown(f, v))
        elif f.type == "dates":
            found += [_shown(schema.Field("date", "date", ""), d) for d in v]
        elif isinstance(f.of, schema.Kind) and f.type == "list":
            for item in v:
                found += expected(f.of, item)
        elif isinstance(f.of, schema.Kind) and f.type in ("object", "place"):
            found += expected(f.of, v)
    return found


def _split(pairs) -> tuple[list[str], list[str]]:
    return sorted(d for d, _ in pairs if d), sorted(t for _, t in pairs if t)


# --- the sites -----------------------------------------------------------------------------------------

CMS = "cms:\n  backend: github\n  repo: local12/website\n  media_folder: static/uploads\n"  # (static/images holds the logo.svg)


def init_copy(root: Path) -> Path:
    init_site(root, Answers("Local 7", "https://l7.example.org/", "America/Chicago", "local7/site"), NOW)
    return root


def sample_copy(root: Path) -> Path:
    """The sample site, with the editor on.  Decap's i18n names the default language's file
    slug.en.md (docs/languages.md, "In the browser editor"), so the English files are renamed so."""
    root.mkdir()
    for rel in ("content", "templates", "static", "locale"):
        if (REPO / rel).is_dir():
            shutil.copytree(REPO / rel, root / rel)
    (root / "config.yaml").write_text((REPO / "config.yaml").read_text() + CMS)
    for folder in ("posts", "pages"):
        for path in (root / "content" / folder).glob("*.md"):
            if not re.search(r"\.[a-z]{2,3}\.md$", path.name):
                path.rename(path.with_name(path.stem + ".en.md"))
    return root


def entries(site: Path) -> list[tuple[str, str, schema.Kind, list]]:
    """(collection, entry address, kind, the dates and times it holds) for every entry."""
    found = []
    for name, kind in (("posts", schema.POST), ("pages", schema.PAGE), ("alerts", schema.ALERT),
                       ("series", schema.SERIES)):
        for path in sorted((site / "content" / name).glob("*.md")):
            if re.search(r"\.(es|so|hmn)\.md$", path.name):
                continue  # (a translation: opened with its original)
            slug = re.sub(r"\.en$", "", path.stem)
            found.append((name, f"#/collections/{name}/entries/{slug}", kind, expected(kind, frontmatter.load(path).metadata)))
    for name in ("events", "meetings", "closures"):
        path = site / "content" / "calendar" / f"{name}.yaml"
        if path.is_file():
            data = yaml.safe_load(path.read_text()) or {}
            field = next(f for f in schema.CALENDAR_FILE.fields if f.name == name)
            pairs = [p for item in data.get(name) or [] for p in expected(field.of, item)]
            found.append(("calendar", f"#/collections/calendar/entries/{name}", field.of, pairs))
    return found


@pytest.fixture(scope="module")
def browser():
    require_tool("node")
    assert (NODE_MODULES / "decap-cms" / "dist" / "decap-cms.js").is_file(), "make test runs npm ci"
    with chromium() as running:
        yield running


def _inputs(page) -> tuple[list[str], list[str], list[str]]:
    values = page.evaluate("""() => [...document.querySelectorAll('input')].map(i =>
        [i.type, i.value, i.dataset.kept || ''])""")
    dates = sorted(v for t, v, _ in values if t == "date" and v)
    times = sorted(v for t, v, _ in values if t == "time" and v)
    kept = [v for t, v, k in values if k]
    return dates, times, kept


def _open(page, server, address: str) -> None:
    page.goto(server.url + "admin/" + address)
    page.reload()  # (a fresh editor: a hash change alone keeps the last entry's state)
    page.locator("input, button:text-matches('^Add ', 'i')").first.wait_for(state="attached", timeout=30_000)
    page.wait_for_timeout(300)


@pytest.mark.parametrize("make", [init_copy, sample_copy], ids=["init", "sample"])
def test_every_entry_shows_its_dates_and_times_as_the_build_reads_them(tmp_path, browser, make):
    site = make(tmp_path / "site")
    before = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    server, context, page, errors = open_editor(browser, site)
    site_languages = len(load_config(site).languages) > 1
    checked, evening = 0, False
    try:
        for collection, address, kind, pairs in entries(site):
            _open(page, server, address)
            dates, times, kept = _inputs(page)
            want_dates, want_times = _split(pairs)
            if collection in ("posts", "pages") and site_languages:  # (a translation's pane beside the original's)
                dates, times, want_dates, want_times = (sorted(set(x)) for x in (dates, times, want_dates, want_times))
            assert (dates, times, kept) == (want_dates, want_times, []), address
            # opened, not changed: nothing to publish
            assert page.get_by_role("button", name="Publish", exact=True).count() == 0, address
            checked += len(pairs)
            evening = evening or "18:00" in times
        assert errors == []
    finally:
        context.close()
        server.stop()
    assert checked >= (4 if make is init_copy else 60) and evening  # (real values were seen: 6:00 pm as 18:00)
    after = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*")
             if p.is_file() and ".cache" not in p.relative_to(site).parts}
    assert after == {k: v for k, v in before.items() if ".cache" not in k}  # nothing written by opening


def _expand(page, title: str) -> None:
    """Open a collapsed list item (its chevron, in the bar that shows its title)."""
    bar = page.get_by_text(title, exact=True).first.locator("xpath=ancestor::*[.//button][1]")
    bar.locator("button").first.click()


def _publish(page) -> None:
    page.get_by_role("button", name="Publish", exact=True).first.click()
    page.get_by_text("Publish now").click()


def _events_ics(site: Path) -> dict[str, tuple]:
    out = build(load_config(site), NOW).output_dir
    calendar = icalendar.Calendar.from_ical((out / "calendar.ics").read_bytes())
    return {str(c["UID"]) + str(c.get("RECURRENCE-ID", "")): (c.decoded("DTSTART"), c.decoded("DTEND", None),
                                                                str(c.get("SUMMARY")), str(c.get("LOCATION", "")))
            for c in calendar.walk("VEVENT")}


def test_changing_one_date_changes_that_date_only(tmp_path, browser):
    site = sample_copy(tmp_path / "site")
    events_file = site / "content" / "calendar" / "events.yaml"
    old = yaml.safe_load(events_file.read_text())
    ics_before = _events_ics(site)
    server, context, page, errors = open_editor(browser, site)
    try:
        _open(page, server, "#/collections/calendar/entries/events")
        first = old["events"][0]
        day, at = parse_date_time(first["start"])
        _expand(page, first["title"])
        start = page.locator('input[type=date][id^="start-field-"]').first
        assert start.input_value() == day.isoformat()
        start.fill("2026-04-10")
        _publish(page)
        _wait_for(lambda: yaml.safe_load(events_file.read_text()) != old)
        assert errors == []
    finally:
        context.close()
        server.stop()
    new = yaml.safe_load(events_file.read_text())
    assert new["events"][0]["start"] == f"2026-04-10 {at:%H:%M}"  # (the time as it was: 18:30, not 06:30)
    new["events"][0]["start"] = old["events"][0]["start"]
    assert new == old  # every other value as it was, 6:00 pm and all
    ics_after = _events_ics(site)
    changed = {uid for uid in ics_before.keys() | ics_after.keys() if ics_before.get(uid) != ics_after.get(uid)}
    assert len(changed) == 1 and first["id"] in next(iter(changed))
    zone = ZoneInfo("America/Chicago")
    assert ics_after[next(iter(changed))][0].astimezone(zone).replace(tzinfo=None) == datetime(2026, 4, 10, at.hour, at.minute)


def test_an_online_event_an_all_day_event_and_a_meeting_move_are_saved_and_built(tmp_path, browser):
    """'Venue (optional)' had a required Name: an online event and every Move could not be saved."""
    site = init_copy(tmp_path / "site")
    server, context, page, errors = open_editor(browser, site)
    events_file = site / "content" / "calendar" / "events.yaml"
    meetings_file = site / "content" / "calendar" / "meetings.yaml"
    try:
        _open(page, server, "#/collections/calendar/entries/events")
        for ident, title, day, at in (("online-training", "Online steward training", "2027-01-20", "18:00"),
                                      ("day-of-action", "Day of action", "2027-01-21", None)):
            page.get_by_role("button", name=re.compile("Add event")).click()
            page.locator('[id^="id-field-"]').last.fill(ident)
            page.locator('[id^="title-field-"]').last.fill(title)
            page.locator('input[type=date][id^="start-field-"]').last.fill(day)
            if at:
                page.locator('input[type=time][id^="start-field-"]').last.fill(at)
                page.locator('[id^="end-field-"]').last.fill("7:30 pm")
                page.locator('[id^="online_url-field-"]').last.fill("https://zoom.example/j/1")
        _publish(page)
        _wait_for(lambda: "day-of-action" in events_file.read_text())
        _open(page, server, "#/collections/calendar/entries/meetings")
        _expand(page, "Executive Board meeting")
        page.get_by_role("button", name=re.compile("Add move", re.IGNORECASE)).first.click()
        page.locator('input[type=date][id^="date-field-"]').last.fill("2027-01-06")
        page.locator('input[type=date][id^="to-field-"]').last.fill("2027-01-13")
        page.locator('input[type=time][id^="to-field-"]').last.fill("17:30")
        _publish(page)
        _wait_for(lambda: "2027-01-13" in meetings_file.read_text())
        assert errors == []
    finally:
        context.close()
        server.stop()
    events = {e["id"]: e for e in yaml.safe_load(events_file.read_text())["events"]}
    assert events["online-training"]["start"] == "2027-01-20 18:00"
    assert str(events["day-of-action"]["start"]) == "2027-01-21"  # a date alone: all day
    out = build(load_config(site), NOW).output_dir
    calendar = icalendar.Calendar.from_ical((out / "calendar.ics").read_bytes())
    by_summary = {str(c["SUMMARY"]): c for c in calendar.walk("VEVENT")}
    assert by_summary["Day of action"].decoded("DTSTART") == date(2027, 1, 21)  # an all-day event
    online = by_summary["Online steward training"].decoded("DTSTART")
    assert online.astimezone(ZoneInfo("America/Chicago")).replace(tzinfo=None) == datetime(2027, 1, 20, 18, 0)
    moved = [c for c in calendar.walk("VEVENT") if c.get("RECURRENCE-ID") is not None
             and c.decoded("RECURRENCE-ID").date() == date(2027, 1, 6)]
    assert moved and moved[0].decoded("DTSTART").astimezone(ZoneInfo("America/Chicago")).replace(tzinfo=None) == \
        datetime(2027, 1, 13, 17, 30)


def test_a_contract_for_a_new_employer_is_entered_in_the_editor_and_builds(tmp_path, browser):
    """On a new site (init writes no tags:), an employer and its contract, entirely in the form."""
    site = init_copy(tmp_path / "site")
    contracts_file = site / "content" / "contracts.yaml"
    server, context, page, errors = open_editor(browser, site)
    try:
        _open(page, server, "#/collections/contracts/entries/contracts")
        page.get_by_role("button", name=re.compile("Add employer", re.IGNORECASE)).click()
        page.locator('[id^="name-field-"]').last.fill("UPS")
        page.locator('[id^="status-field-"]').last.fill("Bargaining began in November")
        page.get_by_role("button", name=re.compile("Add contract", re.IGNORECASE)).click()
        page.locator('[id^="id-field-"]').last.fill("ups-drivers-2026")
        page.locator('[id^="employer-field-"]').last.fill("UPS")
        page.locator('[id^="unit-field-"]').last.fill("Package car drivers")
        page.locator('[id^="bargaining_status-field-"]').last.click()
        page.get_by_text("in bargaining", exact=True).last.click()
        _publish(page)
        _wait_for(lambda: "ups-drivers-2026" in contracts_file.read_text())
        assert errors == []
    finally:
        context.close()
        server.stop()
    out = build(load_config(site), NOW).output_dir
    topic = (out / "tags" / "ups" / "index.html").read_text()
    assert "Package car drivers" in topic and "Bargaining began in November" in topic
    assert "Package car drivers" in (out / "contracts" / "index.html").read_text()
