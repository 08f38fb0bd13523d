"""content/calendar/*.yaml: good input loads, bad input gives exact `path:line: field: message`."""

from __future__ import annotations

import textwrap
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from site_builder.calendar.model import Place
from site_builder.config import load_config
from site_builder.readers.calendar import parse_duration, parse_time, read_calendar

CHICAGO = ZoneInfo("America/Chicago")
CONFIG = """\
title: Test Local
base_url: https://example.org/
timezone: America/Chicago
calendar:
  first_year: 2025
  last_year: 2027
"""


def read(tmp_path: Path, *files: tuple[str, str]):
    (tmp_path / "config.yaml").write_text(CONFIG)
    folder = tmp_path / "content" / "calendar"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files:
        (folder / name).write_text(textwrap.dedent(text))
    return read_calendar(load_config(tmp_path / "config.yaml"))


def messages(tmp_path: Path, text: str, name: str = "c.yaml") -> list[str]:
    _, problems = read(tmp_path, (name, text))
    return [str(p) for p in problems]


EVENT = """\
events:
  - id: rally
    title: Rally
    start: 2026-12-05 11:00
    end: "13:00"
"""
MEETING = """\
meetings:
  - id: cat
    title: CAT meeting
    repeat: every Tuesday
    time: 18:30
    end: 19:30
    from: 2025-01-07
    until: 2025-03-31
    online_url: https://zoom.us/j/81200034034
"""


def test_good_event_and_times(tmp_path):
    data, problems = read(
        tmp_path,
        (
            "a.yaml",
            """\
            events:
              - id: strike-school
                title: Strike School
                start: 2025-04-16 6:30 pm
                end: 8:00 pm
                venue: {name: Carpenters Hall, address: "710 Olive Street, Saint Paul, MN"}
                registration_url: https://docs.google.com/forms/d/e/x/viewform
                tags: [HealthPartners, strike]
              - id: vote
                title: Vote
                start: 2027-01-13 18:30
                duration: 1h30m
                timezone: America/New_York
              - id: wear-red
                title: Wear red
                start: 2027-03-18
            """,
        ),
    )
    assert problems == []
    school, vote, red = data.events
    assert school.start == datetime(2025, 4, 16, 18, 30, tzinfo=CHICAGO)
    assert school.end == datetime(2025, 4, 16, 20, 0, tzinfo=CHICAGO)
    assert school.venue == Place("Carpenters Hall", "710 Olive Street, Saint Paul, MN")
    assert school.attendance == "in-person" and school.tags == ("HealthPartners", "strike")  # as written: one tag rule for posts and calendars
    assert school.source == "content/calendar/a.yaml" and school.line == 2
    assert vote.end - vote.start == timedelta(minutes=90) and vote.timezone == "America/New_York"
    assert red.all_day and red.end - red.start == timedelta(days=1)


def test_good_meeting(tmp_path):
    data, problems = read(tmp_path, ("m.yaml", MEETING))
    assert problems == []
    (cat,) = data.series
    assert cat.rrule == "FREQ=WEEKLY;BYDAY=TU"
    assert cat.dtstart == datetime(2025, 1, 7, 18, 30, tzinfo=CHICAGO)
    assert cat.duration == timedelta(hours=1) and cat.attendance == "online"


