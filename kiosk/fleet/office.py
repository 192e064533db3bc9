"""The office's side: what the displays send, kept in a store, and the residents' interest report.

FleetStore is the storage adapter: SqliteFleetStore keeps everything in one SQLite file (nothing
to run); a city would write a PostgreSQL one with the same methods. OfficeLink receives from the
broker into a store and sends commands and the latest version."""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Protocol, TextIO

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from kiosk.fleet import topics
from kiosk.fleet.broker import BrokerAccount, new_client
from kiosk.ops.stats import counted_lines, usage_lines  # said as `kiosk stats` says them for one display
from kiosk.words import day_text, iso_day_text, moment_text

LISTENER_SESSION = 14 * 86400  # seconds the broker keeps reports for a listener that is away
SCREENSHOT_WAIT = 20.0  # seconds: a display takes the picture on its own loop, then sends ~100 KB


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class DisplayRow:
    display: str
    online: bool
    since: str  # when it came online, or went offline (the office's clock, UTC); "" when not known
    last_seen: str
    status: dict  # the last status it sent while online
    screenshot_at: str | None = None


class FleetStore(Protocol):
    def save_status(self, display: str, status: dict, received_at: str) -> None: ...
    def save_report(self, display: str, day: str, report: dict, received_at: str) -> bool: ...
    def save_screenshot(self, display: str, jpeg: bytes, received_at: str) -> None: ...
    def displays(self) -> list[DisplayRow]: ...
    def reports(self, display: str | None = None, first: str | None = None, last: str | None = None) -> list[dict]: ...
    def screenshot(self, display: str) -> tuple[bytes, str] | None: ...


SCHEMA = """
create table if not exists display (
    id text primary key, online integer not null, since text not null, last_seen text not null,
    status text not null default '{}', screenshot blob, screenshot_at text);
create table if not exists day_report (
    display text not null, day text not null, made_at text not null, received_at text not null,
    report text not null, primary key (display, day));
"""


