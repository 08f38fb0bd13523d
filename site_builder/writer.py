"""Owns output/: builds the new site in a staging folder beside it and swaps it in whole.

- A path that is duplicated, absolute, or escapes the output root is refused before anything is written.
- One strategy per build (_write_site picks it): nothing to write (`_nothing_to_write`); serve's
  private preview updated in place (`_update_in_place`); or a staging folder made from the build
  before's tree (`_from_previous_tree`, double buffering), from the pages a cold build wrote
  while it rendered (`_from_early_files`, EarlyWriter) or new (`_new_tree`), then the one `_swap`.
- A file whose bytes did not change is hard-linked from the previous output, so it keeps its
  mtime (rsync and CDNs see no change) and costs no write.
- The swap is one atomic renameat2(RENAME_EXCHANGE) on Linux (two renames elsewhere): a build
  that fails or is killed at any point leaves the previous output/ whole.
- One build at a time per output folder (an flock on a lock file beside it).  The writer's own
  paths beside output/ are all in `Sidecars`.
- Only a folder that site-builder made is replaced: every build writes a marker file
  (MARKER) into it, and a non-empty folder without one is refused unless forced (claim_output).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator, Sequence

from site_builder.errors import Problem, SiteError
from site_builder.files import is_plain_path, real_dir, remove_tree, replace_atomically
from site_builder.models import Output
from site_builder.tree_record import TreeRecord, load_record, save_record, scan_tree

# ctypes (renameat2) and concurrent.futures (writing threads) are imported where they are
# used: a build with nothing to write never needs them.


class WriteError(SiteError):
    pass


# Every build writes this file into output/: it is how a later build knows the folder is its own.
MARKER = ".site-builder"
MARKER_TEXT = (b"This folder is written by site-builder: every build replaces all of its files.\n"
               b"Keep nothing else in it: files that are not part of the site are removed.\n")
MARKER_SIGNATURE = MARKER_TEXT[:40]  # how every marker starts ("This folder is written by site-builder: ")
# Builds before the marker existed always wrote _headers starting with this line.
_LEGACY_SIGNATURE = b"# Read by Netlify and Cloudflare Pages (ignored by GitHub Pages). Written by site-builder build."


def _is_ours(output_dir: Path, entries: list[str]) -> bool:
    for name, signature in ((MARKER, MARKER_SIGNATURE), ("_headers", _LEGACY_SIGNATURE)):
        if name in entries:
            try:
                with open(os.path.join(output_dir, name), "rb") as handle:
                    if handle.read(len(signature)) == signature:
                        return True
            except OSError:
                pass
    return False


def not_ours(folder: Path) -> str | None:
    """None when `folder` is missing, empty or carries the MARKER site-builder writes into the
    folders it makes; else "FOLDER holds files that site-builder did not write (a, b, …)", to
    start the refusal of whoever would write there (the build, the newsletter)."""
    try:
        entries = os.listdir(folder)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise WriteError(f"{folder}: exists and is not a folder") from None
    except OSError as exc:
        raise _write_failed(exc, Path(folder)) from None
    if not entries or _is_ours(Path(folder), entries):
        return None
    shown = ", ".join(sorted(entries)[:3]) + (", …" if len(entries) > 3 else "")
    return f"{folder} holds files that site-builder did not write ({shown})"


def claim_output(output_dir: Path, force: bool = False) -> None:
    """Refuse to replace a folder that holds files site-builder did not write.

    A build replaces everything in its output folder; pointed at a folder of someone's own
    (a home folder, docs/ with hand-written pages) it would move those files aside and delete
    them a build later.  So the folder must be missing, empty, or carry the MARKER an earlier
    build wrote; `force` (the --force flag) says its contents may go."""
    if (said := not_ours(Path(output_dir))) and not force:
        raise WriteError(
            f"{said}, and a build replaces everything in its output folder. Choose a new or empty folder "
            f"(output_dir in config.yaml, or --output), empty this one, or build with --force to replace what it holds."
        )


@dataclass(frozen=True)
class WriteReport:
    written: int
    unchanged: int
    removed: int
    changed: tuple[str, ...] | None = None  # in-place updates: the paths written or removed

def check_paths(outputs: Sequence[Output]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for out in outputs:
        path = out.path
        if not is_plain_path(path):
            problems.append(Problem(out.path, 1, "path", "refused: the output path is not a plain path inside output/"))
        elif path in seen:
            problems.append(Problem(out.path, 1, "path", "two outputs would be written to this path"))
        seen.add(path)
    return problems


def _shown(output_dir: Path, filename: object = None, staging: Path | None = None) -> str:
    """`output/news/x/index.html` for a file of the output (or of its staging folder)."""
    name = Path(output_dir).name
    if not filename:
        return f"{name}/"
    path = Path(str(filename) if not isinstance(filename, bytes) else os.fsdecode(filename))
    for base in (staging, Path(output_dir)):
        if base is not None and path.is_relative_to(base):
            return f"{name}/{path.relative_to(base).as_posix()}"
    try:
        return path.relative_to(Path(output_dir).parent).as_posix()
    except ValueError:
        return str(path)


def _write_failed(exc: OSError, output_dir: Path, staging: Path | None = None) -> WriteError:
    reason = exc.strerror or str(exc)
    return WriteError(
        f"could not write {_shown(output_dir, exc.filename, staging)}: {reason}; the previous site is unchanged"
    )


@contextlib.contextmanager
def build_lock(output_dir: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    lock_path = Sidecars(output_dir).lock
    try:
        output_dir.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+b")
    except OSError as exc:
        if not lock_path.is_file():
            raise _write_failed(exc, output_dir) from None
        try:  # a read-only folder: a lock can still be taken on the existing file
            handle = open(lock_path, "rb")
        except OSError:
            raise _write_failed(exc, output_dir) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            if on_wait:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _same_bytes(old: Path, data: bytes) -> bool:
    try:
        if old.stat().st_size != len(data):
            return False
        return old.read_bytes() == data
    except OSError:
        return False


def _same_file(old: Path, source: Path) -> bool:
    try:
        a, b = old.stat(), source.stat()
    except OSError:
        return False
    return a.st_size == b.st_size and old.read_bytes() == source.read_bytes()


def _is_same(out: Output, output_dir: Path) -> bool:
    """Does output/ already hold exactly these bytes at this path?"""
    if out.unchanged:
        return out.source == os.path.join(output_dir, out.path)
    old = output_dir / out.path
    if out.source:
        return _same_file(old, Path(out.source))
    return _same_bytes(old, out.data or b"")


def _place(out: Output, is_same: bool, staging: Path, output_dir: Path) -> bool:
    """Make staging/<path> hold this output; True when bytes were written, False when linked.

    The staging folder may be the tree of the build before last (double buffering): a file
    there that already is the live file (same inode) is left alone; anything else is replaced
    by a rename, so no name ever holds a half-written file."""
    target = os.path.join(staging, out.path)
    old = os.path.join(output_dir, out.path)
    if is_same:
        try:
            if os.path.samestat(os.stat(target), os.stat(old)):
                return False
        except OSError:
            pass
        try:
            replace_atomically(target, lambda tmp: os.link(old, tmp), fresh=True)
            return False
        except OSError:
            pass
    if out.unchanged:
        raise WriteError(f"{out.path}: the output file to keep has disappeared during the build")
    try:
        if out.source:
            replace_atomically(target, lambda tmp: shutil.copyfile(out.source, tmp), fresh=True)
        else:
            replace_atomically(target, lambda tmp: tmp.write_bytes(out.data or b""), fresh=True)
    except OSError as exc:  # name the file being written, not the source it was copied from
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where unsupported."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    res = renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    return res == 0




def staging_path(output_dir: Path) -> Path:
    return output_dir.parent / f".{output_dir.name}.staging-{os.getpid()}"


class EarlyWriter:
    """The writer's end of the cold-build path (docs/architecture.md): the post pages the
    Markdown workers render (render.PagesInWorkers) come back batch by batch through
    markup.render_then → build.plan → `pages_ready`, and are written into the staging folder by
    a few threads while the build still renders, so the disk works while the CPUs render
    (≈0.35 s of a 7–9 s cold build of 1,000 posts, median of ten paired runs: docs/performance.md).
    The same pages reach render.Renderer as `prerendered`, so each is made once.

    Only when output/ does not exist yet (a first build, a CI or host build from a clean
    checkout): every file is then new and the staging folder starts empty, so nothing needs
    comparing with a previous site.  write_site() takes the early files that are exactly the
    final ones and writes the rest; `close()` (always called) waits for the threads and removes
    a staging folder that was not swapped in, so a failed build leaves nothing behind."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = Path(output_dir)
        self.staging = staging_path(self.output_dir)
        self.active = not os.path.lexists(self.output_dir)
        self.placed: dict[str, bytes] = {}
        self._futures: list = []
        self._pool: ThreadPoolExecutor | None = None
        self._made = False  # the staging folder was created (close() removes it)

    def pages_ready(self, pages: dict[str, bytes]) -> None:
        if not self.active or not pages:
            return
        if self._pool is None:
            try:
                self.output_dir.parent.mkdir(parents=True, exist_ok=True)
                _remove_stale_staging(self.output_dir)
                self._made = True  # (before mkdir: an interrupt right after it still cleans up)
                self.staging.mkdir()
            except OSError:  # (a read-only folder...): no head start; write_site reports the problem
                self.active = False
                return
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="site-builder-early-write")
        for path, data in pages.items():
            if is_plain_path(path) and path not in self.placed:  # (a bad path is refused later, by name)
                self.placed[path] = data
                self._futures.append(self._pool.submit(self._write, path, data))

    def _write(self, path: str, data: bytes) -> None:
        target = os.path.join(self.staging, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "xb") as handle:
            handle.write(data)

    def finish(self) -> dict[str, bytes]:
        """Wait for the early writes; path → bytes of the files now in the staging folder.
        Raises the first OSError (a full disk...), which write_site reports like its own."""
        for future in self._futures:
            future.result()
        return self.placed

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._made:
            remove_tree(self.staging)  # (gone already once swapped in)


