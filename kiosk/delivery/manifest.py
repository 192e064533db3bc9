"""The signed manifest of a published feed: every file (feed.yaml included) with its size and
SHA-256, the feed version, when it was issued and when it stops being trusted.

`kiosk publish` writes it with to_bytes(); a display parses it with parse() only after the
signature over its raw bytes has been checked, and still treats every field as hostile."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from kiosk.feed.yamlsource import FEED_FILE

MANIFEST_FILE = "manifest.json"
SIGNATURE_FILE = "manifest.json.sig"
KIND = "ward-kiosk-manifest"
FORMAT = 1

MAX_MANIFEST_BYTES = 1024 * 1024
MAX_SIGNATURE_BYTES = 1024
MAX_FILES = 5000
MAX_FILE_BYTES = 2 * 1024**3
MAX_TOTAL_BYTES = 8 * 1024**3
# The highest feed version: what a JSON number keeps exactly everywhere (JavaScript, most parsers),
# and plenty for versions made from dates (`2026120109`). Publish refuses more; displays store up to it.
MAX_VERSION = 2**53 - 1
# Issue and expiry times outside these are refused: a moment near year 9999 cannot even be shown in
# Hanoi time (one hour past the last one Python can hold), and no display meets them.
EARLIEST_MOMENT = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST_MOMENT = datetime(2200, 1, 1, tzinfo=timezone.utc)
# No display runs, and no feed is published, before this software was made: a clock before it is
# clearly wrong (publish refuses it; a display never judges expiry by it). Raise it at releases.
SOFTWARE_DATE = datetime(2026, 12, 1, tzinfo=timezone.utc)
CLOCK_SLACK = timedelta(minutes=10)  # two clocks further apart than this: one of them is clearly off

_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ManifestProblem(ValueError):
    """What is wrong with a manifest, in words for staff."""


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    version: int
    issued: datetime
    expires: datetime
    files: tuple[FileEntry, ...]

    def to_bytes(self) -> bytes:
        data = {
            "type": KIND,
            "format": FORMAT,
            "version": self.version,
            "issued": iso_utc(self.issued),
            "expires": iso_utc(self.expires),
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }
        return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")

    @property
    def total_size(self) -> int:
        return sum(entry.size for entry in self.files)


def iso_utc(moment: datetime) -> str:
    """A moment as the signed files write it: UTC, to the second, `2026-12-01T08:00:00Z`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_moment(text: object) -> datetime | None:
    """The one reading of a moment in the files a display keeps or is sent: an ISO 8601 text with
    its offset, as an aware UTC moment. A moment without an offset is refused (None), never guessed:
    every file the kiosk writes carries one, so a naive time is a damaged or foreign file. None also
    for what is no such text (too long, malformed, beyond what a datetime holds in UTC)."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text)
        return moment.astimezone(timezone.utc) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):  # 9999-12-31T23:59-23:00 is past what a datetime holds in UTC
        return None


def check_name(path: object) -> str:
    """A file name from a manifest, refused when absolute, with `..`, or anything that could
    leave the folder it is installed into (only plain letters, digits, `._-` and `/`)."""
    if not isinstance(path, str) or not path:
        raise ManifestProblem("bản kê có tệp không có tên")
    parts = path.split("/")
    if len(path) > 300 or len(parts) > 4 or not all(_PART.match(part) for part in parts):
        raise ManifestProblem(f"tên tệp `{path[:80]}` trong bản kê không an toàn (tuyệt đối, có `..` "
                              f"hoặc ký tự lạ): không cài")
    return path


def _moment(data: dict, key: str) -> datetime:
    text = data.get(key)
    moment = parse_moment(text)
    if moment is None:
        raise ManifestProblem(f"bản kê thiếu hoặc sai thời điểm `{key}`")
    if not EARLIEST_MOMENT <= moment < LATEST_MOMENT:
        raise ManifestProblem(f"thời điểm `{key}` trong bản kê ({text[:40]}) nằm ngoài khoảng cho phép "
                              f"(năm {EARLIEST_MOMENT.year}–{LATEST_MOMENT.year - 1}): không cài")
    return moment


def _entry(item: object) -> FileEntry:
    if not isinstance(item, dict) or set(item) != {"path", "size", "sha256"}:
        raise ManifestProblem("bản kê có mục tệp không đúng dạng (cần path, size, sha256)")
    path = check_name(item["path"])
    size, digest = item["size"], item["sha256"]
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_FILE_BYTES:
        raise ManifestProblem(f"kích thước của `{path}` trong bản kê không hợp lệ")
    if not isinstance(digest, str) or not _SHA256.match(digest):
        raise ManifestProblem(f"mã SHA-256 của `{path}` trong bản kê không hợp lệ")
    return FileEntry(path, size, digest)


def parse(raw: bytes) -> Manifest:
    """The manifest in raw (whose signature has been checked); ManifestProblem when malformed."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ManifestProblem("bản kê (manifest.json) lồng nhau quá sâu: không phải bản kê của bản tin") from None
    except (UnicodeDecodeError, ValueError) as error:
        too_long = "digits" in str(error)  # Python refuses integers of more than 4300 digits
        raise ManifestProblem("bản kê (manifest.json) có số quá dài (hàng nghìn chữ số)" if too_long
                              else "bản kê (manifest.json) không đọc được") from None
    if not isinstance(data, dict) or data.get("type") != KIND:
        raise ManifestProblem("manifest.json không phải bản kê của bản tin màn hình phường")
    if data.get("format") != FORMAT:
        raise ManifestProblem(f"bản kê định dạng {data.get('format')!r} chưa hỗ trợ; hãy cập nhật phần mềm")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ManifestProblem("bản kê thiếu số phiên bản")
    if version > MAX_VERSION:
        raise ManifestProblem(f"số phiên bản trong bản kê quá lớn ({len(str(version))} chữ số; tối đa "
                              f"{MAX_VERSION:,}): không cài".replace(",", "."))
    files = data.get("files")
    if not isinstance(files, list) or not 0 < len(files) <= MAX_FILES:
        raise ManifestProblem("bản kê không có danh sách tệp hợp lệ")
    entries = tuple(_entry(item) for item in files)
    names = {entry.path for entry in entries}
    if len(names) != len(entries):
        raise ManifestProblem("bản kê có một tệp được kê hai lần")
    for name in names:
        parent = name.rsplit("/", 1)[0] if "/" in name else None
        while parent:
            if parent in names:
                raise ManifestProblem(f"bản kê có `{parent}` vừa là tệp vừa là thư mục")
            parent = parent.rsplit("/", 1)[0] if "/" in parent else None
    if FEED_FILE not in names:
        raise ManifestProblem(f"bản kê không có `{FEED_FILE}`")
    manifest = Manifest(version, _moment(data, "issued"), _moment(data, "expires"), entries)
    if manifest.total_size > MAX_TOTAL_BYTES:
        raise ManifestProblem("bản kê khai tổng dung lượng quá lớn")
    return manifest
