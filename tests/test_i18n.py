"""Multilingual sites (docs/languages.md): language folders, translations, hreflang, catalogs."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import feedparser

from tests.conftest import MINIMAL_CONFIG, post

LANGS = MINIMAL_CONFIG + """
search: false
languages:
  en: {name: English}
  es: {name: Español, show_untranslated: true}
  so: Soomaali
"""

PAGE = "---\ntitle: {title}\nmenu: 1\n---\n{body}\n"


def ml_site(scratch, extra: dict | None = None, config: str = LANGS) -> Path:
    return scratch({
        "content/pages/about.md": PAGE.format(title="About us", body="We are Local 12."),
        "content/pages/about.es.md": PAGE.format(title="Quiénes somos", body="Somos el Local 12."),
        "content/pages/benefits.md": PAGE.format(title="Benefits", body="Dental."),
        "content/posts/strike-vote.md": post("Strike vote set", tags="[strike]"),
        "content/posts/strike-vote.es.md": post("Votación de huelga", tags="[strike]"),
        "content/posts/picnic.md": post("Summer picnic", date="2026-01-04", tags="[social]"),
        **(extra or {}),
    }, config=config)


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.alternates: dict[str, str] = {}
        self.lang = None
        self.switcher: dict[str, str] = {}
        self._in_switcher = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "link" and a.get("rel") == "alternate" and "hreflang" in a:
            self.alternates[a["hreflang"]] = a["href"]
        if tag == "nav" and "language-switcher" in (a.get("class") or ""):
            self._in_switcher = True
        if tag == "a" and self._in_switcher:
            self.switcher[a["lang"]] = a["href"]

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_switcher = False


def links(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_each_language_has_its_folder_home_news_tags_and_feeds(scratch, build):
    root = ml_site(scratch)
    run = build(root)
    assert run.code == 0, run.err
    out = root / "output"
    for lang in ("es", "so"):
        for path in ("index.html", "news/index.html", "tags/index.html", "feed.xml"):
            assert (out / lang / path).is_file(), (lang, path)
    assert links(out / "es/index.html").lang == "es" and links(out / "index.html").lang == "en"
    assert "Quiénes somos" in (out / "es/about/index.html").read_text()
    # the translated post has its page in /es/; the untranslated one is listed (show_untranslated) and links home
    assert (out / "es/news/strike-vote/index.html").is_file()
    assert not (out / "es/news/picnic/").exists()
    news = (out / "es/news/index.html").read_text()
    assert 'href="/es/news/strike-vote/"' in news and 'href="/news/picnic/"' in news
    # so: no show_untranslated, so nothing is listed; its menu still links the English pages
    so_news = (out / "so/news/index.html").read_text()
    assert "Summer picnic" not in so_news and "Strike vote" not in so_news
    assert 'href="/about/"' in (out / "so/index.html").read_text()
    feed = feedparser.parse((out / "es/feed.xml").read_bytes())
    assert not feed.bozo and feed.feed.language == "es"
    assert [e.link for e in feed.entries] == ["https://example.org/es/news/strike-vote/", "https://example.org/news/picnic/"]
    assert feedparser.parse((out / "so/feed.xml").read_bytes()).entries == []
    sitemap = (out / "sitemap.xml").read_text()
    assert "<loc>https://example.org/es/about/</loc>" in sitemap and "<loc>https://example.org/so/</loc>" in sitemap
    assert not (out / "es/404.html").exists() and (out / "404.html").is_file()


def test_hreflang_pairs_are_reciprocal_with_x_default(scratch, build):
    root = ml_site(scratch)
    assert build(root).code == 0
    out = root / "output"
    pages = sorted(out.rglob("index.html"))
    seen = 0
    for page in pages:
        found = links(page)
        if not found.alternates:
            continue
        here = "https://example.org/" + page.relative_to(out).as_posix()[: -len("index.html")]
        assert here in found.alternates.values(), page
        assert found.alternates["x-default"] == found.alternates.get("en", next(iter(found.alternates.values())))
        for code, href in found.alternates.items():
            other = out / href.removeprefix("https://example.org/") / "index.html"
            assert other.is_file(), (page, href)
            assert links(other).alternates == found.alternates, (page, other)
            if code != "x-default":
                assert links(other).lang == code
        seen += 1
    assert seen > 10
    about = links(out / "about/index.html").alternates
    assert about == {"en": "https://example.org/about/", "es": "https://example.org/es/about/",
                     "x-default": "https://example.org/about/"}
    assert links(out / "benefits/index.html").alternates == {}  # no translation: nothing to point to


def test_the_switcher_leads_to_the_same_page_or_that_languages_home(scratch, build):
    root = ml_site(scratch)
    assert build(root).code == 0
    out = root / "output"
    assert links(out / "about/index.html").switcher == {"en": "/about/", "es": "/es/about/", "so": "/so/"}
    assert links(out / "es/about/index.html").switcher == {"en": "/about/", "es": "/es/about/", "so": "/so/"}
    assert links(out / "benefits/index.html").switcher == {"en": "/benefits/", "es": "/es/", "so": "/so/"}
    assert links(out / "so/news/index.html").switcher == {"en": "/news/", "es": "/es/news/", "so": "/so/news/"}


def test_a_site_without_languages_has_no_switcher_nor_folders(scratch, build):
    root = scratch({"content/pages/about.md": PAGE.format(title="About", body="x"),
                    "content/pages/about.es.md": PAGE.format(title="Sobre", body="y")})
    assert build(root).code == 0
    out = root / "output"
    assert not (out / "es").exists()
    assert (out / "about-es/index.html").is_file()  # as before: a page of its own
    text = (out / "about/index.html").read_text()
    assert "hreflang" not in text and "language-switcher" not in text


def test_translation_without_original_and_unknown_language_are_warnings(scratch, build):
    root = ml_site(scratch, {"content/pages/history.es.md": PAGE.format(title="Historia", body="x"),
                             "content/pages/history-fr.fr.md": PAGE.format(title="Histoire", body="x")})
    run = build(root)
    assert run.code == 0, run.err
    assert "content/pages/history.es.md:1: warning: a translation of the page 'history'" in run.err
    assert "content/pages/history-fr.fr.md:1: warning: 'fr' is not one of the site's languages (en, es, so)" in run.err
    assert (root / "output/es/history/index.html").is_file() and not (root / "output/history").exists()
    assert (root / "output/history-fr-fr/index.html").is_file()


def test_language_codes_that_cannot_be_folders_are_refused(scratch, build):
    bad = MINIMAL_CONFIG + "languages:\n  en: English\n  act: Action\n  Es: Español\n  es-MX: México\n"
    run = build(scratch(config=bad))
    assert run.code != 0
    assert "config.yaml:6: languages.act: /act/ is a folder the site uses itself" in run.err
    assert "config.yaml:7: languages.Es: 'Es' is not a language code" in run.err
    assert "config.yaml:8: languages.es-MX: 'es-MX' is not a language code" in run.err
    missing = MINIMAL_CONFIG + "languages:\n  es: {name: Español}\n  so: {name: Soomaali}\n"
    run = build(scratch(config=missing))
    assert run.code != 0 and "languages: must list the default language 'en'" in run.err
    no_name = MINIMAL_CONFIG + "languages:\n  en: English\n  es: {show_untranslated: true}\n"
    run = build(scratch(config=no_name))
    assert run.code != 0 and "config.yaml:6: languages.es.name: required" in run.err


def test_a_page_or_static_folder_where_a_language_goes_is_refused(scratch, build):
    root = ml_site(scratch, {"content/pages/es.md": PAGE.format(title="Español", body="x"),
                             "static/so/flyer.pdf": "pdf"})
    run = build(root)
    assert run.code != 0
    assert "content/pages/es.md:1: slug: /es/ is where the pages in 'es' go" in run.err
    assert "static/so/flyer.pdf:1: /so/ is where the pages in that language go" in run.err


def test_a_tag_named_like_a_language_is_fine(scratch, build):
    root = ml_site(scratch, {"content/posts/es.md": post("Spanish classes", tags="[es]")})
    assert build(root).code == 0
    assert (root / "output/tags/es/index.html").is_file()


def test_no_translation_is_rendered_twice_nor_lost(scratch, build):
    root = ml_site(scratch)
    assert build(root).code == 0
    files = {p.relative_to(root / "output").as_posix() for p in (root / "output").rglob("index.html")}
    assert {"about/index.html", "es/about/index.html", "news/strike-vote/index.html",
            "es/news/strike-vote/index.html"} <= files
    assert "so/about/index.html" not in files and "es/benefits/index.html" not in files
    english = (root / "output/news/index.html").read_text()
    assert "Votación" not in english and re.search(r"Strike vote set", english)
