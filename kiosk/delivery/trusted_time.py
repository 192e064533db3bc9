"""Trusted time: the moment a display judges a feed's expiry (and a key's) by. The local clock,
floored by this software's date and the installed feed's signed issue time, and moved forward by
the server's unsigned Date only while the local clock is clearly behind that floor."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from kiosk.delivery.manifest import CLOCK_SLACK, LATEST_MOMENT, SOFTWARE_DATE
from kiosk.delivery.store import Installed, Store
from kiosk.delivery.sync_state import SYNC_FIELDS, read_state


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _plus(moment: datetime, seconds: float) -> datetime:
    """moment + seconds, kept within what a display can meet (no OverflowError near year 9999)."""
    try:
        return min(max(moment + timedelta(seconds=seconds), SOFTWARE_DATE), LATEST_MOMENT)
    except OverflowError:
        return LATEST_MOMENT if seconds > 0 else SOFTWARE_DATE


def trusted_now(state_dir: Path, clock: Callable[[], datetime] = utc_now) -> datetime:
    """Now, as the display judges expiry by (see trusted_time)."""
    return trusted_rule(state_dir)(clock())


def trusted_rule(state_dir: Path) -> Callable[[datetime], datetime]:
    """Trusted time as a function of the local clock (UTC), the state folder read once: the running
    display's clock applies it at every reading without touching the disk."""
    store = Store(state_dir)
    state, installed = read_state(store.sync_file, SYNC_FIELDS), store.installed()
    return lambda local: trusted_time(state, installed, lambda: local)


def time_floor(installed: Installed | None) -> datetime:
    return max(SOFTWARE_DATE, installed.manifest.issued) if installed else SOFTWARE_DATE


def trusted_time(state: dict, installed: Installed | None, clock: Callable[[], datetime]) -> datetime:
    """The local clock, never before this software's date nor the installed feed's signed issue
    time; moved forward by the server's (unsigned) Date only when the local clock is clearly behind
    one of those. Date never moves time back, so it can never make an expired feed acceptable."""
    local, floor = clock(), time_floor(installed)
    now = max(local, floor)
    offset = state.get("clock_offset") or 0
    if local < floor - CLOCK_SLACK and offset > 0:
        now = max(now, _plus(local, offset))
    return now