class SqliteFleetStore:
    """One file; every write in its own transaction; safe to use from paho's thread."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.executescript(SCHEMA)

    def save_status(self, display: str, status: dict, received_at: str) -> None:
        online = bool(status.get("online"))
        with self._lock, self._db:
            row = self._db.execute("select online, status from display where id = ?", (display,)).fetchone()
            kept = status if online else (json.loads(row[1]) if row else {})  # offline: keep what it last said
            if row is None:  # first heard of offline (its retained last will): since when is not known
                self._db.execute("insert into display (id, online, since, last_seen, status) values (?, ?, ?, ?, ?)",
                                 (display, online, received_at if online else "", received_at if online else "",
                                  json.dumps(kept, ensure_ascii=False)))
            elif bool(row[0]) != online:
                self._db.execute("update display set online = ?, since = ?, status = ?, last_seen = "
                                 "case when ? then ? else last_seen end where id = ?",
                                 (online, received_at, json.dumps(kept, ensure_ascii=False), online, received_at, display))
            elif online:
                self._db.execute("update display set status = ?, last_seen = ? where id = ?",
                                 (json.dumps(kept, ensure_ascii=False), received_at, display))

    def save_report(self, display: str, day: str, report: dict, received_at: str) -> bool:
        """The newest count of a day replaces an older one (a day asked for mid-day, then final);
        the same report twice, or an older one late, changes nothing. True when stored."""
        made_at = str(report.get("made_at", ""))
        with self._lock, self._db:
            row = self._db.execute("select made_at from day_report where display = ? and day = ?",
                                   (display, day)).fetchone()
            if row is not None and row[0] >= made_at:
                return False
            self._db.execute("insert or replace into day_report values (?, ?, ?, ?, ?)",
                             (display, day, made_at, received_at, json.dumps(report, ensure_ascii=False)))
            return True

    def save_screenshot(self, display: str, jpeg: bytes, received_at: str) -> None:
        with self._lock, self._db:
            self._db.execute("insert or ignore into display (id, online, since, last_seen) values (?, 1, ?, ?)",
                             (display, received_at, received_at))
            self._db.execute("update display set screenshot = ?, screenshot_at = ? where id = ?",
                             (jpeg, received_at, display))

    def displays(self) -> list[DisplayRow]:
        with self._lock:
            rows = self._db.execute("select id, online, since, last_seen, status, screenshot_at from display "
                                    "order by id").fetchall()
        return [DisplayRow(row[0], bool(row[1]), row[2], row[3], json.loads(row[4]), row[5]) for row in rows]

    def reports(self, display: str | None = None, first: str | None = None, last: str | None = None) -> list[dict]:
        query, values = "select report from day_report where 1 = 1", []
        for clause, value in (("display = ?", display), ("day >= ?", first), ("day <= ?", last)):
            if value:
                query += f" and {clause}"
                values.append(value)
        with self._lock:
            rows = self._db.execute(query + " order by day, display", values).fetchall()
        return [json.loads(row[0]) for row in rows]

    def screenshot(self, display: str) -> tuple[bytes, str] | None:
        with self._lock:
            row = self._db.execute("select screenshot, screenshot_at from display where id = ? and screenshot "
                                   "is not null", (display,)).fetchone()
        return (row[0], row[1]) if row else None

    def close(self) -> None:
        self._db.close()


def _is_day(text) -> bool:
    try:
        return isinstance(text, str) and len(text) == 10 and bool(date.fromisoformat(text))
    except ValueError:
        return False


@dataclass
class ScreenshotAnswer:
    display: str
    arrived: bool = False
    refusal: str | None = None  # the display's reason for not taking it (touch mode, staff panel)
    waited: float = 0.0

    def said(self) -> str:
        """What happened, in one line for staff (the picture itself is in the store)."""
        if self.refusal:
            return f"Màn hình {self.display} không chụp: {self.refusal}"
        if not self.arrived:
            return f"Màn hình {self.display} không gửi ảnh trong {self.waited:g} giây (đang tắt hoặc mất mạng?)"
        return f"Đã nhận ảnh chụp màn hình {self.display}."


class OfficeLink:
    """The office on the broker: everything the displays send goes into `store`; replies queue up."""

    def __init__(self, account: BrokerAccount, store: FleetStore, listener: bool = False):
        """listener: the office's one long-running receiver (`kiosk fleet listen`): the broker keeps
        its session while it is away or reconnecting and holds the reports sent meanwhile."""
        self.store = store
        self.account = account
        self.client = new_client(account, "office-listener" if listener else f"office-{os.getpid()}-{time.monotonic_ns()}")
        self.client.on_message = self._received
        self.client.on_connect = self._connected_to_broker
        self.client.on_connect_fail = self._unreachable  # no answer, or TLS failed
        self.connected = threading.Event()
        self.refused: str | None = None  # the broker's reason for refusing the account
        self.unreachable = False
        self.received = threading.Condition()
        self.replies: list[tuple[str, dict]] = []  # (display, reply)
        self.last_message = time.monotonic()
        properties = None
        if listener:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = LISTENER_SESSION
        self.client.connect_async(account.host, account.port, keepalive=30, clean_start=not listener,
                                  properties=properties)
        self.client.loop_start()

    def _connected_to_broker(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.refused = str(reason_code)
            self.connected.set()
            return
        client.subscribe(f"{topics.ROOT}/display/#", qos=1)
        self.connected.set()

    def _unreachable(self, client, userdata) -> None:
        if not self.connected.is_set():  # the first attempt: a command says so at once
            self.unreachable = True
            self.connected.set()

    def wait_connected(self, timeout: float = 10) -> bool:
        return self.connected.wait(timeout) and self.refused is None and not self.unreachable

    def online(self, timeout: float) -> bool:
        """Connected now, or within `timeout` (a link kept open reconnects by itself after the broker
        was away)."""
        deadline = time.monotonic() + timeout
        self.connected.wait(timeout)
        while not self.client.is_connected():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def why_offline(self) -> str:
        """Why there is no connection, in one line for staff."""
        return (f"không kết nối được tới máy chủ MQTT {self.account.url}"
                + (f": máy chủ từ chối ({self.refused}); kiểm tra tài khoản và mật khẩu" if self.refused
                   else "; kiểm tra mạng, địa chỉ và chứng chỉ (--ca)"))

    def _received(self, client, userdata, message) -> None:
        where = topics.split_display_topic(message.topic)
        if where is None:
            return
        display, kind = where
        received_at = _now()
        if kind == topics.SCREENSHOT:
            self.store.save_screenshot(display, bytes(message.payload), received_at)
        else:
            body = topics.decode(message.payload)
            if body is None:
                return
            body["display"] = display  # who sent it is the topic's, which the broker checked, not the body's
            if kind == topics.STATUS:
                self.store.save_status(display, body, received_at)
            elif kind == topics.REPORT and _is_day(body.get("day")):
                self.store.save_report(display, body["day"], body, received_at)
            elif kind == topics.REPLY:
                with self.received:
                    self.replies.append((display, body))
        with self.received:
            self.last_message = time.monotonic()
            self.received.notify_all()

    def wait_quiet(self, quiet: float = 1.0, limit: float = 10.0) -> None:
        """Until nothing has come for `quiet` seconds (the retained statuses have all arrived)."""
        deadline = time.monotonic() + limit
        with self.received:
            self.last_message = time.monotonic()
            while time.monotonic() < deadline:
                left = self.last_message + quiet - time.monotonic()
                if left <= 0:
                    return
                self.received.wait(left)

    def wait_for(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.received:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.received.wait(left)
        return True

    def command(self, target: str, command: str) -> None:
        self.client.publish(topics.command_topic(target), topics.encode({"command": command, "at": _now()}),
                            qos=1).wait_for_publish(10)

    def screenshot(self, display: str, wait: float = SCREENSHOT_WAIT) -> ScreenshotAnswer:
        """Ask `display` for a screenshot and wait until it is in the store, or refused, or `wait` is over."""
        before = self.store.screenshot(display)
        with self.received:
            seen = len(self.replies)
        self.command(display, topics.TAKE_SCREENSHOT)
        refused = []

        def answered() -> bool:
            refused[:] = [reply for name, reply in self.replies[seen:] if name == display]
            return bool(refused) or self.store.screenshot(display) != before

        arrived = self.wait_for(answered, wait)
        if refused:
            return ScreenshotAnswer(display, refusal=str(refused[0].get("reason") or "không rõ lý do"))
        return ScreenshotAnswer(display, arrived=arrived, waited=wait)

    def announce(self, version: int, spread_seconds: float) -> None:
        self.client.publish(topics.LATEST, topics.encode({"version": version, "spread_seconds": spread_seconds,
                                                          "at": _now()}), qos=1, retain=True).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


# ---------------------------------------------------------------------------------- the interest report


@dataclass
class InterestReport:
    days: list[str] = field(default_factory=list)
    displays: list[str] = field(default_factory=list)
    topics: Counter = field(default_factory=Counter)
    questions: Counter = field(default_factory=Counter)  # (topic, question)
    searches: int = 0
    not_found: Counter = field(default_factory=Counter)
    menu: Counter = field(default_factory=Counter)
    helpful: Counter = field(default_factory=Counter)  # the counter's "Góp ý": face chosen -> residents
    wanted: Counter = field(default_factory=Counter)  # the counter's "Góp ý": topic chosen -> residents
    plays: dict = field(default_factory=dict)  # display -> Counter(slide -> times shown)


def interest_report(reports: list[dict]) -> InterestReport:
    """Everything the stored day reports add up to (each message is checked: it came over a network)."""
    total = InterestReport()
    days, displays = set(), set()

    def counts(value) -> dict:
        return {str(k): v for k, v in value.items() if topics.whole_number(v)} if isinstance(value, dict) else {}

    for report in reports:
        display = str(report.get("display", ""))
        days.add(str(report.get("day", "")))
        displays.add(display)
        total.topics.update(counts(report.get("topics")))
        total.menu.update(counts(report.get("menu")))
        total.not_found.update(counts(report.get("not_found")))
        total.helpful.update(counts(report.get("helpful")))
        total.wanted.update(counts(report.get("wanted")))
        searches = report.get("searches")
        total.searches += searches if topics.whole_number(searches) else 0
        for entry in report.get("questions") or []:
            if isinstance(entry, list) and len(entry) == 3 and topics.whole_number(entry[2]):
                total.questions[(str(entry[0]), str(entry[1]))] += entry[2]
        plays = total.plays.setdefault(display, Counter())
        for slide, shown in (report.get("plays") or {}).items() if isinstance(report.get("plays"), dict) else ():
            if isinstance(shown, list) and shown and topics.whole_number(shown[0]):
                plays[str(slide)] += shown[0]
    total.days = sorted(days)
    total.displays = sorted(displays)
    return total


def hanoi_time(iso: str | None) -> str:
    """A moment as the ward reads it: Hanoi time, whatever the server's own time zone."""
    from kiosk.feed.model import FEED_ZONE

    if not iso:
        return "chưa có"
    try:
        return moment_text(datetime.fromisoformat(iso), FEED_ZONE)
    except ValueError:
        return iso


