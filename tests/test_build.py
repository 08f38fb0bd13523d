"""Building scratch sites: what is published, where it goes, and reproducibility."""

from __future__ import annotations

import feedparser

from tests.conftest import post, tree_bytes


def test_drafts_and_future_posts_are_left_out_unless_asked(scratch, build):
    root = scratch({
        "content/posts/now.md": post("Published", "2026-01-05"),
        "content/posts/draft.md": post("Draft one", "2026-01-06", draft="true"),
        "content/posts/later.md": post("Next year", "2027-06-01"),  # after SOURCE_DATE_EPOCH (Nov 2026)
    })
    out = root / "output"
    assert build(root).code == 0
    assert (out / "news/now/index.html").is_file()
    assert not (out / "news/draft").exists()
    assert not (out / "news/later").exists()
    titles = [e.title for e in feedparser.parse((out / "feed.xml").read_bytes()).entries]
    assert titles == ["Published"]

    assert build(root, "--drafts", "--future").code == 0
    assert (out / "news/draft/index.html").is_file()
    assert (out / "news/later/index.html").is_file()
    assert "Draft" in (out / "news/draft/index.html").read_text()


def test_now_is_source_date_epoch(scratch, build):
    root = scratch({"content/posts/p.md": post("Soon", "2026-06-01")})
    assert build(root, env={"SOURCE_DATE_EPOCH": "1780000000"}).code == 0  # 2026-05-28
    assert not (root / "output/news/p").exists()
    assert build(root, env={"SOURCE_DATE_EPOCH": "1790000000"}).code == 0  # 2026-09-21
    assert (root / "output/news/p/index.html").is_file()


def test_urls_pagination_tags_and_pages(scratch, build):
    files = {f"content/posts/p{i:02d}.md": post(f"Post {i}", f"2026-01-{i + 1:02d}", tags="[Kaiser, bargaining]")
             for i in range(12)}
    files["content/pages/about.md"] = "---\ntitle: About us\nmenu: 1\n---\n## Who we are\n\nMembers.\n"
    root = scratch(files, config="title: T\nbase_url: https://example.org/\nposts_per_page: 5\n")
    assert build(root).code == 0
    out = root / "output"
    assert (out / "news/index.html").is_file()
    assert (out / "news/page/2/index.html").is_file()
    assert (out / "news/page/3/index.html").is_file()
    assert not (out / "news/page/4").exists()
    assert (out / "tags/kaiser/feed.xml").is_file()
    assert (out / "tags/bargaining/index.html").is_file()
    # a topic's news is paginated like /news/: every post on exactly one page, newest first
    topic = [(out / f"tags/kaiser/{page}index.html").read_text() for page in ("", "page/2/", "page/3/")]
    assert not (out / "tags/kaiser/page/4").exists()
    listed = [f"Post {i}" for i in range(12) for text in topic if f">Post {i}<" in text]
    assert sorted(listed) == sorted(f"Post {i}" for i in range(12))
    assert ">Post 11<" in topic[0] and ">Post 0<" in topic[2]
    assert 'rel="next" href="/tags/kaiser/page/2/"' in topic[0] and 'rel="prev" href="/tags/kaiser/"' in topic[1]
    about = (out / "about/index.html").read_text()
    assert '<h2 id="who-we-are">Who we are</h2>' in about
    home = (out / "index.html").read_text()
    assert 'href="/about/"' in home  # menu
    assert home.index("Post 11") < home.index("Post 10")
    assert "Post 6" not in home  # only posts_per_page on the home page


def test_reproducible_across_tz_and_output_folder(scratch, build, monkeypatch):
    root = scratch({
        "content/posts/a.md": post("A", "2026-01-05 18:30", tags="[x, y]"),
        "content/posts/b.md": post("B", "2026-01-05 18:30", tags="[y]"),
    })
    assert build(root, "--output", str(root / "one"), env={"TZ": "Asia/Tokyo", "LC_ALL": "C"}).code == 0
    assert build(root, "--output", str(root / "two"), env={"TZ": "America/New_York"}).code == 0
    assert tree_bytes(root / "one") == tree_bytes(root / "two")


def test_unchanged_files_keep_their_mtime_and_removed_posts_vanish(scratch, build):
    root = scratch({"content/posts/a.md": post("A"), "content/posts/b.md": post("B", "2026-01-06"),
                    "content/pages/about.md": "---\ntitle: About\n---\nUs.\n"})
    assert build(root).code == 0
    page = root / "output/about/index.html"
    before = page.stat().st_mtime_ns
    (root / "content/posts/b.md").unlink()
    run = build(root)
    assert run.code == 0
    assert page.stat().st_mtime_ns == before
    assert not (root / "output/news/b").exists()
    assert "removed" in run.out


def test_output_may_not_be_the_site_itself(scratch, build):
    root = scratch({"content/posts/a.md": post("A")})
    run = build(root, "--output", str(root))
    assert run.code == 1
    assert "output_dir" in run.err
    assert (root / "content/posts/a.md").is_file()
