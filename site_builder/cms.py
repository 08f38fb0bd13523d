"""The browser editor: `/admin/` (Decap CMS, or Sveltia CMS) and its `admin/config.yml`,
generated from site_builder/schema.py so that the editor can never drift from what the readers
accept.  Each schema `Field` maps to one editor widget (`widget`); tests/test_cms.py checks the
mapping both ways.

Dates and times: theme/templates/admin/editor.js replaces Decap's `datetime` widget (same name,
same options, so the configuration validates as Decap's own) with one that reads every form the
readers accept (`6:30 pm` as well as `18:30`, a date alone), leaves a value as written until it is
changed, and saves a change without an offset, as wall-clock time in the site's zone (`2026-05-01
18:00`, `2026-05-01`, `18:00`), whatever the zone of the browser it is typed in.  The storage
formats below say which of date, time or both a field is.  Sveltia CMS, which has no custom
widgets, gets text fields with the same forms as patterns (`for_editor`).

The editor app is loaded from a pinned URL with Subresource Integrity (the sha384 of the exact
file in the npm package; tests/test_cms.py recomputes it from node_modules).
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from string import Template
from typing import Any

from site_builder import schema
from site_builder.config import SiteConfig
from site_builder.models import Output
from site_builder.readers.files import TYPES
from site_builder.schema import Field, Kind

# Pinned editor apps: (npm package, version, file in the package, its SRI hash).
EDITORS = {
    "decap": ("decap-cms", "3.16.3", "dist/decap-cms.js",
              "sha384-A/Gdn928CNLufmnGWGs9RM4Q9o8bSNLeJERqBFrBjwzL7FRpoLT3MPF8Tl0+Wd2p"),
    "sveltia": ("@sveltia/cms", "0.221.1", "dist/sveltia-cms.js",
                "sha384-JQ+XsKx/UzwdTiNnFStza3XtqqQoVtyNPApkfvwlzZDfhe7giE9CnfQrpHqgv3k6"),
}
CDN = "https://unpkg.com"
NETLIFY_IDENTITY = "https://identity.netlify.com/v1/netlify-identity-widget.js"
TEMPLATE = Path(__file__).parent / "theme" / "templates" / "admin" / "index.html"

# The files the editor writes (the readers read every content/calendar/*.yaml; the editor keeps to these).
CALENDAR_FILES = {"events": "content/calendar/events.yaml", "meetings": "content/calendar/meetings.yaml",
                  "closures": "content/calendar/closures.yaml"}

DATETIME = {"widget": "datetime", "format": "YYYY-MM-DD HH:mm", "date_format": "YYYY-MM-DD", "time_format": "HH:mm",
            "picker_utc": False}
DATE = {"widget": "datetime", "format": "YYYY-MM-DD", "date_format": "YYYY-MM-DD", "time_format": False,
        "picker_utc": False}
TIME = {"widget": "datetime", "format": "HH:mm", "date_format": False, "time_format": "HH:mm", "picker_utc": False}
EDITOR_JS = TEMPLATE.parent / "editor.js"  # the widgets above, and the previews' stylesheet
_TIME_RE = r"(\d{1,2}(:\d{2})? ?[aApP]\.?[mM]\.?|\d{1,2}:\d{2}|noon)"
# what Sveltia CMS gets instead (text, with the forms the readers accept as patterns)
SVELTIA_WIDGETS = {
    "date": {"widget": "string", "pattern": [r"^(\d{4}-\d{2}-\d{2})?$", "a date such as 2026-05-01"]},
    "time": {"widget": "string", "pattern": [rf"^{_TIME_RE}?$", "a time such as 18:30 or 6:30 pm"]},
    "datetime": {"widget": "string", "pattern": [rf"^(\d{{4}}-\d{{2}}-\d{{2}}([ T]{_TIME_RE})?)?$",
                                                 "a date such as 2026-05-01, or a date and time such as 2026-05-01 6:30 pm"]},
}
_FORMATS = ("format", "date_format", "time_format", "picker_utc")


def _when_kind(widget: dict[str, Any]) -> str:
    """Which of DATE, TIME, DATETIME a datetime widget is (editor.js tells them apart the same way)."""
    return "time" if widget.get("date_format") is False else "date" if widget.get("time_format") is False else "datetime"

# Patterns for string widgets; each also accepts an empty value (an optional field left empty).
PATTERNS = {
    "url": (r"^(https?://\S+)?$", "an address starting with https://"),
    "link": (r"^(/\S*|https?://\S+)?$", "a site path such as /images/photo.jpg or an https:// address"),
    "id": (r"^([a-z0-9]+(-[a-z0-9]+)*)?$", "lowercase letters, digits and single dashes, like strike-vote-2026"),
    "slug": (r"^([a-z0-9]+(-[a-z0-9]+)*)?$", "lowercase letters, digits and single dashes"),
    "end": (r"^((\d{4}-\d{2}-\d{2} )?\d{1,2}(:\d{2})? ?([aApP][mM])?)?$",
            "a time such as 20:00 or 8 pm, or a date and time such as 2026-05-02 20:00"),
    "timezone": (r"^([A-Za-z_]+(/[A-Za-z0-9_+-]+)+|UTC)?$", "a time zone such as America/Chicago"),
    "colour": (r"^(#[0-9a-fA-F]{6})?$", "a colour such as #6b1d7a"),
    "language": (r"^([A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*)?$", "a language code such as en"),
}
# type → the widget's settings (beyond name, label, required, hint, default)
WIDGETS: dict[str, dict[str, Any]] = {
    "text": {"widget": "string"},
    "markdown": {"widget": "markdown"},
    "bool": {"widget": "boolean"},
    "int": {"widget": "number", "value_type": "int"},
    "choice": {"widget": "select"},
    "date": DATE,
    "datetime": DATETIME,
    "time": TIME,
    "end": {"widget": "string"},
    "duration": {"widget": "string"},
    "timezone": {"widget": "string"},
    "url": {"widget": "string"},
    "link": {"widget": "string"},
    "colour": {"widget": "string"},
    "slug": {"widget": "string"},
    "id": {"widget": "string"},
    "tags": {"widget": "list"},
    "recurrence": {"widget": "string"},
    "rule": {"widget": "string"},
    "place": {"widget": "object"},
    "dates": {"widget": "list"},
    "path": {"widget": "string"},
    # `accept`: the types the build publishes from the media folder (readers/files.upload_problem);
    # Sveltia CMS offers only those, Decap CMS ignores it (there the build and serve's backend refuse).
    "file": {"widget": "file", "choose_url": False, "accept": ",".join(f".{ext}" for ext in TYPES)},
    "pdf": {"widget": "file", "choose_url": False, "accept": ".pdf"},
    "language": {"widget": "string"},
    "list": {"widget": "list"},
    "languages": {"widget": "object"},
    "object": {"widget": "object"},
}
assert set(WIDGETS) == set(schema.TYPES), "every schema type needs a widget"


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def widgets(fields: tuple[Field, ...], languages: tuple = ()) -> list[dict[str, Any]]:
    """The editor fields of a kind's fields; `translations:` only on a site with several languages
    (Decap refuses an object widget without fields)."""
    return [widget(f, languages) for f in fields if f.type != "languages" or languages]


def widget(f: Field, languages: tuple = ()) -> dict[str, Any]:
    """The editor field (a Decap/Sveltia widget) for one schema field.  `languages`: the site's
    other languages (config.yaml `languages:`), one part each of a `translations:` field."""
    out: dict[str, Any] = {"name": f.name, "label": _label(f.name), **WIDGETS[f.type], "required": f.required}
    hint = f.help + (f" (e.g. {f.example})" if f.example else "")
    out["hint"] = hint.replace("`", "")
    if f.type in PATTERNS:
        out["pattern"] = list(PATTERNS[f.type])
    if f.type == "int":
        if f.minimum is not None:
            out["min"] = f.minimum
        if f.maximum is not None:
            out["max"] = f.maximum
    if f.choices:
        out["options"] = list(f.choices)
    if f.type == "tags":
        out["allow_add"] = True
    if f.type == "place" and isinstance(f.of, Kind):
        out["fields"] = widgets(f.of.fields, languages)
        out["collapsed"] = False
        if not f.required:  # an optional place (an online event's venue, a move's): saved empty; the reader checks it
            for sub in out["fields"]:
                sub["required"] = False
    if f.type == "dates":
        out["field"] = {"name": "date", "label": "Date", **DATE}
    if f.type == "languages" and isinstance(f.of, Kind):  # translations: one optional part per language
        out["collapsed"] = True
        out["fields"] = [{"name": lang.code, "label": lang.name, "widget": "object", "required": False,
                          "collapsed": True, "hint": f"{f.of.title}: {lang.name}",
                          "fields": [{**w, "required": False} for w in widgets(f.of.fields, languages)]}
                         for lang in languages]
    if f.type in ("list", "object") and isinstance(f.of, Kind):
        out["fields"] = widgets(f.of.fields, languages)
        if f.type == "object" and not f.required:
            # An optional section (a post's `source:`): the editor would refuse to save a post without
            # one while a field inside is required, so there the reader alone says what is missing.
            for sub in out["fields"]:
                sub["required"] = False
        title = next((n for n in ("title", "name", "date") if n in f.of.names), None)
        if f.type == "list" and title:
            out["summary"] = "{{fields.%s}}" % title
    elif f.type == "list" and isinstance(f.of, str):
        out["field"] = {"name": "item", "label": _label(f.name), **WIDGETS[f.of]}
    if f.type == "bool":
        out["default"] = bool(f.default)
    elif f.default not in (None, ""):
        out["default"] = list(f.default) if isinstance(f.default, tuple) else f.default
    return out


def _body(kind: Kind) -> dict[str, Any]:
    return {"name": "body", "label": "Text", "widget": "markdown", "required": False, "hint": kind.body}


# Of a post or page, the fields a translation has its own of (Decap `i18n: true`); the others are
# copied from the default language's file (`i18n: duplicate`).
TRANSLATED = ("title", "summary", "body")


def _i18n(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each field's `i18n`: translated (`true`) or copied from the original (`duplicate`).  Decap
    takes only true or false on a list or an object (its schema; "duplicate" there fails the
    whole config), so those are `true` with every part inside copied: the values are copied all
    the same."""
    def copied(f: dict[str, Any]) -> dict[str, Any]:
        if f["widget"] not in ("list", "object"):
            return {**f, "i18n": "duplicate"}
        inner = {k: [copied(x) for x in f[k]] if k == "fields" else copied(f[k]) for k in ("fields", "field") if k in f}
        return {**f, **inner, "i18n": True}

    return [{**f, "i18n": True} if f["name"] in TRANSLATED else copied(f) for f in fields]


