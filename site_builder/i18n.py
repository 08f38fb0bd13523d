"""Languages (docs/languages.md): translated content, the theme's words, dates per language.

A site with `languages:` in config.yaml is built once per language, like Hugo's languages and
Pelican's i18n_subsites: the default language at `/`, every other one in its own folder (`/es/`)
with its own home, news, topics, calendar pages, feeds and .ics files.  Each language's part is
an ordinary `Site` whose config says which language it is (`SiteConfig.lang`); its links lead to
its own pages, or to the default language's page where it has no translation
(`SiteConfig.root_only`).

* Content: `about.es.md` is the Spanish `about.md` (same slug); calendar entries and alerts carry
  `translations: {es: {title:, description:, note:}}`.  What is not translated is English.
* The theme's words: gettext catalogs (`site_builder/locale/<code>/LC_MESSAGES/messages.po`, a
  site's own `locale/<code>.po` over them), read from the .po files on every build (no compiled
  .mo to forget to update); fuzzy or empty entries, and entries whose placeholders differ from
  the English, fall back to English.  A translation is text, never HTML: it is escaped.
* Dates: Babel's CLDR data where it has the language (es, so); otherwise (hmn) the English
  pattern with the month and day names of the catalog.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from markupsafe import escape

from site_builder.config import Language, SiteConfig
from site_builder.errors import ContentError, Problem
from site_builder.errors import shown as quoted
from site_builder.files import outside_link
from site_builder.readers.source import decode_source, read_source
from site_builder.models import FrozenMap
from site_builder.textutil import english_time, slugify

LOCALE_DIR = Path(__file__).parent / "locale"
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
_SUFFIX = re.compile(r"[a-z]{2,3}")


# -- content ------------------------------------------------------------------------------
def language_of(config: SiteConfig, source: str) -> tuple[str, str] | None:
    """("es", "about") for content/pages/about.es.md when es is one of the site's languages;
    None for a file in the default language.  (The default's own code, about.en.md, is the default.)"""
    stem = Path(source).stem
    if "." not in stem or not config.languages:
        return None
    base, code = stem.rsplit(".", 1)
    return (code, base) if code in {lang.code for lang in config.languages} else None


def split(config: SiteConfig, items: Iterable[Any], what: str) -> tuple[list[Any], dict[str, list[Any]], list[Problem]]:
    """Posts or pages → (the default language's, {code: translations}, problems).  A translation
    takes its original's slug from its file name (`about.es.md` → `about`) unless it gives `slug:`."""
    default_code = config.languages[0].code
    default: list[Any] = []
    by_code: dict[str, list[Any]] = {lang.code: [] for lang in config.languages[1:]}
    problems: list[Problem] = []
    for item in items:
        found = language_of(config, item.source)
        if found is None:
            stem = Path(item.source).stem
            code = stem.rsplit(".", 1)[1] if "." in stem else ""
            if _SUFFIX.fullmatch(code):
                problems.append(Problem(item.source, 1, "", f"{code!r} is not one of the site's languages "
                                        f"({', '.join(lang.code for lang in config.languages)}): built as the "
                                        f"{what} {item.slug!r}; add {code} to config.yaml `languages:` to make it a "
                                        "translation", "warning"))
            default.append(item)
            continue
        code, base = found
        if item.slug_line == 1:  # the slug came from the file name: the original's
            item = replace(item, slug=slugify(base))
        if code == default_code:
            default.append(item)
        else:
            by_code[code].append(replace(item, lang=code))
    return default, by_code, problems


def untranslated_problems(default: Sequence[Any], by_code: dict[str, list[Any]], what: str) -> list[Problem]:
    """A translation whose original is missing is built (in its language only), with a warning."""
    slugs = {item.slug for item in default}
    return [Problem(item.source, 1, "", f"a translation of the {what} {item.slug!r}, which has no original in the "
                    "default language: it is built in its language only", "warning")
            for items in by_code.values() for item in items if item.slug not in slugs]


def language_config(config: SiteConfig, lang: Language, root_only: Iterable[str]) -> SiteConfig:
    return replace(config, language=lang.code, lang=lang.code, root_only=frozenset(root_only), warnings=())


def url_in(config: SiteConfig, code: str, path: str, absolute: bool = False) -> str:
    """The address of site path `path` in language `code` (which must have it)."""
    folder = "" if code == config.languages[0].code else "/" + code
    base = config.base_url if absolute else config.base_path
    return base.rstrip("/") + folder + "/" + path.lstrip("/")


# -- the theme's words --------------------------------------------------------------------
@dataclass(frozen=True)
class Words:
    """One language's catalog: English → translation (only entries fit to use)."""

    code: str
    table: FrozenMap  # msgid → msgstr, as the translator wrote it
    problems: tuple[Problem, ...] = ()

    def gettext(self, message: str) -> str:
        return self.table.get(message) or message

    def html(self, message: str) -> str:
        """The translation for a page: escaped (a catalog holds text, never markup)."""
        found = self.table.get(message)
        return str(escape(found)) if found else message


def catalog_paths(config: SiteConfig, code: str) -> list[tuple[Path, str]]:
    """The theme's catalog, then the site's own (whose entries win)."""
    return [(LOCALE_DIR / code / "LC_MESSAGES" / "messages.po", f"site_builder/locale/{code}/LC_MESSAGES/messages.po"),
            (config.root / "locale" / f"{code}.po", f"locale/{code}.po")]


def words_for(config: SiteConfig, code: str) -> Words:
    table: dict[str, str] = {}
    problems: list[Problem] = []
    for path, shown in catalog_paths(config, code):
        try:
            if path.is_relative_to(config.root / "locale") and (why := outside_link(path, config.root)):
                problems.append(Problem(shown, 1, "", f"{why}; copy the file itself here"))
                continue
            data = read_source(path, shown)  # (a pipe, a device or a file over 5 MB: refused unread)
        except FileNotFoundError:
            continue
        except ContentError as exc:
            problems.append(exc.problem)
            continue
        except OSError as exc:
            problems.append(Problem(shown, 1, "", f"cannot read the catalog: {exc.strerror or exc}"))
            continue
        found, trouble = read_catalog(data, shown)
        table.update(found)
        problems += trouble
    return Words(code, FrozenMap(table), tuple(problems))


@functools.lru_cache(maxsize=32)
def read_catalog(data: bytes, shown: str) -> tuple[dict[str, str], tuple[Problem, ...]]:
    """A .po file → (msgid → msgstr of every entry fit to use, problems).  A malformed file is one
    warning at its line (the pages keep their English words); an entry whose placeholders (`%(name)s`) differ from its English is a
    warning and stays English; fuzzy (`#, fuzzy`: to be reviewed) and empty entries stay English."""
    from babel.messages.pofile import PoFileError, read_po

    def unreadable(line: int, why: object) -> tuple[dict[str, str], tuple[Problem, ...]]:
        return {}, (Problem(shown, line, "", f"not a readable gettext catalog: {why}; none of its translations is used",
                            "warning"),)

    try:
        text = decode_source(data, shown)  # UTF-8, as every source: a bad byte, a NUL, a huge line at its line
    except ContentError as exc:
        return unreadable(exc.problem.line, exc.problem.message)
    if found := unquoted(text):
        return unreadable(*found)
    try:
        catalog = read_po(io.StringIO(text), abort_invalid=True)
    except PoFileError as exc:
        return unreadable(getattr(exc, "lineno", 1) or 1, exc)
    except ValueError as exc:
        return unreadable(1, exc)
    table: dict[str, str] = {}
    problems: list[Problem] = []
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        # a plural entry (ngettext): its first form for one, its last for many
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs = [(ids[0], texts[0]), (ids[-1], texts[-1])] if len(ids) > 1 else [(ids[0], texts[0])]
        for msgid, text in pairs:
            if not isinstance(text, str) or not text.strip():
                continue
            if not fits(msgid, text):
                problems.append(Problem(shown, message.lineno or 1, "msgstr",
                                        f"the translation of {msgid!r} must keep its placeholders exactly "
                                        f"({', '.join(f'%({n})s' for n in sorted(set(_PLACEHOLDER.findall(msgid)))) or 'none'}"
                                        "; a % sign is written %%): the English is used until it does", "warning"))
                continue
            table[msgid] = text
    return table, tuple(problems)


_KEYWORD = re.compile(r"(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(.*)")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def unquoted(text: str) -> tuple[int, str] | None:
    """(line, why) of the first string of a catalog that is not one quoted string: `msgid "Menu` has
    no closing quote, `msgstr "Menú" x` has text after it.  (Babel would take them, cutting a letter,
    and read the following entries as if nothing were wrong.)"""
    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        found = _KEYWORD.fullmatch(line)
        value = found.group(2) if found else line if line.startswith('"') else None
        if value is None or _STRING.fullmatch(value):
            continue
        opening = _STRING.match(value)
        why = "has text after its closing quote" if opening and value.startswith('"') else "has no closing quote" \
            if value.startswith('"') else "is not a quoted string"
        return number, f"{quoted(line, 40)} {why}"
    return None


def fits(msgid: str, text: str) -> bool:
    """Whether a translation takes exactly the placeholders of its English (the pages fill them in
    with `text % values`: one missing or extra, or a lone %, would stop the build)."""
    wanted, got = set(_PLACEHOLDER.findall(msgid)), set(_PLACEHOLDER.findall(text))
    if "%" in _PLACEHOLDER.sub("", text.replace("%%", "")):
        return False  # a lone %, or %s / %d without a name (it would print the values' dict)
    return wanted == got


# -- dates ---------------------------------------------------------------------------------
def N_(message: str) -> str:  # noqa: N802 (gettext's name): marks a word for `pybabel extract` (babel.cfg)
    return message


DAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"), N_("Jul"), N_("Aug"), N_("Sep"),
          N_("Oct"), N_("Nov"), N_("Dec"))
