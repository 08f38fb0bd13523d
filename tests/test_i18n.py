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


# -- the theme's words -----------------------------------------------------------------------
REPO = Path(__file__).resolve().parent.parent
LOCALE = REPO / "site_builder/locale"
TEMPLATES = REPO / "site_builder/theme/templates"


def _ids(path: Path) -> set[str]:
    from babel.messages.pofile import read_po

    with open(path, "rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def test_every_template_word_is_in_messages_pot(tmp_path):
    """pybabel extract over the theme (babel.cfg, as docs/languages.md says) gives exactly the shipped .pot."""
    import subprocess
    import sys

    out = tmp_path / "fresh.pot"
    run = subprocess.run([sys.executable, "-c", "from babel.messages.frontend import main; main()", "extract",
                          "-F", "babel.cfg", "--no-location", "-o", str(out), "."],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    fresh, shipped = _ids(out), _ids(LOCALE / "messages.pot")
    assert fresh - shipped == set(), "words missing from messages.pot: run the pybabel extract of docs/languages.md"
    assert shipped - fresh == set(), "messages.pot has words no template uses any more"
    assert {"All news", "Next meeting", "January", "Hybrid", "%(num)s news post"} <= shipped


_WORDS = re.compile(r"[A-Za-z]{2,}")
_SHOWN_ATTRS = re.compile(r'\b(aria-label|title|alt|placeholder|data-placeholder)="([^"{]*)"')
BRANDS = {"Google Calendar", "Outlook"}
NOT_SHOWN = {"wide", "article", "website"}  # block values: a body class, og:type


def test_no_template_shows_a_word_outside_gettext():
    """Every word between tags (and in aria-label, title, alt, placeholder) is inside _(): the
    template with its Jinja tags blanked out and its HTML tags removed has no word left."""
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        if path.parent.name == "admin":
            continue  # the editor's page is for the local's volunteers, in the editor's own language
        text = re.sub(r"{#.*?#}", "", path.read_text(encoding="utf-8"), flags=re.S)
        text = re.sub(r"{{.*?}}|{%.*?%}", "\x00", text, flags=re.S)
        text = re.sub(r"<(script|style)\b.*?</\1>", "", text, flags=re.S)
        for tag in re.findall(r"<[^>]*>", text):
            for name, value in _SHOWN_ATTRS.findall(tag):
                if _WORDS.search(value):
                    found.append(f"{path.relative_to(TEMPLATES)}: {name}={value!r}")
        for chunk in re.sub(r"<[^>]*>|&\w+;", "\x00", text).split("\x00"):
            words = " ".join(chunk.split())
            if _WORDS.search(words) and words not in BRANDS | NOT_SHOWN:
                found.append(f"{path.relative_to(TEMPLATES)}: {words!r}")
    assert found == [], found


def test_the_catalogs_cover_the_pot_spanish_complete():
    from babel.messages.pofile import read_po

    pot = _ids(LOCALE / "messages.pot")
    for code in ("es", "so", "hmn"):
        path = LOCALE / code / "LC_MESSAGES/messages.po"
        assert _ids(path) == pot, code  # every word is there for a translator to fill in
    with open(LOCALE / "es/LC_MESSAGES/messages.po", "rb") as handle:
        spanish = [m for m in read_po(handle) if m.id]
    assert [m.id for m in spanish if m.fuzzy or not all(m.string if isinstance(m.string, tuple) else (m.string,))] == []


def test_spanish_pages_speak_spanish_and_hmong_dates_come_from_its_catalog(scratch, build):
    config = LANGS.replace("  so: Soomaali\n", "  so: Soomaali\n  hmn: Hmoob\n")
    root = ml_site(scratch, {"content/calendar/main.yaml": CALENDAR}, config=config)
    run = build(root)
    assert run.code == 0, run.err
    out = root / "output"
    home = (out / "es/index.html").read_text()
    assert "Últimas noticias" in home and "Saltar al contenido principal" in home and "Latest news" not in home
    event = (out / "es/events/rally/index.html").read_text()
    assert "sáb, 12 dic 2026 · 11:00–13:00" in event and "En persona" in event and "Cuándo" in event
    hmong = (out / "hmn/events/rally/index.html").read_text()
    assert "Hnub Rau, Lub Kaum Ob Hlis 12, 2026" in hmong
    assert "How to attend" in hmong  # not translated yet: English
    somali = (out / "so/index.html").read_text()
    assert ">Wararka<" in somali  # "News" in the menu
    english = (out / "index.html").read_text()
    assert "Latest news" in english and "Últimas" not in english


def _site_catalog(code: str, entries: dict[str, str], header: bool = True) -> str:
    head = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n' if header else ""
    return head + "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in entries.items())


def test_a_new_language_with_one_catalog_builds(scratch, build):
    config = MINIMAL_CONFIG + "search: false\nlanguages:\n  en: English\n  es: Español\n  vi: {name: Tiếng Việt}\n"
    root = ml_site(scratch, {"locale/vi.po": _site_catalog("vi", {"Latest news": "Tin mới nhất"}),
                             "content/pages/about.vi.md": PAGE.format(title="Giới thiệu", body="Chúng tôi."),
                             "content/posts/strike-vote.vi.md": post("Bỏ phiếu đình công")},
                   config=config)
    run = build(root, "--strict")
    assert run.code == 0, run.err
    home = (root / "output/vi/index.html").read_text()
    assert "Tin mới nhất" in home and '<html lang="vi">' in home and "All news" in home  # the rest: English
    assert links(root / "output/vi/about/index.html").alternates["vi"] == "https://example.org/vi/about/"
    assert "thg 1" in (root / "output/vi/news/index.html").read_text()  # Babel's Vietnamese dates (CLDR)


def test_hostile_and_broken_translations_cannot_harm_the_pages(scratch, build):
    catalog = _site_catalog("es", {
        "Latest news": "<script>alert(1)</script> {{ config }} & más",
        "All news": "Todas %(oops)s",
        "News": "100% noticias",
        "Page %(number)s of %(total)s": "Página %(number)s",
        "Older": "A" * 5000,
        "Newer": "Más %s",
        "Menu": "100%% menú",
    })
    root = ml_site(scratch, {"locale/es.po": catalog})
    run = build(root)
    assert run.code == 0, run.err
    home = (root / "output/es/index.html").read_text()
    assert "<script>alert(1)</script>" not in home
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ config }} &amp; más" in home
    assert "Todas las noticias" in home  # the broken entry falls back to the theme's Spanish
    assert "locale/es.po:" in run.err and "the translation of 'All news' must keep its placeholders" in run.err
    assert "the translation of 'News' must keep its placeholders" in run.err  # a lone %
    assert "the translation of 'Page %(number)s of %(total)s' must keep its placeholders" in run.err
    assert "the translation of 'Newer' must keep its placeholders" in run.err
    assert "100% menú" in home and "Menu'" not in run.err
    malformed = ml_site(scratch, {"locale/es.po": 'msgid "News"\nmsgstr "Noticias\n\nmsgid "x"\n'})
    run = build(malformed)
    assert run.code == 0, run.err
    assert "locale/es.po:" in run.err and "not a readable gettext catalog" in run.err
    assert "Últimas noticias" in (malformed / "output/es/index.html").read_text()  # the theme's catalog still


