"""`deploy`: ghp-import publishes exactly the last build to a gh-pages branch of a real (bare) git remote."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from site_builder.config import load_config
from site_builder.deploy import default_cname
from site_builder.errors import shown
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


# --- nothing of the user's lost, and no argument that git or ghp-import would read as an option ----
def committed_sources(root, subfolder=""):
    """The site's sources committed on the checked-out `main` (output/ and .cache/ ignored), then
    built: what a volunteer's repository looks like before a deploy."""
    top = root.parent if subfolder else root
    (top / ".gitignore").write_text("output/\n.cache/\n")
    git("checkout", "--quiet", "-b", "main", cwd=top)
    git("add", "-A", cwd=top)
    git("-c", "user.name=V", "-c", "user.email=v@example.org", "commit", "--quiet", "-m", "Sources", cwd=top)


def repository_state(top) -> tuple[str, ...]:
    return (git("log", "--all", "--format=%H %D %s", cwd=top), git("status", "--porcelain", "--untracked-files=all",
                                                                   cwd=top),
            git("for-each-ref", cwd=top), git("symbolic-ref", "HEAD", cwd=top))


def test_the_checked_out_branch_holding_the_sources_is_refused(repo, build, capsys, monkeypatch):
    root, remote = repo
    committed_sources(root)
    assert build(root).code == 0
    before = repository_state(root)
    for extra in ((), ("--no-push",)):
        run = deploy(root, capsys, monkeypatch, "--branch", "main", *extra)
        assert run.code == 1, run.out
        assert ("error: --branch main is the branch checked out here, which holds the files you work on: publishing "
                "to it would replace them with the built site; deploy needs a branch of its own, leave out --branch "
                "(gh-pages, the default)\n") == run.err, run.err
        assert repository_state(root) == before
    assert git("branch", "--list", cwd=remote).strip() == ""


def test_a_branch_holding_the_sites_config_is_refused_even_when_not_checked_out(repo, build, capsys, monkeypatch):
    root, remote = repo
    committed_sources(root)
    git("branch", "sources", cwd=root)
    git("checkout", "--quiet", "--orphan", "drafts", cwd=root)  # (main is no longer the one checked out)
    git("-c", "user.name=V", "-c", "user.email=v@example.org", "commit", "--quiet", "-m", "Elsewhere", cwd=root)
    git("checkout", "--quiet", "main", cwd=root)
    git("push", "--quiet", "origin", "main", cwd=root)
    git("update-ref", "-d", "refs/heads/sources", cwd=root)
    git("branch", "sources", "main", cwd=root)
    assert build(root).code == 0
    git("checkout", "--quiet", "drafts", cwd=root)
    before = repository_state(root)
    run = deploy(root, capsys, monkeypatch, "--branch", "sources", "--no-push")
    assert run.code == 1
    assert ("error: --branch sources holds the site's sources (its config.yaml): publishing to it would replace "
            "them with the built site; deploy needs a branch of its own, leave out --branch (gh-pages, the default)"
            ) in run.err, run.err
    # main exists only as origin/main once the local branch is gone: ghp-import would start from it and push over it
    git("branch", "--quiet", "-D", "main", cwd=root)
    before = repository_state(root)
    run = deploy(root, capsys, monkeypatch, "--branch", "main")
    assert run.code == 1 and "error: --branch main holds the site's sources (its config.yaml in origin/main)" in run.err, \
        run.err
    assert repository_state(root) == before
    assert git("log", "--format=%s", "main", cwd=remote).strip() == "Sources"


def test_a_site_in_a_subfolder_is_found_at_its_path_and_gh_pages_still_works(repo, build, capsys, monkeypatch, tmp_path):
    root, remote = repo
    shutil.rmtree(root / ".git")
    top = root.parent
    git("init", "--quiet", cwd=top)
    git("remote", "add", "origin", str(remote), cwd=top)
    committed_sources(root, subfolder="site")
    git("branch", "other", cwd=top)
    assert build(root).code == 0
    before = repository_state(top)
    run = deploy(root, capsys, monkeypatch, "--branch", "other", "--no-push")
    assert run.code == 1 and "error: --branch other holds the site's sources (its site/config.yaml)" in run.err, run.err
    assert repository_state(top) == before
    run = deploy(root, capsys, monkeypatch, "--no-push")
    assert run.code == 0 and "committed to gh-pages (not pushed)" in run.out, run.err
    assert "index.html" in branch_files(top) and "config.yaml" not in branch_files(top)


NOT_A_BRANCH = "is not a git branch name (such as gh-pages)"
NOT_A_REMOTE = "starts with '-': name a git remote (such as origin)"