MONTH_NAMES = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"), N_("July"),
               N_("August"), N_("September"), N_("October"), N_("November"), N_("December"))
# words the code gives the templates: how to attend (render's `attendance` filter), times (Dates.time)
ATTENDANCE = {"in-person": N_("In person"), "online": N_("Online"), "hybrid": N_("Hybrid")}
TIME_WORDS = (N_("noon"), N_("am"), N_("pm"))


def attendance(value: str, words: Words | None = None) -> str:
    """"In person", "Online", "Hybrid" (in the pages' language)."""
    text = ATTENDANCE.get(value) or value.replace("-", " ").capitalize()
    return words.gettext(text) if words is not None else text


@functools.lru_cache(maxsize=4096)  # (Babel works a pattern out on every call: a site shows the same days often)
def _cldr_date(code: str, day: date, skeleton: str) -> str:
    from babel.dates import format_skeleton

    return format_skeleton(skeleton, day, locale=code)


@functools.lru_cache(maxsize=4096)
def _cldr_time(code: str, hour: int, minute: int) -> str:
    from datetime import time

    from babel.dates import format_time

    return format_time(time(hour, minute), "short", locale=code)


@functools.lru_cache(maxsize=64)
def has_cldr(code: str) -> bool:
    from babel import localedata

    return localedata.exists(code)


