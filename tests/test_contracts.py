"""Contracts (content/contracts.yaml) and attached files (docs/contracts.md), read through real
clients: the built HTML, feedparser for RSS, icalendar + recurring-ical-events for the .ics feed."""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import icalendar
import recurring_ical_events

from tests.conftest import EPOCH, REPO, post
from tests.test_docs import doc_files

BUILT = datetime.fromtimestamp(int(EPOCH), timezone.utc)
CONFIG = """
title: Test Local
base_url: https://example.org/
timezone: America/Chicago
tags:
  - {slug: acme, name: Acme Clinics, kind: employer}
  - {slug: beta, name: Beta Health, kind: employer}
  - {slug: news, name: General news}
"""
PDF = b"%PDF-1.4\n% a test file\n%%EOF\n"


def contract(ident: str = "acme-2024", **fields) -> str:
    values = {"employer": "acme", "unit": "Clerical workers", "effective": "2024-01-01", "expires": "2027-12-31",
              "document": "/contracts/acme.pdf", **fields}
    lines = [f"  - id: {ident}"] + [f"    {k}: {v}" for k, v in values.items() if v is not None]
    return "\n".join(lines) + "\n"


def site(scratch, *entries: str, files: dict | None = None) -> Path:
    root = scratch({"content/contracts.yaml": "contracts:\n" + "".join(entries), "content/posts/a.md": post(),
                    **(files or {})}, config=CONFIG)
    (root / "static/contracts").mkdir(parents=True, exist_ok=True)
    (root / "static/contracts/acme.pdf").write_bytes(PDF)
    return root


class _Text(HTMLParser):
    """The text of the elements matching a class, and every href."""

    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "href" in attrs:
            self.hrefs.append(attrs["href"])
        if "id" in attrs:
            self.ids.append(attrs["id"])


def parsed(path: Path) -> _Text:
    p = _Text()
    p.feed(path.read_text())
    return p


def human(size: int) -> str:
    """The size as a reader is told it, worked out here: bytes below 1 KB, whole KB below 1 MB."""
    return f"{size} bytes" if size < 1024 else f"{round(size / 1024)} KB" if size < 1024 ** 2 else \
        f"{size / 1024 ** 2:.1f} MB"


# -- the sample site ------------------------------------------------------------------------
def test_contracts_page_groups_by_employer_in_config_order_with_dates_status_and_document(sample_output):
    page = (sample_output / "contracts/index.html").read_text()
    headings = re.findall(r'<h2 id="employer-([a-z-]+)-heading">', page)
    assert headings == ["healthpartners", "kaiser", "allina"]  # config.yaml's tags: order
    hp = page[page.index('id="employer-healthpartners"'):page.index('id="employer-kaiser"')]
    assert hp.index("healthpartners-clerical-2020") < hp.index("healthpartners-clerical-2017")  # newest first
    assert '<time datetime="2020-11-30">Nov 30, 2020</time>' in hp and "Status:</strong> Expired" in hp
    pdf = REPO / "static/contracts/healthpartners-clerical-2020.pdf"
    assert f"(PDF, {human(pdf.stat().st_size)})" in hp
    assert 'hreflang="es"' in hp and "Español" in hp
    # every document link is a file of the build, byte for byte the one in static/
    for href in parsed(sample_output / "contracts/index.html").hrefs:
        if href.endswith(".pdf"):
            assert (sample_output / href.lstrip("/")).read_bytes() == (REPO / "static" / href.lstrip("/")).read_bytes()
    allina = page[page.index('id="employer-allina"'):]
    assert "In bargaining" in allina and "first contract" in allina and ".pdf" not in allina.split("</section>")[0]


def test_days_until_expiry_are_counted_from_the_build_date_in_the_site_zone(sample_output):
    page = (sample_output / "contracts/index.html").read_text()
    built_day = BUILT.astimezone(__import__("zoneinfo").ZoneInfo("America/Chicago")).date()
    days = (date(2027, 1, 31) - built_day).days
    assert f">Expires in {days} days</span>" in page
    assert re.search(r'data-live-days="2027-01-31" data-live-zone="America/Chicago"', page)


def test_employer_tag_page_lists_its_contracts(sample_output):
    page = (sample_output / "tags/kaiser/index.html").read_text()
    assert 'id="tag-contracts"' in page and 'id="contract-kaiser-coalition-national"' in page
    assert "healthpartners-clerical" not in page
    assert "/js/live.js" in page  # the count stays right there too


def test_home_page_notice_for_the_contract_within_120_days(sample_output):
    home = (sample_output / "index.html").read_text()
    section = home[home.index('class="contracts-expiring"'):].split("</section>")[0]
    assert "kaiser-coalition-national" in section and "healthpartners" not in section  # HealthPartners' ended
    assert "hidden" not in section.split(">")[0]


