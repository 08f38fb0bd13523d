"""config.yaml: validated, all problems at once, unknown keys named."""

from __future__ import annotations

import pytest

CASES = {
    "bad base_url": ("title: T\nbase_url: example.org\n",
                     ["config.yaml:2: base_url: must be an absolute http(s) URL such as https://example.org/local12/"]),
    "unknown timezone": ("title: T\ntimezone: Mars/Olympus\n",
                         ["config.yaml:2: timezone: unknown time zone 'Mars/Olympus' (write a time zone name such as "
                          "America/Chicago, America/New_York or America/Los_Angeles)"]),
    "timezone said as people say it": ("title: T\ntimezone: PST\n",
                                       ["config.yaml:2: timezone: unknown time zone 'PST' (for Pacific Time write "
                                        "America/Los_Angeles)"]),
    "timezone Pacific is not Samoa": ("title: T\ntimezone: Pacific\n",
                                      ["config.yaml:2: timezone: 'Pacific' is a region of the time zone database (such "
                                       "as Pacific/Apia, far from North America), not a time zone; for Pacific Time "
                                       "write America/Los_Angeles"]),
    "several at once": ("title: T\nposts_per_page: 0\nfeed_items: many\n",
                        ["config.yaml:2: posts_per_page: must be greater than 0",
                         "config.yaml:3: feed_items: must be a whole number, got str 'many'"]),
    "missing title": ("base_url: https://example.org/\n", ["config.yaml:1: title: required: the site's name"]),
    "broken yaml": ("title: T\n  base_url: x\n", ["config.yaml:2: yaml: invalid YAML: this line is indented more than the line above it; the keys of one entry "
                                                "start in the same column (indent with spaces, and only under a key that ends with a colon)"]),
    "repository as its GitHub address": ("title: T\ncms:\n  repo: https://github.com/local12/website.git\n",
                                          ["config.yaml:3: cms.repo: the github backend needs the repository, "
                                           "`owner/name` (such as local12/website); got "
                                           "'https://github.com/local12/website.git': write repo: local12/website"]),
    "bad colour": ("title: T\ntheme:\n  primary_color: purple\n",
                   ["config.yaml:3: theme.primary_color: must be a colour like #6b1d7a; got 'purple'"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_config(name, scratch, build):
    text, expected = CASES[name]
    root = scratch(config=text)
    run = build(root)
    assert run.code == 1
    for line in expected:
        assert line in run.err.splitlines(), run.err


def test_a_time_zone_abbreviation_that_exists_is_a_warning_with_the_zone_people_mean(scratch, build):
    """EST is a zone of the database, but UTC-5 all year: a New York local's summer meetings an hour off."""
    root = scratch(config="title: T\nbase_url: https://example.org/\ntimezone: EST\n")
    run = build(root)
    assert run.code == 0
    assert run.err.splitlines()[0] == ("config.yaml:3: timezone: warning: 'EST' is an abbreviation, which the time zone "
                                       "database reads as a fixed offset or old rules, not the local time of a place; "
                                       "for Eastern Time write America/New_York")
    assert build(root, "--strict").code == 1
    assert build(scratch(config="title: T\nbase_url: https://example.org/\ntimezone: US/Pacific\n")).err == ""


def test_unknown_key_is_a_warning_and_strict_makes_it_an_error(scratch, build):
    root = scratch(config="title: T\ncolour: red\ncalendar:\n  nmae: x\n")
    run = build(root)
    assert run.code == 0
    assert "config.yaml:2: colour: warning: unknown key (ignored)" in run.err
    assert "config.yaml:4: calendar.nmae: warning: unknown key (ignored)" in run.err
    run = build(root, "--strict")
    assert run.code == 1
    assert "config.yaml:2: colour: unknown key (ignored)" in run.err


def test_base_url_override_and_missing_config(scratch, build, tmp_path):
    root = scratch({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\n[About](/about/)\n"})
    assert build(root, "--base-url", "https://example.org/local12").code == 0
    html = (root / "output/news/a/index.html").read_text()
    assert 'href="/local12/about/"' in html
    assert 'href="/local12/css/site.css"' in html
    run = build(tmp_path / "nowhere")
    assert run.code == 1
    assert "config file not found" in run.err


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\u2066", "\ufeff", "\u2028"])
def test_an_invisible_character_in_base_url_is_refused(scratch, build, char):
    root = scratch({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nText\n"})
    run = build(root, "--base-url", f"https://example.org/{char}/")
    assert run.code == 1
    assert f"--base-url:1: base_url: contains the invisible character U+{ord(char):04X} (" in run.err
    assert not (root / "output").exists()
    assert char not in run.err  # (the message names it; it does not print it)
    assert build(root, "--base-url", "https://example.org/local12/").code == 0


# --- issue 17: the shared loader's bounds, through config.yaml ----------------------------
BOUNDED_CASES = {
    "explicit int tag": ("title: T\nposts_per_page: !!int ten\n",
                         "config.yaml:2: posts_per_page: !!int needs a whole number such as 12, got 'ten'"),
    "python tag": ("title: !!python/object/apply:os.system [echo]\n",
                   "config.yaml:1: title: the tag '!!python/object/apply:os.system' is not supported here: remove it "
                   "(values are text, numbers, true/false, lists and mappings)"),
    "5,000 digits": ("title: T\nfeed_items: " + "9" * 5000 + "\n",
                     "config.yaml:2: feed_items: number too long (5000 digits; at most 50): put it in quotes if it is text"),
    "deep nesting": ("title: T\nmenu: " + "[" * 300 + "]" * 300 + "\n",
                     "config.yaml:2: menu: lists and mappings are nested more than 50 deep here; flatten the structure"),
}


@pytest.mark.parametrize("name", sorted(BOUNDED_CASES))
def test_loader_bounds_in_config(name, scratch, build):
    text, expected = BOUNDED_CASES[name]
    run = build(scratch(config=text))
    assert run.code == 1
    assert expected in run.err.splitlines(), run.err
    assert "Traceback" not in run.err


def test_control_characters_never_reach_the_config(scratch):
    from site_builder.config import load_config

    config = load_config(scratch(config='title: "Local\\e[31m 12\\x0bnews"\nbase_url: https://example.org/\n')
                         / "config.yaml")
    assert config.title == "Local[31m 12 news"