@dataclass(frozen=True)
class Dates:
    """Dates and times in one language other than the default (English)."""

    words: Words

    @property
    def code(self) -> str:
        return self.words.code

    def date(self, value: date | datetime, weekday: bool = True, year: bool = True) -> str:
        if has_cldr(self.code):
            day = value.date() if isinstance(value, datetime) else value
            return _cldr_date(self.code, day, ("yMMM" if year else "MMM") + ("Ed" if weekday else "d"))
        g = self.words.gettext
        text = f"{g(MONTHS[value.month - 1])} {value.day}" + (f", {value.year}" if year else "")
        return f"{g(DAYS[value.weekday()])}, {text}" if weekday else text

    def time(self, value: datetime) -> str:
        if has_cldr(self.code):
            return _cldr_time(self.code, value.hour, value.minute)
        g = self.words.gettext
        text = english_time(value)
        return g("noon") if text == "noon" else text.replace(" am", " " + g("am")).replace(" pm", " " + g("pm"))

    def time_range(self, start: datetime, end: datetime) -> str:
        return f"{self.time(start)}–{self.time(end)}"

    def month_name(self, month: int) -> str:
        if has_cldr(self.code):
            from babel.dates import get_month_names

            return get_month_names("wide", context="stand-alone", locale=self.code)[month]
        return self.words.gettext(MONTH_NAMES[month - 1])


