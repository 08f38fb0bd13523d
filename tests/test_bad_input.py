"""Bad input: exit 1, every problem printed as path:line: field: message, output/ untouched."""

from __future__ import annotations

import pytest

from tests.conftest import post, tree_bytes

GOOD = post("Good news", "2026-01-05")

CASES = {
    "missing title": (
        {"content/posts/a.md": "---\ndate: 2026-01-05\n---\nBody\n"},
        ["content/posts/a.md:2: title: required"],
    ),
    "empty title": (
        {"content/posts/a.md": "---\ntitle: ''\ndate: 2026-01-05\n---\nBody\n"},
        ["content/posts/a.md:2: title: required but empty"],
    ),
    "unparsable date": (
        {"content/posts/a.md": "---\ntitle: A\ndate: 5th of May\n---\nBody\n"},
        ["content/posts/a.md:3: date: not a date: '5th of May' (write 2026-03-14, or 2026-03-14 18:30 for a time)"],
    ),
    "impossible date": (
        {"content/posts/a.md": "---\ntitle: A\ndate: 2026-02-30\n---\nBody\n"},
        ["content/posts/a.md:3: date: not a date: '2026-02-30' (write 2026-03-14, or 2026-03-14 18:30 for a time)"],
    ),
    "broken yaml": (
        {"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-05\ntags: [strike\n---\nBody\n"},
        ["content/posts/a.md:5: yaml: invalid YAML: while parsing a flow sequence, did not find expected ',' or ']'"],
    ),
    "unclosed front matter": (
        {"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-05\nBody\n"},
        ["content/posts/a.md:1: front matter opened with --- is never closed by a second --- line"],
    ),
    "duplicate slug": (
        {"content/posts/a.md": post("A", slug="same"), "content/posts/b.md": post("B", slug="same")},
        ["content/posts/b.md:4: slug: the post slug 'same' is already used by content/posts/a.md"],
    ),
    "tag not a string": (
        {"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-05\ntags:\n  - strike\n  - {unit: kaiser}\n---\nBody\n"},
        ["content/posts/a.md:6: tags[1]: must be a non-empty word, got a mapping"],
    ),
    "duplicate key": (
        {"content/posts/a.md": "---\ntitle: A\ntitle: B\ndate: 2026-01-05\n---\nBody\n"},
        ["content/posts/a.md:3: yaml: invalid YAML: duplicate key 'title'"],
    ),
    "page without title": (
        {"content/pages/about.md": "---\nsummary: About us\n---\nBody\n"},
        ["content/pages/about.md:2: title: required"],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_fails_cleanly(name, scratch, build):
    files, expected = CASES[name]
    root = scratch({"content/posts/good.md": GOOD})
    assert build(root).code == 0
    before = tree_bytes(root / "output")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    run = build(root)
    assert run.code == 1
    printed = run.err.splitlines()
    for line in expected:
        assert line in printed, run.err
    assert printed[-1].startswith("Build failed:")
    assert tree_bytes(root / "output") == before


def test_every_problem_is_reported_at_once(scratch, build):
    root = scratch({
        "content/posts/a.md": "---\ndate: 2026-01-05\n---\nx\n",
        "content/posts/b.md": "---\ntitle: B\ndate: someday\n---\nx\n",
        "content/posts/c.md": "---\ntitle: [C\n---\nx\n",
    })
    run = build(root)
    assert run.code == 1
    assert "content/posts/a.md:2: title: required" in run.err
    assert "content/posts/b.md:3: date: not a date" in run.err
    assert "content/posts/c.md:3: yaml: invalid YAML" in run.err
    assert "Build failed: 3 problems" in run.err
    assert not (root / "output").exists()


def test_not_utf8_names_the_file_and_line(scratch, build):
    root = scratch()
    path = root / "content/posts/latin1.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"---\ntitle: Caf\xe9\ndate: 2026-01-05\n---\n")
    run = build(root)
    assert run.code == 1
    assert "content/posts/latin1.md:2: not UTF-8 text (byte 0xe9); save the file as UTF-8" in run.err


def test_bom_and_windows_line_ends_work(scratch, build):
    root = scratch()
    path = root / "content/posts/win.md"
    path.parent.mkdir(parents=True)
    path.write_bytes("\ufeff---\r\ntitle: Windows\r\ndate: 2026-01-05\r\n---\r\n\r\n## Heading\r\n\r\nText\r\n".encode())
    assert build(root).code == 0
    html = (root / "output/news/win/index.html").read_text()
    assert '<h2 id="heading">Heading</h2>' in html


def test_unknown_key_warns_and_strict_fails(scratch, build):
    root = scratch({"content/posts/a.md": post("A", colour="red")})
    run = build(root)
    assert run.code == 0
    assert "content/posts/a.md:4: colour: warning: unknown key" in run.err
    run = build(root, "--strict")
    assert run.code == 1
    assert "content/posts/a.md:4: colour: unknown key" in run.err


# --- issue 17: input the loader refuses at its line, never a traceback -----------------------
LOADER_CASES = {
    "explicit int tag": ("---\ntitle: A\ndate: 2026-01-05\nsummary: !!int abc\n---\nBody\n",
                         "content/posts/a.md:4: summary: !!int needs a whole number such as 12, got 'abc'"),
    "explicit bool tag": ("---\ntitle: A\ndate: 2026-01-05\ndraft: !!bool maybe\n---\nBody\n",
                          "content/posts/a.md:4: draft: !!bool needs true or false, got 'maybe'"),
    "5,000 digits": ("---\ntitle: " + "1" * 5000 + "\ndate: 2026-01-05\n---\nBody\n",
                     "content/posts/a.md:2: title: number too long (5000 digits; at most 50): put it in quotes if it is text"),
    "250 nested brackets": ("---\ntitle: A\ndate: 2026-01-05\ntags: " + "[" * 250 + "]" * 250 + "\n---\nBody\n",
                            "content/posts/a.md:4: tags: lists and mappings are nested more than 50 deep here; "
                            "flatten the structure"),
    "long tag": ("---\ntitle: A\ndate: 2026-01-05\ntags: [" + "x" * 150 + "]\n---\nBody\n",
                 "content/posts/a.md:4: tags[0]: '" + "x" * 60 + "…' makes a tag address of 150 characters; "
                 "the limit is 100: choose a shorter tag"),
}


@pytest.mark.parametrize("name", sorted(LOADER_CASES))
def test_loader_refusals_are_messages(name, scratch, build):
    text, expected = LOADER_CASES[name]
    root = scratch({"content/posts/good.md": GOOD, "content/posts/a.md": text})
    run = build(root)
    assert run.code == 1
    assert "Traceback" not in run.err
    assert expected in run.err.splitlines(), run.err
