"""Operations: systemd notify and watchdog pings, the heartbeat, staleness warnings, `kiosk health`,
the Prometheus textfile, and no log flood while the network is down."""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import re
import socket
import subprocess
import sys
import uuid
from collections import namedtuple
from pathlib import Path

import pytest
import yaml

from feed_servers import MisbehavingServer, closed_port, make_feed
from kiosk.delivery import signing
from kiosk.delivery.publish import publish
from kiosk.delivery.fetch import Fetcher
from kiosk.delivery.sync import Syncer
from kiosk.feed.validate import load_feed
from kiosk.ops import status
from kiosk.ops.heartbeat import SYNC_HEARTBEAT_FILE, Heartbeat, Liveness, heartbeat_age
from kiosk.ops.metrics import metrics_text, write_metrics
from kiosk.ops.stats import PlayLog
from kiosk.ops.status import health_problems, inspect, staleness_warnings, status_lines
from kiosk.ops.systemd import PING_DEFAULT, SystemdNotifier
from kiosk.settings import DisplaySettings

REPO = Path(__file__).resolve().parents[1]
UTC = dt.timezone.utc


# ---------------------------------------------------------------------------------- systemd notify


def _listener(address: str) -> socket.socket:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(address)
    listener.settimeout(2)
    return listener


@pytest.mark.parametrize("kind", ["path", "abstract"])
def test_ready_and_watchdog_pings_reach_the_notify_socket(tmp_path, kind):
    if kind == "path":
        address = env_value = str(tmp_path / "notify")
    else:
        name = f"ward-kiosk-test-{uuid.uuid4().hex}"
        address, env_value = "\0" + name, "@" + name
    with _listener(address) as listener:
        notifier = SystemdNotifier({"NOTIFY_SOCKET": env_value, "WATCHDOG_USEC": "60000000"})
        assert notifier.enabled and notifier.ping_interval == 15
        assert notifier.ready("Đang chiếu")
        assert listener.recv(4096).decode() == "READY=1\nSTATUS=Đang chiếu\n"
        assert notifier.watchdog()
        assert listener.recv(4096) == b"WATCHDOG=1\n"
        assert notifier.stopping()
        assert listener.recv(4096) == b"STOPPING=1\n"
        notifier.close()


def test_a_notifier_and_liveness_use_the_environment(tmp_path, monkeypatch):
    address = str(tmp_path / "notify")
    monkeypatch.setenv("NOTIFY_SOCKET", address)
    monkeypatch.setenv("WATCHDOG_USEC", "10000000")
    notifier = SystemdNotifier()  # what the display's composition root makes, once
    with _listener(address) as listener:
        assert notifier.ready()
        assert listener.recv(4096) == b"READY=1\n"
        assert notifier.watchdog()
        assert listener.recv(4096) == b"WATCHDOG=1\n"
        live = Liveness(tmp_path / "state", notifier)
        assert live.interval == 5  # half of WatchdogSec=10
        live.ready()
        assert listener.recv(4096) == b"READY=1\n"
        live.tick()
        assert listener.recv(4096) == b"WATCHDOG=1\n"
        assert heartbeat_age(tmp_path / "state") < 5
    notifier.close()


def test_without_systemd_everything_is_a_quiet_no_op(tmp_path, caplog):
    notifier = SystemdNotifier({})
    assert not notifier.enabled and notifier.ping_interval == PING_DEFAULT
    assert not notifier.ready() and not notifier.watchdog()
    # a socket that is not there (systemd gone): logged once, never raised, however often pinged
    caplog.set_level(logging.INFO, logger="kiosk.ops.systemd")
    gone = SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "nobody")})
    assert not any(gone.watchdog() for _ in range(20))
    assert len(caplog.records) == 1 and "không báo được cho systemd" in caplog.records[0].getMessage()
    # and back once it returns: said once again
    with _listener(str(tmp_path / "nobody")) as listener:
        assert gone.watchdog() and listener.recv(100) == b"WATCHDOG=1\n"
    assert len(caplog.records) == 2 and "trở lại" in caplog.records[1].getMessage()
    assert SystemdNotifier({"NOTIFY_SOCKET": "vsock:2:1"}).enabled is False


