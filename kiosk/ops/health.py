"""Is this display alive and its content fresh? For systemd, for `kiosk health/status/metrics`.

For the app (no Kivy here; the screens call these from their clock):

    live = Liveness(settings.state_path())
    Clock.schedule_interval(lambda dt: live.tick(), live.interval)   # watchdog ping + heartbeat
    live.ready()        # once, when the first slide is on screen: systemd's Type=notify start is done
    live.stopping()     # in on_stop, before a clean exit

or the pieces: `SystemdNotifier` (`notify_ready()`, `notify_watchdog()`) speaks systemd's notify
protocol without libsystemd, and is a no-op when NOTIFY_SOCKET is unset (a developer's window);
`Heartbeat(state_dir).beat()` refreshes STATE/heartbeat, which `kiosk health` reads.

Under the unit in deploy/ the app is a grandchild of the service's main process (the session script
execs xinit, which starts X and then the app), so the unit sets NotifyAccess=all and WATCHDOG_PID is
deliberately not compared with our own pid (libsystemd's sd_watchdog_enabled would say "not you").

Staleness warnings (`staleness_warnings`) and health problems are plain Vietnamese lines, one per
problem; the thresholds are the constants below."""

from __future__ import annotations

import errno
import logging
import math
import os
import shutil
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from kiosk.settings import DisplaySettings

log = logging.getLogger(__name__)

HEARTBEAT_FILE = "heartbeat"
SYNC_HEARTBEAT_FILE = "sync-heartbeat"  # the app's sync thread: `BOOT_ID SECONDS PID DUE`, DUE the seconds
# within which it beats again (its wait, or a cycle's allowance); past that, the thread has stopped
HEARTBEAT_EVERY = 60.0  # seconds between beats the app writes
HEARTBEAT_STALE = 180.0  # no beat for this long: the app is stopped or frozen
PING_DEFAULT = 15.0  # seconds between watchdog pings when systemd does not say (no WatchdogSec)
UNREACHABLE_HOURS = 6.0  # no good sync for this long: warn
CONTENT_MAX_DAYS = 30  # installed feed issued longer ago than this: warn that it may be stale
EXPIRY_WARN_DAYS = 14  # the shown feed expires within this many days: warn
DISK_MIN_FREE_BYTES = 300 * 1024 * 1024  # less free than this on the state folder's disk: warn ...
DISK_MIN_FREE_RATIO = 0.05  # ... or less than this share of the disk
MAX_SLIDE_LINES = 5  # past-end slides named one by one; the rest counted in one line

EXIT_OK, EXIT_PROBLEM, EXIT_NOT_ALIVE = 0, 1, 7  # 7: what systemd calls NOTRUNNING in its logs


# ---------------------------------------------------------------------- systemd notify


def _notify_address(value: str) -> str | None:
    """A NOTIFY_SOCKET value as an AF_UNIX address: '@name' is Linux's abstract namespace."""
    if value.startswith("@"):
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    return None  # unset, or a kind we do not speak (vsock:...)


class SystemdNotifier:
    """sd_notify(3) in a few lines: datagrams to $NOTIFY_SOCKET. Never raises, never blocks."""

    def __init__(self, environ: dict | None = None):
        env = os.environ if environ is None else environ
        raw = env.get("NOTIFY_SOCKET", "")
        self.address = _notify_address(raw)
        if raw and self.address is None:
            log.warning("NOTIFY_SOCKET=%s: loại địa chỉ này không dùng được; không báo cho systemd", raw)
        try:
            usec = int(env.get("WATCHDOG_USEC", ""))
        except ValueError:
            usec = 0
        self.watchdog_seconds = usec / 1_000_000 if usec > 0 else None
        self._socket: socket.socket | None = None
        self._failing = False

    @property
    def enabled(self) -> bool:
        return self.address is not None

    @property
    def ping_interval(self) -> float:
        """How often to ping: half of systemd's WatchdogSec, as sd_watchdog_enabled(3) advises."""
        if self.watchdog_seconds:
            return max(0.5, min(PING_DEFAULT, self.watchdog_seconds / 2))
        return PING_DEFAULT

    def send(self, *assignments: str) -> bool:
        """Send 'KEY=value' lines in one datagram; True when it went (False: no systemd, or failed)."""
        if self.address is None:
            return False
        data = ("\n".join(assignments) + "\n").encode("utf-8")
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._socket.setblocking(False)  # a full queue drops a ping; the UI never waits
            self._socket.sendto(data, self.address)
        except OSError as error:
            if not self._failing:  # once per outage, not once per ping
                log.warning("không báo được cho systemd qua %s: %s", self.address.replace("\0", "@"),
                            error.strerror or error)
            self._failing = True
            if error.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
                self.close()
            return False
        if self._failing:
            log.info("báo được cho systemd trở lại")
            self._failing = False
        return True

    def ready(self, status: str | None = None) -> bool:
        return self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={text}")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


