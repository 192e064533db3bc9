"""Key rotation and revocation end to end: the root key made and used with the real CLI
(`kiosk keygen --root / --delegate / --new-root`, `kiosk publish`), the published folder served by
a real nginx on 127.0.0.1, displays that trust only the root (`root_key`) syncing from it. A lost
publishing key is revoked by the next delegation; an expired one stops; an old delegation is never
taken back; a display offline through two rotations catches up; the root itself can hand over."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from feed_servers import Nginx, make_feed
from kiosk.delivery import signing, trust
from kiosk.delivery.publish import PublishRefused, publish
from kiosk.settings import DisplaySettings
from kiosk.delivery.fetch import Fetcher
from kiosk.delivery.sync import Syncer, installed_feed
from kiosk.delivery.sync_state import read_status

REPO = Path(__file__).resolve().parents[1]
UTC = dt.timezone.utc


def kiosk(*args) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "kiosk", *map(str, args)], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


class Ward:
    """The office (a root folder on a USB stick, publishing-key folders on laptops, the folder it
    publishes into) and the web server's copy of that folder."""

    def __init__(self, tmp: Path, nginx: Nginx, name: str):
        self.tmp = tmp
        self.usb = tmp / "usb"
        self.out = tmp / "xuat-ban"
        self.site, self.url = nginx.site(name)
        self.root_private, self.root_public = trust.make_root(self.usb)
        self.edition = 0
        self.uploads = 0

    def delegate(self, name: str, days: int = 365, *, root: Path | None = None, now: dt.datetime | None = None) -> Path:
        private, _ = trust.delegate(root or self.root_private, self.tmp / name, days, now=now)
        return private

    def publish(self, private: Path, title: str | None = None) -> int:
        self.edition += 1
        source = self.tmp / "src"
        if source.exists():
            shutil.rmtree(source)
        make_feed(source, 1, title=title or f"Lịch tiếp công dân, bản {self.edition}")
        done = publish(source, self.out, signing.load_private_key(private), key_folder=private.parent)
        self.upload()
        return done.version

    def upload(self, folder: Path | None = None) -> None:
        """The server's folder becomes a copy of folder (what staff upload, or what a thief does)."""
        shutil.rmtree(self.site)
        shutil.copytree(folder or self.out, self.site)
        # two folders published within one second would have manifests of one size and time, so one
        # ETag: an upload is newer than the one before, as on a real server
        self.uploads += 1
        stamp = time.time() + self.uploads
        os.utime(self.site / "manifest.json", (stamp, stamp))

    def display(self, state: str = "state", root_public: str | None = None) -> Display:
        return Display(self, self.tmp / state, root_public or self.root_public)


class Display:
    def __init__(self, ward: Ward, state: Path, root_public: str):
        self.ward = ward
        self.state = state
        self.settings = DisplaySettings(feed_url=ward.url, root_key=root_public, state_dir=str(state))

    def sync(self):
        syncer = Syncer(self.settings, fetcher=Fetcher(connect_timeout=2, read_timeout=2))
        try:
            return syncer.run_once()
        finally:
            syncer.close()

    def remembered(self) -> dict:
        return json.loads((self.state / trust.STATE_FILE).read_text())


@pytest.fixture
def ward(tmp_path, nginx, request):
    return Ward(tmp_path, nginx, request.node.name.replace("[", "-").replace("]", ""))