def test_the_running_app_tells_systemd_it_is_ready_pings_the_watchdog_and_says_when_it_stops(tmp_path):
    """The real display under a notify socket, as the unit in deploy/ runs it (Type=notify, WatchdogSec=2)."""
    address = str(tmp_path / "notify")
    state = tmp_path / "state"
    settings = tmp_path / "display.yaml"
    settings.write_text(f"id: man-hinh-thu\nstate_dir: {state}\n", encoding="utf-8")
    env = dict(os.environ, NOTIFY_SOCKET=address, WATCHDOG_USEC="2000000", KIVY_NO_ARGS="1")
    with _listener(address) as listener:
        listener.settimeout(60)
        app = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--windowed", "--size", "640x360",
                                "--config", str(settings), str(REPO / "config")], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            assert listener.recv(4096).decode().startswith("READY=1\nSTATUS=phiên bản ")
            assert heartbeat_age(state) < 5
            listener.settimeout(3)  # pings every second (half of WatchdogSec)
            assert [listener.recv(4096) for _ in range(3)] == [b"WATCHDOG=1\n"] * 3
            app.terminate()
            while (message := listener.recv(4096)) == b"WATCHDOG=1\n":
                pass
            assert message == b"STOPPING=1\n"
            assert app.wait(timeout=30) == 0, app.stderr.read()[-3000:]
        finally:
            app.kill()
            app.wait()


# ---------------------------------------------------------------------------------- heartbeat


def test_the_heartbeat_is_cheap_and_survives_a_clock_jump(tmp_path):
    state = tmp_path / "state"
    assert heartbeat_age(state) is None
    beat = Heartbeat(state)
    assert beat.beat() and not beat.beat()  # at most once a minute, however often called
    assert beat.beat(force=True)
    text = (state / "heartbeat").read_text()
    assert text.split()[2] == str(os.getpid())
    # the wall clock jumps (NTP on a board without a battery clock): this boot's age still holds
    os.utime(state / "heartbeat", (0, 0))
    assert heartbeat_age(state) < 5
    # a heartbeat from another boot is judged by the file's time
    (state / "heartbeat").write_text("another-boot 12.0 4242\n")
    old = dt.datetime.now().timestamp() - 600
    os.utime(state / "heartbeat", (old, old))
    assert 590 < heartbeat_age(state) < 700


def test_a_heartbeat_that_cannot_be_written_is_logged_once(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="kiosk.ops.heartbeat")
    (tmp_path / "state").write_text("a file where the folder should be")
    beat = Heartbeat(tmp_path / "state")
    assert not any(beat.beat(force=True) for _ in range(5))
    assert len(caplog.records) == 1 and "nhịp tim" in caplog.records[0].getMessage()


# ---------------------------------------------------------------------------------- staleness


def _feed_with_slides(folder: Path, *, expires: dt.date, ended: int = 0) -> Path:
    make_feed(folder, 1, expires=expires)
    extra = "".join(f"""
  - type: text
    id: thong-bao-cu-{n}
    title: Thông báo cũ số {n}
    body: Lịch tiếp dân tháng trước.
    end: 2020-01-0{n + 1}
""" for n in range(ended))
    with (folder / "feed.yaml").open("a", encoding="utf-8") as out:
        out.write(extra)
    return folder


def app_beats(state: Path) -> None:
    """What a running app with a feed_url writes: its heartbeat and its sync thread's."""
    Heartbeat(state).beat()
    Heartbeat(state, name=SYNC_HEARTBEAT_FILE).beat(due=300)


