"""Faults: a killed build, a full disk, a read-only folder or a second build never leave a broken site.

Builds run as real subprocesses (`python -m site_builder build`), so SIGKILL, resource limits
and file locks behave as they do for a volunteer at a terminal.  Tests run as root in CI, where
chmod stops nothing: a small tmpfs (mounted, then remounted read-only) is the full or read-only
disk; RLIMIT_FSIZE simulates a full disk without mounting anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from site_builder.bench import make_site
from tests.conftest import EPOCH, REPO, tree_bytes

PREVIOUS_UNCHANGED = "; the previous site is unchanged"


def env(**extra: str) -> dict:
    out = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": str(REPO), **extra}
    out.pop("CI", None)
    return out


def cmd(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "site_builder", "build", "--config", str(root / "config.yaml"), *args]


def run(root: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd(root, *args), env=kw.pop("env", env()), capture_output=True, text=True, cwd=REPO,
                          timeout=120, **kw)


def digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def set_title(root: Path, title: str) -> None:
    config = root / "config.yaml"
    lines = [f"title: {title}" if line.startswith("title:") else line for line in config.read_text().splitlines()]
    config.write_text("\n".join(lines) + "\n")


# --- a 1,000-post site, built once for both titles -----------------------------------------
@pytest.fixture(scope="module")
def big_site(tmp_path_factory):
    root = make_site(tmp_path_factory.mktemp("big") / "site", 1000)
    trees, seconds = {}, {}
    for title in ("Local A", "Local B"):
        set_title(root, title)
        started = time.perf_counter()
        done = run(root)
        seconds[title] = time.perf_counter() - started
        assert done.returncode == 0, done.stderr
        trees[title] = digests(root / "output")
    assert trees["Local A"] != trees["Local B"]
    return root, trees, seconds


def test_sigkill_at_any_moment_leaves_the_old_or_the_new_site(big_site):
    """SIGKILL builds at several moments, then run two builds at once: never a mixed output/."""
    root, trees, seconds = big_site
    current = "Local B"
    rng = random.Random(6)
    outcomes = []
    for fraction in (0.3, 0.65, rng.uniform(0.85, 1.0)):
        wanted = "Local A" if current == "Local B" else "Local B"
        set_title(root, wanted)
        proc = subprocess.Popen(cmd(root), env=env(), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(fraction * seconds[wanted])
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        found = digests(root / "output")
        assert found in (trees["Local A"], trees["Local B"]), f"mixed output after a kill at {fraction:.2f}"
        current = "Local A" if found == trees["Local A"] else "Local B"
        outcomes.append((round(fraction, 2), current == wanted))
    assert any(not swapped for _, swapped in outcomes), outcomes  # at least one kill hit mid-build

    # Two builds at once: the second waits for the first, and finds its complete output.
    wanted = "Local A" if current == "Local B" else "Local B"
    set_title(root, wanted)
    lock = root / ".output.lock"
    first = subprocess.Popen(cmd(root), env=env(), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the first build holds the lock
        with open(lock, "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                break
            fcntl.flock(handle, fcntl.LOCK_UN)
        time.sleep(0.02)
    second = subprocess.Popen(cmd(root), env=env(), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out1, err1 = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)
    assert first.returncode == 0 and second.returncode == 0, err1 + err2
    assert "Another build of this site is running; waiting for it to finish" in err2
    assert "0 files written" in out2  # the second build found the first one's complete output
    assert digests(root / "output") == trees[wanted]
    assert not list(root.glob(".output.staging-*")) and not list(root.glob(".output.old-*"))  # cleaned up


def test_a_waiting_build_does_not_touch_output(scratch):
    from site_builder.writer import build_lock

    root = scratch({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-05\n---\nx\n"})
    assert run(root).returncode == 0
    (root / "content/posts/b.md").write_text("---\ntitle: B\ndate: 2026-01-06\n---\ny\n")
    before = tree_bytes(root / "output")
    with build_lock((root / "output").resolve()):
        proc = subprocess.Popen(cmd(root), env=env(), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = proc.stderr.readline()
        assert "Another build of this site is running; waiting" in line
        time.sleep(0.3)
        assert proc.poll() is None and tree_bytes(root / "output") == before
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert (root / "output/news/b/index.html").is_file()


# --- full and read-only disks --------------------------------------------------------------
@contextlib.contextmanager
def small_tmpfs(path: Path, size: str = "256k"):
    """Mount a tmpfs at `path`; yields True, or False when mounting is not possible here."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = os.geteuid() == 0 and shutil.which("mount") and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True).returncode == 0
    try:
        yield bool(mounted)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _small_site(scratch) -> Path:
    return scratch({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-05\n---\nSome news.\n",
                    "content/pages/about.md": "---\ntitle: About\n---\nAbout us.\n"})