def test_fuzzy_and_empty_entries_stay_english(scratch, build):
    catalog = 'msgid ""\nmsgstr ""\n\n#, fuzzy\nmsgid "Latest news"\nmsgstr "Noticias quizás"\n\nmsgid "All news"\nmsgstr ""\n'
    config = LANGS.replace("  so: Soomaali\n", "  vi: Tiếng Việt\n")
    root = ml_site(scratch, {"locale/vi.po": catalog}, config=config)
    assert build(root).code == 0
    home = (root / "output/vi/index.html").read_text()
    assert "Latest news" in home and "quizás" not in home and "All news" in home


# -- calendar entries and alerts -------------------------------------------------------------
CALENDAR = """
events:
  - id: rally
    title: Winter rally
    start: 2026-12-12 11:00
    duration: 2 hours
    description: Bring a friend.
    translations:
      es: {title: Manifestación de invierno, description: Traiga a un amigo.}
      fr: {title: Manif}
meetings:
  - id: general
    title: General membership meeting
    repeat: first Tuesday monthly
    time: 18:30
    duration: 1 hour
    from: 2026-01-06
    until: 2026-12-31
    override:
      - {date: 2026-03-03, note: In the big hall, translations: {es: {note: En el salón grande}}}
    translations:
      es: {title: Asamblea general de miembros}
closures:
  - id: new-year
    name: New Year's Day
    when: January 1
    translations: {es: {title: Año Nuevo}}
"""


def test_a_translated_calendar_feed_has_spanish_titles_the_same_dates_and_its_own_uids(scratch, build):
    import icalendar
    import recurring_ical_events

    root = ml_site(scratch, {"content/calendar/main.yaml": CALENDAR})
    run = build(root)
    assert run.code == 0, run.err
    assert "content/calendar/main.yaml:" in run.err and "'fr' is not one of the site's other languages (es, so)" in run.err
    out = root / "output"

    def occurrences(path: str) -> dict:
        cal = icalendar.Calendar.from_ical((out / path).read_bytes())
        found = recurring_ical_events.of(cal).between((2026, 1, 1), (2027, 1, 2))
        return {(str(e["UID"]), e["DTSTART"].dt.isoformat()): (str(e["SUMMARY"]), str(e.get("DESCRIPTION", "")))
                for e in found}

    english, spanish = occurrences("calendar.ics"), occurrences("es/calendar.ics")
    assert len(english) == len(spanish) > 12
    assert {(uid.replace(".es@", "@"), start) for uid, start in spanish} == set(english)  # the same dates
    assert ("event-rally.es@example.org", "2026-12-12T11:00:00-06:00") in spanish
    assert spanish["event-rally.es@example.org", "2026-12-12T11:00:00-06:00"][0] == "Manifestación de invierno"
    assert english["event-rally@example.org", "2026-12-12T11:00:00-06:00"][0] == "Winter rally"
    titles = {title for title, _ in spanish.values()}
    assert "Asamblea general de miembros" in titles and "General membership meeting" not in titles
    assert any("Año Nuevo" in t for t in titles) and not any("New Year" in t for t in titles)
    march = spanish["meeting-general.es@example.org", "2026-03-03T18:30:00-06:00"]
    assert "En el salón grande" in march[1] or "En el salón grande" in (out / "es/meetings/index.html").read_text()
    # Somali has no translations: the English titles, its own UIDs
    somali = occurrences("so/calendar.ics")
    assert somali["event-rally.so@example.org", "2026-12-12T11:00:00-06:00"][0] == "Winter rally"
    page = (out / "es/events/rally/index.html").read_text()
    assert "Manifestación de invierno" in page and "Traiga a un amigo." in page
    assert "Bring a friend." in (out / "events/rally/index.html").read_text()


