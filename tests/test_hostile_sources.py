"""Catalogs, the newsletter's memory and the cache folder are read like every other source (issue 22,
section 3): a named pipe is refused, not waited for; a catalog over 5 MB is refused unread; a
broken string or a bad byte is one warning at its own line; a link out of the site is refused.

The pipe and size cases run in a bounded child (tests/bounded.py), so a regression fails, not hangs.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from tests.bounded import build_bounded, run_bounded
from tests.test_i18n import _site_catalog, ml_site
from tests.test_newsletter import POSTS, newsletter, titles  # noqa: F401 (newsletter: a fixture)
from tests.test_newsletter import read as read_issue


def es_po(root: Path) -> Path:
    (root / "locale").mkdir(exist_ok=True)
    return root / "locale/es.po"


# --- bounded -------------------------------------------------------------------------------------
def test_a_named_pipe_as_a_catalog_is_refused_not_waited_for(scratch):
    root = ml_site(scratch)
    os.mkfifo(es_po(root))
    run = build_bounded(root, wall=40)
    assert run.finished, run.err
    assert run.code == 1
    assert "locale/es.po:1: not a regular file (a named pipe); only ordinary files are read" in run.err.splitlines()


def test_a_catalog_padded_to_200_mb_is_refused_unread(scratch):
    root = ml_site(scratch)
    with open(es_po(root), "w", encoding="utf-8") as f:
        f.write(_site_catalog("es", {"Latest news": "Noticias grandes"}))
        f.truncate(200 * 1024 * 1024)  # padded (sparse: the test's disk is not filled)
    run = build_bounded(root, wall=40, memory=1024 * 1024 * 1024)
    assert run.finished, run.err
    assert run.code == 1
    assert "locale/es.po:1: file is 200.0 MB; the limit is 5 MB" in run.err.splitlines()


def test_a_named_pipe_as_the_newsletter_memory_is_a_warning_not_a_hang(scratch):
    root = scratch(POSTS)
    (root / ".cache").mkdir()
    os.mkfifo(root / ".cache/newsletter.json")
    run = run_bounded(["newsletter", "--config", str(root / "config.yaml")], cwd=root, wall=40)
    assert run.finished, run.err
    assert run.code == 0, run.err
    assert (".cache/newsletter.json:1: last_issue: warning: cannot be used (not a regular file (a named pipe)); "
            "the last 30 days are covered instead (pass --since to choose)") in run.err.splitlines()
    assert titles(read_issue(root)[1]) == ["Tenth at six", "November first"]


# --- reported at their line ----------------------------------------------------------------------
def catalog_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("locale/es.po:")]


def test_an_unterminated_string_in_the_middle_is_one_warning_at_its_line(scratch, build):
    catalog = _site_catalog("es", {"Latest news": "Noticias del sitio"})  # 4 header lines, then 3 each
    catalog += 'msgid "Menu\nmsgstr "Menú"\n\n'  # line 8
    catalog += _site_catalog("es", {"All news": "Todas las noticias del sitio"}, header=False)
    root = ml_site(scratch, {"locale/es.po": catalog})
    run = build(root)
    assert run.code == 0, run.err
    assert catalog_lines(run.err) == ["locale/es.po:8: warning: not a readable gettext catalog: 'msgid \"Menu' has no "
                                      "closing quote; none of its translations is used"]
    home = (root / "output/es/index.html").read_text()
    assert "del sitio" not in home  # neither the entries before it nor those after it
    assert "Últimas noticias" in home  # the theme's Spanish


def test_text_after_a_closing_quote_is_a_warning_at_its_line(scratch, build):
    catalog = _site_catalog("es", {"Latest news": "Noticias del sitio"}) + 'msgid "Menu"\nmsgstr "Menú" x\n'
    run = build(ml_site(scratch, {"locale/es.po": catalog}))
    assert run.code == 0, run.err
    assert catalog_lines(run.err) == ["locale/es.po:9: warning: not a readable gettext catalog: 'msgstr \"Menú\" x' "
                                      "has text after its closing quote; none of its translations is used"]


def test_a_bad_byte_on_the_last_line_is_warned_at_that_line(scratch, build):
    root = ml_site(scratch)
    text = _site_catalog("es", {"Latest news": "Noticias del sitio", "All news": "Todas"})
    es_po(root).write_bytes(text.encode() + b'msgid "Menu"\nmsgstr "Men\xfa"\n')
    run = build(root)
    assert run.code == 0, run.err
    last = text.count("\n") + 2
    assert catalog_lines(run.err) == [f"locale/es.po:{last}: warning: not a readable gettext catalog: not UTF-8 text "
                                      "(byte 0xfa); save the file as UTF-8; none of its translations is used"]


# --- links out of the site -----------------------------------------------------------------------
def test_a_catalog_linked_to_a_file_outside_the_site_is_refused(scratch, build, tmp_path):
    root = ml_site(scratch)
    outside = tmp_path / "elsewhere.po"
    outside.write_text(_site_catalog("es", {"Latest news": "Noticias de fuera"}), encoding="utf-8")
    es_po(root).symlink_to(outside)
    run = build(root)
    assert run.code == 1
    assert "locale/es.po:1: is a link to a file outside the site; copy the file itself here" in run.err.splitlines()
    assert not (root / "output").exists()


def test_a_cache_folder_linked_outside_the_site_is_not_written(scratch, build, newsletter, tmp_path):
    root = scratch(POSTS)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / ".cache").symlink_to(outside, target_is_directory=True)
    run = build(root)
    assert run.code == 0, run.err
    assert f"{root / '.cache'}: is a link to a folder outside the site; the build cache is not written there: " \
           "building without it" in run.err
    assert (root / "output/news/nov1/index.html").is_file()
    run = newsletter(root)
    assert run.code == 0, run.err
    assert (".cache/newsletter.json:1: last_issue: warning: cannot be used (.cache is a link to a folder outside the "
            "site); the last 30 days are covered instead (pass --since to choose)") in run.err.splitlines()
    assert (".cache/newsletter.json:1: last_issue: warning: could not be written (.cache is a link to a folder "
            "outside the site)") in run.err
    assert list(outside.iterdir()) == []  # no build.sqlite, .gitignore nor newsletter.json out there


def test_a_cache_folder_linked_inside_the_site_is_used(scratch, build):
    root = scratch(POSTS)
    (root / "cache-here").mkdir()
    (root / ".cache").symlink_to(root / "cache-here", target_is_directory=True)
    run = build(root)
    assert run.code == 0 and "cache" not in run.err, run.err
    assert (root / "cache-here/build.sqlite").is_file()


def test_serve_preview_is_not_written_into_a_cache_folder_linked_outside(scratch, tmp_path):
    from site_builder.build import build as build_site, serve_output_dir
    from site_builder.config import load_config
    from site_builder.errors import BuildFailed

    root = scratch(POSTS)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / ".cache").symlink_to(outside, target_is_directory=True)
    config = load_config(root / "config.yaml")
    try:
        build_site(config, datetime(2026, 11, 18, tzinfo=timezone.utc), output_dir=serve_output_dir(config))
    except BuildFailed as exc:
        assert [str(p) for p in exc.problems] == [
            f"config.yaml:1: output_dir: {outside}/serve/output is inside .cache, which is a link to a folder outside "
            "the site; choose a folder of its own such as output/"]
    else:
        raise AssertionError("built into the linked cache folder")
    assert list(outside.iterdir()) == []


def test_a_newsletter_memory_linked_to_a_file_outside_is_neither_read_nor_written(scratch, newsletter, tmp_path):
    root = scratch(POSTS)
    outside = tmp_path / "memory.json"
    outside.write_text('{"last_issue": "2026-11-10T23:59:00+00:00", "seen": []}')
    (root / ".cache").mkdir()
    (root / ".cache/newsletter.json").symlink_to(outside)
    run = newsletter(root)
    assert run.code == 0, run.err
    assert (".cache/newsletter.json:1: last_issue: warning: cannot be used (newsletter.json is a link to a file "
            "outside the site); the last 30 days are covered instead (pass --since to choose)") in run.err.splitlines()
    assert titles(read_issue(root)[1]) == ["Tenth at six", "November first"]  # 30 days, not since the 10th
    assert outside.read_text() == '{"last_issue": "2026-11-10T23:59:00+00:00", "seen": []}'