def collections(languages: tuple = ()) -> list[dict[str, Any]]:
    """Posts and pages (one Markdown file each), events, meetings and closures (one YAML file each).
    `languages`: the site's other languages (their translations: docs/languages.md)."""
    posts = {"name": "posts", "label": "News posts", "label_singular": "News post", "folder": "content/posts",
             "create": True, "extension": "md", "format": "frontmatter", "slug": "{{slug}}",
             "summary": "{{title}} ({{date}})", "sortable_fields": ["date", "title"],
             "fields": widgets(schema.POST.fields, languages) + [_body(schema.POST)]}
    pages = {"name": "pages", "label": "Pages", "label_singular": "Page", "folder": "content/pages", "create": True,
             "extension": "md", "format": "frontmatter", "slug": "{{slug}}",
             "fields": widgets(schema.PAGE.fields, languages) + [_body(schema.PAGE)]}
    files = []
    for name, kind in (("events", schema.EVENT), ("meetings", schema.MEETING), ("closures", schema.CLOSURE)):
        field = widget(schema.CALENDAR_FILE[name], languages)
        field["label"] = kind.many.capitalize()
        field["label_singular"] = kind.title
        files.append({"name": name, "label": kind.many.capitalize(), "file": CALENDAR_FILES[name],
                      "format": "yaml", "fields": [field]})
    calendar = {"name": "calendar", "label": "Calendar", "editor": {"preview": False}, "files": files}
    alerts = {"name": "alerts", "label": "Action alerts", "label_singular": "Action alert",
              "folder": "content/alerts", "create": True, "extension": "md", "format": "frontmatter",
              "slug": "{{slug}}", "summary": "{{title}}",
              "fields": widgets(schema.ALERT.fields, languages) + [_body(schema.ALERT)]}
    series = {"name": "series", "label": "Update series", "label_singular": "Update series",
              "folder": "content/series", "create": True, "extension": "md", "format": "frontmatter",
              "slug": "{{slug}}", "fields": widgets(schema.SERIES.fields, languages) + [_body(schema.SERIES)]}
    employers = widget(schema.CONTRACTS_FILE["employers"])
    employers["label_singular"] = schema.CONTRACT_EMPLOYER.title
    field = widget(schema.CONTRACTS_FILE["contracts"])
    field["label_singular"] = schema.CONTRACT.title
    field["summary"] = "{{fields.employer}}: {{fields.unit}} ({{fields.expires}})"
    contracts = {"name": "contracts", "label": "Contracts", "editor": {"preview": False},
                 "files": [{"name": "contracts", "label": "Contracts", "file": "content/contracts.yaml", "format": "yaml",
                            "fields": [employers, field]}]}
    if languages:  # about.es.md beside about.md: Decap's multiple_files (it names the default's file about.en.md)
        for collection in (posts, pages):
            collection["i18n"] = True
            collection["fields"] = _i18n(collection["fields"])
    return [posts, pages, calendar, alerts, series, contracts]


