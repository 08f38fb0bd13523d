"""What the pages show about contracts (docs/contracts.md): /contracts/ grouped by employer, the
home page's notice from NOTICE_DAYS before an expiry, and the moments those change.

Days until an expiry are counted in the site's time zone from the build's date; the pages carry
the expiry date (`data-live-days`) so that theme/static/js/live.js counts again in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from site_builder.calendar.site import LIVE_DAYS
from site_builder.models import Contract

NOTICE_DAYS = 120  # the home page says a contract expires from this many days before its last day
HOME_NOTICES = 10  # at most this many (the soonest expiries; /contracts/ has them all)


@dataclass(frozen=True)
class EmployerContracts:
    slug: str
    name: str
    contracts: tuple[Contract, ...]


@dataclass(frozen=True)
class Notice:
    """A contract on the home page: shown from `starts` until `ends` (live.js: data-live-window)."""

    contract: Contract
    starts: datetime  # the start of the day NOTICE_DAYS before the last day
    ends: datetime  # the end of the last day
    hidden: bool  # built hidden: its notice starts after the build (within LIVE_DAYS)


def order(contract: Contract) -> tuple:
    """Newest first: by effective date (a first contract still in bargaining first), then id."""
    return (-(contract.effective or date.max).toordinal(), contract.id)


def by_employer(config, contracts: tuple[Contract, ...]) -> tuple[EmployerContracts, ...]:
    """Each employer with contracts, in the order of config.yaml's tags:, its contracts newest first."""
    groups: dict[str, list[Contract]] = {}
    for contract in contracts:
        groups.setdefault(contract.employer, []).append(contract)
    rank = {info.slug: i for i, info in enumerate(config.tags)}
    return tuple(EmployerContracts(slug, config.tag_info(slug).name or slug, tuple(sorted(items, key=order)))
                 for slug, items in sorted(groups.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


def last_moment(contract: Contract, tz) -> datetime | None:
    """The end of the expiry day (the next midnight), in the site's zone."""
    if contract.expires is None:
        return None
    return datetime.combine(contract.expires + timedelta(days=1), time.min, tzinfo=tz)


def notices(contracts: tuple[Contract, ...], now: datetime, tz) -> tuple[Notice, ...]:
    """The home page's contract notices: those in their NOTICE_DAYS before expiry now, and (built
    hidden) those whose notice starts within LIVE_DAYS; soonest expiry first, at most HOME_NOTICES
    (sorted by expiry is sorted by when the notice starts: a later one never pushes out a shown one)."""
    out = []
    for contract in contracts:
        ends = last_moment(contract, tz)
        if ends is None or ends <= now:
            continue
        starts = datetime.combine(contract.expires - timedelta(days=NOTICE_DAYS), time.min, tzinfo=tz)
        if starts <= now + timedelta(days=LIVE_DAYS):
            out.append(Notice(contract, starts, ends, hidden=starts > now))
    return tuple(sorted(out, key=lambda n: (n.contract.expires, n.contract.id))[:HOME_NOTICES])


def changes(contracts: tuple[Contract, ...], now: datetime, tz) -> list[datetime]:
    """The moments after `now` at which a home notice appears or disappears (build.stale_at)."""
    return [m for n in notices(contracts, now, tz) for m in (n.starts, n.ends) if m > now]
