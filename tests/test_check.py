"""`check`: every internal link and anchor of the planned site, without writing output/."""

from __future__ import annotations

from site_builder.check import check_links
from site_builder.config import load_config
from site_builder.models import Output
from tests.conftest import post, run_cli

PAGE = """---
title: Organize
---

## Step 1: Talk to your coworkers

Start [here](#step-1-talk-to-your-coworkers).
"""


def check(root, capsys, monkeypatch, *args):
    # example.org is a placeholder check refuses (test_placeholder_base_url_is_refused): a real-looking address
    return run_cli(["check", "--config", str(root / "config.yaml"), "--base-url", "https://news.local12.org/", *args],
                   capsys, monkeypatch=monkeypatch)


def test_placeholder_base_url_is_refused(scratch, capsys, monkeypatch):
    root = scratch({"content/posts/hello.md": post()})  # base_url: https://example.org/
    run = run_cli(["check", "--config", str(root / "config.yaml")], capsys, monkeypatch=monkeypatch)
    assert run.code == 1
    assert "base_url https://example.org/ is a placeholder" in run.err


def test_broken_link_and_anchor_are_both_listed(scratch, capsys, monkeypatch):
    body = ("Read [how to organize](/organize/#step-9-win), [the news](/news/), [nothing](/no-such-page/), "
            "[mail](mailto:a@example.org) and [elsewhere](https://example.com/x).")
    root = scratch({"content/posts/hello.md": post(body=body), "content/pages/organize.md": PAGE})
    run = check(root, capsys, monkeypatch)
    assert run.code == 1
    lines = [line for line in run.err.splitlines() if "hello.md" in line]
    assert lines == [
        "content/posts/hello.md:6 (news/hello/index.html): /no-such-page/: no such page or file: "
        "no-such-page/index.html is not built",
        "content/posts/hello.md:6 (news/hello/index.html): /organize/#step-9-win: no id 'step-9-win' in "
        "organize/index.html",
    ]
    assert "2 broken links" in run.err
    assert not (root / "output").exists()


def test_clean_site_passes_without_touching_output(scratch, capsys, monkeypatch):
    body = "See [step 1](/organize/#step-1-talk-to-your-coworkers) and the [feed](/feed.xml)."
    root = scratch({"content/posts/hello.md": post(body=body), "content/pages/organize.md": PAGE})
    run = check(root, capsys, monkeypatch)
    assert run.code == 0, run.err
    assert run.out.startswith("OK: ") and "internal links checked" in run.out
    assert not (root / "output").exists() and not (root / ".cache").exists()
    assert sorted(p.name for p in root.iterdir()) == ["config.yaml", "content"]


def test_invalid_content_fails_like_build(scratch, capsys, monkeypatch):
    root = scratch({"content/posts/bad.md": post(date="2026-13-45")})
    run = check(root, capsys, monkeypatch)
    assert run.code == 1
    assert "content/posts/bad.md:3: date: " in run.err
    assert not (root / "output").exists()


def test_links_under_a_subpath(tmp_path):
    (tmp_path / "config.yaml").write_text("title: T\nbase_url: https://example.org/local12/\n")
    config = load_config(tmp_path / "config.yaml")
    page = (b'<a href="/local12/a/">ok</a><a href="a/#x">ok</a><a href="/a/">outside</a>'
            b'<a href="../../local12/b">dir</a><img src="/local12/img.png" srcset="/local12/big.png 2x">'
            b'<a href="https://example.org/local12/a/#y">abs</a><a href="#top">top</a>')
    outputs = [Output("index.html", page), Output("a/index.html", b'<h2 id="x">x</h2>'),
               Output("b/index.html", b"<p>b</p>"), Output("img.png", b"png")]
    report = check_links(config, outputs)
    assert [str(p) for p in report.problems] == [
        "index.html: /a/: points outside the site's base path /local12/",
        "index.html: /local12/big.png: no such page or file: big.png is not built",
        "index.html: https://example.org/local12/a/#y: no id 'y' in a/index.html",
    ]
    assert report.checked == 8