@pytest.fixture
def ward(tmp_path):
    """Publishes feeds to a small local web server; installs them in a state folder with a Syncer."""
    class Ward:
        key = signing.new_private_key()
        site = tmp_path / "site"
        state = tmp_path / "state"
        server = MisbehavingServer(site)

        def settings(self, **extra) -> DisplaySettings:
            return DisplaySettings(id="nha-van-hoa-to-5", feed_url=self.server.url,
                                   public_key=signing.public_key_text(self.key), state_dir=str(self.state), **extra)

        def install(self, *, issued: dt.datetime | None = None, expires: dt.date | None = None, ended: int = 0):
            source = tmp_path / f"src-{uuid.uuid4().hex[:6]}"
            _feed_with_slides(source, expires=expires or dt.date.today() + dt.timedelta(days=300), ended=ended)
            publish(source, self.site, self.key, now=issued)
            syncer = Syncer(self.settings())
            try:
                result = syncer.run_once()
            finally:
                syncer.close()
            assert result.outcome == "installed", result.message
            return result

        def settings_file(self, **extra) -> Path:
            path = tmp_path / "display.yaml"
            path.write_text(yaml.safe_dump({"id": "nha-van-hoa-to-5", "feed_url": self.server.url,
                                            "public_key": signing.public_key_text(self.key),
                                            "state_dir": str(self.state), **extra}), encoding="utf-8")
            return path

    yield Ward()
    Ward.server.stop()


def test_a_fresh_display_has_no_warnings(ward):
    ward.install()
    app_beats(ward.state)
    seen = inspect(ward.settings())
    assert staleness_warnings(seen) == []
    assert health_problems(seen) == ([], 0)


def test_old_content_ended_slides_and_an_expiry_soon_are_each_said_in_one_line(ward):
    issued = dt.datetime.now(UTC) - dt.timedelta(days=45)
    ward.install(issued=issued, expires=dt.date.today() + dt.timedelta(days=5), ended=2)
    warnings = staleness_warnings(inspect(ward.settings()))
    assert len(warnings) == 4, warnings
    assert "phát hành đã 45 ngày" in warnings[0]
    assert "sắp hết hạn: còn" in warnings[1] and "ngày" in warnings[1]
    assert warnings[2].startswith("trang chiếu `thong-bao-cu-0` đã qua ngày cuối (`end`: 01/01/2020)")
    assert "thong-bao-cu-1" in warnings[3]
    assert all("\n" not in line for line in warnings)


def test_an_expired_feed_is_said_once(ward):
    ward.install(expires=dt.date.today() + dt.timedelta(days=20))
    later = dt.datetime.now(UTC) + dt.timedelta(days=25)
    seen = inspect(ward.settings(), now=later)
    expired = [line for line in staleness_warnings(seen) if "đã hết hạn lúc" in line]
    assert len(expired) == 1 and expired[0].startswith("bản tin đang chiếu đã hết hạn lúc ")
    # `kiosk status` has its own line for an installed feed that expired: not said twice
    assert not any("đã hết hạn" in line for line in staleness_warnings(seen, expired_said=True))


def test_many_ended_slides_are_named_up_to_five_then_counted(ward):
    ward.install(ended=8)
    warnings = staleness_warnings(inspect(ward.settings()))
    assert sum("đã qua ngày cuối (`end`" in line for line in warnings) == 5
    assert warnings[-1] == "… và 3 trang chiếu khác đã qua ngày cuối"


def test_a_feed_server_unreachable_for_hours_is_warned_with_the_last_error(ward):
    ward.install()
    status_file = ward.state / "status.json"
    now = dt.datetime.now(UTC)
    syncer = Syncer(ward.settings(), clock=lambda: now + dt.timedelta(hours=8))
    syncer.settings = ward.settings().model_copy(update={"feed_url": f"http://127.0.0.1:{closed_port()}/"})
    syncer.fetcher.timeouts = (2, 2)
    assert syncer.run_once().outcome == "failed"
    syncer.close()
    assert "last_error" in status_file.read_text()
    seen = inspect(ward.settings(), now=now + dt.timedelta(hours=8))
    warnings = staleness_warnings(seen)
    assert len(warnings) == 1
    assert warnings[0].startswith("đã 8 giờ không đồng bộ được với máy chủ bản tin (lần cuối được lúc ")
    assert "không kết nối được tới máy chủ bản tin 127.0.0.1" in warnings[0]
    # two hours is not "for hours" yet
    assert staleness_warnings(inspect(ward.settings(), now=now + dt.timedelta(hours=2))) == []


