"""`site-builder newsletter`: the .eml read back by Python's email parser, the links checked against
the built sample site, the HTML checked by vnu and drawn by Chromium, --since and the remembered
last issue, and the break-it cases (hostile titles, odd dates, dangerous --output, corrupt memory,
headers that could be injected or folded wrongly)."""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import EPOCH, REPO, main_at_epoch, require_tool, run_cli, write_site
from tests.test_faults import small_tmpfs
from tests.test_html_valid import VNU

BASE = "https://example.org/"
FILES = ("newsletter.html", "newsletter.txt", "newsletter.eml")
URL_IN_TEXT = re.compile(r"(?:https?|mailto|tel):[^\s<>]+")
SHOTS = REPO / "test-artifacts" / "screenshots"  # (git-ignored; docs/screenshots/newsletter-*.png are copies)
DOC_SHOTS = REPO / "docs" / "screenshots"


class Links(HTMLParser):
    """Every href and src, every element name, and the text of <style> elements."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.images: list[dict] = []
        self.tags: list[str] = []
        self.styles: list[str] = []
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        if tag == "img":
            self.images.append(attrs)
            self.links.append(attrs["src"])
        self._in_style = tag == "style"
        if tag == "style":
            self.styles.append("")

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles[-1] += data


def copy_sample(dest: Path) -> Path:
    """The sample site (the repository's config.yaml, content/, static/, templates/) in a folder of
    its own, so .cache/newsletter.json is written there and not in the repository."""
    dest.mkdir(parents=True)
    shutil.copy(REPO / "config.yaml", dest / "config.yaml")
    for folder in ("content", "static", "templates"):
        shutil.copytree(REPO / folder, dest / folder)
    return dest


def parse(eml: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(eml, policy=email.policy.default)


def parts(msg) -> tuple[str, str]:
    """The text and HTML parts, their lines ended as in the files (a message's are CRLF, as MIME says)."""
    return tuple(msg.get_body((kind,)).get_content().replace("\r\n", "\n") for kind in ("plain", "html"))


@pytest.fixture(scope="module")
def issue(tmp_path_factory):
    """The sample site's first issue (no --since: the last 30 days), at the tests' fixed moment."""
    root = copy_sample(tmp_path_factory.mktemp("nl") / "site")
    assert main_at_epoch(["newsletter", "--config", str(root / "config.yaml")]) == 0
    out = root / "newsletter"
    return {name: (out / name).read_bytes() for name in FILES} | {"root": root}


@pytest.fixture
def newsletter(capsys, monkeypatch):
    def do(root: Path, *args: str, epoch: str = EPOCH):
        return run_cli(["newsletter", "--config", str(root / "config.yaml"), *args], capsys,
                       {"SOURCE_DATE_EPOCH": epoch}, monkeypatch)
    return do


def read(root: Path, out: str = "newsletter") -> tuple[str, str, email.message.EmailMessage]:
    folder = root / out
    return ((folder / "newsletter.html").read_text(encoding="utf-8"), (folder / "newsletter.txt").read_text(encoding="utf-8"),
            parse((folder / "newsletter.eml").read_bytes()))


# --- the .eml -------------------------------------------------------------------------------
def test_eml_is_multipart_alternative_with_the_two_files(issue):
    msg = parse(issue["newsletter.eml"])
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    text, html = parts(msg)
    assert text == issue["newsletter.txt"].decode("utf-8")
    assert html == issue["newsletter.html"].decode("utf-8")
    assert msg["Subject"] == "OPEIU Local 12 news, Nov 18, 2026"  # EPOCH is Nov 18, 05:06 in Chicago
    assert msg["From"].addresses[0].addr_spec == "office@local12.example"  # contact.email of the sample
    assert msg["From"].addresses[0].display_name == "OPEIU Local 12 news"
    assert msg["Date"].datetime.timestamp() == int(EPOCH)
    assert re.fullmatch(r"<[^<>@\s]+@local12\.example>", msg["Message-ID"])
    assert msg["MIME-Version"] == "1.0"


def test_text_and_html_have_the_same_links(issue):
    text, html = parts(parse(issue["newsletter.eml"]))
    html_links = set(Links(html).links)
    text_links = set(URL_IN_TEXT.findall(text)) | ({"*|UNSUB|*"} if "Unsubscribe: *|UNSUB|*" in text else set())
    assert html_links == text_links
    assert len(html_links) > 8


def test_every_link_is_a_built_page_or_a_source_the_site_names(issue, sample_output):
    html = issue["newsletter.html"].decode("utf-8")
    allowed_elsewhere = {"*|UNSUB|*", "mailto:office@local12.example"}
    for alert in (REPO / "content/alerts").glob("*.md"):  # an alert's own link (mailto:, tel:, a site path)
        allowed_elsewhere |= set(re.findall(r'^link: "?([^"\n]+)"?$', alert.read_text(), re.M))
    for post in (REPO / "content/posts").glob("*.md"):  # a repost's source
        allowed_elsewhere |= set(re.findall(r"^  url: (\S+)$", post.read_text(), re.M))
    checked = 0
    for link in set(Links(html).links):
        if link in allowed_elsewhere:
            continue
        assert link.startswith(BASE), link
        parts_ = urlsplit(link)
        path = parts_.path.lstrip("/")
        file = sample_output / (path + "index.html" if path == "" or path.endswith("/") else path)
        assert file.is_file(), link
        if parts_.fragment:
            assert f'id="{parts_.fragment}"' in file.read_text(encoding="utf-8"), link
        checked += 1
    assert checked >= 8


def test_post_news_alert_event_meeting_and_closure_are_listed(issue):
    text = issue["newsletter.txt"].decode("utf-8")
    assert "Office closed for Thanksgiving, November 26 and 27" in text  # the one post of the last 30 days
    assert "year in review" not in text.lower()  # a draft
    assert "Tell HealthPartners: keep Riverside Clinic open" in text  # active from Nov 10
    assert "Bring a friend to the winter solidarity rally" not in text  # starts Nov 25
    assert "HEROES Act" not in text  # expired in August
    assert "Sat, Dec 5, 2026 · 11 am–1 pm" in text and "Winter solidarity rally" in text
    assert "Cancelled: New organizer training" in text
    assert "General membership meeting, at Carpenters Hall and on Zoom" in text  # calendar/words.py's words
    assert "next closed on Thu, Nov 26, 2026 (Thanksgiving Day)" in text
    assert "Dec 19" not in text and "Dec 18, 2026 ·" not in text  # 30 days ahead: to Dec 18, 05:06


# --- email-safe HTML ------------------------------------------------------------------------
def test_html_has_no_scripts_stylesheets_or_styles_but_the_media_query(issue):
    html = issue["newsletter.html"].decode("utf-8")
    page = Links(html)
    assert "script" not in page.tags and "link" not in page.tags
    assert len(page.styles) == 1
    rest = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", page.styles[0])
    assert rest.strip() == "" and "@media" in page.styles[0]
    assert 'style="' in html and "class=\"cell\" style=\"padding: 20px 28px" in html  # inlined
    assert "max-width: 600px" in html
    assert re.search(r'<table[^>]*class="frame"[^>]*role="presentation"', html)
    for link in page.links:
        assert link.startswith(("https://", "mailto:", "tel:")) or link == "*|UNSUB|*", link


def test_html_passes_vnu_once_the_service_fills_in_the_unsubscribe_link(issue, tmp_path):
    java = require_tool("java")
    require_tool(str(VNU))
    html = issue["newsletter.html"].decode("utf-8")
    assert html.count('href="*|UNSUB|*"') == 1
    sent = tmp_path / "sent.html"  # what the reader receives: the service's own address in place of its tag
    sent.write_text(html.replace("*|UNSUB|*", "https://example.org/unsubscribe?u=1"), encoding="utf-8")
    result = subprocess.run([java, "-jar", str(VNU), "--errors-only", "--format", "json", str(sent)],
                            capture_output=True, text=True, timeout=300)
    report = json.loads(result.stderr)
    assert [m["message"] for m in report["messages"]] == []
    assert result.returncode == 0


def test_brand_colours_logo_and_overridden_templates(scratch, newsletter, tmp_path):
    root = scratch({
        "content/posts/a.md": "---\ntitle: A\ndate: 2026-11-10\n---\nSome news.\n",
        "static/images/logo.png": "not really a png",
        "templates/newsletter/newsletter.txt": "{{ title }} / our own text\n{% for p in posts %}{{ p.url }}\n{% endfor %}"
                                              "Unsubscribe: {{ unsubscribe }}\n",
    }, config="title: Test Local\nbase_url: https://example.org/local9/\ntimezone: America/Chicago\n"
              "theme:\n  primary_color: '#0b5394'\n  logo: /images/logo.png\n"
              "newsletter:\n  unsubscribe: 'https://example.org/leave'\n  title: The Nine\n")
    assert newsletter(root).code == 0
    html, text, msg = read(root)
    assert "background-color: #0b5394" in html
    images = Links(html).images
    assert [(i["src"], i["alt"]) for i in images] == [("https://example.org/local9/images/logo.png", "Test Local")]
    assert text == "The Nine / our own text\nhttps://example.org/local9/news/a/\nUnsubscribe: https://example.org/leave\n"
    assert 'href="https://example.org/leave"' in html
    assert msg["Subject"] == "The Nine, Nov 18, 2026"
    assert msg["From"].addresses[0].addr_spec == "newsletter@example.org"  # no contact.email, no sender



def test_a_placeholder_base_url_is_a_warning(scratch, newsletter):
    run = newsletter(scratch(POSTS))
    assert run.code == 0
    assert ("config.yaml:1: base_url: warning: https://example.org/ is a placeholder: every link in the "
            "newsletter points at it") in run.err


@pytest.mark.parametrize("template, message", [
    ("Fine\n{% for x in %}\n", "templates/newsletter/newsletter.html:2: template: Expected an expression"),
    ("Fine\n\n{{ nothing_here }}\n", "templates/newsletter/newsletter.html:3: template: 'nothing_here' is undefined"),
    ("{{ posts[99].title }}\n", "templates/newsletter/newsletter.html:1: template: "),
])
def test_a_broken_template_override_is_a_message_at_its_line(scratch, newsletter, template, message):
    root = scratch({**POSTS, "templates/newsletter/newsletter.html": template})
    run = newsletter(root)
    assert run.code == 1 and "Traceback" not in run.err
    assert message in run.err, run.err
    assert not (root / "newsletter").exists()


# --- which posts: --since and the remembered issue -----------------------------------------
POSTS = {"content/posts/old.md": "---\ntitle: Old news\ndate: 2026-09-01\n---\nOld.\n",
         "content/posts/nov1.md": "---\ntitle: November first\ndate: 2026-11-01\n---\nFirst.\n",
         "content/posts/nov10.md": "---\ntitle: Tenth at six\ndate: 2026-11-10 18:00\n---\nTenth.\n",
         "content/posts/later.md": "---\ntitle: Not yet\ndate: 2026-12-01\n---\nFuture.\n"}


def titles(text: str) -> list[str]:
    return re.findall(r"^\* (.+)$", text, re.M)


@pytest.mark.parametrize("since, expected", [
    ("2026-11-01", ["Tenth at six", "November first"]),
    ("2026-11-02", ["Tenth at six"]),
    ("2026-11-10 18:00", ["Tenth at six"]),
    ("2026-11-10 18:01", []),
    ("2026-11-10T23:59:00+00:00", ["Tenth at six"]),  # 17:59 in Chicago
    ("1990-01-01", ["Tenth at six", "November first", "Old news"]),
])
def test_since_filters_the_posts(scratch, newsletter, since, expected):
    root = scratch(POSTS)
    run = newsletter(root, "--since", since)
    assert run.code == 0, run.err
    assert titles(read(root)[1]) == expected


def test_first_issue_covers_30_days_then_the_last_issue_is_remembered(scratch, newsletter):
    root = scratch(POSTS)
    first = newsletter(root)
    assert first.code == 0 and "the last 30 days" in first.out
    assert titles(read(root)[1]) == ["Tenth at six", "November first"]  # Oct 19 on
    memory = json.loads((root / ".cache/newsletter.json").read_text())
    assert memory == {"last_issue": "2026-11-18T11:06:40+00:00", "seen": []}
    (root / "content/posts/nov20.md").write_text("---\ntitle: After the issue\ndate: 2026-11-20\n---\nNew.\n")
    second = newsletter(root, epoch=str(int(EPOCH) + 7 * 86400))
    assert second.code == 0 and "since the last issue (2026-11-18 05:06)" in second.out
    assert titles(read(root)[1]) == ["After the issue"]


def test_a_post_dated_by_its_day_after_the_issue_is_in_the_next_and_none_twice(scratch, newsletter):
    """The issue goes out at 05:06; later that day a post dated `2026-11-18` (midnight) and one at
    05:06 exactly appear.  Both are in the next issue; the one the first issue had is not again."""
    root = scratch({**POSTS, "content/posts/dawn.md": "---\ntitle: Dawn news\ndate: 2026-11-18 04:00\n---\nDawn.\n"})
    assert newsletter(root).code == 0
    assert titles(read(root)[1]) == ["Dawn news", "Tenth at six", "November first"]
    memory = json.loads((root / ".cache/newsletter.json").read_text())
    assert memory["seen"] == ["content/posts/dawn.md"]
    (root / "content/posts/later-today.md").write_text("---\ntitle: Later that day\ndate: 2026-11-18\n---\nLate.\n")
    (root / "content/posts/same-minute.md").write_text(
        "---\ntitle: At the issue's minute\ndate: 2026-11-18 05:06\n---\nSame.\n")
    second = newsletter(root, epoch=str(int(EPOCH) + 86400))
    assert second.code == 0, second.err
    assert titles(read(root)[1]) == ["At the issue's minute", "Later that day"]
    third = newsletter(root, epoch=str(int(EPOCH) + 2 * 86400))  # nothing new: nothing listed again
    assert third.code == 0 and titles(read(root)[1]) == []


def test_two_issues_on_one_day_and_a_later_since_lose_no_post_and_repeat_none(scratch, newsletter):
    day = {"content/posts/dawn.md": "---\ntitle: Dawn news\ndate: 2026-11-18 04:00\n---\nDawn.\n",
           "content/posts/midnight.md": "---\ntitle: Dated by its day\ndate: 2026-11-18\n---\nDay.\n"}
    root = scratch({**POSTS, **day})
    assert newsletter(root, "--since", "2026-11-18 03:00").code == 0  # leaves out the post of 00:00
    assert titles(read(root)[1]) == ["Dawn news"]
    (root / "content/posts/noon.md").write_text("---\ntitle: Noon news\ndate: 2026-11-18 04:30\n---\nNoon.\n")
    assert newsletter(root, epoch=str(int(EPOCH) + 3600)).code == 0  # the same day, an hour later
    assert titles(read(root)[1]) == ["Noon news", "Dated by its day"]
    assert newsletter(root, epoch=str(int(EPOCH) + 86400)).code == 0  # the next day: nothing again
    assert titles(read(root)[1]) == []


def test_an_older_memory_without_seen_starts_at_its_moment(scratch, newsletter):
    root = scratch(POSTS)
    (root / ".cache").mkdir()
    (root / ".cache/newsletter.json").write_text('{"last_issue": "2026-11-10T23:59:00+00:00"}')
    run = newsletter(root)
    assert run.code == 0 and ".cache/newsletter.json" not in run.err
    assert titles(read(root)[1]) == ["Tenth at six"]


@pytest.mark.parametrize("memory", ['{"last_issue": "2026-11-01T00:00:00+00:00", "seen": "x"}', "{not json", '{"last_issue": "yesterday"}', '{"last_issue": "2026-11-01"}',
                                    '["2026-11-01T00:00:00+00:00"]', '{"last_issue": "2030-01-01T00:00:00+00:00"}',
                                    "\udcff"])
def test_a_corrupt_remembered_date_is_said_and_30_days_are_used(scratch, newsletter, memory):
    root = scratch(POSTS)
    (root / ".cache").mkdir()
    (root / ".cache/newsletter.json").write_text(memory, encoding="utf-8", errors="surrogateescape")
    run = newsletter(root)
    assert run.code == 0, run.err
    assert ".cache/newsletter.json:1: last_issue: " in run.err and "the last 30 days are covered instead" in run.err
    assert titles(read(root)[1]) == ["Tenth at six", "November first"]
    assert json.loads((root / ".cache/newsletter.json").read_text()) == {"last_issue": "2026-11-18T11:06:40+00:00",
                                                                         "seen": []}


@pytest.mark.parametrize("since, words", [
    ("11/01/2026", "is not a date: write it as YYYY-MM-DD, such as 2026-10-19"),
    ("yesterday", "is not a date"),
    ("2026-1-5", "is not a date"),
    ("２０２６-11-01", "is not a date"),  # full-width digits
    ("2026-11-01 6:30 pm", "is not a date"),
    ("2026-02-30", "is not a real date"),
    ("2026-11-01 25:00", "is not a real date"),
    ("2026-12-01", "is after now (2026-11-18 05:06 America/Chicago)"),
    ("0001-01-01", "is before 1900"),
    ("", "is not a date"),
])
def test_a_bad_since_is_refused_clearly_and_nothing_is_written(scratch, newsletter, since, words):
    root = scratch(POSTS)
    run = newsletter(root, "--since", since)
    assert run.code == 1 and "Traceback" not in run.err
    assert f"error: --since {since!r} {words}" in run.err, run.err
    assert not (root / "newsletter").exists() and not (root / ".cache/newsletter.json").exists()


@pytest.mark.parametrize("blocker", ["folder", "cache-file"])
def test_a_memory_that_cannot_be_written_is_said_and_the_issue_stays(scratch, newsletter, blocker):
    root = scratch(POSTS)
    if blocker == "folder":  # .cache/newsletter.json is a folder
        (root / ".cache/newsletter.json").mkdir(parents=True)
    else:  # .cache is a file
        (root / ".cache").write_text("not a folder")
    run = newsletter(root)
    assert run.code == 0 and "Traceback" not in run.err
    assert ".cache/newsletter.json:1: last_issue: warning: could not be written" in run.err
    assert "pass it --since 2026-11-18" in run.err
    assert titles(read(root)[1]) == ["Tenth at six", "November first"]


def test_same_site_same_moment_same_bytes(scratch, newsletter):
    root = scratch(POSTS)
    assert newsletter(root, "--since", "2026-11-01", "--output", str(root.parent / "a")).code == 0
    assert newsletter(root, "--since", "2026-11-01", "--output", str(root.parent / "b")).code == 0
    for name in FILES:
        assert (root.parent / "a" / name).read_bytes() == (root.parent / "b" / name).read_bytes()


# --- break it -------------------------------------------------------------------------------
def test_hostile_titles_and_summaries_stay_text(scratch, newsletter):
    hostile = '<script>alert(1)</script> & "javascript:alert(1)" <img src=x onerror=alert(1)>'
    root = scratch({"content/posts/x.md": f"---\ntitle: {json.dumps(hostile)}\ndate: 2026-11-10\n"
                                          'summary: "<b>bold</b> javascript:alert(2)"\n---\n'
                                          "[click](javascript:alert(3)) <script>alert(4)</script>\n"})
    assert newsletter(root).code == 0
    html, text, msg = read(root)
    page = Links(html)
    assert "script" not in page.tags and "img" not in page.tags and "b" not in page.tags
    assert not [link for link in page.links if "javascript" in link.lower()]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; \"javascript:alert(1)\"" in html
    assert f"* {hostile}" in text  # the text part says it as written: it is text
    assert parts(msg) == (text, html)


def test_repost_sources_and_links_in_alert_text_are_in_both_parts(scratch, newsletter):
    root = scratch({
        "content/posts/repost.md": "---\ntitle: Doctors picket\ndate: 2026-11-12\nsource:\n  name: Union Advocate\n"
                                   "  url: https://www.stpaulunionadvocate.org/2026/11/12/picket/\n---\nThey picketed.\n",
        "content/alerts/sign.md": "---\ntitle: Sign the petition\nlink: /news/repost/\nstarts: 2026-11-01\n---\n"
                                  "Read [the story](/news/repost/) and [sign here](https://actionnetwork.org/petitions/x) "
                                  "& tell [a coworker](https://example.org/local9/).\n",
    }, config="title: T\nbase_url: https://example.org/local9/\ntimezone: America/Chicago\n")
    assert newsletter(root).code == 0
    html, text, _ = read(root)
    links = set(Links(html).links)
    assert {"https://www.stpaulunionadvocate.org/2026/11/12/picket/", "https://actionnetwork.org/petitions/x",
            "https://example.org/local9/news/repost/"} <= links
    assert links == set(URL_IN_TEXT.findall(text)) | {"*|UNSUB|*"}
    assert "Read the story <https://example.org/local9/news/repost/> and sign here " \
           "<https://actionnetwork.org/petitions/x> & tell a coworker <https://example.org/local9/>." in text
    assert "first published by Union Advocate: https://www.stpaulunionadvocate.org/2026/11/12/picket/" in text


def test_no_posts_no_calendar_no_alerts(scratch, newsletter):
    root = scratch()
    run = newsletter(root)
    assert run.code == 0 and "0 new posts, 0 alerts, 0 events" in run.out
    html, text, msg = read(root)
    assert "No new posts since Mon, Oct 19, 2026." in text and "No new posts since Mon, Oct 19, 2026." in html
    assert "THE NEXT" not in text and "OFFICE CLOSED" not in text
    assert set(Links(html).links) == set(URL_IN_TEXT.findall(text)) | {"*|UNSUB|*"}


def test_an_enormous_site_lists_max_posts_and_counts_the_rest(tmp_path):
    from site_builder.bench import make_site
    from tests.bounded import run_bounded

    root = make_site(tmp_path / "big", 3000)
    done = run_bounded(["newsletter", "--config", str(root / "config.yaml"), "--since", "1990-01-01"], cwd=root)
    assert done.finished and done.code == 0, done.err
    assert "20 new posts (and 2980 more, counted)" in done.out
    html = (root / "newsletter/newsletter.html").read_text(encoding="utf-8")
    assert "2980 more new posts on the website" in html and len(html) < 60_000


def test_subject_non_ascii_long_and_folded(scratch, newsletter):
    name = "Sección Local 12 — Ñandú Trabajadores Unidos de la Salud y los Servicios del Gran Minnesota y Alrededores"
    root = scratch({"content/posts/a.md": "---\ntitle: Ünïcödé ✊ news\ndate: 2026-11-10\n---\nSí.\n"},
                   config=f'title: "{name}"\nbase_url: https://example.org/\ntimezone: America/Chicago\n')
    assert newsletter(root).code == 0
    raw = (root / "newsletter/newsletter.eml").read_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))  # folded, as RFC 5322 wants
    assert max(raw) < 128  # headers encoded, bodies quoted-printable: 7-bit clean
    msg = parse(raw)
    assert msg["Subject"] == f"{name} news, Nov 18, 2026"
    assert "* Ünïcödé ✊ news" in parts(msg)[0]


