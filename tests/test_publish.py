"""`kiosk keygen` and `kiosk publish`, run as staff would run them (the real CLI in a subprocess),
then the published folder checked file by file, and its signature with the public key."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography.exceptions import InvalidSignature

from feed_servers import make_feed, png
from kiosk.delivery import signing
from kiosk.delivery.manifest import SOFTWARE_DATE, parse
from kiosk.delivery.publish import PublishRefused, publish
from kiosk.feed.validate import load_feed

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "config"
MINIMAL = REPO / "tests" / "feeds" / "minimal"
BROKEN = REPO / "tests" / "feeds" / "broken"


def kiosk(*args: str | Path) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "kiosk", *map(str, args)], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def tree(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file below folder: its hash and modification time."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("keys")
    result = kiosk("keygen", "--out", folder)
    assert result.returncode == 0, result.stderr
    return folder / signing.PRIVATE_KEY_FILE, (folder / signing.PUBLIC_KEY_FILE).read_text().strip()


def test_keygen_makes_a_private_key_only_its_owner_reads_and_a_short_public_key(keys, tmp_path):
    private, public = keys
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert len(public) == 44 and len(base64.b64decode(public)) == 32
    again = kiosk("keygen", "--out", private.parent)
    assert again.returncode == 1
    assert "không ghi đè" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_keygen_prints_the_public_key_for_the_display_settings(tmp_path):
    result = kiosk("keygen", "--out", tmp_path / "k")
    assert result.returncode == 0
    public = (tmp_path / "k" / signing.PUBLIC_KEY_FILE).read_text().strip()
    assert public in result.stdout and "public_key" in result.stdout


def test_publish_writes_a_signed_content_addressed_folder_and_leaves_the_source_alone(keys, tmp_path):
    private, public = keys
    source_before = tree(SAMPLE)
    out = tmp_path / "out"
    result = kiosk("publish", SAMPLE, "--out", out, "--key", private)
    assert result.returncode == 0, result.stderr
    assert "Đã xuất bản phiên bản 1" in result.stdout
    assert tree(SAMPLE) == source_before, "publish must not touch the staff's folder"

    raw = (out / "manifest.json").read_bytes()
    assert signing.verify(signing.parse_public_key(public), raw, (out / "manifest.json.sig").read_bytes())
    manifest = parse(raw)
    listed = {entry.path: entry for entry in manifest.files}
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {"manifest.json", "manifest.json.sig"}
    assert set(listed) == on_disk
    for entry in manifest.files:
        data = (out / entry.path).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry.size, entry.sha256)
        if entry.path != "feed.yaml":
            assert entry.path == f"media/{entry.sha256}{Path(entry.path).suffix}"
    assert manifest.version == 1
    assert manifest.expires == dt.datetime(2027, 12, 31, 17, 0, tzinfo=dt.timezone.utc)  # 2028-01-01 00:00 in Hanoi
    assert abs((dt.datetime.now(dt.timezone.utc) - manifest.issued).total_seconds()) < 120

    published = load_feed(out)
    assert published.feed is not None and not published.errors
    assert published.feed.version == 1
    original = load_feed(SAMPLE).feed
    assert [s.id for s in published.feed.slides] == [s.id for s in original.slides]
    text = (out / "feed.yaml").read_text(encoding="utf-8")
    assert "media/logo.png" not in text
    assert yaml.safe_load(text)["ward"]["logo"] in listed
    # every media file of the source is there once, under its hash
    source_hashes = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (SAMPLE / "media").iterdir()}
    assert {e.sha256 for e in manifest.files if e.path != "feed.yaml"} == source_hashes


def test_signature_covers_the_context_label_and_every_byte(keys, tmp_path):
    private, public = keys
    key = signing.load_private_key(private)
    out = tmp_path / "out"
    publish(MINIMAL, out, key)
    raw = (out / "manifest.json").read_bytes()
    signature = base64.b64decode((out / "manifest.json.sig").read_bytes())
    public_key = signing.parse_public_key(public)
    public_key.verify(signature, signing.CONTEXT + raw)
    with pytest.raises(InvalidSignature):  # the same bytes without the label: not a valid signature
        public_key.verify(signature, raw)
    assert not signing.verify(public_key, raw.replace(b'"version": 1', b'"version": 9'),
                              (out / "manifest.json.sig").read_bytes())
    other = signing.parse_public_key(signing.public_key_text(signing.new_private_key()))
    assert not signing.verify(other, raw, (out / "manifest.json.sig").read_bytes())


def test_each_publish_raises_the_version_above_the_last(keys, tmp_path):
    private, _ = keys
    key = signing.load_private_key(private)
    out = tmp_path / "out"
    assert [publish(MINIMAL, out, key).version for _ in range(3)] == [1, 2, 3]
    source = tmp_path / "src"
    shutil.copytree(MINIMAL, source)
    feed = source / "feed.yaml"
    feed.write_text(feed.read_text(encoding="utf-8").replace("version: 1", "version: 40"), encoding="utf-8")
    assert publish(source, out, key).version == 40  # staff may jump ahead
    assert publish(MINIMAL, out, key).version == 41
    assert yaml.safe_load((out / "feed.yaml").read_text(encoding="utf-8"))["version"] == 41
    assert "version: 1\n" in (MINIMAL / "feed.yaml").read_text(encoding="utf-8")


def test_republishing_removes_media_the_feed_no_longer_uses(keys, tmp_path):
    key = signing.load_private_key(keys[0])
    source, out = make_feed(tmp_path / "src", pictures=3), tmp_path / "out"
    publish(source, out, key)
    before = {p.name for p in (out / "media").iterdir()}
    (source / "media" / "anh-2.png").write_bytes(png(99))
    done = publish(source, out, key)
    after = {p.name for p in (out / "media").iterdir()}
    assert len(before) == len(after) == 3 and len(before - after) == 1 and done.removed == 1
    assert hashlib.sha256(png(99)).hexdigest() + ".png" in after


def test_one_file_used_twice_is_published_once_and_without_yaml_anchors(keys, tmp_path):
    source = make_feed(tmp_path / "src", pictures=2)
    (source / "media" / "anh-2.png").write_bytes((source / "media" / "anh-1.png").read_bytes())
    out = tmp_path / "out"
    publish(source, out, signing.load_private_key(keys[0]))
    manifest = parse((out / "manifest.json").read_bytes())
    assert len(manifest.files) == 2  # feed.yaml and the one picture
    for event in yaml.parse((out / "feed.yaml").read_text(encoding="utf-8")):
        assert not getattr(event, "anchor", None)


def test_publish_refuses_an_invalid_feed_with_every_problem_and_writes_nothing(keys, tmp_path):
    out = tmp_path / "out"
    result = kiosk("publish", BROKEN / "unknown-field", "--out", out, "--key", keys[0])
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert any(":" in line and "titel" in line for line in lines), result.stderr
    assert "chưa xuất bản" in lines[-1]
    assert not (out / "manifest.json").exists()


def test_publish_refuses_an_expired_feed(keys, tmp_path):
    source = make_feed(tmp_path / "src", expires=dt.date.today() - dt.timedelta(days=1))
    result = kiosk("publish", source, "--out", tmp_path / "out", "--key", keys[0])
    assert result.returncode == 1
    assert "đã hết hạn" in result.stderr and "expires" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("case", ["same-folder", "foreign-folder", "missing-key", "not-a-key"])
def test_publish_refuses_plain_mistakes_in_one_line(keys, tmp_path, case):
    source = tmp_path / "src"
    shutil.copytree(MINIMAL, source)
    out, key = tmp_path / "out", keys[0]
    expected = {"same-folder": "phải khác", "foreign-folder": "thư mục trống", "missing-key": "không đọc được",
                "not-a-key": "không phải khóa bí mật"}[case]
    if case == "same-folder":
        out = source
    elif case == "foreign-folder":
        out.mkdir()
        (out / "ghi-chu.txt").write_text("của người khác")
    elif case == "missing-key":
        key = tmp_path / "khong-co.pem"
    else:
        key = source / "feed.yaml"
    before = tree(source)
    result = kiosk("publish", source, "--out", out, "--key", key)
    assert result.returncode == 1
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert tree(source) == before
    if case == "foreign-folder":
        assert sorted(p.name for p in out.iterdir()) == ["ghi-chu.txt"]


def test_a_damaged_previous_manifest_stops_publishing(keys, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text("{not json")
    with pytest.raises(PublishRefused) as refused:
        publish(MINIMAL, out, signing.load_private_key(keys[0]))
    assert "bản kê cũ hỏng" in refused.value.lines[0]


def test_the_manifest_is_plain_json_staff_can_read(keys, tmp_path):
    out = tmp_path / "out"
    publish(MINIMAL, out, signing.load_private_key(keys[0]))
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert data["type"] == "ward-kiosk-manifest" and data["files"][0]["path"] == "feed.yaml"
    assert data["issued"].endswith("Z") and data["expires"] == "2027-06-30T17:00:00Z"
    for name in ("manifest.json", "manifest.json.sig", "feed.yaml"):
        assert stat.S_IMODE((out / name).stat().st_mode) & 0o044 == 0o044, "a web server must read it"


# ---------------------------------------------------------------------------------- hostile folders (issue 10)


def test_publish_never_uploads_a_file_from_outside_the_feed_folder(keys, tmp_path):
    """A picture linked to the office's private key: refused by validate and by publish itself,
    and not a byte of the key in the published folder."""
    source = make_feed(tmp_path / "src", pictures=2)
    picture = source / "media" / "anh-2.png"
    picture.unlink()
    picture.symlink_to(keys[0])
    out = tmp_path / "out"
    result = kiosk("publish", source, "--out", out, "--key", keys[0])
    assert result.returncode == 1 and "liên kết tới tệp ngoài thư mục bản tin" in result.stderr, result.stderr
    secret = keys[0].read_bytes()
    assert not any(p.is_file() and secret in p.read_bytes() for p in out.rglob("*")) if out.exists() else True


def test_publish_checks_each_media_file_again_as_it_copies(keys, tmp_path):
    """Between validation and the copy a picture can become a link out (or vanish): publish's
    own check at copy time refuses it."""
    from kiosk.delivery.publish import _copy_media

    source = make_feed(tmp_path / "src", pictures=1)
    (tmp_path / "out" / "media").mkdir(parents=True)
    picture = source / "media" / "anh-1.png"
    entry = _copy_media(source.resolve(), "media/anh-1.png", tmp_path / "out")
    assert (tmp_path / "out" / entry.path).read_bytes() == picture.read_bytes()
    picture.unlink()
    picture.symlink_to(keys[0])
    with pytest.raises(PublishRefused) as refused:
        _copy_media(source.resolve(), "media/anh-1.png", tmp_path / "out")
    assert "ngoài thư mục bản tin" in refused.value.lines[0]
    assert sorted(p.name for p in (tmp_path / "out" / "media").iterdir()) == [Path(entry.path).name]


def test_a_file_changing_while_publishing_is_signed_as_it_was_copied(keys, tmp_path):
    """Pictures rewritten over and over while publish runs: whatever was copied is what is signed."""
    import threading

    source = make_feed(tmp_path / "src", pictures=6, side=600)
    pictures = sorted((source / "media").iterdir())
    variants = [png(1000 + i, 600) for i in range(2)]
    stop = threading.Event()

    def rewrite():
        turn = 0
        while not stop.is_set():
            for path in pictures:  # rewritten in place, as an editor saving over the file does
                with open(path, "r+b") as handle:
                    handle.write(variants[turn % 2])
            turn += 1

    writer = threading.Thread(target=rewrite)
    writer.start()
    try:
        out = tmp_path / "out"
        for _ in range(3):
            publish(source, out, signing.load_private_key(keys[0]))
            manifest = parse((out / "manifest.json").read_bytes())
            for entry in manifest.files:
                data = (out / entry.path).read_bytes()
                assert (len(data), hashlib.sha256(data).hexdigest()) == (entry.size, entry.sha256), entry.path
    finally:
        stop.set()
        writer.join()


def test_a_key_that_is_a_fifo_and_a_picture_that_is_dev_zero_do_not_hang(keys, tmp_path):
    import os

    fifo = tmp_path / "khoa.pem"
    os.mkfifo(fifo)
    result = kiosk("publish", MINIMAL, "--out", tmp_path / "out", "--key", fifo)
    assert result.returncode == 1 and "không phải tệp thường" in result.stderr, result.stderr
    source = make_feed(tmp_path / "src", pictures=1)
    (source / "media" / "anh-1.png").unlink()
    (source / "media" / "anh-1.png").symlink_to("/dev/zero")
    result = kiosk("publish", source, "--out", tmp_path / "out", "--key", keys[0])
    assert result.returncode == 1 and "feed.yaml:" in result.stderr, result.stderr


@pytest.mark.parametrize("case", ["expires-9999", "feed-is-pagemap", "5000-digits"])
def test_publish_says_what_is_wrong_with_hostile_values_in_one_place(keys, tmp_path, case):
    source = make_feed(tmp_path / "src", pictures=1)
    feed = source / "feed.yaml"
    if case == "expires-9999":
        feed.write_text(feed.read_text(encoding="utf-8").replace(
            f"expires: {(dt.date.today() + dt.timedelta(days=365)).isoformat()}", "expires: 9999-12-31"))
    elif case == "feed-is-pagemap":
        feed.unlink()
        feed.symlink_to("/proc/self/pagemap")
    else:
        feed.write_text(feed.read_text(encoding="utf-8").replace("version: 1", "version: " + "9" * 5000))
    result = kiosk("publish", source, "--out", tmp_path / "out", "--key", keys[0])
    assert result.returncode == 1 and "feed.yaml:" in result.stderr and "chưa xuất bản" in result.stderr, result.stderr


def test_publish_refuses_a_version_the_display_cannot_store(keys, tmp_path):
    from kiosk.delivery.manifest import MAX_VERSION

    out = tmp_path / "out"
    key = signing.load_private_key(keys[0])
    publish(MINIMAL, out, key)
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    (out / "manifest.json").write_text(manifest.replace('"version": 1,', f'"version": {MAX_VERSION},'))
    with pytest.raises(PublishRefused) as refused:
        publish(MINIMAL, out, key)
    assert f"phiên bản {MAX_VERSION + 1} lớn quá" in refused.value.lines[0]


def test_publish_refuses_a_clock_behind_what_it_can_check_and_warns_of_one_far_ahead(keys, tmp_path):
    out, key = tmp_path / "out", signing.load_private_key(keys[0])
    source = make_feed(tmp_path / "src", pictures=1)
    utc = dt.timezone.utc
    with pytest.raises(PublishRefused) as refused:  # a board with no clock battery, back in 1970
        publish(source, out, key, clock=lambda: dt.datetime(1970, 1, 1, tzinfo=utc))
    assert "trước cả ngày làm ra phần mềm" in refused.value.lines[0]
    with pytest.raises(PublishRefused) as refused:  # the date displays take as the earliest possible: one date
        publish(source, out, key, clock=lambda: SOFTWARE_DATE - dt.timedelta(hours=1))
    assert "trước cả ngày làm ra phần mềm" in refused.value.lines[0]
    now = max(dt.datetime.now(utc), SOFTWARE_DATE + dt.timedelta(days=3))  # two days back is still a possible clock
    publish(source, out, key, clock=lambda: now)
    with pytest.raises(PublishRefused) as refused:
        publish(source, out, key, clock=lambda: now - dt.timedelta(days=2))
    assert "trước lần xuất bản trước" in refused.value.lines[0]
    ahead = publish(source, out, key, clock=lambda: now + dt.timedelta(days=200))
    assert [w.message for w in ahead.warnings if "đồng hồ" in w.message] != []
    assert parse((out / "manifest.json").read_bytes()).version == 2


def test_what_a_killed_publish_left_behind_is_removed_by_the_next(keys, tmp_path):
    out, key = tmp_path / "out", signing.load_private_key(keys[0])
    publish(MINIMAL, out, key)
    left = [out / ".manifest.json.x1y2.tmp", out / "media" / ".media.a1b2.tmp"]
    for path in left:
        path.write_bytes(b"half")
    publish(MINIMAL, out, key)
    assert not any(path.exists() for path in left)
    assert load_feed(out).feed is not None


def test_a_folder_published_from_a_fast_clock_can_be_published_again_once_the_clock_is_right(keys, tmp_path):
    """Displays recover from a feed signed 400 days ahead when the next one is signed at the right
    time (kiosk.delivery.sync); publish must let the office make that next one into the same folder, which
    holds the version numbers, and say what happened."""
    out, key = tmp_path / "out", signing.load_private_key(keys[0])
    source = make_feed(tmp_path / "src", pictures=1, expires=dt.date.today() + dt.timedelta(days=800))
    now = max(dt.datetime.now(dt.timezone.utc), SOFTWARE_DATE + dt.timedelta(days=3))
    publish(source, out, key, clock=lambda: now + dt.timedelta(days=400))
    done = publish(source, out, key, clock=lambda: now)
    assert done.version == 2 and parse((out / "manifest.json").read_bytes()).issued == now.replace(microsecond=0)
    assert [w.message for w in done.warnings if "ở tương lai" in w.message] != []


# ------------------------------------------------------------------------- disk and file errors, said plainly

ENGLISH_STRERRORS = ("Errno", "Permission denied", "Read-only", "No space", "No such file", "Not a directory",
                     "File exists", "Is a directory", "Traceback")


@pytest.fixture
def small_disk(tmp_path):
    """A folder on a 64 KB tmpfs of its own (mounted as root, as the tests run here and in CI): a
    full disk, and with `remount_read_only()` a read-only one, as a USB stick with its lock slid."""
    import os

    mount = tmp_path / "usb"
    mount.mkdir()
    if os.geteuid() != 0:  # the one thing this machine cannot give a non-root user
        pytest.fail("these tests mount a small tmpfs: run them as root (CI does)")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0777", "tmpfs", str(mount)], check=True)

    class Disk:
        path = mount

        @staticmethod
        def remount_read_only():
            subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)

    yield Disk
    subprocess.run(["umount", "-l", str(mount)], check=True)


def said_plainly(result: subprocess.CompletedProcess, reason: str) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0], lines
    assert not any(english in lines[0] for english in ENGLISH_STRERRORS), lines[0]
    return lines[0]


def test_publish_into_a_read_only_folder_is_one_vietnamese_line(keys, small_disk):
    small_disk.remount_read_only()
    line = said_plainly(kiosk("publish", MINIMAL, "--out", small_disk.path / "xuat-ban", "--key", keys[0]),
                        "ổ đĩa chỉ cho đọc")
    assert "chưa xuất bản" in line


def test_publish_onto_a_full_disk_is_one_vietnamese_line(keys, small_disk, tmp_path):
    source = make_feed(tmp_path / "ban-tin", 3, side=200)  # three pictures, far more than 64 KB
    line = said_plainly(kiosk("publish", source, "--out", small_disk.path / "xuat-ban", "--key", keys[0]),
                        "ổ đĩa đã đầy")
    assert "chưa xuất bản" in line


def test_publish_with_a_missing_or_unreadable_key_is_one_vietnamese_line(tmp_path):
    said_plainly(kiosk("publish", MINIMAL, "--out", tmp_path / "out", "--key", tmp_path / "khong-co.pem"),
                 "không thấy tệp")
    (tmp_path / "thu-muc.pem").mkdir()
    said_plainly(kiosk("publish", MINIMAL, "--out", tmp_path / "out", "--key", tmp_path / "thu-muc.pem"),
                 "không đọc được")


@pytest.mark.parametrize("command", [["keygen"], ["keygen", "--root"]])
def test_keygen_onto_a_read_only_or_full_disk_is_one_vietnamese_line(small_disk, command):
    (small_disk.path / "day").write_bytes(b"\0" * 60 * 1024)  # what a stick of photos leaves free
    said_plainly(kiosk(*command, "--out", small_disk.path / "khoa"), "ổ đĩa đã đầy")
    (small_disk.path / "day").unlink()
    small_disk.remount_read_only()
    said_plainly(kiosk(*command, "--out", small_disk.path / "khoa-2"), "ổ đĩa chỉ cho đọc")