def cms_config(config: SiteConfig) -> dict[str, Any]:
    """admin/config.yml as a value (the same for Decap CMS and Sveltia CMS)."""
    cms = config.cms
    assert cms is not None
    backend: dict[str, Any] = {"name": cms.backend, "branch": cms.branch}
    if cms.backend == "github":
        backend["repo"] = cms.repo
        if cms.auth_url:
            backend["base_url"] = cms.auth_url
    return {
        "backend": backend,
        "site_url": config.base_url,
        "display_url": config.base_url,
        "locale": config.language.split("-")[0].lower(),
        "media_folder": cms.media_folder,
        "public_folder": cms.public_folder,  # a site path: the build adds base_url's subpath, as to every root-relative link
        "publish_mode": "simple",
        **({"i18n": {"structure": "multiple_files", "locales": [lang.code for lang in config.languages],
                     "default_locale": config.languages[0].code}} if config.languages else {}),
        "collections": collections(config.languages[1:]),
    }


def for_editor(value: Any, editor: str) -> Any:
    """admin/config.yml's value as `editor` understands it: Sveltia CMS has no custom widgets
    (the date and time fields become patterned text), no `allow_add` and no `locale` setting."""
    if editor != "sveltia":
        return value

    def field(item: Any) -> Any:
        if isinstance(item, list):
            return [field(x) for x in item]
        if not isinstance(item, dict):
            return item
        out = {k: field(v) for k, v in item.items() if k != "allow_add"}
        if out.get("widget") == "datetime":
            kind = _when_kind(out)
            out = {k: v for k, v in out.items() if k not in _FORMATS} | SVELTIA_WIDGETS[kind]
        return out

    return {k: field(v) for k, v in value.items() if k != "locale"}