@pytest.mark.parametrize("title", ['"A\\r\\nBcc: evil@example.org"', '"A\\nBcc: evil@example.org"'])
def test_a_line_break_in_the_site_name_cannot_add_a_header(scratch, newsletter, title):
    root = scratch(config=f"title: {title}\nbase_url: https://example.org/\ntimezone: America/Chicago\n")
    run = newsletter(root)
    assert run.code == 1 and "config.yaml:1: title: must be one line of text (no line breaks)" in run.err
    assert not (root / "newsletter").exists()


@pytest.mark.parametrize("title", ['"A\\u2028Bcc: evil@example.org"', '"A\\x85Bcc: evil@example.org"',
                                   '"A\\tBcc:\\u2029evil@example.org"'])
def test_other_line_separators_in_the_site_name_become_spaces(scratch, newsletter, title):
    root = scratch(config=f"title: {title}\nbase_url: https://example.org/\ntimezone: America/Chicago\n")
    assert newsletter(root).code == 0
    msg = parse((root / "newsletter/newsletter.eml").read_bytes())
    assert sorted(msg.keys()) == ["Content-Type", "Date", "From", "MIME-Version", "Message-ID", "Subject"]
    assert msg["Bcc"] is None and re.fullmatch(r"A ?Bcc: ?evil@example\.org news, Nov 18, 2026", msg["Subject"])


