"""The one content hash of the project (cache keys, page memo, stat index): no imports of its own,
so every layer may use it."""

from __future__ import annotations

import hashlib


def digest(*parts: str | bytes) -> str:
    """blake2b of the parts, each followed by a NUL byte."""
    if parts and all(type(part) is str for part in parts):  # the common case, in one call (same bytes hashed)
        return hashlib.blake2b(("\x00".join(parts) + "\x00").encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
