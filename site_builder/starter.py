"""`site-builder init DIR`: a new local's site, ready to push and publish.

The files come from `starter/files/` (one example of each content type, the GitHub workflow,
netlify.toml, .gitignore and a README for the volunteer); `$name` placeholders are filled in
with the answers to init's three questions.  A folder that exists and is not empty is refused:
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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


def package_spec() -> str:
    """How a host installs this very site_builder: the git URL and commit it was installed
    from when pip recorded one, else the version (pinned, for a package index)."""
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        direct = json.loads(distribution("site_builder").read_text("direct_url.json") or "{}")
    except (PackageNotFoundError, ValueError, OSError):
        direct = {}
    vcs = direct.get("vcs_info") or {}
    if vcs.get("vcs") == "git" and direct.get("url", "").startswith("https://"):
        return f"site_builder @ git+{direct['url']}@{vcs.get('commit_id', 'main')}"
    return f"site_builder=={__version__}"


def _check(answers: Answers) -> None:
    from site_builder.config import normalize_base_url

    if not answers.title.strip():
        raise InitError("the local's name may not be empty")
    if not answers.base_url.startswith(("https://", "http://")):
        raise InitError(f"base_url {answers.base_url!r} must start with https:// (or http://)")
    normalize_base_url(answers.base_url)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", answers.repo):
        raise InitError(f"the repository {answers.repo!r} must be written owner/name, such as local12/website")
    try:
        ZoneInfo(answers.timezone)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):
        raise InitError(f"unknown time zone {answers.timezone!r} (use an IANA name such as America/Chicago)") from None


def _yaml_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a YAML double-quoted scalar


def init_site(dest: Path, answers: Answers, now: datetime, package: str | None = None) -> list[str]:
    """Write the starter site into `dest` (missing or empty); returns the files written."""
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise InitError(f"{dest} is a file, not a folder; init makes a new folder (or fills an empty one)")
    if dest.exists() and any(dest.iterdir()):
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
        "package": package or package_spec(), "install": "pip install -r requirements.txt",
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
