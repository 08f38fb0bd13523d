"""The content hash (hashing.digest) and the page memo's fingerprints (cache.Fingerprinter).

A page is reused when the fingerprint of its template context is unchanged, so a fingerprint
must change with any value it is made of, and never depend on where a value sits in memory or
on which shortcut computed it."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, timezone

from markupsafe import Markup

from site_builder.cache import Fingerprinter
from site_builder.hashing import digest
from site_builder.models import Post, Tag

WHEN = datetime(2026, 5, 1, 9, tzinfo=timezone.utc)


def post(slug: str, fingerprint: str = "", **changes) -> Post:
    return replace(Post(source=f"content/posts/{slug}.md", slug=slug, title=slug.title(), date=WHEN, body="Text.",
                        tags=("strike",), fingerprint=fingerprint), **changes)


def test_digest_hashes_each_part_and_a_nul_text_or_bytes_alike():
    expected = hashlib.blake2b(b"caf\xc3\xa9\x00b\x00", digest_size=20).hexdigest()
    assert digest("café", "b") == digest("café", b"b") == digest(b"caf\xc3\xa9", b"b") == expected
    assert digest(Markup("café"), "b") == expected  # a str subclass: its characters
    assert digest() == hashlib.blake2b(b"", digest_size=20).hexdigest()
    assert digest("") != digest() and digest("a", "b") != digest("ab") != digest("a\x00b")


def test_a_fingerprint_changes_with_every_field_and_item():
    f = Fingerprinter()
    base = post("a")
    seen = {f(base)}
    for change in ({"title": "Other"}, {"date": WHEN.replace(minute=1)}, {"tags": ("pay",)}, {"body": "Text!"},
                   {"draft": True}, {"summary": "Short."}):
        seen.add(Fingerprinter()(replace(base, **change)))
    assert len(seen) == 7
    assert f((base, post("b"))) != f((post("b"), base))  # order counts in a sequence
    assert f({"x": 1}) != f({"x": "1"}) and f({"x": 1}) == Fingerprinter()({"x": 1})
    assert f(frozenset({"a", "b"})) == Fingerprinter()(frozenset({"b", "a"}))
    assert f(Markup("<b>")) != f("<b>")  # markup and text are different values


def test_own_fingerprints_and_the_shortcut_for_their_class():
    """A value with its own fingerprint (a post read from a file) is known by it; one of the
    same class without one (made in memory) is hashed by its fields, also inside a sequence
    after a post of that class was seen."""
    f = Fingerprinter()
    read = post("a", fingerprint="abc123")
    assert f(read) == "abc123"
    assert f((read,)) == f([read])
    made = post("b")
    changed = replace(made, title="Changed")
    assert f((read, made)) != f((read, changed))
    assert f((read, made)) == Fingerprinter()((read, made))
    assert f(Tag(name="Strike", slug="strike", posts=(read, made))) != f(Tag(name="Strike", slug="strike",
                                                                            posts=(read, changed)))


def test_a_fingerprint_does_not_depend_on_memory_or_memo():
    """Equal values made separately, in another Fingerprinter or after others were memoised
    (ids reused), fingerprint alike."""
    f = Fingerprinter()
    for _ in range(50):
        f((post("x"), [1, 2]))  # short-lived objects: their ids come back
    assert f((post("x"), [1, 2])) == Fingerprinter()((post("x"), [1, 2]))
    assert f((post("x"), [1, 3])) != f((post("x"), [1, 2]))
