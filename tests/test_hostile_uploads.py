"""Uploads are sources too (issue 22, section 4): the editor's media folder (config.yaml
`cms: media_folder`) publishes only the types an upload may have, by one rule
(readers/files.upload_problem) that the build and the editor's local backend share; the rest of
static/, which only a developer writes, keeps working; the editor's file fields offer those types.
"""

from __future__ import annotations

import base64
import json

import pytest

from site_builder.readers.files import upload_problem
from tests.conftest import MINIMAL_CONFIG, post
from tests.test_cms_local import call, editor, snapshot  # noqa: F401 (editor: serve --cms, a fixture)

CMS = MINIMAL_CONFIG + "cms:\n  backend: github\n  repo: local9/website\n"
HOSTILE_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)">'
               '<script>fetch("/admin/")</script><rect width="10" height="10"/></svg>')


def test_script_capable_uploads_in_the_media_folder_are_refused_naming_the_file(scratch, build):
    root = scratch({"content/posts/a.md": post("Flyer"), "static/images/flyer.svg": HOSTILE_SVG,
                    "static/images/flyer.html": "<script>alert(1)</script>",
                    "static/images/picket.jpg": "(a photo)"}, config=CMS)
    run = build(root)
    assert run.code == 1
    lines = [line for line in run.err.splitlines() if line.startswith("static/")]
    assert lines == [
        "static/images/flyer.html:1: flyer.html is a web page, SVG image or script (.html): in the editor's media "
        "folder (config.yaml cms.media_folder) it would be published as part of the site without passing the "
        "sanitizer; upload a PDF, PNG or JPEG instead (a developer's own file goes in another folder of static/)",
        "static/images/flyer.svg:1: flyer.svg is a web page, SVG image or script (.svg): in the editor's media "
        "folder (config.yaml cms.media_folder) it would be published as part of the site without passing the "
        "sanitizer; upload a PDF, PNG or JPEG instead (a developer's own file goes in another folder of static/)",
    ]
    assert not (root / "output").exists()


