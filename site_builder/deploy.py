"""`site-builder deploy`: publish the last build in output/ to a gh-pages branch with ghp-import.

Refuses when there is nothing to publish, or when the build is stale: a source (config.yaml,
content/, templates/, static/) changed after output/ was last swapped in, which is also what a
failed build leaves behind (the writer keeps the previous output/ whole).  Also refuses a preview
build (drafts and future posts shown) and a build made for another base_url.

ghp-import (not hand-written git plumbing) writes one commit holding exactly output/ plus
`.nojekyll` and `CNAME`, then pushes it.  It runs as `python -m ghp_import` in the site's folder, so
git finds the site's own repository and nothing in this process (cwd, environment) changes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from site_builder.config import CONFIG_NAME, SiteConfig, placeholder_base_url
from site_builder.errors import SiteError
from site_builder.readers.source import list_sources

NO_CNAME_HOSTS = {"example.org", "example.com", "example.net", "localhost", "127.0.0.1", "::1"}
SOURCE_DIRS = ("content", "templates", "static")
PREVIEW_MARKER = b'class="preview-banner'


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


def deploy(config: SiteConfig, output: Path | None = None, branch: str = "gh-pages", remote: str = "origin",
           message: str | None = None, cname: str | None = None, push: bool = True) -> DeployResult:
    output = Path(output) if output else config.output_path
    count = check_publishable(config, output)
    cname = cname if cname is not None else default_cname(config)
    message = message or f"Publish {config.title} ({config.base_url})"
    args = [sys.executable, "-m", "ghp_import", str(output), "--no-jekyll", "--branch", branch,
            "--remote", remote, "--message", message]
    if cname:
        args += ["--cname", cname]
    if push:
        args.append("--push")
    env = dict(os.environ)
    for key, fallback in (("GIT_COMMITTER_NAME", "site-builder"), ("GIT_COMMITTER_EMAIL", "site-builder@localhost")):
        if not env.get(key) and not _git_config(config.root, "user.name" if "NAME" in key else "user.email"):
            env[key] = fallback
    done = subprocess.run(args, cwd=config.root, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise DeployError("ghp-import failed: " + (detail[-1] if detail else f"exit code {done.returncode}"))
    if "Failed to process commit" in done.stdout:
        raise DeployError("ghp-import failed: git fast-import could not write the commit")
    return DeployResult(branch=branch, remote=remote, pushed=push, cname=cname, files=count)


def _git_config(root: Path, key: str) -> str:
    try:
        done = subprocess.run(["git", "config", key], cwd=root, capture_output=True, text=True)
    except OSError:
        return ""
    return done.stdout.strip()
