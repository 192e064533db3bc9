"""Which key a display believes: an offline root key hands the right to sign feeds to one
publishing key at a time, for a while, and can hand its own place to a successor.

    OUT/keys.json          {"type": "ward-kiosk-keys", "format": 1, "serial": N, "root_serial": R,
                            "publishing_key": "...", "valid_from": "...Z", "expires": "...Z"}
    OUT/keys.json.sig      signature of DELEGATION_CONTEXT + keys.json by root number R
    OUT/root-R.json        {"type": "ward-kiosk-root", "format": 1, "serial": R, "root_key": "..."}
    OUT/root-R.json.sig    signature of ROOT_CONTEXT + root-R.json by root number R - 1

A display keeps the first root's public key in its settings (`root_key`) and remembers, in
STATE/trust.json, the newest root it has walked to and the highest delegation serial it has seen.
A delegation with a higher serial replaces the one before, whose key is from then on revoked; an
older one is never taken again (no replay); a display that missed several rotations needs only the
newest delegation and the root handovers since its own root. A display with only `public_key`
(no `root_key`) trusts that one key, as before.

The office side (`kiosk keygen --root / --delegate / --new-root`, `kiosk publish`) is here too:
a root folder (on a USB stick) holds root-private-key.pem, root-public-key.txt, the handovers
root-N.json(.sig) that led to it, and keys.json(.sig), the last delegation it signed, so that the
next serial is always higher."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from kiosk.delivery import signing
from kiosk.delivery.manifest import MAX_VERSION, iso_utc, parse_moment
from kiosk.delivery.store import TRUST_FILE, atomic_write, read_json, write_json
from kiosk.feed.model import FEED_ZONE
from kiosk.feed.yamlsource import UnreadableFile, read_regular_file
from kiosk.words import moment_text

KEYS_FILE = "keys.json"
KEYS_SIGNATURE = "keys.json.sig"
KEYS_KIND = "ward-kiosk-keys"
ROOT_KIND = "ward-kiosk-root"
FORMAT = 1
DELEGATION_CONTEXT = b"ward-kiosk publishing key delegation v1\n"
ROOT_CONTEXT = b"ward-kiosk root key handover v1\n"
ROOT_PRIVATE_KEY_FILE = "root-private-key.pem"
ROOT_PUBLIC_KEY_FILE = "root-public-key.txt"
STATE_FILE = TRUST_FILE  # in the display's state folder
MAX_KEY_FILE_BYTES = 4096  # keys.json, root-N.json and their signatures are a few hundred bytes
MAX_SERIAL = MAX_VERSION  # what any JSON reader keeps exact
MAX_ROOT_STEPS = 50  # handovers a display walks in one cycle
MAX_DAYS = 3660
REVOKED_KEPT = 20  # publishing keys remembered as revoked, to say so when one signs a feed
VALID_BEFORE = timedelta(days=1)  # a delegation counts from a day before it is made: display clocks run slow
_ROOT_FILE = re.compile(r"^root-([1-9][0-9]{0,5})\.json$")


class TrustProblem(ValueError):
    """A key file that is missing, malformed, not signed by the root, expired or replaced; words for staff."""


def root_file(serial: int) -> str:
    return f"root-{serial}.json"


def _when(moment: datetime) -> str:
    return moment_text(moment, FEED_ZONE)


# ---------------------------------------------------------------------------------- the files


@dataclass(frozen=True)
class Delegation:
    serial: int
    root_serial: int
    publishing_key: str
    valid_from: datetime
    expires: datetime

    def to_bytes(self) -> bytes:
        data = {"type": KEYS_KIND, "format": FORMAT, "serial": self.serial, "root_serial": self.root_serial,
                "publishing_key": self.publishing_key, "valid_from": iso_utc(self.valid_from),
                "expires": iso_utc(self.expires)}
        return (json.dumps(data, indent=1) + "\n").encode("ascii")


def _fields(raw: bytes, kind: str, name: str) -> dict:
    """The JSON object of a key file; every field still hostile."""
    if len(raw) > MAX_KEY_FILE_BYTES:
        raise TrustProblem(f"`{name}` lớn quá mức cho phép: không phải tệp khóa của phường")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise TrustProblem(f"`{name}` không đọc được (không phải JSON)") from None
    if not isinstance(data, dict) or data.get("type") != kind:
        raise TrustProblem(f"`{name}` không phải tệp khóa của màn hình phường")
    if data.get("format") != FORMAT:
        raise TrustProblem(f"`{name}` định dạng {str(data.get('format'))[:20]!r} chưa hỗ trợ; hãy cập nhật phần mềm")
    return data


def _serial(data: dict, key: str, name: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_SERIAL:
        raise TrustProblem(f"`{name}` thiếu hoặc sai số `{key}`")
    return value


def _key_text(data: dict, key: str, name: str) -> str:
    value = data.get(key)
    try:
        if not isinstance(value, str):
            raise signing.KeyProblem(key)
        signing.parse_public_key(value)
    except signing.KeyProblem:
        raise TrustProblem(f"`{name}` thiếu hoặc sai khóa `{key}`") from None
    return value.strip()


def _moment(data: dict, key: str, name: str) -> datetime:
    moment = parse_moment(data.get(key))
    if moment is None:
        raise TrustProblem(f"`{name}` thiếu hoặc sai thời điểm `{key}`")
    return moment


def parse_delegation(raw: bytes) -> Delegation:
    data = _fields(raw, KEYS_KIND, KEYS_FILE)
    delegation = Delegation(_serial(data, "serial", KEYS_FILE), _serial(data, "root_serial", KEYS_FILE),
                            _key_text(data, "publishing_key", KEYS_FILE), _moment(data, "valid_from", KEYS_FILE),
                            _moment(data, "expires", KEYS_FILE))
    if delegation.expires <= delegation.valid_from:
        raise TrustProblem(f"`{KEYS_FILE}` hết hạn trước khi bắt đầu có hiệu lực")
    return delegation


def parse_root(raw: bytes, name: str) -> tuple[int, str]:
    """(serial, public key) of a root handover file."""
    data = _fields(raw, ROOT_KIND, name)
    return _serial(data, "serial", name), _key_text(data, "root_key", name)


def _root_bytes(serial: int, key_text: str) -> bytes:
    return (json.dumps({"type": ROOT_KIND, "format": FORMAT, "serial": serial, "root_key": key_text}, indent=1)
            + "\n").encode("ascii")


# ---------------------------------------------------------------------------------- the display

Fetch = Callable[[str, int], "bytes | None"]  # (file name, size limit) -> its bytes, None when the server has none


@dataclass
class _Remembered:
    """What STATE/trust.json holds, for the root in the settings it was reached from."""

    root_serial: int
    root_key: str
    serial: int = 0
    publishing_key: str = ""
    revoked: tuple[str, ...] = ()

    @classmethod
    def read(cls, path: Path, first_root: str) -> _Remembered:
        data = read_json(path)
        fresh = cls(1, first_root)
        if data.get("first_root") != first_root:
            return fresh  # nothing yet, or state made under another root: walk again from the settings
        try:
            remembered = cls(_serial(data, "root_serial", STATE_FILE), _key_text(data, "root_key", STATE_FILE),
                             int(data.get("serial") or 0), str(data.get("publishing_key") or ""),
                             tuple(_key_text({"key": key}, "key", STATE_FILE)
                                   for key in data.get("revoked") or ())[-REVOKED_KEPT:])
        except (TrustProblem, TypeError, ValueError, OverflowError):  # OverflowError: `"serial": Infinity`
            return fresh  # a damaged file: the root in the settings still decides, serials are learnt again
        return remembered if 0 <= remembered.serial <= MAX_SERIAL else fresh

    def write(self, path: Path, first_root: str) -> None:
        write_json(path, {"first_root": first_root, "root_serial": self.root_serial, "root_key": self.root_key,
                          "serial": self.serial, "publishing_key": self.publishing_key,
                          "revoked": list(self.revoked)})


def _required(fetch: Fetch, name: str, why: str) -> bytes:
    raw = fetch(name, MAX_KEY_FILE_BYTES)
    if raw is None:
        raise TrustProblem(f"máy chủ không có `{name}` ({why}); hãy xuất bản bằng `kiosk publish` với khóa "
                           f"do `kiosk keygen --delegate` tạo và tải lên cả thư mục")
    return raw


def _place_root(seen: _Remembered, target: int, fetch: Fetch) -> None:
    """On a display that has followed no handover yet, which number the root in its settings has:
    a display set up after a handover has the newer root there, not the first. The handover that
    names the key tells (its signature need not be checked: the settings trust that key anyway).
    No further back than _walk_roots would walk: target comes from a keys.json not yet checked."""
    for serial in range(target, max(1, target - MAX_ROOT_STEPS - 1), -1):
        raw = fetch(root_file(serial), MAX_KEY_FILE_BYTES)
        try:
            named = parse_root(raw, root_file(serial)) if raw is not None else None
        except TrustProblem:
            continue
        if named == (serial, seen.root_key):
            seen.root_serial = serial
            return


def _walk_roots(seen: _Remembered, target: int, fetch: Fetch) -> None:
    """Follow the root handovers from the one remembered to number target, each signed by the one before."""
    if seen.serial == 0 and seen.root_serial == 1 and target > 1:
        _place_root(seen, target, fetch)
    if target < seen.root_serial:
        raise TrustProblem(f"`{KEYS_FILE}` do khóa gốc số {target} ký, nhưng khóa gốc đó đã được thay bằng khóa "
                           f"số {seen.root_serial}: không nhận; hãy ủy quyền lại bằng khóa gốc mới")
    if target - seen.root_serial > MAX_ROOT_STEPS:
        raise TrustProblem(f"`{KEYS_FILE}` cần đổi khóa gốc quá nhiều lần ({target - seen.root_serial}): không nhận")
    for serial in range(seen.root_serial + 1, target + 1):
        name = root_file(serial)
        raw = _required(fetch, name, "giấy bàn giao khóa gốc")
        signature = _required(fetch, name + ".sig", "chữ ký giấy bàn giao khóa gốc")
        if not signing.verify(signing.parse_public_key(seen.root_key), raw, signature, ROOT_CONTEXT):
            raise TrustProblem(f"`{name}` không do khóa gốc số {seen.root_serial} ký: không đổi khóa gốc")
        number, key = parse_root(raw, name)
        if number != serial:
            raise TrustProblem(f"`{name}` ghi số khóa gốc {number}, không phải {serial}: không nhận")
        seen.root_serial, seen.root_key = serial, key


def check_manifest_signature(root_key: str, state_dir: Path, raw: bytes, signature: bytes,
                             fetch: Fetch) -> Delegation:
    """The newest delegation from root_key, whose publishing key made signature over the manifest
    raw; TrustProblem otherwise. When the delegation holds is judge_delegation's: the time to judge
    it by may be corrected by the very manifest this signature makes trustworthy."""
    state_file = Path(state_dir) / STATE_FILE
    seen = _Remembered.read(state_file, root_key)
    before = (seen.root_serial, seen.root_key, seen.serial)
    delegation_raw = _required(fetch, KEYS_FILE, "ủy quyền khóa xuất bản")
    delegation_signature = _required(fetch, KEYS_SIGNATURE, "chữ ký của ủy quyền")
    delegation = parse_delegation(delegation_raw)
    _walk_roots(seen, delegation.root_serial, fetch)
    if not signing.verify(signing.parse_public_key(seen.root_key), delegation_raw, delegation_signature,
                          DELEGATION_CONTEXT):
        raise TrustProblem(f"chữ ký của `{KEYS_FILE}` không đúng: ủy quyền không do khóa gốc của phường ký; "
                           f"giữ nguyên nội dung đang chiếu")
    if delegation.serial < seen.serial:
        raise TrustProblem(f"`{KEYS_FILE}` trên máy chủ là ủy quyền số {delegation.serial}, cũ hơn ủy quyền số "
                           f"{seen.serial} màn hình đã nhận: khóa trong đó đã bị thu hồi; không nhận")
    if delegation.serial == seen.serial and delegation.publishing_key != seen.publishing_key:
        raise TrustProblem(f"có hai ủy quyền cùng số {delegation.serial} cho hai khóa khác nhau: không nhận; "
                           f"hãy ủy quyền lại bằng `kiosk keygen --delegate` (số mới lớn hơn)")
    if delegation.serial > seen.serial:
        if seen.publishing_key and seen.publishing_key != delegation.publishing_key:
            seen.revoked = (*seen.revoked, seen.publishing_key)[-REVOKED_KEPT:]
        seen.serial, seen.publishing_key = delegation.serial, delegation.publishing_key
    if (seen.root_serial, seen.root_key, seen.serial) != before:
        seen.write(state_file, root_key)  # a revocation holds even if this manifest is refused
    if signing.verify(signing.parse_public_key(delegation.publishing_key), raw, signature):
        return delegation
    if any(signing.verify(signing.parse_public_key(old), raw, signature) for old in seen.revoked):
        raise TrustProblem(f"bản tin được ký bằng khóa xuất bản đã bị thu hồi (khóa hiện hành là của ủy quyền số "
                           f"{delegation.serial}): không nhận; giữ nguyên nội dung đang chiếu")
    raise TrustProblem("chữ ký của bản tin không đúng: bản tin không do khóa xuất bản được ủy quyền ký, hoặc đã "
                       "bị sửa sau khi ký; giữ nguyên nội dung đang chiếu")


def judge_delegation(delegation: Delegation, now: datetime) -> None:
    """Raise TrustProblem unless the delegation holds at now (the display's trusted time)."""
    if now < delegation.valid_from:
        raise TrustProblem(f"khóa xuất bản (ủy quyền số {delegation.serial}) chỉ có hiệu lực từ "
                           f"{_when(delegation.valid_from)}; kiểm tra đồng hồ của máy")
    if now >= delegation.expires:
        raise TrustProblem(f"khóa xuất bản (ủy quyền số {delegation.serial}) đã hết hạn lúc "
                           f"{_when(delegation.expires)}: văn phòng cần ủy quyền khóa mới bằng khóa gốc "
                           f"(`kiosk keygen --delegate`) rồi xuất bản lại")


# ---------------------------------------------------------------------------------- the office


def _root_serial_of(folder: Path) -> int:
    """The number of the root whose folder this is: that of its newest handover, 1 without any."""
    numbers = [int(match[1]) for item in folder.iterdir() if (match := _ROOT_FILE.match(item.name))]
    return max(numbers, default=1)


def _read_small(path: Path) -> bytes:
    try:
        return read_regular_file(path, MAX_KEY_FILE_BYTES)
    except UnreadableFile as problem:
        raise TrustProblem(str(problem)) from None


def _root_files(folder: Path) -> list[Path]:
    """The handovers in a folder with their signatures, oldest first."""
    found = sorted((int(match[1]), item) for item in folder.iterdir() if (match := _ROOT_FILE.match(item.name)))
    return [path for _, item in found for path in (item, item.with_name(item.name + ".sig"))]


def _copy_files(files: list[Path], folder: Path) -> None:
    for path in files:
        atomic_write(folder / path.name, _read_small(path))


def _last_serial(root_folder: Path) -> int:
    record = root_folder / KEYS_FILE
    if not record.exists():
        return 0
    return parse_delegation(_read_small(record)).serial


def _load_root(root_private: Path) -> tuple[signing.Ed25519PrivateKey, Path, int]:
    """The root key, its folder and its number, checked against the handovers in that folder."""
    root_private = Path(root_private)
    key = signing.load_private_key(root_private)
    folder = root_private.parent
    public = folder / ROOT_PUBLIC_KEY_FILE
    if not public.exists() or _read_small(public).decode("ascii", "replace").strip() != signing.public_key_text(key):
        raise TrustProblem(f"`{root_private}` không phải khóa gốc: thư mục khóa gốc (do `kiosk keygen --root` tạo) "
                           f"có `{ROOT_PUBLIC_KEY_FILE}` khớp với nó; một khóa xuất bản không ủy quyền được")
    serial = _root_serial_of(folder)
    if serial > 1:
        _, named = parse_root(_read_small(folder / root_file(serial)), root_file(serial))
        if named != signing.public_key_text(key):
            raise TrustProblem(f"`{root_private}` không phải khóa gốc số {serial} mà `{root_file(serial)}` "
                               f"bên cạnh nó ghi; hãy dùng đúng thư mục khóa gốc")
    return key, folder, serial


def make_root(folder: Path) -> tuple[Path, str]:
    """A new first root key in folder (a USB stick): its private key and the public key text."""
    private, _, public = signing.write_key_pair(Path(folder), ROOT_PRIVATE_KEY_FILE, ROOT_PUBLIC_KEY_FILE)
    return private, public


def hand_over_root(old_private: Path, folder: Path) -> tuple[Path, str, int]:
    """A successor to the root at old_private, in folder: its key, the handover signed by the old
    root, the earlier handovers, and the last delegation (so that serials keep rising)."""
    old_key, old_folder, serial = _load_root(old_private)
    folder = Path(folder)
    if folder.resolve() == old_folder.resolve():
        raise TrustProblem("thư mục khóa gốc mới phải khác thư mục khóa gốc cũ")
    private, _, public = signing.write_key_pair(folder, ROOT_PRIVATE_KEY_FILE, ROOT_PUBLIC_KEY_FILE)
    carried = _root_files(old_folder) + [old_folder / name for name in (KEYS_FILE, KEYS_SIGNATURE)
                                         if (old_folder / name).exists()]
    _copy_files(carried, folder)
    handover = _root_bytes(serial + 1, public)
    atomic_write(folder / root_file(serial + 1), handover)
    atomic_write(folder / (root_file(serial + 1) + ".sig"), signing.sign(old_key, handover, ROOT_CONTEXT))
    return private, public, serial + 1


def delegate(root_private: Path, folder: Path, days: int, now: datetime | None = None) -> tuple[Path, Delegation]:
    """A new publishing key in folder, with keys.json(.sig) naming it for days from now, signed by
    the root, and the root handovers the displays may need. The root's folder keeps a copy of
    keys.json: the next delegation gets a higher serial, and the one before is revoked."""
    if not 1 <= days <= MAX_DAYS:
        raise TrustProblem(f"số ngày hiệu lực cần từ 1 đến {MAX_DAYS} (đang là {days})")
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    root_key, root_folder, root_serial = _load_root(root_private)
    folder = Path(folder)
    if folder.resolve() == root_folder.resolve():
        raise TrustProblem("hãy ghi khóa xuất bản vào thư mục khác thư mục khóa gốc (khóa gốc để riêng, ngoại tuyến)")
    if (folder / KEYS_FILE).exists():
        raise TrustProblem(f"`{folder / KEYS_FILE}` đã có; không ghi đè (hãy chọn thư mục mới cho khóa mới)")
    if not os.access(root_folder, os.W_OK):  # it must remember this serial, or the next one repeats it
        raise TrustProblem(f"không ghi được vào thư mục khóa gốc `{root_folder}` (USB đang khóa ghi?): thư mục đó "
                           f"cần giữ bản `{KEYS_FILE}` mới nhất để số ủy quyền sau luôn lớn hơn")
    private, _, public = signing.write_key_pair(folder)
    delegation = Delegation(_last_serial(root_folder) + 1, root_serial, public, now - VALID_BEFORE,
                            now + timedelta(days=days))
    raw = delegation.to_bytes()
    signature = signing.sign(root_key, raw, DELEGATION_CONTEXT)
    for target in (root_folder, folder):  # the root's record first: a serial once signed is never made again
        atomic_write(target / KEYS_FILE, raw)
        atomic_write(target / KEYS_SIGNATURE, signature)
    _copy_files(_root_files(root_folder), folder)
    return private, delegation


@dataclass(frozen=True)
class KeyFiles:
    """What publish copies beside the manifest: the delegation and the root handovers."""

    delegation: Delegation
    files: list[Path]


def publishing_files(key: signing.Ed25519PrivateKey, key_folder: Path, now: datetime) -> KeyFiles | None:
    """The key files beside a publishing key, checked against it: None for a key made by the plain
    `kiosk keygen` (displays that have only `public_key`)."""
    record = key_folder / KEYS_FILE
    if not record.exists() and not record.is_symlink():
        return None
    delegation = parse_delegation(_read_small(record))
    if not (key_folder / KEYS_SIGNATURE).exists():
        raise TrustProblem(f"thiếu `{key_folder / KEYS_SIGNATURE}` bên cạnh `{KEYS_FILE}`")
    if delegation.publishing_key != signing.public_key_text(key):
        raise TrustProblem(f"`{record}` ủy quyền cho khóa khác, không phải khóa bí mật này; hãy dùng khóa "
                           f"cùng thư mục với `{KEYS_FILE}` của nó")
    if now >= delegation.expires:
        raise TrustProblem(f"khóa xuất bản đã hết hạn ủy quyền lúc {_when(delegation.expires)}; hãy cắm USB khóa "
                           f"gốc và chạy `kiosk keygen --delegate` để có khóa mới")
    if now < delegation.valid_from:
        raise TrustProblem(f"khóa xuất bản chỉ có hiệu lực từ {_when(delegation.valid_from)}; kiểm tra đồng hồ")
    return KeyFiles(delegation, _plain_key_files([record, key_folder / KEYS_SIGNATURE, *_root_files(key_folder)]))


def _plain_key_files(files: list[Path]) -> list[Path]:
    """The files publish uploads beside the manifest, refused when one is a link (it could carry the
    private key beside it into the upload) or a handover that is not one."""
    for path in files:
        if path.is_symlink():
            raise TrustProblem(f"`{path}` là liên kết (symlink), không phải tệp khóa: hãy xóa nó hoặc chép tệp thật vào")
    for path in files:
        if _ROOT_FILE.match(path.name):
            parse_root(_read_small(path), path.name)
    return files


def published_serial(out: Path) -> int | None:
    """The serial of the delegation already in a published folder, None when it has none."""
    record = out / KEYS_FILE
    if not record.exists():
        return None
    return parse_delegation(_read_small(record)).serial


def install_key_files(found: KeyFiles, out: Path) -> None:
    _copy_files(found.files, out)
    for item in out.iterdir():  # handovers of another root chain would only confuse
        if _ROOT_FILE.match(item.name.removesuffix(".sig")) and item.name not in {p.name for p in found.files}:
            item.unlink()
