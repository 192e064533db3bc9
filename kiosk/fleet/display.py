"""The display's side of the fleet link.

    link = DisplayLink(settings, on_sync_now=sync.wake, on_screenshot=take, settings_file=path)
    link.start()     # returns at once; connects (and reconnects) in the background
    ...
    link.stop()      # says "offline" and disconnects

paho's network loop runs in its own thread and a second thread ("fleet") does the rest: the status
(retained, on change and at a heartbeat), the daily reports through the spool, screenshots. The
app's loop never waits for either: commands reach it as calls of on_sync_now() (which must only
wake a thread) and on_screenshot(deliver), where the app, on its own thread, calls deliver() with
a Frame of the loop or with the reason it refused. A link that cannot start (a missing password
file) logs one line and the display runs on without it."""

from __future__ import annotations

import io
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import paho.mqtt.client as mqtt

from kiosk import __version__
from kiosk.fleet import topics
from kiosk.fleet.broker import KEEPALIVE, BrokerAccount, BrokerProblem, new_client, read_password
from kiosk.feed.validate import load_feed
from kiosk.fleet.spool import Spool
from kiosk.settings import DisplaySettings
from kiosk.ops.stats import read_logs, summarise_records
from kiosk.delivery.store import Store, read_json, write_json

log = logging.getLogger("kiosk.fleet")

TICK = 1.0  # seconds between the fleet thread's looks at what changed
STATUS_CHECK = 5.0  # how often the cheap part of the status is compared with what was sent
HEARTBEAT = 600.0  # the status is sent again at least this often, changed or not
SEND_TIMEOUT = 10.0  # seconds to wait for the broker's acknowledgement of a report
SYNC_SPREAD = 5.0  # seconds: a "latest version" makes displays sync within this, not all at once
FIRST_REPORT_DAYS = 31  # a display new to the link reports at most this many past days
SCREENSHOT_WIDTH = 960
LINK_FILE = "fleet.json"  # which days were reported


@dataclass(frozen=True)
class Frame:
    """What the loop showed: RGBA pixels, top row first (as Kivy's export_as_image gives them)."""
    width: int
    height: int
    rgba: bytes


def screenshot_jpeg(frame: Frame, max_width: int = SCREENSHOT_WIDTH) -> bytes:
    from PIL import Image  # Pillow comes with Kivy; only needed when staff ask for a screenshot

    image = Image.frombytes("RGBA", (frame.width, frame.height), frame.rgba).convert("RGB")
    if image.width > max_width:
        image = image.resize((max_width, max(1, round(image.height * max_width / image.width))), Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=75, optimize=True)
    return out.getvalue()


def day_reports(state_dir: Path, display: str, days: set[str]) -> dict[str, dict]:
    """Each of these days' anonymous counts, as sent to the office (only days with something)."""
    usage, plays, _ = read_logs(state_dir)
    wanted_usage = {day: [] for day in days}
    wanted_plays = {day: [] for day in days}
    for record in usage:
        if record.get("day") in wanted_usage:
            wanted_usage[record["day"]].append(record)
    for record in plays:
        day = str(record.get("start", ""))[:10]  # the display's own date (its time zone)
        if day in wanted_plays:
            wanted_plays[day].append(record)
    reports = {}
    for day in sorted(days):
        if not wanted_usage[day] and not wanted_plays[day]:
            continue
        summary = summarise_records(wanted_usage[day], wanted_plays[day])
        reports[day] = {
            "display": display, "day": day,
            "menu": dict(summary.menu), "topics": dict(summary.topics),
            "questions": [[topic, question, count] for (topic, question), count in summary.questions.items()],
            "searches": summary.searches, "not_found": dict(summary.not_found),
            "helpful": dict(summary.helpful), "wanted": dict(summary.wanted),  # the counter's "Góp ý"
            "plays": {slide: [count, round(summary.play_seconds[slide], 1)] for slide, count in summary.plays.items()},
        }
    return reports


