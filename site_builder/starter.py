"""`site-builder init DIR`: a new local's site, ready to push and publish.

The files come from `starter/files/` (one example of each content type, the GitHub workflow,
netlify.toml, .gitignore and a README for the volunteer); `$name` placeholders are filled in
with the answers to init's questions (the local's name, address, time zone and repository).  A folder that exists and is not empty is refused:
init never overwrites anything.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from string import Template
from zoneinfo import ZoneInfo

from site_builder import __version__
from site_builder.errors import SiteError

FILES = Path(__file__).parent / "starter" / "files"


class InitError(SiteError):
    pass


@dataclass(frozen=True)
class Answers:
    title: str
    base_url: str
    timezone: str
    repo: str = "YOUR-ACCOUNT/YOUR-REPOSITORY"  # the GitHub repository the browser editor saves to


def _https_remote(remote: str) -> str | None:
    """`git@github.com:owner/repo.git` or `https://github.com/owner/repo` → an https address pip can fetch."""
    remote = remote.strip()
    if m := re.fullmatch(r"git@([\w.-]+):([\w.-]+/[\w.-]+?)(\.git)?", remote):
        return f"https://{m.group(1)}/{m.group(2)}"
    return remote.removesuffix(".git") if re.fullmatch(r"https://[\w.-]+/[\w./-]+", remote) else None


def package_spec() -> str | None:
    """How a host installs this very site_builder: the git address and commit it was installed
    from (pip records it), or those of the checkout it was installed from (`make build`); None
    when neither is known.  Never a bare `site_builder==version`: no package index publishes
    site_builder, and a pin to a name anyone could register would run their code on the host."""
    import subprocess
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        direct = json.loads(distribution("site_builder").read_text("direct_url.json") or "{}")
    except (PackageNotFoundError, ValueError, OSError):
        direct = {}
    url = direct.get("url", "")
    vcs = direct.get("vcs_info") or {}
    if vcs.get("vcs") == "git" and url.startswith("https://"):
        return f"site_builder @ git+{url}@{vcs.get('commit_id', 'main')}"
    if url.startswith("file://"):
        def git(*args: str) -> str:
            done = subprocess.run(["git", "-C", url[len("file://"):], *args], capture_output=True, text=True)
            return done.stdout.strip() if done.returncode == 0 else ""

        remote, commit = _https_remote(git("remote", "get-url", "origin") or "-"), git("rev-parse", "HEAD")
        if remote and re.fullmatch(r"[0-9a-f]{40}", commit):
            return f"site_builder @ git+{remote}@{commit}"
    return None


NO_PACKAGE = """# Write here where site_builder comes from: this copy was not installed from a git address, e.g.
#   site_builder @ git+https://github.com/OWNER/site_builder@COMMIT-OR-TAG
# (pip install -r requirements.txt installs nothing until then, and the hosted build stops.)"""


def answer_problem(question: str, value: str) -> str | None:
    """Why an answer to one of init's questions would not build (None: it is fine).  The same
    checks as config.yaml's, so init never writes a site its own build refuses."""
    from site_builder.config import REPO_RE, normalize_base_url, timezone_problem

    if question == "title":
        if not value.strip():
            return "the local's name may not be empty"
        if re.search(r"[\x00-\x1f\x7f-\x9f]", value):
            return "the local's name must be one line of text"
    elif question == "base_url":
        if not value.startswith(("https://", "http://")):
            return f"base_url {value!r} must start with https:// (or http://)"
        try:
            normalize_base_url(value)
        except ValueError as exc:
            return f"base_url {value!r} {exc}"
    elif question == "timezone":
        if msg := timezone_problem(value):
            return msg.replace("unknown timezone", "unknown time zone")
    elif question == "repo":
        if not REPO_RE.fullmatch(value) or ".." in value:
            return f"the repository {value!r} must be written owner/name, such as local12/website"
    return None


def _check(answers: Answers) -> None:
    for question in ("title", "base_url", "timezone", "repo"):
        if msg := answer_problem(question, getattr(answers, question)):
            raise InitError(msg)


def _yaml_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a YAML double-quoted scalar


def init_site(dest: Path, answers: Answers, now: datetime, package: str | None = None) -> list[str]:
    """Write the starter site into `dest` (missing or empty); returns the files written."""
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise InitError(f"{dest} is a file, not a folder; init makes a new folder (or fills an empty one)")
    if dest.exists() and any(entry.name != ".git" for entry in dest.iterdir()):  # (a fresh clone of an empty repository is fine)
        raise InitError(f"{dest} already exists and is not empty; init only fills a new or empty folder")
    _check(answers)
    today = now.astimezone(ZoneInfo(answers.timezone)).date()
    event_day = today + timedelta(days=(2 - today.weekday()) % 7 + 21)  # a Wednesday three weeks on
    values = {
        "title": _yaml_text(answers.title),
        "description": _yaml_text(f"News, bargaining updates, meetings and events of {answers.title}."),
        "base_url": answers.base_url.rstrip("/") + "/",
        "timezone": answers.timezone, "year": str(today.year), "last_year": str(today.year + 2),
        "today": today.isoformat(), "event_day": event_day.isoformat(),
        "package": package or package_spec() or NO_PACKAGE, "install": "pip install -r requirements.txt",
        "repo": answers.repo,
    }
    plain = {**values, "title": answers.title}  # README text: the name as written
    written = []
    for here, _, names in sorted(os.walk(FILES)):
        for name in sorted(names):
            source = Path(here) / name
            rel = source.relative_to(FILES).as_posix()
            text = source.read_text(encoding="utf-8")
            fill = plain if rel.endswith(".md") and not rel.startswith("content/") else values
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(Template(text).safe_substitute(fill), encoding="utf-8", newline="\n")
            written.append(rel)
    return written
