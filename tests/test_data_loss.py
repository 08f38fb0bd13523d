"""Never delete what is not ours: the output folder may not overlap the site's inputs, and a
folder site-builder did not make is not replaced (issue 17, section 1).

Each case builds a copy of the sample site the way the break-it pass did (twice or more, with
an edit between), then checks that every file the user had is still there, byte for byte.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from site_builder.files import remove_tree
from site_builder.writer import MARKER
from tests.conftest import REPO, tree_bytes
from tests.test_faults import env, run, small_tmpfs

REFUSED_TAIL = "; choose a folder of its own such as output/"


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    root = tmp_path / "S"
    root.mkdir()
    shutil.copy(REPO / "config.yaml", root / "config.yaml")
    for folder in ("content", "templates", "static"):
        shutil.copytree(REPO / folder, root / folder)
    with open(root / "config.yaml", "a", encoding="utf-8") as config:
        config.write("search: false\n")  # (the index is not what is tested here; it costs seconds)
    return root


def sources(root: Path) -> dict[str, bytes]:
    """Everything the user wrote: config, content, templates, static."""
    found = {"config.yaml": (root / "config.yaml").read_bytes()}
    for folder in ("content", "templates", "static"):
        found.update({f"{folder}/{k}": v for k, v in tree_bytes(root / folder).items()})
    return found


def edit_a_post(root: Path) -> None:
    post = sorted((root / "content/posts").glob("*.md"))[0]
    post.write_text(post.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")


@pytest.mark.parametrize("inside, role", [
    ("content/posts", "content (the site's content)"),
    ("content", None),
    ("templates/partials", "templates (the site's templates)"),
    ("static/css", "static (the site's static files)"),
    ("static/public", "static (the site's static files)"),
    (".cache/site", ".cache (the build cache)"),
])
def test_an_output_inside_an_input_folder_is_refused_every_time(sample_copy, inside, role):
    root = sample_copy
    (root / "templates/partials").mkdir(exist_ok=True)
    (root / "templates/partials/note.txt").write_text("my partial\n")
    (root / "static/css").mkdir(exist_ok=True)
    (root / "static/css/mine.css").write_text("p{}\n")
    before = sources(root)
    target = (root / inside).resolve()
    for attempt in range(4):  # the break-it pass built four times; the damage grew each time
        done = run(root, "--output", str(target))
        assert done.returncode == 1, done.stdout
        assert "Traceback" not in done.stderr
        first = done.stderr.splitlines()[0]
        if role is None:  # output == content/
            folder = root / "content"
            assert first == (f"config.yaml:1: output_dir: {target} would replace {folder} (the site's content)"
                             + REFUSED_TAIL), first
        else:
            folder, what = role.split(" ", 1)
            assert first == (f"config.yaml:1: output_dir: {target} is inside {root / folder} {what}"
                             + REFUSED_TAIL), first
        assert sources(root) == before
        edit_a_post(root)
        before = sources(root)
    assert not list(root.rglob(".*.staging-*")) and not list(root.rglob(".*.prev"))


@pytest.mark.parametrize("where", ["site", "parent"])
def test_an_output_holding_the_site_is_refused(sample_copy, where):
    root = sample_copy
    target = root if where == "site" else root.parent
    before = sources(root)
    done = run(root, "--output", str(target))
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == f"config.yaml:1: output_dir: {target} would replace {root}" + REFUSED_TAIL
    assert sources(root) == before


def test_a_folder_of_ones_own_is_never_emptied(sample_copy, tmp_path):
    """`--output ~/`: a home folder with a thesis in it, built, edited, built again."""
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (home / "Documents/thesis.txt").write_text("Chapter 1\n")
    (home / ".bashrc").write_text("alias ll='ls -l'\n")
    before = tree_bytes(home)
    for _ in range(2):
        done = run(sample_copy, "--output", str(home))
        assert done.returncode == 1
        assert done.stderr.strip() == (
            f"error: {home} holds files that site-builder did not write (.bashrc, Documents), and a build "
            "replaces everything in its output folder. Choose a new or empty folder (output_dir in config.yaml, "
            "or --output), empty this one, or build with --force to replace what it holds.")
        assert tree_bytes(home) == before
        edit_a_post(sample_copy)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["S", "home"] or \
        not [p for p in tmp_path.iterdir() if p.name.startswith(".home.") and not p.name.endswith(".lock")]


def test_force_replaces_a_folder_site_builder_did_not_make(sample_copy, tmp_path):
    target = tmp_path / "public"
    target.mkdir()
    (target / "old.html").write_text("<p>an older site, made by hand</p>\n")
    assert run(sample_copy, "--output", str(target)).returncode == 1
    done = run(sample_copy, "--output", str(target), "--force")
    assert done.returncode == 0, done.stderr
    assert not (target / "old.html").exists() and (target / "index.html").is_file()
    assert run(sample_copy, "--output", str(target)).returncode == 0  # its own now: no --force needed


def test_every_build_marks_its_folder_and_only_a_marked_folder_is_replaced(sample_copy):
    output = sample_copy / "output"
    assert run(sample_copy).returncode == 0
    assert (output / MARKER).read_text().startswith("This folder is written by site-builder")
    edit_a_post(sample_copy)
    assert run(sample_copy).returncode == 0  # marked: rebuilt as usual
    (output / MARKER).unlink()
    (output / "_headers").write_text("/*\n  X-Frame-Options: DENY\n")  # a host file of one's own
    done = run(sample_copy)
    assert done.returncode == 1 and "holds files that site-builder did not write" in done.stderr
    assert (output / "index.html").is_file() and (output / "_headers").read_text().startswith("/*")


def test_a_folder_built_before_the_marker_existed_is_still_ours(sample_copy):
    """Sites built by earlier versions: their output/ has no marker, but has their _headers."""
    output = sample_copy / "output"
    assert run(sample_copy).returncode == 0
    (output / MARKER).unlink()
    headers = (output / "_headers").read_bytes()
    assert headers.startswith(b"# Read by Netlify and Cloudflare Pages (ignored by GitHub Pages). Written by")
    edit_a_post(sample_copy)
    done = run(sample_copy)
    assert done.returncode == 0, done.stderr
    assert (output / MARKER).is_file()


def test_github_pages_publish_from_docs(sample_copy):
    """docs/configuration.md: `output_dir: docs` for GitHub's "deploy from a branch, /docs"."""
    with open(sample_copy / "config.yaml", "a", encoding="utf-8") as config:
        config.write("output_dir: docs\n")
    docs = sample_copy / "docs"
    docs.mkdir()
    (docs / "minutes-2025.md").write_text("# Minutes\n")
    done = run(sample_copy)
    assert done.returncode == 1 and f"error: {docs} holds files that site-builder did not write" in done.stderr
    assert (docs / "minutes-2025.md").read_text() == "# Minutes\n"
    (docs / "minutes-2025.md").unlink()
    assert run(sample_copy).returncode == 0
    assert (docs / "index.html").is_file() and (docs / MARKER).is_file()
    edit_a_post(sample_copy)
    assert run(sample_copy).returncode == 0


