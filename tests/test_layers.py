"""Each third-party library stays in its own module; layers point one way (checked with ast)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "site_builder"
OWNERS = {
    "markdown": {"markup.py"},
    "jinja2": {"render.py"},
    "watchdog": {"serve.py"},
    "icalendar": {"calendar/ics.py"},
    "frontmatter": {"readers/content.py"},
    "click": {"cli.py"},
    "pagefind": {"search.py"},
    "css_inline": {"newsletter.py"},
}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_third_party_libraries_stay_in_their_modules():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        for lib, owners in OWNERS.items():
            if lib in imports(path) and rel not in owners:
                wrong.append(f"{rel} imports {lib}")
    assert wrong == []


def test_only_cli_and_serve_talk_to_the_terminal():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in ("cli.py", "serve.py", "bench.py", "bench_serve.py", "__main__.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                offenders.append(f"{rel}:{node.lineno}")
    assert offenders == []
