"""Reading source files safely: UTF-8 (BOM allowed), CRLF folded, no symlinks out of the site."""

from __future__ import annotations

import fnmatch
import os
import stat
import time
from pathlib import Path

from site_builder.clock import settled
from site_builder.errors import ContentError, Problem, shown
from site_builder.textutil import invisible_problem, slugify

MAX_BYTES = 5 * 1024 * 1024
MAX_LINE = 100_000  # characters; longer lines are pasted binary or base64 data, not writing
MAX_TAGS = 50  # on one post, page or calendar entry
MAX_SLUG = 100  # characters of a slug, calendar id or tag slug: each becomes a folder name

# Names Windows refuses as a file or folder name (with any extension): a slug, id or tag
# equal to one of them would make a site that cannot be checked out or copied there.
RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
)


def reserved_name(name: str) -> bool:
    """True for `con`, `nul`, `lpt1`… (any case, with or without an extension)."""
    return name.split(".")[0].lower() in RESERVED_NAMES


def slug_too_long(value: str, what: str = "slug") -> str | None:
    """The message for a slug, calendar id or tag slug longer than MAX_SLUG characters, or None:
    `'strike-…' is 299 characters long; a slug may have at most 100`.  (Each becomes a folder
    of output/: file systems refuse names over 255 bytes, and nobody can type or share an
    address that long.)"""
    if len(value) <= MAX_SLUG:
        return None
    return f"{shown(value, 30)} is {len(value)} characters long; {what} may have at most {MAX_SLUG}"


def is_empty(value: object) -> bool:
    """Not given: None, and what the browser editor saves for an optional field left empty:
    `""`, `[]`, `{}`, a list of empty strings (an editor's list with one blank item) and a mapping
    of empty values (`venue: {name: "", address: ""}`).  One rule for every reader."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    if isinstance(value, list):
        return all(isinstance(v, str) and not v.strip() for v in value)
    if isinstance(value, dict):
        return all(is_empty(v) for v in value.values())
    return False


def read_tags(value: object, path: str, field: str, line: int, problems: list) -> tuple[str, ...]:
    """`tags:` of a post, page or calendar entry (one rule for all): a word or a list of words,
    each kept as written and counted once per tag address (`Kaiser` and `kaiser` are one tag)."""
    if is_empty(value):
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        what = "a mapping" if isinstance(value, dict) else f"{type(value).__name__} {value!r}"
        problems.append(Problem(path, line, field, f"must be a list of words, got {what}"))
        return ()
    tags: dict[str, str] = {}
    for i, tag in enumerate(value):
        at = value.line_of(i) if hasattr(value, "line_of") else line
        where = f"{field}[{i}]"
        if not isinstance(tag, str) or not tag.strip():
            what = "a mapping" if isinstance(tag, dict) else "a list" if isinstance(tag, list) else f"{type(tag).__name__} {tag!r}"
            problems.append(Problem(path, at, where, f"must be a non-empty word, got {what}"))
        elif "\x00" in tag:
            problems.append(Problem(path, at, where, "contains a NUL character (written \\0): remove it"))
        elif invisible := invisible_problem(tag):
            problems.append(Problem(path, at, where, f"{shown(tag)} {invisible}"))
        elif not slugify(tag):
            problems.append(Problem(path, at, where, f"{shown(tag)} has no letters or digits"))
        elif reserved_name(slugify(tag)):
            problems.append(Problem(path, at, where, f"{tag.strip()!r} is a reserved device name on Windows; choose another tag"))
        elif slug_too_long(slugify(tag)):
            problems.append(Problem(path, at, where, f"{shown(tag)} makes a tag address of {len(slugify(tag))} "
                                    f"characters; the limit is {MAX_SLUG}: choose a shorter tag"))
        elif len(tags) == MAX_TAGS and slugify(tag) not in tags:
            problems.append(Problem(path, at, where, f"more than {MAX_TAGS} tags: each makes pages and a feed of "
                                    "its own; keep the few that readers look for"))
            break
        else:
            tags.setdefault(slugify(tag), tag.strip())
    return tuple(tags.values())


def read_source(path: Path, shown: str) -> bytes:
    """The bytes of a source file, refusing anything that is not a regular file (a named pipe
    would block the build forever, a device would never end) and anything over MAX_BYTES,
    without reading more than MAX_BYTES + 1.  Raises ContentError(shown, 1, ...) or OSError."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a named pipe" if stat.S_ISFIFO(st.st_mode) else \
            "a socket" if stat.S_ISSOCK(st.st_mode) else "a device"
        raise ContentError(shown, 1, "", f"not a regular file ({kind}); only ordinary files are read")
    # O_NONBLOCK: if the file was swapped for a pipe since the stat, open() does not wait for a writer.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ContentError(shown, 1, "", "not a regular file; only ordinary files are read")
        if st.st_size > MAX_BYTES:
            raise _too_big(st.st_size, shown)
        chunks, total = [], 0
        while total <= MAX_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def rel(path: Path, root: Path) -> str:
    text, prefix = str(path), str(root).rstrip(os.sep) + os.sep
    if text.startswith(prefix):  # the common case, without pathlib's parsing (thousands of posts)
        return text[len(prefix):].replace(os.sep, "/")
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