def _limit_file_size(limit: int):
    def preexec():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


def _assert_failed_cleanly(done: subprocess.CompletedProcess, reason: str) -> None:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: could not write output/") and last.endswith(PREVIOUS_UNCHANGED), last
    assert reason in last, last


def test_full_disk_leaves_the_previous_site(tmp_path, scratch):
    root = _small_site(scratch)
    with open(root / "config.yaml", "a") as config:  # the search bundle alone would fill the small disk
        config.write("search: false\n")
    disk = tmp_path / "disk"
    with small_tmpfs(disk) as mounted:
        output = disk / "output"
        assert run(root, "--output", str(output)).returncode == 0
        before = tree_bytes(output)
        (root / "content/posts/big.md").write_text(
            "---\ntitle: Big\ndate: 2026-01-07\n---\n\n" + ("Solidarity forever. " * 50 + "\n\n") * 400)
        preexec = None if mounted else _limit_file_size(64 * 1024)
        done = run(root, "--output", str(output), preexec_fn=preexec)
        _assert_failed_cleanly(done, "No space left on device" if mounted else "File too large")
        assert tree_bytes(output) == before
        assert not list(disk.glob(".output.staging-*"))  # the half-written staging folder is gone
        assert b"<title>A" in (output / "news/a/index.html").read_bytes()


def test_file_size_limit_leaves_the_previous_site(scratch):
    root = _small_site(scratch)
    assert run(root).returncode == 0
    before = tree_bytes(root / "output")
    (root / "static").mkdir()
    (root / "static/handbook.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * 300_000)
    done = run(root, preexec_fn=_limit_file_size(200_000))
    _assert_failed_cleanly(done, "output/handbook.pdf: File too large")
    assert tree_bytes(root / "output") == before
    assert not list(root.glob(".output.staging-*"))


def test_read_only_output_folder_leaves_the_previous_site(tmp_path, scratch):
    root = _small_site(scratch)
    disk = tmp_path / "disk"
    with small_tmpfs(disk, "2m") as mounted:
        output = disk / "output"
        assert run(root, "--output", str(output)).returncode == 0
        before = tree_bytes(output)
        (root / "content/posts/b.md").write_text("---\ntitle: B\ndate: 2026-01-06\n---\nMore news.\n")
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
            reason = "Read-only file system"
        elif os.geteuid() != 0:
            for folder in (disk, *[p for p in output.rglob("*") if p.is_dir()], output):
                folder.chmod(0o555)
            reason = "Permission denied"
        else:  # root without mount: make output's parent a file instead
            output = tmp_path / "a-file" / "output"
            (tmp_path / "a-file").write_text("not a folder")
            before, reason = {}, "Not a directory"
        done = run(root, "--output", str(output))
        _assert_failed_cleanly(done, reason)
        if before:
            assert tree_bytes(output) == before
        if not mounted and os.geteuid() != 0:
            for folder in (disk, output):
                folder.chmod(0o755)


# --- reproducible builds ------------------------------------------------------------------
def _copy_site(dest: Path, order: int) -> Path:
    files = sorted(p for p in (REPO / "content").rglob("*") if p.is_file())
    for path in files[::order]:
        target = dest / path.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    shutil.copyfile(REPO / "config.yaml", dest / "config.yaml")
    if (REPO / "static").is_dir():
        shutil.copytree(REPO / "static", dest / "static")
    return dest


def test_clean_builds_are_byte_identical_across_locale_tz_and_file_order(tmp_path):
    one = _copy_site(tmp_path / "one", 1)
    two = _copy_site(tmp_path / "two", -1)
    a = run(one, env=env(LC_ALL="C", LANG="C", TZ="UTC"))
    b = run(two, env=env(LC_ALL="de_DE.UTF-8", LANG="tr_TR.UTF-8", TZ="Pacific/Chatham"))
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    left, right = tree_bytes(one / "output"), tree_bytes(two / "output")
    assert sorted(left) == sorted(right)
    assert [p for p in left if left[p] != right[p]] == []
    assert any(p.endswith(".ics") for p in left) and "feed.xml" in left