@pytest.mark.parametrize("where, words", [
    ("content", "(the site's content)"),
    ("content/newsletter", "(the site's content)"),
    ("static", "(the site's static files)"),
    ("templates", "(the site's templates)"),
    (".cache", "(the build cache)"),
    ("output", "(the site's output folder, replaced by every build)"),
    ("output/newsletter", "(the site's output folder, replaced by every build)"),
    (".", "would replace"),
    ("..", "would replace"),
])
def test_output_that_would_touch_the_site_is_refused(scratch, newsletter, where, words):
    root = scratch({**POSTS, "templates/x.html": "x"})
    (root / "output").mkdir()
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    run = newsletter(root, "--output", str(root / where))
    assert run.code == 1 and "config.yaml:1: --output: " in run.err and words in run.err, run.err
    assert "choose a folder of its own such as newsletter/" in run.err
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_output_through_a_link_into_content_is_refused(scratch, newsletter, tmp_path):
    root = scratch(POSTS)
    (tmp_path / "sneaky").symlink_to(root / "content")
    run = newsletter(root, "--output", str(tmp_path / "sneaky"))
    assert run.code == 1 and "(the site's content)" in run.err


def test_output_that_is_a_file_is_refused(scratch, newsletter, tmp_path):
    root = scratch(POSTS)
    (tmp_path / "a-file").write_text("mine")
    run = newsletter(root, "--output", str(tmp_path / "a-file"))
    assert run.code == 1 and "exists and is not a folder" in run.err and "Traceback" not in run.err
    assert (tmp_path / "a-file").read_text() == "mine"
    run = newsletter(root, "--output", str(tmp_path / "a-file" / "inside"))
    assert run.code == 1 and "Not a directory" in run.err and "Traceback" not in run.err


