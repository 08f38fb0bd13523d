"""The file primitives the writer, its tree record and serve share: which paths are plain, the one
way a file replaces another (made under a temporary name beside it, then renamed over it),
removing a tree of ours without following links, and whether a fixed name of the site is a link
out of it."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from pathlib import Path
from typing import Callable

_RESERVED_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def is_plain_path(path: str) -> bool:
    """A relative path inside output/: no "..", ".", empty parts, backslashes, NULs or device names."""
    parts = path.split("/")
    return not (
        not path
        or "\x00" in path
        or "\\" in path
        or any(part in ("..", ".", "") for part in parts)  # also refuses "/abs" and "a//b"
        or any(part.split(".")[0].lower() in _RESERVED_NAMES for part in parts)
    )


def outside_link(path: Path, root: Path, what: str = "file") -> str | None:
    """`is a link to a file outside the site` when `path`, a file or folder of the site `root`,
    leads outside it through a symbolic link (its own, or a linked folder's on the way); None when
    it stays inside (or is missing).  One rule for contracts.yaml, the catalogs, the cache folder and
    the newsletter's memory, which are read or written by a fixed name: each caller adds its remedy."""
    try:
        if path.resolve().is_relative_to(root.resolve()):
            return None
    except (OSError, RuntimeError):  # a loop of links: reading the file says so
        return None
    return f"is a link to a {what} outside the site"


def replace_atomically(target: Path | str, make: Callable[[Path], object], fresh: bool = False) -> None:
    """Make `target` by `make(path)`: under a temporary name beside it, then renamed over it, so no
    name ever holds a half-written file.  `fresh`: the target is missing and its folder is not
    read by anyone yet (a staging tree), so it is made in place, with no rename."""
    target = Path(target)
    if fresh and not os.path.lexists(target):
        make(target)
        return
    temporary = target.parent / f".{target.name}.new-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    try:
        make(temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def real_dir(path: Path | str) -> bool:
    """A folder itself, not a symlink to one (a link named like our staging or previous-build
    folder must never be renamed, descended into or emptied: it points at someone's files)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def remove_tree(path: Path | str) -> None:
    """Delete a folder of ours (a staging or previous-build tree) whatever it holds, read-only
    sub-folders included (a static/ folder copied with its modes, a failed build): each folder
    is made writable before it is emptied.  A symlink or file in its place is unlinked, never
    followed.  Never raises; what cannot be removed stays."""
    root = os.path.abspath(path)
    if not real_dir(root):
        with contextlib.suppress(OSError):
            if os.path.lexists(root):
                os.unlink(root)
        return

    def unlock(func, name, exc_info) -> None:
        if not os.path.abspath(name).startswith(root + os.sep):
            return  # the tree's own root: its parent is not ours to change
        try:
            os.chmod(os.path.dirname(name), 0o700)
            if func is not os.unlink and os.path.isdir(name) and not os.path.islink(name):
                os.chmod(name, 0o700)
                remove_tree(name)
            else:
                func(name)
        except OSError:
            pass

    shutil.rmtree(root, onerror=unlock)