def test_contracts_page_is_in_the_sitemap_the_menu_and_the_search_index(sample_output):
    assert "<loc>https://example.org/contracts/</loc>" in (sample_output / "sitemap.xml").read_text()
    home = (sample_output / "index.html").read_text()
    assert '<a href="/contracts/">Contracts</a>' in home
    assert "data-pagefind-body" in (sample_output / "contracts/index.html").read_text()
    indexed = [p for p in (sample_output / "pagefind").rglob("*.pf_fragment")]
    assert indexed  # Pagefind ran; the page's words are found by tests/test_contracts_browser.py


def test_contracts_ics_has_each_expiry_as_an_all_day_item_with_a_stable_uid(sample_output):
    cal = icalendar.Calendar.from_ical((sample_output / "calendar/contracts.ics").read_bytes())
    items = recurring_ical_events.of(cal).between(date(2020, 1, 1), date(2028, 1, 1))
    got = sorted((c["DTSTART"].dt, str(c["UID"])) for c in items)
    assert got == [(date(2020, 11, 30), "contract-healthpartners-clerical-2017@example.org"),
                   (date(2025, 11, 30), "contract-healthpartners-clerical-2020@example.org"),
                   (date(2027, 1, 31), "contract-kaiser-coalition-national@example.org")]
    for c in items:
        assert not isinstance(c["DTSTART"].dt, datetime)  # all-day
        assert c["DTEND"].dt - c["DTSTART"].dt == timedelta(days=1)


def test_rss_item_has_the_first_attachment_as_enclosure_and_links_every_file(sample_output):
    feed = feedparser.parse((sample_output / "feed.xml").read_bytes())
    entry = next(e for e in feed.entries if e.link.endswith("/news/healthpartners-contract-extension-vote/"))
    pdf = REPO / "content/posts/healthpartners-contract-extension-vote-letter.pdf"
    url = "https://example.org/news/healthpartners-contract-extension-vote/healthpartners-contract-extension-vote-letter.pdf"
    assert [(e.href, int(e.length), e.type) for e in entry.enclosures] == [(url, pdf.stat().st_size, "application/pdf")]
    assert f'href="{url}"' in entry.content[0].value
    page = sample_output / "news/healthpartners-contract-extension-vote/index.html"
    assert f"(PDF, {human(pdf.stat().st_size)})" in page.read_text()
    assert (sample_output / url.split("example.org/")[1]).read_bytes() == pdf.read_bytes()


# -- the documented example ------------------------------------------------------------------
def test_docs_example_builds_strictly(scratch, build):
    files = doc_files("contracts.md")
    assert set(files) == {"content/posts/extension-vote.md", "content/contracts.yaml", "config.yaml"}
    root = scratch({k: v for k, v in files.items() if k != "config.yaml"}, config=files["config.yaml"])
    (root / "content/posts/extension-letter.pdf").write_bytes(PDF)
    for name in ("files/comparison-sheet.pdf", "contracts/healthpartners-clerical-2020.pdf",
                 "contracts/healthpartners-clerical-2020-es.pdf"):
        (root / "static" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "static" / name).write_bytes(PDF)
    run = build(root, "--strict")
    assert run.code == 0, run.err
    out = root / "output"
    assert (out / "news/extension-vote/extension-letter.pdf").read_bytes() == PDF
    assert (out / "files/comparison-sheet.pdf").is_file()
    assert "Side-by-side comparison" in (out / "news/extension-vote/index.html").read_text()
    assert "contract-allina-doctors-first-contract" in (out / "contracts/index.html").read_text()
    assert "contract-healthpartners-clerical-2020" in (out / "tags/healthpartners/index.html").read_text()


# -- UIDs stay when everything else changes -------------------------------------------------
def test_uid_is_stable_across_builds_and_edits(scratch, build, monkeypatch):
    root = site(scratch, contract())
    assert build(root).code == 0, "first build"
    first = icalendar.Calendar.from_ical((root / "output/calendar/contracts.ics").read_bytes())
    text = (root / "content/contracts.yaml").read_text().replace("Clerical workers", "Office staff")
    (root / "content/contracts.yaml").write_text(text.replace("2027-12-31", "2028-03-31"))
    later = str(int(EPOCH) + 40 * 86400)
    run = build(root, env={"SOURCE_DATE_EPOCH": later})
    assert run.code == 0, run.err
    second = icalendar.Calendar.from_ical((root / "output/calendar/contracts.ics").read_bytes())
    [a], [b] = first.walk("VEVENT"), second.walk("VEVENT")
    assert str(a["UID"]) == str(b["UID"]) == "contract-acme-2024@example.org"
    assert b["DTSTART"].dt == date(2028, 3, 31) and "Office staff" in str(b["SUMMARY"])


def test_a_document_whose_size_changes_is_shown_with_its_new_size_by_the_next_build(scratch, build):
    root = site(scratch, contract())
    assert build(root).code == 0
    (root / "static/contracts/acme.pdf").write_bytes(PDF + b"x" * 5000)
    assert build(root).code == 0
    assert f"(PDF, {human(len(PDF) + 5000)})" in (root / "output/contracts/index.html").read_text()