def config_yml(config: SiteConfig) -> str:
    """admin/config.yml: JSON, which is YAML too (and needs no YAML writer)."""
    head = "# Generated by site_builder from site_builder/schema.py and config.yaml `cms:`; do not edit.\n"
    assert config.cms is not None
    value = for_editor(cms_config(config), config.cms.editor)
    return head + json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def local_config_yml(text: str, api_url: str) -> str:
    """The served config.yml of `site-builder serve --cms`: the same, plus `local_backend`
    pointing at serve's own address for the editor's API, this run's secret in it (never in a
    build's output; site_builder/cms_local.py)."""
    body = text.split("\n", 1)[1] if text.startswith("#") else text
    value = json.loads(body)
    value["local_backend"] = {"url": api_url, "allowed_hosts": ["127.0.0.1", "localhost"]}
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def script_url(editor: str) -> str:
    package, version, file, _ = EDITORS[editor]
    return f"{CDN}/{package}@{version}/{file}"


def admin_html(config: SiteConfig, policy: bool = True) -> str:
    """admin/index.html; `policy`: with the editor's Content-Security-Policy in a <meta> (for hosts
    that send no headers: hosts.editor_policy, which reads this page without it for its hashes)."""
    cms = config.cms
    assert cms is not None
    package, version, file, integrity = EDITORS[cms.editor]
    identity = (f'<script src="{NETLIFY_IDENTITY}"></script>\n  ' if cms.backend == "git-gateway" else "")
    values = {
        "title": escape(f"Edit {config.title}"),
        "language": escape(config.language),
        "identity": identity,
        "script": escape(script_url(cms.editor)),
        "integrity": escape(integrity),
        "stylesheet": escape(config.url("/css/site.css")),
        "editor_js": escape(config.url("/admin/editor.js")),
        "editor": escape(cms.editor),
        "config": escape(config.url("/admin/config.yml")),
        "policy": "",
    }
    if policy:
        from site_builder.hosts import editor_policy

        values["policy"] = f'\n  <meta http-equiv="Content-Security-Policy" content="{escape(editor_policy(config, meta=True))}">'

    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(values)


def admin_outputs(config: SiteConfig) -> list[Output]:
    """admin/index.html and admin/config.yml, when config.yaml has a `cms:` section."""
    if config.cms is None:
        return []
    return [Output("admin/index.html", admin_html(config).encode("utf-8"), kind="host"),
            Output("admin/config.yml", config_yml(config).encode("utf-8"), kind="host"),
            Output("admin/editor.js", EDITOR_JS.read_bytes(), kind="host")]
