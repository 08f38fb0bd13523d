"""Reading source files safely: UTF-8 (BOM allowed), CRLF folded, no symlinks out of the site."""

from __future__ import annotations

from pathlib import Path

from site_builder.errors import ContentError

MAX_BYTES = 5 * 1024 * 1024


def rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def list_sources(folder: Path, root: Path, pattern: str) -> list[Path]:
    """Files matching `pattern` under `folder`, sorted; hidden and editor temp files skipped.

    A symlink that points outside the site root is not followed.
    """
    if not folder.is_dir():
        return []
    real_root = root.resolve()
    found = []
    for path in sorted(folder.rglob(pattern)):
        name = path.name
        if name.startswith((".", "#", "~")) or name.endswith(("~", ".swp", ".tmp")):
            continue
        if any(part.startswith(".") for part in path.relative_to(folder).parts[:-1]):
            continue
        if not path.is_file():
            continue
        if path.is_symlink() and not path.resolve().is_relative_to(real_root):
            continue
        found.append(path)
    return found


def read_text(path: Path, root: Path) -> str:
    """The file's text with a BOM dropped and CRLF/CR turned into LF; ContentError if unreadable."""
    return decode_source(path.read_bytes(), rel(path, root))


def decode_source(data: bytes, shown: str) -> str:
    if len(data) > MAX_BYTES:
        raise ContentError(shown, 1, "", f"file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContentError(shown, line, "", f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8") from None
    if "\x00" in text:
        raise ContentError(shown, text[: text.index("\x00")].count("\n") + 1, "", "contains a NUL character")
    return text.replace("\r\n", "\n").replace("\r", "\n")