def test_never_synced_and_the_bundled_sample_are_warned(tmp_path):
    state = tmp_path / "state"
    settings = DisplaySettings(feed_url=f"http://127.0.0.1:{closed_port()}/",
                               public_key=signing.public_key_text(signing.new_private_key()), state_dir=str(state))
    syncer = Syncer(settings)
    syncer.fetcher.timeouts = (2, 2)
    syncer.run_once()
    syncer.close()
    warnings = staleness_warnings(inspect(settings))
    assert warnings[0].startswith("màn hình đang chiếu bản tin mẫu kèm phần mềm")
    assert warnings[1].startswith("chưa lần nào đồng bộ được với máy chủ bản tin: không kết nối được")


def test_a_nearly_full_disk_is_warned(ward, monkeypatch):
    ward.install()
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(status.shutil, "disk_usage", lambda path: usage(16 * 1024 ** 3, 0, 120 * 1024 ** 2))
    warnings = staleness_warnings(inspect(ward.settings()))
    assert len(warnings) == 1
    assert warnings[0].startswith("ổ đĩa sắp đầy: còn trống 120 MB trên 16 GB")
    monkeypatch.setattr(status.shutil, "disk_usage", lambda path: usage(100 * 1024 ** 3, 0, 4 * 1024 ** 3))
    assert "ổ đĩa sắp đầy" in staleness_warnings(inspect(ward.settings()))[0]  # 4% free of a big disk


def test_status_lines_carry_the_warnings_and_keep_their_verdict(ward):
    ward.install(ended=1)
    lines, ok = status_lines(ward.settings())
    assert ok
    assert any(line.startswith("cảnh báo: trang chiếu `thong-bao-cu-0` đã qua ngày cuối") for line in lines)
    assert lines[-1].startswith("Thư mục trạng thái:")


# ---------------------------------------------------------------------------------- kiosk health


def kiosk(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "kiosk", *map(str, args)], cwd=REPO, capture_output=True,
                            text=True, timeout=60, env={**os.environ, **(env or {})})
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def test_kiosk_health_exit_codes(ward, tmp_path):
    ward.install(ended=1)
    settings_file = ward.settings_file()
    # the app has not run: 7 (systemd's NOTRUNNING), a restart may help
    result = kiosk("health", "--config", settings_file)
    assert result.returncode == 7
    assert result.stderr.strip().splitlines() == [
        f"ứng dụng màn hình chưa ghi nhịp tim ({ward.state / 'heartbeat'}): màn hình chưa chạy, hoặc chạy với "
        f"thư mục trạng thái khác"]
    # the app beats: 0, with the staleness warning on stdout (not with --quiet)
    app_beats(ward.state)
    result = kiosk("health", "--config", settings_file)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.splitlines() == [
        "cảnh báo: trang chiếu `thong-bao-cu-0` đã qua ngày cuối (`end`: 01/01/2020) mà vẫn còn trong bản tin; "
        "hãy gỡ ra ở lần xuất bản tới",
        "Màn hình nha-van-hoa-to-5 hoạt động bình thường."]
    assert kiosk("health", "--quiet", "--config", settings_file).stdout == ""
    # the app froze ten minutes ago (a heartbeat from before a reboot is judged by its file time)
    (ward.state / "heartbeat").write_text("another-boot 1.0 1\n")
    old = dt.datetime.now().timestamp() - 600
    os.utime(ward.state / "heartbeat", (old, old))
    result = kiosk("health", "--quiet", "--config", settings_file)
    assert result.returncode == 7
    assert re.fullmatch(r"ứng dụng màn hình đã 10 phút không ghi nhịp tim \(.*heartbeat\): đã dừng hoặc bị treo\n",
                        result.stderr)


