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


PLACEHOLDER_REPO = "YOUR-ACCOUNT/YOUR-REPOSITORY"  # until someone fills in cms.repo


@dataclass(frozen=True)
class Answers:
    title: str
    base_url: str
    timezone: str
    repo: str = PLACEHOLDER_REPO  # the GitHub repository the browser editor saves to


# -- the site's own copy of site_builder ------------------------------------------------------------
# The hosted build (GitHub Actions, Netlify) reaches PyPI only, and no package index publishes
# site_builder: so the site carries the wheel of the site_builder that made it, in .site-builder/,
# and requirements.txt names that file.  What the site builds with is then in its own repository,
# whatever this copy was installed from (a clone, an archive, a git address), and changes only
# when someone runs `site-builder upgrade` and commits the result.

WHEELS = ".site-builder"
REQUIREMENTS = "requirements.txt"
REQUIREMENTS_HEAD = """# What a host needs to build the site (the GitHub workflow and Netlify install this).
# site_builder itself is the wheel in .site-builder/, the copy this site was made or last upgraded
# with: `site-builder upgrade` replaces it with the one you run (commit both files)."""
_EPOCH = (1980, 1, 1, 0, 0, 0)  # (a wheel's files get one fixed time: the same code, the same wheel)


def _wheel_files() -> list[tuple[str, bytes]]:
    """The installed site_builder package's files (no bytecode), and its .dist-info."""
    import base64
    import hashlib
    from importlib.metadata import PackageNotFoundError, distribution

    package = Path(__file__).resolve().parent
    try:
        dist = distribution("site_builder")
    except PackageNotFoundError:
        raise InitError("site_builder is not installed (pip install it), so init cannot give the site a copy") from None
    version = dist.version
    files: list[tuple[str, bytes]] = []
    for here, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if not name.endswith((".pyc", ".pyo")):
                path = Path(here) / name
                files.append(("site_builder/" + path.relative_to(package).as_posix(), path.read_bytes()))
    meta = dist.metadata
    lines = ["Metadata-Version: 2.1", "Name: site_builder", f"Version: {version}"]
    lines += [f"{key}: {meta[key]}" for key in ("Summary", "Requires-Python") if meta[key]]
    lines += [f"Requires-Dist: {req}" for req in dist.requires or () if "extra ==" not in req]  # (a site needs no test tools)
    info = f"site_builder-{version}.dist-info"
    points = sorted((e.group, e.name, e.value) for e in dist.entry_points)
    groups = sorted({g for g, _, _ in points})
    entry = "".join(f"[{g}]\n" + "".join(f"{n} = {v}\n" for gg, n, v in points if gg == g) + "\n" for g in groups)
    files += [(f"{info}/METADATA", ("\n".join(lines) + "\n").encode()),
              (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: site_builder\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
              (f"{info}/entry_points.txt", entry.encode())]

    def record(data: bytes) -> str:
        return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

    rows = [f"{name},{record(data)},{len(data)}" for name, data in files] + [f"{info}/RECORD,,"]
    return files + [(f"{info}/RECORD", ("\n".join(rows) + "\n").encode())]


def wheel_name() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"site_builder-{version('site_builder')}-py3-none-any.whl"
    except PackageNotFoundError:
        raise InitError("site_builder is not installed (pip install it), so init cannot give the site a copy") from None


def write_wheel(site: Path) -> str:
    """Write the running site_builder as a wheel into `site`/.site-builder/ (replacing any other
    site_builder wheel there, atomically); returns its site-relative path."""
    import io
    import zipfile

    from site_builder.files import replace_atomically

    folder = site / WHEELS
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise InitError(f"{folder} is not a folder; remove it, then try again")
    folder.mkdir(parents=True, exist_ok=True)
    name = wheel_name()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in _wheel_files():
            item = zipfile.ZipInfo(path, _EPOCH)
            item.external_attr = 0o644 << 16
            item.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(item, data)
    replace_atomically(folder / name, lambda tmp: tmp.write_bytes(buffer.getvalue()))
    for old in folder.glob("site_builder-*.whl"):
        if old.name != name:
            old.unlink()
    return f"{WHEELS}/{name}"


def requirements_text(wheel: str, old: str = "") -> str:
    """requirements.txt naming `wheel`: the old file's other requirements kept, its site_builder
    line (a wheel, a git address, a bare name) and the old head replaced."""
    keep = [line for line in old.splitlines()
            if line.strip() and not line.startswith("#")
            and not re.match(r"\s*(\./)?(\.site-builder/)?site[_-]builder\b", line, re.IGNORECASE)]
    return "\n".join([REQUIREMENTS_HEAD, f"./{wheel}", *keep]) + "\n"


def upgrade_site(site: Path) -> str:
    """`site-builder upgrade`: the site's wheel replaced by the running site_builder's, and
    requirements.txt pointed at it.  Returns the wheel's site-relative path."""
    from site_builder.files import replace_atomically

    if not (site / "config.yaml").is_file():
        raise InitError(f"{site} holds no config.yaml: run upgrade in the site's folder (or give --site)")
    path = site / REQUIREMENTS
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    wheel = write_wheel(site)
    text = requirements_text(wheel, old)
    replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline="\n"))
    return wheel


