"""config.yaml → a validated, frozen SiteConfig.  Every problem is reported at once.

Unknown keys are warnings naming the key (errors under --strict), never silently ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from site_builder import schema
from site_builder.errors import ConfigError, ContentError, Problem
from site_builder.models import SITE_PATHS
from site_builder.textutil import invisible_problem, language_problem, slugify, unsafe_url
from site_builder.readers.source import decode_source, read_source
from site_builder.yamlutil import YMap, load_yaml

CONFIG_NAME = "config.yaml"
WEEKDAY_SHIFTS = schema.WEEKDAY_SHIFT  # for observed: saturday/sunday
# The calendar's years (each within the schema's limits): at most MAX_CALENDAR_YEARS of them;
# dates in content/calendar may lie YEAR_MARGIN years either side (CalendarConfig.date_range).
MAX_CALENDAR_YEARS = 20
YEAR_MARGIN = 10


@dataclass(frozen=True)
class MenuItem:
    title: str
    url: str


@dataclass(frozen=True)
class ThemeConfig:
    logo: str = ""
    primary_color: str = "#6b1d7a"
    accent_color: str = "#f2b705"
    extra_css: tuple[str, ...] = ()


@dataclass(frozen=True)
class CalendarConfig:
    name: str = ""
    first_year: int = 2025  # closures are computed for first_year..last_year inclusive
    last_year: int = 2027
    past_days: int = 365  # past events stay in the feeds this many days
    refresh_hours: int = 12  # REFRESH-INTERVAL / X-PUBLISHED-TTL
    observe_saturday: str = "previous"  # fixed-date closure on a Saturday: observed Friday before
    observe_sunday: str = "next"  # on a Sunday: observed Monday after
    home_events: int = 3  # how many upcoming events the home page shows
    # (not a key: where config.yaml sets last_year, for the warning of the calendar's last year)
    last_year_line: int = field(default=1, compare=False, metadata={"not_a_key": True})

    @property
    def date_range(self) -> tuple[date, date]:
        """The first and last day a calendar entry may name: the years plus YEAR_MARGIN either side."""
        return date(self.first_year - YEAR_MARGIN, 1, 1), date(self.last_year + YEAR_MARGIN, 12, 31)


@dataclass(frozen=True)
class CmsConfig:
    """The browser editor (`cms:`); see site_builder/cms.py and docs/editor.md."""
    backend: str = "github"
    repo: str = ""
    branch: str = "main"
    auth_url: str = ""
    media_folder: str = "static/images"
    editor: str = "decap"

    @property
    def public_folder(self) -> str:
        """The site path of media_folder: static/images → /images."""
        return "/" + self.media_folder.strip("/").split("/", 1)[1] if "/" in self.media_folder.strip("/") else "/"


@dataclass(frozen=True)
class ContactConfig:
    """`contact:`: the footer and the contact page (schema.CONTACT)."""
    phone: str = ""
    email: str = ""
    address: str = ""
    hours: str = ""

    @property
    def tel(self) -> str:
        """"651-555-0112" → "tel:+16515550112" (ten digits: a North American number)."""
        digits = "".join(ch for ch in self.phone if ch.isdigit())
        if self.phone.strip().startswith("+"):
            return "tel:+" + digits
        return "tel:+1" + digits if len(digits) == 10 else "tel:" + digits

    @property
    def map_url(self) -> str:
        return "https://www.openstreetmap.org/search?" + urlencode({"query": self.address})

    @property
    def any(self) -> bool:
        return bool(self.phone or self.email or self.address or self.hours)


@dataclass(frozen=True)
class NewsletterConfig:
    """`newsletter:`: the email issue `site-builder newsletter` writes (schema.NEWSLETTER, docs/newsletter.md)."""
    title: str = ""  # "" → "<site title> news"
    sender: str = ""  # "" → contact.email, else newsletter@<base_url's host>
    unsubscribe: str = "*|UNSUB|*"
    first_days: int = 30
    days_ahead: int = 30
    max_posts: int = 20


@dataclass(frozen=True)
class TagInfo:
    """One `tags:` entry (schema.TAG)."""
    slug: str
    name: str = ""
    kind: str = "topic"  # employer | unit | topic
    status: str = ""


@dataclass(frozen=True)
class Language:
    """One entry of config.yaml `languages:` (docs/languages.md)."""

    code: str  # en, es, so, hmn: also the folder of its pages (/es/)
    name: str  # as its speakers write it: Español
    show_untranslated: bool = False


LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")
# The last part of a path these end in is a file the default language's folder holds for all
# languages (stylesheets, images, documents); .xml and .ics are each language's own feeds.
_LANGUAGE_FILES = ("xml", "ics", "html")
# First path segments every language shares, at the root.
SHARED_PATHS = frozenset({"pagefind", "admin", "schemas", "css", "js", "static", "images"})


@dataclass(frozen=True)
class SiteConfig:
    root: Path  # the folder holding config.yaml
    title: str
    base_url: str  # absolute, ends with "/"
    description: str = ""
    language: str = "en"
    timezone: str = "America/Chicago"
    author: str = ""
    posts_per_page: int = 10
    feed_items: int = 20
    summary_length: int = 280
    raw_html: str = "sanitize"  # sanitize (default: safe whoever writes) | allow (explicit: authors trusted) | escape
    output_dir: str = "output"
    menu: tuple[MenuItem, ...] = ()
    search: bool = True  # a Pagefind index and a /search/ page
    theme: ThemeConfig = field(default_factory=ThemeConfig)
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    cms: CmsConfig | None = None  # None: no browser editor
    contact: ContactConfig = field(default_factory=ContactConfig)
    tags: tuple[TagInfo, ...] = ()
    newsletter: NewsletterConfig = field(default_factory=NewsletterConfig)
    warnings: tuple[Problem, ...] = ()
    languages: tuple[Language, ...] = ()  # empty: a site in one language; else the default first
    # A language's own part of the site (i18n.language_config): its code, and the site paths it
    # does not have (untranslated pages and posts), which its links lead to at the root instead.
    lang: str = ""
    root_only: frozenset[str] = frozenset()

    def tag_info(self, slug: str) -> TagInfo:
        """The `tags:` entry of a tag (by its slug), or a plain topic named as written."""
        for info in self.tags:
            if info.slug == slug:
                return info
        return TagInfo(slug)

    def is_employer(self, slug: str) -> bool:
        """Whether config.yaml's `tags:` says this tag is an employer (the related-news code asks)."""
        return self.tag_info(slug).kind == "employer"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def base_path(self) -> str:
        """The path part of base_url: "/" or "/local12/"."""
        return urlsplit(self.base_url).path or "/"

    def url(self, path: str) -> str:
        """A site path ("/news/x/") → a root-relative URL that works under base_url's subpath
        (in a language's part of the site, under its folder when that language has the path)."""
        return self.base_path.rstrip("/") + self.lang_folder(path) + "/" + path.lstrip("/")

    def abs_url(self, path: str) -> str:
        """A site path → an absolute URL (feeds, sitemap, canonical links)."""
        return self.base_url.rstrip("/") + self.lang_folder(path) + "/" + path.lstrip("/")

    def lang_folder(self, path: str) -> str:
        """"/es" when `path` is in this language's part of the site, else "" (the default
        language, shared files such as stylesheets, and pages this language has no translation of)."""
        if not self.lang:
            return ""
        bare = "/" + path.split("#", 1)[0].split("?", 1)[0].lstrip("/")
        last = bare.rsplit("/", 1)[1]
        if bare in self.root_only or bare.split("/")[1] in SHARED_PATHS or (
                "." in last and last.rsplit(".", 1)[1].lower() not in _LANGUAGE_FILES):
            return ""
        return "/" + self.lang

    @property
    def default_language(self) -> Language | None:
        return self.languages[0] if self.languages else None

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def output_path(self) -> Path:
        return (self.root / self.output_dir).resolve()

    def with_overrides(self, **changes: Any) -> "SiteConfig":
        return replace(self, **changes)