# --- leftovers a failed build may leave ----------------------------------------------------
def _without_dac_override():
    """preexec: drop root's power to ignore file modes (as for a volunteer who is not root)."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and os.geteuid() == 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def test_a_stale_staging_folder_with_read_only_folders_is_removed(sample_copy):
    stale = sample_copy / ".output.staging-999999"
    (stale / "static/locked/deeper").mkdir(parents=True)
    (stale / "static/locked/deeper/file.pdf").write_bytes(b"%PDF")
    (stale / "static/locked/a.txt").write_text("a")
    for folder in (stale / "static/locked/deeper", stale / "static/locked", stale / "static"):
        folder.chmod(0o500)  # r-x: nothing in them can be deleted without changing the mode first
    probe = subprocess.run([sys.executable, "-c", "import os; os.rmdir(os.sys.argv[1])", str(stale / "static/locked/deeper")],
                           preexec_fn=_without_dac_override, capture_output=True, text=True)
    assert "Permission denied" in probe.stderr  # the child really cannot ignore the modes
    done = subprocess.run([sys.executable, "-m", "site_builder", "build", "--config", str(sample_copy / "config.yaml")],
                          env=env(), capture_output=True, text=True, cwd=REPO, timeout=120,
                          preexec_fn=_without_dac_override)
    assert done.returncode == 0, done.stderr
    assert not stale.exists()


def test_remove_tree_of_a_missing_or_odd_folder_does_not_raise(tmp_path):
    remove_tree(tmp_path / "missing")
    (tmp_path / "a").mkdir()
    (tmp_path / "a/link").symlink_to(tmp_path)  # a symlink inside is removed, never followed
    remove_tree(tmp_path / "a")
    assert not (tmp_path / "a").exists() and tmp_path.exists()


# --- the cache on a full disk ------------------------------------------------------------
def test_a_cache_that_cannot_be_written_is_a_warning_not_a_traceback(sample_copy):
    (sample_copy / ".cache").write_text("not a folder\n")  # mkdir .cache/ fails, and so would sqlite
    done = run(sample_copy)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    warning = [line for line in done.stderr.splitlines() if "build cache" in line]
    assert warning == [f"{sample_copy / '.cache/build.sqlite'}:1: cache: warning: {sample_copy / '.cache/build.sqlite'}: "
                       "could not write the build cache (File exists); building without it"], done.stderr
    assert (sample_copy / "output/index.html").is_file()


def test_a_full_disk_under_the_cache_gives_the_documented_message(tmp_path):
    disk = tmp_path / "disk"
    with small_tmpfs(disk, "3m") as mounted:
        if not mounted:
            pytest.fail("this test needs a tmpfs (root and mount): CI runs as root")
        root = disk / "S"
        root.mkdir()
        (root / "config.yaml").write_text("title: T\nbase_url: https://example.org/\nsearch: false\n")
        (root / "content/posts").mkdir(parents=True)
        (root / "content/posts/a.md").write_text("---\ntitle: A\ndate: 2026-01-05\n---\nNews.\n")
        assert run(root).returncode == 0
        before = tree_bytes(root / "output")
        (root / "content/posts/big.md").write_text(
            "---\ntitle: Big\ndate: 2026-01-07\n---\n\n" + ("Solidarity forever. " * 50 + "\n\n") * 200)
        try:  # fill the disk to the last block
            with open(disk / "filler", "wb") as filler:
                while True:
                    filler.write(b"\0" * 4096)
                    filler.flush()
        except OSError:
            pass
        done = run(root)
        assert done.returncode == 1, done.stdout
        assert "Traceback" not in done.stderr, done.stderr
        last = done.stderr.strip().splitlines()[-1]
        assert last.startswith("error: could not write output/"), done.stderr
        assert last.endswith("No space left on device; the previous site is unchanged"), last
        assert tree_bytes(root / "output") == before


# --- the writer's own folders, replaced by links (break-it pass) ---------------------------
@pytest.mark.parametrize("name", [".output.prev", ".output.staging-999999", ".output.old-999999"])
def test_a_link_in_place_of_the_writers_folders_is_never_followed(sample_copy, name):
    root = sample_copy
    assert run(root).returncode == 0
    (root / name).symlink_to("content")
    mode = (root).stat().st_mode
    before = sources(root)
    edit_a_post(root)
    before = sources(root)
    done = run(root)
    assert done.returncode == 0, done.stderr
    assert sources(root) == before  # not one post deleted or overwritten through the link
    assert root.stat().st_mode == mode  # and the site folder's mode untouched
    assert (root / "output").is_dir() and not (root / "output").is_symlink()
    assert (root / "output/index.html").is_file()
    edit_a_post(root)
    assert run(root).returncode == 0 and sources(root)["content/pages/about.md"]


def test_a_file_in_place_of_the_previous_build_is_no_false_failure(sample_copy):
    assert run(sample_copy).returncode == 0
    (sample_copy / "notes.txt").write_text("mine\n")
    (sample_copy / ".output.prev").symlink_to("notes.txt")
    edit_a_post(sample_copy)
    done = run(sample_copy)
    assert done.returncode == 0 and "error" not in done.stderr, done.stderr
    assert (sample_copy / "notes.txt").read_text() == "mine\n"


def test_a_forged_tree_record_is_no_hint(sample_copy):
    import marshal

    assert run(sample_copy).returncode == 0
    edit_a_post(sample_copy)
    assert run(sample_copy).returncode == 0  # now .output.prev and its record exist
    record = sample_copy / ".output.prev.files"
    tree, folders = marshal.loads(record.read_bytes()) if record.exists() else ((0, 0), {})
    st = (sample_copy / ".output.prev").stat()
    folders = {"": (st.st_mtime_ns, st.st_mtime_ns + 10**10, ("../content/pages/about.md",), (), (1,))}
    record.write_bytes(marshal.dumps(((st.st_dev, st.st_ino), folders)))
    before = sources(sample_copy)
    edit_a_post(sample_copy)
    before = sources(sample_copy)
    assert run(sample_copy).returncode == 0
    assert sources(sample_copy) == before