QUESTIONS = ("title", "repo", "base_url", "timezone")  # in the order init asks them
OPTIONS = {"title": "--title", "repo": "--repo", "base_url": "--base-url", "timezone": "--timezone"}


def answer_value(question: str, value: str) -> str:
    """An answer as init writes it: a GitHub address of the repository (https://github.com/owner/site,
    git@github.com:owner/site.git) kept as owner/site; a time zone as people say it ("Pacific",
    "PST", "Eastern Time", "US/Central") as the time zone it means (America/Los_Angeles)."""
    from site_builder.config import repo_of_address, zone_for_words

    value = value.strip()
    if question == "repo":
        return repo_of_address(value) or value
    if question == "timezone":
        return zone_for_words(value) or value
    return value


def pages_address(repo: str) -> str | None:
    """The address GitHub Pages gives the repository `owner/site`: https://owner.github.io/site/
    (for a repository named owner.github.io, https://owner.github.io/); None without a repository."""
    from site_builder.config import REPO_RE

    if repo == PLACEHOLDER_REPO or not REPO_RE.fullmatch(repo) or ".." in repo:
        return None
    owner, name = repo.lower().split("/")[0], repo.split("/")[1]
    return f"https://{owner}.github.io/" if name.lower() == f"{owner}.github.io" else f"https://{owner}.github.io/{name}/"


def folder_problem(dest: Path) -> str | None:
    """Why init cannot fill `dest` (None: it is new, or empty)."""
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        return f"{dest} is a file, not a folder; init makes a new folder (or fills an empty one)"
    if dest.exists() and any(entry.name != ".git" for entry in dest.iterdir()):  # (a fresh clone of an empty repository is fine)
        return f"{dest} already exists and is not empty; init only fills a new or empty folder"
    return None


def answer_problem(question: str, value: str) -> str | None:
    """Why an answer to one of init's questions would not build (None: it is fine).  The same
    checks as config.yaml's, so init never writes a site its own build refuses.  `value` is
    the answer as written (answer_value)."""
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
        return timezone_problem(value)
    elif question == "repo":
        if not REPO_RE.fullmatch(value) or ".." in value:
            return (f"the repository {value!r} must be written owner/name, such as local12/website "
                    "(or as its GitHub address, https://github.com/local12/website)")
    return None


def _check(answers: Answers) -> None:
    for question in QUESTIONS:
        if msg := answer_problem(question, getattr(answers, question)):
            raise InitError(msg)


def _yaml_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a YAML double-quoted scalar


def init_site(dest: Path, answers: Answers, now: datetime) -> list[str]:
    """Write the starter site into `dest` (missing or empty); returns the files written."""
    dest = Path(dest)
    if msg := folder_problem(dest):
        raise InitError(msg)
    answers = Answers(**{q: answer_value(q, getattr(answers, q)) for q in QUESTIONS})
    _check(answers)
    today = now.astimezone(ZoneInfo(answers.timezone)).date()
    event_day = today + timedelta(days=(2 - today.weekday()) % 7 + 21)  # a Wednesday three weeks on
    values = {
        "title": _yaml_text(answers.title),
        "description": _yaml_text(f"News, bargaining updates, meetings and events of {answers.title}."),
        "base_url": answers.base_url.rstrip("/") + "/",
        "timezone": answers.timezone, "year": str(today.year), "last_year": str(today.year + 2),
        "today": today.isoformat(), "event_day": event_day.isoformat(),
        "install": "pip install -r requirements.txt",
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
    wheel = write_wheel(dest)  # (the hosted build installs this very site_builder: above)
    (dest / REQUIREMENTS).write_text(requirements_text(wheel), encoding="utf-8", newline="\n")
    return sorted([*written, wheel, REQUIREMENTS])
