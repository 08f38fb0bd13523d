"""Fixture ladder: scratch sites in tmp_path → built output → real clients read it.

In CI (CI=true) a skipped test fails the run: every test must really run there.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from site_builder.cli import main

REPO = Path(__file__).resolve().parent.parent
EPOCH = "1795000000"  # 2026-11-18 11:06:40 UTC: a fixed "now" for the sample site


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(argv: list[str], capsys, env: dict | None = None, monkeypatch=None) -> Run:
    if monkeypatch is not None:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def write_site(root: Path, files: dict[str, str]) -> Path:
    """Write a scratch site; `files` maps relative paths to text (dedented)."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


MINIMAL_CONFIG = """
title: Test Local
base_url: https://example.org/
timezone: America/Chicago
"""


def post(title: str = "Hello", date: str = "2026-01-05", body: str = "Some *news*.", **fields) -> str:
    lines = ["---", f"title: {title!s}" if title is not None else "", f"date: {date}" if date is not None else ""]
    lines += [f"{k}: {v}" for k, v in fields.items()]
    lines = [line for line in lines if line]
    return "\n".join(lines + ["---", "", body, ""])


@pytest.fixture
def scratch(tmp_path):
    """A factory: scratch({"content/posts/a.md": "..."}) → site root with a minimal config."""

    def make(files: dict[str, str] | None = None, config: str = MINIMAL_CONFIG) -> Path:
        root = tmp_path / "site"
        write_site(root, {"config.yaml": config, **(files or {})})
        return root

    return make


@pytest.fixture
def build(capsys, monkeypatch):
    """Build a site with main(argv); returns Run.  SOURCE_DATE_EPOCH is fixed."""

    def do(root: Path, *args: str, env: dict | None = None) -> Run:
        return run_cli(["build", "--config", str(root / "config.yaml"), *args], capsys, env, monkeypatch)

    return do


def main_at_epoch(argv: list[str]) -> int:
    """main(argv) with SOURCE_DATE_EPOCH fixed, for fixtures that cannot use monkeypatch
    (module- and session-scoped ones)."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        return main(argv)
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def _build_sample(dest: Path, *args: str) -> Path:
    assert main_at_epoch(["build", "--config", str(REPO / "config.yaml"), "--output", str(dest), *args]) == 0
    return dest


@pytest.fixture(scope="session")
def sample_output(tmp_path_factory) -> Path:
    """The repository's sample site, built once at /."""
    return _build_sample(tmp_path_factory.mktemp("sample") / "output")


@pytest.fixture(scope="session")
def sample_output_subpath(tmp_path_factory) -> Path:
    """The sample site built for https://example.org/local12/."""
    return _build_sample(tmp_path_factory.mktemp("sample-sub") / "output", "--base-url", "https://example.org/local12/")


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI") and exitstatus == 0:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        skipped = reporter.stats.get("skipped", []) if reporter else []
        if skipped:
            reporter.write_line(f"CI: {len(skipped)} test(s) were skipped; in CI every test must run.", red=True)
            session.exitstatus = 1


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def require_tool(path: str) -> str:
    found = shutil.which(path) or (path if Path(path).exists() else None)
    if not found:
        pytest.skip(f"{path} is not installed (make test installs it)")
    return found


# --- the built sample site in Chromium (tests/browser.py) -----------------------------------
@pytest.fixture(scope="module")
def site_url(sample_output):
    """The sample site served over http on 127.0.0.1 at a free port (links are root-relative)."""
    from tests.browser import served

    with served(sample_output) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module."""
    from tests.browser import chromium

    with chromium() as running:
        yield running


def page_opener(browser, base_url: str):
    """(open, close): `open(path, moment, javascript, width, reduced_motion)` loads base_url + path
    in a new browser context with the browser's clock at `moment` (an aware datetime; None: the
    real clock), `width` px wide (a phone below 600); `page.js_errors` lists the page's script
    errors.  `close()` closes every context opened."""
    contexts = []

    def do(path: str, moment=None, javascript: bool = True, width: int = 1280, reduced_motion=None):
        context = browser.new_context(viewport={"width": width, "height": 844 if width < 600 else 900},
                                      java_script_enabled=javascript, reduced_motion=reduced_motion)
        contexts.append(context)
        if moment is not None:
            context.clock.install(time=moment)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base_url + path, wait_until="load")
        page.js_errors = errors
        return page

    def close():
        for context in contexts:
            context.close()

    return do, close


@pytest.fixture
def open_at(browser, site_url):
    """open_at(path, moment): the sample site's page (page_opener)."""
    do, close = page_opener(browser, site_url)
    yield do
    close()
