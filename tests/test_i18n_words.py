"""The calendar's sentences (calendar/words.py) and the code's words in the page's language."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

from site_builder import i18n
from site_builder.calendar import words
from site_builder.models import FrozenMap


def _text(path) -> str:
    html = re.sub(r"<script.*?</script>", "", path.read_text(), flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _spanish() -> words.Speech:
    data = (i18n.LOCALE_DIR / "es/LC_MESSAGES/messages.po").read_bytes()
    return i18n.speech(i18n.Words("es", FrozenMap(i18n.read_catalog(data, "es.po")[0])))


def test_the_spanish_meetings_page_says_the_series_in_spanish(sample_output):
    text = _text(sample_output / "es/meetings/index.html")
    assert "El primer miércoles de cada mes, 18:00–19:30, por Zoom; en persona en " in text
    assert " en enero, marzo, mayo, septiembre y noviembre." in text
    assert "Todos los martes, 18:30–19:30, por Zoom." in text
    assert "El tercer miércoles de marzo, junio, septiembre y diciembre, 18:00–19:30, en Carpenters Hall y por Zoom." in text
    assert "Reunión del CAT de HealthPartners: no hay reuniones los días 22 y 29 de dic." in text
    month = _text(sample_output / "es/calendar/2026/12/index.html")
    assert "Oficina cerrada: Navidad" in month and "Office closed" not in month
    for english in ("of every month", "Every Tuesday", ", on Zoom", "In person at", "No HealthPartners"):  # (the descriptions are not translated)
        assert english not in text
    home = _text(sample_output / "es/index.html")
    assert ", por Zoom" in home and ", on Zoom" not in home
    assert "First Wednesday of every month, 6–7:30 pm, on Zoom; in person at the Local 12 union office in January, " \
        "March, May, September and November." in _text(sample_output / "meetings/index.html")


def test_spanish_rules_are_whole_phrases_a_translator_ordered():
    es = _spanish()
    say = words.recurrence_sentence
    assert say("FREQ=WEEKLY;BYDAY=SA", None, es) == "Todos los sábados"
    assert say("FREQ=MONTHLY;BYDAY=2TU,4TU", None, es) == "El segundo y cuarto martes de cada mes"
    assert say("FREQ=MONTHLY;BYDAY=-1FR;INTERVAL=2", None, es) == "El último viernes de cada dos meses"
    assert say("FREQ=WEEKLY;BYDAY=MO,WE", None, es) == "Lunes y miércoles de cada semana"
    assert say("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", None, es) == "Cada dos semanas, el jueves"
    assert say("FREQ=DAILY;INTERVAL=3;COUNT=4", None, es) == "Cada 3 días, 4 veces en total"
    assert say("FREQ=YEARLY", date(2026, 12, 5), es) == "Cada año el 5 de diciembre"
    assert say("FREQ=MONTHLY;BYSETPOS=1;BYDAY=MO", None, es) == "En las fechas que siguen"
    assert words.day_list([date(2026, 12, 29), date(2027, 1, 5), date(2026, 12, 22)], es) == "22 y 29 de dic y 5 de ene"
    assert words.online_words("https://meet.google.com/x", es) == "por Google Meet"
    assert words.online_words("https://example.org/x", es) == "en línea"


def test_a_pause_of_one_date_is_one_meeting_in_spanish_too():
    from site_builder.calendar.model import MeetingSeries
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    def series(*skips: date) -> MeetingSeries:
        return MeetingSeries(id="eb", slug="eb", title="Junta Ejecutiva", rule="first Wednesday monthly",
                             rrule="FREQ=MONTHLY;BYDAY=1WE", dtstart=datetime(2025, 1, 1, 18, 0, tzinfo=ZoneInfo("America/Chicago")),
                             duration=timedelta(minutes=90), timezone="America/Chicago", skips=skips)

    es = _spanish()
    assert words.pauses(series(date(2027, 1, 6)), date(2026, 12, 1), say=es) == ("Junta Ejecutiva: no hay reunión el 6 de ene.",)
    assert words.pauses(series(date(2027, 1, 6), date(2027, 2, 3)), date(2026, 12, 1), say=es) == (
        "Junta Ejecutiva: no hay reuniones los días 6 de ene y 3 de feb.",)
    somali = i18n.speech(i18n.Words("so", FrozenMap({})))  # (no translation yet: the English sentence)
    assert words.pauses(series(date(2027, 1, 6)), date(2026, 12, 1), say=somali) == ("No Junta Ejecutiva meeting Jan 6.",)


def test_an_untranslated_language_falls_back_to_the_english_phrases():
    somali = i18n.speech(i18n.Words("so", FrozenMap({})))
    assert words.recurrence_sentence("FREQ=WEEKLY;BYDAY=TU", None, somali) == "Every Tuesday"
    assert words.online_words("https://zoom.us/j/1", somali) == "on Zoom"


def test_spanish_feeds_have_spanish_titles_and_descriptions(sample_output):
    import feedparser

    topic = feedparser.parse((sample_output / "es/tags/allina/feed.xml").read_bytes())
    assert topic.feed.description == "Noticias sobre Allina Health de OPEIU Local 12"
    act = feedparser.parse((sample_output / "es/act/feed.xml").read_bytes())
    assert act.feed.title == "OPEIU Local 12: actúe" and act.feed.description == "Alertas de acción de OPEIU Local 12"
    english = feedparser.parse((sample_output / "act/feed.xml").read_bytes())
    assert english.feed.title == "OPEIU Local 12: take action"
    assert feedparser.parse((sample_output / "tags/allina/feed.xml").read_bytes()).feed.description == \
        "News about Allina Health from OPEIU Local 12"


def test_spanish_calendar_feeds_are_named_in_spanish(sample_output):
    from datetime import date

    import icalendar
    import recurring_ical_events

    names = {}
    for name in ("meetings", "events", "closures", "contracts"):
        cal = icalendar.Calendar.from_ical((sample_output / f"es/calendar/{name}.ics").read_bytes())
        names[name] = str(cal["X-WR-CALNAME"])
    assert names == {"meetings": "OPEIU Local 12: reuniones", "events": "OPEIU Local 12: eventos",
                     "closures": "OPEIU Local 12: cierres de la oficina",
                     "contracts": "OPEIU Local 12: vencimiento de contratos"}
    cal = icalendar.Calendar.from_ical((sample_output / "es/calendar/meetings.ics").read_bytes())
    titles = {str(e["SUMMARY"]) for e in recurring_ical_events.of(cal).between(date(2026, 12, 1), date(2027, 2, 1))}
    assert "Reunión de la Junta Ejecutiva" in titles
    english = icalendar.Calendar.from_ical((sample_output / "calendar/meetings.ics").read_bytes())
    assert str(english["X-WR-CALNAME"]) == "OPEIU Local 12: meetings"


def test_the_sample_menu_and_footer_speak_spanish_on_es(sample_output):
    text = _text(sample_output / "es/index.html")
    for spanish in ("Enlaces", "Contáctenos", "Contratos", "De lunes a viernes, de 8:00 a 16:30",
                    "La oficina cierra los días que aparecen en la página de cierres"):
        assert spanish in text
    for english in ("Links", "Contact us", "Contracts", "Monday to Friday", "Union made"):
        assert english not in text
    english = _text(sample_output / "index.html")
    assert all(w in english for w in ("Links", "Contact us", "Contracts", "Monday to Friday, 8 am to 4:30 pm",
                                      "The office is closed on the days on the closures page"))


def test_file_sizes_take_the_languages_decimal_sign():
    assert i18n.file_size(1258291, "es") == "1,2 MB" and i18n.file_size(720, "es") == "720 bytes"
    assert i18n.file_size(1258291, "hmn") == "1.2 MB"  # (no CLDR data: as in English)
    assert i18n.file_size(250_000, "es") == "244 KB"


def test_a_translators_phrases_are_checked_and_escaped_on_the_page(scratch, build):
    """A site catalog's phrase with a wrong placeholder stays English (a warning); one with HTML
    and a %% sign shows as text."""
    from tests.test_i18n import LANGS, ml_site

    catalog = ('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
               'msgid "every Tuesday"\nmsgstr "<b>cada</b> martes & 100%% de los martes"\n\n'
               'msgid "%(which)s of every month"\nmsgstr "el %(cual)s de cada mes"\n')
    calendar = ("meetings:\n  - id: cat\n    title: CAT\n    repeat: every Tuesday\n    from: 2026-10-06\n"
                "    time: 6:30 pm\n    end: 7:30 pm\n    attendance: online\n    online_url: https://zoom.us/j/1\n"
                "  - id: board\n    title: Board\n    repeat: first Wednesday monthly\n    from: 2026-10-07\n"
                "    time: 6 pm\n    end: 7 pm\n    attendance: online\n    online_url: https://zoom.us/j/2\n")
    root = ml_site(scratch, {"locale/es.po": catalog, "content/calendar/main.yaml": calendar})
    run = build(root)
    assert run.code == 0, run.err
    assert "locale/es.po" in run.err and "%(which)s" in run.err
    page = (root / "output/es/meetings/index.html").read_text()
    assert "&lt;b&gt;cada&lt;/b&gt; martes &amp; 100% de los martes, 18:30–19:30, por Zoom." in page
    assert "First miércoles of every month" not in page and "El primer miércoles de cada mes" in page