def _remove_stale_staging(output_dir: Path, keep: Path | None = None) -> None:
    """Staging folders left by builds that were killed (their process is gone: we hold the lock)."""
    for stale in output_dir.parent.glob(f".{output_dir.name}.staging-*"):
        if stale != keep:
            remove_tree(stale)


def write_site(outputs: Sequence[Output], output_dir: Path, atomic: bool = True,
               early: EarlyWriter | None = None, force: bool = False) -> WriteReport:
    """Write `outputs` as the complete new content of `output_dir`.

    `atomic=False` (serve's private preview folder only) updates changed files in place
    instead of staging and swapping the whole folder: much faster for large sites.

    Any OSError (full disk, read-only folder, file too large…) becomes a WriteError naming the
    file and the reason; output/ is then exactly what it was before.  A folder that site-builder
    did not make is not replaced unless `force` (claim_output).
    """
    problems = check_paths(outputs)
    if problems:
        raise WriteError("\n".join(str(p) for p in problems))
    output_dir = Path(output_dir)
    claim_output(output_dir, force)
    staging = staging_path(output_dir)
    try:
        return _write_site(outputs, output_dir, atomic, early)
    except OSError as exc:
        raise _write_failed(exc, output_dir, staging) from None


THREADED_WRITES = 64  # more files than this to write: use a few threads


