"""HTML pages via Jinja: one environment per build, autoescape on, undefined names are errors.

Templates are looked up first in the site's own `templates/`, then in the built-in theme, so a
site overrides any theme template by adding one with the same name.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import jinja2
import jinja2.ext
import jinja2.meta
from markupsafe import Markup

from site_builder import i18n
from site_builder.assemble import Site
from site_builder.calendar import words
from site_builder.calendar.model import Event
from site_builder.calendar.site import (CalendarSite, add_to_calendar_links, current_month_url, event_json_ld,
                                        event_url, livestream_state, subscribe_links)
from site_builder.cache import BuildCache, Fingerprinter, PageMemo, tree_digest, version_key
from site_builder.hashing import digest
from site_builder.hosts import site_policy
from site_builder.contracts import by_employer, notices
from site_builder.errors import BuildFailed, Problem
from site_builder.models import Output, Page, Post
from site_builder.readers.files import fmt_size
from site_builder.textutil import english_time, plain_text, slugify, truncate

THEME_DIR = Path(__file__).parent / "theme"
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")


def _fmt_date(value: date | datetime, weekday: bool = True, year: bool = True) -> str:
    """Locale-independent "Tue, Jan 7, 2025"."""
    text = f"{MONTHS[value.month - 1]} {value.day}"
    if year:
        text += f", {value.year}"
    return f"{DAYS[value.weekday()]}, {text}" if weekday else text


_fmt_time = english_time  # "6:30 pm", "6 pm", "noon" (textutil: i18n's Hmong times start from it too)


def _fmt_time_range(start: datetime, end: datetime) -> str:
    """"6:30–7:30 pm" (one suffix when both share it), "11 am–1 pm"."""
    a, b = _fmt_time(start), _fmt_time(end)
    if a[-2:] == b[-2:] and a not in ("noon",) and b not in ("noon",):
        a = a[:-3]
    return f"{a}–{b}"


def fmt_when(start: datetime, end: datetime | None = None, all_day: bool = False, tz: Any = None,
             words: Mapping[str, Callable] | None = None) -> str:
    """"Tue, Jan 7, 2025 · 6:30–7:30 pm" in the site's timezone; all-day: "Thu, Mar 18 – Fri, Mar 19, 2027".
    `words`: the date, time and time_range of another language (i18n.template_functions)."""
    if words is not None:
        fmt_date, fmt_time, fmt_time_range = words["date"], words["time"], words["time_range"]  # noqa: N806
    else:
        fmt_date, fmt_time, fmt_time_range = _fmt_date, _fmt_time, _fmt_time_range  # noqa: N806
    if all_day:
        last = (end - timedelta(days=1)).date() if end else start.date()
        first = start.date()
        if last <= first:
            return fmt_date(first)
        return f"{fmt_date(first, year=first.year != last.year)} – {fmt_date(last)}"
    if tz is not None:
        start = start.astimezone(tz)
        end = end.astimezone(tz) if end else None
    if end is None:
        return f"{fmt_date(start)} · {fmt_time(start)}"
    if end.date() != start.date():
        return f"{fmt_date(start)} · {fmt_time(start)} – {fmt_date(end)} · {fmt_time(end)}"
    return f"{fmt_date(start)} · {fmt_time_range(start, end)}"


fmt_date, fmt_time, fmt_time_range = _fmt_date, _fmt_time, _fmt_time_range


def series_sentence(view: Any, tz: Any = None, time_range: Callable[..., str] | None = None,
                    say: words.Speech = words.ENGLISH) -> str:
    """A meeting series (calendar.site.SeriesView) in one sentence: rule, usual time, way to attend,
    and the months it is held otherwise (calendar/words.py), in the language of `say`."""
    s = view.series
    start = s.dtstart.astimezone(tz) if tz is not None else s.dtstart
    return words.series_sentence(s, (time_range or fmt_time_range)(start, start + s.duration), view.usual, say)


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of "#rrggbb"."""
    total = 0.0
    for start, weight in ((1, 0.2126), (3, 0.7152), (5, 0.0722)):
        c = int(hex_colour[start : start + 2], 16) / 255
        total += weight * (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return total


def text_on(hex_colour: str) -> str:
    """Black or white, whichever contrasts more with the colour (one always reaches 4.58:1)."""
    lum = _luminance(hex_colour)
    return "#ffffff" if 1.05 / (lum + 0.05) >= (lum + 0.05) / 0.05 else "#000000"


def link_on_white(hex_colour: str, fallback: str = "#1d1d1f") -> str:
    """The colour when it reads on white at 4.5:1 or better, else `fallback`."""
    return hex_colour if 1.05 / (_luminance(hex_colour) + 0.05) >= 4.5 else fallback


@functools.lru_cache(maxsize=8)
def theme_css_vars(theme: Any) -> str:
    """The CSS custom properties of the theme's colours (docs/theme.md), worked out once, not per page."""
    return (f"--primary: {theme.primary_color}; --on-primary: {text_on(theme.primary_color)}; "
            f"--link: {link_on_white(theme.primary_color)}; --accent: {theme.accent_color}; "
            f"--on-accent: {text_on(theme.accent_color)};")


def theme_style(theme: Any) -> str:
    """The text of base.html's one inline <style> (hosts.site_policy allows it by its hash)."""
    return ":root { " + theme_css_vars(theme) + " }"


def iso(value: date | datetime) -> str:
    return value.isoformat()


def json_ld(data: Any) -> Markup:
    """JSON for a <script type="application/ld+json"> block; `<`, `>` and `&` escaped so no text ends it."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


@dataclass(frozen=True)
class Renderer:
    site: Site
    env: jinja2.Environment
    html_of: Mapping[str, str]  # source path → rendered Markdown HTML
    memo: PageMemo | None = None  # skips pages whose whole context is unchanged
    prerendered: Mapping[str, bytes] | None = None  # path → page a Markdown worker rendered (PagesInWorkers), read only
    # A multilingual site (i18n.py): site path → the codes of the languages that have the page
    # (every page's hreflang links and language switcher), and what else decides this language's pages.
    alternates: Mapping[str, tuple[str, ...]] | None = None
    salt: str = ""
    dry: bool = False  # only say which pages there are (i18n: which languages have a page)
    share: Share | None = None  # rendering with a forked copy of this process (render_pages `spread`)

    def page(self, path: str, template: str, derive: Callable[[], dict] | None = None, **context: Any) -> Output:
        """Render `template` to `path`, or reuse the file when its context is unchanged.
        `derive` adds context computed only when the page is rendered; it must be a pure
        function of `context` and the config (both in the page's key)."""
        page_url = "/" + path[: -len("index.html")] if path.endswith("index.html") else None
        lang = self.site.config.lang
        if lang:  # a language's own folder; page_url stays the site path, which url() puts in it
            path = f"{lang}/{path}"
        if self.dry:
            return Output(path, b"")
        if self.site.config.languages:
            context["alternates"] = (self.alternates or {}).get(page_url or "", ())
        key = None
        if self.memo is not None:
            key = self.memo.key(template, context)
            if self.salt:
                key = digest(self.salt, key)
            existing = self.memo.reuse(path, key)
            if existing is not None:
                return Output(path, source=existing, unchanged=True)
        data = self.prerendered.get(path) if self.prerendered else None
        if data is None:
            job = (key, template, context, derive, page_url)
            if self.share is not None and not self.share.takes(path, job):
                return Output(path, b"")  # (the other process renders it: Share.fill puts it in)
            data = self.render_now(path, job)
            if self.share is not None and self.share.forked:
                self.share.made[path] = data
        if self.memo is not None and key is not None:
            self.memo.record(path, key, data)
        return Output(path, data)

    def render_now(self, path: str, job: tuple) -> bytes:
        _, template, context, derive, page_url = job
        if derive is not None:
            context.update(derive())
        return render_named(self.env, template, self.site.config.root, page_path=path, page_url=page_url,
                            aria_current=AriaCurrent(page_url), **context).encode("utf-8")

    def summary(self, item: Post | Page) -> str:
        if item.summary:
            return item.summary
        return truncate(plain_text(self.html_of.get(item.source, "")), self.site.config.summary_length)

    def body(self, item: Post | Page) -> Markup:
        """The rendered Markdown of a post, page or series file."""
        return Markup(self.html_of.get(item.source, "")) if item.source else Markup("")

    def describe(self, item: Any) -> Markup:
        """The rendered Markdown description of a calendar Event or MeetingSeries."""
        return Markup(self.html_of.get(description_name(item, self.site.config), ""))


@dataclass
class Share:
    """The list pages of a site rendered by two processes, this one and a forked copy of it
    (render_pages `spread`, the cold-build path; docs/architecture.md "Pages in two processes").
    Both run the same code over the same site and deal the pages to render out in turn, one to
    this process, the next to the copy.  The copy sends back what it `made`; `fill` puts those
    pages in place of their stand-ins, rendering here whatever the copy did not send."""
    forked: bool  # True in the copy
    dealt: int = 0
    theirs: dict[str, tuple] = field(default_factory=dict)  # (this process) path → the copy's page to render
    made: dict[str, bytes] = field(default_factory=dict)  # (the copy) path → bytes of the pages it rendered

    def takes(self, path: str, job: tuple) -> bool:
        """Whether this process renders the page (else: a stand-in, `theirs` or left to the other)."""
        self.dealt += 1
        mine = (self.dealt % 2 == 1) != self.forked
        if not mine and not self.forked:
            self.theirs[path] = job
        return mine

    def fill(self, r: Renderer, out: list[Output], made: Mapping[str, bytes] | None) -> list[Output]:
        done: dict[str, Output] = {}
        for path, job in self.theirs.items():
            data = (made or {}).get(path)
            if data is None:  # (the copy failed: the page is rendered here, where an error is reported)
                data = r.render_now(path, job)
            if r.memo is not None and job[0] is not None:
                r.memo.record(path, job[0], data)
            done[path] = Output(path, data)
        return [done.get(o.path, o) if o.data == b"" else o for o in out]


def description_name(item: Any, config: Any) -> str:
    """The name of a calendar entry's description among the site's Markdown texts (build.markdown_sources):
    `event:<id>`, `meeting:<id>`, with `@es` in a language's part of the site (it may be translated)."""
    kind = "event" if isinstance(item, Event) else "meeting"
    return f"{kind}:{item.id}" + (f"@{config.lang}" if config.lang else "")


@dataclass(frozen=True)
class NavLink:
    title: str
    url: str


@dataclass(frozen=True)
class Nav:
    """What every page may show about the rest of the site (and nothing more).

    Templates get this instead of the whole Site, so a page's output depends only on its own
    context plus this small value: the cache can tell exactly when a page must be re-rendered.
    """

    pages: tuple[NavLink, ...]
    calendar: bool
    preview: bool  # drafts/future posts shown (serve, --drafts)
    scheduled: frozenset[str]  # slugs of shown posts dated after now
    alerts: tuple = ()  # the banner's action alerts (Site.banner), their text rendered
    alerts_hidden: frozenset[str] = frozenset()  # of those, the slugs built hidden (live.js shows them in time)


def nav_of(site: Site) -> Nav:
    return Nav(
        pages=tuple(NavLink(p.title, p.url) for p in site.menu_pages),
        calendar=site.calendar is not None,
        preview=site.drafts_shown,
        scheduled=frozenset(p.slug for p in site.posts if p.date > site.now),
        alerts=site.banner,
        alerts_hidden=site.banner_hidden,
    )


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in the build cache: compiling the theme costs ~0.1 s a build.
    Jinja checks each entry against a checksum of the template's source before using it."""

    def __init__(self, cache: BuildCache):
        self.cache = cache

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.cache.get_many("jinja", [bucket.key]).get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.cache.put_many("jinja", {bucket.key: bucket.bytecode_to_string()})


class AriaCurrent:
    """`aria_current(href)` in a template: how the menu marks its link to `href` on this page:
    "page" on that page itself, "true" on a page under it (not for "/" or another site's
    address), "" elsewhere.  A question rather than a value: a shared partial that asks it is
    reused on every page that answers its questions the same (SharedPartials), so one menu
    serves every post page under /news/."""

    __slots__ = ("here",)

    def __init__(self, page_url: str | None):
        self.here = page_url or ""

    def __call__(self, href: str) -> str:
        if type(href) is not str:
            raise jinja2.TemplateRuntimeError(f"aria_current() takes a link's address, not {href!r}")
        if self.here == href:
            return "page"
        return "true" if href != "/" and href.startswith("/") and self.here.startswith(href) else ""


class _Asked:
    """A question a shared partial asks while it is rendered, with the answers it got (in order)."""

    __slots__ = ("question", "log", "index")

    def __init__(self, question: AriaCurrent, log: list, index: int):
        self.question, self.log, self.index = question, log, index

    def __call__(self, *args: Any) -> Any:
        answer = self.question(*args)
        self.log.append(((self.index, args), _value_key(answer, [])))
        return answer


_BY_VALUE = frozenset({str, int, bool, type(None), Markup})


def _value_key(value: Any, held: list) -> Any:
    """What a shared partial's key holds for one value: strings, numbers, booleans, None and tuples
    of them by value (and type: 1, 1.0 and True print differently); anything else by identity,
    the object kept in `held` so its id cannot be reused while the entry lives."""
    kind = type(value)
    if kind in _BY_VALUE:
        return kind, value
    if kind is float:
        return kind, value.hex()  # (-0.0 and 0.0 are equal but print differently)
    if kind is tuple:
        return kind, tuple(_value_key(item, held) for item in value)
    held.append(value)
    return object, id(value)


class SharedPartials(jinja2.ext.Extension):
    """`{% include_shared "partials/menu.html" %}`: an include rendered once per environment (one
    language of one build, in each process) for all the pages on which it would come out the same,
    and reused.  Its key is the partial's name and the value of every name it reads (it and every
    template it includes, imports or extends: jinja2.meta over their source; `_` also reads
    `gettext`), taken from the including template's context; `_value_key` compares them.  It is
    rendered with those names only, so nothing else can reach it.  A value that is a question
    (AriaCurrent) is keyed by the answers the rendering got: another page whose answers to the same
    questions are the same takes it.  A partial that includes a template by a computed name is
    rendered every time, like `{% include %}`."""

    tags = {"include_shared"}
    LIMIT = 64  # renderings kept per partial (one reading a page's own values never repeats)

    def __init__(self, environment: jinja2.Environment):
        super().__init__(environment)
        self.reads: dict[str, tuple[str, ...] | None] = {}
        self.kept: dict[tuple, list[tuple[tuple, dict[tuple, str]]]] = {}  # key → [(questions, answers → output)]
        self.held: list[list] = []
        self.renders: dict[str, int] = {}  # renderings made, by partial (for tests)

    def parse(self, parser: Any) -> jinja2.nodes.Node:
        lineno = next(parser.stream).lineno
        name = parser.parse_expression()
        call = self.call_method("_include", [jinja2.nodes.DerivedContextReference(), name], lineno=lineno)
        return jinja2.nodes.Output([call], lineno=lineno)

    def names_read(self, name: str) -> tuple[str, ...] | None:
        """Every name `name` and the templates it uses read from the context; None when one of
        them is named by an expression (or cannot be read: the include then says why)."""
        if name not in self.reads:
            env, found, todo, seen = self.environment, set(), [name], set()
            try:
                while todo:
                    each = todo.pop()
                    if each in seen:
                        continue
                    seen.add(each)
                    ast = env.parse(env.loader.get_source(env, each)[0], each)  # type: ignore[union-attr]
                    found |= jinja2.meta.find_undeclared_variables(ast)
                    found |= {n.name for n in ast.find_all(jinja2.nodes.Name) if n.ctx == "load" and n.name in env.globals}
                    refs = list(jinja2.meta.find_referenced_templates(ast))
                    if None in refs:
                        raise LookupError(each)
                    todo.extend(refs)  # type: ignore[arg-type]
                if "_" in found:  # jinja2.ext.i18n's `_` calls the context's gettext
                    found |= {"gettext", "ngettext"}
                self.reads[name] = tuple(sorted(found))
            except (LookupError, jinja2.TemplateError):
                self.reads[name] = None
        return self.reads[name]

    def _include(self, context: Any, name: Any) -> str:
        if not isinstance(name, (str, list, tuple, jinja2.Template, jinja2.Undefined)):
            raise jinja2.TemplateRuntimeError(f"include_shared takes a template's name, not {name!r}")
        template = self.environment.get_or_select_template(name, context.name)  # (a list: the first found, as include)
        name = template.name
        names = self.names_read(name) if name is not None else None
        if names is None:  # as {% include %} does
            return self._wrap(context, self._out(template, template.new_context(context.get_all(), True)))
        held: list = []
        values = [context.resolve_or_missing(n) for n in names]
        key = (name, *(None if type(v) is AriaCurrent else _value_key(v, held) for v in values))
        for questions, outputs in self.kept.get(key, ()):
            answers = tuple(_value_key(values[i](*args), []) for i, args in questions)
            if answers in outputs:
                return self._wrap(context, outputs[answers])
        log: list = []
        given = {n: _Asked(v, log, i) if type(v) is AriaCurrent else v
                 for i, (n, v) in enumerate(zip(names, values)) if v is not jinja2.utils.missing}
        text = self._out(template, template.new_context(given, True))
        self.renders[name] = self.renders.get(name, 0) + 1
        if self.renders[name] <= self.LIMIT:
            self.held.append(held)
            questions, kept = tuple(q for q, _ in log), self.kept.setdefault(key, [])
            group = next((g for q, g in kept if q == questions), None)
            if group is None:
                kept.append((questions, group := {}))
            group[tuple(a for _, a in log)] = text
        return self._wrap(context, text)

    @staticmethod
    def _out(template: jinja2.Template, ctx: Any) -> str:
        return "".join(template.root_render_func(ctx))

    @staticmethod
    def _wrap(context: Any, text: str) -> str:
        return Markup(text) if context.eval_ctx.autoescape else text


def gettext_callables(catalog: Any) -> tuple[Callable[..., str], Callable[..., str]]:
    """gettext and ngettext for Jinja's i18n extension.  Where the template escapes (.html), Jinja
    takes what gettext returns as markup, so the translation is escaped here (a catalog holds
    text); in a plain-text template (the newsletter's .txt) it is the text as written."""
    @jinja2.pass_context
    def gettext(context: Any, message: str) -> str:
        return catalog.html(message) if context.eval_ctx.autoescape else catalog.gettext(message)

    @jinja2.pass_context
    def ngettext(context: Any, one: str, many: str, n: int) -> str:
        return gettext(context, one if n == 1 else many)

    return gettext, ngettext


def page_words(config: Any):
    """The theme's words in the pages' language (i18n.Words), or None: English as written."""
    return i18n.page_words(config)


def make_env(site: Site, extra_globals: Mapping[str, Any] | None = None,
             cache: BuildCache | None = None) -> jinja2.Environment:
    config = site.config
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(str(config.root / "templates")), jinja2.FileSystemLoader(str(THEME_DIR / "templates"))]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # one build's templates are those of its start (their digest is in every page key)
        bytecode_cache=CompiledTemplates(cache) if cache is not None else None,
        extensions=["jinja2.ext.i18n", SharedPartials],
    )
    catalog = page_words(config)
    env.filters.update(date=fmt_date, time=fmt_time, time_range=fmt_time_range, iso=iso, json_ld=json_ld,
                       month_name=lambda m: MONTH_NAMES[m - 1], file_size=fmt_size)
    env.filters["tag_url"] = lambda name: f"/tags/{slugify(name)}/"
    env.filters["local"] = lambda value: value.astimezone(config.tz)
    env.globals["when"] = lambda start, end=None, all_day=False: fmt_when(start, end, all_day, config.tz)
    say = i18n.speech(catalog)
    # a word the site writes in config.yaml (a `menu:` title, the office hours) in the pages' language,
    # from the catalogs (the site's locale/<code>.po); text, escaped like any value
    env.filters["translated"] = (lambda text: text) if catalog is None else catalog.gettext
    env.filters["online_words"] = lambda url: words.online_words(url, say)
    env.filters["tag_name"] = lambda name: config.tag_info(slugify(name)).name or name
    env.globals["tag_info"] = config.tag_info
    env.globals["tag_slugs_of"] = lambda kind, tags: [t.slug for t in tags if config.tag_info(t.slug).kind == kind]
    env.globals["month_title"] = lambda path: (lambda y, m: f"{MONTH_NAMES[int(m) - 1]} {y}")(*path.strip("/").split("/")[-2:])
    env.globals["occurrence_words"] = lambda series, occ: words.occurrence_words(series, occ, say)
    env.globals["series_sentence"] = lambda view: series_sentence(view, config.tz, env.filters["time_range"], say)
    # url() and abs_url() are pure functions of the config, called a dozen times on every page: each answer is kept
    env.globals.update(nav=nav_of(site), config=config, url=functools.lru_cache(maxsize=4096)(config.url),
                       abs_url=functools.lru_cache(maxsize=4096)(config.abs_url),
                       text_on=text_on, link_on_white=link_on_white, theme_css_vars=theme_css_vars,
                       theme_style=theme_style, page_policy=site_policy(config, meta=True))
    if catalog is None:
        env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
        env.filters["attendance"] = i18n.attendance
    else:
        gettext, ngettext = gettext_callables(catalog)
        env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
        env.filters.update(i18n.template_functions(config, catalog))
        dates = env.filters
        env.globals["when"] = lambda start, end=None, all_day=False: fmt_when(start, end, all_day, config.tz, dates)
        env.globals["month_title"] = lambda path: (lambda y, m: f"{dates['month_name'](int(m))} {y}")(
            *path.strip("/").split("/")[-2:])
    remember_words(env)
    if config.languages:
        env.globals["lang_url"] = lambda code, path, absolute=False: i18n.url_in(config, code, path or "/", absolute)
    if extra_globals:
        env.globals.update(extra_globals)
    return env


