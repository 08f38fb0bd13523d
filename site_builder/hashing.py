"""The one content hash of the project (cache keys, page memo, stat index): no imports of its own,
so every layer may use it."""

from __future__ import annotations

import hashlib


def digest(*parts: str | bytes) -> str:
    """blake2b of the parts, each followed by a NUL byte."""
    if parts:
        try:  # the common case, all text: one string, one call (the same bytes hashed)
            text = "\x00".join(parts)
        except TypeError:  # (some bytes)
            pass
        else:
            return hashlib.blake2b((text + "\x00").encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
