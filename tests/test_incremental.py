"""Incremental builds (with the cache) must equal clean builds byte for byte, whatever changed.

Random sequences of add / edit / retag / delete / template change / config change / calendar
edit, each followed by an incremental build compared with a clean build of the same sources.
"""

from __future__ import annotations

import os
import pickle
import random
import re
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from site_builder.build import build
from site_builder.cache import BuildCache
from site_builder.config import load_config
from tests.conftest import tree_bytes, write_site

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=timezone.utc)
TAGS = ["kaiser", "allina", "healthpartners", "strike", "picket"]
CONFIG = "title: Inc Local\nbase_url: https://example.org/local12/\nposts_per_page: {per_page}\n"


def post_text(rng: random.Random, n: int, tags: list[str]) -> str:
    day = rng.randint(1, 28)
    body = "\n\n".join(f"## Part {i}\n\nWords {rng.random():.6f} [home](/news/)" for i in range(rng.randint(1, 3)))
    return f"---\ntitle: Post {n} v{rng.randint(0, 999)}\ndate: 2026-0{rng.randint(1, 9)}-{day:02d}\ntags: [{', '.join(tags)}]\n---\n{body}\n"


def events_text(rng: random.Random) -> str:
    hour = rng.randint(8, 18)
    return (f"events:\n  - id: rally\n    title: Rally {rng.randint(0, 99)}\n    start: 2026-12-0{rng.randint(1, 9)} {hour}:00\n"
            f"    duration: 1 hour\n    tags: [{rng.choice(TAGS)}]\n"
            "meetings:\n  - id: board\n    title: Board\n    repeat: first Wednesday monthly\n    time: 6:00 pm\n"
            "    duration: 1 hour\n    from: 2026-01-01\n    until: 2027-06-30\n    online_url: https://zoom.us/j/1\n"
            "closures:\n  - id: xmas\n    name: Christmas Day\n    when: December 25\n")