def parse_day(text: str) -> date:
    """A day typed by staff: 2026-12-01 (what a date picker sends) or 1/12/2026."""
    text = text.strip()
    try:
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        return date(int(match[3]), int(match[2]), int(match[1])) if match else date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"ngày “{text}” không đúng: cần dạng 01/12/2026 hoặc 2026-12-01") from None


def interest_between(store: FleetStore, display: str | None = None, first: date | None = None,
                     last: date | None = None) -> InterestReport:
    """The interest report for one display or all, from `first` to `last` (each may be open)."""
    if first and last and first > last:
        raise ValueError(f"ngày bắt đầu {day_text(first)} sau ngày kết thúc {day_text(last)}")
    return interest_report(store.reports(display or None, first and first.isoformat(), last and last.isoformat()))


def format_interest(report: InterestReport, top: int = 10, faces=()) -> str:
    if not report.days:
        return "Chưa có số liệu nào từ các màn hình cho khoảng thời gian này.\n"
    lines = [f"Quan tâm của người dân từ {iso_day_text(report.days[0])} đến {iso_day_text(report.days[-1])}, "
             f"{len(report.displays)} màn hình ({', '.join(report.displays)}); số liệu ẩn danh.", ""]
    lines += usage_lines(report, top, faces)
    for display, plays in sorted(report.plays.items()):
        if plays:
            lines += counted_lines(f"Lượt chiếu theo trang, màn hình {display}:", plays, top)
    return "\n".join(lines).rstrip() + "\n"