def test_the_cli_steps_from_a_new_root_to_a_synced_display(tmp_path, nginx):
    """As the README tells staff: root key on a USB stick, a delegated publishing key, publish, sync."""
    usb, laptop, out = tmp_path / "usb", tmp_path / "laptop", tmp_path / "xuat-ban"
    made = kiosk("keygen", "--root", "--out", usb)
    assert made.returncode == 0, made.stderr
    root_public = (usb / trust.ROOT_PUBLIC_KEY_FILE).read_text().strip()
    assert root_public in made.stdout and "root_key" in made.stdout
    delegated = kiosk("keygen", "--delegate", "--root-key", usb / trust.ROOT_PRIVATE_KEY_FILE, "--out", laptop,
                      "--days", "30")
    assert delegated.returncode == 0, delegated.stderr
    assert "ủy quyền số 1" in delegated.stdout
    assert sorted(p.name for p in laptop.iterdir()) == sorted([signing.PRIVATE_KEY_FILE, signing.PUBLIC_KEY_FILE,
                                                                trust.KEYS_FILE, trust.KEYS_SIGNATURE])
    assert not any(p.name.endswith(".pem") for p in laptop.iterdir() if p.name.startswith("root"))
    make_feed(tmp_path / "src", 2)
    published = kiosk("publish", tmp_path / "src", "--out", out, "--key", laptop / signing.PRIVATE_KEY_FILE)
    assert published.returncode == 0, published.stderr
    assert "ủy quyền khóa số 1" in published.stdout
    assert "cảnh báo" in published.stdout and "hết hạn ủy quyền sau 29 ngày" in published.stdout
    assert (out / trust.KEYS_FILE).read_bytes() == (laptop / trust.KEYS_FILE).read_bytes()

    site, url = nginx.site("cli-steps")
    shutil.copytree(out, site, dirs_exist_ok=True)
    settings = tmp_path / "display.yaml"
    settings.write_text(f'feed_url: "{url}"\nroot_key: "{root_public}"\nstate_dir: "{tmp_path / "state"}"\n')
    synced = kiosk("sync", "--config", settings)
    assert synced.returncode == 0, synced.stderr
    assert "đã cài bản tin phiên bản 1" in synced.stdout

    missing = kiosk("keygen", "--delegate", "--out", tmp_path / "x")
    assert missing.returncode == 2 and "--root-key" in missing.stderr
    before = (laptop / trust.KEYS_FILE).read_bytes()
    not_root = kiosk("keygen", "--delegate", "--root-key", laptop / signing.PRIVATE_KEY_FILE, "--out", tmp_path / "x")
    assert not_root.returncode == 1 and "không phải khóa gốc" in not_root.stderr, not_root.stderr
    assert (laptop / trust.KEYS_FILE).read_bytes() == before and not (tmp_path / "x").exists()


def test_a_lost_publishing_key_is_revoked_by_the_next_delegation(ward):
    lost = ward.delegate("laptop-cu")
    ward.publish(lost)
    display = ward.display()
    assert display.sync().outcome == "installed"
    thief_copy = ward.tmp / "thief"
    shutil.copytree(ward.out, thief_copy)  # what the thief has: the old key, its keys.json, the folder

    new = ward.delegate("laptop-moi")
    assert ward.publish(new) == 2
    assert display.sync().outcome == "installed"
    assert display.remembered()["serial"] == 2

    # The thief signs a new feed with the lost key and serves it with the old keys.json (a replay) ...
    version = publish(make_feed(ward.tmp / "fake", 1, version=50, title="Tin giả"), thief_copy,
                      signing.load_private_key(lost), key_folder=lost.parent).version
    assert version == 50
    ward.upload(thief_copy)
    replay = display.sync()
    assert replay.outcome == "failed" and replay.version == 2
    assert "ủy quyền số 1, cũ hơn ủy quyền số 2" in replay.message and "thu hồi" in replay.message
    assert read_status(display.state)["last_error"] == replay.message
    # ... or beside the current keys.json
    for name in (trust.KEYS_FILE, trust.KEYS_SIGNATURE):
        shutil.copyfile(ward.out / name, ward.site / name)
    revoked = display.sync()
    assert revoked.outcome == "failed" and "khóa xuất bản đã bị thu hồi" in revoked.message
    assert display.sync().version == 2 and "Tin giả" not in (installed_feed(display.state) / "feed.yaml").read_text()

    # a display that never saw delegation 2 learns it from the honest folder, and is then safe too
    fresh = ward.display("state-moi")
    ward.upload()
    assert fresh.sync().outcome == "installed"
    ward.upload(thief_copy)
    assert "cũ hơn ủy quyền số 2" in fresh.sync().message

    # and the office cannot publish with the lost key into the folder that has the new delegation
    with pytest.raises(PublishRefused) as refused:
        publish(make_feed(ward.tmp / "src2", 1), ward.out, signing.load_private_key(lost), key_folder=lost.parent)
    assert "cũ hơn ủy quyền số 2" in refused.value.lines[0]


