"""`deploy`: ghp-import publishes exactly the last build to a gh-pages branch of a real (bare) git remote."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from site_builder.config import load_config
from site_builder.deploy import default_cname
from site_builder.hosts import headers_file
from tests.conftest import MINIMAL_CONFIG, post, require_tool, run_cli, tree_bytes


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(scratch, tmp_path, monkeypatch):
    require_tool("git")
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))  # no user identity: deploy supplies one
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    root = scratch({"content/posts/hello.md": post(), "content/posts/second.md": post("Second", "2026-02-01")},
                   config=REAL_CONFIG)
    remote = tmp_path / "remote.git"
    git("init", "--quiet", "--bare", str(remote), cwd=tmp_path)
    git("init", "--quiet", cwd=root)
    git("remote", "add", "origin", str(remote), cwd=root)
    return root, remote


# deploy refuses a placeholder base_url (example.org: test_a_placeholder_base_url_is_refused); a
# github.io address is real but gets no CNAME by default
REAL_CONFIG = MINIMAL_CONFIG.replace("https://example.org/", "https://local12.github.io/")


def test_a_placeholder_base_url_is_refused(scratch, build, capsys, monkeypatch):
    root = scratch({"content/posts/hello.md": post()})
    assert build(root).code == 0  # a build with the placeholder still works
    run = deploy(root, capsys, monkeypatch)
    assert run.code == 1 and "base_url https://example.org/ is a placeholder" in run.err


def deploy(root, capsys, monkeypatch, *args):
    return run_cli(["deploy", "--config", str(root / "config.yaml"), *args], capsys, monkeypatch=monkeypatch)


def branch_files(remote, branch="gh-pages") -> list[str]:
    return sorted(git("ls-tree", "-r", "--name-only", branch, cwd=remote).split())


def test_branch_holds_exactly_the_built_site(repo, build, capsys, monkeypatch):
    root, remote = repo
    assert build(root).code == 0
    built = tree_bytes(root / "output")
    run = deploy(root, capsys, monkeypatch, "--cname", "news.local12.example", "--message", "Publish test")
    assert run.code == 0, run.err
    assert f"Published {len(built)} files: pushed to origin/gh-pages; CNAME news.local12.example" in run.out
    assert branch_files(remote) == sorted([*built, ".nojekyll", "CNAME"])
    for path, data in built.items():
        shown = subprocess.run(["git", "show", f"gh-pages:{path}"], cwd=remote, capture_output=True, check=True)
        assert shown.stdout == data, path
    assert git("show", "gh-pages:CNAME", cwd=remote).strip() == "news.local12.example"
    assert git("log", "-1", "--format=%s", "gh-pages", cwd=remote).strip() == "Publish test"

    # a post removed and rebuilt: the next deploy removes its page from the branch too
    (root / "content/posts/second.md").unlink()
    assert build(root).code == 0
    assert deploy(root, capsys, monkeypatch, "--cname", "news.local12.example").code == 0
    files = branch_files(remote)
    assert files == sorted([*tree_bytes(root / "output"), ".nojekyll", "CNAME"])
    assert "news/second/index.html" not in files and "news/hello/index.html" in files
    assert git("rev-list", "--count", "gh-pages", cwd=remote).strip() == "2"


def test_no_push_and_default_cname(repo, build, capsys, monkeypatch):
    root, remote = repo
    assert build(root).code == 0
    run = deploy(root, capsys, monkeypatch, "--no-push", "--branch", "site")
    assert run.code == 0, run.err
    assert "committed to site (not pushed)" in run.out
    assert "CNAME" not in branch_files(root, "site")  # github.io: no CNAME
    assert ".nojekyll" in branch_files(root, "site")
    assert git("branch", "--list", cwd=remote).strip() == ""


def test_refuses_missing_stale_failed_and_preview_builds(repo, build, capsys, monkeypatch):
    root, remote = repo
    run = deploy(root, capsys, monkeypatch)
    assert run.code == 1 and "output/ does not exist: run `site-builder build` first" in run.err

    assert build(root).code == 0
    later = time.time() + 5
    os.utime(root / "content/posts/hello.md", (later, later))
    run = deploy(root, capsys, monkeypatch)
    assert run.code == 1 and "output/ is stale: content/posts/hello.md changed after the last successful build" in run.err

    assert build(root).code == 0
    (root / "content/posts/hello.md").write_text(post(date="2026-13-45"), encoding="utf-8")
    assert build(root).code == 1  # failed: output/ keeps the previous build, which is now stale
    run = deploy(root, capsys, monkeypatch)
    assert run.code == 1 and "stale" in run.err

    (root / "content/posts/hello.md").write_text(post(), encoding="utf-8")
    assert build(root, "--drafts").code == 0
    run = deploy(root, capsys, monkeypatch)
    assert run.code == 1 and "preview build" in run.err

    assert build(root, "--base-url", "https://other.example.org/").code == 0
    run = deploy(root, capsys, monkeypatch)
    assert run.code == 1 and "another base_url" in run.err
    assert git("branch", "--list", cwd=remote).strip() == ""


def test_default_cname_and_headers(tmp_path):
    def config(url):
        (tmp_path / "config.yaml").write_text(f"title: T\nbase_url: {url}\n")
        return load_config(tmp_path / "config.yaml")

    assert default_cname(config("https://opeiu12.org/")) == "opeiu12.org"
    assert default_cname(config("https://example.org/")) is None
    assert default_cname(config("https://someone.github.io/local12/")) is None
    text = headers_file(config("https://opeiu12.org/local12/"), ["calendar/all.ics", "feed.xml", "index.html"])
    assert "/local12/calendar/all.ics\n  Content-Type: text/calendar; charset=utf-8\n" in text
    assert "/local12/feed.xml\n  Content-Type: application/rss+xml; charset=utf-8\n" in text
    assert "index.html" not in text
