"""Is the display app (and its sync thread) alive? Each writes a heartbeat file in the state folder;
`kiosk health` reads them. Liveness is the app's one timer for its heartbeat and systemd's watchdog:

    live = Liveness(settings.state_path(), SystemdNotifier())
    Clock.schedule_interval(lambda dt: live.tick(), live.interval)   # watchdog ping + heartbeat
    live.ready()        # once, when the first slide is on screen: systemd's Type=notify start is done
    live.stopping()     # in on_stop, before a clean exit"""

from __future__ import annotations

import logging
import math
import os
import time
from pathlib import Path

from kiosk.delivery.store import read_small
from kiosk.ops.systemd import SystemdNotifier
from kiosk.words import os_error_text

log = logging.getLogger(__name__)

HEARTBEAT_FILE = "heartbeat"
SYNC_HEARTBEAT_FILE = "sync-heartbeat"  # the app's sync thread: `BOOT_ID SECONDS PID DUE`, DUE the seconds
# within which it beats again (its wait, or a cycle's allowance); past that, the thread has stopped
HEARTBEAT_EVERY = 60.0  # seconds between beats the app writes
HEARTBEAT_STALE = 180.0  # no beat for this long: the app is stopped or frozen


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "-"


def _boot_seconds() -> float:
    """Seconds since boot, unmoved by the wall clock (a board without a battery clock jumps by months
    when NTP first answers; a heartbeat judged by file times would then look stale)."""
    return time.clock_gettime(time.CLOCK_BOOTTIME) if hasattr(time, "CLOCK_BOOTTIME") else time.monotonic()


class Heartbeat:
    """STATE/heartbeat: one line `BOOT_ID SECONDS_SINCE_BOOT PID`, rewritten in place (never
    through a link). With `due`, a fourth field: the seconds within which the next beat comes.

    beat() writes at most once per `every` seconds (so it may be called from a faster timer) and
    never raises: a full or read-only disk is logged once and the display carries on."""

    def __init__(self, state_dir: Path, every: float = HEARTBEAT_EVERY, name: str = HEARTBEAT_FILE):
        self.path = Path(state_dir) / name
        self.every = every
        self._last: float | None = None
        self._failing = False

    def beat(self, force: bool = False, due: float | None = None) -> bool:
        now = time.monotonic()
        if not force and self._last is not None and now - self._last < self.every:
            return False
        line = f"{_boot_id()} {_boot_seconds():.1f} {os.getpid()}{f' {due:.0f}' if due is not None else ''}\n".encode()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
            try:
                os.write(fd, line)
                os.ftruncate(fd, len(line))
            finally:
                os.close(fd)
        except OSError as error:
            if not self._failing:
                log.warning("không ghi được nhịp tim %s: %s", self.path, os_error_text(error))
            self._failing = True
            return False
        if self._failing:
            log.info("ghi được nhịp tim %s trở lại", self.path)
            self._failing = False
        self._last = now
        return True


def _read_beat(path: Path) -> tuple[float, list[str]] | None:
    """(seconds since the beat, the line's fields), or None when there is no beat file (or a link)."""
    try:
        text = read_small(path, 4096).decode("ascii", errors="replace")
        mtime = os.lstat(path).st_mtime
    except OSError:
        return None
    parts = text.split()
    if len(parts) >= 2 and parts[0] == _boot_id():
        try:
            return max(0.0, _boot_seconds() - float(parts[1])), parts
        except ValueError:
            pass
    return max(0.0, time.time() - mtime), parts  # another boot (or a torn line): the file's time says it


def heartbeat_age(state_dir: Path) -> float | None:
    """Seconds since the app's last beat, or None when it never beat here."""
    beat = _read_beat(Path(state_dir) / HEARTBEAT_FILE)
    return beat[0] if beat else None


def sync_overdue(state_dir: Path) -> float | None:
    """Seconds past the moment the app's sync thread said it would beat again (negative: not yet);
    None when it never beat here. A line without its DUE field counts as due at once."""
    beat = _read_beat(Path(state_dir) / SYNC_HEARTBEAT_FILE)
    if beat is None:
        return None
    age, parts = beat
    try:
        due = float(parts[3]) if len(parts) >= 4 else 0.0
    except ValueError:
        due = 0.0
    return age - (due if math.isfinite(due) else 0.0)


class Liveness:
    """Everything the app does for its watchdog and heartbeat, from one timer (see the module doc)."""

    def __init__(self, state_dir: Path, notifier: SystemdNotifier):
        self.notifier = notifier
        self.heartbeat = Heartbeat(state_dir)
        self.interval = self.notifier.ping_interval

    def ready(self, status: str | None = None) -> None:
        self.heartbeat.beat(force=True)
        self.notifier.ready(status)

    def tick(self) -> None:
        self.notifier.watchdog()
        self.heartbeat.beat()

    def stopping(self) -> None:
        self.notifier.stopping()