@functools.lru_cache(maxsize=64)
def _cldr_names(code: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(day names Monday first, month names, abbreviated month names) as a sentence writes them."""
    from babel.dates import get_day_names, get_month_names

    days = get_day_names("wide", context="format", locale=code)
    months = get_month_names("wide", context="format", locale=code)
    abbr = get_month_names("abbreviated", context="format", locale=code)
    return tuple(days[i] for i in range(7)), tuple(months[m] for m in range(1, 13)), \
        tuple(abbr[m].rstrip(".") for m in range(1, 13))


def speech(words: Words | None) -> Any:
    """The calendar's sentences (calendar/words.py) in the language of `words` (None: English):
    its gettext, and the day and month names of CLDR where it has the language, else the catalog's."""
    from site_builder.calendar.words import DAY_NAMES, DAY_ORDER, ENGLISH, Speech

    if words is None:
        return ENGLISH
    g = words.gettext
    if has_cldr(words.code):
        days, months, abbr = _cldr_names(words.code)
        return Speech(g, lambda c: days[DAY_ORDER.index(c)], lambda m: months[m - 1], lambda m: abbr[m - 1], False)
    return Speech(g, lambda c: g(DAY_NAMES[c]), lambda m: g(MONTH_NAMES[m - 1]), lambda m: g(MONTHS[m - 1]), False)


def file_size(size: int, code: str) -> str:
    """"1.2 MB" in the language: its decimal sign by CLDR ("1,2 MB" in Spanish); "720 bytes" as is."""
    from site_builder.readers.files import fmt_size

    text = fmt_size(size)
    if not has_cldr(code) or "." not in text:
        return text
    from babel.numbers import format_decimal

    number, unit = text.split(" ", 1)
    return f"{format_decimal(float(number), format='0.0', locale=code)} {unit}"


# the feeds' titles and descriptions, and the calendar feeds' names (build.py, feeds.py)
FEED_WORDS = (N_("News about %(topic)s from %(site)s"), N_("Every update of %(series)s"), N_("%(site)s: take action"),
              N_("Action alerts from %(site)s"), N_("%(name)s: events"), N_("%(name)s: meetings"),
              N_("%(name)s: office closures"), N_("%(name)s: contract expiries"))


def say(config: SiteConfig) -> Callable[..., str]:
    """`say(msgid, **values)` in the language of `config`'s pages (English: as written)."""
    words = page_words(config)
    g = words.gettext if words is not None else (lambda message: message)
    return lambda message, **values: g(message) % values


def template_functions(config: SiteConfig, words: Words) -> dict[str, Callable]:
    """The Jinja filters of render.make_env that speak a language other than the default."""
    dates = Dates(words)
    return {"date": dates.date, "time": dates.time, "time_range": dates.time_range, "month_name": dates.month_name,
            "attendance": lambda value: attendance(value, words), "file_size": lambda size: file_size(size, words.code)}


def page_words(config: SiteConfig) -> Words | None:
    """The theme's words in the pages' language, or None for English (the templates as written):
    a language that is not English and has a catalog (the theme's or the site's)."""
    code = config.language.split("-")[0].lower()
    if code == "en" or not any(path.is_file() for path, _ in catalog_paths(config, code)):
        return None
    return words_for(config, code)


# -- the build's part (build.plan) --------------------------------------------------------------
def language_content(config: SiteConfig, lang: Language, posts: Sequence[Any], pages: Sequence[Any],
                     own_posts: Sequence[Any], own_pages: Sequence[Any]) -> tuple[SiteConfig, list[Any], list[Any]]:
    """A language's config and what its part of the site lists: its translations, the untranslated
    posts when `show_untranslated`, and the untranslated pages (for the menu; their pages are the
    originals: links lead there)."""
    post_slugs, page_slugs = {p.slug for p in own_posts}, {p.slug for p in own_pages}
    other_posts = [p for p in posts if p.slug not in post_slugs]
    other_pages = [p for p in pages if p.slug not in page_slugs]
    sub = language_config(config, lang, [p.url for p in (*other_posts, *other_pages)])
    return sub, [*own_posts, *(other_posts if lang.show_untranslated else ())], [*own_pages, *other_pages]


def folder(site: Any) -> str:
    """"/es" for the Spanish part of the site, "" for the default language's."""
    return f"/{site.config.lang}" if site.config.lang else ""


def in_folder(site: Any, outputs: list[Any]) -> list[Any]:
    """Outputs (feeds) of a language's part moved into its folder."""
    lang = site.config.lang
    return [replace(o, path=f"{lang}/{o.path}") for o in outputs] if lang else outputs


def alternates(sites: Sequence[Any], pages_of: Callable[[Any], list[Any]]) -> dict[str, tuple[str, ...]]:
    """Site path → the codes of the languages having that page, in config order (hreflang links
    and the language switcher).  `pages_of` lists a site's pages without rendering them."""
    have: dict[str, list[str]] = {}
    default = sites[0].config.languages[0].code
    for site in sites:
        lang = site.config.lang
        for out in pages_of(site):
            path = out.path[len(lang) + 1:] if lang else out.path
            if path.endswith("index.html"):
                have.setdefault("/" + path[: -len("index.html")], []).append(lang or default)
    return {url: tuple(codes) for url, codes in have.items()}


def folder_problems(config: SiteConfig, pages: Sequence[Any], static: Sequence[Any]) -> list[Problem]:
    """A page or a static file where a language's pages go (a page `es`, static/es/) is refused."""
    codes = {lang.code for lang in config.languages[1:]}
    problems = [Problem(page.source, page.slug_line, "slug", f"/{page.slug}/ is where the pages in "
                        f"{page.slug!r} go (config.yaml `languages:`): choose another slug") for page in pages
                if page.slug in codes]
    problems += [Problem(f"static/{out.path}", 1, "", f"/{out.path.split('/')[0]}/ is where the pages in that language "
                         "go (config.yaml `languages:`): move the file to another folder") for out in static
                 if out.path.split("/")[0] in codes]
    return problems


def catalog_problems(config: SiteConfig) -> list[Problem]:
    return [p for lang in config.languages[1:] for p in words_for(config, lang.code).problems]


# -- translations of calendar entries and alerts ----------------------------------------------
def read_translations(data: Any, path: str, field: str, config: SiteConfig, allowed: tuple[str, ...],
                      problems: list[Problem]) -> FrozenMap:
    """`translations: {es: {title: …, description: …}}` of an event, meeting, changed date,
    closure or alert (data: its YAML mapping) → {code: {key: text}}; problems at their lines."""
    from site_builder.models import EMPTY
    from site_builder.textutil import markdown_problem

    value = data.get("translations")
    line = data.line_of("translations") if hasattr(data, "line_of") else 1
    if value is None or value == {} or value == "":
        return EMPTY  # type: ignore[return-value]
    if not isinstance(value, dict):
        problems.append(Problem(path, line, field, "must be a mapping of language codes, such as "
                                "{es: {title: Reunión general}}"))
        return EMPTY  # type: ignore[return-value]
    others = [lang.code for lang in config.languages[1:]]
    if not others:
        problems.append(Problem(path, line, field, "the site has one language (no `languages:` in config.yaml): "
                                "ignored", "warning"))
        return EMPTY  # type: ignore[return-value]
    out: dict[str, FrozenMap] = {}
    for code, entry in value.items():
        here = value.line_of(code) if hasattr(value, "line_of") else line
        where = f"{field}.{code}"
        if code not in others:
            problems.append(Problem(path, here, where, f"{code!r} is not one of the site's other languages "
                                    f"({', '.join(others)}): ignored", "warning"))
            continue
        if not isinstance(entry, dict):
            problems.append(Problem(path, here, where, "must be a mapping such as {title: …, description: …}"))
            continue
        texts: dict[str, str] = {}
        for key, text in entry.items():
            at = entry.line_of(key) if hasattr(entry, "line_of") else here
            if key not in allowed:
                problems.append(Problem(path, at, f"{where}.{key}", f"unknown key (ignored); here: {', '.join(allowed)}",
                                        "warning"))
                continue
            if text is None or text == "":
                continue
            if isinstance(text, (int, float)) and not isinstance(text, bool):
                text = str(text)
            if not isinstance(text, str):
                problems.append(Problem(path, at, f"{where}.{key}", "must be text"))
                continue
            if "\x00" in text:
                problems.append(Problem(path, at, f"{where}.{key}", "contains a NUL character: remove it"))
                continue
            if key == "description" and (found := markdown_problem(text)):
                problems.append(Problem(path, at + found[0] - 1, f"{where}.{key}", found[1]))
                continue
            texts[key] = text.strip() if key != "description" else text
        out[code] = FrozenMap(texts)
    return FrozenMap(out)


def _translated(item: Any, code: str, **fields: str) -> Any:
    """`item` with the fields its translation into `code` gives (fields: translation key → item field)."""
    found = item.translations.get(code) if item.translations else None
    if not found:
        return item
    changes = {name: found[key] for key, name in fields.items() if found.get(key)}
    return replace(item, **changes) if changes else item


def translate_calendar(data: Any, code: str) -> Any:
    """The calendar's entries in language `code` (CalendarData): titles, descriptions, notes and
    holiday names from their `translations:`, the rest as written."""
    def series(s: Any) -> Any:
        s = _translated(s, code, title="title", description="description")
        return replace(s, moves=tuple(_translated(c, code, title="title", note="note") for c in s.moves),
                       overrides=tuple(_translated(c, code, title="title", note="note") for c in s.overrides))

    return replace(data, events=tuple(_translated(e, code, title="title", description="description") for e in data.events),
                   series=tuple(series(s) for s in data.series),
                   closure_rules=tuple(_translated(r, code, title="public_name") for r in data.closure_rules))


def translate_alerts(alerts: Sequence[Any], code: str) -> list[Any]:
    """The alerts in language `code`; a translated text has its own fingerprint (its HTML is cached by it)."""
    from site_builder.hashing import digest

    out = []
    for alert in alerts:
        new = _translated(alert, code, title="title", description="body", link_text="link_text")
        if new.body != alert.body:
            new = replace(new, fingerprint=digest(alert.fingerprint, code, new.body))
        out.append(new)
    return out
