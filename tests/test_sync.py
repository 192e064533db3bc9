"""Sync against a real nginx serving what `kiosk publish` wrote, exactly as staff would upload it,
and a small misbehaving server for what nginx will not do. Every fault must leave the previous
feed installed, whole, and the reason in the status file."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from feed_servers import MisbehavingServer, Nginx, closed_port, feed_text, make_feed, png
from kiosk.delivery import signing
from kiosk.delivery.manifest import FileEntry, Manifest, parse
from kiosk.delivery.publish import publish
from kiosk.feed.model import expiry_moment
from kiosk.settings import DisplaySettings, default_state_dir, load_settings
from kiosk.delivery.store import INSTALLED_MANIFEST, INSTALLED_SIGNATURE
from kiosk.delivery.fetch import Fetcher
from kiosk.delivery.sync import Syncer, installed_feed
from kiosk.delivery.sync_state import read_status
from kiosk.delivery.trusted_time import trusted_now
from kiosk.ops.status import status_lines
from kiosk.feed.validate import load_feed

REPO = Path(__file__).resolve().parents[1]
UTC = dt.timezone.utc


@pytest.fixture
def odd_server(rig):
    server = MisbehavingServer(rig.site)
    yield server
    server.stop()


def fast_fetcher() -> Fetcher:
    return Fetcher(connect_timeout=2, read_timeout=0.5)


class Rig:
    """One display and one ward: a source feed, its published folder on nginx, a state folder."""

    def __init__(self, tmp_path: Path, nginx: Nginx, key, name: str):
        self.tmp = tmp_path
        self.nginx = nginx
        self.key = key
        self.public = signing.public_key_text(key)
        self.name = name
        self.source = tmp_path / "src"
        self.site, self.url = nginx.site(name)
        self.state = tmp_path / "state"

    def settings(self, url: str | None = None, state: Path | None = None) -> DisplaySettings:
        return DisplaySettings(feed_url=url or self.url, public_key=self.public, state_dir=str(state or self.state))

    def syncer(self, url: str | None = None, state: Path | None = None, **kwargs) -> Syncer:
        return Syncer(self.settings(url, state), **kwargs)

    def sync(self, url: str | None = None, **kwargs):
        syncer = self.syncer(url, **kwargs)
        try:
            return syncer.run_once()
        finally:
            syncer.close()

    def publish(self, pictures: int = 3, now: dt.datetime | None = None, **kwargs):
        if self.source.exists():
            shutil.rmtree(self.source)
        make_feed(self.source, pictures, **kwargs)
        return publish(self.source, self.site, self.key, now=now)

    def requests(self):
        return self.nginx.requests(f"/{self.name}/")

    def manifest(self) -> Manifest:
        return parse((self.site / "manifest.json").read_bytes())

    def sign_by_hand(self, files: dict[str, bytes], version: int, *, names: dict[str, str] | None = None,
                     issued: dt.datetime | None = None, expires: dt.datetime | None = None) -> None:
        """A signed manifest made without `kiosk publish` (what a stolen key or a bug could make)."""
        for path, data in files.items():
            (self.site / path).parent.mkdir(parents=True, exist_ok=True)
            (self.site / path).write_bytes(data)
        entries = [FileEntry((names or {}).get(path, path), len(data), hashlib.sha256(data).hexdigest())
                   for path, data in files.items()]
        now = dt.datetime.now(UTC).replace(microsecond=0)
        raw = Manifest(version, issued or now, expires or now + dt.timedelta(days=30), tuple(entries)).to_bytes()
        (self.site / "manifest.json").write_bytes(raw)
        (self.site / "manifest.json.sig").write_bytes(signing.sign(self.key, raw))

    def settings_file(self, url: str | None = None) -> Path:
        path = self.tmp / f"display-{len(list(self.tmp.glob('display-*')))}.yaml"
        path.write_text(yaml.safe_dump({"id": "nha-van-hoa-to-5", "feed_url": url or self.url,
                                        "public_key": self.public, "state_dir": str(self.state)}))
        return path


@pytest.fixture
def rig(tmp_path, nginx, key, request):
    return Rig(tmp_path, nginx, key, request.node.name.replace("[", "-").replace("]", ""))


def installed_version(state: Path, public: str) -> int:
    """The installed feed is whole: every listed file there with its signed size and hash, nothing
    else, the signature good, the feed valid. Returns its version."""
    folder = installed_feed(state)
    assert folder is not None, "nothing installed"
    raw = (folder / INSTALLED_MANIFEST).read_bytes()
    assert signing.verify(signing.parse_public_key(public), raw, (folder / INSTALLED_SIGNATURE).read_bytes())
    manifest = parse(raw)
    for entry in manifest.files:
        data = (folder / entry.path).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry.size, entry.sha256), entry.path
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert present == {e.path for e in manifest.files} | {INSTALLED_MANIFEST, INSTALLED_SIGNATURE}
    result = load_feed(folder)
    assert result.feed is not None and result.feed.version == manifest.version, result.problems
    return manifest.version


def kiosk(*args) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "kiosk", *map(str, args)], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


# ---------------------------------------------------------------------------------- the whole path


def test_publish_then_sync_installs_and_status_tells(rig, tmp_path):
    private, _, public = signing.write_key_pair(tmp_path / "keys")
    rig.key, rig.public = signing.load_private_key(private), public
    make_feed(rig.source, 3)
    assert kiosk("publish", rig.source, "--out", rig.site, "--key", private).returncode == 0
    assert installed_feed(rig.state) is None

    synced = kiosk("sync", "--config", rig.settings_file())
    assert synced.returncode == 0, synced.stderr
    assert "đã cài bản tin phiên bản 1 (4 tệp mới" in synced.stdout
    assert installed_version(rig.state, public) == 1
    shown = load_feed(installed_feed(rig.state)).feed
    assert shown.slides[0].title == "Lịch tiếp công dân" and len(shown.slides) == 4

    status = kiosk("status", "--config", rig.settings_file())
    assert status.returncode == 0
    assert "phiên bản 1" in status.stdout and "Lỗi gần nhất: không có" in status.stdout

    offline = rig.settings_file(f"http://127.0.0.1:{closed_port()}/")
    failed = kiosk("sync", "--config", offline)
    assert failed.returncode == 1
    assert failed.stdout == "" and len(failed.stderr.strip().splitlines()) == 1
    assert "không kết nối được" in failed.stderr and "vẫn chiếu phiên bản 1" in failed.stderr
    status = kiosk("status", "--config", offline)
    assert status.returncode == 1 and "Lỗi gần nhất: không kết nối được" in status.stdout
    assert installed_version(rig.state, public) == 1


def test_a_new_version_replaces_the_old_one_and_the_app_finds_it(rig):
    rig.publish(3)
    rig.sync()
    first = installed_feed(rig.state)
    rig.publish(3, title="Lịch tiếp công dân tháng 12")
    result = rig.sync()
    assert result.outcome == "installed" and result.version == 2
    second = installed_feed(rig.state)
    assert second != first and first.is_dir(), "the replaced folder stays until the next install"
    assert load_feed(second).feed.slides[0].title == "Lịch tiếp công dân tháng 12"
    assert load_feed(first).feed.slides[0].title == "Lịch tiếp công dân"
    rig.publish(3, title="Lịch tiếp công dân tháng 1")
    rig.sync()
    assert not first.exists() and second.is_dir()
    assert installed_version(rig.state, rig.public) == 3


def test_an_unchanged_feed_costs_one_small_request_and_no_media(rig):
    rig.publish(8)
    assert rig.sync().outcome == "installed"
    before = len(rig.requests())
    result = rig.sync()  # a new Syncer, as after a restart: the ETag is on disk
    assert result.outcome == "unchanged" and result.bytes_downloaded == 0
    new = rig.requests()[before:]
    assert [(r.method, r.path.rsplit("/", 1)[1], r.status, r.body_bytes) for r in new] == [
        ("GET", "manifest.json", 304, 0)]
    assert read_status(rig.state)["last_error"] is None


def test_changing_one_of_many_pictures_downloads_just_that_file(rig):
    rig.publish(8)
    rig.sync()
    old = {e.sha256 for e in rig.manifest().files}
    before = len(rig.requests())
    rig.publish(8, seeds={5: 500})
    changed = [e for e in rig.manifest().files if e.sha256 not in old]
    assert [e.path for e in changed][0] == "feed.yaml" and len(changed) == 2
    result = rig.sync()
    assert result.outcome == "installed" and result.files_downloaded == 2
    new = rig.requests()[before:]
    media = [r for r in new if "/media/" in r.path]
    assert [r.path.rsplit("/", 1)[1] for r in media] == [changed[1].path.rsplit("/", 1)[1]]
    assert media[0].body_bytes == changed[1].size
    assert sorted(r.path.rsplit("/", 1)[1] for r in new) == sorted(
        ["manifest.json", "manifest.json.sig", "feed.yaml", media[0].path.rsplit("/", 1)[1]])
    assert result.bytes_downloaded == changed[0].size + changed[1].size
    # what the new feed no longer uses is gone from the cache
    cached = {p.name for p in (rig.state / "feed" / "objects").iterdir()}
    assert cached == {e.sha256 for e in rig.manifest().files}
    assert installed_version(rig.state, rig.public) == 2


# ---------------------------------------------------------------------------------- the fault matrix

NGINX_FAULTS = {
    "bad-signature": "chữ ký của bản tin không đúng",
    "garbage-signature": "chữ ký của bản tin không đúng",
    "tampered-manifest": "chữ ký của bản tin không đúng",
    "unsigned": "bản tin chưa được ký",
    "rollback": "không mới hơn phiên bản 2",
    "expired": "đã hết hạn",
    "wrong-hash": "không khớp mã SHA-256",
    "wrong-size": "kích thước sai",
    "oversized-body": "lớn hơn kích thước đã ký",
    "media-404": "(lỗi 404)",
    "feed-404": "không thấy bản tin",
    "connection-refused": "không kết nối được",
    "traversal-dotdot": "không an toàn",
    "traversal-absolute": "không an toàn",
    "traversal-nested": "không an toàn",
    "yaml-bomb": "không dùng neo",
    "version-mismatch": "khác phiên bản đã ký",
    "feed-without-its-picture": "không thấy tệp",
}
ODD_FAULTS = {
    "truncated-download": "không trọn",
    "stall-mid-body": "không trọn",
    "endless-body": "lớn hơn kích thước đã ký",
    "endless-manifest": "lớn quá mức",
    "server-500": "mã 500",
    "server-500-media": "mã 500",
}


def _install_two_versions(rig) -> Path:
    """v1 published (a copy kept, for the rollback case), v2 published and installed."""
    rig.publish(3)
    old = rig.tmp / "v1-copy"
    shutil.copytree(rig.site, old)
    rig.publish(3, seeds={0: 200})
    assert rig.sync().outcome == "installed"
    return old


def _new_media(rig) -> FileEntry:
    """Publish v3 with a new picture; its manifest entry."""
    old = {e.sha256 for e in rig.manifest().files}
    rig.publish(3, seeds={0: 300}, side=120)
    return next(e for e in rig.manifest().files if e.sha256 not in old and e.path != "feed.yaml")


def _make_fault(rig, case: str, odd: MisbehavingServer | None):
    url = None
    if case in ("bad-signature", "garbage-signature", "tampered-manifest", "unsigned"):
        _new_media(rig)
        raw = (rig.site / "manifest.json").read_bytes()
        sig = rig.site / "manifest.json.sig"
        if case == "bad-signature":
            sig.write_bytes(signing.sign(signing.new_private_key(), raw))
        elif case == "garbage-signature":
            sig.write_bytes(b"not a signature\n")
        elif case == "tampered-manifest":
            (rig.site / "manifest.json").write_bytes(raw.replace(b'"version": 3', b'"version": 30'))
        else:
            sig.unlink()
    elif case == "rollback":
        shutil.rmtree(rig.site)
        shutil.copytree(rig.tmp / "v1-copy", rig.site)
    elif case == "expired":
        long_ago = dt.datetime.now(UTC) - dt.timedelta(days=40)
        rig.publish(3, now=long_ago, expires=dt.date.today() - dt.timedelta(days=3), seeds={0: 300})
    elif case in ("wrong-hash", "wrong-size", "oversized-body", "media-404"):
        entry = _new_media(rig)
        target = rig.site / entry.path
        data = target.read_bytes()
        if case == "wrong-hash":
            target.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
        elif case == "wrong-size":
            target.write_bytes(data[: len(data) // 2])
        elif case == "oversized-body":
            target.write_bytes(data + b"\0" * 200_000)
        else:
            target.unlink()
    elif case == "feed-404":
        url = rig.url.rstrip("/") + "-khong-co/"
    elif case == "connection-refused":
        url = f"http://127.0.0.1:{closed_port()}/"
    elif case.startswith("traversal"):
        name = {"traversal-dotdot": "../../thoat.png", "traversal-absolute": "/tmp/thoat.png",
                "traversal-nested": "media/../../thoat.png"}[case]
        feed = feed_text(3, ["media/anh.png"]).encode()
        rig.sign_by_hand({"feed.yaml": feed, "media/anh.png": png(1), "thoat.png": png(2)}, 3,
                         names={"thoat.png": name})
    elif case == "yaml-bomb":
        bomb = (REPO / "tests/feeds/broken/alias-bomb/feed.yaml").read_text(encoding="utf-8")
        rig.sign_by_hand({"feed.yaml": bomb.replace("version: 1", "version: 3").encode()}, 3)
    elif case == "version-mismatch":
        rig.sign_by_hand({"feed.yaml": feed_text(3, ["media/anh.png"]).encode(), "media/anh.png": png(1)}, 4)
    elif case == "feed-without-its-picture":
        rig.sign_by_hand({"feed.yaml": feed_text(3, ["media/anh.png"]).encode()}, 3)
    else:  # the misbehaving server, serving the same published folder
        url = odd.url
        if case.endswith("manifest") or case == "server-500":
            odd.faults["manifest.json"] = {"endless-manifest": "endless", "server-500": "500"}[case]
        else:
            entry = _new_media(rig)
            odd.faults[entry.path] = {"truncated-download": "truncate", "stall-mid-body": "stall",
                                      "endless-body": "endless", "server-500-media": "500"}[case]
    return url


@pytest.mark.fault
@pytest.mark.parametrize("case", [*NGINX_FAULTS, *ODD_FAULTS])
def test_a_fault_keeps_the_previous_feed_and_says_why(rig, case, request):
    _install_two_versions(rig)
    before = installed_feed(rig.state)
    odd = request.getfixturevalue("odd_server") if case in ODD_FAULTS else None
    url = _make_fault(rig, case, odd)
    result = rig.sync(url, fetcher=fast_fetcher())
    expected = {**NGINX_FAULTS, **ODD_FAULTS}[case]
    assert result.outcome == "failed", result
    assert expected in result.message and "\n" not in result.message
    assert installed_feed(rig.state) == before
    assert installed_version(rig.state, rig.public) == 2
    status = read_status(rig.state)
    assert expected in status["last_error"] and status["installed_version"] == 2
    assert result.kind and status["last_error_kind"] == result.kind and status["errors_by_kind"] == {result.kind: 1}
    assert status["last_outcome"] == "failed" and status["last_success"]
    assert not list(rig.tmp.rglob("thoat.png")) and not Path("/tmp/thoat.png").exists()


def test_a_broken_download_is_resumed_with_range(rig, odd_server):
    rig.publish(2)
    rig.sync()
    entry = _new_media(rig)
    odd_server.faults[entry.path] = "break-once"
    result = rig.sync(odd_server.url, fetcher=fast_fetcher())
    assert result.outcome == "installed", result.message
    (first, _, cut), (_, resumed, rest) = [item for item in odd_server.log if item[0] == entry.path]
    assert 0 < cut < entry.size and resumed == f"bytes={cut}-" and rest == entry.size - cut  # nothing re-sent
    assert installed_version(rig.state, rig.public) == 2


def test_a_download_cut_short_goes_on_at_the_next_cycle(rig, odd_server):
    rig.publish(2)
    rig.sync()
    entry = _new_media(rig)
    odd_server.faults[entry.path] = "stall"
    assert rig.sync(odd_server.url, fetcher=fast_fetcher()).outcome == "failed"
    partial = rig.state / "feed" / "partial" / entry.sha256
    kept = partial.stat().st_size
    assert 0 < kept <= entry.size // 2
    del odd_server.faults[entry.path]
    assert rig.sync(odd_server.url, fetcher=fast_fetcher()).outcome == "installed"
    last = [(rng, sent) for path, rng, sent in odd_server.log if path == entry.path][-1]
    assert last == (f"bytes={kept}-", entry.size - kept)
    assert not partial.exists()


# ---------------------------------------------------------------------------------- time


def test_a_clock_far_ahead_is_said_once_and_never_overruled_by_the_unsigned_date(rig, caplog):
    """The server's Date is not signed: it may move a clearly-behind clock forward, never a clock back."""
    wrong = dt.datetime.now(UTC) + dt.timedelta(days=5000)
    rig.publish(2)
    caplog.set_level(logging.INFO, logger="kiosk.delivery.sync")
    for _ in range(2):
        result = rig.sync(clock=lambda: wrong)  # the feed expires in a year: past, by this clock
        assert result.outcome == "failed" and result.kind == "hết hạn"
        assert "đồng hồ của máy chạy nhanh 14 năm" in result.message
    said = [r.getMessage() for r in caplog.records if "Đồng hồ" in r.getMessage()]
    assert len(said) == 1 and "chạy nhanh 14 năm" in said[0], said
    assert read_status(rig.state)["clock_offset_seconds"] < -4999 * 86400
    assert trusted_now(rig.state, clock=lambda: wrong) == wrong
    assert "Đồng hồ của máy chạy nhanh 14 năm" in "\n".join(status_lines(rig.settings())[0])
    assert installed_feed(rig.state) is None