PLACEHOLDER_HOSTS = ("example.org", "example.com", "example.net", "example", "invalid", "test", "localhost")


def _is_local_address(host: str) -> bool:
    """127.0.0.1, ::1, 10.x, 192.168.x...: an address only this computer or its network reaches."""
    import ipaddress

    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified


def placeholder_base_url(base_url: str) -> str | None:
    """Why a site at `base_url` must not be published (None if it may): a placeholder host such
    as example.org, left from the starter or the docs, would make every feed and calendar
    subscription link point at a site that is not the local's."""
    host = (urlsplit(base_url).hostname or "").lower().rstrip(".")
    if any(host == p or host.endswith("." + p) for p in PLACEHOLDER_HOSTS) or _is_local_address(host):
        return (f"base_url {base_url} is a placeholder: every feed and calendar subscription link would point "
                "at it; set base_url in config.yaml to the site's real address (or pass --base-url)")
    return None


def normalize_base_url(value: str) -> str:
    """The site's address, checked and ending with "/"; ValueError says what is wrong.  It is
    printed in every page, feed and sitemap, so it may not carry a user name or password."""
    example = "an absolute http(s) URL such as https://example.org/local12/"
    if re.search(r"[\x00-\x20\x7f-\x9f<>\"'\\]", value):
        raise ValueError(f"must be {example}, without spaces, control characters, quotes, <, > or \\")
    if invisible := invisible_problem(value):
        raise ValueError(f"{invisible} (it would be in every address of every page)")
    scheme, sep, rest = value.partition("://")
    netloc = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if not sep or scheme.lower() not in ("http", "https") or not netloc:
        raise ValueError(f"must be {example}")
    if "@" in netloc:
        raise ValueError("must not contain a user name or password (user:password@): base_url is "
                         "printed in every page and feed; write just the address, such as https://example.org/")
    hostport = re.fullmatch(r"(\[[^\]]*\]|[^:\[\]]*)(?::(.*))?", netloc)  # host or [v6 address], :port
    host, port = hostport.groups() if hostport else (netloc, None)
    if port is not None and (not re.fullmatch(r"[0-9]{1,5}", port) or not 1 <= int(port) <= 65535):
        raise ValueError(f"has a bad port {port!r} after the host: a port is a number from 1 to 65535, "
                         "as in https://example.org:8443/ (most sites need none)")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on what the checks above let through
    except ValueError:
        raise ValueError(f"must be {example}") from None
    if not host or not parts.hostname:
        raise ValueError(f"must name a host: {example}")
    if parts.query or parts.fragment:
        raise ValueError("must not carry a query or fragment")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


