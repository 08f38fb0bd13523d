"""The writer's record of output/ (writer.TreeRecord) must always equal a walk of the tree.

The record lets a build skip listing thousands of folders; it may only do so for folders whose
mtime says nothing changed.  These tests change a tree behind the record's back in every way a
person or tool could (add, delete, rename files and folders, deep and shallow) and compare.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

from site_builder.tree_record import TreeRecord, load_record, save_record, scan_tree

OLD_NS = 1_600_000_000 * 10**9  # 2020: long before any listing made by these tests


def entries(root: Path) -> tuple[list[Path], list[Path]]:
    """(folders, files) under root by os.walk, which does not follow symlinked folders."""
    folders, files = [], []
    for folder, dirs, names in os.walk(root):
        folders += [Path(folder, d) for d in dirs if not os.path.islink(os.path.join(folder, d))]
        files += [Path(folder, n) for n in names] + [Path(folder, d) for d in dirs if os.path.islink(os.path.join(folder, d))]
    return folders, files


def walk(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in entries(root)[1]}


def make_tree(root: Path, n: int = 30) -> None:
    for i in range(n):
        path = root / f"news/post-{i}/index.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"post {i}")
    (root / "index.html").write_text("home")


def backdate(root: Path) -> None:
    """Make every folder look long unchanged, as a site built yesterday does."""
    for folder in [root, *entries(root)[0]]:
        os.utime(folder, ns=(OLD_NS, OLD_NS))


def listed(before: TreeRecord, after: TreeRecord) -> set[str]:
    """Folders the second scan listed again rather than taking from the record."""
    return {k for k, v in after.folders.items() if k not in before.folders or before.folders[k][1] != v[1]}


def test_unchanged_folders_are_not_listed_and_changes_anywhere_are_seen(tmp_path):
    root = tmp_path / "out"
    make_tree(root)
    backdate(root)
    record = scan_tree(root)
    assert record.files() == walk(root)
    again = scan_tree(root, record)
    assert listed(record, again) == set() and again.files() == walk(root)

    (root / "news/post-7/stray.txt").write_text("added by hand")  # deep: only its folder changes
    third = scan_tree(root, again)
    assert third.files() == walk(root)
    assert "news/post-7/stray.txt" in third.files()
    assert listed(again, third) == {"news/post-7"}


def test_random_changes_behind_the_records_back(tmp_path):
    rng = random.Random(5)
    root = tmp_path / "out"
    make_tree(root, 12)
    (tmp_path / "elsewhere/inner").mkdir(parents=True)
    backdate(root)
    record = scan_tree(root)
    for step in range(150):
        folders, files = entries(root)
        op = rng.choice(["add", "add_deep", "delete", "rename_file", "rename_folder", "remove_folder", "symlink"])
        if op == "add":
            (rng.choice(folders + [root]) / f"f{step}.html").write_text("x")
        elif op == "add_deep":
            deep = rng.choice(folders + [root]) / f"d{step}" / "e"
            deep.mkdir(parents=True)
            (deep / "index.html").write_text("x")
        elif op == "delete" and files:
            rng.choice(files).unlink()
        elif op == "rename_file" and files:
            source = rng.choice(files)
            source.rename(rng.choice(folders + [root]) / f"moved{step}")
        elif op == "rename_folder" and folders:
            source = rng.choice(folders)
            target = root / f"m{step}"
            source.rename(target)
        elif op == "remove_folder" and folders:
            shutil.rmtree(rng.choice(folders))
        elif op == "symlink":
            (rng.choice(folders + [root]) / f"link{step}").symlink_to(tmp_path / "elsewhere")  # a symlinked folder is a file, never followed
        record = scan_tree(root, record)
        assert record.files() == walk(root), (step, op)
        save_record(tmp_path / "record.json", record)
        record = load_record(tmp_path / "record.json")


def test_a_record_of_another_tree_is_not_trusted(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    make_tree(a, 3)
    make_tree(b, 5)
    backdate(a)
    backdate(b)  # same mtimes everywhere: only the tree's identity tells them apart
    record_a = scan_tree(a)
    assert scan_tree(b, record_a).files() == walk(b)


def test_a_damaged_record_means_a_walk(tmp_path):
    root = tmp_path / "out"
    make_tree(root, 3)
    path = tmp_path / "record.json"
    path.write_bytes(b"\xe3\x02\x00")
    assert load_record(path) is None
    assert scan_tree(root, load_record(path)).files() == walk(root)