def test_an_expired_delegation_is_refused_by_publish_and_by_the_display(ward):
    current = ward.delegate("laptop")
    ward.publish(current)
    display = ward.display()
    assert display.sync().outcome == "installed"
    long_ago = dt.datetime.now(UTC) - dt.timedelta(days=10)
    expired = ward.delegate("laptop-het-han", days=3, now=long_ago)
    with pytest.raises(PublishRefused) as refused:
        publish(make_feed(ward.tmp / "src-x", 1), ward.tmp / "out-x", signing.load_private_key(expired),
                key_folder=expired.parent)
    assert "hết hạn ủy quyền" in refused.value.lines[0]

    # signed by hand with the expired key (a stolen key left to run out, or a forgotten renewal)
    folder = ward.tmp / "by-hand"
    publish(make_feed(ward.tmp / "src-y", 1, version=9), folder, signing.load_private_key(expired), now=long_ago)
    for name in (trust.KEYS_FILE, trust.KEYS_SIGNATURE):
        shutil.copyfile(expired.parent / name, folder / name)
    ward.upload(folder)
    result = display.sync()
    assert result.outcome == "failed" and result.version == 1
    assert "ủy quyền số 2) đã hết hạn" in result.message and "kiosk keygen --delegate" in result.message


def test_a_display_offline_through_two_rotations_catches_up(ward):
    first = ward.delegate("laptop-1")
    ward.publish(first)
    away, here = ward.display("di-vang"), ward.display("o-lai")
    assert away.sync().outcome == here.sync().outcome == "installed"
    for name in ("laptop-2", "laptop-3"):
        ward.publish(ward.delegate(name))
        assert here.sync().outcome == "installed"
    result = away.sync()
    assert result.outcome == "installed" and result.version == 3
    assert away.remembered()["serial"] == here.remembered()["serial"] == 3
    assert len(away.remembered()["revoked"]) == 1  # the key it had; it never saw the second


def test_the_root_hands_over_to_its_successor_and_old_roots_are_retired(ward):
    ward.publish(ward.delegate("laptop-1"))
    away, here = ward.display("di-vang"), ward.display("o-lai")
    assert away.sync().outcome == here.sync().outcome == "installed"
    made = kiosk("keygen", "--new-root", "--root-key", ward.root_private, "--out", ward.tmp / "usb-2")
    assert made.returncode == 0, made.stderr
    second_root = ward.tmp / "usb-2" / trust.ROOT_PRIVATE_KEY_FILE
    ward.publish(ward.delegate("laptop-2", root=second_root))
    assert here.sync().outcome == "installed"
    assert here.remembered()["root_serial"] == 2 and here.remembered()["serial"] == 2

    # the old root (lost, say) can no longer delegate to these displays, even with a higher serial
    old_root_folder = ward.usb
    shutil.copyfile(ward.tmp / "usb-2" / trust.KEYS_FILE, old_root_folder / trust.KEYS_FILE)  # serial 2 known
    rogue = ward.delegate("laptop-rogue")  # signed by root 1, serial 3
    folder = ward.tmp / "rogue-out"
    shutil.copytree(ward.out, folder)
    publish(make_feed(ward.tmp / "src-rogue", 1, version=70), folder, signing.load_private_key(rogue),
            key_folder=rogue.parent)
    ward.upload(folder)
    refused = here.sync()
    assert refused.outcome == "failed" and "khóa gốc số 1" in refused.message and "đã được thay" in refused.message

    # a third root; the display that was away walks both handovers at once
    third = kiosk("keygen", "--new-root", "--root-key", second_root, "--out", ward.tmp / "usb-3")
    assert third.returncode == 0, third.stderr
    ward.publish(ward.delegate("laptop-3", root=ward.tmp / "usb-3" / trust.ROOT_PRIVATE_KEY_FILE))
    result = away.sync()
    assert result.outcome == "installed", result.message
    assert away.remembered()["root_serial"] == 3 and away.remembered()["serial"] == 3
    assert sorted(p.name for p in ward.site.glob("root-*")) == ["root-2.json", "root-2.json.sig",
                                                                 "root-3.json", "root-3.json.sig"]

    # a display set up now, with the newest root's key (what the new stick's root-public-key.txt says)
    newest = (ward.tmp / "usb-3" / trust.ROOT_PUBLIC_KEY_FILE).read_text().strip()
    late = ward.display("moi-lap", root_public=newest)
    assert late.sync().outcome == "installed"
    assert late.remembered()["root_serial"] == 3
    middle = (ward.tmp / "usb-2" / trust.ROOT_PUBLIC_KEY_FILE).read_text().strip()
    assert ward.display("lap-giua", root_public=middle).sync().outcome == "installed"


