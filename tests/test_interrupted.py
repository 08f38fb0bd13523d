"""A cold build stopped by Ctrl-C (SIGINT to the whole process group, as a terminal sends it, or to
the build alone) or by SIGTERM (`timeout`, a cancelled CI job), while the Markdown workers run or
while the forked copy renders half the list pages: it ends at once, leaves no process running, no
staging folder and no output/, and prints no traceback.

The build runs in a child process (`python -c`) whose Markdown chunks, or list pages, wait (a sleep
that the signal cuts short) after saying which process they are in, so the signal arrives in the
phase under test; the harness's timeouts bound every wait (tests/bounded.py's rule: no timed
assertion)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import EPOCH
from tests.test_parallel_pages import N, many_posts

DRIVER = """
import os, sys, time
from pathlib import Path
from site_builder import forked, markup, render

said = Path(sys.argv[1])
phase = sys.argv[2]

def say(what):
    with open(said, "a") as f:
        f.write(f"{what} {os.getpid()}\\n")

if phase == "workers":
    real_chunk = markup._render_chunk
    def waiting_chunk(chunk):
        say("worker")
        time.sleep(60)
        return real_chunk(chunk)
    waiting_chunk.__qualname__ = waiting_chunk.__name__ = "_render_chunk"  # (pickled by name for the pool)
    waiting_chunk.__module__ = "site_builder.markup"
    markup._render_chunk = waiting_chunk
else:
    real_listed = render._listed
    def waiting_listed(r, *args):
        out = real_listed(r, *args)
        if r.share is not None:
            say("copy" if r.share.forked else "main")
            time.sleep(60)
        return out
    render._listed = waiting_listed

sys.argv = ["site-builder", "build"]
from site_builder.cli import run
run()
"""


def _alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()]


def _wait_for(said: Path, who: str, count: int, proc: subprocess.Popen, seconds: float = 60) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        lines = said.read_text().split("\n") if said.exists() else []
        pids = sorted({int(line.split()[1]) for line in lines if line.startswith(who + " ")})
        if len(pids) >= count:
            return pids
        time.sleep(0.05)
    raise AssertionError(f"no {who} process seen; the build said: {proc.communicate(timeout=10)}")


@pytest.mark.parametrize("phase", ["workers", "copy"])
@pytest.mark.parametrize("how", ["ctrl-c", "SIGINT", "SIGTERM"])
def test_a_stopped_cold_build_leaves_nothing_behind(tmp_path, phase, how):
    root = many_posts(tmp_path / "site", n=N + 10)
    said = tmp_path / "said"
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(said), phase], cwd=root,
                            env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        helpers = _wait_for(said, "worker" if phase == "workers" else "copy", 1, proc)
        if phase == "copy":
            _wait_for(said, "main", 1, proc)  # (both wait: the signal finds the copy alive)
        assert all(_alive(pid) for pid in helpers)
        helpers += _children(proc.pid)  # (the pagefind binary too, in the copy's phase)
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, getattr(signal, how))
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == (143 if how == "SIGTERM" else 130), err
    assert "Traceback" not in err and "Process " not in err, err
    deadline = time.monotonic() + 10  # (a helper killed by its parent is gone once the parent is)
    while any(_alive(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in helpers if _alive(pid)]
    assert not (root / "output").exists()
    assert not list(root.glob(".output.staging-*")) and not list(root.glob(".output.old-*"))