@pytest.mark.parametrize("option, value, words", [
    *(("--branch", branch, NOT_A_BRANCH) for branch in ["--upload-pack=touch /tmp/pwned", "-x", "+main", "bad..name",
                                                         "a b", "x.lock", "@", "HEAD", ""]),
    *(("--remote", remote, NOT_A_REMOTE) for remote in ["--receive-pack=touch /tmp/pwned", "-o"]),
])
def test_a_branch_or_remote_that_git_would_misread_is_refused(repo, build, capsys, monkeypatch, option, value, words):
    root, remote = repo
    assert build(root).code == 0
    run = deploy(root, capsys, monkeypatch, f"{option}={value}")
    assert run.code == 1 and "Traceback" not in run.err
    assert run.err.startswith(f"error: {option} {value!r} {words}") and len(run.err.splitlines()) == 1, run.err
    assert git("for-each-ref", cwd=root) == "" and git("branch", "--list", cwd=remote).strip() == ""


def test_a_message_starting_with_a_dash_is_the_commit_message(repo, build, capsys, monkeypatch):
    root, remote = repo
    assert build(root).code == 0
    for message in ("-v2", "--no-push", "--help me"):
        run = deploy(root, capsys, monkeypatch, "--message", message, "--no-push")
        assert run.code == 0, run.err
        assert git("log", "-1", "--format=%s", "gh-pages", cwd=root).strip() == message


@pytest.mark.parametrize("cname, words", [
    ("evil.example\nwww.other.example", "is not a host name"),
    ("../../etc/x", "is not a host name"),
    ("news.local12.org/", "is not a host name"),
    ("https://news.local12.org", "is not a host name"),
    ("-news.local12.org", "is not a host name"),
    ("news..local12.org", "is not a host name"),
    ("news_local12.org", "is not a host name"),
    ("a" * 64 + ".org", "is not a host name"),
    ("localhost", "is not a host name"),
])
def test_a_cname_that_is_no_host_name_is_refused(repo, build, capsys, monkeypatch, cname, words):
    root, remote = repo
    assert build(root).code == 0
    run = deploy(root, capsys, monkeypatch, "--cname", cname)
    assert run.code == 1 and "Traceback" not in run.err
    line = [text for text in run.err.splitlines() if text.startswith("error: ")]
    assert len(line) == 1 and len(run.err.splitlines()) == 1, run.err
    assert line[0].startswith(f"error: --cname {shown(cname)} {words}: give the site's domain, such as "
                              "news.local12.org"), run.err
    assert git("for-each-ref", cwd=root) == ""


def test_a_cname_is_written_lowercased_and_an_empty_one_writes_none(repo, build, capsys, monkeypatch):
    root, remote = repo
    assert build(root).code == 0
    run = deploy(root, capsys, monkeypatch, "--cname", "News.Local12.ORG", "--no-push")
    assert run.code == 0 and "CNAME news.local12.org" in run.out, run.err
    assert git("show", "gh-pages:CNAME", cwd=root).strip() == "news.local12.org"
    run = deploy(root, capsys, monkeypatch, "--cname", "", "--no-push", "--branch", "plain")
    assert run.code == 0 and "CNAME" not in branch_files(root, "plain"), run.err


def test_sources_on_gh_pages_or_a_branch_checked_out_in_another_worktree_are_refused(repo, build, capsys, monkeypatch,
                                                                                      tmp_path):
    root, remote = repo
    committed_sources(root)
    git("branch", "-m", "gh-pages", cwd=root)  # the sources kept on gh-pages itself: the default is refused too
    assert build(root).code == 0
    before = repository_state(root)
    run = deploy(root, capsys, monkeypatch, "--no-push")
    assert run.code == 1 and ("error: --branch gh-pages is the branch checked out here, which holds the files you "
                              "work on: publishing to it would replace them with the built site; deploy needs a "
                              "branch of its own, publish to another with --branch (such as --branch site)") in run.err
    git("checkout", "--quiet", "-b", "main", cwd=root)
    # a branch without the sources, checked out in another worktree: ghp-import would move it under its files
    git("worktree", "add", "--quiet", "--detach", str(tmp_path / "other"), cwd=root)
    git("checkout", "--quiet", "--orphan", "empty", cwd=tmp_path / "other")
    git("rm", "-r", "--quiet", "--cached", ".", cwd=tmp_path / "other")
    git("-c", "user.name=V", "-c", "user.email=v@example.org", "commit", "--quiet", "--allow-empty", "-m", "Empty",
        cwd=tmp_path / "other")
    before = repository_state(root)
    run = deploy(root, capsys, monkeypatch, "--branch", "empty", "--no-push")
    assert run.code == 1 and f"error: --branch empty is the branch checked out in {tmp_path / 'other'}," in run.err, \
        run.err
    assert repository_state(root) == before


def test_without_git_deploy_says_so(repo, build, capsys, monkeypatch):
    root, remote = repo
    assert build(root).code == 0
    monkeypatch.setenv("PATH", "/nonexistent")
    run = deploy(root, capsys, monkeypatch)
    assert run.code == 1 and run.err == "error: git was not found: deploy commits to a git branch, so it needs git installed\n"