P = "content/calendar/c.yaml"
BAD = [
    (
        "end-before-start",
        EVENT.replace('"13:00"', '"10:00"'),
        [f"{P}:5: events[\"rally\"].end: must be after start (2026-12-05 11:00), got 2026-12-05 10:00"],
    ),
    (
        "unknown-timezone",
        EVENT + "    timezone: America/Chicgo\n",
        [f"{P}:6: events[\"rally\"].timezone: unknown time zone 'America/Chicgo' (write a time zone name such as "
         "America/Chicago, America/New_York or America/Los_Angeles)"],
    ),
    (
        "timezone-said-as-people-say-it",
        EVENT + "    timezone: Pacific Time\n",
        [f"{P}:6: events[\"rally\"].timezone: unknown time zone 'Pacific Time' (for Pacific Time write America/Los_Angeles)"],
    ),
    (
        "timezone-fixed-offset-is-a-warning",
        EVENT + "    timezone: EST\n",
        [f"{P}:6: events[\"rally\"].timezone: warning: 'EST' is an abbreviation, which the time zone database reads as "
         "a fixed offset or old rules, not the local time of a place; for Eastern Time write America/New_York"],
    ),
    (
        "int-time",
        MEETING.replace("time: 18:30", "time: 1830"),
        [f"{P}:5: meetings[\"cat\"].time: must be a time like 18:30 or 6:30 pm, got the number 1830"],
    ),
    (
        "bad-time",
        EVENT.replace('"13:00"', "25:00"),
        [f"{P}:5: events[\"rally\"].end: not a time: '25:00' (write e.g. 18:30 or 6:30 pm)"],
    ),
    (
        "bad-date",
        EVENT.replace("2026-12-05 11:00", "2026-02-30 11:00"),
        [f"{P}:4: events[\"rally\"].start: not a date: '2026-02-30' (write YYYY-MM-DD, e.g. 2025-01-07)"],
    ),
    (
        "missing-end",
        EVENT.replace('    end: "13:00"\n', ""),
        [f"{P}:2: events[\"rally\"].end: is required when there is a start time (or give duration, e.g. 90 minutes)"],
    ),
    (
        "javascript-url",
        EVENT + "    registration_url: javascript:alert(1)\n",
        [f"{P}:6: events[\"rally\"].registration_url: must be an http:// or https:// address, got 'javascript:alert(1)'"],
    ),
    (
        "unknown-key-is-a-warning",
        EVENT + "    strat: 2026-12-05\n",
        [f"{P}:6: events[\"rally\"].strat: warning: unknown key (ignored; did you mean 'start'?)"],
    ),
    (
        "bad-status",
        EVENT + "    status: canceled\n",
        [f"{P}:6: events[\"rally\"].status: must be one of scheduled, cancelled, postponed, got 'canceled'"],
    ),
    (
        "online-without-url",
        EVENT + "    attendance: online\n",
        [f"{P}:6: events[\"rally\"].attendance: is online but no online_url is given"],
    ),
    (
        "bad-recurrence",
        MEETING.replace("every Tuesday", "every blue moon"),
        [
            f"{P}:4: meetings[\"cat\"].repeat: cannot understand the recurrence 'every blue moon'; write e.g. "
            '"every Tuesday", "weekly on Monday and Thursday", "every other Tuesday", "first Wednesday monthly", '
            '"last Friday of every month", "third Wednesday of March, June, September and December" or RRULE '
            'text like "FREQ=WEEKLY;BYDAY=TU"'
        ],
    ),
    (
        "bad-rrule",
        MEETING.replace("every Tuesday", "FREQ=WEEKLY;BYDAY=XX"),
        [f"{P}:4: meetings[\"cat\"].repeat: not a valid RRULE: 'FREQ=WEEKLY;BYDAY=XX' (invalid 'BYDAY': XX)"],
    ),
    (
        "rrule-with-until",
        MEETING.replace("every Tuesday", "FREQ=WEEKLY;UNTIL=20250301"),
        [f"{P}:4: meetings[\"cat\"].repeat: RRULE must not contain UNTIL: give the last date in `until:`"],
    ),
    (
        "skip-not-an-occurrence",
        MEETING + "    skip: [2025-01-08]\n",
        [f"{P}:10: meetings[\"cat\"].skip[0]: 2025-01-08 is not a date of this series (the nearest are 2025-01-07 and 2025-01-14)"],
    ),
    (
        "move-not-an-occurrence",
        MEETING + "    move:\n      - date: 2025-01-09\n        to: 2025-01-10\n",
        [f"{P}:11: meetings[\"cat\"].move[0].date: 2025-01-09 is not a date of this series (the nearest are 2025-01-07 and 2025-01-14)"],
    ),
    (
        "override-not-an-occurrence",
        MEETING + "    override:\n      - {date: 2025-04-01, note: x}\n",
        [f"{P}:11: meetings[\"cat\"].override[0].date: 2025-04-01 is not a date of this series (the nearest is 2025-03-25)"],
    ),
    (
        "skip-and-override-same-date",
        MEETING + "    skip: [2025-01-14]\n    override:\n      - {date: 2025-01-14, note: x}\n",
        [f"{P}:12: meetings[\"cat\"].override[0].date: 2025-01-14 is already listed under skip"],
    ),
    (
        "in-person-override-without-venue",
        MEETING + "    override:\n      - {date: 2025-01-14, attendance: in-person}\n",
        [f"{P}:11: meetings[\"cat\"].override[0].attendance: is in-person but neither this entry nor the series gives a venue"],
    ),
    (
        "until-before-from",
        MEETING.replace("until: 2025-03-31", "until: 2024-12-31"),
        [f"{P}:8: meetings[\"cat\"].until: must not be before from (2025-01-07), got 2024-12-31"],
    ),
    (
        "closure-unknown-reference",
        "closures:\n  - id: christmas-day\n    name: Christmas\n    when: December 25\n"
        "  - id: eve\n    name: Eve\n    when: last working day before christmas\n",
        [f"{P}:7: closures[\"eve\"].when: unknown closure 'christmas' (did you mean 'christmas-day'?)"],
    ),
    (
        "closure-cycle",
        "closures:\n  - id: a\n    name: A\n    when: 1 day after b\n"
        "  - id: b\n    name: B\n    when: last working day before a\n",
        [f"{P}:4: closures[\"a\"].when: closure rules form a cycle: a → b → a"],
    ),
    (
        "closure-bad-when",
        "closures:\n  - id: a\n    name: A\n    when: the 32nd of Smarch\n",
        [
            f"{P}:4: closures[\"a\"].when: cannot understand 'the 32nd of Smarch'; write e.g. \"July 4\", "
            '"third Monday of January", "last Monday of May", "Easter - 2 days", "1 day after thanksgiving" '
            'or "last working day before christmas-day"'
        ],
    ),
    (
        "same-observed-day-is-a-warning",
        "closures:\n  - id: a\n    name: A\n    when: December 25\n  - id: b\n    name: B\n    when: Dec 25\n",
        [
            f"{P}:7: closures[\"b\"].when: warning: B {y} is observed on {y}-12-{d}, the same day as A; "
            "both are listed and the office is closed once"
            for y, d in ((2025, 25), (2026, 25), (2027, 24))
        ],
    ),
    (
        "yaml-syntax",
        "events:\n  - id: a\n    title: [unclosed\n",
        [f"{P}:4: yaml: invalid YAML: while parsing a flow sequence, did not find expected ',' or ']'"],
    ),
    (
        "not-a-list",
        "events:\n  id: a\n",
        [f"{P}:1: events: must be a list of entries (- ...)"],
    ),
    (
        "morning-time-is-a-warning",
        MEETING.replace("time: 18:30", "time: 6:30").replace("end: 19:30", "duration: 1 hour"),
        [f"{P}:5: meetings[\"cat\"].time: warning: 6:30 is in the morning; write 18:30 or 6:30 pm for the evening, or 6:30 am to silence this"],
    ),
]


