"""The sample site in a real browser: Chromium from Debian, driven by Playwright.

axe-core finds no accessibility violations at phone and desktop widths; the keyboard alone
reaches the skip link, sees where focus is and opens and closes the menu; search finds a post.
Screenshots of every checked page land in test-artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import pytest

from tests.conftest import REPO, require_tool

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = REPO / "test-artifacts" / "screenshots"
PHONE, DESKTOP = 390, 1280
PAGES = {
    "home": "/",
    "post": "/news/healthpartners-tentative-agreement/",
    "tag": "/tags/healthpartners/",
    "event": "/events/winter-solidarity-rally-2026/",
    "month": "/calendar/2026/12/",
    "closures": "/closures/",
    "search": "/search/",
    "meetings": "/meetings/",
    "topics": "/tags/",
    "contact": "/contact/",
    "cancelled-event": "/events/organizing-training-2026-12/",
    "calendar": "/calendar/",
    "not-found": "/404.html",
    "act": "/act/",  # action alerts (every page above also has the alert banner)
    "series": "/series/kaiser-national-bargaining-2025/",
    "contracts": "/contracts/",
    "post-with-attachment": "/news/healthpartners-contract-extension-vote/",
    # the Spanish part of the site (docs/languages.md), and a month in Hmong (its catalog's month names)
    "es-home": "/es/",
    "es-about": "/es/about/",
    "es-post": "/es/news/welcome-to-our-new-website/",
    "es-event": "/es/events/winter-solidarity-rally-2026/",
    "es-search": "/es/search/",
    "es-closures": "/es/closures/",
    "hmn-month": "/hmn/calendar/2026/12/",
}


@pytest.fixture
def open_page(open_at):
    """open_page(path, width): as a member's browser shows it, with animations reduced."""
    return lambda path, width, javascript=True: open_at(path, None, javascript, width, "reduce")


def _wait_for_search_ui(page) -> None:
    page.wait_for_selector(".pagefind-ui__search-input[aria-label]", timeout=10_000)


