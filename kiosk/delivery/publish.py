"""`kiosk publish`: turn the staff's feed folder into a signed folder ready to upload as-is to any
static web server.

    OUT/manifest.json       every file below with its size and SHA-256; version, issue time, expiry
    OUT/manifest.json.sig   Ed25519 signature of signing.CONTEXT + manifest.json (base64)
    OUT/feed.yaml           the feed, version raised, media names rewritten to ...
    OUT/media/<sha256>.<ext> the media, named by their content: a cache on the way cannot mix
                            an old picture with a new feed
    OUT/keys.json(.sig), OUT/root-N.json(.sig)  with a key made by `kiosk keygen --delegate`: the
                            root's delegation to that key, and the root handovers (kiosk.delivery.trust)

The source folder is only read. The version is raised above the one of the manifest already in
OUT, so publish into the same folder every time."""

from __future__ import annotations

import os
import re
import stat
import tempfile
from time import time as time_now
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import yaml

from kiosk.feed import media

from kiosk.delivery import signing, trust
from kiosk.delivery.manifest import (CLOCK_SLACK, FEED_FILE, MANIFEST_FILE, MAX_MANIFEST_BYTES, MAX_VERSION, SIGNATURE_FILE,
                            SOFTWARE_DATE, FileEntry, Manifest, ManifestProblem, parse)
from kiosk.feed.problems import Problem
from kiosk.delivery.store import atomic_write, file_sha256
from kiosk.feed.model import FEED_ZONE, expiry_moment
from kiosk.feed.validate import MAX_MEDIA_BYTES, load_feed, media_fields, media_file
from kiosk.feed.yamlsource import UnreadableFile, read_regular_file
from kiosk.words import day_text, moment_text

MEDIA_DIR = "media"
_PUBLISHED_MEDIA = re.compile(r"^[0-9a-f]{64}\.[a-z0-9]{1,8}$")
COPY_CHUNK = 1024 * 1024
LONG_GAP = timedelta(days=180)  # between two publishes into one folder: worth a word about the clock
KEY_EXPIRY_WARNING = timedelta(days=30)
HEADER = ("# Bản xuất bản do `kiosk publish` tạo: đừng sửa tệp này.\n"
          "# Hãy sửa bản tin gốc rồi chạy lại `kiosk publish`.\n")