CSV_HEADER = ["Mục", "Màn hình", "Nội dung", "Số lần"]
CSV_SECTIONS = {"topics": "Chủ đề hỏi đáp", "questions": "Câu hỏi", "searches": "Lượt tìm kiếm",
                "not_found": "Tìm không thấy", "menu": "Nút màn hình chính", "helpful": "Góp ý: có giúp ích không",
                "wanted": "Góp ý: muốn biết thêm về", "plays": "Lượt chiếu"}


def _cell(text: str) -> str:
    """Words from a display as Excel shows them, never as a formula (=, +, -, @ would start one)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_interest_csv(report: InterestReport, sink: TextIO) -> None:
    """One table with a section column: section, display (for slides shown), item, count. Write it
    UTF-8 with a BOM (encoding utf-8-sig) so that Excel reads the Vietnamese right."""
    writer = csv.writer(sink)
    writer.writerow(CSV_HEADER)
    for key, counts in (("topics", report.topics), ("menu", report.menu), ("not_found", report.not_found),
                        ("helpful", report.helpful), ("wanted", report.wanted)):
        for item, count in counts.most_common():
            writer.writerow([CSV_SECTIONS[key], "", _cell(item), count])
    for (topic, question), count in report.questions.most_common():
        writer.writerow([CSV_SECTIONS["questions"], "", _cell(f"{topic} › {question}"), count])
    writer.writerow([CSV_SECTIONS["searches"], "", "", report.searches])
    for display, plays in sorted(report.plays.items()):
        for slide, count in plays.most_common():
            writer.writerow([CSV_SECTIONS["plays"], _cell(display), _cell(slide), count])
