"""The browser editor (site_builder/cms.py): admin/config.yml generated from the schema, the
pinned editor app, what the editor saves builds, and decap-server on the loopback only.

The end-to-end test drives Decap CMS in Chromium (Playwright) against decap-server started by
`serve --cms`, with the editor app served from node_modules (no CDN: the pinned URL is routed
to the npm package's build, and Chromium checks its integrity hash), then builds the site.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from site_builder import cms, schema
from site_builder.build import build
from site_builder.clock import build_time
from site_builder.config import load_config
from site_builder.errors import ConfigError
from site_builder.readers.calendar import read_calendar
from site_builder.readers.content import read_posts, read_pages
from tests.browser import chromium, served, watch_csp
from tests.conftest import REPO, require_tool

NODE_MODULES = REPO / "node_modules"
SITE_ZONE = "America/New_York"
SHOTS = REPO / "test-artifacts" / "screenshots"
BROWSER_ZONE = "Asia/Tokyo"  # not the site's: what is typed must still be saved as typed

CONFIG = f"""title: Local 9
base_url: https://example.org/
timezone: {SITE_ZONE}
calendar:
  first_year: 2025
  last_year: 2028
cms:
  backend: github
  repo: local9/website
  branch: main
"""


def make_site(root: Path, config: str = CONFIG) -> Path:
    (root / "content" / "posts").mkdir(parents=True)
    (root / "content" / "pages").mkdir(parents=True)
    (root / "content" / "calendar").mkdir(parents=True)
    (root / "config.yaml").write_text(config, encoding="utf-8")
    (root / "content" / "posts" / "welcome.md").write_text("---\ntitle: Welcome\ndate: 2025-01-05\n---\nHello.\n")
    return root


def generated(tmp_path) -> dict:
    config = load_config(make_site(tmp_path))
    text = cms.config_yml(config)
    return json.loads(text.split("\n", 1)[1])


# --- the mapping: schema → editor, both ways ----------------------------------------------------------

def _editor_kinds(value: dict) -> dict[str, list]:
    by_name = {c["name"]: c for c in value["collections"]}
    files = {f["name"]: f for f in by_name["calendar"]["files"]}
    return {
        "post": by_name["posts"]["fields"],
        "page": by_name["pages"]["fields"],
        "event": files["events"]["fields"][0]["fields"],
        "meeting": files["meetings"]["fields"][0]["fields"],
        "closure": files["closures"]["fields"][0]["fields"],
        "alert": by_name["alerts"]["fields"],
        "series": by_name["series"]["fields"],
    }


def _check_field(f: schema.Field, w: dict, where: str) -> list[str]:
    wrong = []
    expected = cms.WIDGETS[f.type]["widget"]
    if w["widget"] != expected:
        wrong.append(f"{where}: widget {w['widget']} is not {expected}")
    if w["required"] is not f.required:
        wrong.append(f"{where}: required {w['required']} is not {f.required}")
    if not w.get("hint", "").startswith(f.help.replace("`", "")[:40]):
        wrong.append(f"{where}: hint is not the help text")
    if f.type == "int":
        if w.get("value_type") != "int" or w.get("min") != f.minimum or w.get("max") != f.maximum:
            wrong.append(f"{where}: number without value_type int and the schema's limits")
    if f.choices and w.get("options") != list(f.choices):
        wrong.append(f"{where}: options differ from the choices")
    if f.type in ("datetime", "date", "time"):
        for key in ("format", "date_format", "time_format"):
            if w.get(key) != cms.WIDGETS[f.type][key]:
                wrong.append(f"{where}: {key} {w.get(key)!r}")
        if "Z" in w["format"] or "ss" in w["format"]:
            wrong.append(f"{where}: a storage format with an offset or seconds")
    if f.type in cms.PATTERNS and w.get("pattern") != list(cms.PATTERNS[f.type]):
        wrong.append(f"{where}: no pattern")
    if f.default not in (None, "") and f.type != "bool":
        expected_default = list(f.default) if isinstance(f.default, tuple) else f.default
        if w.get("default") != expected_default:
            wrong.append(f"{where}: default {w.get('default')!r} is not {expected_default!r}")
    if f.type == "dates" and w.get("field", {}).get("format") != "YYYY-MM-DD":
        wrong.append(f"{where}: a list of dates needs date items")
    if f.type == "languages" and isinstance(f.of, schema.Kind):  # translations: one part per language
        for part in w.get("fields", []):
            inner = _check_kind(f.of, part["fields"], f"{where}.{part['name']}.")
            wrong += [m for m in inner if ": required False is not True" not in m]
        return wrong
    if isinstance(f.of, schema.Kind):
        inner = _check_kind(f.of, w.get("fields", []), where + ".")
        if f.type in ("object", "place") and not f.required:  # an optional section: nothing inside it is required there
            inner = [m for m in inner if ": required False is not True" not in m] + [
                f"{where}.{s['name']}: required inside an optional section" for s in w.get("fields", []) if s["required"]]
        wrong += inner
    return wrong


def _check_kind(kind: schema.Kind, fields: list[dict], prefix: str = "") -> list[str]:
    wrong = []
    names = [w["name"] for w in fields]
    for f in kind.fields:
        if f.name not in names and f.type == "languages":
            continue  # translations: on a site with languages only (test_the_editor_gets_the_languages)
        if f.name not in names:
            wrong.append(f"{prefix}{f.name}: missing from the editor")
            continue
        wrong += _check_field(f, fields[names.index(f.name)], prefix + f.name)
    for name in names:
        if name not in kind.names and not (name == "body" and kind.body):
            wrong.append(f"{prefix}{name}: editor field with no schema field")
    return wrong


def test_every_schema_field_is_in_the_editor_and_every_editor_field_in_the_schema(tmp_path):
    kinds = _editor_kinds(generated(tmp_path))
    wrong = []
    for name, fields in kinds.items():
        wrong += _check_kind(schema.KINDS[name], fields, f"{name}.")
    assert wrong == []
    # the nested kinds are covered too: venue (object), move and override (lists), skip (dates)
    meeting = {w["name"]: w for w in kinds["meeting"]}
    one_language = lambda kind: [n for n in kind.names if n != "translations"]  # noqa: E731 (on a site with languages only)
    assert [w["name"] for w in meeting["move"]["fields"]] == one_language(schema.MOVE)
    assert [w["name"] for w in meeting["override"]["fields"]] == one_language(schema.OVERRIDE)
    assert meeting["venue"]["widget"] == "object"
    assert meeting["skip"]["field"]["widget"] == "datetime"
    assert set(cms.WIDGETS) == set(schema.TYPES)


def test_the_generated_config(tmp_path):
    value = generated(tmp_path)
    assert value["backend"] == {"name": "github", "repo": "local9/website", "branch": "main"}
    assert value["media_folder"] == "static/images" and value["public_folder"] == "/images"
    assert "local_backend" not in value
    by_name = {c["name"]: c for c in value["collections"]}
    assert by_name["posts"]["folder"] == "content/posts" and by_name["pages"]["folder"] == "content/pages"
    assert [f["file"] for f in by_name["calendar"]["files"]] == list(cms.CALENDAR_FILES.values())


def test_admin_pages_are_built_only_with_a_cms_section(tmp_path):
    site = make_site(tmp_path / "a")
    report = build(load_config(site), build_time())
    html = (report.output_dir / "admin" / "index.html").read_text()
    package, version, file, integrity = cms.EDITORS["decap"]
    assert f'src="https://unpkg.com/decap-cms@{version}/dist/decap-cms.js" integrity="{integrity}"' in html
    assert '<script src="/admin/editor.js" data-stylesheet="/css/site.css" data-editor="decap"></script>' in html
    assert "registerPreviewStyle" in (report.output_dir / "admin" / "editor.js").read_text()
    assert "<script>" not in html  # (no inline script: the CSP of /admin/ needs none)
    assert (report.output_dir / "css" / "site.css").is_file()
    assert "/admin/" not in (report.output_dir / "sitemap.xml").read_text()
    plain = make_site(tmp_path / "b", CONFIG.split("cms:")[0])
    assert not (build(load_config(plain), build_time()).output_dir / "admin").exists()


@pytest.mark.parametrize("editor", sorted(cms.EDITORS))
def test_the_pinned_integrity_is_the_npm_packages_file(editor):
    package, version, file, integrity = cms.EDITORS[editor]
    root = NODE_MODULES / package
    assert root.is_dir(), "make test installs the npm packages (npm ci)"
    assert json.loads((root / "package.json").read_text())["version"] == version
    assert json.loads((REPO / "package.json").read_text())["devDependencies"][package] == version
    digest = base64.b64encode(hashlib.sha384((root / file).read_bytes()).digest()).decode()
    assert integrity == f"sha384-{digest}"


def test_cms_config_is_checked(tmp_path):
    bad = CONFIG.replace("repo: local9/website", "repo: website").replace("branch: main", "media_folder: images")
    with pytest.raises(ConfigError) as exc:
        load_config(make_site(tmp_path, bad))
    text = "\n".join(str(p) for p in exc.value.problems)
    assert "cms.repo: " in text and "cms.media_folder: " in text


# --- whatever the editor can save builds ------------------------------------------------------------

EMPTY_POST = """---
title: Rally
date: 2026-03-14
updated: ""
summary: ""
tags: []
author: ""
image: ""
slug: ""
draft: false
---
Text.
"""
EMPTY_PAGE = """---
title: About
updated: ""
summary: ""
menu: ""
slug: ""
draft: false
---
About us.
"""
EMPTY_EVENTS = """events:
  - id: rally-2026
    slug: ""
    title: Rally
    start: 2026-03-20 18:00
    end: "20:00"
    duration: ""
    status: scheduled
    venue:
      name: ""
      address: ""
    online_url: ""
    attendance: ""
    registration_url: ""
    tags: []
    description: ""
    timezone: ""
    updated: ""
  - id: all-day-2026
    title: Strike school
    start: 2026-03-21