def test_other_files_in_the_output_folder_are_left_alone(scratch, newsletter, tmp_path):
    root = scratch(POSTS)
    out = tmp_path / "issues"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    run = newsletter(root, "--output", str(out))  # a folder the newsletter did not make: refused, as build refuses it
    assert run.code == 1 and f"error: --output {out} holds files that site-builder did not write (notes.txt)" in run.err
    assert newsletter(root, "--output", str(out), "--force").code == 0
    assert sorted(p.name for p in out.iterdir()) == ["newsletter.eml", "newsletter.html", "newsletter.txt", "notes.txt"]
    assert (out / "notes.txt").read_text() == "mine"
    assert newsletter(root, "--output", str(out)).code == 1  # (still not a folder of its own: no marker was left)


def test_a_folder_holding_your_own_newsletter_html_is_refused_and_kept(scratch, newsletter, tmp_path):
    root = scratch(POSTS)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "newsletter.html").write_text("<p>My own letter, written by hand.</p>")
    run = newsletter(root, "--since", "2026-11-01", "--output", str(out))
    assert run.code == 1 and "Traceback" not in run.err
    assert run.err == (f"error: --output {out} holds files that site-builder did not write (newsletter.html), and "
                       "the newsletter writes newsletter.html, newsletter.txt and newsletter.eml into it. Choose a new "
                       "or empty folder (--output), empty this one, or pass --force to write into it anyway.\n")
    assert _files(out) == {"newsletter.html": b"<p>My own letter, written by hand.</p>"}
    assert not (root / ".cache/newsletter.json").exists()  # (the issue was not made: the next starts where this would)
    assert newsletter(root, "--since", "2026-11-01", "--output", str(out), "--force").code == 0
    assert "Tenth at six" in (out / "newsletter.html").read_text(encoding="utf-8")


