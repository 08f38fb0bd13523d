"""The Nu HTML Checker (vnu.jar, Java) finds zero errors in every page of the sample site."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import REPO, require_tool

VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def test_every_page_is_valid_html(sample_output):
    java = require_tool("java")
    require_tool(str(VNU))
    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", "--skip-non-html", str(sample_output)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.stderr.strip(), f"vnu printed no report (exit {result.returncode}): {result.stdout[-2000:]}"
    report = json.loads(result.stderr)  # (vnu writes its JSON report to stderr)
    errors = [f"{m.get('url')}:{m.get('lastLine')}: {m['message']}" for m in report["messages"]]
    assert errors == []
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(list(sample_output.rglob("*.html"))) > 30
