"""The record of a folder tree: what it holds, so a build need not walk thousands of folders.

The writer keeps one for output/ and one for the tree of the build before last (docs/architecture.md,
"The writer"); both are only hints, checked against each folder's mtime.
"""

from __future__ import annotations

import marshal
import os
import time
from dataclasses import dataclass
from pathlib import Path

from site_builder.clock import settled
from site_builder.files import is_plain_path, replace_atomically


@dataclass
class TreeRecord:
    """What a folder tree holds, so a build need not walk thousands of folders to know it.

    For every folder: its mtime, when it was listed, its files (with their inode numbers, which
    listing a folder gives for free) and its sub-folders.  A folder's
    mtime changes whenever an entry is added, removed or renamed in it, so a folder whose mtime
    is still the recorded one holds the recorded entries, unless the change came so soon after
    the listing that the filesystem's clock did not tick ("racy", as in git's index): such a
    folder is listed again.  The record is therefore exact, whatever else touched the tree."""

    tree: tuple[int, int]  # (st_dev, st_ino) of the tree's root
    # rel → (mtime, listed_at, file names, sub-folder names, the files' inode numbers)
    folders: dict[str, tuple[int, int, tuple[str, ...], tuple[str, ...], tuple[int, ...]]]

    def files(self) -> set[str]:
        return {f"{folder}/{name}" if folder else name for folder, entry in self.folders.items() for name in entry[2]}

    def inodes(self) -> dict[str, int]:
        """path → inode number of every file: a file whose folder is unchanged since it was
        listed is still that inode (replacing or renaming a file changes its folder's mtime)."""
        return {f"{folder}/{name}" if folder else name: ino
                for folder, entry in self.folders.items() for name, ino in zip(entry[2], entry[4])}


def scan_tree(root: Path, hint: TreeRecord | None = None) -> TreeRecord:
    """The files under `root` (symlinked folders count as files, never followed), listing only
    the folders that `hint` (an earlier record of this tree) cannot vouch for."""
    try:
        st = os.stat(root)
    except FileNotFoundError:
        return TreeRecord((0, 0), {})
    tree = (st.st_dev, st.st_ino)
    known = hint.folders if hint is not None and hint.tree == tree else {}
    folders: dict[str, tuple[int, int, tuple[str, ...], tuple[str, ...], tuple[int, ...]]] = {}
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        path = os.path.join(root, rel_dir) if rel_dir else str(root)
        try:
            mtime = os.stat(path).st_mtime_ns
        except FileNotFoundError:
            continue
        entry = known.get(rel_dir)
        if entry is None or entry[0] != mtime or not settled(mtime, entry[1]):  # changed, or may have
            listed_at = time.time_ns()
            files, subs = [], []
            with os.scandir(path) as entries:
                for item in entries:
                    if item.is_dir(follow_symlinks=False):
                        subs.append(item.name)
                    else:
                        files.append((item.name, item.inode()))
            files.sort()
            entry = (mtime, listed_at, tuple(name for name, _ in files), tuple(sorted(subs)),
                     tuple(ino for _, ino in files))
        folders[rel_dir] = entry
        stack.extend(f"{rel_dir}/{name}" if rel_dir else name for name in entry[3])
    return TreeRecord(tree, folders)


def load_record(path: Path) -> TreeRecord | None:
    """A record saved by save_record, or None when missing or unreadable (then the tree is walked).
    (marshal: ten times faster to load than JSON for this shape; the file is only a hint.)"""
    try:
        tree, folders = marshal.loads(path.read_bytes())
        if not (isinstance(tree, tuple) and isinstance(folders, dict)):
            return None
        if not all(isinstance(v, tuple) and len(v) == 5 for v in folders.values()):
            return None
        for folder, (_, _, files, subs, _) in folders.items():  # a damaged or forged record is no hint
            if folder and not is_plain_path(folder):
                return None
            if not all(isinstance(n, str) and n and "/" not in n and n not in (".", "..") for n in (*files, *subs)):
                return None
        return TreeRecord(tree, folders)
    except (OSError, ValueError, EOFError, TypeError):
        return None


def save_record(path: Path, record: TreeRecord) -> None:
    replace_atomically(path, lambda temporary: temporary.write_bytes(marshal.dumps((tuple(record.tree), record.folders))))

