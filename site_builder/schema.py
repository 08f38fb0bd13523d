"""One description of every field of every file a volunteer writes, used four ways.

Each content type (config.yaml and its sections, a post's and a page's front matter, an
event, a meeting series and its changes, a closure rule) is a `Kind`: a tuple of `Field`s with
name, type, required, default, allowed values, limits and help text.  From these tables come:

1. validation: `FieldReader` (below) reads one YAML mapping against a Kind, with the
   messages every reader prints (`path:line: field: message`, unknown keys as warnings);
2. the field tables in docs/ (`docs_table`, written by `python -m site_builder.schema --docs`;
   a test fails when a table in docs/ differs);
3. the browser editor's `admin/config.yml` (site_builder.cms maps each Field to a widget);
4. a JSON Schema per file kind (`json_schema`), published in output/schemas/ and shipped in
   the package (site_builder/schemas/), for editors with the YAML language server.

A field's `type` is one word of TYPES; a reader parses values of that type with the parser the
type names (plain ones here; the calendar's times, durations and rules in readers/calendar.py).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Iterable

from site_builder.textutil import RAW_HTML_MODES

# type → (what the docs call it, its JSON Schema)
TYPES: dict[str, tuple[str, dict]] = {
    "text": ("text", {"type": ["string", "number"]}),
    "markdown": ("Markdown text", {"type": "string"}),
    "int": ("whole number", {"type": "integer"}),
    "bool": ("true / false", {"type": "boolean"}),
    "choice": ("one of", {"type": "string"}),
    "date": ("date `YYYY-MM-DD`", {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}),
    "datetime": ("date, or date and time", {"type": "string",
                                             "pattern": r"^\d{4}-\d{2}-\d{2}([ T].+)?$"}),
    "time": ("time (`18:30`, `6:30 pm`)", {"type": ["string", "integer"]}),
    "end": ("time, or date and time", {"type": ["string", "integer"]}),
    "duration": ("duration (`90 minutes`)", {"type": "string"}),
    "timezone": ("IANA time zone", {"type": "string", "pattern": r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+)+$|^UTC$"}),
    "url": ("https:// address", {"type": "string", "pattern": r"^https?://"}),
    "link": ("site path or https:// address", {"type": "string"}),
    "colour": ("colour `#rrggbb`", {"type": "string", "pattern": r"^#[0-9a-fA-F]{6}$"}),
    "slug": ("slug (a-z, 0-9, -)", {"type": "string", "pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$", "maxLength": 100}),
    "id": ("id (a-z, 0-9, -)", {"type": "string", "pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$", "maxLength": 100}),
    "tags": ("list of words", {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]}),
    "recurrence": ("repeat rule", {"type": "string"}),
    "rule": ("closure rule", {"type": "string"}),
    "place": ("place: a name, or name and address", {}),
    "dates": ("list of dates", {"type": "array", "items": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}}),
    "path": ("folder", {"type": "string"}),
    "file": ("file: `/path` under static/, or a name beside the post", {"type": "string"}),
    "pdf": ("PDF: `/path` under static/", {"type": "string", "pattern": r"^/.*\.[pP][dD][fF]$"}),
    "language": ("language code (`en`, `es`)", {"type": "string", "pattern": r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
                                                 "maxLength": 35}),
    "list": ("list", {"type": "array"}),
    "languages": ("mapping of language codes", {"type": "object", "propertyNames": {
        "pattern": r"^[a-z]{2,3}$"}}),
    "object": ("section", {"type": "object"}),
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    help: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    of: "Kind | str | None" = None  # list: the Kind (or type) of each item; object: its Kind
    example: str = ""  # shown in docs and as the editor's hint

    def __post_init__(self) -> None:
        assert self.type in TYPES, self.type


@dataclass(frozen=True)
class Kind:
    name: str  # "post", "event", "config.calendar", ...
    title: str  # for people: "News post"
    where: str  # "content/posts/*.md (front matter)"
    fields: tuple[Field, ...]
    body: str = ""  # what the Markdown body is, for files that have one
    plural: str = ""  # "menu entries" (default: the title, lowercase, with an s)

    @property
    def many(self) -> str:
        return self.plural or self.title.lower() + "s"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def __getitem__(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


# --- config.yaml ------------------------------------------------------------------------
MENU_ITEM = Kind("config.menu", "Menu entry", "config.yaml menu:", plural="menu entries", fields=(
    Field("title", "text", "the link's text", required=True),
    Field("url", "link", "a site path (`/about/`) or an https:// address", required=True),
))

THEME = Kind("config.theme", "Theme", "config.yaml theme:", (
    Field("logo", "link", "header logo: a site path from static/", default=""),
    Field("primary_color", "colour", "brand colour (text falls back to black or white for contrast)", default="#6b1d7a"),
    Field("accent_color", "colour", "accent colour", default="#f2b705"),
    Field("extra_css", "list", "stylesheets added after the theme's (site paths)", default=(), of="link"),
))

WEEKDAY_SHIFT = ("none", "previous", "next")

CALENDAR = Kind("config.calendar", "Calendar settings", "config.yaml calendar:", (
    Field("name", "text", "calendar name in subscribers' apps (default: the site title)", default=""),
    Field("first_year", "int", "the first year of closures computed; dates in `content/calendar/` may lie up to 10 "
          "years either side of the years (see [calendar.md](calendar.md#limits))", default=2025, minimum=1900,
          maximum=2200),
    Field("last_year", "int", "the last year of closures computed: at most 20 years in all", default=2027,
          minimum=1900, maximum=2200),
    Field("past_days", "int", "how many days past events stay in the feeds", default=365, minimum=0, maximum=3650),
    Field("refresh_hours", "int", "how often calendar apps should fetch the feeds (`REFRESH-INTERVAL` and "
          "`X-PUBLISHED-TTL`)",
          default=12, minimum=1, maximum=720),
    Field("observe_saturday", "choice", "a fixed-date closure on a Saturday is observed the day before, after, or not",
          default="previous", choices=WEEKDAY_SHIFT),
    Field("observe_sunday", "choice", "the same for a Sunday", default="next", choices=WEEKDAY_SHIFT),
    Field("home_events", "int", "upcoming events and meetings listed on the home page", default=3, minimum=0,
          maximum=50),
))

CMS_BACKENDS = ("github", "git-gateway")
CMS_EDITORS = ("decap", "sveltia")

CMS = Kind("config.cms", "Browser editor", "config.yaml cms:", (
    Field("backend", "choice", "where the editor saves: `github` (commits to `repo`, each volunteer signs in with "
          "GitHub) or `git-gateway` (Netlify Identity); `site-builder serve --cms` always edits content/ on this "
          "computer instead (see [editor.md](editor.md))", default="github", choices=CMS_BACKENDS),
    Field("repo", "text", "the GitHub repository holding the site, `owner/name` (backend `github`)", default="",
          example="local12/website"),
    Field("branch", "text", "the branch edits are saved to", default="main"),
    Field("auth_url", "url", "`github`: the address of the OAuth helper that signs volunteers in (default: "
          "Netlify's, `https://api.netlify.com`)", default=""),
    Field("media_folder", "path", "where uploaded images are saved: a folder inside `static/`; they are published "
          "at the same path without `static/`. Only documents, images, audio, video and ZIP files may be in it (no "
          "`.svg`, `.html` or `.js`: docs/hardening.md); keep the site's own files in another folder of `static/`",
          default="static/images"),
    Field("editor", "choice", "the editor app `/admin/` loads: `decap` (Decap CMS) or `sveltia` (Sveltia CMS, "
          "the same config.yml)", default="decap", choices=CMS_EDITORS),
))

RAW_HTML = RAW_HTML_MODES

CONTACT = Kind("config.contact", "Contact details", "config.yaml contact:", plural="contact details", fields=(
    Field("phone", "text", "the office's phone number, as members dial it (`651-555-0112`); linked with `tel:`",
          example="651-555-0112"),
    Field("email", "text", "the office's email address; linked with `mailto:`", example="office@local12.org"),
    Field("address", "text", "the office's street address, one line (`2 Main Street, Saint Paul, MN 55101`); "
          "linked to a map search", example="2 Main Street, Saint Paul, MN 55101"),
    Field("hours", "text", "when the office is open (`Monday to Friday, 8:30 am to 4:30 pm`)",
          example="Monday to Friday, 8:30 am to 4:30 pm"),
))

TAG_KINDS = ("employer", "unit", "topic")

TAG = Kind("config.tags", "Topic", "config.yaml tags:", plural="topics", fields=(
    Field("slug", "slug", "the tag as posts and events write it (`healthpartners`)", required=True),
    Field("name", "text", "how the site shows it (`HealthPartners`; default: the tag as written)"),
    Field("kind", "choice", "`employer` (an employer whose workers the local represents), `unit` (a bargaining "
          "unit) or `topic`; the topics page groups them so", default="topic", choices=TAG_KINDS),
    Field("status", "text", "employers: one line on where bargaining stands (`Tentative agreement; ratification "
          "vote Jan 12`), shown on the topic page and the topics index"),
))

NEWSLETTER = Kind("config.newsletter", "Newsletter", "config.yaml newsletter:", plural="newsletter settings", fields=(
    Field("title", "text", "the newsletter's name: its heading and the start of each issue's subject (default: the "
          "site's `title` and \"news\")", default="", example="Local 12 News"),
    Field("sender", "text", "the sender's address in `newsletter.eml` (default: `contact.email`, else newsletter@ "
          "and base_url's host); mail services set their own sender when you paste", default="",
          example="news@local12.org"),
    Field("unsubscribe", "text", "the unsubscribe address your mail service fills in for each reader: "
          "`*|UNSUB|*` (Mailchimp), `{{ unsubscribe_url }}` (Action Network) or any https:// page "
          "(see [newsletter.md](newsletter.md#unsubscribe))", default="*|UNSUB|*"),
    Field("first_days", "int", "the first issue (no earlier one remembered, no `--since`) covers the posts of this "
          "many days before today", default=30, minimum=1, maximum=3650),
    Field("days_ahead", "int", "the events and meeting dates of this many days ahead are listed (the next office closure, however far)", default=30,
          minimum=1, maximum=366),
    Field("max_posts", "int", "at most this many new posts are listed in full; the rest are counted with a link to "
          "`/news/`", default=20, minimum=1, maximum=500),
))

LANGUAGE = Kind("config.languages", "Language", "config.yaml languages: (one entry per language code)", (
    Field("name", "text", "the language's name as its speakers write it (`Español`, `Soomaali`, `Hmoob`): the "
          "language switcher shows it", required=True, example="Español"),
    Field("show_untranslated", "bool", "list the posts not translated into this language on its news pages, "
          "feeds and topics (linked to the original); otherwise only its translations are listed", default=False),
))

CONFIG = Kind("config", "Site settings", "config.yaml", (
    Field("title", "text", "the site's name", required=True, example="OPEIU Local 12"),
    Field("description", "text", "one sentence for the home page, feeds and link previews", default=""),
    Field("base_url", "url", "the public address; a subpath (`https://example.org/local12/`) is honoured everywhere. "
          "Override with `--base-url`. Spaces, quotes and invisible characters (bidi controls such as U+202E, "
          "zero-width ones) are refused", default="http://localhost:8000/"),
    Field("language", "language", "the pages' language; with `languages:`, the default one, built at `/`",
          default="en"),
    Field("languages", "languages", "the languages of a multilingual site, by code (`en`, `es`, `so`, `hmn`): the "
          "default (`language`) at `/`, each other under `/<code>/` (docs/languages.md); without it the site has one "
          "language", of=LANGUAGE),
    Field("timezone", "timezone", "the zone of every date and time written without an offset (a city such as "
          "`America/Chicago`; a region such as `America` is refused)", default="America/Chicago"),
    Field("author", "text", "the site's author, in feeds", default=""),
    Field("posts_per_page", "int", "posts on each news page (`/news/`, `/news/page/2/`…), each topic page "
          "(`/tags/<slug>/`…) and on the home page", default=10, minimum=1, maximum=1000),
    Field("feed_items", "int", "items in each RSS feed", default=20, minimum=1, maximum=10000),
    Field("summary_length", "int", "length of a summary made from the text", default=280, minimum=1, maximum=100000),
    Field("raw_html", "choice", "raw HTML in Markdown: `sanitize` (the default) keeps only an allow-list of tags and "
          "attributes (no script, iframe, svg, style, `on*` attributes or `javascript:` links; ids, classes, "
          "footnotes and tables stay); `allow`, written out, keeps it as written (every author trusted); `escape` "
          "shows it as text. In every mode a Markdown link to a "
          "`javascript:`, `data:` or `vbscript:` address loses that address. See [hardening](hardening.md)",
          default="sanitize", choices=RAW_HTML),
    Field("search", "bool", "a Pagefind search index and a `/search/` page (see [theme.md](theme.md#search))",
          default=True),
    Field("output_dir", "path", "the output folder, replaced whole by each build: never the site folder, `content/`, "
          "`templates/`, `static/` or `.cache/` (or inside one), and a non-empty folder only if an earlier build "
          "made it (`--force` overrides; [hardening](hardening.md))", default="output"),
    Field("menu", "list", "extra navigation links", default=(), of=MENU_ITEM),
    Field("theme", "object", "colours, logo and extra stylesheets (docs/theme.md)", of=THEME),
    Field("calendar", "object", "calendar settings (docs/calendar.md)", of=CALENDAR),
    Field("contact", "object", "the office's phone, email, address and hours: the footer and the contact page",
          of=CONTACT),
    Field("tags", "list", "display names, kinds and bargaining status of topics (docs/configuration.md#topics)",
          default=(), of=TAG),
    Field("cms", "object", "a browser editor at `/admin/` (docs/editor.md); without this section there is none",
          of=CMS),
    Field("newsletter", "object", "the email issue `site-builder newsletter` writes (docs/newsletter.md)",
          of=NEWSLETTER),
))

# --- translations (docs/languages.md) -------------------------------------------------------
TRANSLATION = Kind("translation", "Translation", "translations: (one entry per language code)", (
    Field("title", "text", "the title in that language (a closure: the holiday's name as members see it)"),
    Field("description", "markdown", "the details in that language, in Markdown (an alert: its text)"),
    Field("note", "text", "a changed date's note in that language"),
    Field("link_text", "text", "an alert's link words in that language"),
))


def _translations(what: str) -> Field:
    return Field("translations", "languages", f"the {what} in the site's other languages, by code: "
                 "`{es: {title: …, description: …}}`; what is left out stays in the default language "
                 "(docs/languages.md)", of=TRANSLATION)


# --- posts and pages ----------------------------------------------------------------------
ATTACHMENT = Kind("attachment", "Attached file", "attachments: (posts and pages)", fields=(
    Field("file", "file", "`/files/letter.pdf` (static/files/letter.pdf), or a file's name beside the post or page "
          "(`letter.pdf` next to content/posts/the-post.md)", required=True, example="/files/extension-vote-letter.pdf"),
    Field("title", "text", "the link's words (`Letter to members`)", required=True),
))

CREDIT = Kind("post.source", "Original source", "content/posts/*.md source:", plural="original sources", fields=(
    Field("name", "text", "who published it first (`Pioneer Press`)", required=True),
    Field("url", "url", "the original's address", required=True),
    Field("author", "text", "who wrote the original"),
    Field("date", "date", "when the original was published"),
))
POST = Kind("post", "News post", "content/posts/*.md (front matter)", (
    Field("title", "text", "the headline", required=True),
    Field("date", "datetime", "`2026-03-14` or `2026-03-14 18:30` (site `timezone`), or with an offset "
          "`2026-03-14T18:30:00-05:00` or `Z` (`2026-03-14T23:30:00.000Z`, as editors write it), shown in the site "
          "`timezone`; a post dated in the future waits until then", required=True),
    Field("updated", "datetime", "when the post was last changed; shown, and used in the sitemap"),
    Field("summary", "text", "one or two sentences for lists, feeds and link previews; without it the first words "
          "of the text are used (`summary_length`)"),
    Field("tags", "tags", "topics (`[kaiser, bargaining]`); each becomes `/tags/<slug>/` with its own feed",
          default=()),
    Field("author", "text", "shown under the title and in the feed"),
    Field("image", "link", "a lead image: a site path (`/images/picket.jpg`, from `static/`) or a full URL"),
    Field("draft", "bool", "`true` keeps the post off the site unless built with `--drafts`", default=False),
    Field("slug", "slug", "the URL name (default: from the file name); permanent once published"),
    Field("expires", "datetime", "when a call to action ends: from then on the post leaves the lists, topic pages "
          "and feeds, but its page stays and says \"This call to action ended on …\" (a date alone: the end of "
          "that day)"),
    Field("source", "object", "a story first published elsewhere (a repost): the page credits it and points search "
          "engines at the original (`<link rel=\"canonical\">`)", of=CREDIT),
    Field("series", "slug", "the update series the post belongs to (`kaiser-national-bargaining-2019`): the post "
          "shows \"Update 2 of 5\" with the previous and next ones, and `/series/<id>/` lists them all; "
          "`content/series/<id>.md` may give the series a title and an introduction"),
    Field("attachments", "list", "files listed under the text with their type and size (the first is also the "
          "RSS item's enclosure)", default=(), of=ATTACHMENT),
), body="the post's text, in Markdown")


ALERT = Kind("alert", "Action alert", "content/alerts/*.md (front matter)", (
    Field("title", "text", "the call to action, short (`Call your senator: pass the HEROES Act`)", required=True),
    Field("link", "text", "where to act: a site path, an https:// address (a petition, a call script), a "
          "`tel:` number or a `mailto:` address; `javascript:`, `data:` and `vbscript:` are refused",
          example="tel:+16515551234"),
    Field("link_text", "text", "the link's words", default="Take action"),
    Field("starts", "datetime", "when the alert appears (default: at once); a date alone is the start of that day"),
    Field("expires", "datetime", "when it disappears (default: never); a date alone is the end of that day"),
    Field("tags", "tags", "the same topics as news posts", default=()),
    Field("draft", "bool", "`true` keeps the alert off the site unless built with `--drafts`", default=False),
    Field("slug", "slug", "the alert's name in /act/ and its feed (default: from the file name)"),
    _translations("title, text and link words"),
), body="the alert's text, in Markdown: one or two sentences (more than 300 characters is a warning)")

SERIES = Kind("series", "Update series", "content/series/*.md (front matter)", plural="update series", fields=(
    Field("title", "text", "the series' name (`Kaiser national bargaining 2019`)", required=True),
    Field("id", "slug", "the id posts name in `series:` (default: the file name)"),
    Field("summary", "text", "one sentence for the series page's description and feed"),
), body="the series' introduction, in Markdown (shown above its list of updates)")

PAGE = Kind("page", "Page", "content/pages/*.md (front matter)", (
    Field("title", "text", "the page's heading", required=True),
    Field("updated", "datetime", "when the page was last changed"),
    Field("summary", "text", "one sentence for link previews and search results"),
    Field("menu", "int", "its place in the main menu (1 first); without it the page is not in the menu",
          minimum=0, maximum=1000),
    Field("draft", "bool", "`true` keeps the page off the site unless built with `--drafts`", default=False),
    Field("slug", "slug", "the URL name: `/<slug>/` (default: from the file name)"),
    Field("attachments", "list", "files listed under the text with their type and size", default=(), of=ATTACHMENT),
), body="the page's text, in Markdown")

# --- content/contracts.yaml -------------------------------------------------------------
BARGAINING_STATUS = ("in force", "in bargaining", "tentative agreement", "expired")

CONTRACT_LANGUAGE = Kind("contract.language", "Translation", "contracts[].languages[]", fields=(
    Field("language", "language", "the translation's language code (`es`, `so`, `hmn`): one of config.yaml "
          "`languages:` or a language the build names; the link is labelled with its name (`Español`)", required=True),
    Field("document", "pdf", "the translated PDF under static/ (`/contracts/healthpartners-2020-es.pdf`)",
          required=True),
))

CONTRACT = Kind("contract", "Contract", "content/contracts.yaml contracts:", (
    Field("id", "id", "permanent: the contract's calendar item is known by it (`healthpartners-clerical-2020`)",
          required=True),
    Field("employer", "slug", "the employer's topic, one of config.yaml's `tags:` (`healthpartners`)", required=True),
    Field("unit", "text", "who it covers (`Clerical workers`)", required=True),
    Field("effective", "date", "its first day (required unless the contract is still `in bargaining`)"),
    Field("expires", "date", "its last day (required unless `in bargaining`); from 120 days before, the home page "
          "says so"),
    Field("document", "pdf", "the contract as a PDF under static/ (`/contracts/healthpartners-2020.pdf`)"),
    Field("summary", "text", "one or two sentences: what it covers, what changed"),
    Field("bargaining_status", "choice", "where it stands", default="in force", choices=BARGAINING_STATUS),
    Field("languages", "list", "the document in other languages", default=(), of=CONTRACT_LANGUAGE),
))

CONTRACTS_FILE = Kind("contracts-file", "Contracts file", "content/contracts.yaml", (
    Field("contracts", "list", "every contract, each with its employer, dates and document", default=(),
          of=CONTRACT),
))

# --- the calendar ------------------------------------------------------------------------
VENUE = Kind("venue", "Place", "venue:", (
    Field("name", "text", "the place's name", required=True),
    Field("address", "text", "street address, city"),
))

ATTENDANCE = ("in-person", "online", "hybrid")
STATUS = ("scheduled", "cancelled", "postponed")
ON_CLOSURE = ("keep", "skip", "next-working-day", "next-week")

_CHANGE_FIELDS = (
    Field("date", "date", "the date the rule gives (the original date, even for a move)", required=True),
    Field("time", "time", "another start time that day"),
    Field("end", "end", "another end time"),
    Field("duration", "duration", "another length, instead of end"),
    Field("title", "text", "another title for this date"),
    Field("venue", "place", "another place", of=VENUE),
    Field("online_url", "url", "another online meeting address"),
    Field("attendance", "choice", "how to attend this time", choices=ATTENDANCE),
    Field("status", "choice", "`cancelled` keeps it listed as cancelled (a skip just disappears)", choices=STATUS),
    Field("note", "text", "a short note shown with this date"),
    _translations("date's title and note"),
)
OVERRIDE = Kind("override", "Changed date", "meetings[].override[]", _CHANGE_FIELDS)
MOVE = Kind("move", "Moved date", "meetings[].move[]", _CHANGE_FIELDS[:1] + (
    Field("to", "datetime", "the new date, or date and time (`2025-01-08 17:30`)", required=True),
) + _CHANGE_FIELDS[1:])

_COMMON = (
    Field("venue", "place", "where: a name, or `{name:, address:}`", of=VENUE),
    Field("online_url", "url", "the Zoom (or other) address to join online"),
    Field("attendance", "choice", "how to attend (guessed when left out: hybrid with a venue and an online_url, "
          "online with only online_url, else in-person)", choices=ATTENDANCE),
    Field("registration_url", "url", "where to sign up"),
    Field("tags", "tags", "the same topics as news posts", default=()),
    Field("description", "markdown", "the details, in Markdown"),
    Field("timezone", "timezone", "when this entry's times are in another zone than the site's"),
    Field("updated", "datetime", "when you last changed it (calendar apps are told)"),
    _translations("title and description"),
)

EVENT = Kind("event", "Event", "content/calendar/*.yaml events:", (
    Field("id", "id", "permanent: calendar apps know the event by it; change the title freely, never the id",
          required=True),
    Field("slug", "slug", "the page address `/events/<slug>/` (default: the id); also permanent"),
    Field("title", "text", "what it is", required=True),
    Field("start", "datetime", "`2025-04-16 6:30 pm`, or a date alone for an all-day event", required=True),
    Field("end", "end", "an end time (same day), a date and time, or for an all-day event its last day"),
    Field("duration", "duration", "instead of end: `90 minutes`, `2 hours`"),
    Field("status", "choice", "cancelled and postponed events stay listed, marked", default="scheduled",
          choices=STATUS),
    Field("livestream_url", "url", "live coverage of the event (a Facebook Live or YouTube address): the page shows "
          "\"Watch live\" from an hour before the start, the .ics event carries it as `CONFERENCE`, and search "
          "engines see an online place too"),
) + _COMMON)

MEETING = Kind("meeting", "Meeting series", "content/calendar/*.yaml meetings:", plural="meeting series", fields=(
    Field("id", "id", "permanent: calendar apps know the series by it", required=True),
    Field("slug", "slug", "the page address (default: the id)"),
    Field("title", "text", "the meeting's name", required=True),
    Field("repeat", "recurrence", "`first Wednesday monthly`, `every Tuesday`, ... or an RRULE", required=True),
    Field("time", "time", "start time", required=True),
    Field("end", "end", "end time"),
    Field("duration", "duration", "instead of end"),
    Field("from", "date", "first possible date", required=True),
    Field("until", "date", "last possible date"),
    Field("on_closure", "choice", "when a date falls on an office closure", default="keep", choices=ON_CLOSURE),
    Field("skip", "dates", "dates the meeting does not happen (a holiday pause)", default=()),
    Field("move", "list", "dates held on another day or time", default=(), of=MOVE),
    Field("override", "list", "dates that differ (in person, cancelled, another time)", default=(), of=OVERRIDE),
) + _COMMON)

CLOSURE = Kind("closure", "Office closure rule", "content/calendar/*.yaml closures:", (
    Field("id", "id", "permanent: calendar apps know the closure by it", required=True),
    Field("name", "text", "the holiday's name (what the site shows, unless `public_name` is given)", required=True),
    Field("public_name", "text", "what members see when `name` describes the rule rather than the day "
          "(`name: Last working day before Christmas`, `public_name: Christmas holiday`)",
          example="Christmas holiday"),
    Field("when", "rule", "`January 1`, `third Monday of January`, `Easter - 2 days`, `1 day after thanksgiving`, "
          "`last working day before christmas-day`", required=True),
    Field("observe_saturday", "choice", "this rule's weekend observance (default: config's calendar setting)",
          choices=WEEKDAY_SHIFT),
    Field("observe_sunday", "choice", "the same for a Sunday", choices=WEEKDAY_SHIFT),
    _translations("holiday's name (`title`)"),
))

CALENDAR_FILE = Kind("calendar-file", "Calendar file", "content/calendar/*.yaml", (
    Field("events", "list", "one-off events", default=(), of=EVENT),
    Field("meetings", "list", "meeting series", default=(), of=MEETING),
    Field("closures", "list", "office closure rules", default=(), of=CLOSURE),
))

KINDS: dict[str, Kind] = {k.name: k for k in (
    CONFIG, THEME, CALENDAR, CMS, CONTACT, TAG, MENU_ITEM, LANGUAGE, POST, CREDIT, PAGE, ALERT, SERIES, EVENT, MEETING, MOVE,
    OVERRIDE, VENUE, CLOSURE, CALENDAR_FILE, TRANSLATION, ATTACHMENT, CONTRACT, CONTRACT_LANGUAGE, CONTRACTS_FILE)}
FILE_KINDS = {"config": CONFIG, "calendar": CALENDAR_FILE, "post": POST, "page": PAGE, "alert": ALERT,
              "series": SERIES, "contracts": CONTRACTS_FILE}


# --- 2. docs tables ------------------------------------------------------------------------
def _default_text(f: Field) -> str:
    if f.required:
        return "(required)"
    if f.default in (None, "", ()):
        return ""
    if isinstance(f.default, bool):
        return "true" if f.default else "false"
    return f"`{f.default}`"


def _type_text(f: Field) -> str:
    words = TYPES[f.type][0]
    if f.choices:
        return " / ".join(f"`{c}`" for c in f.choices)
    if f.type == "int" and (f.minimum is not None or f.maximum is not None):
        return f"{words}, {f.minimum}–{f.maximum}"
    if f.type == "list" and isinstance(f.of, Kind):
        return f"list of {f.of.many}"
    if f.type == "list" and isinstance(f.of, str):
        return f"list of ({TYPES[f.of][0]})"
    return words


def docs_table(kind: Kind, prefix: str = "") -> str:
    """The Markdown field table of a kind (sections of config.yaml are rows `theme.logo`...)."""
    rows = ["| field | type | default | what |", "|---|---|---|---|"]
    for f in kind.fields:
        if f.type == "object" and isinstance(f.of, Kind):
            continue  # a section has its own table
        help_text = f.help.replace("|", "\\|")
        default = _default_text(f).replace("|", "\\|")
        rows.append(f"| `{prefix}{f.name}` | {_type_text(f)} | {default} | {help_text} |")
    return "\n".join(rows) + "\n"


# Which tables live where: (file in docs/, marker name, kind, prefix)
DOC_TABLES = (
    ("configuration.md", "config", CONFIG, ""),
    ("configuration.md", "config.theme", THEME, "theme."),
    ("configuration.md", "config.calendar", CALENDAR, "calendar."),
    ("configuration.md", "config.menu", MENU_ITEM, "menu[]."),
    ("configuration.md", "config.cms", CMS, "cms."),
    ("configuration.md", "config.contact", CONTACT, "contact."),
    ("configuration.md", "config.tags", TAG, "tags[]."),
    ("newsletter.md", "config.newsletter", NEWSLETTER, "newsletter."),
    ("languages.md", "config.languages", LANGUAGE, "languages.<code>."),
    ("editor.md", "editor.cms", CMS, "cms."),
    ("content.md", "post", POST, ""),
    ("content.md", "post.source", CREDIT, "source."),
    ("content.md", "page", PAGE, ""),
    ("content.md", "alert", ALERT, ""),
    ("content.md", "series", SERIES, ""),
    ("contracts.md", "attachment", ATTACHMENT, "attachments[]."),
    ("contracts.md", "contract", CONTRACT, ""),
    ("contracts.md", "contract.language", CONTRACT_LANGUAGE, "languages[]."),
    ("calendar.md", "event", EVENT, ""),
    ("calendar.md", "meeting", MEETING, ""),
    ("calendar.md", "override", OVERRIDE, ""),
    ("calendar.md", "move", MOVE, ""),
    ("calendar.md", "venue", VENUE, "venue."),
    ("calendar.md", "closure", CLOSURE, ""),
    ("languages.md", "translation", TRANSLATION, "translations.<code>."),
)


def marker(name: str) -> tuple[str, str]:
    return f"<!-- fields:{name} (generated from site_builder/schema.py: python -m site_builder.schema --docs) -->", \
        f"<!-- /fields:{name} -->"


def with_tables(text: str, doc: str) -> str:
    """`text` of docs/<doc> with every generated table brought up to date."""
    for file, name, kind, prefix in DOC_TABLES:
        if file != doc:
            continue
        start, end = marker(name)
        if start not in text:
            raise ValueError(f"docs/{doc} has no {start} marker")
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{start}\n{docs_table(kind, prefix)}{end}{tail}"
    return text


# --- 4. JSON Schema ----------------------------------------------------------------------
def _property(f: Field) -> dict:
    prop = dict(TYPES[f.type][1])
    prop["description"] = f.help
    if f.choices:
        prop["enum"] = list(f.choices)
    if f.minimum is not None:
        prop["minimum"] = f.minimum
    if f.maximum is not None:
        prop["maximum"] = f.maximum
    if f.default not in (None, ()):
        prop["default"] = f.default
    if f.type == "object" and isinstance(f.of, Kind):
        prop.update(_object(f.of))
    elif f.type == "languages" and isinstance(f.of, Kind):
        prop["additionalProperties"] = _object(f.of)
    elif f.type == "list":
        prop["items"] = _object(f.of) if isinstance(f.of, Kind) else dict(TYPES[f.of or "text"][1])
    elif f.type == "place":
        prop = {"description": f.help, "anyOf": [{"type": "string"}, _object(VENUE)]}
    return prop


def _object(kind: Kind) -> dict:
    out: dict = {"type": "object", "title": kind.title, "properties": {f.name: _property(f) for f in kind.fields},
                 "additionalProperties": False}
    required = [f.name for f in kind.fields if f.required]
    if required:
        out["required"] = required
    return out


def json_schema(file_kind: str) -> dict:
    kind = FILE_KINDS[file_kind]
    schema = {"$schema": "https://json-schema.org/draft-07/schema#",
              "$id": f"https://site-builder.invalid/schemas/{file_kind}.schema.json",
              **_object(kind), "description": f"{kind.title}: {kind.where} (site_builder)"}
    return schema


@functools.lru_cache(maxsize=None)  # the same for every build of a process
def json_schema_text(file_kind: str) -> str:
    return json.dumps(json_schema(file_kind), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def all_fields(kind: Kind, prefix: str = "") -> Iterable[tuple[str, Field]]:
    """Every (dotted name, field) of a kind, sections and list items included."""
    for f in kind.fields:
        yield prefix + f.name, f
        if isinstance(f.of, Kind):
            sep = "[]." if f.type == "list" else ".<code>." if f.type == "languages" else "."
            yield from all_fields(f.of, f"{prefix}{f.name}{sep}")


def main(argv: list[str] | None = None) -> int:
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m site_builder.schema",
                                     description="Write the generated field tables and JSON Schemas.")
    parser.add_argument("--docs", type=Path, help="the docs/ folder whose tables to rewrite")
    parser.add_argument("--schemas", type=Path, help="the folder to write *.schema.json into")
    args = parser.parse_args(argv)
    if args.docs:
        for doc in sorted({file for file, *_ in DOC_TABLES}):
            path = args.docs / doc
            path.write_text(with_tables(path.read_text(encoding="utf-8"), doc), encoding="utf-8")
    if args.schemas:
        args.schemas.mkdir(parents=True, exist_ok=True)
        for name in FILE_KINDS:
            (args.schemas / f"{name}.schema.json").write_text(json_schema_text(name), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
