"""The default theme: readable brand colours, overrides, social tags, favicon, print, no external requests."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_CONFIG, REPO, post

THEME = REPO / "site_builder" / "theme"
VARS = re.compile(r"--(primary|on-primary|link|accent|on-accent): (#[0-9a-fA-F]{6});")


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def palette(html: str) -> dict[str, str]:
    return dict(VARS.findall(html))


def test_contrast_formula():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_sample_site_colours_pass_wcag_aa(sample_output):
    colours = palette((sample_output / "index.html").read_text())
    assert colours["primary"] == "#6b1d7a" and colours["on-primary"] == "#ffffff"
    assert contrast(colours["on-primary"], colours["primary"]) >= 4.5
    assert contrast(colours["on-accent"], colours["accent"]) >= 4.5
    assert contrast(colours["link"], "#ffffff") >= 4.5


@pytest.mark.parametrize("primary, accent, on_primary, link", [
    ("#6b1d7a", "#f2b705", "#ffffff", "#6b1d7a"),  # the default: white on purple, purple links
    ("#ffd700", "#003366", "#000000", "#1d1d1f"),  # a light brand colour: black text; links fall back to dark
    ("#777777", "#777777", "#000000", "#1d1d1f"),  # mid grey fails 4.5:1 with white: black text, dark links
    ("#0057b8", "#ffffff", "#ffffff", "#0057b8"),
    ("#c8102e", "#000000", "#ffffff", "#c8102e"),
])
def test_any_brand_colour_gets_readable_text(scratch, build, primary, accent, on_primary, link):
    root = scratch(config=MINIMAL_CONFIG + f'theme:\n  primary_color: "{primary}"\n  accent_color: "{accent}"\n')
    assert build(root).code == 0
    colours = palette((root / "output/index.html").read_text())
    assert (colours["primary"], colours["on-primary"], colours["link"]) == (primary, on_primary, link)
    assert contrast(colours["on-primary"], primary) >= 4.5  # header text, buttons
    assert contrast(colours["on-accent"], accent) >= 4.5  # office-closed notice, badges, skip link
    assert contrast(colours["link"], "#ffffff") >= 4.5  # links in the text
    text_colours = dict(re.findall(r"--(text|muted|bg|surface|line): (#[0-9a-f]{6});", (THEME / "static/css/site.css").read_text()))
    assert contrast(text_colours["text"], text_colours["bg"]) >= 7
    assert contrast(text_colours["muted"], text_colours["surface"]) >= 4.5


def test_site_overrides_a_template_and_adds_css_without_copying_the_theme(scratch, build):
    root = scratch({
        "templates/partials/footer.html": "<p class=\"ours\">Printed in-house by {{ config.title }} members</p>\n",
        "templates/404.html": "{% extends \"base.html\" %}{% block main %}<h1>Lost? Ask a steward.</h1>{% endblock %}\n",
        "static/css/local.css": ".ours { font-weight: 700; }\n",
        "content/posts/a.md": post("A post"),
    }, config=MINIMAL_CONFIG + "theme:\n  extra_css: [/css/local.css]\n")
    assert build(root).code == 0
    out = root / "output"
    home = (out / "index.html").read_text()
    assert '<p class="ours">Printed in-house by Test Local members</p>' in home
    assert "News feed (RSS)" not in home  # the theme's footer is replaced, not added to
    assert "Lost? Ask a steward." in (out / "404.html").read_text()
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)">', home)
    assert links == ["/css/site.css", "/css/local.css", "/css/no-script.css"]  # the site's CSS after the theme's
    assert '<noscript><link rel="stylesheet" href="/css/no-script.css"></noscript>' in home  # (scripts off only)
    assert (out / "css/local.css").read_text() == ".ours { font-weight: 700; }\n"
    assert (out / "css/site.css").read_bytes() == (THEME / "static/css/site.css").read_bytes()
    assert not (root / "templates/base.html").exists()


def test_sample_site_demonstrates_the_overrides(sample_output):
    home = (sample_output / "index.html").read_text()
    assert 'class="local-footer"' in home and 'href="/css/local.css"' in home
    assert (sample_output / "css/local.css").is_file()
    assert '<img src="/images/logo.svg" alt="" width="40" height="40">' in home


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def meta(html: str) -> dict[str, str]:
    return {a.get("property") or a.get("name"): a.get("content", "") for t, a in tags_of(html)
            if t == "meta" and (a.get("property") or a.get("name"))}


def test_open_graph_and_twitter_tags(scratch, build):
    root = scratch({
        "content/posts/with-image.md": post("Strike vote results", tags="[healthpartners]", image="/images/vote.jpg",
                                            summary="Members voted 94% to authorize a strike."),
        "content/posts/plain.md": post("Plain news", date="2026-01-04"),
    })
    assert build(root).code == 0
    out = root / "output"
    m = meta((out / "news/with-image/index.html").read_text())
    assert m["og:type"] == "article" and m["og:title"] == "Strike vote results"
    assert m["og:description"] == "Members voted 94% to authorize a strike."
    assert m["og:url"] == "https://example.org/news/with-image/"
    assert m["og:image"] == m["twitter:image"] == "https://example.org/images/vote.jpg"
    assert m["twitter:card"] == "summary_large_image" and m["og:site_name"] == "Test Local"
    assert m["article:published_time"].startswith("2026-01-05") and m["article:tag"] == "healthpartners"
    plain = meta((out / "news/plain/index.html").read_text())
    assert plain["twitter:card"] == "summary" and "og:image" not in plain
    home = meta((out / "index.html").read_text())
    assert home["og:type"] == "website" and home["og:title"] == "Test Local"


def test_every_page_has_social_tags_a_favicon_and_only_local_assets(sample_output):
    assert (sample_output / "favicon.svg").read_text().startswith("<svg")
    pages = sorted(sample_output.rglob("*.html"))
    for path in pages:
        html = path.read_text()
        m = meta(html)
        assert m.get("og:type") in ("website", "article"), path
        assert m.get("og:title") and m.get("twitter:card"), path
        tags = tags_of(html)
        assert ("link", {"rel": "icon", "href": "/favicon.svg", "type": "image/svg+xml"}) in tags, path
        for tag, attrs in tags:
            src = attrs.get("src") if tag in ("script", "img") else attrs.get("href") if tag == "link" and attrs.get("rel") in ("stylesheet", "icon", "preload") else None
            assert src is None or src.startswith("/") and not src.startswith("//"), f"{path}: external {src}"
    event = meta((sample_output / "events/winter-solidarity-rally-2026/index.html").read_text())
    assert event["og:type"] == "article" and event["og:description"].startswith("Sat, Dec 5, 2026 · 11 am–1 pm")
    for css in (THEME / "static").rglob("*.css"):
        text = css.read_text()
        assert "@import" not in text and not re.search(r"url\(\s*['\"]?(https?:)?//", text), css
    for js in (THEME / "static").rglob("*.js"):
        assert not re.search(r"https?://", js.read_text()), js


def test_search_marks_the_pages_members_look_for_and_not_the_lists_of_news(sample_output):
    """Posts, pages, events and the calendar pages a member searches for ("meeting", "christmas")
    are indexed; lists that only repeat the posts (home, news pages, topics) are not (issue 16)."""
    marked = {p.parent.relative_to(sample_output).as_posix() for p in sample_output.rglob("index.html")
              if "data-pagefind-body" in p.read_text()}
    assert "news/healthpartners-tentative-agreement" in marked
    assert "about" in marked and "events/winter-solidarity-rally-2026" in marked
    for page in ("events", "meetings", "closures", "calendar", "calendar/2026/12"):
        assert page in marked, page
    for listing in (".", "news", "news/page/2", "tags", "tags/healthpartners"):
        assert listing not in marked, listing


def test_navigation_and_skip_link(sample_output):
    html = (sample_output / "news/healthpartners-tentative-agreement/index.html").read_text()
    tags = tags_of(html)
    first_link = next(a for t, a in tags if t == "a")
    assert first_link == {"class": "skip-link", "href": "#main"}
    assert ("main", {"id": "main", "class": "wrap", "tabindex": "-1"}) in tags
    menu = html[html.index('<nav id="site-menu"'):html.index("</nav>")]
    labels = re.findall(r">([^<]+)</a>", menu)
    assert labels[:5] == ["News", "Events", "Meetings", "Closures", "Topics"] and "About Local 12" in labels
    assert '<a href="/news/" aria-current="true">News</a>' in menu
    assert '<button class="menu-toggle" type="button" aria-expanded="false" aria-controls="site-menu">' in html


def test_dates_show_the_weekday_in_the_site_timezone(sample_output):
    home = (sample_output / "index.html").read_text()
    assert re.search(r">(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [A-Z][a-z]{2} \d{1,2}, \d{4} · \d{1,2}(:\d\d)?(–\d{1,2}(:\d\d)?)? ?[ap]m<", home)
    # built on Wed Nov 18: the next closure is Thanksgiving, a week away, so no "closed" alert yet
    assert re.search(r'class="alert-when closure-next"[^>]*>Next office closure: <time datetime="2026-11-26">Thu, Nov 26</time>', home)
    assert 'class="next-up' in home


def test_print_stylesheet_makes_event_pages_flyers():
    css = (THEME / "static/css/site.css").read_text()
    printed = css[css.index("@media print"):]
    for rule in (".site-nav", ".site-footer", ".add-to-calendar", ".url-print", ".event h1"):
        assert rule in printed, rule


def test_month_grid_is_a_list_on_phones():
    css = (THEME / "static/css/site.css").read_text()
    phone = css[css.index("@media (max-width: 47.99rem) {\n  .month-grid"):]
    assert "td:not(.has-items) { display: none; }" in phone