def _remove_empty_dirs(root: Path, removed_files: set[str]) -> set[str]:
    """After deleting files, delete the folders they leave empty (never `root` itself);
    returns the folders deleted, relative to root."""
    gone: set[str] = set()
    for path in sorted({str(PurePosixPath(p).parent) for p in removed_files}, key=len, reverse=True):
        folder = root / path
        while folder != root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            gone.add(folder.relative_to(root).as_posix())
            folder = folder.parent
    return gone


def _update_in_place(outputs: Sequence[Output], same: list[bool], output_dir: Path, existing: set[str]) -> WriteReport:
    """Serve's fast path: replace only the changed files (each atomically, by rename) and delete
    the removed ones.  The folder as a whole is not swapped, so it is only for a private preview."""
    written = []
    for out, is_same in zip(outputs, same):
        if is_same:
            continue
        replace_in(output_dir, out.path, out.data or b"", out.source)
        written.append(out.path)
    gone = existing - {o.path for o in outputs}
    for path in sorted(gone, reverse=True):
        (output_dir / path).unlink(missing_ok=True)
    _remove_empty_dirs(output_dir, gone)
    return WriteReport(written=len(written), unchanged=len(outputs) - len(written), removed=len(gone),
                       changed=tuple(written) + tuple(sorted(gone)))


