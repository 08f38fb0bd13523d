"""/calendar/ opens on this month's grid with today marked, at build time and between builds
(issue 16).  The sample site is built at SOURCE_DATE_EPOCH 1795000000: Wed 18 Nov 2026, 05:06 in
America/Chicago."""

from __future__ import annotations

from datetime import datetime, timezone






def marked(browser, url: str, moment: datetime | None, javascript: bool = True) -> tuple[str, list[str]]:
    context = browser.new_context(java_script_enabled=javascript)
    try:
        page = context.new_page()
        if moment is not None:
            page.clock.install(time=moment)
        page.goto(url + "/calendar/")
        page.wait_for_load_state("load")
        heading = page.locator("#this-month").inner_text()
        today = page.eval_on_selector_all(".month-grid td.today", "cells => cells.map(c => c.dataset.day)")
        current = page.eval_on_selector_all('.month-grid td[aria-current="date"]', "cells => cells.map(c => c.dataset.day)")
        assert today == current
        return heading, today
    finally:
        context.close()


def test_the_calendar_opens_on_this_months_grid_with_today_marked(sample_output):
    html = (sample_output / "calendar/index.html").read_text()
    assert '<h2 id="this-month">November 2026</h2>' in html
    assert 'data-day="2026-11-18" class="today" aria-current="date"' in html or \
        ('data-day="2026-11-18" class="has-items today" aria-current="date"' in html)
    assert html.count('aria-current="date"') == 1
    assert 'rel="prev"' in html and ">October 2026</a>" in html and ">December 2026<" in html
    assert html.index('id="this-month"') < html.index('id="all-months"')  # the grid, then the month list
    month = (sample_output / "calendar/2026/11/index.html").read_text()
    assert month.count('aria-current="date"') == 1
    assert 'aria-current="date"' not in (sample_output / "calendar/2026/12/index.html").read_text()


def test_between_builds_the_mark_moves_to_the_readers_today(browser, site_url):
    assert marked(browser, site_url, None, javascript=False) == ("November 2026", ["2026-11-18"])
    # 20 Nov 2026, 23:30 in Chicago is already 21 Nov in UTC: the site's own date counts
    late = datetime(2026, 11, 21, 5, 30, tzinfo=timezone.utc)
    assert marked(browser, site_url, late) == ("November 2026", ["2026-11-20"])
    assert marked(browser, site_url, datetime(2026, 11, 30, 18, 0, tzinfo=timezone.utc)) == ("November 2026", ["2026-11-30"])
    # in December the November grid has no today (the daily build brings December's)
    assert marked(browser, site_url, datetime(2026, 12, 2, 18, 0, tzinfo=timezone.utc)) == ("November 2026", [])