@pytest.mark.parametrize("display_zone", ["UTC", "America/New_York", "Asia/Tokyo", "Asia/Ho_Chi_Minh"])
def test_a_local_feed_expires_at_midnight_hanoi_time_whatever_the_display_zone(tmp_path, display_zone):
    """The moment a feed stops is the feed's (Hanoi's) end of its `expires` day, as publish signs it."""
    make_feed(tmp_path / "ban-tin", 1)
    expires = load_feed(tmp_path / "ban-tin").feed.expires
    settings = DisplaySettings(feed="ban-tin", state_dir=str(tmp_path / "state"), timezone=display_zone)
    end = dt.datetime.combine(expires, dt.time(17), tzinfo=UTC)  # 24:00 in Hanoi
    expired = [line for line in staleness_warnings(inspect(settings, tmp_path / "display.yaml", now=end))
               if "đã hết hạn" in line]
    assert len(expired) == 1, expired
    assert not any("đã hết hạn" in line for line in staleness_warnings(
        inspect(settings, tmp_path / "display.yaml", now=end - dt.timedelta(minutes=1))))


def test_kiosk_health_says_when_the_content_does_not_load(tmp_path):
    state = tmp_path / "state"
    Heartbeat(state).beat()
    broken = tmp_path / "ban-tin"
    make_feed(broken, 1)
    (broken / "feed.yaml").write_text((broken / "feed.yaml").read_text().replace("format: 1", "format: 7"))
    settings_file = tmp_path / "display.yaml"
    settings_file.write_text(f"feed: ban-tin\nstate_dir: {state}\n", encoding="utf-8")
    result = kiosk("health", "--config", settings_file)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line == (f"nội dung màn hình sẽ chiếu không dùng được: {broken / 'feed.yaml'}:2:9: `format` không nhận "
                    f"`7`; chỉ được: 1")
    # a settings mistake: its line, exit 1, no traceback
    settings_file.write_text("rotation: 45\n", encoding="utf-8")
    result = kiosk("health", "--config", settings_file)
    assert result.returncode == 1 and result.stderr.startswith(f"{settings_file}:1:")


def test_the_settings_file_can_come_from_the_environment(tmp_path):
    settings_file = tmp_path / "display.yaml"
    settings_file.write_text(f"id: may-mot-cua\nstate_dir: {tmp_path / 'state'}\n", encoding="utf-8")
    Heartbeat(tmp_path / "state").beat()
    result = kiosk("health", env={"WARD_KIOSK_CONFIG": str(settings_file)})
    assert result.returncode == 0 and "Màn hình may-mot-cua hoạt động bình thường." in result.stdout