class _Fields:
    """Reads typed fields out of one YAML mapping, collecting problems instead of stopping."""

    def __init__(self, data: YMap, path: str, section: str, problems: list[Problem]):
        self.data, self.path, self.section, self.problems = data, path, section, problems
        self.seen: set[str] = set()

    def name(self, key: str) -> str:
        return f"{self.section}.{key}" if self.section else key

    def error(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.data.line_of(key), self.name(key), message))

    def get(self, key: str, kind: type, default: Any, check: Callable[[Any], str | None] | None = None) -> Any:
        self.seen.add(key)
        if key not in self.data or self.data[key] is None:
            return default
        value = self.data[key]
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            self.error(key, f"must be {_kind_name(kind)}, got {_describe(value)}")
            return default
        if check and (msg := check(value)):
            self.error(key, msg)
            return default
        return value

    def read(self, kind: schema.Kind) -> dict[str, Any]:
        """Every plain field of `kind` (not lists or sections: the caller reads those), typed and
        checked as the schema says; a missing or invalid value is its default."""
        out: dict[str, Any] = {}
        for f in kind.fields:
            if f.type in ("list", "object", "languages"):
                self.seen.add(f.name)
                continue
            before = len(self.problems)
            value = self.get(f.name, _PYTHON_TYPE[f.type], f.default if f.default is not None else "", _check_of(f))
            if f.type == "text" and isinstance(value, str):
                value = value.strip() or (f.default or "")  # empty: not given (what an editor saves)
            if f.required and len(self.problems) == before and (value is None or value == "" or (isinstance(value, str) and not value.strip())):
                self.error(f.name, f"required: {f.help}")
            out[f.name] = value
        return out

    def section_map(self, key: str) -> YMap:
        value = self.get(key, dict, None)
        if value is None:
            empty = YMap()
            empty.line, empty.key_lines = self.data.line_of(key), {}
            return empty
        return value

    def warn_unknown(self) -> None:
        for key in self.data:
            if key not in self.seen:
                self.problems.append(
                    Problem(self.path, self.data.line_of(key), self.name(key), "unknown key (ignored)", "warning")
                )