def test_the_folder_it_made_is_written_again_and_one_an_older_version_made_too(scratch, newsletter, tmp_path):
    root = scratch(POSTS)
    assert newsletter(root, "--since", "2026-11-01").code == 0
    assert newsletter(root, "--since", "2026-11-02").code == 0  # its own folder (the marker it wrote)
    assert titles(read(root)[1]) == ["Tenth at six"]
    older = tmp_path / "older"
    shutil.copytree(root / "newsletter", older)
    (older / ".site-builder").unlink()  # what a version before the marker left: the three files alone
    assert newsletter(root, "--since", "2026-11-01", "--output", str(older)).code == 0
    assert titles((older / "newsletter.txt").read_text(encoding="utf-8")) == ["Tenth at six", "November first"]
    (older / ".site-builder").unlink()
    (older / "newsletter.eml").write_text("From: me\n\nmy own mail\n")  # the three names, but not its files
    assert newsletter(root, "--output", str(older)).code == 1
    assert (older / "newsletter.eml").read_text() == "From: me\n\nmy own mail\n"


def test_an_enormous_since_is_quoted_cut_to_60_characters(scratch, newsletter):
    root = scratch(POSTS)
    since = "1" * 5000
    run = newsletter(root, "--since", since)
    assert run.code == 1 and len(run.err.splitlines()) == 1 and len(run.err) < 200, len(run.err)
    assert run.err.startswith(f"error: --since '{'1' * 60}…' is not a date: write it as YYYY-MM-DD"), run.err


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_read_only_or_full_output_keeps_the_last_issue_whole(scratch, newsletter, tmp_path):
    root = scratch(POSTS)
    disk = tmp_path / "disk"
    with small_tmpfs(disk, "64k") as mounted:
        assert mounted, "the break-it tests mount a tmpfs (they run as root in CI)"
        out = disk / "issue"
        assert newsletter(root, "--since", "2026-11-01", "--output", str(out)).code == 0
        before = _files(out)
        # a full disk: the new issue is far larger than the 64 KiB left
        (root / "content/posts/huge.md").write_text("---\ntitle: Huge\ndate: 2026-11-11\nsummary: "
                                                    + "Solidarity " * 6000 + "\n---\nx\n")
        run = newsletter(root, "--since", "2026-11-01", "--output", str(out))
        assert run.code == 1 and "No space left on device" in run.err and "Traceback" not in run.err
        assert _files(out) == before  # no temporary left, no file half-written
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        run = newsletter(root, "--since", "2026-11-01", "--output", str(out))
        assert run.code == 1 and "Read-only file system" in run.err and "Traceback" not in run.err
        assert _files(out) == before