def replace_in(output_dir: Path, path: str, data: bytes = b"", source: str | None = None) -> None:
    """Put one file in place in a live folder (serve's preview): made beside it, then renamed over it."""
    target = output_dir / path
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(target, (lambda tmp: shutil.copyfile(source, tmp)) if source else (lambda tmp: tmp.write_bytes(data)))


def _save_quietly(path: Path, record: TreeRecord, loaded: TreeRecord | None) -> None:
    """The records only save time: one that cannot be written (read-only folder) is skipped."""
    if record != loaded:
        try:
            save_record(path, record)
        except OSError:
            pass


@dataclass(frozen=True)
class Sidecars:
    """The writer's own paths beside output/, each named after it (`.output.*` for `output/`)."""

    output: Path

    def _beside(self, suffix: str) -> Path:
        return self.output.parent / f".{self.output.name}.{suffix}"

    @property
    def lock(self) -> Path:  # one build at a time (build_lock)
        return self._beside("lock")

    @property
    def staging(self) -> Path:  # the new site, until it is swapped in
        return staging_path(self.output)

    @property
    def record(self) -> Path:  # the tree record of output/
        return self._beside("files")

    @property
    def previous(self) -> Path:  # the build before's tree: the next staging folder (double buffering)
        return self._beside("prev")

    @property
    def previous_record(self) -> Path:  # its tree record
        return self._beside("prev.files")

    @property
    def old(self) -> Path:  # where output/ goes for a moment where renameat2 is missing
        return self._beside(f"old-{os.getpid()}")


@dataclass
class _Staged:
    """A staging folder made ready by one of the swap strategies: the folders it has, which
    outputs are in it already (`kept`) and whether those were linked from output/ or written
    early, and its tree record when it has one."""

    folders: set[str]
    kept: list[bool]
    early: bool = False
    record: TreeRecord | None = None