HIDDEN_STARTS = (".", "#", "~")
TEMPORARY_ENDS = ("~", ".swp", ".tmp")


def skipped_name(name: str) -> bool:
    """A file or folder the build never reads or copies: hidden (`.x`), or an editor's backup or
    temporary file (`#x#`, `x~`, `.x.swp`, `x.tmp`)."""
    return name.startswith(HIDDEN_STARTS) or name.endswith(TEMPORARY_ENDS)


def list_sources(folder: Path, root: Path, pattern: str, odd: list[Path] | None = None) -> list[Path]:
    """Files matching `pattern` under `folder`, sorted; hidden and editor temp files skipped.

    A file that is (or lies under) a symlink pointing outside the site root is not followed.
    Symlinked sub-folders are not descended into; only symlinked files are resolved, so a
    listing of thousands of posts costs one scandir per folder.  Entries matching `pattern`
    that are not regular files (named pipes, sockets, devices) are never listed; with `odd`,
    they are appended to it so the reader can say why they were not read.
    """
    if not folder.is_dir():
        return []
    real_root = root.resolve()
    if not folder.resolve().is_relative_to(real_root):
        return []
    found: list[str] = []

    def walk(directory: str) -> None:
        with os.scandir(directory) as entries:
            for entry in entries:
                name = entry.name
                if skipped_name(name):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path)
                elif fnmatch.fnmatchcase(name, pattern) and entry.is_file():
                    if entry.is_symlink() and not Path(entry.path).resolve().is_relative_to(real_root):
                        continue
                    found.append(entry.path)
                elif odd is not None and fnmatch.fnmatchcase(name, pattern) and not entry.is_symlink() \
                        and not entry.is_dir():
                    odd.append(Path(entry.path))

    walk(str(folder))
    return [Path(p) for p in sorted(found)]


def _too_big(size: int, shown: str) -> ContentError:
    return ContentError(shown, 1, "", f"file is {size / (1024 * 1024):.1f} MB; the limit is {MAX_BYTES // (1024 * 1024)} MB")


def decode_source(data: bytes, shown: str) -> str:
    if len(data) > MAX_BYTES:
        raise _too_big(len(data), shown)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContentError(shown, line, "", f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8") from None
    if "\x00" in text:
        raise ContentError(shown, text[: text.index("\x00")].count("\n") + 1, "", "contains a NUL character")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_LINE:
        for number, line in enumerate(text.split("\n"), 1):
            if len(line) > MAX_LINE:
                raise ContentError(
                    shown, number, "",
                    f"line is {len(line)} characters long (the limit is {MAX_LINE}); is it pasted binary or image data?",
                )
    return text


# --- knowing a file is unchanged without reading it ---------------------------------------


def signature(path: Path) -> tuple[int, ...]:
    """What changes whenever a file's bytes can have changed: size, mtime, ctime, inode, device.
    (ctime cannot be set back by tools that restore an mtime.)"""
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


class StatIndex:
    """shown path → (signature, content key) from the last build, so an unchanged file's key is
    known without reading it.  Like git's index it distrusts "racy" entries: a file modified
    within clock.RACY_NS of being indexed could change again within the filesystem's timestamp
    granularity without its signature changing, so it is re-read until it is older."""

    def __init__(self, previous: dict[str, tuple[tuple[int, ...], str]] | None):
        self.previous = previous or {}
        self.current: dict[str, tuple[tuple[int, ...], str]] = {}
        self.started_ns = time.time_ns()

    def known(self, shown: str, sig: tuple[int, ...]) -> str | None:
        entry = self.previous.get(shown)
        return entry[1] if entry is not None and entry[0] == sig else None

    def record(self, shown: str, sig: tuple[int, ...], key: str) -> None:
        if settled(max(sig[1], sig[2]), self.started_ns):
            self.current[shown] = (sig, key)
