"""The persistent build cache: `.cache/build.sqlite` beside config.yaml (git-ignored).

Every entry is keyed by a content hash of everything that decides it, so a hit is always
exact: parsed sources by their bytes (+ timezone), rendered Markdown by its text (+ the
Markdown settings), rendered pages by a fingerprint of their template context (+ templates,
config and this package's version).  A cache written by another version, or one that cannot be
read, is discarded with a warning and rebuilt; it is never trusted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import pickle
import sqlite3
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Iterator

from site_builder import __version__
from site_builder.hashing import digest
from site_builder.files import outside_link

SCHEMA = 1
_CANNOT_WRITE = {8, 10, 13, 14}  # SQLite's READONLY, IOERR, FULL, CANTOPEN: the disk, not the file

# Every namespace of the cache.  When a build ends well (BuildCache.finish), the entries of a
# "used" namespace that it did not use are dropped, so the cache stays the size of the site; the
# "pages" namespace holds one page memo per output folder, dropped when that folder is gone.
NAMESPACES = {
    "stat": "used",    # readers: each content folder's stat index (source.StatIndex)
    "doc": "used",     # readers: parsed sources, by their bytes
    "md": "used",      # build: Markdown HTML, by its text and settings
    "related": "used",  # assemble: related news, by the posts' slugs, dates and topics
    "feed": "used",    # build: RSS files, by their items and config
    "ics": "used",     # build: .ics files, by their items, config and day
    "search": "used",  # build: Pagefind bundles, by their pages; "last:<base_url>" names the latest
    "jinja": "used",   # render: compiled templates
    "pages": "folder",  # PageMemo: per output folder, what each page was made from
}


LIBRARIES = ("markdown", "jinja2", "icalendar", "nh3")


@functools.lru_cache(maxsize=1)  # the code of a running process does not change: hash it once
def version_key() -> str:
    """Everything about the program that could change a cached value: its libraries, and a hash
    of site_builder's own code (so a development checkout never trusts entries an older edit made).

    A library is identified by where its code is and that file's size and mtime (installing any
    other version rewrites it), found without importing it: importlib.metadata alone takes
    ~30 ms to import, a tenth of a no-op build."""
    import importlib.util

    libs = []
    for name in LIBRARIES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None and spec.origin else ""
        try:
            st = os.stat(origin)
            libs.append(f"{name} {origin} {st.st_size} {st.st_mtime_ns}")
        except OSError:
            libs.append(f"{name} {origin}")
    code = tree_digest(Path(__file__).parent, suffix=".py")
    return (f"site_builder {__version__} schema {SCHEMA} code {code[:16]} "
            f"python {sys.version_info[0]}.{sys.version_info[1]} {' | '.join(libs)}")


def tree_digest(*folders: Path, suffix: str = "") -> str:
    """A hash of every file (path and bytes) under the folders whose name ends with `suffix`,
    e.g. all templates, or this package's code.  Symlinked folders are not descended into."""
    parts: list[str | bytes] = []
    for folder in folders:
        for here, _, files in sorted(os.walk(folder)):  # os.walk: several times faster than Path.rglob
            for name in sorted(files):
                path = os.path.join(here, name)
                if name.endswith(suffix) and os.path.isfile(path):
                    with open(path, "rb") as handle:
                        parts += [os.path.relpath(path, folder).replace(os.sep, "/"), handle.read()]
        parts.append("|")
    return digest(*parts)


# Values whose repr() is their fingerprint: these exact types are answered without a call
# (a subclass, such as markupsafe.Markup, goes through the isinstance check in __call__).
_PLAIN = frozenset({str, int, float, bool, type(None), datetime, date})
_PLAIN_BASES = (str, int, float, bool, type(None), datetime, date)


class Fingerprinter:
    """A stable content hash of template-context values, memoised per object for one build.

    A dataclass is hashed with its qualified name and each field's fingerprint, a sequence,
    set or mapping with its items' (a set's and a mapping's sorted), an object with its own
    `fingerprint` string by that, anything else by its repr; plain values are their repr."""

    def __init__(self) -> None:
        self._memo: dict[int, tuple[Any, str]] = {}
        self._fields: dict[type, tuple[str, ...] | None] = {}  # a dataclass's field names (None: not one)
        self._owners: set[type] = set()  # classes seen with a `fingerprint` of their own (Post, Page...)

    def __call__(self, value: Any) -> str:
        if type(value) in _PLAIN or isinstance(value, _PLAIN_BASES):
            return repr(value)
        key = id(value)
        hit = self._memo.get(key)
        if hit is not None and hit[0] is value:
            return hit[1]
        own = getattr(value, "fingerprint", None)
        cls = type(value)
        if isinstance(own, str) and own:
            self._owners.add(cls)
            return own  # e.g. a Post: a pure function of the source bytes its fingerprint hashes
        names = self._fields[cls] if cls in self._fields else self._fields.setdefault(cls, _field_names(cls))
        if names is not None:
            parts = [cls.__qualname__] + [f"{name}={self._of(getattr(value, name))}" for name in names]
        elif isinstance(value, (tuple, list)):
            parts = ["seq"] + [self._of(v) for v in value]
        elif isinstance(value, (frozenset, set)):
            parts = ["set"] + sorted(self._of(v) for v in value)
        elif hasattr(value, "items"):
            parts = ["map"] + sorted(f"{self._of(k)}:{self._of(v)}" for k, v in value.items())
        else:
            parts = [cls.__qualname__, repr(value)]
        result = digest(*parts)
        self._memo[key] = (value, result)
        return result

    def _of(self, value: Any) -> str:
        """__call__, with the commonest items answered here, one call less each: plain values, and
        objects of a class seen with its own fingerprint (the posts of a list)."""
        cls = type(value)
        if cls in _PLAIN:
            return repr(value)
        if cls in self._owners:
            own = value.fingerprint
            if isinstance(own, str) and own:
                return own
        return self(value)