def test_a_translated_alert(scratch, build):
    alert = ("---\ntitle: Call your senator\nlink: tel:+16515550100\nlink_text: Call now\ntranslations:\n"
             "  es: {title: Llame a su senador, description: Pida que apoye la ley., link_text: Llame ahora}\n---\n"
             "Ask for support of the act.\n")
    root = ml_site(scratch, {"content/alerts/senator.md": alert})
    assert build(root).code == 0
    spanish = (root / "output/es/act/index.html").read_text()
    assert "Llame a su senador" in spanish and "Pida que apoye la ley." in spanish and "Llame ahora" in spanish
    english = (root / "output/act/index.html").read_text()
    assert "Call your senator" in english and "Ask for support" in english and "Llame" not in english
    assert "Llame a su senador" in (root / "output/es/index.html").read_text()  # the banner too


def test_translations_without_languages_are_a_warning(scratch, build):
    events = "events:\n  - id: x\n    title: X\n    start: 2026-12-12 11:00\n    duration: 1 hour\n    translations: {es: {title: Equis}}\n"
    run = build(scratch({"content/calendar/e.yaml": events}))
    assert run.code == 0
    assert "content/calendar/e.yaml:6: events[\"x\"].translations: warning: the site has one language" in run.err


def test_about_md_and_about_en_md_are_the_same_page(scratch, build):
    """The editor (Decap's multiple_files) names the default language's file about.en.md: it is the
    English about; with about.md beside it, one of them must go."""
    root = ml_site(scratch, {"content/pages/benefits.en.md": PAGE.format(title="Benefits (editor)", body="x")})
    run = build(root)
    assert run.code != 0
    assert "content/pages/benefits.md:1: slug: the page slug 'benefits' is already used by content/pages/benefits.en.md" in run.err
    (root / "content/pages/benefits.en.md").rename(root / "content/pages/history.en.md")
    run = build(root)
    assert run.code == 0, run.err
    assert (root / "output/history/index.html").is_file() and not (root / "output/history-en").exists()


def test_long_names_and_translations_stay_in_their_page(scratch, build):
    config = LANGS.replace("  so: Soomaali\n", "  so: " + "Soomaali " * 40 + "\n")
    root = ml_site(scratch, {"locale/es.po": _site_catalog("es", {"Latest news": "Noticias " * 300})}, config=config)
    assert build(root).code == 0
    home = (root / "output/es/index.html").read_text()
    assert home.count("Noticias Noticias") > 100 and "Soomaali Soomaali" in home


# -- the sample site (English, Spanish, Somali, Hmong) ---------------------------------------------
def test_the_sample_sites_feeds_in_every_language(sample_output):
    for lang in ("", "es/", "so/", "hmn/"):
        main = feedparser.parse((sample_output / f"{lang}feed.xml").read_bytes())
        assert not main.bozo, lang
        assert main.feed.language == (lang.rstrip("/") or "en")
        assert main.feed.link == f"https://example.org/{lang}news/"
        tags = sorted((sample_output / lang / "tags").glob("*/feed.xml"))
        for feed in tags:
            assert not feedparser.parse(feed.read_bytes()).bozo, feed
    spanish = feedparser.parse((sample_output / "es/feed.xml").read_bytes())
    titles = [e.title for e in spanish.entries]
    assert "Bienvenidos al nuevo sitio web del Local 12 de OPEIU" in titles  # the translation
    assert "Welcome to the new OPEIU Local 12 website" not in titles  # not beside it
    assert len(titles) > 5  # show_untranslated: the English posts too, linked to their pages
    assert all(e.link.startswith(("https://example.org/es/news/", "https://example.org/news/")) for e in spanish.entries)
    assert feedparser.parse((sample_output / "so/feed.xml").read_bytes()).entries == []


def test_the_sample_sites_hreflang_pairs(sample_output):
    pages = sorted(sample_output.rglob("index.html"))
    assert len(pages) > 200
    for page in pages:
        found = links(page)
        for code, href in found.alternates.items():
            other = sample_output / href.removeprefix("https://example.org/") / "index.html"
            assert links(other).alternates == found.alternates, (page, other)
    assert set(links(sample_output / "organize/index.html").alternates) == {"en", "es", "x-default"}
    assert set(links(sample_output / "meetings/index.html").alternates) == {"en", "es", "so", "hmn", "x-default"}