def test_a_clock_stuck_in_1970_still_refuses_an_expired_feed(rig):
    stuck = lambda: dt.datetime(1970, 1, 1, tzinfo=UTC)  # noqa: E731
    rig.publish(2, now=dt.datetime.now(UTC) - dt.timedelta(days=30), expires=dt.date.today() - dt.timedelta(days=2))
    result = rig.sync(clock=stuck)  # nginx's Date header says what time it really is
    assert result.outcome == "failed" and "đã hết hạn" in result.message
    assert installed_feed(rig.state) is None


def test_expiry_is_never_judged_before_the_newest_signed_issue_time(rig, odd_server):
    stuck = lambda: dt.datetime(1970, 1, 1, tzinfo=UTC)  # noqa: E731
    odd_server.date = ""  # no Date header: nothing to correct the clock with
    rig.publish(2)
    assert rig.sync(odd_server.url, clock=stuck).outcome == "installed"
    issued = rig.manifest().issued
    long_ago = issued - dt.timedelta(days=400)
    feed = feed_text(2, ["media/anh.png"]).encode()
    rig.sign_by_hand({"feed.yaml": feed, "media/anh.png": png(1)}, 2, issued=long_ago,
                     expires=long_ago + dt.timedelta(days=30))
    result = rig.sync(odd_server.url, clock=stuck)
    assert result.outcome == "failed" and "đã hết hạn" in result.message
    assert trusted_now(rig.state, clock=stuck) == issued