@pytest.mark.parametrize("name, text, expected", BAD, ids=[b[0] for b in BAD])
def test_bad_input(tmp_path, name, text, expected):
    assert messages(tmp_path, text) == expected


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    text = EVENT.replace('"13:00"', '"10:00"') + "    timezone: Mars/Base\n    online_url: ftp://x\n"
    found = messages(tmp_path, text)
    assert [m.split(": ")[1] for m in found] == ["events[\"rally\"].timezone", "events[\"rally\"].online_url"]
    # (end is only compared with start once the time zone is known)


def test_duplicate_ids_across_files(tmp_path):
    _, problems = read(tmp_path, ("a.yaml", EVENT), ("b.yaml", EVENT.replace("title: Rally", "title: Other")))
    assert [str(p) for p in problems] == [
        "content/calendar/b.yaml:2: events[\"rally\"].id: duplicate id 'rally' (already used at content/calendar/a.yaml:2)"
    ]


def test_events_and_meetings_share_ids(tmp_path):
    _, problems = read(tmp_path, ("a.yaml", EVENT + MEETING.replace("id: cat", "id: rally")))
    assert [str(p) for p in problems] == [
        "content/calendar/a.yaml:7: meetings[\"rally\"].id: duplicate id 'rally' (already used at content/calendar/a.yaml:2)"
    ]