_default_notifier: SystemdNotifier | None = None


def _notifier() -> SystemdNotifier:
    global _default_notifier
    if _default_notifier is None:
        _default_notifier = SystemdNotifier()
    return _default_notifier


def notify_ready(status: str | None = None) -> bool:
    """Tell systemd the display is up (Type=notify). A no-op without NOTIFY_SOCKET."""
    return _notifier().ready(status)


def notify_watchdog() -> bool:
    """Keep systemd's watchdog (WatchdogSec=) from restarting us. A no-op without NOTIFY_SOCKET."""
    return _notifier().watchdog()


def notify_stopping() -> bool:
    return _notifier().stopping()


# ---------------------------------------------------------------------- heartbeat


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
                log.warning("không ghi được nhịp tim %s: %s", self.path, error.strerror or error)
            self._failing = True
            return False
        if self._failing:
            log.info("ghi được nhịp tim %s trở lại", self.path)
            self._failing = False
        self._last = now
        return True


def _read_beat(path: Path) -> tuple[float, list[str]] | None:
    """(seconds since the beat, the line's fields), or None when there is no beat file (or a link)."""
    from kiosk.delivery.store import read_small

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

    def __init__(self, state_dir: Path, notifier: SystemdNotifier | None = None):
        self.notifier = notifier or _notifier()
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


# ---------------------------------------------------------------------- staleness and health


def _when(moment: datetime, zone) -> str:
    return f"{moment.astimezone(zone):%d/%m/%Y %H:%M}"


def _span(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} ngày"
    if seconds >= 3600:
        return f"{seconds / 3600:.0f} giờ"
    return f"{max(1, round(seconds / 60))} phút"


def _size(size: float) -> str:
    if size >= 1024 ** 3:
        return f"{size / 1024 ** 3:.1f} GB".replace(".", ",")
    return f"{size / 1024 ** 2:.0f} MB"


def _day_text(value) -> str:
    return f"{value:%d/%m/%Y %H:%M}" if isinstance(value, datetime) else f"{value:%d/%m/%Y}"


def _from_iso(text) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def disk_space(path: Path) -> tuple[int, int] | None:
    """(free, total) bytes on the disk holding path, or its nearest existing parent."""
    path = Path(path)
    for candidate in (path, *path.parents):
        try:
            usage = shutil.disk_usage(candidate)
        except OSError:
            continue
        return usage.free, usage.total
    return None


@dataclass
class Inspection:
    """What health, status and metrics need to know, gathered once."""
    settings: DisplaySettings
    state_dir: Path
    now: datetime  # aware, UTC, as the syncer trusts it
    status: dict
    folder: Path  # the feed folder the display shows (or would show)
    sample: bool  # that folder is the bundled sample
    installed: object | None  # kiosk.delivery.store.Installed
    feed: object | None  # kiosk.feed.model.Feed, None when it does not load
    feed_errors: list = field(default_factory=list)
    heartbeat_age: float | None = None
    disk: tuple[int, int] | None = None
    sync_overdue: float | None = None


def inspect(settings: DisplaySettings, settings_file: Path | None = None,
            now: datetime | None = None) -> Inspection:
    from kiosk.play.content import SAMPLE_FEED, starting_folder
    from kiosk.delivery.store import Store
    from kiosk.delivery.sync import read_status, trusted_now
    from kiosk.feed.validate import load_feed

    state_dir = settings.state_path()
    folder = starting_folder(settings, settings_file)
    loaded = load_feed(folder)
    return Inspection(
        settings=settings, state_dir=state_dir, now=now or trusted_now(state_dir), status=read_status(state_dir),
        folder=folder, sample=Path(folder).resolve() == SAMPLE_FEED.resolve(),
        installed=Store(state_dir).installed(), feed=loaded.feed, feed_errors=list(loaded.errors),
        heartbeat_age=heartbeat_age(state_dir), disk=disk_space(state_dir), sync_overdue=sync_overdue(state_dir))


