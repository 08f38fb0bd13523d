"""The ```yaml examples in docs/calendar.md must load without a single problem."""

from __future__ import annotations

import re
from pathlib import Path

from site_builder.config import load_config
from site_builder.readers.calendar import read_calendar

DOC = Path(__file__).resolve().parents[1] / "docs" / "calendar.md"


def test_doc_examples_load_cleanly(tmp_path):
    blocks = re.findall(r"^```yaml\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.M | re.S)
    assert len(blocks) >= 4
    (tmp_path / "config.yaml").write_text("title: Docs\nbase_url: https://example.org/\n")
    folder = tmp_path / "content" / "calendar"
    folder.mkdir(parents=True)
    for i, block in enumerate(blocks):
        (folder / f"doc{i:02}.yaml").write_text(block)
    data, problems = read_calendar(load_config(tmp_path / "config.yaml"))
    assert [str(p) for p in problems] == []
    kinds = {r.kind for r in data.closure_rules}
    assert kinds == {"fixed", "nth-weekday", "easter", "offset", "working-day-before"}
    board = next(s for s in data.series if s.id == "executive-board")
    assert board.skips and board.moves and board.overrides
    assert any(e.all_day for e in data.events)
