"""Contracts in Chromium with Playwright's clock: the days until an expiry and the home page's
notice stay right between builds (theme/static/js/live.js, data-live-days and data-live-window).

A scratch site is built at SOURCE_DATE_EPOCH (Wed 2026-11-18 05:06 in Saint Paul) with contracts
whose last days are chosen around it; what each later moment must show is worked out here from
the dates alone, never from the code under test."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import EPOCH, MINIMAL_CONFIG, main_at_epoch, post, write_site

CHI = ZoneInfo("America/Chicago")
BUILT = datetime.fromtimestamp(int(EPOCH), timezone.utc)
TODAY = BUILT.astimezone(CHI).date()  # 2026-11-18
SOON = TODAY + timedelta(days=1)  # "Expires tomorrow"
LATER = TODAY + timedelta(days=124)  # its notice starts four days after the build (120 days before)
CONFIG = MINIMAL_CONFIG + "tags:\n  - {slug: acme, name: Acme Clinics, kind: employer}\n"


def contracts_yaml() -> str:
    return "contracts:\n" + "".join(
        f"  - id: {ident}\n    employer: acme\n    unit: {unit}\n    effective: 2024-01-01\n    expires: {day}\n"
        for ident, unit, day in (("soon", "Lab workers", SOON), ("later", "Clerical workers", LATER)))


@pytest.fixture(scope="module")
def contracts_site(tmp_path_factory, browser):
    from tests.browser import served

    root = write_site(tmp_path_factory.mktemp("contracts") / "site", {
        "config.yaml": CONFIG, "content/posts/a.md": post(), "content/contracts.yaml": contracts_yaml()})
    assert main_at_epoch(["build", "--config", str(root / "config.yaml")]) == 0
    with served(root / "output") as url:
        yield url


@pytest.fixture
def at(browser, contracts_site):
    from tests.conftest import page_opener

    do, close = page_opener(browser, contracts_site)
    yield do
    close()


def words(days: int) -> str:
    """What a member should read, `days` before (negative: after) the last day."""
    return {1: "Expires tomorrow", 0: "Expires today", -1: "Expired yesterday"}.get(
        days, f"Expires in {days} days" if days > 1 else f"Expired {-days} days ago")


def days_shown(page) -> dict[str, str]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('article.contract')].map(
        a => [a.id, (a.querySelector('.days-left') || {}).textContent]))""")


def notices_shown(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('#home-contracts li')]
        .filter(li => li.getClientRects().length > 0).map(li => li.querySelector('a').getAttribute('href'))""")


def section_shown(page) -> bool:
    return page.evaluate("() => document.querySelector('.contracts-expiring').getClientRects().length > 0")


def moment(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHI)


@pytest.mark.parametrize("later_days", [0, 1, 2, 30, 123, 124, 125])
def test_days_until_expiry_are_right_on_later_days(at, later_days):
    when = moment(TODAY + timedelta(days=later_days))
    page = at("/contracts/", when)
    today = when.date()
    assert days_shown(page) == {"contract-soon": words((SOON - today).days),
                                "contract-later": words((LATER - today).days)}
    assert page.js_errors == []


def test_the_count_changes_at_midnight_in_the_site_zone_while_the_page_stays_open(at):
    page = at("/contracts/", moment(TODAY, 23) + timedelta(minutes=50))
    assert days_shown(page)["contract-soon"] == "Expires tomorrow"
    page.clock.run_for(20 * 60 * 1000)  # 00:10 the next day in Saint Paul
    assert days_shown(page)["contract-soon"] == "Expires today"


def test_without_javascript_the_page_says_what_the_build_said(at):
    page = at("/contracts/", moment(TODAY + timedelta(days=5)), javascript=False)
    assert days_shown(page) == {"contract-soon": "Expires tomorrow", "contract-later": words((LATER - TODAY).days)}


def test_home_notice_appears_120_days_before_and_goes_after_the_last_day(at):
    page = at("/", BUILT)
    assert notices_shown(page) == ["/contracts/#contract-soon"] and section_shown(page)
    # the end of the last day of "soon": gone; "later" not started yet (it starts LATER - 120 days)
    gap = moment(SOON + timedelta(days=1), 0) + timedelta(minutes=1)
    assert (LATER - timedelta(days=120)) > gap.date()
    page = at("/", gap)
    assert notices_shown(page) == [] and not section_shown(page)
    page = at("/", moment(LATER - timedelta(days=120), 0) + timedelta(minutes=1))
    assert notices_shown(page) == ["/contracts/#contract-later"] and section_shown(page)
    assert page.js_errors == []


def test_home_notice_turns_on_while_the_page_stays_open(at):
    page = at("/", moment(SOON + timedelta(days=1), 12))
    assert notices_shown(page) == []
    start = moment(LATER - timedelta(days=120), 0)
    page.clock.fast_forward(int((start - moment(SOON + timedelta(days=1), 12)).total_seconds() * 1000) + 60_000)
    assert notices_shown(page) == ["/contracts/#contract-later"]
