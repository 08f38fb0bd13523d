"""The one sequencer: read → assemble → render → write.  Every other module does one stage."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Mapping

from site_builder import i18n
from site_builder.assemble import Site, assemble
from site_builder.config import SiteConfig
from site_builder.errors import BuildFailed, Problem
from site_builder.feeds import alerts_rss, robots, rss, sitemap
from site_builder.hosts import host_files
from site_builder.schema import FILE_KINDS, json_schema_text
from site_builder.search import Indexing, SearchError, bundle_outputs, search_outputs, searchable, start_search
from site_builder.cms import admin_outputs
from site_builder.cache import BuildCache, Fingerprinter, PageMemo, version_key
from site_builder.hashing import digest
from site_builder.calendar.model import Event
from site_builder.calendar.site import CalendarSite, assemble_calendar, event_url, next_change
from site_builder.models import Output, Page, Post
from site_builder.readers.calendar import read_calendar
from site_builder.readers.content import read_alerts, read_pages, read_posts, read_series
from site_builder.contracts import changes as contract_changes
from site_builder.readers.contracts import read_contracts
from site_builder.readers.files import attachment_outputs, media_problems, with_files
from site_builder.files import outside_link
from site_builder.readers.source import list_sources
from site_builder.render import (THEME_DIR, LoneRenderer, PagesInWorkers, Renderer, description_name, item_pages,
                                 SitePages, render_pages, templates_key, to_file)
from site_builder.writer import EarlyWriter, build_lock, write_site


@dataclass(frozen=True)
class BuildOptions:
    drafts: bool = False
    future: bool = False
    strict: bool = False
    # serve: reuse the last search index instead of re-indexing on every save (it is rebuilt
    # when the server starts); a build for publishing always indexes what it publishes.
    stale_search_ok: bool = False


@dataclass(frozen=True)
class Plan:
    """Everything a build would write, before anything is written."""

    site: Site
    outputs: tuple[Output, ...]
    warnings: tuple[Problem, ...]
    memo: PageMemo | None = None


@dataclass(frozen=True)
class BuildReport:
    output_dir: Path
    pages: int
    written: int
    unchanged: int
    removed: int
    warnings: tuple[Problem, ...]
    seconds: float
    changed: tuple[str, ...] | None = None  # output paths written or removed (in-place builds: serve)
    site: Site | None = None  # what was built (serve previews the next edit from it)
    stale_at: datetime | None = None  # when the built pages first go out of date (stale_at)


def _static_outputs(config: SiteConfig) -> list[Output]:
    files: dict[str, Output] = {}
    for folder in (THEME_DIR / "static", config.root / "static"):
        for path in list_sources(folder, folder, "*"):
            rel_path = path.relative_to(folder).as_posix()
            files[rel_path] = Output(rel_path, source=str(path), kind="static")
    return [files[k] for k in sorted(files)]


def markdown_key(config: SiteConfig, ident: str, text: str) -> str:
    """The cache key of one Markdown text's HTML: its source's content hash when it has one (the
    text itself need not be hashed), else the text; with the settings that change the HTML."""
    settings = f"{config.base_path}|{config.raw_html}"
    return digest(settings, "source", ident) if ident else digest(settings, text)


def markdown_sources(site: Site) -> dict[str, tuple[str, str]]:
    """Every Markdown text of the site by its name, with what identifies the text: posts and
    pages by source path (identified by their source's content hash, so the text itself need not
    be hashed), calendar descriptions by `event:<id>` / `meeting:<id>` (see render.Renderer.body)."""
    texts = {item.source: (item.fingerprint, item.body) for item in (*site.posts, *site.ended, *site.pages)}
    texts.update({s.series.source: (s.series.fingerprint, s.series.body) for s in site.series if s.series.source})
    if site.calendar is not None:
        texts.update({description_name(e, site.config): ("", e.description) for e in site.calendar.events})
        texts.update({description_name(v.series, site.config): ("", v.series.description) for v in site.calendar.series})
    return texts


class RenderedMarkdown(Mapping[str, str]):
    """name → HTML of every Markdown text of the site.  HTML rendered by an earlier build stays
    in the cache until a page that is actually rendered asks for it: a build that reuses most
    pages never loads most of it."""

    def __init__(self, keys: dict[str, str], texts: dict[str, tuple[str, str]], fresh: dict[str, str],
                 cache: BuildCache | None, config: SiteConfig):
        self.keys, self.texts, self.fresh, self.cache, self.config = keys, texts, fresh, cache, config

    def __getitem__(self, name: str) -> str:
        key = self.keys[name]
        html = self.fresh.get(key)
        if html is None and self.cache is not None:
            html = self.cache.get_many("md", [key]).get(key)
        if html is None:  # the entry vanished or was damaged since it was checked: render it here
            from site_builder.markup import render_many

            html = self.fresh[key] = render_many({key: self.texts[name][1]}, self.config.base_path,
                                                 self.config.raw_html)[key]
        return html

    def __iter__(self):
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)


def _render_markdown(sites: list[Site], cache: BuildCache | None, progress: Callable[[int, int], None] | None = None,
                     pages_ready: Callable[[dict[str, bytes]], None] | None = None,
                     alternates: Mapping[str, tuple[str, ...]] | None = None,
                     ) -> tuple[RenderedMarkdown, dict[str, bytes]]:
    """Render the Markdown not already in the cache (rendered with the same text and settings) of
    the site (and of each of its languages' parts, i18n.py).
    Also returns the post pages the Markdown workers rendered along the way (path → bytes),
    each batch also handed to `pages_ready` as it arrives: the cold-build path (docs/architecture.md)."""
    sites = [sites] if isinstance(sites, Site) else sites  # (one language: a Site alone will do)
    config = sites[0].config
    texts = {name: text for site in sites for name, text in markdown_sources(site).items()}
    keys = {name: markdown_key(config, ident, text) for name, (ident, text) in texts.items()}
    present = cache.has_many("md", keys.values()) if cache else set()
    missing = {key: texts[name][1] for name, key in keys.items() if key not in present}
    fresh: dict[str, str] = {}
    pages: dict[str, bytes] = {}
    if missing:
        from site_builder.markup import render_then  # markdown + nh3: imported only when something is rendered

        names_by_key: dict[str, list[str]] = {}
        for name, key in keys.items():
            names_by_key.setdefault(key, []).append(name)
        fresh, pages = render_then(missing, config.base_path, config.raw_html,
                                   then=PagesInWorkers(sites, names_by_key, alternates), progress=progress,
                                   pages_ready=pages_ready)
        if cache:
            cache.put_many("md", fresh)
    return RenderedMarkdown(keys, texts, fresh, cache, config), pages


def with_alert_html(site: Site, cache: BuildCache | None) -> Site:
    """The site with each alert's text rendered.  Alerts are in the banner of every page (render.Nav),
    so their HTML is needed before any page, also in the Markdown workers: rendered here, in this
    process (a few short texts), and cached like every other Markdown text."""
    if not site.alerts:
        return site
    config = site.config
    keys = {a.source: markdown_key(config, a.fingerprint, a.body) for a in site.alerts}
    known = cache.get_many("md", list(keys.values())) if cache else {}
    missing = {keys[a.source]: a.body for a in site.alerts if keys[a.source] not in known}
    if missing:
        from site_builder.markup import render_many

        fresh = render_many(missing, config.base_path, config.raw_html, workers=1)
        if cache:
            cache.put_many("md", fresh)
        known = {**known, **fresh}
    return replace(site, alerts=tuple(replace(a, html=known[keys[a.source]]) for a in site.alerts))


def _made(cache: BuildCache | None, ns: str, jobs: dict[str, tuple[str, Callable[[], bytes]]]) -> list[Output]:
    """jobs: output path → (hash of everything the file is made from, how to make it).
    Files whose hash is in the cache are taken from it; the others are made and stored."""
    known = cache.get_many(ns, [key for key, _ in jobs.values()]) if cache else {}
    fresh = {key: make() for key, make in jobs.values() if key not in known}
    if cache:
        cache.put_many(ns, fresh)
    made = {**known, **fresh}
    return [Output(path, made[key], kind="feed") for path, (key, _) in jobs.items()]


def _feeds(site: Site, r: Renderer, cache: BuildCache | None = None) -> list[Output]:
    """RSS for the site and each tag (each cached under its posts' source hashes and the config),
    then the calendar feeds."""
    config = site.config
    body = lambda post: str(r.body(post))  # noqa: E731
    base = digest(version_key(), Fingerprinter()(config))
    jobs: dict[str, tuple[str, Callable[[], bytes]]] = {}

    def feed(path: str, title: str, link: str, description: str, posts: tuple[Post, ...]) -> None:
        posts = posts[: config.feed_items]
        key = digest(base, path, title, link, description, *(p.fingerprint for p in posts))  # (covers attachments)
        jobs[path.lstrip("/")] = (key, lambda: rss(config, path=path, title=title, link=link, description=description,
                                                   posts=posts, summary=r.summary, body=body).data or b"")

    say = i18n.say(config)
    feed("/feed.xml", config.title, "/news/", config.description, site.posts)
    for tag in site.tags:
        if tag.posts:
            feed(f"{tag.url}feed.xml", f"{config.title}: {tag.name}", tag.url,
                 say("News about %(topic)s from %(site)s", topic=tag.name, site=config.title), tag.posts)
    for item in site.series:
        feed(f"{item.series.url}feed.xml", f"{config.title}: {item.series.title}", item.series.url,
             item.series.summary or say("Every update of %(series)s", series=item.series.title),
             tuple(reversed(item.posts)))
    if site.alerts:  # the alerts that have started, most recent first (the ended ones too: a feed is a record)
        started = tuple(a for a in site.alerts if a.starts is None or a.starts <= site.now)[: config.feed_items]
        words = (say("%(site)s: take action", site=config.title), say("Action alerts from %(site)s", site=config.title))
        key = digest(base, "/act/feed.xml", *words, *(f"{a.fingerprint}:{a.html}" for a in started))
        jobs["act/feed.xml"] = (key, lambda: alerts_rss(config, started, *words).data or b"")
    out = _made(cache, "feed", jobs)
    if site.calendar is not None:
        out += calendar_feeds(site, site.calendar, r, cache)
    if site.contracts:
        out += contracts_feed(site, cache)
    return out


def contracts_feed(site: Site, cache: BuildCache | None = None) -> list[Output]:
    """/calendar/contracts.ics (docs/contracts.md), cached like the other feeds (by config, contracts, day)."""
    config = site.config
    now = site.now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    name = i18n.say(config)("%(name)s: contract expiries", name=config.calendar.name or config.title)
    key = digest(version_key(), Fingerprinter()(config), Fingerprinter()(site.contracts), now.isoformat(), name)
    return _made(cache, "ics", {"calendar/contracts.ics": (key, lambda: ics().contracts_ics(
        name=name, contracts=site.contracts, config=config, now=now, page_url=config.abs_url("/contracts/")))})


def ics():
    """site_builder.calendar.ics, imported only when a feed is made (icalendar takes 55 ms to
    import: a build whose feeds all come from the cache needs none of it)."""
    from site_builder.calendar import ics as module

    return module


def calendar_feeds(site: Site, cal: CalendarSite, r: Renderer, cache: BuildCache | None = None) -> list[Output]:
    """The .ics files: everything, events, meetings, closures, one per tag, one per event.

    Each file is cached under a hash of everything it is made from (items, config, day).
    The feeds are stamped (DTSTAMP, and the cutoff for past items) with the start of the build's
    day in UTC, not the second it ran: rebuilding on the same day leaves every .ics byte for byte
    (and mtime) unchanged, so calendar apps and CDNs have nothing new to fetch."""
    config = site.config
    now = site.now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    fingerprint = Fingerprinter()
    base = digest(version_key(), fingerprint(config), fingerprint(cal.closures), now.isoformat())
    jobs: dict[str, tuple[str, Callable[[], bytes]]] = {}
    name = config.calendar.name or config.title
    series = [v.series for v in cal.series]

    def url_of(item) -> str:
        return config.abs_url(event_url(item)) if isinstance(item, Event) else config.abs_url(f"/meetings/#{item.slug}")

    def feed(path: str, title: str, **items) -> None:
        key = digest(base, path, title, *(f"{k}={fingerprint(v)}" for k, v in sorted(items.items())))
        jobs[path.lstrip("/")] = (key, lambda: ics().calendar_ics(name=title, config=config, now=now, event_url=url_of,
                                                                  series_url=url_of, series_closures=cal.closures,
                                                                  **items))

    feed("/calendar.ics", name, events=cal.events, series=series, closures=cal.closures)
    say = i18n.say(config)
    feed("/calendar/events.ics", say("%(name)s: events", name=name), events=cal.events)
    feed("/calendar/meetings.ics", say("%(name)s: meetings", name=name), series=series)
    feed("/calendar/closures.ics", say("%(name)s: office closures", name=name), closures=cal.closures)
    for tag in site.tags:
        if tag.events or tag.series:
            feed(f"{tag.url}calendar.ics", f"{name}: {tag.name}", events=tag.events, series=tag.series)
    for event in cal.events:
        jobs[f"events/{event.slug}/event.ics"] = (
            digest(base, "event", fingerprint(event)), lambda event=event: ics().event_ics(event, config, now, url_of))
    return _made(cache, "ics", jobs)


def _search(config: SiteConfig, outputs: list[Output], cache: BuildCache | None,
            stale_ok: bool = False, memo: PageMemo | None = None, early: Indexing | None = None) -> list[Output]:
    """The Pagefind index as outputs; reused from the cache while the indexed pages are unchanged.
    `early`: the run `plan` started on the item pages (the early index); its bundle is taken when
    the pages to index are exactly the ones it was started with, else it is stopped (by `plan`)."""
    # The key: every HTML page's path and a hash of its bytes, the reused pages' hashes taken
    # from the page memo, so a build that changed nothing reads no page back from output/.
    key = digest(version_key(), config.base_url,
                 *(part for out in outputs if out.path.endswith(".html") and out.kind == "page"
                   for part in (out.path, (memo.hash_of(out.path) if memo else None) or digest(out.data or b""))))
    # "last:<base_url>" names the key of the latest index, so that serve (stale_ok) can show it
    # while the pages change; it is looked up and set on every build, so it is never pruned.
    last = f"last:{config.base_url}"
    if cache is not None:
        found = cache.get_many("search", [key, last])
        latest = found.get(last) if isinstance(found.get(last), str) else None
        if key not in found and stale_ok and latest is not None:
            shown = cache.get_many("search", [latest])
            if latest in shown:  # (the latest index, shown while the pages change; `last` names it already)
                return shown[latest]
        if key in found:
            if latest != key:
                cache.put_many("search", {last: key})
            return found[key]
    try:
        if early is not None and early.pages == searchable(outputs):
            result = bundle_outputs(early)
        else:
            if early is not None:  # (other pages to index: stopped first, so one copy of them is in memory)
                early.cancel()
            result = search_outputs(config, outputs)
    except SearchError as exc:
        raise BuildFailed([Problem("config.yaml", 1, "search", str(exc))]) from None
    if cache is not None:
        cache.put_many("search", {key: result, last: key})
    return result


def read_site(config: SiteConfig, now: datetime, options: BuildOptions = BuildOptions(),
              cache: BuildCache | None = None) -> tuple[Site, list[Problem]]:
    """The default language's site (read_sites), and the warnings: what `newsletter` reads (the
    other languages' parts are not assembled)."""
    sites, problems = read_sites(config, now, options, cache, languages=False)
    return sites[0], problems


def read_sites(config: SiteConfig, now: datetime, options: BuildOptions = BuildOptions(),
               cache: BuildCache | None = None, languages: bool = True) -> tuple[list[Site], list[Problem]]:
    """Read and assemble everything the site is made from, nothing rendered: the build's first
    half.  One Site per language (the default language's first; i18n.py; `languages=False`: that
    one only).  Raise BuildFailed listing every problem when any is an error; otherwise return the
    sites and the warnings."""
    problems: list[Problem] = list(config.warnings)
    problems += [Problem(str(cache.path), 1, "cache", w, "warning") for w in (cache.warnings if cache else [])]
    posts, found = read_posts(config, cache)
    problems += found
    pages, found = read_pages(config, cache)
    problems += found
    posts, found = with_files(config.root, posts)  # attachments: found on every build (they change on their own)
    problems += found
    pages, found = with_files(config.root, pages)
    problems += found
    contracts, found = read_contracts(config)
    problems += found
    problems += media_problems(config)  # (the editor's uploads: static/ is copied later, by _static_outputs)
    alerts, found = read_alerts(config, cache)
    problems += found
    series_files, found = read_series(config, cache)
    problems += found
    calendar_data, found = read_calendar(config)
    problems += found
    calendar = None
    if calendar_data.events or calendar_data.series or calendar_data.closure_rules:
        calendar, found = assemble_calendar(config, calendar_data, now, i18n.speech(i18n.page_words(config)))
        problems += found
    translations: dict[str, tuple[list[Post], list[Page]]] = {}
    if config.languages:
        posts, translated_posts, found = i18n.split(config, posts, "post")
        problems += found
        pages, translated_pages, found = i18n.split(config, pages, "page")
        problems += found
        problems += i18n.untranslated_problems(posts, translated_posts, "post")
        problems += i18n.untranslated_problems(pages, translated_pages, "page")
        translations = {code: (translated_posts[code], translated_pages[code]) for code in translated_posts}
        problems += i18n.folder_problems(config, [*pages, *(p for _, ps in translations.values() for p in ps)],
                                         _static_outputs(config))
    site, found = assemble(config, posts, pages, now, drafts=options.drafts, future=options.future, calendar=calendar,
                           alerts=alerts, series=series_files, contracts=contracts, cache=cache)
    problems += found
    sites = [site]
    for lang in config.languages[1:] if languages else ():
        own_posts, own_pages = translations[lang.code]
        sub_config, listed_posts, listed_pages = i18n.language_content(config, lang, posts, pages, own_posts, own_pages)
        sub_calendar = calendar
        if calendar is not None:  # (its problems: those of the default language's calendar)
            sub_calendar, _ = assemble_calendar(config, i18n.translate_calendar(calendar_data, lang.code), now,
                                                i18n.speech(i18n.page_words(sub_config)))
        sub, found = assemble(sub_config, listed_posts, listed_pages, now, drafts=options.drafts, future=options.future,
                              calendar=sub_calendar, alerts=i18n.translate_alerts(alerts, lang.code),
                              series=series_files, contracts=contracts, cache=cache)
        own = {item.source for item in (*own_posts, *own_pages)}
        problems += [p for p in found if p.path in own]  # (the rest: said of the default language already)
        sites.append(sub)
    problems += i18n.catalog_problems(config)
    if options.strict:
        problems = [replace(p, severity="error") for p in problems]
    if any(p.is_error for p in problems):
        raise BuildFailed(problems)
    return sites, problems


def plan(config: SiteConfig, now: datetime, options: BuildOptions = BuildOptions(),
         cache: BuildCache | None = None, output_dir: Path | None = None,
         progress: Callable[[int, int], None] | None = None,
         pages_ready: Callable[[dict[str, bytes]], None] | None = None) -> Plan:
    """Read, validate and render the whole site in memory; raise BuildFailed listing every problem.
    `pages_ready` receives pages as soon as the Markdown workers make them, and each language's
    other pages when they are rendered (a cold build writes them while it renders and indexes:
    writer.EarlyWriter.pages_ready).

    With a cache, unchanged sources are not re-parsed, unchanged Markdown is not re-rendered,
    and pages whose whole context is unchanged are reused from `output_dir` as they are.
    """
    sites, problems = read_sites(config, now, options, cache)
    sites = [with_alert_html(each, cache) for each in sites]
    site = sites[0]
    alternates = i18n.alternates(sites, lambda each: render_pages(each, {}, dry=True)) if len(sites) > 1 else None
    html_of, prerendered = _render_markdown(sites, cache, progress, pages_ready, alternates)
    memo = PageMemo(cache, output_dir, templates_key(site)) if cache and output_dir else None
    early: list[Indexing] = []

    def start_early_index(pages: list[Output]) -> None:
        """The early index: when this build rendered every page search may index anew (a cold
        build; not serve, which shows its last index), the pagefind binary starts on them now and
        runs while the lists and feeds of every language are rendered (docs/architecture.md, "Search")."""
        if config.search and not options.stale_search_ok and all(p.data is not None for p in pages):
            try:
                run = start_search(config, searchable(pages))
            except SearchError:  # (reported by the search step, which tries again)
                return
            early.extend([run] if run is not None else [])

    try:
        parts = [SitePages(each, html_of, memo=memo, prerendered=prerendered, alternates=alternates) for each in sites]
        start_early_index([page for part in parts for page in part.searchable])
        outputs: list[Output] = []
        for each, part in zip(sites, parts):
            rendered = part.rest(extra=lambda r, each=each: i18n.in_folder(each, _feeds(each, r, cache)),
                                 spread=bool(prerendered))  # (the cold-build path: pages in two processes)
            if pages_ready is not None:  # (written while the search index and the rest are made)
                pages_ready({o.path: o.data for o in rendered if o.kind == "page" and o.data and o.path not in prerendered})
            outputs += rendered
        entries = [("/" + o.path[: -len("index.html")], None) for o in outputs if o.path.endswith("index.html")]
        lastmod = {i18n.folder(each) + p.url: (p.updated or p.date).date().isoformat()
                   for each in sites for p in (*each.posts, *each.ended) if p.lang == each.config.lang}
        outputs.append(sitemap(config, [(path, lastmod.get(path)) for path, _ in entries]))
        outputs.append(robots(config))
        outputs.extend(_static_outputs(config))
        outputs.extend(attachment_outputs(item for each in sites for item in (*each.posts, *each.ended, *each.pages)))
        if clashes := same_path_problems(config, sites, outputs):  # (before search runs; again once all are made)
            raise BuildFailed(problems + clashes)
        if config.search:
            outputs.extend(_search(config, outputs, cache, options.stale_search_ok, memo, early[0] if early else None))
        outputs.extend(Output(f"schemas/{name}.schema.json", json_schema_text(name).encode("utf-8"), kind="host")
                       for name in FILE_KINDS)  # for editors that check config.yaml as it is typed
        outputs.extend(admin_outputs(config))  # the browser editor at /admin/, when config.yaml has `cms:`
        outputs.extend(host_files(config, outputs))  # (last: _headers has a rule for each of the others' folders)
        if clashes := same_path_problems(config, sites, outputs):
            raise BuildFailed(problems + clashes)
    finally:
        for run in early:  # (stopped unless its bundle was taken: a cached index, other pages to index, a failure)
            run.cancel()
    return Plan(site=site, outputs=tuple(outputs), warnings=tuple(p for p in problems if not p.is_error), memo=memo)


def _origins(sites: list[Site]) -> dict[str, tuple[str, int, str]]:
    """Output path → the source file it is made from, its line and field (the items with an address)."""
    found: dict[str, tuple[str, int, str]] = {}
    for each in sites:
        made = [(item.url, item.source, item.slug_line, "slug") for item in (*each.posts, *each.ended, *each.pages)]
        made += [(s.series.url, s.series.source, 1, "") for s in each.series if s.series.source]
        if each.calendar is not None:
            made += [(event_url(e), e.source, e.line or 1, "") for e in each.calendar.events if e.source]
        for url, source, line, field in made:
            found.setdefault(to_file(i18n.folder(each) + url), (source, line, field))
    return found


def same_path_problems(config: SiteConfig, sites: list[Site], outputs: list[Output]) -> list[Problem]:
    """Two outputs for one path (static/about/index.html beside content/pages/about.md), each
    reported at the source file it comes from, naming both: the writer's own check cannot."""
    first: dict[str, Output] = {}
    clashes = []
    for out in outputs:
        if out.path in first:
            clashes.append((out, first[out.path]))
        first.setdefault(out.path, out)
    if not clashes:
        return []
    origins = _origins(sites)

    def origin(out: Output) -> tuple[str, int, str] | None:
        if out.kind == "static" and out.source:  # a file copied as it is: under static/, or beside a post
            path = Path(out.source)
            for base, shown in ((THEME_DIR, "the theme's "), (config.root, "")):  # (a checkout holds the theme)
                if path.is_relative_to(base):
                    return f"{shown}{path.relative_to(base).as_posix()}", 1, ""
        return origins.get(out.path)

    problems = []
    for later, earlier in clashes:
        named = [origin(later), origin(earlier)]
        names = [o[0] if o else f"the build's own {later.path}" for o in named]
        where = next((o for o in named if o and o[2]), None) or next((o for o in named if o), None)  # (a slug: line)
        path, line, field = where or (later.path, 1, "")
        problems.append(Problem(path, line, field, f"{names[0]} and {names[1]} would both be written to "
                                                   f"{later.path}: rename or move one of them"))
    return problems


def stale_at(site: Site) -> datetime | None:
    """When the built pages first go out of date, in the site's zone: the calendar's next change
    (calendar.site.next_change), an alert starting or ending, a post's call to action ending."""
    tz = site.config.tz
    moments = [next_change(site.calendar, tz)] if site.calendar else []
    moments += [post.expires for post in site.posts if post.expires is not None]
    moments += contract_changes(site.contracts, site.now, tz)
    moments += [when for alert in site.alerts for when in (alert.starts, alert.expires) if when is not None]
    moments = [m for m in moments if m is not None and m > site.now]
    return min(moments).astimezone(tz) if moments else None


def build(
    config: SiteConfig,
    now: datetime,
    options: BuildOptions = BuildOptions(),
    output_dir: Path | None = None,
    on_wait: Callable[[], None] | None = None,
    use_cache: bool = True,
    progress: Callable[[int, int], None] | None = None,
    cache: BuildCache | None = None,
    atomic: bool = True,
    force: bool = False,
) -> BuildReport:
    """Plan and write the site.  `cache`: a long-lived, already open BuildCache (serve keeps one
    across rebuilds); by default one is opened in `.cache/` for this build and closed after.
    `force`: replace the output folder even if site-builder did not make it (writer.claim_output)."""
    started = time.perf_counter()
    target = (Path(output_dir) if output_dir else config.output_path).resolve()
    _refuse_dangerous_output(config, target)
    with build_lock(target, on_wait):
        own_cache = cache is None and use_cache
        if own_cache:
            cache = BuildCache(config.root / ".cache").open()
        early = EarlyWriter(target) if atomic else None
        shown = len(cache.warnings) if cache is not None else 0  # plan() reports these
        try:
            result = plan(config, now, options, cache=cache, output_dir=target, progress=progress,
                          pages_ready=early.pages_ready if early and early.active else None)
            report = write_site(result.outputs, target, atomic=atomic, early=early, force=force)
            if result.memo:
                result.memo.commit()
            if cache is not None:
                cache.finish(ok=True)
                late = [Problem(str(cache.path), 1, "cache", w, "warning") for w in cache.warnings[shown:]]
                result = replace(result, warnings=result.warnings + tuple(late))  # (a cache that filled the disk)
        finally:
            if early is not None:
                early.close()
            if cache is not None:
                cache.finish(ok=False)  # (after a success: nothing left to do)
                if own_cache:
                    cache.close()
    return BuildReport(
        output_dir=target,
        pages=sum(1 for o in result.outputs if o.path.endswith(".html")),
        written=report.written,
        unchanged=report.unchanged,
        removed=report.removed,
        warnings=result.warnings,
        seconds=time.perf_counter() - started,
        changed=report.changed,
        site=result.site,
        stale_at=stale_at(result.site),
    )


def preview_edits(site: Site, edited: Iterable[Path], cache: BuildCache | None = None) -> dict[str, bytes] | None:
    """The pages of edited posts and pages, rendered on their own from the last build's `site`:
    what serve shows at once while the full rebuild runs.  Only when the edit cannot have moved
    the item (same slug, date, draft state; for a page in the menu, same title and place), so
    that the page is exactly what the full build will make; otherwise (or for any problem, a new
    file, a template needing another document's HTML) None, and serve waits for the full build."""
    from site_builder.markup import MarkdownRenderer
    from site_builder.readers.content import read_one

    config = site.config
    known = {item.source: item for item in (*site.posts, *site.pages)}
    new: dict[str, Post | Page] = {}
    for path in edited:
        try:
            item, problems = read_one(config, path)
        except (OSError, ValueError, KeyError):
            return None
        old = known.get(item.source) if item is not None else None
        if item is not None and item.attachments:  # its files are found by the full build (readers/files.with_files)
            return None
        if old is None or problems or type(item) is not type(old) or item.slug != old.slug or item.draft != old.draft:
            return None
        if isinstance(item, Post) and item.date != old.date:
            return None
        if isinstance(item, Page) and (item.menu != old.menu or (item.menu is not None and item.title != old.title)):
            return None
        new[item.source] = item
    if not new:
        return None
    site = replace(site, posts=tuple(new.get(p.source, p) for p in site.posts),
                   pages=tuple(new.get(p.source, p) for p in site.pages))
    renderer = MarkdownRenderer(config.base_path, config.raw_html)
    html = {source: renderer.render(item.body) for source, item in new.items()}
    jobs = item_pages(site)
    return LoneRenderer(site, cache).render(html, [jobs[source] for source in new])


def serve_output_dir(config: SiteConfig) -> Path:
    """Where `serve` builds its preview: private, inside the cache folder."""
    return config.root / ".cache" / "serve" / "output"


def _refuse_dangerous_output(config: SiteConfig, target: Path, field: str = "output_dir", suggestion: str = "output/",
                             also: Mapping[Path, str] | None = None) -> None:
    """output/ is replaced whole: it may not overlap anything the site is read from.

    Not the site folder nor a folder holding it; not content/, templates/, static/ or the cache,
    nor a folder inside or around one of them (a build would move its files aside, the next
    one delete them; an output inside static/ would copy itself into itself on every build).
    Serve's private preview folder inside .cache/ is the one exception.  (`newsletter --output`
    is checked the same way, `also` adding the site's own output folder; `field` and
    `suggestion` say which setting the message is about.)"""
    target = target.resolve()
    root = config.root.resolve()
    inputs = {config.content_dir: "the site's content", config.root / "templates": "the site's templates",
              config.root / "static": "the site's static files", config.root / ".cache": "the build cache",
              **(also or {})}
    problem = None
    if target == root or root.is_relative_to(target):
        problem = f"{target} would replace {root}"
    for folder, role in inputs.items():
        folder = folder.resolve()
        if problem is None and target != serve_output_dir(config).resolve() and (
                target == folder or folder.is_relative_to(target) or target.is_relative_to(folder)):
            problem = (f"{target} is inside {folder} ({role})" if target != folder and target.is_relative_to(folder)
                       else f"{target} would replace {folder} ({role})")
    cache = config.root / ".cache"
    if problem is None and target.is_relative_to(cache.resolve()) and (why := outside_link(cache, config.root, "folder")):
        problem = f"{target} is inside .cache, which {why}"  # (serve's preview: it would be written out there)
    if problem:
        raise BuildFailed([Problem("config.yaml", 1, field, f"{problem}; choose a folder of its own such as {suggestion}")])