"""
EMPTY_MEETINGS = """meetings:
  - id: general
    title: General meeting
    repeat: first Wednesday monthly
    time: "18:00"
    end: "19:30"
    from: 2026-01-01
    until: ""
    on_closure: keep
    skip: []
    move: []
    override:
      - date: 2026-04-01
        time: ""
        end: ""
        duration: ""
        title: ""
        venue: {name: "", address: ""}
        online_url: ""
        attendance: ""
        status: ""
        note: "Bring a friend"
    venue: {name: Union hall, address: ""}
    tags: []
    description: ""
"""
EMPTY_CLOSURES = """closures:
  - id: new-year
    name: New Year's Day
    when: January 1
    observe_saturday: ""
    observe_sunday: ""
"""


def test_empty_optional_fields_are_not_given(tmp_path):
    site = make_site(tmp_path)
    (site / "content" / "posts" / "rally.md").write_text(EMPTY_POST)
    (site / "content" / "pages" / "about.md").write_text(EMPTY_PAGE)
    for name, text in (("events", EMPTY_EVENTS), ("meetings", EMPTY_MEETINGS), ("closures", EMPTY_CLOSURES)):
        (site / "content" / "calendar" / f"{name}.yaml").write_text(text)
    config = load_config(site)
    posts, problems = read_posts(config)
    pages, more = read_pages(config)
    data, cal_problems = read_calendar(config)
    assert [str(p) for p in problems + more + cal_problems] == []
    rally = next(p for p in posts if p.title == "Rally")
    assert (rally.slug, rally.summary, rally.image, rally.tags, rally.updated) == ("rally", "", "", (), None)
    assert pages[0].slug == "about" and pages[0].menu is None
    event = next(e for e in data.events if e.id == "rally-2026")
    assert event.venue is None and event.slug == "rally-2026" and event.attendance == "in-person"
    assert event.start == datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo(SITE_ZONE))
    assert next(e for e in data.events if e.id == "all-day-2026").all_day
    report = build(config, datetime(2026, 3, 15, tzinfo=ZoneInfo("UTC")))
    assert (report.output_dir / "news" / "rally" / "index.html").is_file()
    assert (report.output_dir / "events" / "rally-2026" / "index.html").is_file()


# --- decap-server: the loopback only -------------------------------------------------------------------

def test_decap_server_listens_on_the_loopback_only(tmp_path):
    require_tool("node")
    assert (NODE_MODULES / "decap-server").is_dir(), "make test installs the npm packages (npm ci)"
    from site_builder.serve import CmsBackend

    backend = CmsBackend(make_site(tmp_path))
    try:
        backend.wait_ready()
        with socket.create_connection(("127.0.0.1", backend.port), timeout=2):
            pass
        # 127.0.0.2 reaches this machine too (all of 127/8 is loopback on Linux): a server bound
        # to every address (0.0.0.0, decap-server's own default) would answer there
        with pytest.raises(OSError):
            with socket.create_connection(("127.0.0.2", backend.port), timeout=2):
                pass
        listening = Path("/proc/net/tcp").read_text() if Path("/proc/net/tcp").exists() else ""
        ours = [line.split()[1] for line in listening.splitlines()[1:] if line.split()[1].endswith(f":{backend.port:04X}")]
        if ours:
            assert all(local.startswith("0100007F:") for local in ours), ours  # 127.0.0.1
    finally:
        backend.stop()


# --- end to end: Chromium, Decap CMS, decap-server, build -----------------------------------------------

def _route_editor(page) -> None:
    """The pinned CDN address answered from node_modules (and nothing else leaves the machine)."""
    package, version, _, _ = cms.EDITORS["decap"]

    def fulfil(route):
        m = re.search(rf"/{re.escape(package)}@{re.escape(version)}/(dist/[\w.\-]+)$", route.request.url)
        path = NODE_MODULES / package / m.group(1) if m else None
        if path is None or not path.is_file():
            return route.abort()
        route.fulfill(status=200, body=path.read_bytes(),
                      headers={"Content-Type": "text/javascript", "Access-Control-Allow-Origin": "*"})

    page.route(f"{cms.CDN}/**", fulfil)


def open_editor(browser, site: Path):
    """`serve --cms` on `site`, and Decap CMS signed in to it in a browser in BROWSER_ZONE:
    (server, context, page, page errors and Content Security Policy reports)."""
    from site_builder import serve

    server = serve.start(site / "config.yaml", port=0, echo=lambda text: None, cms=True)
    context = browser.new_context(timezone_id=BROWSER_ZONE, viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    watch_csp(context, into=errors)  # (serve sends the editor's Content-Security-Policy, as a host would)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _route_editor(page)
    page.goto(server.url + "admin/")
    page.get_by_role("button", name="Login").click(timeout=30_000)
    return server, context, page, errors


def _field(page, name: str):
    return page.locator(f'[id^="{name}-field-"]').last


def _when(page, name: str, day: str, at: str | None = None) -> None:
    """Fill a date-and-time field (editor.js's widget: the browser's own date and time inputs) as
    a volunteer does."""
    page.locator(f'input[type=date][id^="{name}-field-"]').first.fill(day)
    if at is not None:
        page.locator(f'input[type=time][id^="{name}-field-"]').first.fill(at)


@pytest.fixture
def browser():
    with chromium() as running:
        yield running


def test_a_post_and_an_event_made_in_the_browser_are_built(tmp_path, browser):
    require_tool("node")
    assert (NODE_MODULES / "decap-cms" / "dist" / "decap-cms.js").is_file(), "make test runs npm ci"
    import feedparser
    import icalendar
    from site_builder import serve

    site = make_site(tmp_path)
    (site / "content" / "calendar" / "events.yaml").write_text("events: []\n")
    server, context, page, errors = open_editor(browser, site)
    try:
        with urllib.request.urlopen(server.url + "admin/config.yml") as response:  # what the editor loads
            served = json.loads(response.read())
        assert served["local_backend"]["url"] == server.url.rstrip("/") + server.editor_api_path  # serve's own origin
        assert "local_backend" not in (server.output_dir / "admin" / "config.yml").read_text()  # served only

        # a news post: title, date, tags, body
        page.goto(server.url + "admin/#/collections/posts/new")
        _field(page, "title").fill("Picket at Kaiser", timeout=30_000)
        _when(page, "date", "2026-05-01", "18:00")  # (the first: the last is source.date)
        _field(page, "tags").fill("kaiser, picket")
        _field(page, "summary").fill("x")
        _field(page, "summary").fill("")  # touched and cleared: saved as ""
        page.locator("[contenteditable=true]").first.click()
        page.keyboard.type("Join us on the line at Kaiser.")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "cms-post.png"))  # (docs/screenshots/editor-post.png comes from here)
        page.get_by_role("button", name="Publish").first.click()
        page.get_by_text("Publish now").click()
        post_file = site / "content" / "posts" / "picket-at-kaiser.md"
        _wait_for(lambda: post_file.is_file())
        _wait_for(lambda: (server.output_dir / "news" / "picket-at-kaiser" / "index.html").is_file())  # serve rebuilt

        # an event: venue, start, end, registration link
        page.goto(server.url + "admin/#/collections/calendar/entries/events")
        page.reload()  # (a fresh editor: the hash change alone keeps the post's editor state)
        page.get_by_role("button", name=re.compile("Add event")).click(timeout=30_000)
        _field(page, "id").fill("kaiser-picket-2026")
        _field(page, "title").fill("Kaiser picket")
        _when(page, "start", "2026-05-02", "18:00")
        _field(page, "end").fill("20:00")
        _field(page, "name").fill("Kaiser Permanente, Main Street")
        _field(page, "address").fill("100 Main Street")
        _field(page, "registration_url").fill("https://example.org/sign-up")
        page.get_by_role("button", name="Publish").first.click()
        page.get_by_text("Publish now").click()
        events_file = site / "content" / "calendar" / "events.yaml"
        try:
            _wait_for(lambda: "kaiser-picket-2026" in events_file.read_text())
        finally:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "cms-event.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
        server.stop()

    saved = post_file.read_text()
    assert "date: 2026-05-01 18:00" in saved and "kaiser" in saved and "Join us on the line" in saved
    assert "start: 2026-05-02 18:00" in events_file.read_text()
    assert server.cms_backend.process.poll() is not None  # serve stopped decap-server

    zone = ZoneInfo(SITE_ZONE)
    report = build(load_config(site), datetime(2026, 5, 1, 20, 0, tzinfo=zone))
    out = report.output_dir
    assert "Join us on the line at Kaiser." in (out / "news" / "picket-at-kaiser" / "index.html").read_text()
    event_page = (out / "events" / "kaiser-picket-2026" / "index.html").read_text()
    assert "Kaiser picket" in event_page and "https://example.org/sign-up" in event_page
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    entry = next(e for e in feed.entries if e.title == "Picket at Kaiser")
    assert datetime(*entry.published_parsed[:6], tzinfo=ZoneInfo("UTC")) == datetime(2026, 5, 1, 18, 0, tzinfo=zone)
    assert any(t.term == "kaiser" for t in entry.tags)
    calendar = icalendar.Calendar.from_ical((out / "calendar.ics").read_bytes())
    vevent = next(c for c in calendar.walk("VEVENT") if str(c.get("SUMMARY")) == "Kaiser picket")
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert start.astimezone(zone).replace(tzinfo=None) == datetime(2026, 5, 2, 18, 0)  # typed in Tokyo, built in New York
    assert end.astimezone(zone).replace(tzinfo=None) == datetime(2026, 5, 2, 20, 0)
    assert "Kaiser Permanente" in str(vevent.get("LOCATION"))


def _wait_for(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("the editor did not save in time")


def test_the_same_config_loads_in_sveltia_cms(tmp_path, browser):
    """Sveltia CMS reads the generated config.yml and offers to sign in (no configuration error)."""
    package, version, file, _ = cms.EDITORS["sveltia"]
    assert (NODE_MODULES / package / file).is_file(), "make test runs npm ci"
    site = make_site(tmp_path, CONFIG + "  editor: sveltia\n")
    out = build(load_config(site), build_time()).output_dir
    with served(out, host_headers=True) as url:  # (under the editor's Content-Security-Policy from _headers)
        context = browser.new_context()
        reports = watch_csp(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        def fulfil(route):
            if route.request.url != cms.script_url("sveltia"):
                return route.abort()
            route.fulfill(status=200, body=(NODE_MODULES / package / file).read_bytes(),
                          headers={"Content-Type": "text/javascript", "Access-Control-Allow-Origin": "*"})

        page.route(f"{cms.CDN}/**", fulfil)
        page.goto(f"{url}/admin/")
        page.get_by_text("Sign In Using Access Token").wait_for(timeout=30_000)  # (the GitHub backend's sign-in)
        text = page.inner_text("body")
        context.close()
    assert reports == []
    assert "Sign In with \u2068GitHub\u2069" in text or "Sign In with GitHub" in text
    assert "configuration" not in text.lower() or "error" not in text.lower(), text
    assert errors == []


def test_an_image_saved_by_the_editor_works_under_a_subpath(tmp_path):
    """The editor inserts `public_folder` paths; the build adds base_url's subpath to every
    root-relative link once, so public_folder is a site path (`/images`), never `/local12/images`."""
    site = make_site(tmp_path, CONFIG.replace("https://example.org/", "https://example.org/local12/"))
    assert cms.cms_config(load_config(site))["public_folder"] == "/images"
    (site / "static" / "images").mkdir(parents=True, exist_ok=True)
    (site / "static" / "images" / "picket.jpg").write_bytes(b"\xff\xd8\xff")
    (site / "content" / "posts").mkdir(parents=True, exist_ok=True)
    (site / "content" / "posts" / "picket.md").write_text(
        "---\ntitle: Picket\ndate: 2026-05-01 18:00\nimage: /images/picket.jpg\n---\n\n![On the line](/images/picket.jpg)\n")
    out = build(load_config(site), build_time()).output_dir
    page = (out / "news" / "picket" / "index.html").read_text()
    assert page.count('src="/local12/images/picket.jpg"') >= 2 and "/local12/local12/" not in page
    assert (out / "images" / "picket.jpg").is_file()


def test_an_entry_that_only_adds_a_note_is_no_stricter_than_its_series(tmp_path):
    """Adding a note or a time to one date (the editor's most common change) builds whenever
    the series builds, venue or none."""
    site = make_site(tmp_path)
    (site / "content" / "calendar").mkdir(parents=True, exist_ok=True)
    (site / "content" / "calendar" / "meetings.yaml").write_text(
        "meetings:\n  - id: m\n    title: M\n    repeat: first Monday monthly\n    time: '18:00'\n"
        "    duration: 90 minutes\n    from: 2026-05-01\n    override:\n      - date: 2026-12-07\n"
        "        note: Bring snacks\n      - date: 2027-01-04\n        time: '17:30'\n")
    data, problems = read_calendar(load_config(site))
    assert problems == [] and len(data.series[0].overrides) == 2


@pytest.mark.parametrize("setting, message", [
    ("repo: ../x", "cms.repo: the github backend needs the repository, `owner/name` (such as local12/website); got '../x'"),
    ("repo: -o/n", "cms.repo: the github backend needs the repository"),
    ("branch: main branch", "cms.branch: must be a git branch name such as main; got 'main branch'"),
    ("branch: ../x", "cms.branch: must be a git branch name such as main; got '../x'"),
    ("auth_url: http://auth.example.org/", "cms.auth_url: must be an https:// address"),
    ("media_folder: static/admin", "cms.media_folder: 'static/admin' would publish uploads at /admin/"),
    ("media_folder: ''", "cms.media_folder: must be a folder name, without control characters"),
])
def test_bad_cms_settings_are_refused_at_their_line(tmp_path, setting, message):
    key = setting.split(":")[0]
    text = "\n".join(line for line in CONFIG.splitlines() if not line.startswith(f"  {key}:")) + f"\n  {setting}\n"
    with pytest.raises(ConfigError) as exc:
        load_config(make_site(tmp_path, text))
    problems = [str(p) for p in exc.value.problems]
    assert len(problems) == 1 and problems[0].startswith("config.yaml:") and message in problems[0], problems


def test_an_empty_branch_is_not_given(tmp_path):
    config = load_config(make_site(tmp_path, CONFIG.replace("branch: main", 'branch: ""')))
    assert config.cms.branch == "main"


def test_the_editor_gets_the_languages(tmp_path):
    """Decap's i18n: posts and pages as about.md + about.es.md (multiple_files), the words of a
    translation its own, the rest copied; calendar entries and alerts a part per language."""
    root = make_site(tmp_path)
    config_file = root / "config.yaml"
    config_file.write_text(config_file.read_text() + "languages:\n  en: English\n  es: {name: Español}\n  hmn: Hmoob\n")
    value = json.loads(cms.config_yml(load_config(root)).split("\n", 1)[1])
    assert value["i18n"] == {"structure": "multiple_files", "locales": ["en", "es", "hmn"], "default_locale": "en"}
    by_name = {c["name"]: c for c in value["collections"]}
    for name in ("posts", "pages"):
        assert by_name[name]["i18n"] is True
        fields = {f["name"]: f.get("i18n") for f in by_name[name]["fields"]}
        assert fields["title"] is True and fields["body"] is True and fields["slug"] == "duplicate"
    assert "i18n" not in by_name["alerts"]
    alert = {f["name"]: f for f in by_name["alerts"]["fields"]}["translations"]
    assert [(p["name"], p["label"]) for p in alert["fields"]] == [("es", "Español"), ("hmn", "Hmoob")]
    assert [f["name"] for f in alert["fields"][0]["fields"]] == list(schema.TRANSLATION.names)
    plain = json.loads(cms.config_yml(load_config(make_site(tmp_path / "one"))).split("\n", 1)[1])
    assert "i18n" not in plain and all("i18n" not in c for c in plain["collections"])