@pytest.mark.parametrize(
    "text, expected",
    [("18:30", (18, 30)), ("6:30 pm", (18, 30)), ("6:30pm", (18, 30)), ("6 PM", (18, 0)), ("12 am", (0, 0)),
     ("12:15 p.m.", (12, 15)), ("noon", (12, 0)), ("07:05", (7, 5))],
)  # fmt: skip
def test_parse_time(text, expected):
    t = parse_time(text)
    assert (t.hour, t.minute) == expected


@pytest.mark.parametrize("bad", ["13 pm", "24:00", "6.30", "", 1110, "18h30"])
def test_parse_time_rejects(bad):
    with pytest.raises(ValueError):
        parse_time(bad)


@pytest.mark.parametrize(
    "text, minutes",
    [("90 minutes", 90), ("1 hour", 60), ("1.5 hours", 90), ("1h30m", 90), ("2 hours 30 minutes", 150), ("45 min", 45)],
)
def test_parse_duration(text, minutes):
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("bad", ["soon", "0 minutes", 90, "1 fortnight"])
def test_parse_duration_rejects(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_sample_site_loads_cleanly():
    root = Path(__file__).resolve().parents[1]
    data, problems = read_calendar(load_config(root / "config.yaml"))
    assert [str(p) for p in problems] == []
    assert len(data.events) == 8 and len(data.series) == 3 and len(data.closure_rules) == 12
    assert data.series[0].id == "executive-board" and data.series[0].moves[0].date == date(2025, 1, 1)


def test_an_entry_is_named_by_its_id_then_its_title_never_by_a_count_from_zero(tmp_path):
    text = ("events:\n"
            "  - id: rally\n    title: Rally\n    start: 2026-12-05 11:00\n    end: '13:00'\n"
            "  - id: kaiser-picket\n    title: Kaiser picket\n    start: 2026-12-12 11:00\n    end: '10:00'\n"
            "  - title: Strike vote\n    start: 2026-12-19 11:00\n    end: '13:00'\n"
            "  - start: 2026-12-26 11:00\n    end: '13:00'\n"
            "closures:\n  - name: Christmas Day\n    when: December 25\n")
    assert messages(tmp_path, text) == [
        "content/calendar/c.yaml:9: events[\"kaiser-picket\"].end: must be after start (2026-12-12 11:00), got 2026-12-12 10:00",
        "content/calendar/c.yaml:10: events[title=\"Strike vote\"].id: is required (a permanent id such as strike-vote-2026; never change it)",
        "content/calendar/c.yaml:13: events[entry 4].id: is required (a permanent id such as strike-vote-2026; never change it)",
        "content/calendar/c.yaml:13: events[entry 4].title: is required (what the calendar shows)",
        "content/calendar/c.yaml:16: closures[name=\"Christmas Day\"].id: is required (a permanent id such as christmas-day)",
    ]


def test_the_github_annotation_names_the_entry_as_the_text_does(scratch, build, tmp_path):
    root = scratch({"content/calendar/events.yaml": "events:\n  - id: rally\n    title: Rally\n    start: 2026-12-05 11:00\n"
                    "    end: '13:00'\n  - id: kaiser-picket\n    title: Kaiser picket\n    start: 2026-12-12 11:00\n"
                    "    end: '10:00'\n"})
    text = build(root)
    assert text.code == 1
    assert text.err.splitlines()[0] == ('content/calendar/events.yaml:9: events["kaiser-picket"].end: must be after start '
                                        "(2026-12-12 11:00), got 2026-12-12 10:00")
    github = build(root, "--error-format", "github")
    assert github.err.splitlines()[0] == ('::error file=content/calendar/events.yaml,line=9,title=events["kaiser-picket"].end'
                                          "::must be after start (2026-12-12 11:00), got 2026-12-12 10:00")
