"""Sites that must fail: tests/invalid_sites/<case>/ holds a tiny site and `expected.txt`.

Each case must exit 1, print exactly the lines of expected.txt (every `path:line: field: message`,
in order) before the closing "Build failed: …" line, and leave an existing output/ byte-identical.
`args.txt` (optional) holds extra command-line arguments such as --strict.  A case holding a file
named `bounded` (input that once hung or ate gigabytes) is built in a child process under the
memory, CPU and wall-clock limits of tests/bounded.py instead of in-process.

Files that git should not carry (not UTF-8, NUL bytes, several MB) are written by GENERATED
below when the case runs.  BOM and Windows line ends are not errors: VALID_VARIANTS must build.

After a deliberate change of a message, INVALID_SITES_UPDATE=1 rewrites expected.txt; review the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from site_builder.config import load_config
from site_builder.readers.calendar import read_calendar
from site_builder.readers.source import MAX_BYTES, MAX_LINE
from tests.bounded import build_bounded
from tests.conftest import post, tree_bytes

CASES_DIR = Path(__file__).parent / "invalid_sites"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())
META = {"expected.txt", "args.txt", "bounded"}

PREVIOUS_SITE = {  # what output/ holds before the failing build: it must still hold exactly this
    "index.html": b"<!doctype html><title>Previous site</title><p>The site as it was.\n",
    "news/old/index.html": b"<!doctype html><title>Old news</title>\n",
    "feed.xml": b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel></channel></rss>\n',
    "css/site.css": b"body{}\n",
}


def _write(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


GOOD_HEAD = b"---\ntitle: Big\ndate: 2026-01-05\n---\n\n"
EVENT = b"events:\n  - id: rally\n    title: Rally\n    start: 2026-12-05 11:00\n    end: '13:00'\n"
GENERATED = {
    "post-not-utf8": lambda root: _write(root, "content/posts/latin1.md",
                                         b"---\ntitle: Caf\xe9 workers vote\ndate: 2026-01-05\n---\n\nBody\n"),
    "post-nul-byte": lambda root: _write(root, "content/posts/nul-byte.md",
                                         b"---\ntitle: A\ndate: 2026-01-05\n---\n\nBody\x00 text\n"),
    "post-enormous-file": lambda root: _write(root, "content/posts/huge.md",
                                              GOOD_HEAD + (b"All work and no play. " * 40 + b"\n") * (MAX_BYTES // 800)),
    "post-enormous-line": lambda root: _write(root, "content/posts/pasted.md",
                                              GOOD_HEAD + b"Intro.\n\n![x](data:image/png;base64," + b"A" * (MAX_LINE + 10) + b")\n"),
    "page-not-utf8": lambda root: _write(root, "content/pages/about.md",
                                         "---\ntitle: About\n---\n\nLine one\n".encode() + "Caf\u00e9 in cp1252\n".encode("cp1252")),
    "config-not-utf8": lambda root: _write(root, "config.yaml",
                                           b"title: Local 12 \xabunion\xbb\nbase_url: https://example.org/\n"),
    "cal-not-utf8": lambda root: _write(root, "content/calendar/events.yaml",
                                        EVENT.replace(b"title: Rally", b"title: Rally \x96 Capitol")),
    "post-markdown-footnotes": lambda root: _write(root, "content/posts/notes.md",
                                                   GOOD_HEAD + b"[^1]" * 20_000 + b"\n\n[^1]: A note.\n"),
    "post-markdown-brackets": lambda root: _write(root, "content/posts/brackets.md",
                                                  GOOD_HEAD + b"Intro.\n\n" + b"[" * 40_000 + b"\n"),
    "cal-markdown-nesting": lambda root: _write(root, "content/calendar/events.yaml",
                                                EVENT + b"    description: |\n" +
                                                b"".join(b"      " + b"> " * i + b"x\n" for i in range(1, 80))),
    "cal-enormous-line": lambda root: _write(root, "content/calendar/events.yaml",
                                             EVENT + b"    description: " + b"x" * (MAX_LINE + 1) + b"\n"),
    "contract-document-symlink-outside": lambda root: _links_outside(root),
    "contract-enormous-file": lambda root: _write(root, "content/contracts.yaml", b"contracts:\n" + (
        b"  - id: acme\n    employer: acme\n    unit: " + b"x" * 1000 + b"\n") * (MAX_BYTES // 1000)),
}


def _links_outside(root: Path) -> None:
    """Links to a PDF outside the site: a document, a folder under static/, an attachment beside a post."""
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "acme.pdf").write_bytes(b"%PDF-1.4 secret\n")
    (root / "static/contracts").mkdir(parents=True)  # git keeps no empty folders
    os.symlink(outside / "acme.pdf", root / "static/contracts/linked.pdf")
    os.symlink(outside, root / "static/linked-folder")
    os.symlink(outside / "acme.pdf", root / "content/posts/linked.pdf")


def _make_site(name: str, dest: Path) -> Path:
    shutil.copytree(CASES_DIR / name, dest, ignore=lambda folder, names: [n for n in names if n in META])
    if name in GENERATED:
        GENERATED[name](dest)
    return dest


def _expected(name: str) -> list[str]:
    return (CASES_DIR / name / "expected.txt").read_text(encoding="utf-8").splitlines()


def _args(name: str) -> list[str]:
    path = CASES_DIR / name / "args.txt"
    return path.read_text(encoding="utf-8").split() if path.exists() else []


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 40
    kinds = {name.split("-")[0] for name in CASES}
    assert kinds == {"config", "post", "page", "cal", "contract"}
    missing = [n for n in CASES if not (CASES_DIR / n / "expected.txt").is_file()]
    assert not missing or os.environ.get("INVALID_SITES_UPDATE"), missing
    assert set(GENERATED) <= set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_invalid_site(name, tmp_path, build):
    root = _make_site(name, tmp_path / "site")
    for rel, data in PREVIOUS_SITE.items():
        _write(root / "output", rel, data)
    before = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")}
    if (CASES_DIR / name / "bounded").exists():
        run = build_bounded(root, *_args(name))
        assert run.finished, f"killed by its limits (code {run.code}): {run.err[-2000:]}"
    else:
        run = build(root, *_args(name))
    assert "Traceback" not in run.err, run.err
    lines = run.err.splitlines()
    assert run.code == 1, run.err + run.out
    assert lines and lines[-1].startswith("Build failed: "), run.err
    assert lines[-1].endswith("; output left as it was."), run.err
    printed = lines[:-1]
    assert tree_bytes(root / "output") == PREVIOUS_SITE
    assert not [p for p in root.iterdir() if p.name.startswith(".output.staging")]
    # nothing written outside the output folder but the lock file and the build cache
    after = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")}
    assert {p for p in after - before if not p.startswith("site/.cache")} <= {"site/.output.lock"}, after - before

    if os.environ.get("INVALID_SITES_UPDATE"):
        (CASES_DIR / name / "expected.txt").write_text("\n".join(printed) + "\n", encoding="utf-8")
    expected = _expected(name)
    assert printed == expected
    for line in expected:  # `path:line: field: message` (field may be empty for whole-file problems)
        path, number, rest = line.split(":", 2)
        assert path and number.isdigit() and int(number) >= 1 and rest.startswith(" "), line


# --- variants that look odd but are fine -------------------------------------------------
POST_CRLF = "---\r\ntitle: Windows\r\ndate: 2026-01-05\r\ntags: [strike]\r\n---\r\n\r\n## Heading\r\n\r\nText\r\n"
VALID_VARIANTS = {
    "post-bom": {"content/posts/win.md": ("\ufeff" + post("Windows", tags="[strike]", body="## Heading\n\nText")).encode()},
    "post-crlf": {"content/posts/win.md": POST_CRLF.encode()},
    "post-bom-and-crlf": {"content/posts/win.md": ("\ufeff" + POST_CRLF).encode()},
    "post-old-mac-cr": {"content/posts/win.md": POST_CRLF.replace("\r\n", "\r").encode()},
    "config-bom-crlf": {"config.yaml": "\ufefftitle: Test Local\r\nbase_url: https://example.org/\r\n".encode(),
                        "content/posts/win.md": POST_CRLF.encode()},
    "calendar-bom-crlf": {"content/posts/win.md": POST_CRLF.encode(),
                          "content/calendar/events.yaml": b"\xef\xbb\xbf" + EVENT.replace(b"\n", b"\r\n")},
    "long-but-fine-line": {"content/posts/win.md": POST_CRLF.encode() + b"word " * (MAX_LINE // 6) + b"\r\n"},
}


@pytest.mark.parametrize("name", sorted(VALID_VARIANTS))
def test_valid_variant_builds(name, scratch, build):
    root = scratch()
    for rel, data in VALID_VARIANTS[name].items():
        _write(root, rel, data)
    run = build(root)
    assert run.code == 0, run.err
    html = (root / "output/news/win/index.html").read_text(encoding="utf-8")
    assert '<h2 id="heading">Heading</h2>' in html
    assert "\ufeff" not in html and "\r" not in html
    assert "<title>Windows" in html
    if "calendar" in name:
        _, problems = read_calendar(load_config(root / "config.yaml"))
        assert [p for p in problems if p.is_error] == []