@pytest.mark.parametrize("width", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_violations(open_page, name, width):
    require_tool(str(AXE))
    page = open_page(PAGES[name], width)
    if name.endswith("search"):
        _wait_for_search_ui(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{'phone' if width == PHONE else 'desktop'}.png"), full_page=True)
    page.evaluate(AXE.read_text(encoding="utf-8"))  # (as the devtools run it: a <script> would be refused by the page's policy)
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(
               v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`)"""
    )
    assert violations == []
    assert page.js_errors == []


def _focused(page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement, s = getComputedStyle(el), r = el.getBoundingClientRect();
            return {id: el.id, cls: el.className, text: el.textContent.trim(), tag: el.tagName,
                    outline: s.outlineStyle !== "none" ? parseFloat(s.outlineWidth) : 0,
                    shadow: s.boxShadow !== "none", visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight,
                    focusVisible: el.matches(":focus-visible")};
        }"""
    )


def test_tab_reaches_the_skip_link_first_and_it_moves_focus_to_main(open_page):
    page = open_page("/news/healthpartners-tentative-agreement/", DESKTOP)
    page.keyboard.press("Tab")
    first = _focused(page)
    assert "skip-link" in first["cls"] and first["visible"] and first["focusVisible"]
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == "main"
    page.keyboard.press("Tab")  # the next stop is inside the main content, not the header
    assert page.evaluate("() => document.getElementById('main').contains(document.activeElement)")


@pytest.mark.parametrize("width", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_keyboard_focus_is_always_visible(open_page, width):
    page = open_page("/", width)
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        state = _focused(page)
        seen.append(state)
        assert state["focusVisible"], state
        assert state["outline"] >= 2 or state["shadow"], f"no visible focus indicator on {state}"
    assert {s["tag"] for s in seen} >= {"A"}


def test_phone_menu_opens_and_closes_with_the_keyboard(open_page):
    page = open_page("/", PHONE)
    toggle, news = page.locator(".menu-toggle"), page.locator("#site-menu a", has_text="News")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not news.is_visible()
    for _ in range(5):
        page.keyboard.press("Tab")
        if _focused(page)["cls"] == "menu-toggle":
            break
    assert _focused(page)["cls"] == "menu-toggle"
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true" and news.is_visible()
    page.keyboard.press("Tab")
    assert _focused(page)["text"] == "News"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    assert toggle.get_attribute("aria-expanded") == "false" and not news.is_visible()
    page.keyboard.press("Enter")
    assert news.is_visible()
    page.keyboard.press("Escape")  # Escape closes it too and leaves focus on the button
    assert not news.is_visible() and _focused(page)["cls"] == "menu-toggle"


def test_menu_is_a_visible_list_without_javascript(open_page):
    page = open_page("/", PHONE, javascript=False)
    assert not page.locator(".menu-toggle").is_visible()
    for label in ("News", "Events", "Meetings", "Closures", "Topics", "About Local 12"):
        assert page.locator("#site-menu a", has_text=label).first.is_visible(), label


LAYOUT_SHIFTS = """() => new Promise(done => {
  let total = 0;
  new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value; })
    .observe({type: 'layout-shift', buffered: true});
  setTimeout(() => done(total), 300);
})"""


@pytest.mark.parametrize("path", ["/", "/es/", "/meetings/", PAGES["event"]])
@pytest.mark.parametrize("scripts", ["late", "off"])
def test_a_phone_page_does_not_move_when_its_scripts_run_late_or_not_at_all(browser, site_url, path, scripts):
    """Issue 24: until menu.js ran, the whole menu was shown open (the header 399 px tall), then
    it collapsed and the page moved up some 300 px (Lighthouse: CLS 0.31).  The layout shifts
    Chromium records while the page loads, with every script held back 1.5 s (or none run),
    add up to nothing; the header is as tall before the scripts as after."""
    from datetime import datetime, timezone

    from tests.conftest import EPOCH

    context = browser.new_context(viewport={"width": PHONE, "height": 844}, java_script_enabled=scripts == "late")
    # (read the day it was built, as Lighthouse reads a fresh build: pages read weeks later are
    # corrected by live.js, which is another matter)
    context.clock.install(time=datetime.fromtimestamp(int(EPOCH), timezone.utc))
    try:
        page = context.new_page()
        if scripts == "late":
            def late(route):
                page.wait_for_timeout(1500)
                route.continue_()
            page.route("**/*.js", late)
        page.goto(site_url + path, wait_until="commit")
        page.wait_for_selector("main")
        if scripts == "off":
            page.wait_for_load_state("load")
            assert page.locator("#site-menu a").first.is_visible()  # (no-script.css: the plain list)
            assert not page.locator(".menu-toggle").is_visible()
            return  # (no script runs: nothing can move the page after its first layout)
        # (as the browser first paints it: with the stylesheet, before any script)
        page.wait_for_function("getComputedStyle(document.querySelector('.menu')).display === 'grid'")
        assert page.evaluate("document.querySelector('.menu-toggle').getAttribute('aria-expanded')") == "false"
        before = page.evaluate("() => document.querySelector('.site-header').getBoundingClientRect().height")
        page.wait_for_load_state("load")
        page.wait_for_function("document.querySelector('.menu-toggle').getAttribute('aria-expanded') === 'false'")
        after = page.evaluate("() => document.querySelector('.site-header').getBoundingClientRect().height")
        assert before == after < 200, (before, after)
        assert page.evaluate(LAYOUT_SHIFTS) < 0.01
    finally:
        context.close()


def test_desktop_shows_the_menu_without_a_toggle(open_page):
    page = open_page("/", DESKTOP)
    assert not page.locator(".menu-toggle").is_visible()
    assert page.locator("#site-menu a", has_text="Closures").is_visible()


def test_search_for_a_word_from_one_post_finds_that_post(open_page):
    page = open_page("/search/", PHONE)
    _wait_for_search_ui(page)
    page.fill(".pagefind-ui__search-input", "ratification")
    page.wait_for_selector(".pagefind-ui__result-link", timeout=10_000)
    links = page.eval_on_selector_all(".pagefind-ui__result-link", "els => els.map(e => e.getAttribute('href'))")
    assert links[0] == "/news/healthpartners-tentative-agreement/"
    page.screenshot(path=str(SHOTS / "search-results-phone.png"), full_page=True)
    assert page.js_errors == []


def test_search_finds_the_contracts_page_by_a_word_only_it_has(open_page):
    page = open_page("/search/", DESKTOP)
    _wait_for_search_ui(page)
    page.fill(".pagefind-ui__search-input", "furloughs")  # only in content/contracts.yaml
    page.wait_for_selector(".pagefind-ui__result-link", timeout=10_000)
    links = page.eval_on_selector_all(".pagefind-ui__result-link", "els => els.map(e => e.getAttribute('href'))")
    assert links[0] == "/contracts/" and all(link.startswith("/contracts/") for link in links)  # (and its sections)


def test_search_page_runs_the_query_from_the_address(open_page):
    page = open_page("/search/?q=ratification", DESKTOP)
    page.wait_for_selector(".pagefind-ui__result-link", timeout=10_000)
    # (the sample is multilingual: Pagefind indexes by <html lang>, and ranks the English pages a little
    # differently than when it was told all pages are English)
    page.wait_for_function("document.querySelectorAll('.pagefind-ui__result-link').length >= 2")
    links = page.eval_on_selector_all(".pagefind-ui__result-link", "els => els.map(e => e.getAttribute('href'))")
    assert "/news/healthpartners-tentative-agreement/" in links[:3], links
    assert not any(link.startswith("/es/") for link in links), links  # the English search finds English pages


def test_search_page_explains_itself_without_javascript(open_page):
    page = open_page("/search/", PHONE, javascript=False)
    assert page.get_by_text("needs JavaScript").is_visible()


def test_event_page_prints_as_a_flyer(open_page, tmp_path):
    page = open_page("/events/healthpartners-strike-school-2026-04-09/", DESKTOP)
    page.emulate_media(media="print")
    assert not page.locator("#site-menu").is_visible()
    assert not page.locator(".site-footer").is_visible()
    assert not page.locator(".add-to-calendar").is_visible()
    printed_url = page.locator(".event-facts .url-print").first
    assert printed_url.is_visible() and "docs.google.com/forms" in printed_url.inner_text()
    title_size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    assert title_size >= 40  # 34pt
    pdf = tmp_path / "flyer.pdf"
    page.pdf(path=str(pdf), format="Letter")
    assert pdf.stat().st_size > 1000


def test_the_language_switcher_leads_to_the_same_page_in_spanish_and_back(open_page):
    page = open_page("/about/", DESKTOP)
    switcher = page.locator("nav.language-switcher")
    assert switcher.get_attribute("aria-label") == "Languages"
    page.click("nav.language-switcher a[lang=es]")
    page.wait_for_url("**/es/about/")
    assert page.evaluate("document.documentElement.lang") == "es"
    assert page.locator("h1").inner_text() == "Quiénes somos: el Local 12"
    assert page.locator("nav.language-switcher").get_attribute("aria-label") == "Idiomas"
    assert page.locator("nav.language-switcher a[aria-current]").inner_text() == "Español"
    page.click("nav.language-switcher a[lang=en]")
    page.wait_for_url("**/about/")
    assert page.locator("h1").inner_text() == "About Local 12"
    # a page Somali has no translation of: its home page
    page.click("nav.language-switcher a[lang=so]")
    page.wait_for_url("**/so/")
    assert page.evaluate("document.documentElement.lang") == "so"
    assert page.js_errors == []


def test_spanish_search_finds_spanish_pages(open_page):
    page = open_page("/es/search/?q=sindicato", DESKTOP)
    _wait_for_search_ui(page)
    page.wait_for_selector(".pagefind-ui__result-link", timeout=10_000)
    links = page.eval_on_selector_all(".pagefind-ui__result-link", "els => els.map(e => e.getAttribute('href'))")
    assert links and all(link.startswith("/es/") for link in links), links
    assert page.js_errors == []
