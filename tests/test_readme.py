"""The README's two commands are the contract: they work from a fresh clone."""

from __future__ import annotations

import os
import re
import subprocess

import feedparser

from tests.conftest import REPO


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_names_the_two_commands():
    commands = readme_commands()
    assert "make build" in commands
    assert "make test" in commands


def test_make_build_from_a_fresh_clone(tmp_path):
    clone = tmp_path / "fresh"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["SOURCE_DATE_EPOCH"] = "1795000000"
    done = subprocess.run(["make", "build"], cwd=clone, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    output = clone / "output"
    assert (output / "index.html").is_file()
    assert (output / "calendar.ics").is_file()
    feed = feedparser.parse((output / "feed.xml").read_bytes())
    assert feed.bozo == 0 and len(feed.entries) >= 12
    # a host's build installs only what building needs: none of the test tools
    for tool in ("pytest", "playwright", "feedparser"):
        probe = subprocess.run([str(clone / ".venv/bin/python"), "-c", f"import {tool}"], capture_output=True)
        assert probe.returncode != 0, f"make build installed {tool}"
    # make test's recipe sets up every tool the tests need before running them
    plan = subprocess.run(["make", "-n", "test"], cwd=clone, env=env, capture_output=True, text=True, check=True).stdout
    assert "npm ci" in plan and "install-system-deps.sh" in plan and "pytest" in plan