class Site:
    def __init__(self, root: Path, rng: random.Random):
        self.root, self.rng = root, rng
        self.posts: dict[str, list[str]] = {}
        self.counter = 0
        write_site(root, {"config.yaml": CONFIG.format(per_page=3), "content/calendar/cal.yaml": events_text(rng)})
        for _ in range(6):
            self.add()

    def path(self, slug: str) -> Path:
        return self.root / "content/posts" / f"{slug}.md"

    def add(self) -> None:
        self.counter += 1
        slug = f"p{self.counter}"
        tags = self.rng.sample(TAGS, self.rng.randint(0, 2))
        self.posts[slug] = tags
        self.path(slug).parent.mkdir(parents=True, exist_ok=True)
        self.path(slug).write_text(post_text(self.rng, self.counter, tags))

    def edit(self) -> None:
        slug = self.rng.choice(sorted(self.posts))
        self.path(slug).write_text(post_text(self.rng, int(slug[1:]), self.posts[slug]))

    def retag(self) -> None:
        slug = self.rng.choice(sorted(self.posts))
        text = self.path(slug).read_text()
        old = f"tags: [{', '.join(self.posts[slug])}]"
        self.posts[slug] = self.rng.sample(TAGS, self.rng.randint(0, 3))
        self.path(slug).write_text(text.replace(old, f"tags: [{', '.join(self.posts[slug])}]"))

    def delete(self) -> None:
        if len(self.posts) > 2:
            slug = self.rng.choice(sorted(self.posts))
            del self.posts[slug]
            self.path(slug).unlink()

    def template(self) -> None:
        target = self.root / "templates/partials/footer.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"<p>Footer {self.rng.randint(0, 999)} <a href=\"{{{{ url('/news/') }}}}\">News</a></p>\n")

    def config(self) -> None:
        (self.root / "config.yaml").write_text(CONFIG.format(per_page=self.rng.randint(2, 5)))
        self._contracts_follow_config()

    def calendar(self) -> None:
        (self.root / "content/calendar/cal.yaml").write_text(events_text(self.rng))

    # -- issue 12's fields: each edit changes other pages (related lists, series places, the banner)
    def _front(self, slug: str, key: str, value: str | None) -> None:
        """Set (or with None remove) one front matter line of a post."""
        path = self.path(slug)
        head, body = path.read_text().split("\n---\n", 1)
        lines = [line for line in head.split("\n") if not line.startswith(f"{key}:")]
        if value is not None:
            lines.append(f"{key}: {value}")
        path.write_text("\n".join(lines) + "\n---\n" + body)

    def alert(self) -> None:  # add, change or remove an alert: every page's banner
        name = f"a{self.rng.randint(1, 3)}"
        path = self.root / "content/alerts" / f"{name}.md"
        if path.exists() and self.rng.random() < 0.3:
            path.unlink()
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        starts = f"2026-11-{self.rng.randint(1, 28):02d}"
        expires = f"2026-12-{self.rng.randint(1, 28):02d} {self.rng.randint(8, 20)}:00"
        link = self.rng.choice(["tel:+16515551234", "mailto:a@example.org", "/news/", "https://example.org/x"])
        path.write_text(f"---\ntitle: Act {self.rng.randint(0, 99)}\nlink: \"{link}\"\nstarts: {starts}\n"
                        f"expires: {expires}\n---\nDo it {self.rng.random():.4f}.\n")

    def series(self) -> None:  # join or leave a series, or change its file
        if self.rng.random() < 0.3:
            path = self.root / "content/series/s1.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists() and self.rng.random() < 0.5:
                path.unlink()
            else:
                path.write_text(f"---\ntitle: Series {self.rng.randint(0, 99)}\n---\nIntro.\n")
            return
        slug = self.rng.choice(sorted(self.posts))
        self._front(slug, "series", self.rng.choice(["s1", "s2", None]))

    def expires(self) -> None:  # end a post (it leaves lists, tags, feeds and related lists) or revive it
        slug = self.rng.choice(sorted(self.posts))
        self._front(slug, "expires", self.rng.choice(["2026-11-30", "2026-09-30 18:00", None]))

    def source(self) -> None:  # a repost's credit: its page, its feed items
        slug = self.rng.choice(sorted(self.posts))
        path = self.path(slug)
        head, body = path.read_text().split("\n---\n", 1)
        head = "\n".join(line for line in head.split("\n") if not line.startswith(("source:", "  ")))
        if self.rng.random() < 0.7:
            head += (f"\nsource:\n  name: Paper {self.rng.randint(0, 9)}\n  url: https://paper.example/{slug}\n"
                     "  date: 2026-05-01")
        path.write_text(head + "\n---\n" + body)

    # -- issue 16's fields: topic names, kinds and status lines, the contact block, closure names
    def members(self) -> None:
        tag = self.rng.choice(TAGS)
        kind = self.rng.choice(["employer", "unit", "topic"])
        status = f", status: Talks resume {self.rng.randint(1, 28)} Dec" if kind == "employer" else ""
        text = CONFIG.format(per_page=self.rng.randint(2, 5)) + f"tags:\n  - {{slug: {tag}, name: {tag.upper()}, kind: {kind}{status}}}\n"
        if self.rng.random() < 0.6:
            text += f"contact:\n  phone: 651-555-01{self.rng.randint(10, 99)}\n  email: office@local12.example\n"
        (self.root / "config.yaml").write_text(text)
        name = self.rng.choice(["Christmas holiday", "Office closed for Christmas", None])
        closure = "closures:\n  - id: christmas-day\n    name: Christmas Day\n    when: December 25\n"
        (self.root / "content/calendar/closures.yaml").write_text(closure + (f"    public_name: {name}\n" if name else ""))
        self._contracts_follow_config()

    # -- issue 13: content/contracts.yaml (its employer is config.yaml's employer tag), documents, attachments
    def _employers(self) -> list[str]:
        return re.findall(r"slug: ([a-z]+), name: [A-Z]+, kind: employer", (self.root / "config.yaml").read_text())

    def _contracts_follow_config(self) -> None:
        """Contracts name an employer of config.yaml: after config.yaml changes, theirs or none."""
        path = self.root / "content/contracts.yaml"
        if path.exists():
            employers = self._employers()
            if employers:
                path.write_text(re.sub(r"employer: [a-z]+", f"employer: {employers[0]}", path.read_text()))
            else:
                path.unlink()

    def contracts(self) -> None:  # add, change or remove contracts; resize a document; attach files to a post
        if not self._employers():
            tag = self.rng.choice(TAGS)
            (self.root / "config.yaml").write_text(CONFIG.format(per_page=3) +
                                                   f"tags:\n  - {{slug: {tag}, name: {tag.upper()}, kind: employer}}\n")
        employer = self._employers()[0]
        docs = self.root / "static/contracts"
        docs.mkdir(parents=True, exist_ok=True)
        (docs / "a.pdf").write_bytes(b"%PDF-1.4\n" + b"x" * self.rng.randint(1, 5000))
        path = self.root / "content/contracts.yaml"
        if self.rng.random() < 0.2 and path.exists():
            path.unlink()
        else:
            entries = []
            for n in range(self.rng.randint(1, 3)):
                expires = f"2027-0{self.rng.randint(1, 9)}-{self.rng.randint(1, 28):02d}"  # some within 120 days
                entries.append(f"  - id: c{n}\n    employer: {employer}\n    unit: Unit {self.rng.randint(0, 99)}\n"
                               f"    effective: 2024-01-01\n    expires: {expires}\n    document: /contracts/a.pdf\n"
                               f"    bargaining_status: {self.rng.choice(['in force', 'in bargaining', 'expired'])}\n")
            path.write_text("contracts:\n" + "".join(entries))
        slug = self.rng.choice(sorted(self.posts))
        (self.root / "content/posts" / f"{slug}-letter.pdf").write_bytes(b"%PDF-1.4\n" + b"y" * self.rng.randint(1, 900))
        self._front(slug, "attachments", f"[{{file: {slug}-letter.pdf, title: Letter}}]" if self.rng.random() < 0.7
                    else None)

    # -- issue 14: languages, translations added and removed, a catalog, translated calendar entries
    LANGUAGES = "languages:\n  en: English\n  es: {name: Español, show_untranslated: true}\n  hmn: Hmoob\n"

    def translate(self) -> None:
        config = self.root / "config.yaml"
        text = config.read_text()
        if "languages:" not in text:
            config.write_text(text + self.LANGUAGES)
        roll = self.rng.random()
        if roll < 0.45:  # a post's translation: added, changed or removed
            slug = self.rng.choice(sorted(self.posts))
            path = self.root / "content/posts" / f"{slug}.{self.rng.choice(['es', 'hmn'])}.md"
            if path.exists() and self.rng.random() < 0.4:
                path.unlink()
            else:
                path.write_text(post_text(self.rng, int(slug[1:]), self.posts[slug]))
        elif roll < 0.6:  # the site's own catalog
            path = self.root / "locale/es.po"
            path.parent.mkdir(exist_ok=True)
            path.write_text(f'msgid "Latest news"\nmsgstr "Noticias {self.rng.randint(0, 99)}"\n')
        elif roll < 0.75:  # a closure's Spanish name
            cal = self.root / "content/calendar/cal.yaml"
            text = cal.read_text().split("    translations:")[0]
            cal.write_text(text + f"    translations: {{es: {{title: Navidad {self.rng.randint(0, 9)}}}}}\n")
        elif roll < 0.9:  # one language again
            config.write_text(config.read_text().replace(self.LANGUAGES, ""))
        else:  # Hmong no longer listed: its translations are posts of their own again
            config.write_text(config.read_text().replace("  hmn: Hmoob\n", ""))

    def touch(self) -> None:  # same bytes, new mtime: nothing may change
        slug = self.rng.choice(sorted(self.posts))
        self.path(slug).write_bytes(self.path(slug).read_bytes())