def staleness_warnings(seen: Inspection, expired_said: bool = False) -> list[str]:
    """Plain lines for staff: what is old, about to run out, or about to fill up. Empty: all fresh.
    expired_said: the caller already says that the installed feed has expired (`status_lines`)."""
    settings, zone, now = seen.settings, seen.settings.zone(), seen.now
    warnings = []
    if seen.sample:
        warnings.append("màn hình đang chiếu bản tin mẫu kèm phần mềm (dữ liệu mẫu, không phải thông tin chính "
                        "thức); hãy đặt `feed_url` và `public_key` trong tệp cài đặt")
    if settings.feed_url:
        last_good = _from_iso(seen.status.get("last_success"))
        error = seen.status.get("last_error")
        if last_good is not None and (now - last_good).total_seconds() > UNREACHABLE_HOURS * 3600:
            warnings.append(f"đã {_span((now - last_good).total_seconds())} không đồng bộ được với máy chủ bản tin "
                            f"(lần cuối được lúc {_when(last_good, zone)})"
                            + (f": {error}" if error else "; kiểm tra mạng và `feed_url`"))
        elif last_good is None and error:
            warnings.append(f"chưa lần nào đồng bộ được với máy chủ bản tin: {error}")
    if seen.installed is not None:
        issued = seen.installed.manifest.issued
        age = (now - issued).total_seconds()
        if age > CONTENT_MAX_DAYS * 86400:
            warnings.append(f"bản tin đang chiếu phát hành đã {age // 86400:.0f} ngày (lúc {_when(issued, zone)}); "
                            f"nội dung có thể đã cũ, hãy xuất bản bản mới")
        expires = seen.installed.manifest.expires
    elif seen.feed is not None:
        expires = datetime.combine(seen.feed.expires + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    else:
        expires = None
    if expires is not None:
        left = (expires - now).total_seconds()
        if left <= 0 and not (expired_said and seen.installed is not None):
            warnings.append(f"bản tin đang chiếu đã hết hạn lúc {_when(expires, zone)}; hãy sửa `expires` "
                            f"và xuất bản bản mới")
        elif 0 < left <= EXPIRY_WARN_DAYS * 86400:
            warnings.append(f"bản tin đang chiếu sắp hết hạn: còn {_span(left)} (đến {_when(expires, zone)}); "
                            f"hãy xuất bản bản mới với `expires` xa hơn")
    if seen.feed is not None:
        from kiosk.feed.model import slide_ids
        local_now = now.astimezone(zone).replace(tzinfo=None)
        ended = [(slide_id, slide) for slide_id, slide in zip(slide_ids(seen.feed.slides), seen.feed.slides)
                 if slide.ends_at is not None and slide.ends_at <= local_now]
        for slide_id, slide in ended[:MAX_SLIDE_LINES]:
            warnings.append(f"trang chiếu `{slide_id}` đã qua ngày cuối (`end`: {_day_text(slide.end)}) mà vẫn "
                            f"còn trong bản tin; hãy gỡ ra ở lần xuất bản tới")
        if len(ended) > MAX_SLIDE_LINES:
            warnings.append(f"… và {len(ended) - MAX_SLIDE_LINES} trang chiếu khác đã qua ngày cuối")
    if seen.disk is not None:
        free, total = seen.disk
        if free < DISK_MIN_FREE_BYTES or (total and free / total < DISK_MIN_FREE_RATIO):
            warnings.append(f"ổ đĩa sắp đầy: còn trống {_size(free)} trên {_size(total)} ({seen.state_dir}); "
                            f"bản tin mới có thể không tải về được, hãy xóa bớt tệp hoặc dùng thẻ nhớ lớn hơn")
    return warnings


def health_problems(seen: Inspection) -> tuple[list[str], int]:
    """One line per problem and the exit code: 0 healthy, 7 the app is not alive (a restart may help),
    1 any other problem (content that does not load: staff must act)."""
    problems = []
    code = EXIT_OK
    if seen.feed is None:
        first = seen.feed_errors[0] if seen.feed_errors else "không đọc được"
        more = f" (và {len(seen.feed_errors) - 1} lỗi khác)" if len(seen.feed_errors) > 1 else ""
        problems.append(f"nội dung màn hình sẽ chiếu không dùng được: {first}{more}")
        code = EXIT_PROBLEM
    age = seen.heartbeat_age
    beat_file = seen.state_dir / HEARTBEAT_FILE
    if age is None:
        problems.append(f"ứng dụng màn hình chưa ghi nhịp tim ({beat_file}): màn hình chưa chạy, hoặc chạy với "
                        f"thư mục trạng thái khác")
        code = EXIT_NOT_ALIVE
    elif age > HEARTBEAT_STALE:
        problems.append(f"ứng dụng màn hình đã {_span(age)} không ghi nhịp tim ({beat_file}): đã dừng hoặc bị treo")
        code = EXIT_NOT_ALIVE
    elif seen.settings.feed_url:  # the app runs: so must its sync thread
        overdue, sync_file = seen.sync_overdue, seen.state_dir / SYNC_HEARTBEAT_FILE
        if overdue is None:
            problems.append(f"ứng dụng màn hình đang chạy mà luồng đồng bộ chưa ghi nhịp ({sync_file}): bản tin "
                            f"mới sẽ không được tải về; hãy khởi động lại ứng dụng")
            code = EXIT_NOT_ALIVE
        elif overdue > 0:
            problems.append(f"luồng đồng bộ của ứng dụng màn hình đã dừng hoặc bị treo (quá hạn ghi nhịp "
                            f"{_span(overdue)}, {sync_file}): bản tin mới sẽ không được tải về; hãy khởi động lại "
                            f"ứng dụng")
            code = EXIT_NOT_ALIVE
    return problems, code


# ---------------------------------------------------------------------- Prometheus textfile


def _label(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def _number(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isinf(value)):
        return "+Inf"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.3f}"


def metrics_text(seen: Inspection) -> str:
    """The display's figures in Prometheus' text exposition format (for node_exporter's textfile collector)."""
    from kiosk.ops.stats import summarise

    display = _label(seen.settings.id)
    lines = []

    def family(name: str, kind: str, text: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {text}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            lines.append(f"{name}{{display=\"{display}\"{labels}}} {_number(value)}")

    now = seen.now.timestamp()
    status = seen.status
    installed = seen.installed
    family("ward_kiosk_info", "gauge", "Always 1; labels say the display's mode.",
           [(f",mode=\"{_label(seen.settings.mode)}\"", 1)])
    family("ward_kiosk_feed_version", "gauge", "Version of the installed feed (0: none installed, a local or "
           "sample feed is shown).", [("", installed.manifest.version if installed else 0)])
    if installed:
        family("ward_kiosk_feed_issued_timestamp_seconds", "gauge", "When the installed feed was published.",
               [("", installed.manifest.issued.timestamp())])
        family("ward_kiosk_feed_expires_timestamp_seconds", "gauge", "When the installed feed expires.",
               [("", installed.manifest.expires.timestamp())])
    last_good = _from_iso(status.get("last_success"))
    family("ward_kiosk_last_sync_age_seconds", "gauge", "Seconds since the last good sync (+Inf: never).",
           [("", max(0.0, now - last_good.timestamp()) if last_good else math.inf)])
    family("ward_kiosk_sync_failing", "gauge", "1 when the last sync attempt failed.",
           [("", 1 if status.get("last_outcome") == "failed" else 0)])
    family("ward_kiosk_sync_errors_total", "counter", "Failed sync attempts recorded in the status file.",
           [("", int(status.get("errors_total") or 0))])
    family("ward_kiosk_sync_errors_by_kind_total", "counter", "Failed sync attempts by kind of failure.",
           [(f",kind=\"{_label(kind)}\"", count) for kind, count in sorted((status.get("errors_by_kind") or {}).items())])
    if seen.sync_overdue is not None:
        family("ward_kiosk_sync_thread_overdue_seconds", "gauge", "Seconds the app's sync thread is past its next "
               "promised beat (negative: on time).", [("", seen.sync_overdue)])
    summary = summarise(seen.state_dir)
    family("ward_kiosk_slides_shown", "gauge", "Slides shown, as counted in the proof-of-play log kept on the "
           "display (play.jsonl and its one older file).",
           [(f",slide=\"{_label(slide)}\"", count) for slide, count in sorted(summary.plays.items())])
    family("ward_kiosk_slides_shown_all", "gauge", "All slides shown in the kept proof-of-play log.",
           [("", sum(summary.plays.values()))])
    family("ward_kiosk_heartbeat_age_seconds", "gauge", "Seconds since the app's last heartbeat (+Inf: none).",
           [("", seen.heartbeat_age if seen.heartbeat_age is not None else math.inf)])
    if seen.disk:
        family("ward_kiosk_disk_free_bytes", "gauge", "Free bytes on the state folder's disk.", [("", seen.disk[0])])
    warnings = staleness_warnings(seen)
    problems, _ = health_problems(seen)
    family("ward_kiosk_warnings", "gauge", "Staleness warnings (see `kiosk status`).", [("", len(warnings))])
    family("ward_kiosk_healthy", "gauge", "1 when `kiosk health` finds no problem.", [("", 0 if problems else 1)])
    return "\n".join(lines) + "\n"


def write_metrics(seen: Inspection, out: Path) -> None:
    """Write the metrics file atomically (temporary file, then rename): node_exporter never reads half."""
    from kiosk.delivery.store import atomic_write
    atomic_write(Path(out), metrics_text(seen).encode("utf-8"))
