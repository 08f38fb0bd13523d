"""Each third-party library stays in its own module; layers point one way (checked with ast).

The project's own modules are in LAYERS, lowest first: a module may import from its own layer
and the layers below it, never from one above (a type-only import under TYPE_CHECKING aside).
Every library the code imports has its owners in OWNERS, and every dependency in pyproject.toml
is one of them, so a new library cannot slip in unowned."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "site_builder"
OWNERS = {
    "markdown": {"markup.py"},
    "nh3": {"markup.py"},
    "jinja2": {"render.py"},
    "markupsafe": {"render.py", "i18n.py"},  # (jinja2's own escaping type, for the filters render.py defines)
    "watchdog": {"serve.py"},
    "icalendar": {"calendar/ics.py"},
    "frontmatter": {"readers/content.py"},
    "yaml": {"yamlutil.py"},
    "dateutil": {"calendar/recurrence.py", "calendar/closures.py"},  # rrule; easter (recurrence imports closures)
    "click": {"cli.py"},
    "rich": {"cli.py"},
    "pagefind": {"search.py"},
    "css_inline": {"newsletter.py"},
    "babel": {"i18n.py"},  # catalogs (.po), dates and times by CLDR
}
# pyproject.toml's dependencies and the names they are imported by (None: never imported).
DISTRIBUTIONS = {"jinja2": "jinja2", "markdown": "markdown", "pyyaml": "yaml", "python-frontmatter": "frontmatter",
                 "icalendar": "icalendar", "python-dateutil": "dateutil", "watchdog": "watchdog", "click": "click",
                 "rich": "rich", "nh3": "nh3", "pagefind": "pagefind", "css-inline": "css_inline", "babel": "babel",
                 "tzdata": None,  # zone data zoneinfo reads where the system has none
                 "ghp-import": None}  # run as a program by deploy.py
TRANSITIVE = {"markupsafe"}  # installed with jinja2
LAYERS = [
    # the values and rules every stage shares
    {"__init__.py", "errors.py", "models.py", "textutil.py", "clock.py", "yamlutil.py", "schema.py", "hashing.py",
     "files.py", "tree_record.py", "cache.py", "forked.py"},
    {"readers/source.py"},  # reading a file safely (config.yaml too)
    {"config.py"},
    {"readers/content.py", "readers/calendar.py", "calendar/__init__.py", "calendar/model.py", "calendar/words.py",
     "calendar/closures.py", "calendar/recurrence.py", "calendar/ics.py", "calendar/site.py", "readers/__init__.py",
     "readers/files.py", "readers/contracts.py", "i18n.py"},
    {"assemble.py", "contracts.py", "markup.py", "render.py", "feeds.py", "search.py", "hosts.py", "cms.py", "cms_local.py", "writer.py", "check.py"},
    {"build.py"},  # the one sequencer
    {"serve.py", "cli.py", "deploy.py", "scaffold.py", "starter.py", "bench.py", "bench_serve.py", "newsletter.py",
     "__main__.py"},
]


def _modules() -> dict[str, Path]:
    return {path.relative_to(PACKAGE).as_posix(): path for path in sorted(PACKAGE.rglob("*.py"))}


def _type_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside `if TYPE_CHECKING:` blocks."""
    return {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
            and getattr(block.test, "id", None) == "TYPE_CHECKING" for node in ast.walk(block)}


def imports(path: Path) -> set[str]:
    """Top-level names of the libraries a module imports (anywhere in it, functions included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def own_imports(path: Path) -> set[str]:
    """The project's modules a module imports at run time, as paths inside the package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_only(tree)
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        modules = []
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for module in modules:
            if module.startswith("site_builder."):
                rel = module.removeprefix("site_builder.").replace(".", "/")
                for candidate in (f"{rel}.py", f"{rel}/__init__.py"):
                    if (PACKAGE / candidate).is_file():
                        found.add(candidate)
    return found


def test_every_module_has_a_layer():
    placed = [name for layer in LAYERS for name in layer]
    assert sorted(placed) == sorted(set(placed))  # in one layer only
    assert sorted(set(_modules()) - set(placed)) == []
    assert sorted(set(placed) - set(_modules())) == []


def test_layers_point_one_way():
    level = {name: i for i, layer in enumerate(LAYERS) for name in layer}
    upward = [f"{rel} imports {other}" for rel, path in _modules().items() for other in sorted(own_imports(path))
              if level[other] > level[rel]]
    assert upward == []


def test_third_party_libraries_stay_in_their_modules():
    wrong = []
    for rel, path in _modules().items():
        for lib in sorted(imports(path) - set(sys.stdlib_module_names) - {"site_builder", "__future__"}):
            if rel not in OWNERS.get(lib, ()):
                wrong.append(f"{rel} imports {lib}")
    assert wrong == []


def test_every_dependency_has_its_owners():
    text = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    listed = re.search(r"(?ms)^dependencies = \[(.*?)^\]", text).group(1)
    names = {re.match(r"[A-Za-z0-9_.-]+", item.strip()).group(0).lower()
             for item in re.findall(r'"([^"]+)"', listed)}
    assert sorted(names - set(DISTRIBUTIONS)) == []
    assert ({DISTRIBUTIONS[name] for name in names} - {None}) | TRANSITIVE == set(OWNERS)


def test_only_cli_and_serve_talk_to_the_terminal():
    offenders = []
    for rel, path in _modules().items():
        if rel in ("cli.py", "serve.py", "bench.py", "bench_serve.py", "__main__.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                offenders.append(f"{rel}:{node.lineno}")
    assert offenders == []