def _write_site(outputs: Sequence[Output], output_dir: Path, atomic: bool = True,
                early: EarlyWriter | None = None) -> WriteReport:
    """Pick one strategy: nothing to write; update in place (serve); or make a staging folder (from
    the build before's tree, from the files written early, or new) and swap it in (_swap)."""
    side = Sidecars(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    placed = early.finish() if early is not None else {}  # (its threads are done after this)
    if output_dir.exists():
        placed = {}  # output/ appeared meanwhile (made by hand): the early files go with the stale staging
    _remove_stale_staging(output_dir, keep=side.staging if placed else None)
    loaded = load_record(side.record)
    live = scan_tree(output_dir, loaded)
    existing = live.files()
    same = [_is_same(out, output_dir) for out in outputs]
    desired = {o.path for o in outputs}
    if all(same) and existing == desired:
        return _nothing_to_write(outputs, side, live, loaded)
    if not atomic and output_dir.is_dir():
        report = _update_in_place(outputs, same, output_dir, existing)
        # The record from before the update stays exact: every folder the update touched has a
        # new mtime, so it is listed again next time; the thousands it did not touch are not.
        _save_quietly(side.record, live, loaded)
        return report
    if real_dir(side.previous) and output_dir.is_dir():
        staged = _from_previous_tree(outputs, desired, same, side, live)
    else:
        remove_tree(side.previous)
        staged = _from_early_files(outputs, desired, side.staging, placed) if placed else _new_tree(outputs, side.staging)
    return _swap(outputs, same, staged, side, live, removed=len(existing - desired))


def _nothing_to_write(outputs: Sequence[Output], side: Sidecars, live: TreeRecord,
                      loaded: TreeRecord | None) -> WriteReport:
    """output/ already holds exactly these files: nothing is written."""
    os.utime(side.output)  # files untouched; the folder's mtime still records "built now" (deploy reads it)
    _save_quietly(side.record, live, loaded)  # (the root's new mtime is listed again next time: one scandir)
    return WriteReport(written=0, unchanged=len(outputs), removed=0, changed=())


def _from_previous_tree(outputs: Sequence[Output], desired: set[str], same: list[bool], side: Sidecars,
                        live: TreeRecord) -> _Staged:
    """Double buffering: bring the build-before-last's tree up to date instead of making a whole
    new tree (thousands of mkdirs and links) and deleting the old one afterwards."""
    staging = side.staging
    hint = load_record(side.previous_record)
    side.previous_record.unlink(missing_ok=True)  # the tree is about to change
    os.rename(side.previous, staging)
    hint = scan_tree(staging, hint)
    extra = hint.files() - desired
    for path in extra:
        (staging / path).unlink()
    folders = set(hint.folders) - _remove_empty_dirs(staging, extra)
    # From the two records, no stat needed: a file of the staging tree that already is the
    # live file (same inode: linked by the last build, unchanged since) is left as it is.
    staged, live_inodes = hint.inodes(), live.inodes()
    kept = [is_same and out.path in staged and staged[out.path] == live_inodes.get(out.path)
            for out, is_same in zip(outputs, same)]
    return _Staged(folders, kept, record=hint)


def _from_early_files(outputs: Sequence[Output], desired: set[str], staging: Path, placed: dict[str, bytes]) -> _Staged:
    """A cold build whose pages were partly written while it rendered (EarlyWriter): keep the
    early files that are exactly the final ones, remove those no output wants."""
    extra = placed.keys() - desired
    for path in extra:
        (staging / path).unlink()
    _remove_empty_dirs(staging, extra)
    folders = {""} | {os.path.dirname(path) for path in placed.keys() - extra}
    kept = [placed.get(out.path) is not None and not out.source and
            (out.data is placed[out.path] or out.data == placed[out.path]) for out in outputs]
    return _Staged(folders, kept, early=True)


def _new_tree(outputs: Sequence[Output], staging: Path) -> _Staged:
    """An empty staging folder: every file is written (a first build, or after a failed one)."""
    staging.mkdir()
    return _Staged({""}, [False] * len(outputs))


def _swap(outputs: Sequence[Output], same: list[bool], staged: _Staged, side: Sidecars, live: TreeRecord,
          removed: int) -> WriteReport:
    """The one swap: write what the staging folder still lacks, then exchange it with output/ in
    one step; the old output/ becomes the next build's `previous` tree.  Whatever fails, output/
    is as it was and the staging folder is removed."""
    staging, output_dir = side.staging, side.output
    leftover: Path | None = staging
    try:
        for folder in sorted({os.path.dirname(out.path) for out in outputs} - staged.folders):
            os.makedirs(os.path.join(staging, folder), exist_ok=True)
        todo = [(out, is_same) for out, is_same, kept in zip(outputs, same, staged.kept) if not kept]
        args = ([out for out, _ in todo], [is_same for _, is_same in todo], [staging] * len(todo),
                [output_dir] * len(todo))
        if sum(1 for _, is_same in todo if not is_same) > THREADED_WRITES:
            # Writing many files is I/O: a few threads keep the disk busy while Python waits.
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=4) as pool:
                results = list(pool.map(_place, *args))
        else:
            results = list(map(_place, *args))
        kept = len(outputs) - len(todo)
        written = sum(results) + (kept if staged.early else 0)
        unchanged = len(results) - sum(results) + (0 if staged.early else kept)
        if output_dir.exists():
            if _exchange(staging, output_dir):
                os.rename(staging, side.previous)  # the old live tree: the next build's staging
                leftover = None
            else:
                os.rename(output_dir, side.old)
                try:
                    os.rename(staging, output_dir)
                except OSError:
                    os.rename(side.old, output_dir)  # put the previous site back
                    raise
                leftover = None
                os.rename(side.old, side.previous)
            _save_quietly(side.previous_record, live, None)  # renaming a tree leaves its folders' mtimes as they were
        else:
            os.rename(staging, output_dir)
            leftover = None
    except BaseException:
        if leftover is not None:
            remove_tree(leftover)
        raise
    if staged.record is not None:  # as above: the staging tree's record, now the live tree's (same root inode)
        _save_quietly(side.record, staged.record, None)
    else:
        side.record.unlink(missing_ok=True)
    return WriteReport(written=written, unchanged=unchanged, removed=removed)