@pytest.mark.parametrize("case", ["no-keys-file", "signed-by-another-root", "tampered-keys-file", "plain-key-feed"])
def test_a_display_with_a_root_refuses_what_the_root_did_not_delegate(ward, case):
    key = ward.delegate("laptop")
    ward.publish(key)
    if case == "no-keys-file":
        (ward.site / trust.KEYS_FILE).unlink()
        expected = "máy chủ không có `keys.json`"
    elif case == "signed-by-another-root":
        other, _ = trust.make_root(ward.tmp / "usb-la")
        stranger = trust.delegate(other, ward.tmp / "laptop-la", 30)[0]
        for name in (trust.KEYS_FILE, trust.KEYS_SIGNATURE):
            shutil.copyfile(stranger.parent / name, ward.site / name)
        expected = "chữ ký của `keys.json` không đúng"
    elif case == "tampered-keys-file":
        raw = (ward.site / trust.KEYS_FILE).read_text()
        (ward.site / trust.KEYS_FILE).write_text(raw.replace('"serial": 1', '"serial": 9'))
        expected = "chữ ký của `keys.json` không đúng"
    else:  # a feed signed by a key of the plain `kiosk keygen`, which no root named
        plain = signing.new_private_key()
        folder = ward.tmp / "plain"
        publish(make_feed(ward.tmp / "src-plain", 1), folder, plain)
        shutil.copyfile(ward.out / trust.KEYS_FILE, folder / trust.KEYS_FILE)
        shutil.copyfile(ward.out / trust.KEYS_SIGNATURE, folder / trust.KEYS_SIGNATURE)
        ward.upload(folder)
        expected = "không do khóa xuất bản được ủy quyền ký"
    result = ward.display().sync()
    assert result.outcome == "failed" and expected in result.message, result.message
    assert installed_feed(ward.display().state) is None


def test_a_display_with_only_public_key_still_syncs_a_delegated_feed(ward):
    """Backwards compatible: a display set up before the root existed trusts its one key."""
    key = ward.delegate("laptop")
    ward.publish(key)
    public = (key.parent / signing.PUBLIC_KEY_FILE).read_text().strip()
    old_style = DisplaySettings(feed_url=ward.url, public_key=public, state_dir=str(ward.tmp / "cu"))
    syncer = Syncer(old_style)
    try:
        assert syncer.run_once().outcome == "installed"
    finally:
        syncer.close()


def test_damaged_trust_state_is_learnt_again_from_the_root(ward):
    ward.publish(ward.delegate("laptop"))
    display = ward.display()
    assert display.sync().outcome == "installed"
    for damage in ('{"root_serial": "x"}', '{"revoked": "abc"}', '{"serial": "' + "9" * 5000 + '"}', '{"revoked": [1]}',
                   '{"serial": Infinity}', '{"serial": [1]}'):
        remembered = display.remembered()
        state = json.loads(damage)
        (display.state / trust.STATE_FILE).write_text(json.dumps({**remembered, **state}))
        ward.publish(ward.delegate(f"laptop-{ward.edition + 1}"))
        result = display.sync()
        assert result.outcome == "installed", (damage, result.message)
        assert display.remembered()["serial"] == ward.edition
    (display.state / trust.STATE_FILE).write_text(json.dumps({**display.remembered(), "revoked": "abc"}))
    stranger = ward.tmp / "la"
    publish(make_feed(ward.tmp / "src-la", 1, version=90), stranger, signing.new_private_key())
    for name in (trust.KEYS_FILE, trust.KEYS_SIGNATURE):
        shutil.copyfile(ward.out / name, stranger / name)
    ward.upload(stranger)
    assert "không do khóa xuất bản được ủy quyền ký" in display.sync().message