def _field_names(cls: type) -> tuple[str, ...] | None:
    """The field names of a dataclass (None for other types)."""
    if dataclasses.is_dataclass(cls):
        return tuple(f.name for f in dataclasses.fields(cls))
    return None


class BuildCache:
    """A small key/value store in SQLite; open() reports why an old cache was discarded."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / "build.sqlite"
        self.db: sqlite3.Connection | None = None
        self.warnings: list[str] = []
        # Values already loaded or stored by this process: a long-lived cache (serve) skips
        # SQLite and unpickling for them on every rebuild.
        self.memory: dict[str, dict[str, Any]] = {}
        self.touched: dict[str, set[str]] = {}  # keys used by the current build (see finish)

    @property
    def db(self) -> sqlite3.Connection | None:
        """The database, in the process that opened it.  In a forked copy of that process
        (forked.Beside) it is None: the copy answers from `memory` and writes nothing, since an
        SQLite connection must not be used across a fork."""
        return self._db if os.getpid() == self._pid else None

    @db.setter
    def db(self, connection: sqlite3.Connection | None) -> None:
        self._db, self._pid = connection, os.getpid()

    def open(self) -> "BuildCache":
        """Open (or create) the cache.  The cache only saves time: when it cannot be read it is
        rebuilt, and when it cannot be written at all (full disk, file-size limit, read-only
        folder) the build goes on without one, with a warning."""
        wanted = version_key()
        if why := outside_link(self.folder, self.folder.parent, "folder"):  # (its site: the folder holding it)
            self.warnings.append(f"{self.folder}: {why}; the build cache is not written there: building without it "
                                 "(remove the link)")
            return self
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            gitignore = self.folder / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("*\n")
        except OSError as exc:
            return self._give_up(exc)
        try:
            self.db = self._connect()
            row = self.db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            found = row[0] if row else None
            if found != wanted:
                if found is not None:
                    self.warnings.append(f"{self.path}: cache made by {found!r}; discarded and rebuilt")
                self._reset(wanted)
            self.db.execute("SELECT count(*) FROM entries").fetchone()
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF in _CANNOT_WRITE:
                return self._give_up(exc)
            self.warnings.append(f"{self.path}: unreadable cache ({exc}); discarded and rebuilt")
            self.close()
            try:
                self.path.unlink(missing_ok=True)
                self.db = self._connect()
                self._reset(wanted)
            except (sqlite3.Error, OSError) as again:
                return self._give_up(again)
        return self

    def _give_up(self, exc: Exception) -> "BuildCache":
        """Go on without a cache (every value is made afresh), saying why once."""
        self.close()
        reason = getattr(exc, "strerror", None) or str(exc)
        self.warnings.append(f"{self.path}: could not write the build cache ({reason}); building without it")
        return self

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("CREATE TABLE IF NOT EXISTS entries (ns TEXT, key TEXT, value BLOB, PRIMARY KEY (ns, key))")
        return db

    def _reset(self, version: str) -> None:
        assert self.db is not None
        self.db.execute("DELETE FROM entries")
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (version,))

    def _split(self, ns: str, keys: Iterable[str]) -> tuple[dict[str, Any], list[str]]:
        """(entries already in memory, keys to look up in SQLite); marks the keys as used."""
        assert ns in NAMESPACES, ns
        keys = list(dict.fromkeys(keys))
        self.touched.setdefault(ns, set()).update(keys)
        memory = self.memory.setdefault(ns, {})
        found = {k: memory[k] for k in keys if k in memory}
        return found, ([k for k in keys if k not in found] if self.db is not None else [])

    def _rows(self, columns: str, ns: str, keys: list[str]) -> Iterator[tuple]:
        if self.db is None:  # (no cache: nothing is found)
            return
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            yield from self.db.execute(f"SELECT {columns} FROM entries WHERE ns = ? AND key IN ({marks})", (ns, *chunk))

    def get_many(self, ns: str, keys: Iterable[str]) -> dict[str, Any]:
        """Values for the keys present; an entry that fails to unpickle counts as missing."""
        found, missing = self._split(ns, keys)
        memory = self.memory[ns]
        for key, blob in self._rows("key, value", ns, missing):
            try:
                found[key] = memory[key] = pickle.loads(blob)
            except Exception:  # a damaged entry is a miss, never a crash
                continue
        return found

    def has_many(self, ns: str, keys: Iterable[str]) -> set[str]:
        """Which of the keys have an entry, without loading the values (see get_many)."""
        found, missing = self._split(ns, keys)
        return set(found) | {key for (key,) in self._rows("key", ns, missing)}

    def put_many(self, ns: str, items: dict[str, Any]) -> None:
        assert ns in NAMESPACES, ns
        if not items:
            return
        self.touched.setdefault(ns, set()).update(items)
        self.memory.setdefault(ns, {}).update(items)
        if self.db is None:
            return
        rows = [(ns, k, pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)) for k, v in items.items()]
        self._write(lambda db: db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", rows))

    def _write(self, change) -> None:
        """One transaction; a cache that can no longer be written (disk full...) is let go."""
        assert self.db is not None
        try:
            self.db.execute("BEGIN")
            change(self.db)
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
            self._give_up(exc)

    def finish(self, ok: bool) -> None:
        """End a build.  After one that succeeded (its output written), forget what it did not
        use (see NAMESPACES); after a failed one, keep everything.  Either way the next build
        starts counting afresh."""
        touched, self.touched = self.touched, {}
        if not ok:
            return
        for ns, rule in NAMESPACES.items():
            if rule == "used":
                keep = touched.get(ns, set())
                stale = keep.__contains__
            else:  # a page memo whose output folder is gone (an old --output) is of no use
                stale = lambda key: os.path.isdir(key.partition(":")[2])  # noqa: E731
            memory = self.memory.get(ns, {})
            for key in [k for k in memory if not stale(k)]:
                del memory[key]
            self._drop(ns, lambda key, kept=stale: not kept(key))

    def _drop(self, ns: str, stale) -> None:
        if self.db is None:
            return
        gone = [(ns, k) for (k,) in self.db.execute("SELECT key FROM entries WHERE ns = ?", (ns,)) if stale(k)]
        if gone:
            self._write(lambda db: db.executemany("DELETE FROM entries WHERE ns = ? AND key = ?", gone))

    def close(self) -> None:
        if self.db is not None:
            with contextlib.suppress(sqlite3.Error):
                self.db.close()
            self.db = None


class PageMemo:
    """Which rendered pages of one output folder are still exactly right.

    For each output path it remembers the fingerprint of everything its rendering used and a
    hash of the bytes written.  A page whose fingerprint is unchanged, and whose file in output/
    still has those bytes, is reused without rendering; anything else is rendered again.
    """

    def __init__(self, cache: "BuildCache | None", output_dir: Path, base_key: str):
        self.cache, self.output_dir, self.base_key = cache, Path(output_dir), base_key
        self.fingerprint = Fingerprinter()
        self._dir = str(self.output_dir)
        self.slot = f"pages:{self.output_dir.resolve()}"
        self.previous: dict[str, tuple[str, str]] = {}
        if cache is not None:
            self.previous = cache.get_many("pages", [self.slot]).get(self.slot, {})
        self.current: dict[str, tuple[str, str]] = {}
        self.reused = 0

    def key(self, template: str, context: dict) -> str:
        return digest(self.base_key, template, *(f"{k}={self.fingerprint(v)}" for k, v in sorted(context.items())))

    def reuse(self, path: str, key: str) -> str | None:
        """The existing output file to reuse for `path`, or None when it must be rendered.

        The file must still be what this memo wrote: the same size, mtime and inode as recorded
        after the last successful build, or failing that, the same bytes (hash)."""
        before = self.previous.get(path)
        if before is None or before[0] != key:
            return None
        existing = os.path.join(self._dir, path)
        try:
            if len(before) < 3 or before[2] != _signature(existing):
                with open(existing, "rb") as handle:
                    if digest(handle.read()) != before[1]:
                        return None
                before = before[:2]  # bytes verified; its new signature is taken at commit
        except OSError:
            return None
        self.current[path] = before
        self.reused += 1
        return existing

    def hash_of(self, path: str) -> str | None:
        """The hash of the bytes of a page this build reused or rendered (None: not a page it knows)."""
        entry = self.current.get(path)
        return entry[1] if entry else None

    def record(self, path: str, key: str, data: bytes) -> None:
        self.current[path] = (key, digest(data))

    def commit(self) -> None:
        """Call only after the output was written: the memo then describes output/ exactly.
        A reused file kept its inode and mtime (linked or left in place), so only the files
        written by this build are signed again."""
        if self.cache is None:
            return
        signed = {}
        for path, entry in self.current.items():
            if len(entry) < 3:
                try:
                    entry = (*entry, _signature(os.path.join(self._dir, path)))
                except OSError:
                    pass
            signed[path] = entry
        self.cache.put_many("pages", {self.slot: signed})


def _signature(path: str) -> tuple[int, int, int]:
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ino)