def test_a_board_whose_clock_is_behind_lists_no_meeting_that_is_over(rig, odd_server):
    """Past meetings drop out by the display's trusted time (issue 16): a board stuck in 1970 goes by
    the installed feed's signed issue time, once a sync cycle has installed it and from the start
    of the next run."""
    from zoneinfo import ZoneInfo
    from kiosk.delivery.manifest import SOFTWARE_DATE
    from kiosk.delivery.sync import SyncLoop
    from kiosk.delivery.trusted_time import trusted_rule
    from kiosk.feed.model import Meeting
    from kiosk.play.clock import DisplayClock
    from kiosk.play.meetings import upcoming_meetings
    from screens.display import Display

    stuck = lambda: dt.datetime(1970, 1, 1, tzinfo=UTC)  # noqa: E731
    odd_server.date = ""  # no Date header: only the signed issue time can say the clock is behind
    rig.publish(2)
    zone = ZoneInfo("Asia/Ho_Chi_Minh")

    def meeting(day: dt.date) -> Meeting:
        return Meeting.model_validate({"kind": "tiep-cong-dan", "date": day.isoformat(), "start": "08:00",
                                       "end": "10:30", "place": "Trụ sở phường"})

    today = dt.datetime.now(zone).date()
    over, coming = meeting(today - dt.timedelta(days=1)), meeting(today + dt.timedelta(days=10))
    assert over.ends_at > SOFTWARE_DATE.astimezone(zone).replace(tzinfo=None)  # over only by the feed's time
    meetings = [over, coming]
    behind = DisplayClock(zone, system=stuck)
    assert upcoming_meetings(meetings, behind.now()) == [over, coming]  # by the board's own clock: 1970
    behind.trust(trusted_rule(rig.state))  # nothing installed yet: this software's date, still before
    assert upcoming_meetings(meetings, behind.now()) == [over, coming]

    loop = SyncLoop(rig.settings(odd_server.url), rig.syncer(odd_server.url, clock=stuck),
                    after_cycle=lambda: behind.trust(trusted_rule(rig.state)))
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    loop.wake.set()
    try:
        deadline = time.monotonic() + 20
        while upcoming_meetings(meetings, behind.now()) != [coming] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert upcoming_meetings(meetings, behind.now()) == [coming]
    finally:
        loop.stop()
        thread.join(10)
    folder = installed_feed(rig.state)
    display = Display(rig.settings(odd_server.url), load_feed(folder).feed, folder,
                      clock=DisplayClock(zone, system=stuck), play=False, sync=False, fleet=False)
    assert upcoming_meetings(meetings, display.clock.now()) == [coming]
    assert display.clock.now() >= rig.manifest().issued.astimezone(zone).replace(tzinfo=None)


