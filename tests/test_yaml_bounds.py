"""The shared YAML loader is bounded (aliases, nesting, numbers, tags) and every message is one
printable line: issue 17's reproductions, at the loader and through a build."""

from __future__ import annotations

import os
import time

import pytest

from site_builder.errors import ContentError, Problem, shown
from site_builder.readers.source import MAX_BYTES, read_source
from site_builder.yamlutil import MAX_ALIAS_NODES, MAX_DEPTH, YList, YMap, load_yaml
from tests.bounded import build_bounded
from tests.conftest import post


def laughs(levels: int = 9, width: int = 9) -> str:
    names = "abcdefghijklmnop"
    lines = [f"a: &a [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"{names[i]}: &{names[i]} [{', '.join([f'*{names[i - 1]}'] * width)}]")
    return "\n".join(lines) + f"\ntitle: *{names[levels - 1]}\n"


def refused(text: str, offset: int = 0) -> str:
    with pytest.raises(ContentError) as info:
        load_yaml(text, "f.yaml", offset)
    return str(info.value)


def test_billion_laughs_is_refused_at_the_alias_that_crosses_the_budget():
    started = time.process_time()
    message = refused(laughs())
    assert time.process_time() - started < 1  # refused before anything is expanded
    # a: 10 values, b: 91, c: 820, d: 7,381; the nine *d of line 5 would add 66,429
    assert message == ("f.yaml:5: e: the alias *d makes this file repeat more than 10,000 values; "
                       "write the values out instead (aliases inside aliases can exhaust the memory)")
    assert refused(laughs(), offset=1).startswith("f.yaml:6: e: the alias *d")


def test_ordinary_aliases_are_fine_and_keep_their_lines():
    text = "hall: &hall {name: Local 12 Hall, address: 123 Main St}\n" + "".join(
        f"e{i}:\n  venue: *hall\n" for i in range(300))
    data = load_yaml(text, "f.yaml", 1)
    assert data["e299"]["venue"] == {"name": "Local 12 Hall", "address": "123 Main St"}
    # the shared mapping's lines are shifted once, not once per alias (as the old _shift did)
    assert data["hall"].line_of("address") == 2 and data.line_of("e0") == 3
    budget = f"x: &x [{', '.join(['1'] * 99)}]\n" + "".join(f"k{i}: *x\n" for i in range(MAX_ALIAS_NODES // 100 - 1))
    assert len(load_yaml(budget, "f.yaml")) == MAX_ALIAS_NODES // 100
    with pytest.raises(ContentError, match=r"alias \*x makes this file repeat more than 10,000 values"):
        load_yaml(budget + "last: *x\nlast2: *x\n", "f.yaml")


def test_an_alias_inside_itself_is_refused():
    assert refused("a: &a [1, *a]\n") == "f.yaml:1: yaml: an alias (*name) refers to the list or mapping that holds it"


@pytest.mark.parametrize("text, line, field", [
    ("tags: " + "[" * 250 + "x" + "]" * 250 + "\n", 1, "tags"),
    ("x:\n" + "".join("  " * (i + 1) + "-\n" for i in range(300)), MAX_DEPTH + 1, "x"),
    ("a:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(120)), MAX_DEPTH + 1, "k48"),
])
def test_nesting_is_bounded_with_the_line(text, line, field):
    assert refused(text) == (f"f.yaml:{line}: {field}: lists and mappings are nested more than {MAX_DEPTH} deep "
                             "here; flatten the structure")


def test_nesting_up_to_the_limit_is_fine():
    data = load_yaml("t: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n", "f.yaml")
    assert isinstance(data["t"], YList)


@pytest.mark.parametrize("value, message", [
    ("!!int abc", "x: !!int needs a whole number such as 12, got 'abc'"),
    ("!!float abc", "x: !!float needs a number such as 1.5, got 'abc'"),
    ("!!bool maybe", "x: !!bool needs true or false, got 'maybe'"),
    ("!!bool yes", "x: !!bool needs true or false, got 'yes'"),
    ("!!python/object:os.system x", "x: the tag '!!python/object:os.system' is not supported here: remove it "
                                    "(values are text, numbers, true/false, lists and mappings)"),
    ("!!binary aGVsbG8=", "x: the tag '!!binary' is not supported here: remove it "
                          "(values are text, numbers, true/false, lists and mappings)"),
    ("!!set {a, b}", "x: the tag '!!set' is not supported here: remove it "
                     "(values are text, numbers, true/false, lists and mappings)"),
    ("!local x", "x: the tag '!local' is not supported here: remove it "
                 "(values are text, numbers, true/false, lists and mappings)"),
    ("!!map text", "x: !!map must be given keys and values"),
    ("!!seq text", "x: !!seq must be given a list"),
    ("!!int [1]", "x: !!int must be given a single value, not a list or mapping"),
    ("1" * 5000, "x: number too long (5000 digits; at most 50): put it in quotes if it is text"),
    ("-" + "1" * 51, "x: number too long (51 digits; at most 50): put it in quotes if it is text"),
])
def test_explicit_tags_and_huge_numbers_are_messages(value, message):
    assert refused(f"title: T\nx: {value}\n") == f"f.yaml:2: {message}"


def test_core_tags_still_work():
    data = load_yaml("a: !!int 12\nb: !!float 1.5\nc: !!bool True\nd: !!str 18:30\ne: !!timestamp soon\n"
                     "f: " + "9" * 50 + "\n", "f.yaml")
    assert data == {"a": 12, "b": 1.5, "c": True, "d": "18:30", "e": "soon", "f": int("9" * 50)}


def test_control_characters_are_removed_with_a_warning():
    warnings: list[Problem] = []
    data = load_yaml('title: T\nsummary: "\\e[31mRed\\x0bline\\x85next\\x7f\\u0090\\tq"\nlist: ["\\e"]\n'
                     '"\\e[2J\\e[31mevil": 1\nnul: "a\\0b"\n', "f.yaml", 1, warnings)
    assert data["summary"] == "[31mRed line next\tq"  # VT and NEL became spaces; tab kept
    assert data["list"] == [""] and "[2J[31mevil" in data
    assert data["nul"] == "a\x00b"  # left for the readers, which refuse it where it matters
    assert [str(w) for w in warnings] == [
        "f.yaml:3: summary: warning: control characters \\x0b, \\x1b, \\x7f, \\x85, \\x90 removed: a page or a "
        "calendar cannot show them (was it an escape such as \\e or \\x0b in double quotes?)",
        "f.yaml:4: list[0]: warning: control character \\x1b removed: a page or a calendar cannot show it "
        "(was it an escape such as \\e or \\x0b in double quotes?)",
        "f.yaml:5: yaml: warning: control character \\x1b removed: a page or a calendar cannot show it "
        "(was it an escape such as \\e or \\x0b in double quotes?)",
    ]


def test_every_printed_problem_is_one_printable_line():
    problem = Problem("a.md", 4, "\x1b[2J\x1b[31mevil", "unknown key \u202e\x85 " + "x" * 5000 + " (known: title)")
    text = str(problem)
    assert text.startswith("a.md:4: \\x1b[2J\\x1b[31mevil: unknown key \\u202e\\x85 xxx")
    assert text.endswith("x (known: title)") and " … " in text and len(text) < 700
    assert all(c.isprintable() for c in text)
    assert shown("y" * 5000) == "'" + "y" * 60 + "…'"
    assert shown(list(range(5000))) == "list of 5000 items"
    assert shown("short") == "'short'"


def test_a_front_matter_key_with_an_escape_cannot_reach_the_terminal(scratch, build):
    root = scratch({"content/posts/a.md": post("A", **{'"\\e[2J\\e[31mevil"': "1", "summary": '"\\e[31mred"'})})
    run = build(root)
    assert run.code == 0, run.err
    assert "\x1b" not in run.err
    assert "content/posts/a.md:4: [2J[31mevil: warning: unknown key" in run.err
    assert "content/posts/a.md:5: summary: warning: control character \\x1b removed" in run.err


def test_nul_from_an_escape_is_refused_in_text_and_tags(scratch, build):
    root = scratch({"content/posts/a.md": post("A", summary='"a\\0b"', tags='["x\\0y"]')})
    run = build(root)
    assert run.code == 1
    assert "content/posts/a.md:4: summary: contains a NUL character (written \\0 in double quotes): remove it" in run.err
    assert "content/posts/a.md:5: tags[0]: contains a NUL character (written \\0): remove it" in run.err


def test_a_long_slug_is_blamed_on_its_line(scratch, build):
    slug = "-".join(["strike"] * 43)[:299].strip("-")
    root = scratch({"content/posts/a.md": post("A", slug=slug)})
    run = build(root)
    assert run.code == 1
    assert (f"content/posts/a.md:4: slug: 'strike-strike-strike-strike-st…' is {len(slug)} characters long; "
            "a slug may have at most 100: choose a shorter slug") in run.err.splitlines()


@pytest.mark.parametrize("folder", ["posts", "pages"])
def test_a_named_pipe_as_a_source_is_refused_not_waited_for(scratch, folder):
    root = scratch({"content/posts/good.md": post("Good")})
    (root / "content" / folder).mkdir(exist_ok=True)
    os.mkfifo(root / "content" / folder / "pipe.md")
    run = build_bounded(root, wall=30)
    assert run.finished, run.err
    assert run.code == 1, run.err
    assert f"content/{folder}/pipe.md:1: not a regular file (a named pipe); only ordinary files are read" \
        in run.err.splitlines()


def test_read_source_refuses_pipes_and_reads_at_most_the_limit(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ContentError, match=r"pipe:1: not a regular file \(a named pipe\)"):
        read_source(tmp_path / "pipe", "pipe")
    with pytest.raises(ContentError, match=r"dir:1: not a regular file \(a folder\)"):
        read_source(tmp_path, "dir")
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * (MAX_BYTES + 10))
    with pytest.raises(ContentError, match=r"big.md:1: file is 5.0 MB; the limit is 5 MB"):
        read_source(big, "big.md")
    (tmp_path / "ok.md").write_bytes(b"text")
    assert read_source(tmp_path / "ok.md", "ok.md") == b"text"


def test_mappings_from_the_loader_are_line_aware():
    data = load_yaml("a: 1\nb:\n  - x\n  - y\n", "f.yaml", 1)
    assert isinstance(data, YMap) and data.line_of("b") == 3 and data["b"].line_of(1) == 5


@pytest.mark.parametrize("text, offset, message", [
    ("events:\n  - id: a\n\ttitle: x\n", 0, "f.yaml:3: yaml: invalid YAML: line 3, column 1 holds a tab; YAML indents with "
     "spaces, never tabs: replace the tab with spaces (as many as the lines around it use)"),
    ("a:\n  b: 1\n \tc: 2\n", 1, "f.yaml:4: yaml: invalid YAML: line 4, column 2 holds a tab; YAML indents with "
     "spaces, never tabs: replace the tab with spaces (as many as the lines around it use)"),
    ("title: Picket: Friday\n", 1, "f.yaml:2: yaml: invalid YAML: a colon followed by a space inside a value needs "
     'quotes around the whole value: write title: "Picket: Friday"'),
    ("events:\n  - title: Picket: Friday  # the big one\n", 0, "f.yaml:2: yaml: invalid YAML: a colon followed by a "
     'space inside a value needs quotes around the whole value: write - title: "Picket: Friday"'),
])
def test_a_tab_and_a_colon_in_a_value_are_said_so_a_volunteer_can_fix_them(text, offset, message):
    assert refused(text, offset) == message