OPERATIONS = ["add", "edit", "retag", "delete", "template", "config", "calendar", "touch",
              "alert", "series", "expires", "source", "members", "contracts", "translate"]


def incremental_and_clean(site: Site, tmp: Path, step: int, atomic: bool = True) -> tuple[dict, dict]:
    config = load_config(site.root / "config.yaml")
    build(config, NOW, output_dir=site.root / "output", atomic=atomic)
    clean = tmp / f"clean-{step}"
    build(config, NOW, output_dir=clean, use_cache=False)
    return tree_bytes(site.root / "output"), tree_bytes(clean)


@pytest.mark.parametrize("seed", range(4))
def test_random_change_sequences(tmp_path, seed):
    rng = random.Random(seed)
    site = Site(tmp_path / "site", rng)
    incremental, clean = incremental_and_clean(site, tmp_path, 0)
    assert incremental == clean
    for step in range(1, 9):
        operation = rng.choice(OPERATIONS)
        getattr(site, operation)()
        incremental, clean = incremental_and_clean(site, tmp_path, step)
        assert incremental.keys() == clean.keys(), f"seed {seed} step {step}: {operation}"
        differing = [p for p in clean if incremental[p] != clean[p]]
        assert differing == [], f"seed {seed} step {step}: {operation}"