# ---------------------------------------------------------------------------------- the syncer in an app


def test_next_delay_jitters_backs_off_and_logs_only_changes(rig, odd_server, caplog):
    caplog.set_level(logging.INFO, logger="kiosk.delivery.sync")
    rig.publish(2)
    odd_server.faults["manifest.json"] = "500"
    syncer = rig.syncer(odd_server.url, fetcher=fast_fetcher(), rng=random.Random(7))
    assert 0 <= syncer.next_delay() <= 10
    delays = []
    for _ in range(4):
        assert syncer.run_once().outcome == "failed"
        delays.append(syncer.next_delay())
    for delay, base in zip(delays, (30, 60, 120, 240)):
        assert 0.9 * base <= delay <= 1.1 * base
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "mã 500" in warnings[0].getMessage()
    del odd_server.faults["manifest.json"]
    assert syncer.run_once().outcome == "installed"
    assert syncer.run_once().outcome == "unchanged"
    assert 270 <= syncer.next_delay() <= 330
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(infos) == 1 and "đã cài bản tin phiên bản 1" in infos[0]
    syncer.close()


def test_cycles_from_threads_and_processes_never_overlap(rig):
    rig.publish(6)
    syncers = [rig.syncer() for _ in range(3)]
    results = []
    threads = [threading.Thread(target=lambda s=s: results.append(s.run_once())) for s in syncers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.outcome for r in results) == ["installed", "unchanged", "unchanged"]
    assert installed_version(rig.state, rig.public) == 1


