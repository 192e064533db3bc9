"""The fleet link end to end: the real Mosquitto with deploy/mosquitto/'s TLS, accounts and ACL, the
real nginx serving what `kiosk publish` wrote, display processes (sync and link, no window: what
`kiosk run` starts besides the window), and the office through the `kiosk fleet` command."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization

from feed_servers import Nginx, make_feed
from fleet_servers import Mosquitto
from kiosk.delivery import signing
from kiosk.fleet.broker import BrokerAccount
from kiosk.fleet.office import OfficeLink, SqliteFleetStore
from kiosk.fleet.spool import SPOOL_FILE
from kiosk.delivery.publish import publish
from kiosk.delivery.store import Store

REPO = Path(__file__).resolve().parents[1]
BROKER_PASSWORDS = {"office": "office-secret", "to-5": "pw-five", "to-6": "pw-six", "to-7": "pw-seven", "to-8": "pw-eight"}
HANOI = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def office(broker, tmp_path):
    store = SqliteFleetStore(tmp_path / "office.sqlite")
    link = OfficeLink(BrokerAccount(broker.url, "office", BROKER_PASSWORDS["office"], str(broker.ca)), store, listener=True)
    assert link.wait_connected(10)
    yield link
    link.close()
    store.close()


def wait_until(predicate, seconds: float, step: float = 0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


class Display:
    """One display: its settings file, state folder and published feed; run() starts its process."""

    def __init__(self, tmp_path: Path, name: str, broker: Mosquitto, nginx: Nginx, key, fleet_url: str | None = None):
        self.name = name
        self.key = key
        self.folder = tmp_path / name
        self.state = self.folder / "state"
        self.state.mkdir(parents=True)
        self.site, url = nginx.site(f"{name}-{tmp_path.name}")
        (self.folder / "password").write_text(BROKER_PASSWORDS[name] + "\n")
        self.config = self.folder / "display.yaml"
        self.config.write_text(yaml.safe_dump({
            "id": name, "tags": ["nha-van-hoa"], "feed_url": url, "public_key": signing.public_key_text(key),
            "state_dir": str(self.state), "poll_seconds": 3600, "fleet_url": fleet_url or broker.url,
            "fleet_password_file": str(self.folder / "password"), "fleet_ca_file": str(broker.ca)}))
        self.process: subprocess.Popen | None = None
        self.log = self.folder / "display.log"

    def publish(self, version: int) -> None:
        source = make_feed(self.folder / f"src-{version}", version=version, seeds={0: version})
        publish(source, self.site, self.key)

    def installed(self) -> int | None:
        installed = Store(self.state).installed()
        return installed.manifest.version if installed else None

    def run(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(REPO / "tests" / "fleet_servers.py"), str(self.config)],
                                        stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
                                        env={**os.environ, "PYTHONPATH": str(REPO / "tests")})

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def write_usage(self, day: dt.date) -> None:
        """What residents did at this counter that day (the app's own log format, kiosk/ops/stats.py)."""
        lines = [{"day": day.isoformat(), "event": "topic", "topic": "Hộ tịch"},
                 {"day": day.isoformat(), "event": "question", "topic": "Hộ tịch", "question": "Đăng ký khai sinh cần gì?"},
                 {"day": day.isoformat(), "event": "search", "hits": 0, "term": "giay phep nuoi cho"},
                 {"day": day.isoformat(), "event": "menu", "item": "Hỏi đáp chính sách"}]
        with (self.state / "usage.jsonl").open("a", encoding="utf-8") as out:
            for line in lines:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
        start = dt.datetime.combine(day, dt.time(9, 30), HANOI).isoformat()
        with (self.state / "play.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps({"slide": "lich-tiep-dan", "start": start, "seconds": 12.0, "display": self.name}) + "\n")


@pytest.fixture
def displays(tmp_path, broker, nginx, key):
    made = []

    def make(name, **kwargs):
        made.append(Display(tmp_path, name, broker, nginx, key, **kwargs))
        return made[-1]

    yield make
    for display in made:
        display.stop()


def fleet_cli(broker: Mosquitto, office: OfficeLink, *args: str) -> subprocess.CompletedProcess:
    return kiosk_cli(broker, office, "fleet", *args)


def kiosk_cli(broker: Mosquitto, office: OfficeLink, *args: str) -> subprocess.CompletedProcess:
    """`kiosk ...` as the office, with the broker options after the command's own."""
    return subprocess.run([sys.executable, "-m", "kiosk", *args, "--broker", broker.url,
                           "--ca", str(broker.ca), "--db", str(office.store.path)],
                          env={**os.environ, "WARD_FLEET_PASSWORD": BROKER_PASSWORDS["office"]},
                          capture_output=True, text=True, timeout=60, cwd=REPO)


def row(office: OfficeLink, name: str):
    return next((row for row in office.store.displays() if row.display == name), None)


def first_install(office: OfficeLink, display: Display) -> None:
    """Once it is online, have it sync now rather than at its first poll (up to 10 s after start)."""
    assert wait_until(lambda: (r := row(office, display.name)) and r.online, 20), display.log.read_text()
    office.command(display.name, "sync-now")
    assert wait_until(lambda: display.installed() == 1, 10), display.log.read_text()


def test_status_then_offline_by_last_will_when_killed(displays, office, broker):
    display = displays("to-5")
    display.publish(1)
    display.run()
    first_install(office, display)
    assert wait_until(lambda: (r := row(office, "to-5")) and r.online and r.status.get("feed_version") == 1, 10), \
        display.log.read_text()
    status = row(office, "to-5").status
    assert status["tags"] == ["nha-van-hoa"] and status["mode"] == "loop" and status["last_sync"]
    assert status["app_version"] and status["last_error"] is None and isinstance(status["warnings"], list)
    display.kill()
    assert wait_until(lambda: not row(office, "to-5").online, 10)
    kept = row(office, "to-5")
    assert kept.status["feed_version"] == 1  # what it last said, kept with "offline since"
    listed = fleet_cli(broker, office, "list")
    assert listed.returncode == 0, listed.stderr
    assert "to-5: MẤT KẾT NỐI từ" in listed.stdout and "phiên bản 1" in listed.stdout


def test_sync_now_and_an_announce_install_a_new_feed_within_seconds(displays, office, broker):
    display = displays("to-6")
    display.publish(1)
    display.run()
    first_install(office, display)
    display.publish(2)
    asked = time.monotonic()
    done = fleet_cli(broker, office, "sync-now", "to-6")
    assert done.returncode == 0, done.stderr
    assert wait_until(lambda: display.installed() == 2, 10), display.log.read_text()
    assert time.monotonic() - asked < 10
    display.publish(3)
    asked = time.monotonic()
    done = fleet_cli(broker, office, "announce", str(display.site), "--spread", "2")
    assert done.returncode == 0, done.stderr
    assert "phiên bản 3" in done.stdout
    assert wait_until(lambda: display.installed() == 3, 10), display.log.read_text()
    assert time.monotonic() - asked < 10
    # `kiosk publish --announce` into the folder nginx serves: published and announced in one command.
    key_file = display.folder / "publishing-key.pem"
    key_file.write_bytes(display.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
    key_file.chmod(0o600)
    source = make_feed(display.folder / "src-4", version=4, seeds={0: 4})
    asked = time.monotonic()
    done = kiosk_cli(broker, office, "publish", str(source), "--out", str(display.site), "--key", str(key_file),
                     "--announce", "--spread", "2")
    assert done.returncode == 0, done.stderr
    assert "Đã xuất bản phiên bản 4" in done.stdout and "Đã báo phiên bản 4" in done.stdout
    assert wait_until(lambda: display.installed() == 4, 10), display.log.read_text()
    assert time.monotonic() - asked < 10
    # The office sees it too: the status follows the install.
    assert wait_until(lambda: row(office, "to-6").status.get("feed_version") == 4, 10)


def test_a_days_usage_reaches_the_office_once_although_sent_twice(displays, office, broker):
    display = displays("to-7")
    yesterday = dt.datetime.now(HANOI).date() - dt.timedelta(days=1)
    display.write_usage(yesterday)
    display.run()
    assert wait_until(lambda: office.store.reports("to-7"), 20), display.log.read_text()
    display.stop()
    (display.state / "fleet.json").unlink()  # as if it had never noted the day as sent: it sends it again
    display.run()
    assert wait_until(lambda: (r := row(office, "to-7")) and r.online, 20)
    time.sleep(1.5)
    reports = office.store.reports("to-7")
    assert len(reports) == 1 and reports[0]["day"] == yesterday.isoformat()
    printed = fleet_cli(broker, office, "report", "--display", "to-7", "--csv", str(display.folder / "r.csv"))
    assert printed.returncode == 0, printed.stderr
    text = printed.stdout
    assert "1 màn hình (to-7)" in text and "Hộ tịch" in text and "“giay phep nuoi cho”" in text
    assert "Tìm kiếm: 1 lượt, 1 lượt không tìm thấy." in text and "lich-tiep-dan" in text
    assert "Câu hỏi,,Hộ tịch › Đăng ký khai sinh cần gì?,1" in (display.folder / "r.csv").read_text("utf-8-sig")
    # Today's counts so far, asked for twice: one row for the day, with the later count.
    today = dt.datetime.now(HANOI).date()
    display.write_usage(today)
    for _ in range(2):
        asked = fleet_cli(broker, office, "ask-report", "all")
        assert asked.returncode == 0, asked.stderr
    assert wait_until(lambda: len(office.store.reports("to-7")) == 2, 10)
    todays = [report for report in office.store.reports("to-7") if report["day"] == today.isoformat()]
    assert len(todays) == 1 and todays[0]["final"] is False and todays[0]["searches"] == 1


def test_broker_down_at_start_then_mid_day_reports_arrive_in_order_after(displays, office, broker):
    display = displays("to-8")
    yesterday = dt.datetime.now(HANOI).date() - dt.timedelta(days=1)
    display.write_usage(yesterday - dt.timedelta(days=1))
    display.write_usage(yesterday)
    display.publish(1)
    broker.stop()
    try:
        display.run()
        spool = display.state / SPOOL_FILE
        assert wait_until(lambda: spool.exists() and len(spool.read_text().splitlines()) == 2, 15), \
            display.log.read_text()
        assert wait_until(lambda: display.installed() == 1, 20)  # sync goes on without the broker
    finally:
        broker.start()
    assert wait_until(lambda: len(office.store.reports("to-8")) == 2, 40), display.log.read_text()
    assert wait_until(lambda: not spool.read_text().strip(), 5)
    received = [report["day"] for report in office.store.reports("to-8")]
    assert received == sorted(received)
    # Mid-day: the broker goes away, a report asked for meanwhile waits on disk, and arrives after.
    assert wait_until(lambda: (r := row(office, "to-8")) and r.online, 20)
    broker.stop()
    try:
        time.sleep(1)
        display.write_usage(yesterday)  # more lines the app logs while the link is down
        display.stop()
        (display.state / "fleet.json").unlink()
        display.run()
        assert wait_until(lambda: len(spool.read_text().splitlines()) == 2, 15), display.log.read_text()
    finally:
        broker.start()
    assert wait_until(lambda: not spool.read_text().strip(), 40), display.log.read_text()

    def yesterdays_topics():
        return next(report["topics"] for report in office.store.reports("to-8") if report["day"] == yesterday.isoformat())
    # The later count replaced the earlier one: the day is stored once, with the fuller count.
    assert wait_until(lambda: yesterdays_topics() == {"Hộ tịch": 2}, 5), office.store.reports("to-8")
    assert len(office.store.reports("to-8")) == 2
