"""Files that posts, pages and contracts link to (`attachments:`, a contract's `document:`).

Two steps, because a post's parsed front matter is cached by its bytes while the files it names
can change on their own: `written` checks what was typed (no stat; cached with the post), and
`resolve` finds the file on every build: where it is, its size and its type.

A file is either a site path under static/ (`/files/letter.pdf` is static/files/letter.pdf, copied
by the build like every static file) or, for posts and pages, a name beside the Markdown file
(`letter.pdf` next to content/posts/vote.md, published as /news/vote/letter.pdf).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote, unquote

from site_builder.hashing import digest
from site_builder.errors import Problem, shown
from site_builder.models import Attachment
from site_builder.files import is_plain_path
from site_builder.readers.source import HIDDEN_STARTS, list_sources, skipped_name
from site_builder.textutil import unsafe_url

# extension → (what readers are told, MIME type for RSS enclosures).  A fixed table, not the
# mimetypes module: that one reads /etc/mime.types, which differs between machines.
TYPES = {
    "pdf": ("PDF", "application/pdf"),
    "doc": ("Word document", "application/msword"),
    "docx": ("Word document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "odt": ("OpenDocument text", "application/vnd.oasis.opendocument.text"),
    "rtf": ("Rich text", "application/rtf"),
    "txt": ("Text", "text/plain"),
    "xls": ("Excel spreadsheet", "application/vnd.ms-excel"),
    "xlsx": ("Excel spreadsheet", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "ods": ("OpenDocument spreadsheet", "application/vnd.oasis.opendocument.spreadsheet"),
    "csv": ("CSV spreadsheet", "text/csv"),
    "ppt": ("PowerPoint", "application/vnd.ms-powerpoint"),
    "pptx": ("PowerPoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "jpg": ("JPEG image", "image/jpeg"),
    "jpeg": ("JPEG image", "image/jpeg"),
    "png": ("PNG image", "image/png"),
    "gif": ("GIF image", "image/gif"),
    "webp": ("WebP image", "image/webp"),
    "mp3": ("MP3 audio", "audio/mpeg"),
    "m4a": ("M4A audio", "audio/mp4"),
    "mp4": ("MP4 video", "video/mp4"),
    "zip": ("ZIP archive", "application/zip"),
}
# Beside a post these would be pages or scripts of the site itself, outside the Markdown sanitizer.
WEB_FILES = frozenset({"html", "htm", "xhtml", "shtml", "svg", "svgz", "js", "mjs", "xml", "xsl"})
# Beside a post these are the site's own texts (a post or page, drafts too): never published raw.
SOURCE_FILES = frozenset({"md", "markdown"})
LARGE = 50 * 1024 * 1024  # bytes; a larger file is a warning (members download it on phones)
_BAD = re.compile(r"[\x00-\x1f\x7f<>\"\\|?*]")


def upload_problem(path: str) -> str | None:
    """Why the browser editor may not upload a file to `path` (site-relative, posix:
    "static/images/flyer.svg"), or None.  The one rule for uploads: the editor's local backend
    asks it before writing an upload, and the build asks it of every file of the media folder
    (config.yaml `cms: media_folder`: media_problems), which the editor writes and nobody reviews.

    An upload is one of the TYPES (documents, images, audio, video, a ZIP), under a plain name
    the build publishes.  Never a web page, SVG image or script (WEB_FILES: published as part of
    the site, its script would run with the site's address, outside the Markdown sanitizer), a
    post's text (SOURCE_FILES), a type the build does not know, or a hidden or temporary name."""
    if not is_plain_path(path) or _BAD.search(path):
        return f"{shown(path)} is not a plain path inside the site (no .., no / at its start, no control character)"
    name = path.rsplit("/", 1)[-1]
    if any(part.startswith(HIDDEN_STARTS) for part in path.split("/")):
        return f"{shown(name)} is a hidden name (it starts with . # or ~); the build does not publish such files"
    if any(skipped_name(part) for part in path.split("/")):
        return (f"{shown(name)} is an editor's temporary name (it ends with ~ .swp or .tmp); the build does not "
                "publish such files")
    ext = name.rsplit(".", 1)[1].lower() if "." in name else ""
    if ext in WEB_FILES:
        return (f"{name} is a web page, SVG image or script (.{ext}): in the editor's media folder (config.yaml "
                "cms.media_folder) it would be published as part of the site without passing the sanitizer; upload "
                "a PDF, PNG or JPEG instead (a developer's own file goes in another folder of static/)")
    if ext in SOURCE_FILES:
        return (f"{name} is a text of the site (a post or a page): in the editor's media folder it would be "
                "published as it is; write it as a post or page, or upload a PDF")
    if ext not in TYPES:
        kinds = ", ".join(f".{t}" for t in TYPES)
        return (f"{name} has no extension: the editor uploads {kinds}" if not ext
                else f"{name}: .{ext} is not a type the editor uploads; it uploads {kinds}")
    return None


def media_problems(config) -> list[Problem]:
    """The files of the editor's media folder that upload_problem refuses, each an error at line 1
    (none on a site without `cms:`: there static/images is a developer's folder like the rest)."""
    if config.cms is None:
        return []
    files = list_sources(config.root / config.cms.media_folder, config.root / "static", "*")
    paths = [path.relative_to(config.root).as_posix() for path in files]
    return [Problem(path, 1, "", why) for path in paths if (why := upload_problem(path))]


def file_type(name: str) -> tuple[str, str]:
    """("PDF", "application/pdf") for "x.pdf"; an unknown extension is shown as itself."""
    ext = name.rsplit(".", 1)[1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    if ext in TYPES:
        return TYPES[ext]
    return (ext.upper() + " file" if ext else "File"), "application/octet-stream"


def fmt_size(size: int) -> str:
    """"812 bytes", "245 KB", "1.3 MB", "2.0 GB" (1 KB = 1,024 bytes)."""
    if size < 1024:
        return "1 byte" if size == 1 else f"{size} bytes"
    for unit, power in (("KB", 1), ("MB", 2), ("GB", 3), ("TB", 4)):
        value = size / 1024 ** power
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "KB" else f"{value:.1f} {unit}"
    raise AssertionError  # (unreachable)


def written(value: object, beside: bool) -> tuple[str, str | None]:
    """(the path as typed, stripped; an error message or None).  `beside`: a name relative to
    the post is allowed too (attachments), else only a site path under static/ (documents)."""
    if value is None or value == "":
        return "", "required: the file's path, such as /files/letter.pdf"
    if not isinstance(value, str) or not value.strip():
        what = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else shown(value)
        return "", f"must be a file's path such as /files/letter.pdf, got {what}"
    text = value.strip()
    example = "/files/letter.pdf (static/files/letter.pdf)" + (" or a name beside the post (letter.pdf)" if beside else "")
    if unsafe_url(text) or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text) and not re.match(r"^[A-Za-z]:[\\/]", text):
        return "", f"{shown(text)} is not a file of the site: write {example}"
    if re.match(r"^[A-Za-z]:[\\/]", text) or text.startswith(("//", "\\")):
        return "", f"{shown(text)} is a path on a computer, not in the site: copy the file into static/ and write {example}"
    if _BAD.search(text):
        return "", f"{shown(text)} contains a control character or one of < > \" \\ | ? *"
    parts = text.strip("/").split("/")
    if any(p in ("..", ".") for p in parts):
        return "", f"{shown(text)} uses . or ..: write the path from static/, such as {example}"
    if not text.strip("/") or text.endswith("/"):
        return "", f"{shown(text)} names a folder, not a file"
    if not beside and not text.startswith("/"):
        return "", f"{shown(text)} must be a site path under static/, such as /contracts/healthpartners-2020.pdf"
    if any(p.startswith(HIDDEN_STARTS) for p in parts):
        return "", f"{shown(text)} is a hidden name (it starts with . # or ~); the build does not publish such files"
    if any(skipped_name(p) for p in parts):
        return "", (f"{shown(text)} is an editor's temporary name (it ends with ~ .swp or .tmp); the build does not "
                    "publish such files")
    return text, None


def resolve(root: Path, static: Path, item: Attachment, beside: Path | None, beside_url: str = ""
            ) -> tuple[Attachment | None, str | None, str | None]:
    """(the attachment with url, size and type; an error; a warning).  `beside`: the folder of
    the post or page for a relative name (published under `beside_url`)."""
    rel = item.file
    if rel.startswith("/"):
        base, path, url, source = static, static / rel.strip("/"), "/" + rel.strip("/"), ""
        where = f"static/{rel.strip('/')}"
    else:
        assert beside is not None
        base, path, url = beside, beside / rel, beside_url + rel
        source = str(path)
        where = path.relative_to(root).as_posix() if path.is_relative_to(root) else rel
        if rel.rsplit(".", 1)[-1].lower() in WEB_FILES:
            return None, (f"{shown(rel)} would be published as a page or script of the site: put it in static/ "
                          f"and write /files/{rel.rsplit('/', 1)[-1]}"), None
        if rel.rsplit(".", 1)[-1].lower() in SOURCE_FILES:
            return None, (f"{shown(rel)} is a text of the site (a post or a page, a draft too): it is not published "
                          "as a file; attach a PDF, or put a copy in static/ and write "
                          f"/files/{rel.rsplit('/', 1)[-1]}"), None
    try:
        real_base = base.resolve()
        for parent in list(reversed(path.relative_to(base).parents))[1:]:  # each folder between base and the file
            if (base / parent).is_symlink():
                return None, f"{where} is inside a linked folder ({parent.as_posix()}), which the build does not follow", None
        # A link may lead within its own folder (static/; the post's folder) or, beside a post, into
        # static/: never to config.yaml, templates, the cache or anything else of the site.
        allowed = (real_base,) if not source else (real_base, static.resolve())
        if path.is_symlink() and not any(path.resolve().is_relative_to(a) for a in allowed):
            inside = path.resolve().is_relative_to(root.resolve())
            return None, (f"{where} is a link to {'a file of the site outside static/ and this folder' if inside else 'a file outside the site'}; "
                          "copy the file itself into the site"), None
        if source and path.is_symlink() and path.resolve().suffix.lower().lstrip(".") in WEB_FILES | SOURCE_FILES:
            return None, f"{where} is a link to {path.resolve().name}, a page, script or text of the site", None
        st = os.stat(path)
    except FileNotFoundError:
        rest = rel.lstrip("/")[len("static/"):] if rel.lstrip("/").startswith("static/") else ""
        if rest and (static / rest).is_file():  # static/ written twice: the path starts after it
            return None, f"{where} does not exist: a path starts after static/, so write /{rest}", None
        return None, f"{where} does not exist (is the name spelt exactly, capitals included?)", None
    except (OSError, RuntimeError, ValueError) as exc:
        return None, f"{where} cannot be read: {getattr(exc, 'strerror', None) or exc}", None
    if stat.S_ISDIR(st.st_mode):
        return None, f"{where} is a folder; name a file in it", None
    if not stat.S_ISREG(st.st_mode):
        return None, f"{where} is not an ordinary file (a pipe or a device)", None
    if st.st_size == 0:
        return None, f"{where} is empty (0 bytes): upload the file again", None
    label, mime = file_type(rel)
    warning = None
    if st.st_size > LARGE:
        warning = (f"{where} is {fmt_size(st.st_size)}: members download it on phones; a file over "
                   f"{fmt_size(LARGE)} is better kept elsewhere and linked")
    return replace(item, url=quote(url), size=st.st_size, label=label, mime=mime, source=source), None, warning


def with_files(root: Path, items: list) -> tuple[list, list[Problem]]:
    """Posts or pages with their attachments found (url, size, type); a missing or unusable file
    is an error at its line of the front matter.  Run on every build (a stat per file)."""
    problems: list[Problem] = []
    out = []
    static = root / "static"
    for item in items:
        if not item.attachments:
            out.append(item)
            continue
        found = []
        for i, attachment in enumerate(item.attachments):
            done, message, warning = resolve(root, static, attachment, (root / item.source).parent, item.url)
            where = f"attachments[{i}].file"
            if warning:
                problems.append(Problem(item.source, attachment.line, where, warning, "warning"))
            if message:
                problems.append(Problem(item.source, attachment.line, where, message))
            else:
                found.append(done)
        # The item's fingerprint (its page's and feed's cache key) now covers the files too.
        out.append(replace(item, attachments=tuple(found), fingerprint=digest(
            item.fingerprint, *(f"{a.url}|{a.size}|{a.mime}|{a.title}" for a in found))))
    return out, problems


def attachment_outputs(items) -> list:
    """The files beside posts and pages, copied to their place under the item's address."""
    from site_builder.models import Output

    seen: dict[str, Output] = {}
    for item in items:
        for attachment in item.attachments:
            if attachment.source:
                path = unquote(attachment.url).lstrip("/")
                seen[path] = Output(path, source=attachment.source, kind="static")
    return [seen[k] for k in sorted(seen)]
