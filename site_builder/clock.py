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
