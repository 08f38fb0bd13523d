"""The one clock of a build: SOURCE_DATE_EPOCH when set, so builds are reproducible."""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from typing import Mapping

from site_builder.errors import ConfigError, Problem


def build_time(environ: Mapping[str, str] | None = None) -> datetime:
    env = os.environ if environ is None else environ
    raw = env.get("SOURCE_DATE_EPOCH", "").strip()
    if raw:
        try:
            return datetime.fromtimestamp(int(raw), tz=timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise ConfigError(
                [Problem("SOURCE_DATE_EPOCH", 1, "", f"must be a whole number of seconds since 1970, got {raw!r}")]
            ) from None
    return datetime.fromtimestamp(int(time.time()), tz=timezone.utc)


# File-system timestamps, for knowing a file or folder is unchanged without reading it (git's
# "racy" rule): a timestamp seen less than this long after it was set may be followed by another
# change within the filesystem's clock granularity (2 s on FAT) that leaves it as it is.
RACY_NS = 2_000_000_000


def settled(changed_ns: int, seen_ns: int) -> bool:
    """Was the timestamp `changed_ns` old enough when it was seen (at `seen_ns`, wall clock) that
    any later change must give a different timestamp?"""
    return changed_ns < seen_ns - RACY_NS