def _kind_name(kind: type) -> str:
    return {str: "a string", int: "a whole number", bool: "true or false", dict: "a mapping", list: "a list"}.get(
        kind, kind.__name__
    )


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _positive(value: int) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _non_negative(value: int) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def _range(f: schema.Field) -> Callable[[int], str | None]:
    low, high = f.minimum, f.maximum

    def check(v: int) -> str | None:
        if (low is None or v >= low) and (high is None or v <= high):
            return None
        if low is not None and v < low and low in (0, 1):  # the words config.yaml has always used
            return _positive(v) if low == 1 else _non_negative(v)
        return f"must be from {low} to {high}; got {v}"
    return check


def _check_of(f: schema.Field) -> Callable[[Any], str | None] | None:
    """The check a config value of this schema field must pass, by its type."""
    if f.choices:
        return _one_of(*f.choices)
    if f.type == "int":
        return _range(f)
    if f.type == "text":  # a name or a sentence: in page titles, feeds and calendar names, one line
        return lambda v: "must be one line of text (no line breaks)" if "\n" in v.strip() or "\r" in v.strip() else None
    return {"url": _base_url, "timezone": timezone_problem, "language": language_problem,
            "colour": _color, "link": _link, "path": _folder,
            "slug": lambda v: invisible_problem(v) or (None if re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", v) else
            f"must be a tag as posts write it, lowercase letters, digits and dashes (healthpartners); got {v!r}")}.get(f.type)


def _folder(value: str) -> str | None:
    if not value.strip() or re.search(r"[\x00-\x1f\x7f]", value):
        return "must be a folder name, without control characters"
    return None


REPO_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_][A-Za-z0-9_.-]*")  # a GitHub owner/name
_GITHUB_ADDRESS = re.compile(r"(?:https?://(?:www\.)?github\.com/|(?:ssh://)?git@github\.com[:/]|github\.com/)"
                             r"([^/\s]+)/([^/\s]+?)(?:\.git)?(?:/.*)?", re.IGNORECASE)


def repo_of_address(value: str) -> str | None:
    """owner/site of a GitHub address of a repository as GitHub shows it (https://github.com/owner/site,
    with .git or a trailing slash, git@github.com:owner/site.git) or owner/site.git; None otherwise."""
    value = value.strip()
    if found := _GITHUB_ADDRESS.fullmatch(value):
        return f"{found[1]}/{found[2]}"
    return value[:-4] if value.lower().endswith(".git") and REPO_RE.fullmatch(value[:-4]) else None


_PYTHON_TYPE = {"text": str, "url": str, "language": str, "timezone": str, "path": str, "choice": str, "link": str,
                "colour": str, "int": int, "bool": bool, "slug": str}


def _one_of(*choices: str) -> Callable[[str], str | None]:
    return lambda v: None if v in choices else f"must be one of {', '.join(choices)}; got {v!r}"


_NOT_ZONES = {"localtime", "factory", "posixrules"}  # files of the tz database that are no place's time


# The names people in the US and Canada give their time zone ("Pacific", "PST", "Eastern Time",
# "US/Central"), each with the tz database's name of it.  `timezone: PST` in config.yaml is
# still refused, with this name suggested; init takes them (starter.answer_value).
_ZONE_WORDS = {
    "America/Los_Angeles": ("pacific", "pst", "pdt", "pt", "us/pacific", "us/pacific-new", "pst8pdt"),
    "America/New_York": ("eastern", "est", "edt", "et", "us/eastern", "est5edt"),
    "America/Chicago": ("central", "cst", "cdt", "ct", "us/central", "cst6cdt"),
    "America/Denver": ("mountain", "mst", "mdt", "mt", "us/mountain", "mst7mdt"),
    "America/Phoenix": ("arizona", "us/arizona"),
    "America/Anchorage": ("alaska", "akst", "akdt", "us/alaska"),
    "Pacific/Honolulu": ("hawaii", "hst", "hawaii-aleutian", "us/hawaii"),
    "America/Halifax": ("atlantic", "ast", "adt", "canada/atlantic"),
    "America/St_Johns": ("newfoundland", "nst", "ndt", "canada/newfoundland"),
    "America/Regina": ("saskatchewan", "canada/saskatchewan"),
    "America/Vancouver": ("canada/pacific",),
    "America/Edmonton": ("canada/mountain",),
    "America/Winnipeg": ("canada/central",),
    "America/Toronto": ("canada/eastern",),
}
_ZONE_BY_WORD = {word: zone for zone, words in _ZONE_WORDS.items() for word in words}
_ZONE_SAID = {"America/Los_Angeles": "Pacific Time", "America/New_York": "Eastern Time",
              "America/Chicago": "Central Time", "America/Denver": "Mountain Time",
              "America/Phoenix": "Arizona (Mountain Time without daylight saving)",
              "America/Anchorage": "Alaska Time", "Pacific/Honolulu": "Hawaii Time",
              "America/Halifax": "Atlantic Time", "America/St_Johns": "Newfoundland Time",
              "America/Regina": "Saskatchewan (Central Time without daylight saving)"}