class PublishRefused(Exception):
    """Publishing stopped; lines are what to tell the staff, one problem per line."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass
class Published:
    out: Path
    version: int
    expires: datetime
    media_files: int
    media_bytes: int
    removed: int
    last_day: date
    warnings: list[Problem] = field(default_factory=list)
    delegation_serial: int | None = None  # the keys.json published beside the manifest


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # never write anchors: displays refuse them
        return True


def _previous(out: Path) -> Manifest | None:
    """The manifest already published in OUT; None for a new, empty folder."""
    manifest = out / MANIFEST_FILE
    if manifest.is_file():
        try:
            return parse(read_regular_file(manifest, MAX_MANIFEST_BYTES))
        except (UnreadableFile, ManifestProblem) as problem:
            raise PublishRefused([f"{manifest}: bản kê cũ hỏng ({problem}); hãy xóa thư mục xuất bản "
                                  f"và xuất bản lại với `version` lớn hơn bản trên màn hình"]) from None
    if out.is_dir() and any(out.iterdir()):
        raise PublishRefused([f"thư mục `{out}` đã có tệp khác mà không phải bản xuất bản cũ; "
                              f"hãy chọn một thư mục trống"])
    return None


def _copy_media(root: Path, name: str, out: Path) -> FileEntry:
    """Copy one media file of the feed into out/media under the hash of the copy: checked again
    here (a plain, non-empty file inside the feed folder, by resolved path), read only through a
    descriptor that refuses links and anything but a plain file, and hashed from what was written,
    so that a file changing while publishing is signed as it is uploaded."""
    target, refused = media_file(root, name)
    if refused:
        raise PublishRefused([f"{root / FEED_FILE}: {refused}; chưa xuất bản"])
    target = media.for_screens(target)  # a photo far larger than any screen: its downscaled copy
    media_dir = out / MEDIA_DIR
    fd, temp_name = tempfile.mkstemp(prefix=".media.", suffix=".tmp", dir=media_dir)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as copy:
            source = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
            try:
                if not stat.S_ISREG(os.fstat(source).st_mode):
                    raise PublishRefused([f"{root / FEED_FILE}: `{name}` không phải tệp thường; chưa xuất bản"])
                copied = 0
                while chunk := os.read(source, COPY_CHUNK):
                    copied += len(chunk)
                    if copied > MAX_MEDIA_BYTES:
                        raise PublishRefused([f"{root / FEED_FILE}: tệp `{name}` quá lớn; chưa xuất bản"])
                    copy.write(chunk)
            finally:
                os.close(source)
            copy.flush()
            os.fsync(copy.fileno())
        size, digest = temp.stat().st_size, file_sha256(temp)
        if not size:
            raise PublishRefused([f"{root / FEED_FILE}: tệp `{name}` rỗng (0 byte); chưa xuất bản"])
        published = f"{MEDIA_DIR}/{digest}{target.suffix.lower()}"
        final = out / published
        if final.is_file() and final.stat().st_size == size and file_sha256(final) == digest:
            temp.unlink()
        else:
            os.chmod(temp, 0o644)  # mkstemp makes 0600; the web server must read it
            temp.replace(final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return FileEntry(published, size, digest)


def _clock_problems(now: datetime, previous_issued: datetime | None) -> tuple[list[str], list[str]]:
    """(refusals, warnings) about this computer's clock, which sets the signed issue time: a
    display never trusts a time before the newest issue time it has accepted, so a clock far
    ahead would make every later, correct feed look expired there."""
    shown = moment_text(now, FEED_ZONE)
    if now < SOFTWARE_DATE:
        return [f"đồng hồ máy này đang là {shown}, trước cả ngày làm ra phần mềm: hãy chỉnh đồng hồ "
                f"(ngày giờ Hà Nội) rồi xuất bản lại"], []
    if previous_issued is None:
        return [], []
    before = moment_text(previous_issued, FEED_ZONE)
    if now < previous_issued - LONG_GAP:  # months ahead: that publish had the wrong clock, not this one
        return [], [f"lần xuất bản trước ghi giờ {before}, ở tương lai: máy xuất bản lần đó chạy nhanh; bản này ghi "
                    f"giờ {shown}, màn hình có đồng hồ đúng sẽ nhận và xét hạn theo bản này"]
    if now < previous_issued - CLOCK_SLACK:
        return [f"đồng hồ máy này đang là {shown}, trước lần xuất bản trước ({before}): đồng hồ máy này hoặc "
                f"máy đã xuất bản lần trước sai; hãy chỉnh đồng hồ rồi xuất bản lại"], []
    if now - previous_issued > LONG_GAP:
        return [], [f"lần xuất bản trước cách đây {(now - previous_issued).days} ngày: nếu không đúng, đồng hồ "
                    f"máy này đang chạy nhanh ({shown}); màn hình sẽ coi mọi bản tin sau là hết hạn"]
    return [], []


def _key_files(key, key_folder: Path | None, out: Path, now: datetime):
    """The delegation to publish beside the manifest (None for a key of the plain `kiosk keygen`),
    refused when it is expired, for another key, or older than the one already published."""
    try:
        found = trust.publishing_files(key, key_folder, now) if key_folder is not None else None
        published = trust.published_serial(out)
    except trust.TrustProblem as problem:
        raise PublishRefused([f"{problem}; chưa xuất bản"]) from None
    if published is not None and found is None:
        raise PublishRefused([f"`{out / trust.KEYS_FILE}` cho thấy thư mục này được ký bằng khóa có ủy quyền; khóa "
                              f"này không có `{trust.KEYS_FILE}` bên cạnh: hãy dùng khóa do "
                              f"`kiosk keygen --delegate` tạo"])
    if published is not None and found.delegation.serial < published:
        raise PublishRefused([f"khóa này có ủy quyền số {found.delegation.serial}, cũ hơn ủy quyền số {published} đã "
                              f"xuất bản: khóa đã bị thu hồi, màn hình sẽ không nhận; hãy dùng khóa mới nhất"])
    return found


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def publish(source: Path, out: Path, key, *, now: datetime | None = None, key_folder: Path | None = None,
            clock: Callable[[], datetime] = _utc_now) -> Published:
    """Validate source, then write the signed folder into out. Raises PublishRefused.
    key_folder: where the key was read from; its keys.json (if any) is published with the feed.
    The issue time is the computer's clock, checked first (_clock_problems); a `now` given by the
    caller is an issue time chosen on purpose and taken as it is."""
    clock_checked = now is None
    now = now or clock()
    source, out = Path(source), Path(out)
    folder = source if source.is_dir() else source.parent
    result = load_feed(source, keep_document=True)
    if result.feed is None:
        raise PublishRefused([str(p) for p in result.problems]
                             + [f"{len(result.errors)} lỗi: chưa xuất bản; hãy sửa rồi chạy lại"])
    if out.resolve() == folder.resolve():
        raise PublishRefused(["thư mục xuất bản (--out) phải khác thư mục bản tin gốc"])
    feed = result.feed
    expires = expiry_moment(feed.expires)
    if expires <= now:
        raise PublishRefused([f"{folder / FEED_FILE}: bản tin đã hết hạn ngày {day_text(feed.expires)}; "
                              f"hãy sửa `expires` thành một ngày sau này"])
    previous = _previous(out)
    previous_mtime = int((out / MANIFEST_FILE).stat().st_mtime) if previous is not None else 0
    version = feed.version if previous is None else max(feed.version, previous.version + 1)
    if version > MAX_VERSION:
        raise PublishRefused([f"phiên bản {version} lớn quá: màn hình chỉ lưu được đến {MAX_VERSION}; hãy xuất "
                              f"bản vào một thư mục mới với `version` nhỏ hơn, rồi đặt lại các màn hình"])
    refusals, clock_warnings = (_clock_problems(now, previous.issued if previous is not None else None)
                                if clock_checked else ([], []))
    if refusals:
        raise PublishRefused(refusals)
    key_files = _key_files(key, key_folder, out, now)

    feed_path = folder / FEED_FILE
    doc = result.document  # the very data that was checked: its media names are rewritten below
    (out / MEDIA_DIR).mkdir(parents=True, exist_ok=True)
    root = folder.resolve()
    entries: dict[str, FileEntry] = {}
    published_names: dict[str, str] = {}
    for path, node, _ in media_fields(doc):
        field_name = path[-1]
        name = node[field_name]
        if not isinstance(name, str):
            continue
        if name not in published_names:
            entry = _copy_media(root, name, out)
            entries[entry.path] = entry
            published_names[name] = entry.path
        node[field_name] = published_names[name]
    doc.data["version"] = version

    text = HEADER + yaml.dump(doc.data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    atomic_write(out / FEED_FILE, text.encode("utf-8"))
    check = load_feed(out)
    if check.feed is None:  # the copy must be as good as the source; never sign anything else
        raise PublishRefused([str(p) for p in check.errors] + ["bản xuất bản không hợp lệ: chưa ký"])
    feed_entry = FileEntry(FEED_FILE, (out / FEED_FILE).stat().st_size, file_sha256(out / FEED_FILE))
    manifest = Manifest(version, now.astimezone(timezone.utc).replace(microsecond=0), expires,
                        (feed_entry, *sorted(entries.values(), key=lambda e: e.path)))
    raw = manifest.to_bytes()
    if key_files is not None:  # before the manifest: a display that sees the new manifest finds its key
        trust.install_key_files(key_files, out)
    atomic_write(out / SIGNATURE_FILE, signing.sign(key, raw))
    atomic_write(out / MANIFEST_FILE, raw)
    # Web servers make the ETag and Last-Modified of a file from its size and modification time
    # to the second: two manifests of one size written within one second would look the same.
    stamp = max(int(time_now()), previous_mtime + 1)
    os.utime(out / MANIFEST_FILE, (stamp, stamp))

    removed = 0
    for item in (out / MEDIA_DIR).iterdir():  # only what publish itself wrote there before
        if _PUBLISHED_MEDIA.match(item.name) and f"{MEDIA_DIR}/{item.name}" not in entries:
            item.unlink()
            removed += 1
    for folder_written in (out, out / MEDIA_DIR):  # what a publish that was killed half-way left behind
        for item in folder_written.glob(".*.tmp"):
            item.unlink(missing_ok=True)
    warnings = list(result.warnings) + [Problem(str(feed_path), 1, 1, said, warning=True) for said in clock_warnings]
    if key_files is not None and key_files.delegation.expires - now < KEY_EXPIRY_WARNING:
        warnings.append(Problem(str(key_folder / trust.KEYS_FILE), 1, 1, (
            f"khóa xuất bản hết hạn ủy quyền sau {(key_files.delegation.expires - now).days} ngày: hãy cắm USB khóa "
            f"gốc và chạy `kiosk keygen --delegate` để có khóa mới"), warning=True))
    return Published(out, version, expires, len(entries), sum(e.size for e in entries.values()), removed,
                     feed.expires, warnings, key_files.delegation.serial if key_files is not None else None)