def report_days(state_dir: Path) -> set[str]:
    """Every day the logs have something for."""
    usage, plays, _ = read_logs(state_dir)
    return ({str(record.get("day")) for record in usage if record.get("day")}
            | {str(record.get("start", ""))[:10] for record in plays if record.get("start")})


class DisplayLink:
    def __init__(self, settings: DisplaySettings, *, on_sync_now: Callable[[], None],
                 on_screenshot: Callable[[Callable[[Frame | str], None]], None] | None = None,
                 settings_file: Path | None = None, now: Callable[[], datetime] | None = None,
                 rng: random.Random | None = None, heartbeat: float = HEARTBEAT, sync_spread: float | None = None,
                 load=load_feed):
        self.settings = settings
        self.load = load  # how the status reads the feed (a running display: in a child process)
        self.state_dir = settings.state_path()
        self.settings_file = settings_file
        self.on_sync_now = on_sync_now
        self.on_screenshot = on_screenshot
        self.now = now or (lambda: datetime.now(settings.zone()))
        self.rng = rng or random.Random()
        self.heartbeat = heartbeat
        self.sync_spread = sync_spread
        self.spool = Spool(self.state_dir)
        self.started = time.monotonic()
        self.client: mqtt.Client | None = None
        self._connected = threading.Event()
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()  # what the paho thread and the app hand to the fleet thread
        self._shots: list[Frame | str] = []
        self._report_asked = False
        self._status_forced = True
        self._sent_status_key: tuple | None = None
        self._status_sent_at = 0.0
        self._status_checked_at = 0.0
        self._checked_day = None
        self._refusal_said = False
        self._unreachable_said = False
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ life

    def start(self) -> bool:
        """Start connecting in the background; False (and one log line) when the settings do not allow it."""
        settings = self.settings
        try:
            account = BrokerAccount(settings.fleet_url, settings.id,
                                    read_password(settings.fleet_password, settings.fleet_password_file),
                                    settings.fleet_ca_file)
            client = new_client(account, f"display-{settings.id}")
        except (BrokerProblem, OSError, ValueError) as problem:
            log.warning("Không bật được kết nối về văn phòng: %s; màn hình vẫn chạy bình thường", problem)
            return False
        client.will_set(topics.display_topic(settings.id, topics.STATUS), self._offline(), qos=1, retain=True)
        client.on_connect = self._connected_to_broker
        client.on_disconnect = self._disconnected
        client.on_connect_fail = self._unreachable
        client.on_message = self._received
        client.on_publish = self._acknowledged
        self.client = client
        client.connect_async(account.host, account.port, keepalive=KEEPALIVE)
        client.loop_start()  # paho's thread: connects, and reconnects whenever the broker is back
        self._thread = threading.Thread(target=self._run, name="fleet", daemon=True)
        self._thread.start()
        log.info("Kết nối về văn phòng qua %s (tài khoản %s)", settings.fleet_url, settings.id)
        return True

    def stop(self, timeout: float = 3.0) -> None:
        """Say "offline" (a clean stop sends no last will) and disconnect, waiting at most `timeout`."""
        self._stopping.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)
        if self.client is None:
            return
        if self._connected.is_set():
            info = self.client.publish(topics.display_topic(self.settings.id, topics.STATUS), self._offline(),
                                       qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def ask_report(self) -> None:
        """Send today's counts so far (as the `report` command does)."""
        with self._lock:
            self._report_asked = True
        self._wake.set()

    # ------------------------------------------------------------------ paho's thread

    def _connected_to_broker(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("Máy chủ MQTT từ chối kết nối của màn hình %s: %s; kiểm tra tài khoản và mật khẩu",
                        self.settings.id, reason_code)
            return
        client.subscribe([(topics.command_topic(self.settings.id), 1), (topics.command_topic(topics.ALL), 1),
                          (topics.LATEST, 1)])
        with self._lock:
            self._status_forced = True  # the broker may hold the last will's "offline" by now
        self._connected.set()
        self._unreachable_said = False
        self._wake.set()
        log.info("Đã kết nối về văn phòng (%s)", self.settings.fleet_url)

    def _unreachable(self, client, userdata) -> None:
        if not self._unreachable_said:  # once per outage; paho tries again, up to every 30 s
            self._unreachable_said = True
            log.warning("Chưa kết nối được tới máy chủ MQTT %s (mạng, địa chỉ hoặc chứng chỉ `fleet_ca_file`); "
                        "sẽ thử lại, màn hình vẫn chạy bình thường", self.settings.fleet_url)

    def _disconnected(self, client, userdata, flags, reason_code, properties) -> None:
        if self._connected.is_set() and not self._stopping.is_set():
            log.info("Mất kết nối về văn phòng (%s); báo cáo được giữ lại để gửi sau", reason_code)
        self._connected.clear()

    def _acknowledged(self, client, userdata, mid, reason_code, properties) -> None:
        if reason_code.is_failure and not self._refusal_said:
            self._refusal_said = True  # once: it is a setting, and it does not get better by itself
            log.warning("Máy chủ MQTT không nhận tin của màn hình %s (%s): tài khoản phải mang đúng tên `id` "
                        "của màn hình (docs/fleet.md)", self.settings.id, reason_code)

    def _received(self, client, userdata, message) -> None:
        try:
            self._act_on(message)
        except Exception:  # paho's network thread ends on an exception: the link must outlive a bug
            log.exception("Liên kết văn phòng: lỗi khi xử lý tin %s", message.topic)

    def _act_on(self, message) -> None:
        body = topics.decode(message.payload)
        if body is None:
            return
        if message.topic == topics.LATEST:
            self._latest(body)
            return
        command = body.get("command")
        if command == topics.SYNC_NOW:
            log.info("Văn phòng yêu cầu đồng bộ ngay")
            self.on_sync_now()
        elif command == topics.TAKE_SCREENSHOT:
            if self.on_screenshot is None:
                self._deliver_shot("màn hình này không chụp ảnh được (chạy không có cửa sổ)")
            else:
                self.on_screenshot(self._deliver_shot)
        elif command == topics.SEND_REPORT:
            self.ask_report()

    def _latest(self, body: dict) -> None:
        version = body.get("version")
        installed = Store(self.state_dir).installed()
        if not topics.whole_number(version) or (installed and version <= installed.manifest.version):
            return  # what is already installed (the retained message comes at every connection)
        spread = self.sync_spread if self.sync_spread is not None else body.get("spread_seconds", SYNC_SPREAD)
        number = float(spread) if isinstance(spread, (int, float)) and not isinstance(spread, bool) else 0.0
        delay = self.rng.uniform(0, max(0.0, min(number, 300.0)))  # nan fails both: 0
        log.info("Văn phòng đã xuất bản phiên bản %s: đồng bộ sau %.1f giây", version, delay)
        timer = threading.Timer(delay, self.on_sync_now)
        timer.daemon = True
        timer.start()

    # ------------------------------------------------------------------ the app's thread

    def _deliver_shot(self, shot: Frame | str) -> None:
        with self._lock:
            self._shots.append(shot)
        self._wake.set()

    # ------------------------------------------------------------------ the fleet thread

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._tick()
            except Exception:  # a bug here must not end the link, let alone the display
                log.exception("Kết nối về văn phòng: lỗi không mong đợi")
            self._wake.wait(TICK)
            self._wake.clear()

    def _tick(self) -> None:
        self._queue_reports()
        self._send_shots()
        self._send_status()
        self._flush_spool()

    def _queue_reports(self) -> None:
        """Finished days once each, when the day turns; today so far when asked."""
        today = self.now().date()
        with self._lock:
            asked, self._report_asked = self._report_asked, False
        if today != self._checked_day:
            self._checked_day = today
            state = read_json(self.state_dir / LINK_FILE)
            through = state.get("reported_through")
            first = (today - timedelta(days=FIRST_REPORT_DAYS)).isoformat()
            days = {day for day in report_days(self.state_dir)
                    if max(first, through or "") < day < today.isoformat()}
            for day, report in day_reports(self.state_dir, self.settings.id, days).items():
                self._spool_report(report, final=True)
            yesterday = (today - timedelta(days=1)).isoformat()
            if through != yesterday:
                write_json(self.state_dir / LINK_FILE, {**state, "reported_through": yesterday})
        if asked:
            day = today.isoformat()
            report = day_reports(self.state_dir, self.settings.id, {day}).get(day) or {
                "display": self.settings.id, "day": day, "menu": {}, "topics": {}, "questions": [],
                "searches": 0, "not_found": {}, "helpful": {}, "wanted": {}, "plays": {}}
            self._spool_report(report, final=False)

    def _spool_report(self, report: dict, final: bool) -> None:
        report = {**report, "final": final, "made_at": self.now().isoformat(timespec="seconds")}
        self.spool.append(topics.display_topic(self.settings.id, topics.REPORT), report)

    def _flush_spool(self) -> None:
        """Oldest first, one at a time, each removed only once the broker has it."""
        while self._connected.is_set() and not self._stopping.is_set():
            entry = self.spool.first()
            if entry is None:
                return
            info = self.client.publish(entry["topic"], topics.encode(entry["payload"]), qos=1)
            try:
                info.wait_for_publish(SEND_TIMEOUT)
            except (RuntimeError, ValueError):  # the connection went while sending
                return
            if not info.is_published():
                return
            self.spool.remove_first(entry)

    def _send_shots(self) -> None:
        with self._lock:
            shots, self._shots = self._shots, []
        for shot in shots:
            if isinstance(shot, str):
                self._publish(topics.REPLY, topics.encode({"command": topics.TAKE_SCREENSHOT, "done": False,
                                                           "reason": shot, "at": self._stamp()}))
                log.info("Không gửi ảnh chụp màn hình: %s", shot)
            else:
                self._publish(topics.SCREENSHOT, screenshot_jpeg(shot))

    def _send_status(self) -> None:
        clock = time.monotonic()
        with self._lock:
            forced, self._status_forced = self._status_forced, False
        if not forced and clock - self._status_checked_at < min(STATUS_CHECK, self.heartbeat):
            return
        self._status_checked_at = clock
        key = self._status_key()
        if not forced and key == self._sent_status_key and clock - self._status_sent_at < self.heartbeat:
            return
        if not self._connected.is_set():
            with self._lock:
                self._status_forced = self._status_forced or forced
            return
        if self._publish(topics.STATUS, topics.encode(self.status()), retain=True):
            self._sent_status_key = key
            self._status_sent_at = clock

    def _status_key(self) -> tuple:
        """What changes the status, read cheaply (the warnings need the feed read: only when this changes)."""
        status = read_json(self.state_dir / "status.json")
        installed = Store(self.state_dir).installed()
        return (installed.manifest.version if installed else None, status.get("last_success"),
                status.get("last_error"))

    def status(self) -> dict:
        from kiosk.ops.status import inspect, staleness_warnings  # reads the feed: only when something changed
        from kiosk.delivery.sync_state import read_status

        sync = read_status(self.state_dir)
        seen = inspect(self.settings, self.settings_file, load=self.load)
        return {
            "display": self.settings.id, "online": True, "tags": list(self.settings.tags), "mode": self.settings.mode,
            "feed_version": seen.installed.manifest.version if seen.installed else None,
            "last_sync": sync.get("last_success"), "last_error": sync.get("last_error"),
            "warnings": staleness_warnings(seen),
            "uptime_seconds": round(time.monotonic() - self.started), "app_version": __version__,
            "at": self._stamp(),
        }

    def _offline(self) -> bytes:
        return topics.encode({"display": self.settings.id, "online": False})

    def _stamp(self) -> str:
        return self.now().isoformat(timespec="seconds")

    def _publish(self, kind: str, payload: bytes, retain: bool = False) -> bool:
        if not self._connected.is_set():
            return False
        info = self.client.publish(topics.display_topic(self.settings.id, kind), payload, qos=1, retain=retain)
        return info.rc == mqtt.MQTT_ERR_SUCCESS