_ZONE_EXAMPLES = "America/Chicago, America/New_York or America/Los_Angeles"


def zone_for_words(value: str) -> str | None:
    """The time zone people mean by "Pacific", "PST", "Eastern Time", "US/Central", "mountain
    standard time" (any case); None for anything else."""
    text = " ".join(re.sub(r"\(.*?\)", " ", value).lower().split())
    text = re.sub(r"\s+(standard|daylight|daylight saving)?\s*time$", "", text) or text
    return _ZONE_BY_WORD.get(text.replace(" ", "") if "/" in text else text)


def _zone_hint(value: str) -> str:
    zone = zone_for_words(value) if isinstance(value, str) else None
    if zone is None:
        return f"write a time zone name such as {_ZONE_EXAMPLES}"
    arizona = " (in Arizona, which keeps standard time all year: America/Phoenix)" if zone == "America/Denver" else ""
    return f"for {_ZONE_SAID.get(zone, zone)} write {zone}{arizona}"


def timezone_problem(value: str) -> str | None:
    """Why `value` is not a time zone name (None: it is one).  Shared by config.yaml and the
    calendar; a name people say ("Pacific", "PST") gets the time zone it means suggested."""
    if value.lower() in _NOT_ZONES or value.startswith(("posix/", "right/")):
        # localtime is the build machine's own zone (two machines would build two sites); right/
        # zones count leap seconds; posix/ duplicates the plain names
        return f"{value!r} is not a time zone name for a place ({_zone_hint(value)})"
    try:
        ZoneInfo(value)
    except IsADirectoryError:  # "America": a folder of the tz database, not a zone
        import zoneinfo

        inside = sorted(z for z in zoneinfo.available_timezones() if z.startswith(value.strip("/") + "/"))
        example = next((z for z in ("America/Chicago", "Europe/London") if z in inside), inside[0] if inside else "")
        if zone_for_words(value):  # "Pacific": the folder of Samoa, Fiji and Guam, not Pacific Time
            return (f"{value!r} is a region of the time zone database (such as {example}, far from North "
                    f"America), not a time zone; {_zone_hint(value)}")
        return (f"{value!r} is a region, not a time zone; name a city in it, such as {example}"
                if example else f"unknown time zone {value!r} ({_zone_hint(value)})")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return f"unknown time zone {value!r} ({_zone_hint(value)})"
    return None


def timezone_warning(value: str) -> str | None:
    """A time zone that exists but is not what people mean by its name: EST, MST and HST are
    fixed offsets (no daylight saving), EST5EDT and friends old US rules; US/Pacific is fine."""
    zone = zone_for_words(value)
    if zone is None or "/" in value or timezone_problem(value):
        return None
    return (f"{value!r} is an abbreviation, which the time zone database reads as a fixed offset or old "
            f"rules, not the local time of a place; {_zone_hint(value)}")


_timezone = timezone_problem


def _color(value: str) -> str | None:
    return None if re.fullmatch(r"#[0-9a-fA-F]{6}", value) else f"must be a colour like #6b1d7a; got {value!r}"


def _base_url(value: str) -> str | None:
    try:
        normalize_base_url(value)
    except ValueError as exc:
        return str(exc)
    return None


def _link(value: str) -> str | None:
    """A menu link, logo or stylesheet: a site path, a relative path or an http(s)/mailto address."""
    if unsafe_url(value):
        return f"{value!r} is refused: javascript:, data: and vbscript: addresses are not allowed"
    if re.search(r"[\x00-\x1f\x7f<>\"]", value):
        return f"{value!r} contains a control character, <, > or a double quote"
    return None


EMAIL_RE = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[A-Za-z]{2,}")


