"""`new post|page|event`: files with front matter, never overwritten, and they build."""

from __future__ import annotations

from site_builder.config import load_config
from tests.conftest import run_cli


def new(root, capsys, monkeypatch, *args):
    return run_cli(["new", *args, "--config", str(root / "config.yaml")], capsys, monkeypatch=monkeypatch)


def test_new_post_is_a_dated_draft_that_builds(scratch, capsys, monkeypatch, build):
    root = scratch()
    run = new(root, capsys, monkeypatch, "post", "Strike vote: what's next?")
    assert run.code == 0, run.err
    assert run.out.strip() == "content/posts/strike-vote-what-s-next.md"
    text = (root / run.out.strip()).read_text(encoding="utf-8")
    # SOURCE_DATE_EPOCH 1795000000 is 2026-11-18 05:06 in America/Chicago (already the 19th in Auckland)
    assert text.startswith('---\ntitle: "Strike vote: what\'s next?"\ndate: 2026-11-18\nsummary: ""\ntags: []\n'
                           "draft: true\n---\n")
    assert build(root).code == 0
    assert not (root / "output/news/strike-vote-what-s-next").exists()  # a draft
    result = build(root, "--drafts")
    assert result.code == 0, result.err
    page = (root / "output/news/strike-vote-what-s-next/index.html").read_text(encoding="utf-8")
    assert "Strike vote: what&#39;s next?" in page or "Strike vote: what's next?" in page


def test_today_is_in_the_site_timezone(scratch, capsys, monkeypatch):
    root = scratch(config="title: T\nbase_url: https://example.org/\ntimezone: Pacific/Auckland\n")
    run = new(root, capsys, monkeypatch, "post", "Kia ora")
    assert "date: 2026-11-19\n" in (root / run.out.strip()).read_text(encoding="utf-8")


def test_refuses_to_overwrite(scratch, capsys, monkeypatch):
    root = scratch({"content/posts/hello.md": "mine\n"})
    run = new(root, capsys, monkeypatch, "post", "Hello")
    assert run.code == 1
    assert "content/posts/hello.md already exists" in run.err
    assert (root / "content/posts/hello.md").read_text() == "mine\n"
    assert new(root, capsys, monkeypatch, "post", "!!!").code == 1


def test_new_page_builds(scratch, capsys, monkeypatch, build):
    root = scratch()
    run = new(root, capsys, monkeypatch, "page", "Our Stewards", "--slug", "stewards")
    assert run.out.strip() == "content/pages/stewards.md"
    assert build(root, "--drafts").code == 0
    assert "Our Stewards" in (root / "output/stewards/index.html").read_text(encoding="utf-8")
    assert new(root, capsys, monkeypatch, "page", "Our Stewards", "--slug", "stewards").code == 1


def test_new_event_reads_back_through_the_calendar_reader(scratch, capsys, monkeypatch):
    from site_builder.readers.calendar import read_calendar

    root = scratch()
    run = new(root, capsys, monkeypatch, "event", "Holiday Party", "--start", "2026-12-05 18:30")
    assert run.code == 0, run.err
    assert run.out.strip() == "content/calendar/holiday-party-2026-12-05.yaml"
    run = new(root, capsys, monkeypatch, "event", "Office closed", "--start", "2026-12-24", "--end", "2026-12-26")
    assert run.out.strip() == "content/calendar/office-closed-2026-12-24.yaml"
    run = new(root, capsys, monkeypatch, "event", "Steward training", "--start", "2027-01-09 9:00 am",
              "--end", "15:30")
    assert run.code == 0, run.err
    data, problems = read_calendar(load_config(root / "config.yaml"))
    assert [p for p in problems if p.is_error] == []
    events = {e.id: e for e in data.events}
    assert set(events) == {"holiday-party-2026-12-05", "office-closed-2026-12-24", "steward-training-2027-01-09"}
    party = events["holiday-party-2026-12-05"]
    assert (party.title, party.start.isoformat(), party.end.isoformat()) == (
        "Holiday Party", "2026-12-05T18:30:00-06:00", "2026-12-05T20:30:00-06:00")
    assert events["office-closed-2026-12-24"].all_day
    assert new(root, capsys, monkeypatch, "event", "Holiday Party", "--start", "2026-12-05 18:30").code == 1
    bad = new(root, capsys, monkeypatch, "event", "Bad", "--start", "next friday")
    assert bad.code == 1 and "--start: not a date" in bad.err
