"""A named pipe as config.yaml or as a calendar file is refused, not waited for (issue 17).

These need config.py and readers/calendar.py to read through readers.source.read_source (and
the calendar to list with `odd=`); each runs in a bounded child so a regression fails, not hangs.
"""

from __future__ import annotations

import os

from tests.bounded import build_bounded
from tests.conftest import post


def test_a_named_pipe_as_config_yaml_is_refused(scratch):
    root = scratch({"content/posts/good.md": post("Good")})
    (root / "config.yaml").unlink()
    os.mkfifo(root / "config.yaml")
    run = build_bounded(root, wall=30)
    assert run.finished, run.err
    assert run.code == 1
    assert "config.yaml:1: not a regular file (a named pipe); only ordinary files are read" in run.err.splitlines()


def test_a_named_pipe_as_a_calendar_file_is_refused(scratch):
    root = scratch({"content/posts/good.md": post("Good")})
    (root / "content/calendar").mkdir(parents=True)
    os.mkfifo(root / "content/calendar/events.yaml")
    run = build_bounded(root, wall=30)
    assert run.finished, run.err
    assert run.code == 1
    assert "content/calendar/events.yaml:1: not a regular file (a named pipe); only ordinary files are read" \
        in run.err.splitlines()
