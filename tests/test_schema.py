"""The one description of every field (site_builder/schema.py) and what is derived from it:
the readers' rules, the docs tables, the JSON Schemas.  A field added, renamed, limited or given
new choices in one place and not the other makes one of these fail."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from site_builder import schema
from site_builder.config import load_config
from site_builder.errors import ConfigError
from site_builder.readers.calendar import read_calendar
from site_builder.readers.content import read_pages, read_posts, split_document
from site_builder.yamlutil import load_yaml
from tests.conftest import REPO, write_site

DOCS = REPO / "docs"
SHIPPED = REPO / "site_builder" / "schemas"


def plain(value):
    """YAML as the loader gives it (YMap, YList) → dicts and lists, as the YAML language server sees it."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# --- generated files are current ----------------------------------------------------------
@pytest.mark.parametrize("doc", sorted({file for file, *_ in schema.DOC_TABLES}))
def test_docs_tables_are_generated_from_the_schema(doc):
    text = (DOCS / doc).read_text(encoding="utf-8")
    assert schema.with_tables(text, doc) == text, f"run: python -m site_builder.schema --docs docs ({doc} is stale)"


@pytest.mark.parametrize("name", sorted(schema.FILE_KINDS))
def test_shipped_json_schemas_are_current_and_published(name, sample_output):
    shipped = (SHIPPED / f"{name}.schema.json").read_text(encoding="utf-8")
    assert shipped == schema.json_schema_text(name), "run: python -m site_builder.schema --schemas site_builder/schemas"
    assert (sample_output / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8") == shipped
    jsonschema.Draft7Validator.check_schema(json.loads(shipped))


# --- the JSON Schemas accept what the site accepts, refuse what it refuses ----------------
def validator(name: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads((SHIPPED / f"{name}.schema.json").read_text()))


def test_the_sample_site_satisfies_the_json_schemas():
    assert list(validator("config").iter_errors(plain(load_yaml((REPO / "config.yaml").read_text(), "c")))) == []
    for path in sorted((REPO / "content/calendar").glob("*.yaml")):
        errors = list(validator("calendar").iter_errors(plain(load_yaml(path.read_text(), path.name))))
        assert errors == [], (path, [e.message for e in errors])
    for kind in ("post", "page"):
        for path in sorted((REPO / f"content/{kind}s").glob("*.md")):
            meta = split_document(path.read_text(encoding="utf-8"), path.name).meta
            assert list(validator(kind).iter_errors(plain(meta))) == [], path


@pytest.mark.parametrize("name, data, wrong", [
    ("config", {"title": "T", "base_url": "https://e.org/", "titel": "x"}, "'titel' was unexpected"),
    ("config", {"title": "T", "raw_html": "strip"}, "'strip' is not one of"),
    ("config", {"title": "T", "posts_per_page": 0}, "0 is less than the minimum of 1"),
    ("config", {"title": "T", "calendar": {"last_year": 9000}}, "9000 is greater than the maximum of 2200"),
    ("config", {"base_url": "https://e.org/"}, "'title' is a required property"),
    ("calendar", {"events": [{"title": "Rally", "start": "2026-12-05 11:00"}]}, "'id' is a required property"),
    ("calendar", {"events": [{"id": "r", "title": "R", "start": "2026-12-05", "attendance": "zoom"}]},
     "'zoom' is not one of"),
    ("calendar", {"meetings": [{"id": "x", "title": "X", "repeat": "every Tuesday", "time": "18:30",
                                "from": "2025-1-7"}]}, "does not match"),
    ("post", {"title": "T", "date": "2026-01-05", "draft": "yes"}, "'yes' is not of type 'boolean'"),
])
def test_the_json_schemas_refuse_what_the_site_refuses(name, data, wrong):
    messages = [e.message for e in validator(name).iter_errors(data)]
    assert any(wrong in m for m in messages), messages


# --- the readers follow the schema --------------------------------------------------------
CONFIG_HEAD = "title: Test Local\nbase_url: https://example.org/\ntimezone: America/Chicago\n"


def config_problems(tmp_path: Path, text: str) -> list[str]:
    write_site(tmp_path, {"config.yaml": text})
    try:
        return [str(p) for p in load_config(tmp_path / "config.yaml").warnings]
    except ConfigError as exc:
        return [str(p) for p in exc.problems]


def test_every_config_field_of_the_schema_is_known_to_the_reader(tmp_path):
    text = CONFIG_HEAD + "".join(f"{f.name}: {json.dumps(f.default)}\n" for f in schema.CONFIG.fields
                                 if f.type not in ("object", "list") and f.name not in ("title", "base_url", "timezone"))
    for section in (schema.THEME, schema.CALENDAR):
        key = section.name.split(".")[1]
        text += f"{key}:\n" + "".join(f"  {f.name}: {json.dumps(f.default if f.type != 'list' else [])}\n"
                                      for f in section.fields)
    text += "menu:\n  - {title: About, url: /about/}\n"
    assert config_problems(tmp_path, text) == []
    assert config_problems(tmp_path, CONFIG_HEAD + "colour: red\n") == ["config.yaml:4: colour: warning: unknown key (ignored)"]


def _int_fields():
    for kind in (schema.CONFIG, schema.CALENDAR):
        for f in kind.fields:
            if f.type == "int":
                yield kind, f


@pytest.mark.parametrize("kind, f", list(_int_fields()), ids=lambda v: getattr(v, "name", ""))
def test_config_limits_are_the_schemas(tmp_path, kind, f):
    def text(value: int) -> str:
        if kind is schema.CONFIG:
            return CONFIG_HEAD + f"{f.name}: {value}\n"
        other = {"first_year": ("last_year", f.maximum), "last_year": ("first_year", f.maximum - 1)}.get(f.name)
        extra = f"  {other[0]}: {other[1]}\n" if other else ""
        return CONFIG_HEAD + f"calendar:\n  {f.name}: {value}\n" + extra

    assert config_problems(tmp_path, text(f.maximum)) == []
    wrong = config_problems(tmp_path, text(f.maximum + 1))
    field = f.name if kind is schema.CONFIG else f"calendar.{f.name}"
    assert len(wrong) == 1 and f": {field}: must be from {f.minimum} to {f.maximum}; got {f.maximum + 1}" in wrong[0], wrong
    low = config_problems(tmp_path, text(f.minimum - 1))
    assert len(low) == 1 and f": {field}: must be " in low[0], low


@pytest.mark.parametrize("kind", [schema.CONFIG, schema.CALENDAR], ids=lambda k: k.name)
def test_config_choices_are_the_schemas(tmp_path, kind):
    for f in kind.fields:
        if not f.choices:
            continue
        line = f"{f.name}: nonsense\n" if kind is schema.CONFIG else f"calendar:\n  {f.name}: nonsense\n"
        wrong = config_problems(tmp_path, CONFIG_HEAD + line)
        assert len(wrong) == 1 and wrong[0].endswith(f"must be one of {', '.join(f.choices)}; got 'nonsense'"), wrong


@pytest.mark.parametrize("kind", [schema.POST, schema.PAGE], ids=lambda k: k.name)
def test_front_matter_keys_are_the_schemas(tmp_path, kind):
    folder = "posts" if kind is schema.POST else "pages"
    write_site(tmp_path, {"config.yaml": CONFIG_HEAD,
                          f"content/{folder}/a.md": "---\ntitle: A\ndate: 2026-01-05\nflavour: mint\n---\nText\n"})
    config = load_config(tmp_path / "config.yaml")
    _, problems = (read_posts if kind is schema.POST else read_pages)(config)
    unknown = [p for p in problems if p.field == "flavour"]
    if kind is schema.PAGE:
        unknown += [p for p in problems if p.field == "date"]  # a page has no date
    assert unknown and unknown[0].message == f"unknown key (known: {', '.join(kind.names)})"
    missing = [p for p in problems if p.is_error]
    assert missing == []


CALENDAR_ENTRIES = {  # a minimal valid entry of each calendar kind
    "events": (schema.EVENT, {"id": "rally", "title": "Rally", "start": "2026-12-05 11:00", "end": "13:00"}),
    "meetings": (schema.MEETING, {"id": "board", "title": "Board", "repeat": "first Wednesday monthly",
                                  "time": "18:00", "end": "19:30", "from": "2026-01-01"}),
    "closures": (schema.CLOSURE, {"id": "new-years-day", "name": "New Year's Day", "when": "January 1"}),
}


def calendar_problems(tmp_path: Path, section: str, entry: dict) -> list:
    body = json.dumps({section: [entry]})  # JSON is YAML
    write_site(tmp_path, {"config.yaml": CONFIG_HEAD + "calendar:\n  first_year: 2026\n  last_year: 2027\n",
                          "content/calendar/a.yaml": body + "\n"})
    _, problems = read_calendar(load_config(tmp_path / "config.yaml"))
    return problems


@pytest.mark.parametrize("section", sorted(CALENDAR_ENTRIES))
def test_calendar_keys_required_fields_and_choices_are_the_schemas(tmp_path, section):
    kind, entry = CALENDAR_ENTRIES[section]
    assert calendar_problems(tmp_path, section, entry) == []
    warned = calendar_problems(tmp_path, section, {**entry, "flavour": "mint"})
    named = f'{section}["{entry["id"]}"]'  # problems name the entry by its id, else by its title (name)
    title = "name" if section == "closures" else "title"
    assert [p.field for p in warned] == [f"{named}.flavour"] and not warned[0].is_error
    for f in kind.fields:
        if f.required and f.name in entry:
            without = {k: v for k, v in entry.items() if k != f.name}
            errors = [p for p in calendar_problems(tmp_path, section, without) if p.is_error]
            who = f'{section}[{title}="{entry[title]}"]' if f.name == "id" else named
            assert [p.field for p in errors][:1] == [f"{who}.{f.name}"], (f.name, errors)
        if f.choices:
            errors = [p for p in calendar_problems(tmp_path, section, {**entry, f.name: "nonsense"}) if p.is_error]
            assert errors and all(c in errors[0].message for c in f.choices), (f.name, errors)
        if f.name not in entry and not f.required:
            known = [p for p in calendar_problems(tmp_path, section, {**entry, f.name: None})
                     if "unknown key" in p.message]
            assert known == [], f.name  # every optional field of the schema is known to the reader


def test_one_rule_for_text_and_tags_in_posts_and_calendars(tmp_path):
    """A number is text everywhere (`title: 2026`); tags keep their spelling and count once per
    address (`Kaiser` and `kaiser` are one tag) in posts and calendar entries alike."""
    entry = {"id": "y", "title": 2026, "start": "2026-12-05", "tags": ["Kaiser", "kaiser", "Strike"]}
    problems = calendar_problems(tmp_path, "events", entry)
    assert problems == []
    data, _ = read_calendar(load_config(tmp_path / "config.yaml"))
    assert data.events[0].title == "2026" and data.events[0].tags == ("Kaiser", "Strike")
    write_site(tmp_path, {"content/posts/a.md": "---\ntitle: 2026\ndate: 2026-01-05\ntags: [Kaiser, kaiser, Strike]\n---\nT\n"})
    posts, problems = read_posts(load_config(tmp_path / "config.yaml"))
    assert problems == [] and posts[0].title == "2026" and posts[0].tags == ("Kaiser", "Strike")
