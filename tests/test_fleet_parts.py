"""The fleet link's parts with the world's inputs: settings typed wrong, a spool torn by a power cut
or overfull, messages that are not what they claim (on the real broker), reports sent twice or late."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from feed_servers import closed_port

from kiosk.fleet import topics
from kiosk.fleet.broker import BrokerAccount, new_client
from kiosk.fleet.display import DisplayLink, day_reports
from kiosk.fleet.office import OfficeLink, SqliteFleetStore, format_interest, interest_report
from kiosk.fleet.spool import Spool
from kiosk.settings import DisplaySettings, load_settings
from kiosk.ops.stats import UsageLog

REPO = Path(__file__).resolve().parents[1]
BROKER_PASSWORDS = {"office": "office-secret", "to-9": "pw-nine"}


@pytest.mark.parametrize("line, said", [
    ("fleet_url: http://kiosk.dongda.vn:8883", "phải có dạng mqtts://máy-chủ:8883"),
    ("fleet_url: mqtt://kiosk.dongda.vn", "mqtt:// không mã hóa chỉ dùng được với 127.0.0.1"),
    ("fleet_url: mqtts://kiosk.dongda.vn:tam", "cổng trong địa chỉ"),
    ("fleet_password_file: fleet-password", "cần là đường dẫn đầy đủ"),
    ("fleet_ca_file: ca.crt", "cần là đường dẫn đầy đủ"),
    ("fleet_broker: mqtts://x", "fleet_broker"),
])
def test_fleet_settings_typed_wrong_are_told_with_file_and_line(tmp_path, line, said):
    path = tmp_path / "display.yaml"
    path.write_text(f"id: to-9\n{line}\n", encoding="utf-8")
    settings, problems = load_settings(path)
    assert settings is None
    assert len(problems) == 1 and str(problems[0]).startswith(f"{path}:2:") and said in str(problems[0])


def test_no_fleet_url_no_link_and_a_missing_password_file_leaves_the_display_running(tmp_path, caplog):
    assert DisplaySettings().fleet_url == ""
    settings = DisplaySettings(id="to-9", state_dir=str(tmp_path), fleet_url="mqtts://127.0.0.1:1",
                               fleet_password_file=str(tmp_path / "none"))
    link = DisplayLink(settings, on_sync_now=lambda: None)
    assert link.start() is False
    assert "không đọc được mật khẩu MQTT" in caplog.text and "màn hình vẫn chạy bình thường" in caplog.text
    link.stop()  # nothing to stop: no error either


def test_spool_keeps_order_survives_a_torn_line_and_drops_the_oldest_when_full(tmp_path):
    spool = Spool(tmp_path, max_entries=3)
    for number in range(5):
        spool.append("ward/display/to-9/report", {"n": number})
    assert [entry["payload"]["n"] for entry in spool.entries()] == [2, 3, 4]
    with spool.path.open("ab") as out:
        out.write(b'{"topic": "ward/display/to-9/report", "payl')  # the power went mid-write
    assert [entry["payload"]["n"] for entry in Spool(tmp_path).entries()] == [2, 3, 4]
    first = spool.first()
    spool.remove_first(first)
    spool.remove_first(first)  # an acknowledgement seen twice removes one entry, not two
    assert [entry["payload"]["n"] for entry in spool.entries()] == [3, 4]


def test_day_reports_count_each_day_apart_and_carry_nothing_personal(tmp_path):
    days = [dt.date(2026, 11, 30), dt.date(2026, 12, 1)]
    for day in days:
        usage = UsageLog(tmp_path, today=lambda day=day: day)
        usage.record("topic", topic="Hộ tịch")
        usage.record("search", query="Nguyễn Văn An 0912 345 678 số nhà 12 ngõ 34 phố Tây Sơn", hits=0)
    reports = day_reports(tmp_path, "to-9", {"2026-11-30", "2026-12-01", "2026-12-02"})
    assert set(reports) == {"2026-11-30", "2026-12-01"}  # a day with nothing sends nothing
    report = reports["2026-12-01"]
    assert report["topics"] == {"Hộ tịch": 1} and report["searches"] == 1
    (term,) = report["not_found"]
    assert len(term) <= 40 and term == term.lower()  # folded words, cut short: kiosk/ops/stats.py's rule
    assert "start" not in json.dumps(report) and "T" not in report["day"]  # no time finer than the day


def test_the_office_stores_a_day_once_the_fuller_count_wins_and_an_older_one_late_changes_nothing(tmp_path):
    store = SqliteFleetStore(tmp_path / "office.sqlite")
    partial = {"display": "to-9", "day": "2026-12-01", "made_at": "2026-12-01T12:00:00+07:00", "topics": {"Hộ tịch": 1}}
    final = {**partial, "made_at": "2026-12-02T00:00:05+07:00", "topics": {"Hộ tịch": 3}}
    assert store.save_report("to-9", "2026-12-01", partial, "r1")
    assert not store.save_report("to-9", "2026-12-01", partial, "r2")  # the same message twice
    assert store.save_report("to-9", "2026-12-01", final, "r3")
    assert not store.save_report("to-9", "2026-12-01", partial, "r4")  # the older one, arriving late
    assert [report["topics"] for report in store.reports()] == [{"Hộ tịch": 3}]
    assert store.reports(first="2026-12-02") == [] and store.reports(display="to-10") == []


def test_hostile_report_fields_are_passed_over_in_the_interest_report():
    reports = [{"display": "to-9", "day": "2026-12-01", "topics": {"Hộ tịch": 2, "x": "many", "y": None, "z": True, "w": -5},
                "questions": [["Hộ tịch", "Khai sinh?", 1], ["bad"], "no", ["a", "b", "3"]],
                "searches": "lots", "not_found": ["not", "a", "dict"], "menu": None, "plays": {"s": ["1"], "t": [2, 3.0]}},
               {"display": "to-9", "day": "2026-12-02", "topics": [], "plays": []}]
    report = interest_report(reports)
    assert report.topics == {"Hộ tịch": 2} and report.searches == 0 and report.plays == {"to-9": {"t": 2}}
    assert report.questions == {("Hộ tịch", "Khai sinh?"): 1}
    text = format_interest(report)
    assert "từ 01/12/2026 đến 02/12/2026" in text and "Hộ tịch" in text


def test_messages_that_are_not_what_they_claim_are_ignored(broker, tmp_path):
    woken = []
    shots = []
    settings = DisplaySettings(id="to-9", state_dir=str(tmp_path / "state"), fleet_url=broker.url,
                               fleet_password=BROKER_PASSWORDS["to-9"], fleet_ca_file=str(broker.ca))
    link = DisplayLink(settings, on_sync_now=lambda: woken.append(time.monotonic()),
                       on_screenshot=lambda deliver: shots.append(deliver), heartbeat=1.0, sync_spread=0)
    assert link.start()
    store = SqliteFleetStore(tmp_path / "office.sqlite")
    office = OfficeLink(BrokerAccount(broker.url, "office", BROKER_PASSWORDS["office"], str(broker.ca)), store)
    try:
        assert office.wait_connected(10)
        deadline = time.monotonic() + 10
        while not link.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert link.connected
        for payload in (b"\xff\xfe", b"[1, 2]", b'{"command": "rm -rf /"}', b'{"command": ["sync-now"]}', b"null"):
            office.client.publish(topics.command_topic("to-9"), payload, qos=1).wait_for_publish(5)
        for payload in (b'{"version": "99"}', b'{"version": true}', b'{"version": 1e999}', b"{}"):
            office.client.publish(topics.LATEST, payload, qos=1).wait_for_publish(5)
        time.sleep(1)
        assert woken == [] and shots == []
        # A real one still works (with no spread here: a wrong wake-up above would have come at once).
        office.client.publish(topics.LATEST, b'{"version": 2}', qos=1).wait_for_publish(5)
        deadline = time.monotonic() + 5
        while not woken and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(woken) == 1
        # Nothing changed, and the status comes again at the heartbeat.
        assert office.wait_for(lambda: store.displays() and store.displays()[0].status.get("uptime_seconds", -1) >= 0, 5)
        first = store.displays()[0].status["uptime_seconds"]
        assert office.wait_for(lambda: store.displays()[0].status["uptime_seconds"] > first, 5)
        # The office keeps the display's name from the topic, whatever the message says.
        link.stop()
        forger = new_client(BrokerAccount(broker.url, "to-9", BROKER_PASSWORDS["to-9"], str(broker.ca)), "forger")
        forger.connect("127.0.0.1", broker.port)
        forger.loop_start()
        forger.publish(topics.display_topic("to-9", topics.REPORT), topics.encode(
            {"display": "mot-cua", "day": "2026-12-01", "made_at": "x", "topics": {"Hộ tịch": 1}}), qos=1).wait_for_publish(5)
        forger.publish(topics.display_topic("to-9", topics.REPORT), topics.encode(
            {"day": "2026-12-01'; drop table day_report; --", "topics": {}}), qos=1).wait_for_publish(5)
        assert office.wait_for(lambda: store.reports(), 10)
        forger.disconnect()
        forger.loop_stop()
        assert [report["display"] for report in store.reports()] == ["to-9"]
        assert store.reports(display="mot-cua") == []
    finally:
        office.close()
        link.stop()


def run_fleet(*args: str, password: str | None = "office-secret") -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WARD_FLEET")}
    if password is not None:
        env["WARD_FLEET_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "kiosk", "fleet", *args], env=env, capture_output=True, text=True,
                          timeout=30, cwd=REPO)


def test_the_office_commands_say_in_one_line_what_is_wrong(broker, tmp_path):
    db = ["--db", str(tmp_path / "office.sqlite")]
    cases = [
        (["list", "--broker", broker.url, "--ca", str(broker.ca), *db], "wrong", "máy chủ từ chối"),
        (["list", "--broker", f"mqtts://127.0.0.1:{closed_port()}", "--ca", str(broker.ca), *db], None,
         "không kết nối được tới máy chủ MQTT"),
        (["list", "--broker", broker.url, *db], None, "không kết nối được tới máy chủ MQTT"),  # the system's CAs
        (["sync-now", "all", *db], None, "chưa có địa chỉ máy chủ MQTT"),
        (["list", "--broker", "http://127.0.0.1:1", *db], None, "phải có dạng mqtts://"),
        (["list", "--broker", broker.url, "--password-file", str(tmp_path / "none"), *db], "",
         "không đọc được mật khẩu MQTT"),
        (["announce", str(tmp_path), "--broker", broker.url, "--ca", str(broker.ca), *db], None,
         "không đọc được"),
    ]
    for args, password, said in cases:
        started = time.monotonic()
        done = run_fleet(*args, password="office-secret" if password is None else password)
        assert done.returncode == 1, (args, done.stdout)
        assert said in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert time.monotonic() - started < 8
    # A display's last will, retained by the broker: a new office learns it is offline, and that it
    # cannot know since when.
    will = new_client(BrokerAccount(broker.url, "to-9", BROKER_PASSWORDS["to-9"], str(broker.ca)), "will")
    will.connect("127.0.0.1", broker.port)
    will.loop_start()
    will.publish(topics.display_topic("to-9", topics.STATUS), b'{"display": "to-9", "online": false}', qos=1,
                 retain=True).wait_for_publish(5)
    will.disconnect()
    will.loop_stop()
    listed = run_fleet("--broker", broker.url, "--ca", str(broker.ca), *db, "list")  # the options before, too
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "to-9: MẤT KẾT NỐI (không rõ từ lúc nào: văn phòng chưa thấy màn hình này chạy)"
    empty = run_fleet("report", *db)
    assert empty.returncode == 0 and "Chưa có số liệu" in empty.stdout


def test_a_publish_the_broker_refuses_to_announce_is_still_published_and_says_so(broker, tmp_path):
    from kiosk.delivery import signing
    from kiosk.delivery.manifest import MANIFEST_FILE, parse
    private, _, _ = signing.write_key_pair(tmp_path / "keys")
    out = tmp_path / "site"
    env = {key: value for key, value in os.environ.items() if not key.startswith("WARD_FLEET")}
    done = subprocess.run([sys.executable, "-m", "kiosk", "publish", str(REPO / "config"), "--out", str(out),
                           "--key", str(private), "--announce", "--broker", broker.url, "--ca", str(broker.ca),
                           "--db", str(tmp_path / "office.sqlite")],
                          env={**env, "WARD_FLEET_PASSWORD": "wrong"}, capture_output=True, text=True, timeout=60,
                          cwd=REPO)
    assert done.returncode == 1, done.stdout
    assert "Đã xuất bản phiên bản 1" in done.stdout
    assert "máy chủ từ chối" in done.stderr and "đã xuất bản xong" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert parse((out / MANIFEST_FILE).read_bytes()).version == 1
    # With no broker to announce to, nothing is published: the clerk learns it before the publication.
    unsaid = subprocess.run([sys.executable, "-m", "kiosk", "publish", str(REPO / "config"), "--out", str(out),
                             "--key", str(private), "--announce"], env=env, capture_output=True, text=True,
                            timeout=60, cwd=REPO)
    assert unsaid.returncode == 1 and "--announce cần địa chỉ máy chủ MQTT" in unsaid.stderr, unsaid.stderr
    assert unsaid.stdout == "" and parse((out / MANIFEST_FILE).read_bytes()).version == 1


def test_a_broker_the_display_cannot_trust_is_said_once_and_stopping_stays_quick(broker, tmp_path, caplog):
    other_ca = tmp_path / "other"
    other_ca.mkdir()
    from fleet_servers import make_certificates
    wrong, _, _ = make_certificates(other_ca)
    settings = DisplaySettings(id="to-9", state_dir=str(tmp_path / "state"), fleet_url=broker.url,
                               fleet_password=BROKER_PASSWORDS["to-9"], fleet_ca_file=str(wrong))
    link = DisplayLink(settings, on_sync_now=lambda: None)
    with caplog.at_level("INFO", logger="kiosk.fleet"):
        assert link.start()
        time.sleep(2)  # paho has tried twice: at once, and 1 s later
        assert not link.connected
        started = time.monotonic()
        link.stop()
        assert time.monotonic() - started < 3
    said = [record.getMessage() for record in caplog.records if "Chưa kết nối được" in record.getMessage()]
    assert len(said) == 1 and "fleet_ca_file" in said[0]