def _unsubscribe_problem(value: str) -> str | None:
    """The unsubscribe placeholder goes into an href and a plain-text line as it is written."""
    if unsafe_url(value):
        return f"{value!r} is refused: javascript:, data: and vbscript: addresses are not allowed"
    if re.search(r"[\x00-\x20\x7f<>\"'`]", value.replace(" ", "")) or not value.strip():
        return (f"must be your mail service's unsubscribe tag (*|UNSUB|*, {{{{ unsubscribe_url }}}}) or an https:// "
                f"address, without quotes, < or >; got {value!r}")
    return None
def _languages(top: _Fields, display: str, default: str, problems: list[Problem]) -> tuple[Language, ...]:
    """config.yaml `languages:`: code → {name:, show_untranslated:} (a bare string is the name).
    The default language (`language:`) must be one of them; it comes first."""
    section = top.section_map("languages")
    found: list[Language] = []
    for code, entry in section.items():
        line = section.line_of(code)
        where = f"languages.{code}"
        if not isinstance(code, str) or not LANGUAGE_CODE.fullmatch(code):
            problems.append(Problem(display, line, f"languages.{code}", f"{code!r} is not a language code: use 2 or 3 "
                                    "lowercase letters (en, es, so, hmn); it is also the folder of its pages"))
            continue
        if code in SITE_PATHS or code in SHARED_PATHS:
            problems.append(Problem(display, line, where, f"/{code}/ is a folder the site uses itself; this language "
                                    "cannot have its pages there"))
            continue
        if isinstance(entry, str):
            entry = YMap({"name": entry})
            entry.line, entry.key_lines = line, {"name": line}
        if not isinstance(entry, YMap):
            problems.append(Problem(display, line, where, "must be a mapping such as {name: Español}"))
            continue
        fields = _Fields(entry, display, where, problems)
        values = fields.read(schema.LANGUAGE)
        fields.warn_unknown()
        if values["name"]:
            found.append(Language(code, values["name"], bool(values["show_untranslated"])))
    if found and default not in {lang.code for lang in found}:
        problems.append(Problem(display, section.line, "languages", f"must list the default language {default!r} "
                                f"(`language:`) too, such as {default}: {{name: English}}"))
        return ()
    if len(found) == 1:
        return ()  # one language: a site as without `languages:`
    return tuple(sorted(found, key=lambda lang: lang.code != default))