def test_a_cold_start_without_network_has_nothing_installed_and_says_so(rig):
    assert installed_feed(rig.state) is None
    result = rig.sync(f"http://127.0.0.1:{closed_port()}/")
    assert result.outcome == "failed" and result.version is None
    lines, ok = status_lines(rig.settings())
    assert not ok and "chưa có bản tin tải về" in lines[0]
    assert installed_feed(rig.state) is None


# ---------------------------------------------------------------------------------- crash


def test_killing_the_sync_at_random_points_leaves_the_old_or_the_new_feed_whole(rig):
    rig.publish(6, side=150)
    rig.sync()
    base = rig.tmp / "base"
    shutil.copytree(rig.state, base, symlinks=True)
    rig.publish(6, side=150, seeds={0: 10, 1: 11, 2: 12, 3: 13})

    steps: list[str] = []
    counted = rig.tmp / "counted"
    shutil.copytree(base, counted, symlinks=True)
    rig.syncer(state=counted, checkpoint=steps.append).run_once()
    assert {"chunk", "adopted", "linked", "built", "switched", "removed-object"} <= set(steps)
    points = sorted(random.Random(2026).sample(range(1, len(steps) + 1), min(30, len(steps))))
    assert len(points) >= 20

    killed, seen = 0, set()
    for point in points:
        state = rig.tmp / f"run-{point}"
        shutil.copytree(base, state, symlinks=True)
        pid = os.fork()
        if pid == 0:  # the sync process, killed by itself at its point-th step
            try:
                calls = iter(range(1, point + 1))

                def die(step: str) -> None:
                    if next(calls, point) == point:
                        os.kill(os.getpid(), signal.SIGKILL)

                rig.syncer(state=state, checkpoint=die).run_once()
            finally:
                os._exit(0)
        _, code = os.waitpid(pid, 0)
        killed += os.WIFSIGNALED(code) and os.WTERMSIG(code) == signal.SIGKILL
        seen.add(installed_version(state, rig.public))  # old or new, and whole
        assert rig.sync(state=state).ok  # the next cycle finishes the job
        assert installed_version(state, rig.public) == 2
        shutil.rmtree(state)
    assert killed >= 20 and seen == {1, 2}