def remember_words(env: jinja2.Environment) -> None:
    """The theme's `_("word")` said once per environment: jinja2.ext.i18n's `_` looks up the
    context's `gettext` and calls it (three calls through the context for each word on each page);
    this `_` keeps what that gettext said for each word without placeholders, separately where the
    template escapes and where it does not.  A call with placeholders, or in a context whose
    `gettext` is another, goes the usual way."""
    alias, gettext = env.globals["_"], env.globals["gettext"]
    said: dict[tuple[bool, str], str] = {}

    @jinja2.pass_context
    def _(context: Any, *args: Any, **variables: Any) -> str:
        if variables or len(args) != 1 or type(args[0]) is not str or context.resolve_or_missing("gettext") is not gettext:
            return alias(context, *args, **variables)
        key = (context.eval_ctx.autoescape, args[0])
        word = said.get(key)
        if word is None:
            word = said[key] = context.call(gettext, args[0])
        return word

    env.globals["_"] = _


def render_named(env: jinja2.Environment, name: str, root: Path, **context: Any) -> str:
    """Render one template; a broken one (a site's override, say) is a Problem at its file and line
    (relative to the site folder `root` when inside it), not a traceback."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateError as exc:  # (a site's own template, mostly)
        raise template_problem(exc, name, root) from None
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        # Python's own errors in a template's expression ({{ 1 // 0 }}, {{ "a" + 1 }}): its file and line too
        raise template_problem(exc, name, root) from None


def template_problem(exc: Exception, name: str, root: Path) -> BuildFailed:
    """A broken template as a Problem at its file and line (relative to the site folder `root`
    when inside it): where a syntax error is, or the line of the template that was running."""
    path, line = getattr(exc, "filename", None) or name, getattr(exc, "lineno", None) or 1
    if not isinstance(exc, jinja2.TemplateSyntaxError):  # a runtime error: the template's own frame says where
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename.endswith((".html", ".txt")):
                path, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
            tb = tb.tb_next
    shown = Path(path).relative_to(root).as_posix() if Path(path).is_relative_to(root) else path
    if isinstance(exc, jinja2.TemplateNotFound):
        said = f"no template {getattr(exc, 'message', None) or exc} in templates/ or the theme"
    elif isinstance(exc, jinja2.TemplateError):
        said = getattr(exc, "message", None) or str(exc)
    else:  # (Python's own error in a template's expression)
        said = f"{type(exc).__name__}: {exc}"
    return BuildFailed([Problem(shown, line, "template", said)])


def plain_text_too(env: jinja2.Environment) -> jinja2.Environment:
    """`env` escaping only its .html templates: a plain-text one (the newsletter's .txt) renders as written."""
    env.autoescape = jinja2.select_autoescape(("html",), default_for_string=True)
    return env


def paginate(items: tuple, per_page: int) -> list[tuple]:
    pages = [items[i : i + per_page] for i in range(0, len(items), per_page)]
    return pages or [()]


def paged_path(first: str, number: int) -> str:
    """Page `number` of a listing whose first page is `first`: "/news/", "/news/page/2/"."""
    return first if number == 1 else f"{first}page/{number}/"


def listing_pages(first: str, items: tuple, per_page: int) -> list[tuple[str, tuple, dict]]:
    """(file, items, pager) for each page of a listing starting at the URL `first`."""
    chunks = paginate(items, per_page)
    return [(to_file(paged_path(first, n)), chunk,
             {"number": n, "total": len(chunks), "prev": paged_path(first, n - 1) if n > 1 else None,
              "next": paged_path(first, n + 1) if n < len(chunks) else None})
            for n, chunk in enumerate(chunks, start=1)]


def to_file(url_path: str) -> str:
    """"/news/x/" → "news/x/index.html"; "/feed.xml" → "feed.xml"."""
    path = url_path.lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


def templates_key(site: Site) -> str:
    """Everything outside a page's own context that decides its bytes."""
    catalog = page_words(site.config)
    return digest(version_key(), tree_digest(site.config.root / "templates", THEME_DIR / "templates"),
                  Fingerprinter()(site.config), Fingerprinter()(nav_of(site)),
                  *((Fingerprinter()(catalog.table),) if catalog is not None else ()))


def renderer_for(site: Site, html_of: Mapping[str, str], memo: PageMemo | None = None,
                 extra_globals: Mapping[str, Any] | None = None,
                 prerendered: dict[str, bytes] | None = None, cache: BuildCache | None = None,
                 alternates: Mapping[str, tuple[str, ...]] | None = None, dry: bool = False) -> Renderer:
    """The one way a Renderer is set up, in the build and in Markdown worker processes alike.
    `cache` (else the memo's) keeps compiled templates."""
    env = make_env(site, extra_globals, cache if cache is not None else memo.cache if memo is not None else None)
    salt = templates_key(site) if site.config.lang and memo is not None else ""
    r = Renderer(site, env, html_of, memo, prerendered, alternates, salt, dry)
    env.globals.update(summary=r.summary, body=r.body, describe=r.describe)
    return r


def item_pages(site: Site) -> dict[str, tuple[str, str, dict]]:
    """Post or page source → (file, template, context) of its page: the one description of those
    pages, used by render_pages, by the Markdown workers that render a page as soon as its
    Markdown is done (cold builds), and by serve's preview of an edit."""
    lang = site.config.lang
    posts = site.posts  # (in a language's part, also the originals it lists untranslated: their pages are the originals')

    def more(post: Post, ended: bool = False) -> dict:
        # Everything a post page shows about other posts is in its context (and so in its key):
        # its related posts and its place in its series.
        return {"related": site.related.get(post.slug, ()), "series": site.series_of.get(post.slug),
                "ended": ended}

    jobs = {post.source: (to_file(post.url), "post.html",
                          {"post": post, "newer": posts[i - 1] if i > 0 else None,
                           "older": posts[i + 1] if i + 1 < len(posts) else None, **more(post)})
            for i, post in enumerate(posts) if post.lang == lang}
    jobs.update({post.source: (to_file(post.url), "post.html",
                               {"post": post, "newer": None, "older": None, **more(post, ended=True)})
                 for post in site.ended if post.lang == lang})
    jobs.update({page.source: (to_file(page.url), "page.html", {"page": page}) for page in site.pages
                 if page.lang == lang})
    return jobs


class _Elsewhere(Exception):
    """A page asked for the HTML of a document this worker did not render."""


class _OnlyThese(Mapping[str, str]):
    def __init__(self, html: dict[str, str]):
        self.html = html

    def __getitem__(self, name: str) -> str:
        if name in self.html:
            return self.html[name]
        raise _Elsewhere(name)  # not KeyError: .get() must not quietly answer ""

    def __iter__(self):
        return iter(self.html)

    def __len__(self) -> int:
        return len(self.html)


class LoneRenderer:
    """Renders pages knowing only some documents' HTML (the rest of the site as it is): for a
    page that needs any other document's HTML (a custom template showing a neighbour's summary,
    say) it answers None, and the caller leaves that page to a full render."""

    def __init__(self, site: Site, cache: BuildCache | None = None,
                 alternates: Mapping[str, tuple[str, ...]] | None = None):
        self.html: dict[str, str] = {}
        self.renderer = renderer_for(site, _OnlyThese(self.html), cache=cache, alternates=alternates)

    def render(self, html: dict[str, str], jobs: list[tuple[str, str, dict]]) -> dict[str, bytes] | None:
        self.html.clear()
        self.html.update(html)
        try:
            pages = [self.renderer.page(path, template, **context) for path, template, context in jobs]
            return {out.path: out.data or b"" for out in pages}
        except (_Elsewhere, BuildFailed):  # (a broken template: the main process renders the page again and says where)
            return None


class PagesInWorkers:
    """Called in a Markdown worker process (forked, so it shares the site) with each document's
    HTML as soon as it is rendered: renders that post's or page's page there too, spreading the
    page rendering of a cold build over all cores.  A page needing another document's HTML is
    left for the main process."""

    def __init__(self, sites: Sequence[Site], names_by_key: Mapping[str, list[str]],
                 alternates: Mapping[str, tuple[str, ...]] | None = None):
        sites = [sites] if isinstance(sites, Site) else sites  # (one language: a Site alone will do)
        self.sites, self.names_by_key, self.alternates = sites, names_by_key, alternates
        self.pages = {source: (n, job) for n, site in enumerate(sites) for source, job in item_pages(site).items()}
        self.lone: dict[int, LoneRenderer] = {}

    def __call__(self, key: str, html: str) -> dict[str, bytes]:
        names = [name for name in self.names_by_key.get(key, ()) if name in self.pages]
        out: dict[str, bytes] = {}
        for n in sorted({self.pages[name][0] for name in names}):
            if n not in self.lone:  # one per worker and language: its templates are compiled once
                self.lone[n] = LoneRenderer(self.sites[n], alternates=self.alternates)
            mine = [name for name in names if self.pages[name][0] == n]
            out.update(self.lone[n].render({name: html for name in mine}, [self.pages[name][1] for name in mine]) or {})
        return out


class SitePages:
    """render_pages in two steps, for build.plan: the constructor renders the pages the theme marks
    for search (posts, pages, the calendar's, contracts: `searchable`), `rest()` the others, so
    the search index can start on the searchable pages of every language of the site while the
    lists, topics and feeds are rendered.  `rest` returns every page, in render_pages' order."""

    def __init__(self, site: Site, html_of: Mapping[str, str], extra_globals: Mapping[str, Any] | None = None,
                 memo: PageMemo | None = None, prerendered: dict[str, bytes] | None = None,
                 alternates: Mapping[str, tuple[str, ...]] | None = None, dry: bool = False):
        self.r = r = renderer_for(site, html_of, memo, extra_globals, prerendered, alternates=alternates, dry=dry)
        config, cal = site.config, site.calendar
        today = site.now.astimezone(config.tz).date()
        self.items = [r.page(path, template, **context) for path, template, context in item_pages(site).values()]
        self.calendar = render_calendar_pages(r, cal) if cal is not None else []
        self.contracts = [r.page(to_file("/contracts/"), "contracts.html", groups=by_employer(config, site.contracts),
                                 today=today, feeds=subscribe_links(config, "/calendar/contracts.ics"))
                          ] if site.contracts else []
        self.searchable = self.items + self.calendar + self.contracts

    def rest(self, extra: Callable[[Renderer], list[Output]] | None = None, spread: bool = False) -> list[Output]:
        """Every page.  `spread`: the lists and topic pages are rendered half here, half in a forked
        copy of this process, on the other core (Share; a cold build's many pages)."""
        r, searchable = self.r, (self.items, self.calendar, self.contracts)
        if not spread or r.dry or (os.cpu_count() or 1) < 2:
            return _listed(r, searchable, extra)
        from site_builder.forked import Beside

        mine, theirs = replace(r, share=Share(forked=False)), replace(r, share=Share(forked=True))

        def in_the_copy() -> dict[str, bytes]:  # (the build cache answers it from memory: BuildCache.db)
            _listed(theirs, searchable, None)
            assert theirs.share is not None
            return theirs.share.made

        beside = Beside(in_the_copy)  # (forked here: the copy has every page and template made so far)
        assert mine.share is not None
        try:
            try:
                out = _listed(mine, searchable, extra)
            except Exception:
                # A page dealt to the copy came before this one: its error, if it has one, is the one a
                # build in one process reports (the first page that fails), so they are rendered here first.
                beside.cancel()
                for path, job in mine.share.theirs.items():
                    mine.render_now(path, job)
                raise
            made = beside.result()
        finally:
            beside.cancel()
        return mine.share.fill(mine, out, made)


def render_pages(site: Site, html_of: Mapping[str, str], extra: Callable[[Renderer], list[Output]] | None = None,
                 extra_globals: Mapping[str, Any] | None = None, memo: PageMemo | None = None,
                 prerendered: dict[str, bytes] | None = None,
                 alternates: Mapping[str, tuple[str, ...]] | None = None, dry: bool = False,
                 spread: bool = False) -> list[Output]:
    """Every HTML page of the news/pages part of the site (`dry`: only their paths, empty), in a
    fixed order (SitePages: the searchable ones are rendered first)."""
    return SitePages(site, html_of, extra_globals, memo, prerendered, alternates, dry).rest(extra, spread)


def _listed(r: Renderer, searchable: tuple[list[Output], list[Output], list[Output]],
            extra: Callable[[Renderer], list[Output]] | None) -> list[Output]:
    """The rest of render_pages: the home page, lists, topics, alerts, series..., in the order
    of the pages returned, the searchable ones among them."""
    site = r.site
    config, cal = site.config, site.calendar
    today = site.now.astimezone(config.tz).date()
    items, calendar, contracts = searchable
    out: list[Output] = []
    contract_notices = notices(site.contracts, site.now, config.tz)
    out.append(r.page(to_file("/"), "home.html", contract_notices=contract_notices,
                      today=today if contract_notices else None, posts=site.posts[: config.posts_per_page],
                      coming_up=cal.coming_up if cal else (), next_closure=cal.next_closure if cal else None,
                      coming_up_later=cal.coming_up_later if cal else (), closures_ahead=cal.closures_ahead if cal else (),
                      next_meetings=cal.next_meetings if cal else (),
                      feeds=subscribe_links(config, "/calendar.ics") if cal else None,
                      actions=site.banner, actions_waiting=frozenset(a.slug for a in site.banner if not a.active(site.now))))
    for path, chunk, pager in listing_pages("/news/", site.posts, config.posts_per_page):
        out.append(r.page(path, "news.html", posts=chunk, pager=pager))
    out.extend(items)  # posts, then pages
    out.append(r.page(to_file("/tags/"), "tags.html", tags=site.tags))
    for tag in site.tags:
        # A tag's news is paginated like /news/: one edited post re-renders one page per tag,
        # not a page listing every post of the tag.  Each page gets the tag without its posts
        # (its fingerprint would otherwise change whenever any of them does).
        # (Values shared by a tag's pages are made once: the page keys memoise them by identity.)
        about = replace(tag, posts=())
        feeds = subscribe_links(config, f"{tag.url}calendar.ics") if tag.events or tag.series else None
        upcoming = tuple(e for e in tag.events if e.end > site.now)
        past = tuple(reversed([e for e in tag.events if e.end <= site.now]))
        for path, chunk, pager in listing_pages(tag.url, tag.posts, config.posts_per_page):
            first = pager["number"] == 1
            out.append(r.page(path, "tag.html", tag=about, has_news=bool(tag.posts), posts=chunk, pager=pager,
                              upcoming=upcoming if first else (), past=past if first else (), feeds=feeds,
                              contracts=tag.contracts if first else (),
                              today=today if first and tag.contracts else None))
    out.extend(render_action_pages(r))
    out.extend(contracts)  # (the page shows days until each expiry: it changes once a day)
    if not config.lang:  # one page for every address not found, in the default language
        out.append(r.page("404.html", "404.html"))
    if config.search:
        out.append(r.page(to_file("/search/"), "search.html"))
    out.extend(calendar)
    if extra:
        out.extend(extra(r))
    return out


def render_action_pages(r: Renderer) -> list[Output]:
    """/act/ (every alert: the current ones, then those that ended) and /series/, /series/<id>/."""
    site = r.site
    out = []
    if site.alerts:
        ended = tuple(a for a in site.alerts if a.expires is not None and a.expires <= site.now)
        current = site.current_alerts
        waiting = frozenset(a.slug for a in current if not a.active(site.now))
        out.append(r.page(to_file("/act/"), "act.html", current=current, waiting=waiting, ended=ended))
    if site.series:
        out.append(r.page(to_file("/series/"), "series_index.html",
                          series=tuple((s.series, len(s.posts), s.posts[-1]) for s in site.series)))
    for item in site.series:
        out.append(r.page(to_file(item.series.url), "series.html", series=item.series, posts=item.posts))
    return out


def render_calendar_pages(r: Renderer, cal: CalendarSite) -> list[Output]:
    """/events/, /events/<slug>/, /meetings/, /closures/, /calendar/ and /calendar/YYYY/MM/."""
    config = r.site.config
    current = current_month_url(cal)
    this_month = next((m for m in cal.months if m.url == current), None)

    def today_in(month) -> date | None:
        """The site's date, for the one month grid it falls in (the others stay unchanged day to day)."""
        return cal.today if month is not None and (month.year, month.month) == (cal.today.year, cal.today.month) else None

    out = [
        r.page(to_file("/events/"), "events.html", upcoming=cal.upcoming, past=cal.past,
               feeds=subscribe_links(config, "/calendar/events.ics"), all_feeds=subscribe_links(config, "/calendar.ics")),
        r.page(to_file("/meetings/"), "meetings.html", series=cal.series, next_meetings=cal.next_meetings,
               feeds=subscribe_links(config, "/calendar/meetings.ics")),
        r.page(to_file("/closures/"), "closures.html", years=cal.closures_by_year, next_closure=cal.next_closure,
               this_year=cal.today.year,
               closures_ahead=cal.closures_ahead,
               feeds=subscribe_links(config, "/calendar/closures.ics")),
        r.page(to_file("/calendar/"), "calendar_index.html", months=tuple((m.year, m.month, m.url) for m in cal.months),
               month=this_month, today=today_in(this_month), feeds=subscribe_links(config, "/calendar.ics")),
    ]
    def event_extras(event: Event) -> dict:
        text = plain_text(str(r.describe(event)))
        return {"json_ld": event_json_ld(config, event, text), "add": add_to_calendar_links(config, event, text),
                "ics": config.url(f"{event_url(event)}event.ics")}

    for event in cal.events:
        out.append(r.page(to_file(event_url(event)), "event.html", derive=lambda event=event: event_extras(event),
                          event=event, watch=livestream_state(event, r.site.now)))
    for month in cal.months:
        out.append(r.page(to_file(month.url), "month.html", month=month, today=today_in(month)))
    return out
