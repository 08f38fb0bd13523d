"""Action alerts and live coverage stay right between builds (static/js/live.js), in Chromium with
Playwright's clock.  The sample site is built at SOURCE_DATE_EPOCH (Wed 2026-11-18); the moments
below come from the sample's content/alerts/*.md and the rally's start (Sat 2026-12-05 11 am,
Chicago), not from the build."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest


CHI = ZoneInfo("America/Chicago")
RALLY_ALERT = "Bring a friend to the winter solidarity rally"  # starts Nov 25 8 am, expires Dec 5 1 pm
RIVERSIDE = "Tell HealthPartners: keep Riverside Clinic open"  # Nov 10 through Dec 15
SHOWN = """sel => [...document.querySelectorAll(sel)].filter(e => e.getClientRects().length > 0)
    .map(e => e.textContent.replace(/\\s+/g, " ").trim())"""





def banner(page) -> list[str]:
    return [t.split(" Take action")[0] for t in page.evaluate(SHOWN, ".action-banner .action-item strong")]


@pytest.mark.parametrize("moment, expected", [
    (None, [RIVERSIDE]),  # no script: exactly as built
    (datetime(2026, 11, 18, 9, 0, tzinfo=CHI), [RIVERSIDE]),
    (datetime(2026, 11, 25, 7, 59, tzinfo=CHI), [RIVERSIDE]),
    (datetime(2026, 11, 25, 8, 1, tzinfo=CHI), [RALLY_ALERT, RIVERSIDE]),  # the future alert starts: newest first
    (datetime(2026, 12, 5, 13, 1, tzinfo=CHI), [RIVERSIDE]),  # the rally alert expired
    (datetime(2026, 12, 15, 23, 59, tzinfo=CHI), [RIVERSIDE]),  # its last day (expires: 2026-12-15)
], ids=["no-js", "built", "before-start", "after-start", "after-expiry", "last-day"])
def test_the_banner_follows_starts_and_expires(open_at, moment, expected):
    page = open_at("/news/", moment, javascript=moment is not None)
    assert banner(page) == expected
    assert page.locator(".action-banner").is_visible()
    assert page.js_errors == []


def test_the_banner_goes_away_when_every_alert_has_expired(open_at):
    page = open_at("/about/", datetime(2026, 12, 16, 0, 1, tzinfo=CHI))
    assert banner(page) == []
    assert not page.locator(".action-banner").is_visible()


def test_the_clock_moving_on_a_loaded_page_updates_the_banner(open_at):
    page = open_at("/", datetime(2026, 11, 25, 7, 50, tzinfo=CHI))
    assert banner(page) == [RIVERSIDE]
    page.clock.run_for("00:15:00")  # past 8 am: the script wakes at the start it knows of
    assert banner(page) == [RALLY_ALERT, RIVERSIDE]
    shown = page.evaluate(SHOWN, "#home-actions .action-title")
    assert shown == [RALLY_ALERT, RIVERSIDE]


def test_act_page_moves_an_expired_alert_into_ended(open_at):
    page = open_at("/act/", datetime(2026, 12, 10, 12, 0, tzinfo=CHI))
    assert page.evaluate(SHOWN, "#act-current .action-title") == [RIVERSIDE]
    assert page.evaluate(SHOWN, "#act-ended .action-title") == [RALLY_ALERT, "Call your senator: pass the HEROES Act"]


@pytest.mark.parametrize("moment, shown", [
    (datetime(2026, 12, 5, 9, 59, tzinfo=CHI), "Live from Sat, Dec 5, 2026 · 10 am"),
    (datetime(2026, 12, 5, 10, 1, tzinfo=CHI), "Watch live"),  # an hour before the 11 am start
    (datetime(2026, 12, 5, 12, 59, tzinfo=CHI), "Watch live"),
    (datetime(2026, 12, 5, 13, 1, tzinfo=CHI), "Watch the coverage"),  # after the two-hour rally
], ids=["before", "opens", "during", "after"])
def test_watch_live_opens_an_hour_before_the_start(open_at, moment, shown):
    page = open_at("/events/winter-solidarity-rally-2026/", moment)
    links = page.evaluate(SHOWN, ".livestream a")
    assert links == [shown]
    assert page.locator(".livestream a").first.get_attribute("href") == "https://www.facebook.com/OPEIULocal12/live/"
