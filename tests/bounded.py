"""Run site-builder in a child process under hard limits, for inputs that must finish.

`run_bounded(argv, cwd=...)` starts `python -m site_builder ARGV` with RLIMIT_AS (address space)
and RLIMIT_CPU set in the child, and a wall-clock timeout enforced by the harness: an input
that hangs or explodes is killed by the kernel or the harness and the test fails on the exit
status, never by timing how long a passing run took.  Nothing here is a timed assertion.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import EPOCH

MEMORY_LIMIT = 1536 * 1024 * 1024  # bytes of address space: a build of a small site needs ~300 MB
CPU_SECONDS = 30
WALL_SECONDS = 60


@dataclass
class Bounded:
    code: int  # negative: killed by that signal (SIGXCPU, SIGKILL); None-like 124: harness timeout
    out: str
    err: str
    timed_out: bool = False

    @property
    def finished(self) -> bool:
        return not self.timed_out and self.code >= 0


def _limits(memory: int, cpu: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    return apply


def run_bounded(argv: list[str], cwd: Path | None = None, memory: int = MEMORY_LIMIT, cpu: int = CPU_SECONDS,
                wall: int = WALL_SECONDS, env: dict | None = None) -> Bounded:
    environment = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
    try:
        proc = subprocess.run([sys.executable, "-m", "site_builder", *argv], cwd=cwd, env=environment,
                              capture_output=True, text=True, timeout=wall, stdin=subprocess.DEVNULL,
                              preexec_fn=_limits(memory, cpu))
    except subprocess.TimeoutExpired as exc:
        def text(b):
            return b.decode(errors="replace") if isinstance(b, bytes) else (b or "")
        return Bounded(124, text(exc.stdout), text(exc.stderr), timed_out=True)
    return Bounded(proc.returncode, proc.stdout, proc.stderr)


def build_bounded(root: Path, *args: str, **limits) -> Bounded:
    return run_bounded(["build", "--config", str(root / "config.yaml"), *args], cwd=root, **limits)