def test_translations_added_and_removed(tmp_path):
    """Incremental = clean through a sequence of language changes alone (and a few others)."""
    rng = random.Random(14)
    site = Site(tmp_path / "site", rng)
    incremental_and_clean(site, tmp_path, 0)
    for step in range(1, 13):
        operation = "translate" if step % 4 else rng.choice(["edit", "calendar", "add", "delete"])
        getattr(site, operation)()
        incremental, clean = incremental_and_clean(site, tmp_path, step)
        assert incremental.keys() == clean.keys(), f"step {step}: {operation}"
        assert [p for p in clean if incremental[p] != clean[p]] == [], f"step {step}: {operation}"


@pytest.mark.parametrize("atomic", [True, False], ids=["staged-swap", "in-place (serve)"])
def test_every_operation_once(tmp_path, atomic):
    rng = random.Random(99)
    site = Site(tmp_path / "site", rng)
    incremental_and_clean(site, tmp_path, 0, atomic)
    for step, operation in enumerate(OPERATIONS + ["delete", "delete", "add"], 1):
        getattr(site, operation)()
        incremental, clean = incremental_and_clean(site, tmp_path, step, atomic)
        assert incremental == clean, operation
    leftovers = [p for p in (site.root / "output").rglob("*") if p.is_dir() and not any(p.iterdir())]
    assert leftovers == []


def test_a_retag_updates_the_related_lists_of_the_posts_it_joins_and_leaves(tmp_path):
    root = tmp_path / "site"
    files = {"config.yaml": CONFIG.format(per_page=3)}
    for name, tags in (("a", "kaiser"), ("b", "kaiser"), ("c", "allina"), ("d", "allina")):
        files[f"content/posts/{name}.md"] = f"---\ntitle: {name.upper()}\ndate: 2026-05-0{ord(name) - 96}\ntags: [{tags}]\n---\nT\n"
    write_site(root, files)
    config = load_config(root / "config.yaml")

    def related(slug: str) -> list[str]:
        html = (root / f"output/news/{slug}/index.html").read_text()
        return sorted(re.findall(r'<li><time[^>]*>[^<]*</time> <a href="/local12/news/([a-z]+)/">', html))

    build(config, NOW)
    assert related("b") == ["a"] and related("c") == ["d"]
    (root / "content/posts/a.md").write_text("---\ntitle: A\ndate: 2026-05-01\ntags: [allina]\n---\nT\n")
    build(config, NOW)
    assert related("b") == [] and related("c") == ["a", "d"] and related("d") == ["a", "c"]
    clean = tmp_path / "clean"
    build(config, NOW, output_dir=clean, use_cache=False)
    assert tree_bytes(root / "output") == tree_bytes(clean)


def test_unchanged_pages_are_reused_not_rerendered(tmp_path):
    site = Site(tmp_path / "site", random.Random(5))
    config = load_config(site.root / "config.yaml")
    build(config, NOW)
    report = build(config, NOW)
    assert report.written == 0 and report.removed == 0
    site.edit()
    report = build(config, NOW)
    assert 0 < report.written < report.unchanged


