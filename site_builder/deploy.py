"""`site-builder deploy`: publish the last build in output/ to a gh-pages branch with ghp-import.

Refuses when there is nothing to publish, or when the build is stale: a source (config.yaml,
content/, templates/, static/) changed after output/ was last swapped in, which is also what a
failed build leaves behind (the writer keeps the previous output/ whole).  Also refuses a preview
build (drafts and future posts shown) and a build made for another base_url.

ghp-import (not hand-written git plumbing) writes one commit holding exactly output/ plus
`.nojekyll` and `CNAME`, then pushes it.  It runs as `python -m ghp_import` in the site's folder, so
git finds the site's own repository and nothing in this process (cwd, environment) changes.

That commit replaces everything on the branch, so the branch must be one of its own: never one
checked out in a worktree, nor one (local, or the remote's copy ghp-import would start from) whose
tree holds the site's config.yaml at the site's path.  Every value handed on is checked first (a
branch is a git branch name, a remote does not start with "-", CNAME is a host name) and passed as
`--option=value`, so none is ever read as an option by ghp-import or git.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from site_builder.config import CONFIG_NAME, SiteConfig, placeholder_base_url
from site_builder.errors import SiteError, shown
from site_builder.readers.source import list_sources

NO_CNAME_HOSTS = {"example.org", "example.com", "example.net", "localhost", "127.0.0.1", "::1"}
SOURCE_DIRS = ("content", "templates", "static")
PREVIEW_MARKER = b'class="preview-banner'
DEFAULT_BRANCH = "gh-pages"
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)


class DeployError(SiteError):
    pass


@dataclass(frozen=True)
class DeployResult:
    branch: str
    remote: str
    pushed: bool
    cname: str | None
    files: int


def default_cname(config: SiteConfig) -> str | None:
    """The host of base_url, unless it is a placeholder (example.org) or local, or a github.io host."""
    host = (urlsplit(config.base_url).hostname or "").lower()
    if not host or host in NO_CNAME_HOSTS or host.endswith((".example.org", ".localhost", ".github.io")):
        return None
    return host


def built_at(output: Path) -> float:
    """When output/ was swapped in: the writer renames a finished staging folder into place."""
    st = output.stat()
    return max(st.st_mtime, st.st_ctime)


def newest_source(config: SiteConfig) -> tuple[float, str] | None:
    newest: tuple[float, str] | None = None
    candidates = [config.root / CONFIG_NAME]
    for name in SOURCE_DIRS:
        folder = config.root / name
        candidates += list_sources(folder, config.root, "*")
        if folder.is_dir():
            candidates += [p for p in folder.rglob("*") if p.is_dir()]  # a deleted file touches its folder
    for path in candidates:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        if newest is None or mtime > newest[0]:
            newest = (mtime, path.relative_to(config.root).as_posix())
    return newest


def check_publishable(config: SiteConfig, output: Path) -> int:
    """Raise DeployError unless `output` holds a current, complete, production build; return its file count."""
    shown = os.path.relpath(output, config.root) if output.is_relative_to(config.root) else str(output)
    if reason := placeholder_base_url(config.base_url):
        raise DeployError(reason)
    if not output.is_dir():
        raise DeployError(f"{shown}/ does not exist: run `site-builder build` first")
    files = [p for p in output.rglob("*") if p.is_file()]
    if not files or not (output / "index.html").is_file():
        raise DeployError(f"{shown}/ holds no built site (no index.html): run `site-builder build` first")
    newest = newest_source(config)
    if newest and newest[0] > built_at(output):
        raise DeployError(
            f"{shown}/ is stale: {newest[1]} changed after the last successful build "
            "(or the last build failed); run `site-builder build` and deploy again"
        )
    if PREVIEW_MARKER in (output / "index.html").read_bytes():
        raise DeployError(f"{shown}/ is a preview build (drafts and future posts shown): rebuild without --drafts/--future")
    robots = output / "robots.txt"
    if robots.is_file():
        text = robots.read_text(encoding="utf-8", errors="replace")
        if "Sitemap:" in text and config.abs_url("sitemap.xml") not in text:
            raise DeployError(f"{shown}/ was built for another base_url than {config.base_url} (see robots.txt); "
                              "rebuild without --base-url")
    return len(files)


def host_name(cname: str) -> str:
    """--cname checked: a host name such as news.local12.org (lowercased; with accents, written as
    DNS writes it, xn--), which is all GitHub Pages reads from CNAME."""
    host = cname.lower()
    try:
        host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        host = ""
    labels = host.split(".")
    if (len(host) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels)
            or labels[-1].isdigit()):
        raise DeployError(f"--cname {shown(cname)} is not a host name: give the site's domain, such as "
                          "news.local12.org (letters, digits and '-' between dots; no scheme, path or spaces)")
    return host


def check_names(root: Path, branch: str, remote: str) -> None:
    """Refuse a branch that is not a git branch name and a remote that git would read as an option."""
    if shutil.which("git") is None:
        raise DeployError("git was not found: deploy commits to a git branch, so it needs git installed")
    if not branch or branch.startswith(("-", "+")) or branch == "@" or _git(root, "check-ref-format", "--branch", branch) != branch:
        raise DeployError(f"--branch {shown(branch)} is not a git branch name (such as {DEFAULT_BRANCH}): no "
                          "spaces, '..', ':', '~', '^', '?', '*', '[' or '\\', and no '-' or '+' first")
    if remote.startswith("-") or not remote:
        raise DeployError(f"--remote {shown(remote)} starts with '-': name a git remote (such as origin)"
                          if remote else "--remote '' is empty: name a git remote (such as origin)")


def refuse_source_branch(root: Path, branch: str, remote: str) -> None:
    """Refuse a branch whose files ghp-import would replace with the built site while they are the
    sources: one checked out in any worktree of the repository, or one whose tree (or the remote's
    copy of it, which ghp-import starts from) holds the site's config.yaml."""
    if branch == DEFAULT_BRANCH:
        instead = "publish to another with --branch (such as --branch site) and have GitHub Pages serve that one"
    else:
        instead = f"leave out --branch ({DEFAULT_BRANCH}, the default)"
    ending = f": publishing to it would replace them with the built site; deploy needs a branch of its own, {instead}"
    top = _git(root, "rev-parse", "--show-toplevel")
    if not top:
        return  # not in a repository: ghp-import says so
    worktree = ""
    for line in _git(root, "worktree", "list", "--porcelain").splitlines():
        if line.startswith("worktree "):
            worktree = line[len("worktree "):]
        elif line == f"branch refs/heads/{branch}":
            where = "here" if os.path.realpath(worktree) == os.path.realpath(top) else f"in {worktree}"
            raise DeployError(f"--branch {branch} is the branch checked out {where}, which holds the files you "
                              f"work on{ending}")
    config_path = _git(root, "rev-parse", "--show-prefix") + CONFIG_NAME
    for ref, said in ((f"refs/heads/{branch}", ""), (f"refs/remotes/{remote}/{branch}", f" in {remote}/{branch}")):
        if _git(root, "cat-file", "-t", f"{ref}:{config_path}") == "blob":
            raise DeployError(f"--branch {branch} holds the site's sources (its {config_path}{said}){ending}")