def test_a_media_folder_of_its_own_name_is_the_one_checked(scratch, build):
    config = CMS + "  media_folder: static/uploads\n"
    root = scratch({"content/posts/a.md": post("Flyer"), "static/uploads/2026/flyer.svg": HOSTILE_SVG,
                    "static/images/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>'}, config=config)
    run = build(root)
    assert run.code == 1
    assert [line.split(": ")[0] for line in run.err.splitlines() if line.startswith("static/")] == \
        ["static/uploads/2026/flyer.svg:1"]


def test_a_developers_static_files_outside_the_media_folder_keep_working(scratch, build):
    files = {"static/js/mine.js": "console.log('ours');\n", "static/css/mine.css": "p{}\n",
             "static/brand/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"><title>Logo</title></svg>',
             "static/favicon.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>',
             "static/images/picket.jpg": "(a photo)", "static/images/agreement.pdf": "%PDF-1.4\n"}
    root = scratch({"content/posts/a.md": post("News"), **files}, config=CMS)
    run = build(root, "--strict")
    assert run.code == 0, run.err
    for path, text in files.items():
        assert (root / "output" / path.removeprefix("static/")).read_text() == text
    # without an editor (no cms: section) static/images is a developer's folder like any other
    plain = scratch({"content/posts/a.md": post("News"), "static/images/logo.svg": HOSTILE_SVG})
    assert build(plain, "--strict").code == 0
    assert (plain / "output/images/logo.svg").read_text() == HOSTILE_SVG


@pytest.mark.parametrize("path, refused", [
    ("static/images/picket.jpg", None),
    ("static/images/Agreement 2026.PDF", None),
    ("static/images/minutes.docx", None),
    ("static/images/rally.mp4", None),
    ("static/images/flyer.svg", "flyer.svg is a web page, SVG image or script (.svg)"),
    ("static/images/FLYER.SVGZ", "FLYER.SVGZ is a web page, SVG image or script (.svgz)"),
    ("static/images/page.xhtml", "page.xhtml is a web page, SVG image or script (.xhtml)"),
    ("static/images/app.mjs", "app.mjs is a web page, SVG image or script (.mjs)"),
    ("static/images/feed.xsl", "feed.xsl is a web page, SVG image or script (.xsl)"),
    ("static/images/post.md", "post.md is a text of the site (a post or a page)"),
    ("static/images/setup.exe", "setup.exe: .exe is not a type the editor uploads"),
    ("static/images/theme.css", "theme.css: .css is not a type the editor uploads"),
    ("static/images/README", "README has no extension: the editor uploads"),
    ("static/images/.htaccess", "'.htaccess' is a hidden name"),
    ("static/images/flyer.pdf~", "'flyer.pdf~' is an editor's temporary name"),
    ("static/images/../../config.yaml", "is not a plain path inside the site"),
    ("/etc/passwd.png", "is not a plain path inside the site"),
])
def test_upload_problem_refuses_what_the_build_would_refuse(path, refused):
    found = upload_problem(path)
    if refused is None:
        assert found is None
    else:
        assert found is not None and refused in found, found


def test_the_build_and_the_upload_rule_are_one_rule(scratch, build):
    names = ["picket.jpg", "flyer.svg", "setup.exe", "theme.css", "README", "notes.txt", "app.js", "post.md",
             "sheet.xlsx", "talk.mp3"]
    root = scratch({"content/posts/a.md": post("News"), **{f"static/images/{n}": "x" for n in names}}, config=CMS)
    run = build(root)
    said = sorted(line for line in run.err.splitlines() if line.startswith("static/images/"))
    wanted = sorted(f"static/images/{n}:1: {upload_problem(f'static/images/{n}')}" for n in names
                    if upload_problem(f"static/images/{n}"))
    assert said == wanted and len(said) == 6  # svg, exe, css, README, js, md


def test_the_editors_file_fields_offer_only_the_types_the_build_accepts(scratch, build):
    root = scratch({"content/posts/a.md": post("News")}, config=CMS)
    assert build(root).code == 0
    config = json.loads((root / "output/admin/config.yml").read_text().split("\n", 1)[1])

    def fields(items):
        for item in items:
            yield item
            yield from fields(item.get("fields", []))
            if "field" in item:
                yield from fields([item["field"]])

    every = [f for c in config["collections"] for f in fields([*c.get("fields", []), *c.get("files", [])])]
    uploads = [f for f in every if f.get("widget") == "file"]
    assert uploads, "no upload field"
    for f in uploads:
        accepted = f["accept"].split(",")
        assert accepted, f
        for kind in accepted:  # each a file extension the build publishes from the media folder
            assert kind.startswith(".") and upload_problem(f"static/images/x{kind}") is None, kind
        for refused in (".svg", ".html", ".js", ".xml", ".md", ".exe"):
            assert refused not in accepted
    documents = [f for f in uploads if f["name"] == "document"]
    assert documents and all(f["accept"] == ".pdf" for f in documents)


def test_serve_cms_refuses_such_an_upload_before_it_is_written(editor):
    """The editor's local backend (site_builder/cms_local.py) asks the same rule of a persistMedia
    into the media folder: a photo is written, the SVG and the page are refused, nothing of theirs lands."""
    svg = base64.b64encode(HOSTILE_SVG.encode()).decode()
    for name, allowed in (("flyer.svg", False), ("flyer.html", False), ("picket.jpg", True)):
        before = snapshot(editor.root)
        status, answer = call(editor, "persistMedia", {
            "asset": {"path": f"static/images/{name}", "content": svg, "encoding": "base64"},
            "options": {"commitMessage": "upload"}})
        if allowed:
            assert status == 200, answer
            assert (editor.root / f"static/images/{name}").read_bytes() == HOSTILE_SVG.encode()
        else:
            assert status == 403 and upload_problem(f"static/images/{name}").encode() in answer, answer
            assert snapshot(editor.root) == before