# --- in a browser: the screenshots in docs/ -------------------------------------------------
def test_chromium_draws_it_within_375_and_600_px(tmp_path, browser):
    """Chromium at a phone's width and at the email's full width: nothing wider than the window, the
    column at most 600 px.  The screenshots land in test-artifacts/screenshots/; docs/screenshots/
    holds copies of them (docs/newsletter.md and the README show them), as for the site's pages."""
    root = copy_sample(tmp_path / "site")
    assert main_at_epoch(["newsletter", "--config", str(root / "config.yaml"), "--since", "2026-05-01"]) == 0
    page_url = (root / "newsletter/newsletter.html").as_uri()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, name in ((375, "newsletter-phone.png"), (600, "newsletter-desktop.png")):
        context = browser.new_context(viewport={"width": width, "height": 800}, java_script_enabled=True)
        try:
            page = context.new_page()
            page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:")
                       else route.continue_())  # an email loads nothing from elsewhere
            page.goto(page_url, wait_until="load")
            sizes = page.evaluate("""() => ({scroll: document.documentElement.scrollWidth,
                frame: document.querySelector('table.frame').getBoundingClientRect().width,
                heading: getComputedStyle(document.querySelector('td.head')).backgroundColor,
                posts: document.querySelectorAll('td.cell h3 a[href^="https://example.org/news/"]').length})""")
            assert sizes["scroll"] <= width
            assert sizes["frame"] == min(width, 600)
            assert sizes["heading"] == "rgb(107, 29, 122)"  # theme.primary_color #6b1d7a
            assert sizes["posts"] == 2  # May 3 and Nov 10 (the July picket call has ended: expires)
            page.screenshot(path=str(SHOTS / name), full_page=True)
        finally:
            context.close()