def deploy(config: SiteConfig, output: Path | None = None, branch: str = DEFAULT_BRANCH, remote: str = "origin",
           message: str | None = None, cname: str | None = None, push: bool = True) -> DeployResult:
    output = Path(output) if output else config.output_path
    check_names(config.root, branch, remote)
    cname = (host_name(cname) if cname else None) if cname is not None else default_cname(config)
    count = check_publishable(config, output)
    refuse_source_branch(config.root, branch, remote)
    message = message or f"Publish {config.title} ({config.base_url})"
    # (--option=value: a value starting with "-" is still the value)
    args = [sys.executable, "-m", "ghp_import", "--no-jekyll", f"--branch={branch}", f"--remote={remote}",
            f"--message={message}"]
    if cname:
        args.append(f"--cname={cname}")
    if push:
        args.append("--push")
    args += ["--", str(output)]
    env = dict(os.environ)
    for key, fallback in (("GIT_COMMITTER_NAME", "site-builder"), ("GIT_COMMITTER_EMAIL", "site-builder@localhost")):
        if not env.get(key) and not _git(config.root, "config", "user.name" if "NAME" in key else "user.email"):
            env[key] = fallback
    done = subprocess.run(args, cwd=config.root, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise DeployError("ghp-import failed: " + (detail[-1] if detail else f"exit code {done.returncode}"))
    if "Failed to process commit" in done.stdout:
        raise DeployError("ghp-import failed: git fast-import could not write the commit")
    return DeployResult(branch=branch, remote=remote, pushed=push, cname=cname, files=count)


def _git(root: Path, *args: str) -> str:
    """What `git ARGS` prints in the site's folder, stripped; "" when it fails or git is missing."""
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