@pytest.mark.parametrize("raw", [b"", b"[]", b"{" * 5000, b'{"type": "ward-kiosk-keys", "format": 1}',
                                 b'{"type": "ward-kiosk-keys", "format": 1, "serial": ' + b"9" * 5000 + b"}",
                                 b'{"type": "ward-kiosk-keys", "format": 1, "serial": 1, "root_serial": 1, '
                                 b'"publishing_key": "AAAA", "valid_from": "x", "expires": "y"}',
                                 b"\xff" * 100])
def test_a_malformed_keys_file_gets_a_message_not_a_traceback(raw):
    with pytest.raises(trust.TrustProblem):
        trust.parse_delegation(raw)


def test_a_keys_file_naming_a_huge_root_number_does_not_hang_a_new_display(ward):
    """keys.json is read before its signature can be checked: a server that names root number
    2**53 - 1 in it must not send a display that has followed no handover yet asking for every
    root-N.json down to 2 (it held the sync lock for good)."""
    import threading

    ward.publish(ward.delegate("laptop"))
    data = json.loads((ward.site / trust.KEYS_FILE).read_text())
    (ward.site / trust.KEYS_FILE).write_text(json.dumps({**data, "root_serial": trust.MAX_SERIAL}))
    results = []
    worker = threading.Thread(target=lambda: results.append(ward.display().sync()), daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(timeout=15)
    assert results, f"sync still running after {time.monotonic() - started:.0f} s"
    assert results[0].outcome == "failed" and "khóa gốc" in results[0].message, results[0].message


@pytest.mark.parametrize("planted", ["root-2.json", "root-2.json.sig"])
def test_a_link_planted_among_the_key_files_is_never_published(tmp_path, planted):
    """publish copies the root handovers found beside the key: a link there must not carry the
    private key (or anything else) into the folder that is uploaded."""
    usb, laptop, out = tmp_path / "usb", tmp_path / "laptop", tmp_path / "xuat-ban"
    assert kiosk("keygen", "--root", "--out", usb).returncode == 0
    assert kiosk("keygen", "--delegate", "--root-key", usb / trust.ROOT_PRIVATE_KEY_FILE, "--out", laptop).returncode == 0
    for name in ("root-2.json", "root-2.json.sig"):
        (laptop / name).write_bytes(b"{}")
    (laptop / planted).unlink()
    (laptop / planted).symlink_to(laptop / signing.PRIVATE_KEY_FILE)
    make_feed(tmp_path / "src", 2)
    published = kiosk("publish", tmp_path / "src", "--out", out, "--key", laptop / signing.PRIVATE_KEY_FILE)
    assert published.returncode == 1, published.stdout
    assert "Traceback" not in published.stderr and planted in published.stderr, published.stderr
    secret = (laptop / signing.PRIVATE_KEY_FILE).read_bytes()
    assert not out.exists() or all(secret not in p.read_bytes() for p in out.rglob("*") if p.is_file())


def test_a_newer_feed_corrects_a_fast_floor_even_when_its_key_looks_expired_from_there(ward):
    """Version 1, signed on a PC running 400 days fast, sets the floor of the display's trusted time
    there. The office's next key, delegated for 30 days on a right clock, has expired as seen from
    that floor; but version 2, signed with it, shows the floor wrong (the display's own clock agrees
    with it), so the key is judged by the corrected time and the feed is installed."""
    fast_pc_key = ward.delegate("laptop-nhanh", days=3660)
    future = dt.datetime.now(UTC) + dt.timedelta(days=400)
    publish(make_feed(ward.tmp / "src-nhanh", 1, expires=future.date() + dt.timedelta(days=60)), ward.out,
            signing.load_private_key(fast_pc_key),
            key_folder=fast_pc_key.parent, now=future)
    ward.upload()
    display = ward.display()
    assert display.sync().outcome == "installed"
    assert ward.publish(ward.delegate("laptop", days=30)) == 2
    result = display.sync()
    assert result.outcome == "installed" and result.version == 2, result.message