def test_the_docs_and_readme_show_the_two_screenshots():
    import struct

    for name, width in (("newsletter-phone.png", 375), ("newsletter-desktop.png", 600)):
        data = (DOC_SHOTS / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">I", data[16:20])[0] == width
        assert f"(docs/screenshots/{name})" in (REPO / "README.md").read_text()
        assert f"(screenshots/{name})" in (REPO / "docs/newsletter.md").read_text()


# --- docs and --help ------------------------------------------------------------------------
def test_the_docs_example_config_makes_an_issue(scratch, newsletter):
    from tests.test_docs import doc_files

    files = doc_files("newsletter.md")
    assert set(files) == {"config.yaml"}
    root = scratch(POSTS, config=files["config.yaml"])
    run = newsletter(root)
    assert run.code == 0 and run.err == "", run.err
    _, text, msg = read(root)
    assert msg["Subject"] == "Local 12 News, Nov 18, 2026"
    assert msg["From"].addresses[0].addr_spec == "news@local12.org"
    assert "https://news.local12.org/news/nov10/" in text and text.endswith("Unsubscribe: *|UNSUB|*\n")


def test_help_names_every_option(capsys):
    run = run_cli(["newsletter", "--help"], capsys)
    assert run.code == 0
    for words in ("--since DATE", "--output", "--config", ".cache/newsletter.json", "30 days", "newsletter/",
                  "Action Network", "Mailchimp"):
        assert words in run.out, words


def test_bad_newsletter_settings_are_refused_at_their_line(scratch, newsletter):
    root = scratch(config="title: T\nbase_url: https://example.org/\nnewsletter:\n  sender: not-an-address\n"
                          "  unsubscribe: 'javascript:alert(1)'\n  days_ahead: 0\n  colour: red\n")
    run = newsletter(root)
    assert run.code == 1
    assert "config.yaml:4: newsletter.sender: must be an email address such as news@local12.org" in run.err
    assert "config.yaml:5: newsletter.unsubscribe: 'javascript:alert(1)' is refused" in run.err
    assert "config.yaml:6: newsletter.days_ahead: must be greater than 0" in run.err
    assert "config.yaml:7: newsletter.colour: warning: unknown key (ignored)" in run.err
    # it is not a build: the last line says what did not happen to the newsletter
    assert "Build failed" not in run.err and "output left as it was" not in run.err
    assert run.err.splitlines()[-1] == ("Newsletter not written: 3 problems; the files of the last issue are left "
                                        "as they were.")


