"""`kiosk publish`: turn the staff's feed folder into a signed folder ready to upload as-is to any
static web server.

    OUT/manifest.json       every file below with its size and SHA-256; version, issue time, expiry
    OUT/manifest.json.sig   Ed25519 signature of signing.CONTEXT + manifest.json (base64)
    OUT/feed.yaml           the feed, version raised, media names rewritten to ...
    OUT/media/<sha256>.<ext> the media, named by their content: a cache on the way cannot mix
                            an old picture with a new feed

The source folder is only read. The version is raised above the one of the manifest already in
OUT, so publish into the same folder every time."""

from __future__ import annotations

import os
import re
import shutil
from time import time as time_now
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import yaml

from kiosk import media, signing
from kiosk.manifest import FEED_FILE, MANIFEST_FILE, SIGNATURE_FILE, FileEntry, Manifest, ManifestProblem, parse
from kiosk.problems import Problem
from kiosk.store import atomic_write, file_sha256
from kiosk.model import FEED_ZONE
from kiosk.validate import MEDIA_KEYS, MEDIA_KEYS_BY_TYPE, _media_type, _walk, load_feed
from kiosk.yamlsource import load_yaml

MEDIA_DIR = "media"
_PUBLISHED_MEDIA = re.compile(r"^[0-9a-f]{64}\.[a-z0-9]{1,8}$")
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


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # never write anchors: displays refuse them
        return True


def media_references(data):
    """(mapping, key) for every media file name in parsed feed data, by the validator's rules."""
    for _, node in _walk(data):
        if not isinstance(node, dict):
            continue
        keys = [key for key in MEDIA_KEYS if isinstance(node.get(key), str)]
        if _media_type(node) in MEDIA_KEYS_BY_TYPE and isinstance(node.get("file"), str):
            keys.append("file")
        for key in keys:
            yield node, key


def _previous_version(out: Path) -> int | None:
    """The version already published in OUT; None for a new, empty folder."""
    manifest = out / MANIFEST_FILE
    if manifest.is_file():
        try:
            return parse(manifest.read_bytes()).version
        except (OSError, ManifestProblem) as problem:
            raise PublishRefused([f"{manifest}: bản kê cũ hỏng ({problem}); hãy xóa thư mục xuất bản "
                                  f"và xuất bản lại với `version` lớn hơn bản trên màn hình"]) from None
    if out.is_dir() and any(out.iterdir()):
        raise PublishRefused([f"thư mục `{out}` đã có tệp khác mà không phải bản xuất bản cũ; "
                              f"hãy chọn một thư mục trống"])
    return None


def expiry_moment(expires) -> datetime:
    """The end of the feed's last day, Hanoi time."""
    return datetime.combine(expires + timedelta(days=1), time(), tzinfo=FEED_ZONE).astimezone(timezone.utc)


def publish(source: Path, out: Path, key, *, now: datetime | None = None) -> Published:
    """Validate source, then write the signed folder into out. Raises PublishRefused."""
    now = now or datetime.now(timezone.utc)
    source, out = Path(source), Path(out)
    folder = source if source.is_dir() else source.parent
    result = load_feed(source)
    if result.feed is None:
        raise PublishRefused([str(p) for p in result.problems]
                             + [f"{len(result.errors)} lỗi: chưa xuất bản; hãy sửa rồi chạy lại"])
    if out.resolve() == folder.resolve():
        raise PublishRefused(["thư mục xuất bản (--out) phải khác thư mục bản tin gốc"])
    feed = result.feed
    expires = expiry_moment(feed.expires)
    if expires <= now:
        raise PublishRefused([f"{folder / FEED_FILE}: bản tin đã hết hạn ngày {feed.expires:%d/%m/%Y}; "
                              f"hãy sửa `expires` thành một ngày sau này"])
    previous = _previous_version(out)
    previous_mtime = int((out / MANIFEST_FILE).stat().st_mtime) if previous is not None else 0
    version = feed.version if previous is None else max(feed.version, previous + 1)

    feed_path = folder / FEED_FILE
    doc, _ = load_yaml(feed_path.read_bytes(), str(feed_path))
    media_dir = out / MEDIA_DIR
    media_dir.mkdir(parents=True, exist_ok=True)
    entries: dict[str, FileEntry] = {}
    published_names: dict[str, str] = {}
    for node, field_name in media_references(doc.data):
        name = node[field_name]
        if name not in published_names:
            original = media.for_screens(folder / name)  # a photo far larger than any screen: downscaled
            digest = file_sha256(original)
            published = f"{MEDIA_DIR}/{digest}{original.suffix.lower()}"
            target = out / published
            if not (target.is_file() and file_sha256(target) == digest):
                temp = target.with_name(f".{target.name}.tmp")
                shutil.copyfile(original, temp)
                temp.replace(target)
            entries[published] = FileEntry(published, target.stat().st_size, digest)
            published_names[name] = published
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
    atomic_write(out / SIGNATURE_FILE, signing.sign(key, raw))
    atomic_write(out / MANIFEST_FILE, raw)
    # Web servers make the ETag and Last-Modified of a file from its size and modification time
    # to the second: two manifests of one size written within one second would look the same.
    stamp = max(int(time_now()), previous_mtime + 1)
    os.utime(out / MANIFEST_FILE, (stamp, stamp))

    removed = 0
    for item in media_dir.iterdir():  # only what publish itself wrote there before
        if _PUBLISHED_MEDIA.match(item.name) and f"{MEDIA_DIR}/{item.name}" not in entries:
            item.unlink()
            removed += 1
    return Published(out, version, expires, len(entries), sum(e.size for e in entries.values()), removed,
                     feed.expires, result.warnings)