# ---------------------------------------------------------------------------------- settings


@pytest.mark.parametrize("text, expected", [
    ("feed_url: http://dongda.hanoi.gov.vn/kiosk/\n", "phải bắt đầu bằng https://"),
    ("feed_url: ftp://dongda.hanoi.gov.vn/\n", "phải bắt đầu bằng https://"),
    ("public_key: abc\n", "khóa công khai không đúng dạng"),
    ("state_dir: trang-thai\n", "đường dẫn đầy đủ"),
    ("poll_seconds: 5\n", "ít nhất là 30"),
])
def test_display_settings_refuse_unsafe_sync_values_with_the_line(tmp_path, text, expected):
    path = tmp_path / "display.yaml"
    path.write_text("id: mot-cua\n" + text, encoding="utf-8")
    settings, problems = load_settings(path)
    assert settings is None
    assert [(p.line, expected in p.message) for p in problems] == [(2, True)], problems


def test_display_settings_accept_https_and_this_machine(tmp_path, monkeypatch):
    for url in ("https://dongda.hanoi.gov.vn/kiosk/", "http://127.0.0.1:8080/", "http://localhost/kiosk/"):
        assert DisplaySettings(feed_url=url).feed_url == url
    monkeypatch.setenv("WARD_KIOSK_STATE", str(tmp_path / "s"))
    assert DisplaySettings().state_path() == tmp_path / "s" == default_state_dir()
    assert DisplaySettings(state_dir="/var/lib/ward-kiosk").state_path() == Path("/var/lib/ward-kiosk")
    monkeypatch.delenv("WARD_KIOSK_STATE")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert DisplaySettings().state_path() == tmp_path / "xdg" / "ward-kiosk"
    assert expiry_moment(dt.date(2027, 6, 30)) == dt.datetime(2027, 6, 30, 17, tzinfo=UTC)