def test_a_sender_with_accents_is_a_valid_address_or_a_message(scratch, newsletter):
    """An accented domain is written the way mail writes it (xn--), in From: and the Message-ID;
    accents before the @ cannot be written in a header: a message at the line, never a traceback
    or an encoded word inside the address."""
    base = "title: Sección Sindical\nbase_url: https://example.org/\ntimezone: America/Chicago\n"
    root = scratch(POSTS, config=base + "newsletter:\n  sender: 'noticias@sindicato-ñandú.org'\n")
    run = newsletter(root)
    assert run.code == 0, run.err
    msg = read(root)[2]
    assert msg["From"].addresses[0].addr_spec == "noticias@xn--sindicato-and-rkb2l.org"
    assert msg["From"].addresses[0].display_name == "Sección Sindical news"
    assert msg["Message-ID"].endswith("@xn--sindicato-and-rkb2l.org>")
    root = scratch(POSTS, config=base + "newsletter:\n  sender: 'ñews@local12.org'\n")
    run = newsletter(root)
    assert run.code == 1 and "Traceback" not in run.err
    assert "config.yaml:5: newsletter.sender: before the @, only letters a-z" in run.err
    root = scratch(POSTS, config=base + "contact:\n  email: 'oficina.ñ@local12.org'\n")
    run = newsletter(root)
    assert run.code == 1 and "Traceback" not in run.err
    assert "contact.email: 'oficina.ñ@local12.org' cannot be an email's sender" in run.err
    assert read(root)[2]["From"].addresses[0].username == "noticias"  # (the first issue's files stay as they were)


@pytest.mark.parametrize("last, listed", [("2026-11-18 23:30", True), ("2026-11-19 00:30", False)])
def test_the_days_ahead_are_days_of_the_site_clock_across_a_dst_change(scratch, newsletter, last, listed):
    """From midnight on Oct 20 (CDT), 30 days ahead end at midnight starting Nov 19 (CST): a late
    meeting on Nov 18 is in the issue although the clocks went back an hour on Nov 1."""
    events = ("events:\n  - id: first\n    title: First night\n    start: 2026-10-20 23:00\n    end: '23:45'\n"
              f"  - id: last\n    title: Last night\n    start: {last}\n    end: '23:59'\n")
    root = scratch({"content/calendar/events.yaml": events})
    run = newsletter(root, epoch="1792472400")  # 2026-10-20 00:00 in Chicago (CDT, -05:00)
    assert run.code == 0, run.err
    text = read(root)[1]
    assert "First night" in text
    assert ("Last night" in text) is listed


def test_relative_links_of_an_alert_become_full_addresses(scratch, newsletter):
    """A mail program has no page to read `events/` or `#sign` from: an alert's relative links are
    read as the home page (where alerts are shown) reads them, under base_url's subpath."""
    alert = ("---\ntitle: Sign on\nlink: events/\nlink_text: Come\nstarts: 2026-11-01\nexpires: 2026-12-31\n---\n"
             "Read [the letter](letter.pdf?v=1&amp;x=2), [below](#sign), [about](../about/) and [x](//other.org/x).\n")
    root = scratch({"content/alerts/sign.md": alert},
                   config="title: T\nbase_url: https://example.org/local9/\ntimezone: America/Chicago\n")
    run = newsletter(root)
    assert run.code == 0, run.err
    html, text, _ = read(root)
    links = [u for u in Links(html).links if u != "*|UNSUB|*"]
    assert all(u.startswith(("https://", "mailto:")) for u in links), links
    for url in ("https://example.org/local9/events/", "https://example.org/local9/letter.pdf?v=1&x=2",
                "https://example.org/local9/#sign", "https://example.org/about/", "https://other.org/x"):
        assert url in links and url in text, url


def test_a_title_a_mail_program_would_decode_is_a_message(scratch, newsletter):
    """'=?utf-8?q?hi?=' in the subject is read by mail programs (and Python's email) as an encoded
    word: the subject would say 'hi'.  Refused, with nothing written."""
    root = scratch(POSTS, config="title: T\nbase_url: https://example.org/\n"
                                 "newsletter:\n  title: 'Local =?utf-8?q?hi?='\n")
    run = newsletter(root)
    assert run.code == 1 and "Traceback" not in run.err and not (root / "newsletter").exists()
    assert "config.yaml: newsletter.title: 'Local =?utf-8?q?hi?=' contains '=?'" in run.err


def test_a_translation_with_an_ampersand_is_text_in_both_parts(scratch, newsletter):
    """A non-English default language: the .html part escapes the translation once, the .txt
    part (no escaping) shows it as written, never `&amp;`."""
    catalog = ('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
               'msgid "No new posts since %(date)s."\nmsgstr "Nada nuevo & nada <b>viejo</b> desde el %(date)s."\n')
    root = scratch({"locale/es.po": catalog})
    config = root / "config.yaml"
    config.write_text(config.read_text() + "language: es\n")
    run = newsletter(root)
    assert run.code == 0, run.err
    html, text, _ = read(root)
    assert "Nada nuevo & nada <b>viejo</b> desde el " in text and "&amp;" not in text
    assert "Nada nuevo &amp; nada &lt;b&gt;viejo&lt;/b&gt; desde el " in html
