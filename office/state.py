"""The console's own files, kept apart from the feed folder and from what is published.

    STATE/users.json        staff accounts: role and argon2 hash of the password
    STATE/session.key       the key that signs session cookies (0600, made on first start)
    STATE/office-key.pem    the office's signing key, encrypted with the approvers' passphrase
    STATE/published.yaml    the feed as last published from the console, for "what changed"
    STATE/audit.log         one JSON line per change, submission and publication
    STATE/trash/            slides deleted from the console, for undo
    STATE/imports/          spreadsheets read, waiting to be added as a slide
    STATE/previews/         rendered previews, by content"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.feed.model import FEED_ZONE
from kiosk.delivery.store import atomic_write, read_json, write_json

ROLES = {"editor": "Biên tập", "approver": "Duyệt và xuất bản"}
KEY_FILE = "office-key.pem"
PUBLISHED_COPY = "published.yaml"  # the feed as last published from the console: "what changed" is from it
DELEGATION_DIR = "delegation"  # keys.json (and root handovers) of a key made by `kiosk keygen --delegate`
MIN_PASSWORD = 8
MIN_PASSPHRASE = 10


class StateProblem(ValueError):
    """Something staff asked for that cannot be done; the message is for them."""


def default_state(feed: Path) -> Path:
    """Beside the feed folder, never inside it (its content is what gets published)."""
    feed = Path(feed).resolve()
    return feed.parent / f".office-{feed.name}"


def check_apart(state: Path, feed: Path, out: Path | None) -> None:
    state, feed = Path(state).resolve(), Path(feed).resolve()
    places = [(feed, "thư mục bản tin")] + ([(Path(out).resolve(), "thư mục xuất bản")] if out else [])
    for place, name in places:
        if state == place or state.is_relative_to(place) or place.is_relative_to(state):
            raise StateProblem(f"thư mục trạng thái `{state}` không được nằm trong {name} `{place}` hay chứa nó; "
                               f"hãy chọn chỗ khác với --state")


def _private_write(path: Path, data: bytes) -> None:
    atomic_write(path, data, mode=0o600)


class Users:
    def __init__(self, state: Path, hasher: PasswordHasher | None = None):
        self.path = Path(state) / "users.json"
        self.hasher = hasher or PasswordHasher()  # argon2id, RFC 9106's low-memory profile
        self._dummy = self.hasher.hash(secrets.token_hex(8))  # same cost for an unknown name

    def all(self) -> dict[str, dict]:
        return read_json(self.path)

    def add(self, name: str, role: str, password: str) -> None:
        name = name.strip()
        if not name or any(ch.isspace() for ch in name) or len(name) > 40:
            raise StateProblem("tên đăng nhập cần 1 đến 40 ký tự, không có dấu cách, ví dụ: lan.nguyen")
        if role not in ROLES:
            raise StateProblem(f"vai trò `{role}` không có; chọn editor (biên tập) hoặc approver (duyệt)")
        if len(password) < MIN_PASSWORD:
            raise StateProblem(f"mật khẩu cần ít nhất {MIN_PASSWORD} ký tự")
        users = self.all()
        users[name] = {"role": role, "hash": self.hasher.hash(password)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _private_write(self.path, (json.dumps(users, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))

    def check(self, name: str, password: str) -> str | None:
        """The user's role when the password is right, else None (in the same time either way)."""
        user = self.all().get(name)
        try:
            self.hasher.verify(user["hash"] if user else self._dummy, password)
        except (VerificationError, InvalidHashError):
            return None
        if user and self.hasher.check_needs_rehash(user["hash"]):
            self.add(name, user["role"], password)  # stronger settings since the password was set
        return user["role"] if user else None


