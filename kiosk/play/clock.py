"""The display's sense of time: wall-clock time in the ward's time zone, as the display trusts it
(a clock behind is floored, kiosk.delivery.trusted_time), optionally fixed to a chosen moment
(preview) or running faster than real time (tests of the loop)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo


def system_utc() -> datetime:
    return datetime.now(timezone.utc)


class DisplayClock:
    """now() is naive local time in `zone`; real_seconds() turns feed seconds into real seconds
    (a test or a preview runs the clock from start_at, `speed` times as fast)."""

    def __init__(self, zone: ZoneInfo, start_at: datetime | None = None, speed: float = 1.0,
                 monotonic=time.monotonic, system: Callable[[], datetime] = system_utc):
        self.zone = zone
        self.speed = speed
        self._monotonic = monotonic
        self._system = system
        self._trusted: Callable[[datetime], datetime] = lambda local: local
        self._origin_real = monotonic()
        self._simulated = start_at is not None or speed != 1.0
        self._origin_wall = start_at or self._system_now()

    def trust(self, rule: Callable[[datetime], datetime]) -> None:
        """From now on the system clock is read through `rule` (UTC in, UTC out; trusted_rule): a
        board that boots with its clock behind shows no meeting that is over, no slide that ended."""
        self._trusted = rule

    def _system_now(self) -> datetime:
        return self._trusted(self._system()).astimezone(self.zone).replace(tzinfo=None)

    def now(self) -> datetime:
        if not self._simulated:
            return self._system_now()
        return self._origin_wall + timedelta(seconds=(self._monotonic() - self._origin_real) * self.speed)

    def monotonic(self) -> float:
        """Real seconds from an arbitrary start, never set back: what deadlines are measured in."""
        return self._monotonic()

    def real_seconds(self, feed_seconds: float) -> float:
        return feed_seconds / self.speed

    def real_seconds_until(self, moment: datetime) -> float:
        return max(0.0, (moment - self.now()).total_seconds() / self.speed)