def test_corrupted_cache_is_discarded_with_a_warning(tmp_path, scratch, build):
    root = scratch({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nText\n"})
    assert build(root).code == 0
    before = tree_bytes(root / "output")
    cache = root / ".cache/build.sqlite"
    for extra in root.glob(".cache/build.sqlite-*"):
        extra.unlink()
    cache.write_bytes(b"this is not a database" * 100)
    run = build(root)
    assert run.code == 0
    assert "unreadable cache" in run.err and "discarded and rebuilt" in run.err
    assert tree_bytes(root / "output") == before


def test_cache_from_another_version_is_not_trusted(tmp_path, scratch, build):
    root = scratch({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nText\n"})
    assert build(root).code == 0
    db = sqlite3.connect(root / ".cache/build.sqlite")
    db.execute("UPDATE meta SET value = 'site_builder 0.0.1 schema 0' WHERE key = 'version'")
    # poison every cached value: if any were trusted, the output would change
    db.execute("UPDATE entries SET value = ?", (b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00\x8c\x01X\x94.",))
    db.commit()
    db.close()
    before = tree_bytes(root / "output")
    run = build(root)
    assert run.code == 0
    assert "cache made by 'site_builder 0.0.1 schema 0'; discarded and rebuilt" in run.err
    assert tree_bytes(root / "output") == before


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(tmp_path):
    """Unchanged sources are known by their stat signature, not read.  An edit that keeps the
    size and puts the mtime back (as `touch -r` or a sync tool can) still changes the ctime."""
    site = Site(tmp_path / "site", random.Random(3))
    config = load_config(site.root / "config.yaml")
    path = site.path("p1")
    path.write_text(path.read_text() + "\nMARKER-AAAA\n")
    build(config, NOW)
    time.sleep(2.2)  # older than the racy window: the next build indexes it by signature
    build(config, NOW)
    cache = BuildCache(site.root / ".cache").open()
    indexed = {name for entries in cache.memory.get("stat", {}).values() for name in entries} or {
        name for (blob,) in cache.db.execute("SELECT value FROM entries WHERE ns = 'stat'")
        for name in pickle.loads(blob)}
    cache.close()
    assert "content/posts/p1.md" in indexed
    before = os.stat(path)
    path.write_text(path.read_text().replace("MARKER-AAAA", "MARKER-BBBB"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_size == before.st_size and os.stat(path).st_mtime_ns == before.st_mtime_ns
    build(config, NOW)
    page = site.root / "output/news/p1/index.html"
    assert "MARKER-BBBB" in page.read_text() and "MARKER-AAAA" not in page.read_text()


# What only writing a file needs: running a program (pagefind), renameat2, writing threads, and
# the "did you mean" of a misspelt key.  A no-op build imports none of them either.
WRITING_ONLY = ("subprocess", "ctypes", "concurrent.futures", "difflib")


def test_a_build_with_nothing_to_render_loads_no_renderer(tmp_path):
    """A no-op build takes everything from the cache and output/: it never imports Markdown,
    icalendar or nh3 (together ~0.2 s of every save at 5,000 posts), which only making a page
    body or a feed needs, nor what only writing needs (WRITING_ONLY).  Checked in a fresh
    interpreter, as the `site-builder` command runs."""
    import subprocess
    import sys

    site = Site(tmp_path / "site", random.Random(3))
    for _ in range(4):
        site.add()
    code = ("import sys; from site_builder.cli import main; code = main(['build', '--config', sys.argv[1]]); "
            "print(code, *sorted(m for m in ('markdown', 'icalendar', 'nh3') if m in sys.modules), '|', "
            f"*sorted(m for m in {WRITING_ONLY!r} if m in sys.modules))")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1795000000"}
    runs = [subprocess.run([sys.executable, "-c", code, str(site.root / "config.yaml")], env=env, text=True,
                           capture_output=True, cwd=Path(__file__).parent.parent) for _ in range(2)]
    first, second = (run.stdout.splitlines()[-1].split() for run in runs)
    assert first[:first.index("|")] == ["0", "icalendar", "markdown", "nh3"], runs[0].stderr  # the cold build makes everything
    assert second == ["0", "|"], runs[1].stderr


def test_the_page_memo_of_an_output_folder_that_is_gone_is_dropped(tmp_path):
    site = Site(tmp_path / "site", random.Random(9))
    config = load_config(site.root / "config.yaml")
    build(config, NOW, output_dir=tmp_path / "one")
    build(config, NOW, output_dir=tmp_path / "two")

    def slots() -> set[str]:
        db = sqlite3.connect(site.root / ".cache/build.sqlite")
        try:
            return {key for (key,) in db.execute("SELECT key FROM entries WHERE ns = 'pages'")}
        finally:
            db.close()

    assert slots() == {f"pages:{tmp_path / 'one'}", f"pages:{tmp_path / 'two'}"}
    import shutil

    shutil.rmtree(tmp_path / "one")
    build(config, NOW, output_dir=tmp_path / "two")
    assert slots() == {f"pages:{tmp_path / 'two'}"}


def test_the_cache_knows_every_namespace_it_is_given(tmp_path):
    cache = BuildCache(tmp_path / ".cache").open()
    with pytest.raises(AssertionError):
        cache.put_many("page", {"a": 1})  # (misspelt: "pages")
    cache.close()