class Throttle:
    """Wrong passwords slow the login down: after FREE misses for a name or an address, each
    further try waits twice as long as the one before (up to an hour)."""

    FREE = 3
    REMEMBERED = 10_000  # names and addresses; the oldest are forgotten first

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._misses: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def wait_for(self, *keys: str) -> float:
        now = self.clock()
        with self._lock:
            return max((until - now for _, until in (self._misses.get(k, (0, 0.0)) for k in keys)), default=0.0)

    def missed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                count = self._misses.get(key, (0, 0.0))[0] + 1
                delay = 0.0 if count < self.FREE else min(3600.0, 2.0 ** (count - self.FREE + 1))
                self._misses.pop(key, None)
                self._misses[key] = (count, now + delay)
            while len(self._misses) > self.REMEMBERED:
                self._misses.pop(next(iter(self._misses)))

    def passed(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._misses.pop(key, None)


def session_secret(state: Path) -> str:
    path = Path(state) / "session.key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        _private_write(path, secrets.token_hex(32).encode("ascii"))
    return path.read_text(encoding="ascii").strip()


def store_key(state: Path, key: Ed25519PrivateKey, passphrase: str) -> Path:
    if len(passphrase) < MIN_PASSPHRASE:
        raise StateProblem(f"cụm mật khẩu của khóa cần ít nhất {MIN_PASSPHRASE} ký tự")
    path = Path(state) / KEY_FILE
    if path.exists():
        raise StateProblem(f"`{path}` đã có khóa; không ghi đè (hãy tự xóa khóa cũ nếu thật sự muốn thay)")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(passphrase.encode("utf-8")))
    path.parent.mkdir(parents=True, exist_ok=True)
    _private_write(path, pem)
    return path


def store_delegation(state: Path, key: Ed25519PrivateKey, key_folder: Path) -> bool:
    """Keep the delegation found beside an imported key, checked against it, to publish beside every
    feed: displays that trust only the root refuse a feed without it. False when there is none."""
    from kiosk.delivery import trust

    try:
        found = trust.publishing_files(key, key_folder, datetime.now(timezone.utc))
    except trust.TrustProblem as problem:
        raise StateProblem(str(problem)) from None
    if found is None:
        return False
    folder = Path(state) / DELEGATION_DIR
    folder.mkdir(parents=True, exist_ok=True)
    trust.install_key_files(found, folder)
    return True


def delegation_folder(state: Path) -> Path | None:
    """Where the imported key's delegation is kept, None for a key without one."""
    from kiosk.delivery import trust

    folder = Path(state) / DELEGATION_DIR
    return folder if (folder / trust.KEYS_FILE).is_file() else None


def unlock_key(state: Path, passphrase: str) -> Ed25519PrivateKey:
    """The signing key, decrypted in memory for one publication."""
    path = Path(state) / KEY_FILE
    if not path.is_file():
        raise StateProblem("chưa có khóa ký của văn phòng; người quản trị cần chạy `kiosk office key new` "
                           "hoặc `kiosk office key import`")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase.encode("utf-8"))
    except (ValueError, TypeError):
        raise StateProblem("cụm mật khẩu của khóa ký không đúng; chưa xuất bản gì") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise StateProblem(f"`{path}` không phải khóa ký Ed25519")
    return key


@dataclass(frozen=True)
class AuditEntry:
    at: str
    user: str
    action: str
    what: str
    version: int | None
    token: str

    @property
    def shown_time(self) -> str:
        moment = datetime.fromisoformat(self.at).astimezone(FEED_ZONE)
        return f"{moment:%d/%m/%Y %H:%M:%S}"


class Audit:
    def __init__(self, state: Path):
        self.path = Path(state) / "audit.log"
        self._lock = threading.Lock()

    def add(self, user: str, action: str, what: str, version: int | None, token: str) -> None:
        entry = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "user": user,
                 "action": action, "what": what, "version": version, "token": token}
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as log:
                log.write(line)
                log.flush()
                os.fsync(log.fileno())

    def entries(self) -> list[AuditEntry]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        found = []
        for line in lines:
            try:
                found.append(AuditEntry(**json.loads(line)))
            except (ValueError, TypeError):
                continue  # a line cut by a power failure
        return found

    def last(self, action: str) -> AuditEntry | None:
        return next((e for e in reversed(self.entries()) if e.action == action), None)


class Workflow:
    """Where the draft stands: submitted for approval (with the feed's token then), published."""

    def __init__(self, state: Path):
        self.path = Path(state) / "workflow.json"

    def get(self) -> dict:
        return read_json(self.path)

    def update(self, **values) -> None:
        data = self.get()
        data.update(values)
        write_json(self.path, data)
