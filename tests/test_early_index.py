"""The early index (build.plan, docs/architecture.md "Search"): on a cold build the pagefind binary
starts on the pages it indexes as soon as they are rendered and runs while the lists and feeds are
rendered; its bundle is taken only when the pages to index are exactly the ones it started with."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone

import pytest

from site_builder import build as build_module
from site_builder import search as search_module
from site_builder.build import build, plan
from site_builder.config import load_config
from site_builder.errors import BuildFailed
from site_builder.search import search_outputs
from tests.conftest import write_site

NOW = datetime(2026, 11, 18, tzinfo=timezone.utc)
POSTS = {
    "config.yaml": "title: S\nbase_url: https://example.org/\n",
    "content/posts/a.md": "---\ntitle: Alpha\ndate: 2026-01-01\ntags: [Picket]\n---\nPicket at the clinic.\n",
    "content/posts/b.md": "---\ntitle: Beta\ndate: 2026-01-02\ntags: [Picket]\n---\nRally downtown.\n",
}


@pytest.fixture
def work(tmp_path, monkeypatch):
    """The system's temporary folder for the runs (not /dev/shm): what is left in it is checked."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(search_module.tempfile, "tempdir", str(folder))
    return folder


def _runs(monkeypatch) -> list[int]:
    """Counts the runs of the search step's own (late) path."""
    runs: list[int] = []
    real = build_module.search_outputs
    monkeypatch.setattr(build_module, "search_outputs", lambda *a: runs.append(1) or real(*a))
    return runs


def _bundle(out) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / "pagefind").rglob("*") if p.is_file()}


def _count(out) -> int:
    entry = json.loads((out / "pagefind/pagefind-entry.json").read_bytes())
    return entry["languages"]["en"]["page_count"]


def test_a_cold_build_takes_the_early_bundle_which_is_the_late_one(tmp_path, monkeypatch, work):
    root = write_site(tmp_path / "site", POSTS)
    config = load_config(root / "config.yaml")
    runs = _runs(monkeypatch)
    build(config, NOW)
    assert runs == []  # the early run's bundle was taken
    out = config.output_path
    pages = plan(config, NOW).outputs  # (no cache, no output folder: the same pages)
    assert _bundle(out) == {o.path: o.data for o in search_outputs(config, pages)}
    assert _count(out) == 2
    assert list(work.iterdir()) == []


def test_other_pages_to_index_run_the_binary_again(tmp_path, monkeypatch, work):
    """A theme override that marks a list page for search: the early run (started without it) is
    stopped and the search step indexes every marked page."""
    root = write_site(tmp_path / "site", {**POSTS, "templates/tags.html": (
        "{% extends 'base.html' %}{% block main %}<div data-pagefind-body><h1>Every topic</h1>"
        "{% for tag in tags %}<p>{{ tag.name }}</p>{% endfor %}</div>{% endblock %}")})
    config = load_config(root / "config.yaml")
    runs = _runs(monkeypatch)
    build(config, NOW)
    assert runs == [1]
    assert _count(config.output_path) == 3
    assert list(work.iterdir()) == []


def test_a_cached_index_stops_the_early_run(tmp_path, monkeypatch, work):
    """output/ deleted, .cache kept (a host's cached build): every page is rendered again and the
    early run starts, but the index is in the cache; the run is stopped, its folder removed."""
    root = write_site(tmp_path / "site", POSTS)
    config = load_config(root / "config.yaml")
    build(config, NOW)
    before = _bundle(config.output_path)
    shutil.rmtree(config.output_path)
    started = []
    real = search_module.Indexing.__init__
    monkeypatch.setattr(search_module.Indexing, "__init__", lambda self, *a, **k: started.append(1) or real(self, *a, **k))
    runs = _runs(monkeypatch)
    build(config, NOW)
    assert started == [1] and runs == []
    assert _bundle(config.output_path) == before
    assert list(work.iterdir()) == []


def test_a_build_failing_after_the_early_start_leaves_no_run_behind(tmp_path, monkeypatch, work):
    root = write_site(tmp_path / "site", POSTS)
    config = load_config(root / "config.yaml")
    runs: list = []
    real = search_module.Indexing.__init__

    def remember(self, *a, **k):
        real(self, *a, **k)
        runs.append(self)

    def feeds_fail(*a, **k):
        assert len(runs) == 1  # (the run was started before the feeds)
        raise BuildFailed([])

    monkeypatch.setattr(search_module.Indexing, "__init__", remember)
    monkeypatch.setattr(build_module, "_feeds", feeds_fail)
    with pytest.raises(BuildFailed):
        build(config, NOW)
    assert len(runs) == 1 and runs[0].proc.poll() is not None  # stopped (or done), and waited for
    assert list(work.iterdir()) == []
    assert not config.output_path.exists()


def test_serve_never_starts_an_early_run(tmp_path, monkeypatch, work):
    from site_builder.build import BuildOptions

    root = write_site(tmp_path / "site", POSTS)
    config = load_config(root / "config.yaml")
    started = []
    real = search_module.Indexing.__init__
    monkeypatch.setattr(search_module.Indexing, "__init__", lambda self, *a, **k: started.append(1) or real(self, *a, **k))
    build(config, NOW, BuildOptions(stale_search_ok=True), atomic=False)
    assert started == [1]  # (no index to show yet: the search step's own run, not an early one)
    runs = _runs(monkeypatch)
    (root / "content/posts/b.md").write_text("---\ntitle: Beta\ndate: 2026-01-02\n---\nRally uptown.\n")
    build(config, NOW, BuildOptions(stale_search_ok=True), atomic=False)
    assert started == [1] and runs == []


def test_a_site_in_several_languages_starts_one_early_run_over_every_language(tmp_path, monkeypatch, work):
    """The searchable pages of every language are rendered before any language's lists
    (render.SitePages), and one run indexes them all: its bundle is the late one's."""
    root = write_site(tmp_path / "site", {
        **POSTS,
        "config.yaml": "title: S\nbase_url: https://example.org/\nlanguages:\n  en: {name: English}\n"
                       "  es: {name: Español}\n",
        "content/posts/a.es.md": "---\ntitle: Alfa\ndate: 2026-01-01\ntags: [Picket]\n---\nPiquete en la clínica.\n"})
    config = load_config(root / "config.yaml")
    started: list = []
    real = search_module.Indexing.__init__

    def remember(self, pages, *a, **k):
        started.append(sorted(path for path, _ in pages))
        real(self, pages, *a, **k)

    monkeypatch.setattr(search_module.Indexing, "__init__", remember)
    runs = _runs(monkeypatch)
    build(config, NOW)
    assert runs == [] and len(started) == 1
    assert started[0] == ["es/news/a/index.html", "news/a/index.html", "news/b/index.html"]
    entry = json.loads((config.output_path / "pagefind/pagefind-entry.json").read_bytes())
    assert set(entry["languages"]) == {"en", "es"}
    pages = plan(config, NOW).outputs
    assert _bundle(config.output_path) == {o.path: o.data for o in search_outputs(config, pages)}
    assert list(work.iterdir()) == []