def load_config(path: Path, strict: bool = False, base_url: str | None = None) -> SiteConfig:
    """Read and validate config.yaml; raise ConfigError listing every problem."""
    path = Path(path)
    if path.is_dir():
        path = path / CONFIG_NAME
    display = path.name
    try:
        text = decode_source(read_source(path, display), display)
    except FileNotFoundError:
        raise ConfigError([Problem(str(path), 1, "", "config file not found")]) from None
    except OSError as exc:
        raise ConfigError([Problem(str(path), 1, "", f"cannot read the file: {exc.strerror or exc}")]) from None
    except ContentError as exc:
        raise ConfigError([exc.problem]) from None
    loaded: list[Problem] = []  # the loader's warnings (control characters removed...)
    try:
        data = load_yaml(text, display, warnings=loaded)
    except ContentError as exc:
        raise ConfigError([exc.problem]) from None
    if data is None:
        data = YMap()
        data.key_lines = {}
    if not isinstance(data, YMap):
        raise ConfigError([Problem(display, 1, "", "must be a mapping of keys to values")])

    problems: list[Problem] = list(loaded)
    top = _Fields(data, display, "", problems)
    values = top.read(schema.CONFIG)
    title = values["title"]
    url = values["base_url"]
    if isinstance(values.get("timezone"), str) and (msg := timezone_warning(values["timezone"])):
        problems.append(Problem(display, data.line_of("timezone"), "timezone", msg, "warning"))
    if base_url is not None:
        if msg := _base_url(base_url):
            problems.append(Problem("--base-url", 1, "base_url", msg))
        else:
            url = base_url

    menu_items: list[MenuItem] = []
    menu = top.get("menu", list, [])
    for i, item in enumerate(menu):
        line = menu.line_of(i)
        if not isinstance(item, YMap) or not isinstance(item.get("title"), str) or not isinstance(item.get("url"), str):
            problems.append(Problem(display, line, f"menu[{i}]", "each menu entry needs a title and a url (strings)"))
            continue
        if msg := _link(item["url"]):
            problems.append(Problem(display, item.line_of("url"), f"menu[{i}].url", msg))
            continue
        extra = set(item) - set(schema.MENU_ITEM.names)
        for key in sorted(extra):
            problems.append(Problem(display, item.line_of(key), f"menu[{i}].{key}", "unknown key (ignored)", "warning"))
        menu_items.append(MenuItem(item["title"], item["url"]))

    th = _Fields(top.section_map("theme"), display, "theme", problems)
    css = th.get("extra_css", list, [])
    for i, item in enumerate(css):
        if not isinstance(item, str):
            problems.append(Problem(display, css.line_of(i), f"theme.extra_css[{i}]", "must be a string path"))
        elif msg := _link(item):
            problems.append(Problem(display, css.line_of(i), f"theme.extra_css[{i}]", msg))
    theme = ThemeConfig(**th.read(schema.THEME), extra_css=tuple(c for c in css if isinstance(c, str) and not _link(c)))

    cal = _Fields(top.section_map("calendar"), display, "calendar", problems)
    calendar = CalendarConfig(**cal.read(schema.CALENDAR), last_year_line=cal.data.line_of("last_year"))
    bad_years = any(p.field in ("calendar.first_year", "calendar.last_year") for p in problems)
    if bad_years:
        pass  # already reported; comparing a default year with the other would only confuse
    elif calendar.last_year < calendar.first_year:
        problems.append(
            Problem(display, cal.data.line_of("last_year"), "calendar.last_year", "must not be before calendar.first_year")
        )
    elif calendar.last_year - calendar.first_year >= MAX_CALENDAR_YEARS:
        problems.append(
            Problem(display, cal.data.line_of("last_year"), "calendar.last_year",
                    f"the calendar covers at most {MAX_CALENDAR_YEARS} years; {calendar.first_year} to "
                    f"{calendar.last_year} is {calendar.last_year - calendar.first_year + 1} "
                    f"(for example last_year: {calendar.first_year + MAX_CALENDAR_YEARS - 1})")
        )

    co = _Fields(top.section_map("contact"), display, "contact", problems)
    contact = ContactConfig(**co.read(schema.CONTACT))
    if contact.email and not EMAIL_RE.fullmatch(contact.email):
        co.error("email", f"must be an email address such as office@local12.org; got {contact.email!r}")
        contact = replace(contact, email="")
    if contact.phone and (sum(ch.isdigit() for ch in contact.phone) < 7
                          or not re.fullmatch(r"\+?[0-9][0-9 ().-]*[0-9]", contact.phone)):
        # one number, as a phone dials it (the tel: link is made of its digits): no "ext. 3" or "or ..."
        co.error("phone", "must be one phone number with its area code, such as 651-555-0112 (extensions and "
                          f"other numbers belong in hours or on the contact page); got {contact.phone!r}")
        contact = replace(contact, phone="")

    nl = _Fields(top.section_map("newsletter"), display, "newsletter", problems)
    newsletter = NewsletterConfig(**nl.read(schema.NEWSLETTER))
    if newsletter.sender and not EMAIL_RE.fullmatch(newsletter.sender):
        nl.error("sender", f"must be an email address such as news@local12.org; got {newsletter.sender!r}")
        newsletter = replace(newsletter, sender="")
    elif newsletter.sender and not newsletter.sender.rpartition("@")[0].isascii():
        nl.error("sender", "before the @, only letters a-z, digits and . _ - + (mail programs refuse a sender "
                           f"written otherwise); got {newsletter.sender!r}")
        newsletter = replace(newsletter, sender="")
    if msg := _unsubscribe_problem(newsletter.unsubscribe):
        nl.error("unsubscribe", msg)
        newsletter = replace(newsletter, unsubscribe=NewsletterConfig.unsubscribe)

    tag_infos: list[TagInfo] = []
    seen_tags: dict[str, int] = {}
    tag_list = top.get("tags", list, [])
    for i, entry in enumerate(tag_list):
        if not isinstance(entry, YMap):
            problems.append(Problem(display, tag_list.line_of(i), f"tags[{i}]",
                                    "each entry is a mapping such as {slug: healthpartners, name: HealthPartners, "
                                    "kind: employer}"))
            continue
        entry_fields = _Fields(entry, display, f"tags[{i}]", problems)
        info = TagInfo(**entry_fields.read(schema.TAG))
        entry_fields.warn_unknown()
        if not info.slug:
            continue
        if info.slug in seen_tags:
            entry_fields.error("slug", f"{info.slug!r} is already described at line {seen_tags[info.slug]}")
            continue
        seen_tags[info.slug] = entry.line_of("slug")
        tag_infos.append(info)

    languages = _languages(top, display, values.get("language") or "en", problems)

    cms = None
    cms_fields = _Fields(top.section_map("cms"), display, "cms", problems)
    if data.get("cms") is not None:
        cms = CmsConfig(**cms_fields.read(schema.CMS))
        cms_line = cms_fields.data.line_of
        if cms.backend == "github" and (not REPO_RE.fullmatch(cms.repo) or ".." in cms.repo):
            problems.append(Problem(display, cms_line("repo") if "repo" in cms_fields.data else cms_fields.data.line,
                                    "cms.repo", "the github backend needs the repository, `owner/name` "
                                    f"(such as local12/website); got {cms.repo!r}" + (
                                        f": write repo: {repo}" if (repo := repo_of_address(cms.repo)) else "")))
        if not re.fullmatch(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*", cms.branch) or ".." in cms.branch \
                or cms.branch.startswith(("-", ".")) or cms.branch.endswith((".lock", ".")):
            problems.append(Problem(display, cms_line("branch"), "cms.branch",
                                    f"must be a git branch name such as main; got {cms.branch!r}"))
        if cms.auth_url and not cms.auth_url.startswith("https://"):
            problems.append(Problem(display, cms_line("auth_url"), "cms.auth_url",
                                    f"must be an https:// address (volunteers sign in through it); got {cms.auth_url!r}"))
        folder = cms.media_folder.strip("/")
        if not re.fullmatch(r"static(/[A-Za-z0-9_.-]+)+", folder) or ".." in folder.split("/"):
            problems.append(Problem(display, cms_line("media_folder"), "cms.media_folder",
                                    f"must be a folder inside static/, such as static/images; got {cms.media_folder!r}"))
        elif folder.split("/")[1].lower() in SITE_PATHS:
            problems.append(Problem(display, cms_line("media_folder"), "cms.media_folder",
                                    f"{folder!r} would publish uploads at /{folder.split('/')[1]}/, which the site "
                                    "makes itself; choose another, such as static/images"))
        elif folder != cms.media_folder:
            cms = replace(cms, media_folder=folder)

    config = SiteConfig(
        root=path.parent.resolve(),
        **{**values, "title": title,
           "base_url": normalize_base_url(url) if not _base_url(url) else "http://localhost:8000/"},
        menu=tuple(menu_items),
        theme=theme,
        calendar=calendar,
        cms=cms,
        contact=contact,
        tags=tuple(tag_infos),
        newsletter=newsletter,
        languages=languages,
    )
    for fields in (top, th, cal, co, cms_fields, nl):
        fields.warn_unknown()
    if strict:
        problems = [replace(p, severity="error") for p in problems]
    errors = [p for p in problems if p.is_error]
    if errors:
        raise ConfigError(problems)
    config = replace(config, tags=config.tags + contract_employers(config))
    return replace(config, warnings=tuple(p for p in problems if not p.is_error))


def contract_employers(config: SiteConfig) -> tuple[TagInfo, ...]:
    """The employers content/contracts.yaml adds under `employers:` (the editor can write them;
    config.yaml it cannot), as employer topics beside config.yaml's `tags:`: each by its name,
    its slug from the name.  Names config.yaml already has are skipped.  Problems in that file
    are readers/contracts.py's to report; here a file that cannot be read adds nothing."""
    path = config.content_dir / "contracts.yaml"
    try:
        if not path.is_file() or path.is_symlink():
            return ()
        data = load_yaml(decode_source(read_source(path, "contracts.yaml"), "contracts.yaml"), "contracts.yaml")
    except (ContentError, OSError):
        return ()
    entries = data.get("employers") if isinstance(data, YMap) else None
    known = {t.slug for t in config.tags} | {slugify(t.name) for t in config.tags if t.name}
    added: list[TagInfo] = []
    for entry in entries if isinstance(entries, list) else ():
        name = entry.get("name") if isinstance(entry, YMap) else None
        status = entry.get("status") if isinstance(entry, YMap) else None
        slug = slugify(name) if isinstance(name, str) else ""
        if slug and slug not in known:
            known.add(slug)
            added.append(TagInfo(slug, name.strip(), "employer", status.strip() if isinstance(status, str) else ""))
    return tuple(added)