# ---------------------------------------------------------------------------------- metrics

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\} (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')


def parse_textfile(text: str) -> dict:
    """Prometheus text format, strictly: HELP and TYPE before each family's samples, every sample
    line `name{labels} value`. Returns {(name, frozenset(labels)): value}."""
    assert text.endswith("\n")
    samples, helped, typed = {}, set(), {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split()[2]
            assert name not in helped, f"HELP twice for {name}"
            helped.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            assert name in helped and name not in typed and kind in ("gauge", "counter")
            typed[name] = kind
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        assert name in typed, f"{name} has no TYPE line before it"
        if typed[name] == "counter":
            assert name.endswith("_total")
        key = (name, frozenset(LABEL.findall(labels)))
        assert key not in samples
        samples[key] = float(value)  # float() reads +Inf and NaN as Prometheus writes them
    return samples


def test_metrics_file_format_and_values(ward, tmp_path):
    ward.install()
    plays = PlayLog(ward.state, "nha-van-hoa-to-5")
    start = dt.datetime(2026, 12, 1, 7, 30)
    for n in range(5):
        plays.record("lich-tiep-dan", start + dt.timedelta(seconds=20 * n), 20)
    plays.record('la"bel\\khó', start, 10)
    out = tmp_path / "textfile" / "ward-kiosk.prom"
    result = kiosk("metrics", "--config", ward.settings_file(), "--out", out)
    assert result.returncode == 0 and result.stdout == result.stderr == ""
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in out.parent.iterdir()] == ["ward-kiosk.prom"]  # no temporary file left
    samples = parse_textfile(out.read_text(encoding="utf-8"))
    display = ("display", "nha-van-hoa-to-5")

    def value(name, *labels):
        return samples[(name, frozenset([display, *labels]))]

    assert value("ward_kiosk_feed_version") == 1
    assert value("ward_kiosk_info", ("mode", "loop")) == 1
    assert 0 <= value("ward_kiosk_last_sync_age_seconds") < 60
    assert value("ward_kiosk_sync_failing") == 0 and value("ward_kiosk_sync_errors_total") == 0
    assert value("ward_kiosk_slides_shown", ("slide", "lich-tiep-dan")) == 5
    assert value("ward_kiosk_slides_shown", ("slide", 'la\\"bel\\\\khó')) == 1
    assert value("ward_kiosk_slides_shown_all") == 6
    assert math.isinf(value("ward_kiosk_heartbeat_age_seconds"))
    assert value("ward_kiosk_healthy") == 0 and value("ward_kiosk_warnings") == 0
    assert value("ward_kiosk_disk_free_bytes") > 0
    expires = value("ward_kiosk_feed_expires_timestamp_seconds")
    assert expires > value("ward_kiosk_feed_issued_timestamp_seconds")

    # a failed sync and a beat: counted, and the file is replaced whole
    syncer = Syncer(ward.settings().model_copy(update={"feed_url": f"http://127.0.0.1:{closed_port()}/"}))
    syncer.fetcher.timeouts = (2, 2)
    syncer.run_once(), syncer.run_once()
    syncer.close()
    app_beats(ward.state)
    write_metrics(inspect(ward.settings()), out)
    samples = parse_textfile(out.read_text(encoding="utf-8"))
    assert value("ward_kiosk_sync_failing") == 1 and value("ward_kiosk_sync_errors_total") == 2
    assert value("ward_kiosk_heartbeat_age_seconds") < 5 and value("ward_kiosk_healthy") == 1


def test_metrics_of_a_display_that_never_synced(tmp_path):
    samples = parse_textfile(metrics_text(inspect(DisplaySettings(state_dir=str(tmp_path / "state")))))
    display = ("display", "man-hinh-1")
    assert samples[("ward_kiosk_feed_version", frozenset([display]))] == 0
    assert math.isinf(samples[("ward_kiosk_last_sync_age_seconds", frozenset([display]))])
    assert samples[("ward_kiosk_warnings", frozenset([display]))] == 1  # the sample is shown


def test_metrics_say_in_one_line_when_the_file_cannot_be_written(tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    settings_file = tmp_path / "display.yaml"
    settings_file.write_text(f"state_dir: {tmp_path / 'state'}\n", encoding="utf-8")
    result = kiosk("metrics", "--config", settings_file, "--out", tmp_path / "taken" / "k.prom")
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"không ghi được `{tmp_path / 'taken' / 'k.prom'}`")


# ---------------------------------------------------------------------------------- logs


def test_a_network_down_for_many_polls_is_logged_once(tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="kiosk")
    settings = DisplaySettings(feed_url=f"http://127.0.0.1:{closed_port()}/",
                               public_key=signing.public_key_text(signing.new_private_key()),
                               state_dir=str(tmp_path / "state"))
    syncer = Syncer(settings)
    syncer.fetcher.timeouts = (2, 2)
    for _ in range(4):
        assert syncer.run_once().outcome == "failed"
        status_lines(settings)  # what the staff screen and the health timer do meanwhile
    syncer.close()
    ours = [r for r in caplog.records if r.name.split(".")[0] == "kiosk"]  # not the libraries' own debug lines
    assert [r.levelname for r in ours] == ["WARNING"], [(r.name, r.getMessage()) for r in ours]
    assert "không kết nối được" in ours[0].getMessage()


def test_an_unexpected_sync_error_logs_its_traceback_once(tmp_path, caplog):
    class Broken(Fetcher):  # a bug inside the request: everything else as it is
        def open(self, *args, **kwargs):
            raise RuntimeError("a bug")

    caplog.set_level(logging.DEBUG, logger="kiosk")
    settings = DisplaySettings(feed_url="https://example.invalid/", state_dir=str(tmp_path / "state"),
                               public_key=signing.public_key_text(signing.new_private_key()))
    syncer = Syncer(settings, fetcher=Broken())
    for _ in range(4):
        assert "RuntimeError" in syncer.run_once().message
    assert sum(1 for r in caplog.records if r.exc_info) == 1