def test_a_translation_is_in_a_language_the_site_knows_and_labelled_with_its_name(scratch, build):
    languages = "\n      - {language: sw, document: /contracts/acme.pdf}\n      - {language: es-MX, document: /contracts/acme.pdf}"
    root = site(scratch, contract(languages=languages))
    run = build(root)  # sw: not a language of this one-language site, nor one the build names
    assert run.code == 1
    assert "content/contracts.yaml:9: contracts[\"acme-2024\"].languages[0].language: 'sw' is not a language the site knows" in run.err
    assert "languages[1]" not in run.err
    # a language of config.yaml `languages:` is named as it is there
    (root / "config.yaml").write_text(CONFIG + "language: en\nlanguages: {en: English, sw: Kiswahili}\n")
    run = build(root)
    assert run.code == 0, run.err
    page = (root / "output/contracts/index.html").read_text()
    links = re.findall(r'<a href="[^"]+" hreflang="([^"]+)" lang="[^"]+" type="application/pdf">([^<]+)</a>', page)
    assert links == [("sw", "Kiswahili"), ("es-MX", "Español")]


def test_no_contracts_file_means_no_contracts_page(scratch, build):
    root = scratch({"content/posts/a.md": post()})
    assert build(root).code == 0
    assert not (root / "output/contracts").exists()
    assert not (root / "output/calendar/contracts.ics").exists()


def test_the_editor_has_a_contracts_file_collection_and_file_widgets_for_attachments():
    from site_builder.cms import collections

    by_name = {c["name"]: c for c in collections()}
    [contracts_file] = by_name["contracts"]["files"]
    assert contracts_file["file"] == "content/contracts.yaml" and contracts_file["format"] == "yaml"
    employers, listing = contracts_file["fields"]  # (employers first: a contract names one of them)
    assert employers["name"] == "employers" and [f["name"] for f in employers["fields"]] == ["name", "status"]
    assert listing["widget"] == "list"
    fields = {f["name"]: f for f in listing["fields"]}
    assert fields["document"]["widget"] == "file"
    assert fields["bargaining_status"]["options"] == ["in force", "in bargaining", "tentative agreement", "expired"]
    assert {f["name"]: f["widget"] for f in fields["languages"]["fields"]} == {"language": "string", "document": "file"}
    for collection in ("posts", "pages"):
        [attachments] = [f for f in by_name[collection]["fields"] if f["name"] == "attachments"]
        assert attachments["widget"] == "list"
        assert {f["name"]: f["widget"] for f in attachments["fields"]} == {"file": "file", "title": "string"}


# --- employers listed in contracts.yaml (what the editor can add; issue 23) -----------------------------

def test_an_employer_listed_in_contracts_yaml_gets_its_topic_and_its_contracts(scratch, build):
    """A contract for an employer config.yaml does not know: listed under employers: in
    contracts.yaml (the editor writes that file, never config.yaml), it builds, with its topic page."""
    root = scratch({"content/contracts.yaml": "employers:\n  - name: UPS\n    status: Bargaining began in November\n"
                    "contracts:\n" + contract("ups-drivers", employer="UPS", unit="Package car drivers")
                    + contract("ups-inside", employer="ups", unit="Inside workers"),
                    "content/posts/a.md": post(tags=["ups"])}, config=CONFIG)
    (root / "static/contracts").mkdir(parents=True)
    (root / "static/contracts/acme.pdf").write_bytes(PDF)
    done = build(root, "--strict")
    assert done.code == 0, done.err
    topic = (root / "output/tags/ups/index.html").read_text()
    assert "<h1>UPS</h1>" in topic or ">UPS<" in topic
    assert "Package car drivers" in topic and "Inside workers" in topic and "Bargaining began in November" in topic
    listing = (root / "output/contracts/index.html").read_text()
    assert "Package car drivers" in listing and "UPS" in listing
    calendar = icalendar.Calendar.from_ical((root / "output/calendar/contracts.ics").read_bytes())
    assert sum("UPS" in str(c.get("SUMMARY")) for c in calendar.walk("VEVENT")) == 2


def test_employers_entries_are_checked_at_their_line(scratch, build):
    root = scratch({"content/contracts.yaml": "employers:\n  - name: UPS\n  - status: no name\n  - name: ups\n"
                    "  - name: Acme\n    colour: red\ncontracts:\n" + contract(employer="Nobody Inc")},
                   config=CONFIG)
    done = build(root)
    assert done.code == 1
    assert "content/contracts.yaml:3: employers[entry 2].name: is required (the employer's name, such as UPS)" in done.err
    assert 'content/contracts.yaml:4: employers[name="ups"].name: \'ups\' is already listed at content/contracts.yaml:2' in done.err
    assert 'content/contracts.yaml:6: employers[name="Acme"].colour: warning: unknown key (ignored)' in done.err
    assert ("'Nobody Inc' is not an employer of config.yaml tags: or of employers: above (employers: acme, beta, ups); "
            "add it under employers: (in the editor: Contracts, Employers)") in done.err
