"""The display side of publishing: fetch the signed feed, check everything, install it atomically.

For the app:

    folder = installed_feed(settings.state_path())   # None: nothing installed yet
    loop = SyncLoop(settings, on_installed=show)       # loop.run() in a background thread:
                                                       # waits next_delay() on loop.wake, runs a cycle;
                                                       # show(feed, folder) after each install
    loop.wake.set()                                    # a cycle now
    loop.stop()

A cycle fetches manifest.json with If-None-Match/If-Modified-Since (unchanged: one small request),
checks the Ed25519 signature over its raw bytes before reading it, refuses rollbacks and expired
feeds, downloads into the cache only the files it does not have (by SHA-256, size-limited,
resumed with Range), builds a complete version folder, runs it through the validator, and then
swaps the `current` pointer in one rename. Any fault (network, server, clock, disk, a damaged
state folder, a bug) leaves the installed feed as it was and says why, in plain words and with
its kind, in the status file; Syncer.run_once() never raises. Every request has one total
deadline, headers included; the server's unsigned Date only ever moves a clearly-behind clock
forward; the state folder is read as hostile (no links followed, every field checked)."""

from __future__ import annotations

import email.utils
import errno
import hashlib
import http.client
import io
import logging
import math
import random
import shutil
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import urljoin, urlsplit

from kiosk.delivery import manifest as manifests
from kiosk.delivery.manifest import (CLOCK_SLACK, FEED_FILE, MANIFEST_FILE, SIGNATURE_FILE, SOFTWARE_DATE, FileEntry,
                            ManifestProblem)
from kiosk.settings import DEFAULT_PIN, DisplaySettings, check_feed_url
from kiosk.delivery.store import Installed, Store, file_sha256, read_json, write_json
from kiosk.feed.model import Feed
from kiosk.feed.validate import load_feed
from kiosk.feed.yamlsource import MAX_YAML_BYTES

log = logging.getLogger("kiosk.delivery.sync")
log.addHandler(logging.NullHandler())  # the app's logging shows these; `kiosk sync` prints its own line

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0  # the headers must come within connect + read timeouts; no socket wait is longer
ATTEMPTS = 3  # per file, resuming where the previous attempt broke
MIN_RATE = 8 * 1024  # bytes/s: a body slower than this on the whole is given up (no endless trickle)
# Up to this much at each read: whatever has come (read1), so a body that breaks loses nothing already
# received, and a fast link costs one pass of the loop (and of its beat) per megabyte, not per packet.
CHUNK = 1024 * 1024
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
LAST_PLAUSIBLE = manifests.LATEST_MOMENT  # a Date header beyond this is ignored
MAX_OFFSET_SECONDS = (LAST_PLAUSIBLE - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds()
FIRST_RETRY = 30.0
DISK_MARGIN = 50 * 1024 * 1024
USER_AGENT = "ward-kiosk/0.1 (+feed sync)"

# What kind of failure a cycle had: one word or two, said in the status with the message.
TRUST, NETWORK, SLOW, SERVER, HTTPS, MANIFEST, ROLLBACK, EXPIRED, BAD_FILE, CONTENT, DISK, SETTINGS, BUG = (
    "chữ ký", "mạng", "máy chủ chậm", "máy chủ", "https", "bản kê", "quay lại bản cũ", "hết hạn",
    "tệp tải về sai", "nội dung", "ổ đĩa", "cài đặt", "lỗi phần mềm")


class SyncProblem(Exception):
    """Why a cycle did not install anything: one line for staff, and its kind (above). A problem
    raised without a kind is a refusal of trust (the signature and key checks)."""

    def __init__(self, message: str, kind: str = TRUST):
        super().__init__(message)
        self.kind = kind


class _Broken(Exception):
    """A body that stopped part-way (network error, silence): worth another attempt."""


@dataclass(frozen=True)
class SyncResult:
    outcome: str  # "installed", "unchanged" or "failed"
    message: str  # one line, in Vietnamese
    version: int | None  # the version installed after this cycle
    files_downloaded: int = 0
    bytes_downloaded: int = 0
    kind: str | None = None  # of a failure
    # What an install put in place, already validated: the app shows it without reading it again.
    feed: Feed | None = None
    folder: Path | None = None

    @property
    def ok(self) -> bool:
        return self.outcome != "failed"


def manifest_url(feed_url: str) -> str:
    """feed_url is the published folder (or its manifest.json)."""
    if feed_url.endswith(".json"):
        return feed_url
    return feed_url.rstrip("/") + "/" + MANIFEST_FILE


def installed_feed(state_dir: Path) -> Path | None:
    """The folder of the installed, verified feed (feed.yaml and media/), or None.

    Read through the `current` pointer, which only ever names a complete folder; the folder of a
    replaced version is kept until the next install, so an app that asks at each slide change
    never reads a file that is gone."""
    return Store(state_dir).current_folder()


# ------------------------------------------------------------------ state files, read as hostile


def _text(value) -> bool:
    return isinstance(value, str) and len(value) <= 2000


def _header_value(value) -> bool:  # sent back to the server: printable ASCII only, no line breaks
    return isinstance(value, str) and len(value) <= 300 and all(" " <= c <= "~" for c in value)


def _offset(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and abs(value) <= MAX_OFFSET_SECONDS)


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= manifests.MAX_VERSION


def _moment(value) -> bool:  # within what the tools can show in Hanoi time (year 9999 cannot be)
    moment = _from_iso(value)
    return (moment is not None and moment.tzinfo is not None
            and manifests.EARLIEST_MOMENT <= moment < manifests.LATEST_MOMENT)


def _counts(value) -> bool:
    return isinstance(value, dict) and all(_text(k) and _count(v) for k, v in value.items())


def _lines(value) -> bool:
    return isinstance(value, list) and all(_text(line) for line in value)


SYNC_FIELDS = {"url": _text, "manifest_sha256": _text, "etag": _header_value, "last_modified": _header_value,
               "clock_offset": _offset}
STATUS_FIELDS = {"feed_url": _text, "installed_version": _count, "installed_issued": _moment,
                 "installed_expires": _moment, "installed_at": _moment, "last_attempt": _moment,
                 "last_outcome": _text, "last_message": _text, "last_success": _moment, "last_error": _text,
                 "last_error_at": _moment, "last_error_kind": _text, "errors_total": _count,
                 "errors_by_kind": _counts, "clock_offset_seconds": _offset, "repaired": _lines}


def _read_state(path: Path, fields: dict, problems: list[str] | None = None) -> dict:
    """A state file with every field we use checked: a damaged file or field is dropped and said
    in problems (the next write replaces it), never trusted to decide anything."""
    problems = [] if problems is None else problems
    data = read_json(path, problems)
    bad = sorted(key for key, check in fields.items() if data.get(key) is not None and not check(data[key]))
    if bad:
        problems.append(f"tệp trạng thái {path} có giá trị hỏng ({', '.join(bad)}); đã bỏ và ghi lại")
    return {key: value for key, value in data.items() if key not in bad}


def read_status(state_dir: Path, problems: list[str] | None = None) -> dict:
    """The status file's content ({} before the first cycle), damaged fields left out."""
    return _read_state(Store(state_dir).status_file, STATUS_FIELDS, problems)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds") if moment else None


def _from_iso(text) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _plus(moment: datetime, seconds: float) -> datetime:
    """moment + seconds, kept within what a display can meet (no OverflowError near year 9999)."""
    try:
        return min(max(moment + timedelta(seconds=seconds), SOFTWARE_DATE), LAST_PLAUSIBLE)
    except OverflowError:
        return LAST_PLAUSIBLE if seconds > 0 else SOFTWARE_DATE


def trusted_now(state_dir: Path, clock: Callable[[], datetime] = _utc_now) -> datetime:
    """Now, as the display judges expiry by (see _trusted)."""
    store = Store(state_dir)
    return _trusted(_read_state(store.sync_file, SYNC_FIELDS), store.installed(), clock)


def _floor(installed: Installed | None) -> datetime:
    return max(SOFTWARE_DATE, installed.manifest.issued) if installed else SOFTWARE_DATE


def _trusted(state: dict, installed: Installed | None, clock: Callable[[], datetime]) -> datetime:
    """The local clock, never before this software's date nor the installed feed's signed issue
    time; moved forward by the server's (unsigned) Date only when the local clock is clearly behind
    one of those. Date never moves time back, so it can never make an expired feed acceptable."""
    local, floor = clock(), _floor(installed)
    now = max(local, floor)
    offset = state.get("clock_offset") or 0
    if local < floor - CLOCK_SLACK and offset > 0:
        now = max(now, _plus(local, offset))
    return now


def _size_text(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB".replace(".", ",")
    return f"{size / 1024 / 1024:.1f} MB".replace(".", ",")


class _TooSlow(Exception):
    """The request's whole deadline passed (a server that drips bytes, headers or body)."""


class _Deadline:
    """One request's clock: the headers must come within connect + read timeouts of the start, the
    body then within its size at MIN_RATE. Every socket wait is bounded by what is left, so a server
    sending one byte now and then cannot keep a request open past it."""

    def __init__(self, fetcher: Fetcher):
        self.started = time.monotonic()
        self.read_timeout = fetcher.timeouts[1]
        self.min_rate = fetcher.min_rate
        self.headers_seconds = sum(fetcher.timeouts)
        self.at = self.started + self.headers_seconds

    def allow_body(self, size: int) -> None:
        self.at = self.started + self.headers_seconds + size / self.min_rate

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise _TooSlow()
        return left

    def left(self) -> float:
        """The longest one socket wait may last now."""
        return min(self.read_timeout, self.remaining())

    @property
    def seconds(self) -> float:
        return self.at - self.started


def _too_slow(host: str, name: str, deadline: _Deadline) -> SyncProblem:
    return SyncProblem(f"máy chủ bản tin {host} gửi `{name}` quá chậm: không xong trong {deadline.seconds:.0f} giây; "
                       f"sẽ thử lại sau", SLOW)


class _TimedReader(io.RawIOBase):
    def __init__(self, sock: socket.socket, deadline: _Deadline):
        self.sock, self.deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.sock.settimeout(self.deadline.left())
        try:
            return self.sock.recv_into(buffer)
        except TimeoutError:
            self.deadline.left()  # raises _TooSlow when the whole deadline is what ran out
            raise


class _TimedSocket:
    """What http.client needs of a socket, with every wait bounded by the deadline. Closing is the
    Response's job (http.client closes its socket while the body is still to be read)."""

    def __init__(self, sock: socket.socket, deadline: _Deadline):
        self.sock, self.deadline = sock, deadline

    def sendall(self, data: bytes) -> None:
        self.sock.settimeout(self.deadline.left())
        self.sock.sendall(data)

    def makefile(self, mode: str):
        return io.BufferedReader(_TimedReader(self.sock, self.deadline))

    def close(self) -> None:
        pass


class Response:
    """One answer: status_code, headers (case-insensitive get), the url it came from, the body."""

    def __init__(self, url: str, name: str, answer: http.client.HTTPResponse, sock: socket.socket,
                 deadline: _Deadline):
        self.url, self.name, self.answer, self.sock, self.deadline = url, name, answer, sock, deadline
        self.status_code = answer.status
        self.headers = answer.headers

    def close(self) -> None:
        self.answer.close()
        self.sock.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def server_moment(header: str | None) -> datetime | None:
    """A Date header as an aware moment; None when missing, malformed or outside what a display can
    meet (year 9999, 1970): an unsigned header is never trusted to be sane."""
    if not header:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    moment = moment.astimezone(timezone.utc)
    return moment if SOFTWARE_DATE <= moment <= LAST_PLAUSIBLE else None


class Fetcher:
    """HTTP GET with http.client: one connection per request, no compression (byte counts are what
    is stored), a total deadline per request (headers included), redirects followed only within the
    feed's origin, each hop checked before it is asked, the server's Date noted. Errors become
    SyncProblem with their kind."""

    def __init__(self, connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT,
                 min_rate: float = MIN_RATE, context: ssl.SSLContext | None = None):
        self.timeouts = (connect_timeout, read_timeout)
        self.min_rate = min_rate
        self.context = context
        self.server_date: datetime | None = None  # the last sane Date header seen ...
        self.server_date_seen = 0.0  # ... and when (time.monotonic)

    def open(self, url: str, headers: dict | None = None, *, name: str, expected: int) -> Response:
        """GET url; `expected` bytes (the most the body may have) set the body's share of the deadline."""
        deadline = _Deadline(self)
        first = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                check_feed_url(url)
            except ValueError:
                raise SyncProblem(f"máy chủ chuyển `{name}` sang địa chỉ không an toàn {url[:120]}",
                                  SERVER) from None
            if _origin(url) != _origin(first):
                raise SyncProblem(f"máy chủ chuyển `{name}` sang nơi khác ({url[:120]}): chỉ tải từ chính "
                                  f"máy chủ bản tin {urlsplit(first).netloc}", SERVER)
            response = self._request(url, headers or {}, name, deadline)
            location = response.headers.get("Location")
            if response.status_code not in REDIRECTS or not location:
                break
            response.close()
            try:
                url = urljoin(url, location)
            except ValueError:  # not even an address (`http://[::1`): check_feed_url above says so
                url = location
        else:
            raise SyncProblem(f"máy chủ chuyển hướng `{name}` quá {MAX_REDIRECTS} lần", SERVER)
        self._note_date(response.headers.get("Date"))
        length = response.answer.length
        deadline.allow_body(length if length is not None and length <= expected else expected)
        return response

    def _request(self, url: str, headers: dict, name: str, deadline: _Deadline) -> Response:
        parts = urlsplit(url)
        host = parts.hostname or ""
        sock = None
        try:
            sock = self._connect(parts, deadline)
            connection = http.client.HTTPConnection(host, parts.port)
            connection.sock = _TimedSocket(sock, deadline)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request("GET", target, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity",
                                                       "Connection": "close", **headers})
            return Response(url, name, connection.getresponse(), sock, deadline)
        except BaseException as error:
            if sock is not None:
                sock.close()
            if isinstance(error, Exception):
                raise self._problem(error, parts.netloc, name, deadline, connected=sock is not None) from None
            raise

    def _connect(self, parts, deadline: _Deadline) -> socket.socket:
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        sock = socket.create_connection((parts.hostname, port), timeout=min(self.timeouts[0], deadline.remaining()))
        if not https:
            return sock
        if self.context is None:
            self.context = ssl.create_default_context()  # the system's CAs, read once
        try:
            tls = self.context.wrap_socket(sock, server_hostname=parts.hostname, do_handshake_on_connect=False)
            tls.settimeout(deadline.left())  # bounds the whole handshake
            tls.do_handshake()
        except BaseException:
            sock.close()
            raise
        return tls

    def _problem(self, error: Exception, host: str, name: str, deadline: _Deadline, connected: bool) -> Exception:
        if isinstance(error, SyncProblem):
            return error
        if isinstance(error, _TooSlow):
            return _too_slow(host, name, deadline)
        if isinstance(error, ssl.SSLError):
            return SyncProblem(f"lỗi chứng chỉ https của máy chủ {host}: không tin được máy chủ này", HTTPS)
        if isinstance(error, TimeoutError):
            if not connected:
                return SyncProblem(f"không kết nối được tới máy chủ bản tin {host} (quá {self.timeouts[0]:g} giây); "
                                   f"kiểm tra mạng", NETWORK)
            return SyncProblem(f"máy chủ bản tin {host} không trả lời trong {self.timeouts[1]:g} giây khi tải "
                               f"`{name}`", SLOW)
        if isinstance(error, http.client.LineTooLong) or (
                isinstance(error, http.client.HTTPException) and "headers" in str(error)):
            return SyncProblem(f"máy chủ bản tin {host} gửi phần đầu (header) quá dài khi trả `{name}`: máy chủ "
                               f"cấu hình sai hoặc không phải máy chủ bản tin", SERVER)
        if isinstance(error, http.client.HTTPException):
            return SyncProblem(f"máy chủ bản tin {host} trả lời sai giao thức HTTP khi tải `{name}`", SERVER)
        if isinstance(error, OSError) and not connected:
            return SyncProblem(f"không kết nối được tới máy chủ bản tin {host}; kiểm tra mạng và địa chỉ "
                               f"`feed_url`", NETWORK)
        if isinstance(error, OSError):
            return SyncProblem(f"kết nối tới máy chủ bản tin {host} bị ngắt khi tải `{name}`", NETWORK)
        return error

    def _note_date(self, header: str | None) -> None:
        moment = server_moment(header)
        if moment is not None:
            self.server_date, self.server_date_seen = moment, time.monotonic()

    def server_now(self) -> datetime | None:
        """The server's time now, from its last sane Date header."""
        if self.server_date is None:
            return None
        return self.server_date + timedelta(seconds=time.monotonic() - self.server_date_seen)

    @staticmethod
    def read(response: Response, limit: int, sink: Callable[[bytes], None]) -> int:
        """Stream the body into sink, counting bytes ourselves; stop past limit (returns limit + 1).
        Raises _Broken when the body stops part-way, SyncProblem when it comes too slowly."""
        count = 0
        while chunk := Fetcher._chunk(response):
            take = chunk if count + len(chunk) <= limit + 1 else chunk[: limit + 1 - count]  # no copy of a megabyte
            count += len(take)
            sink(take)  # a write error here is the disk's, not the network's: it is not caught
            if count > limit:
                return count
        if response.answer.length:  # the connection closed before Content-Length bytes came
            raise _Broken("IncompleteRead")
        return count

    @staticmethod
    def _chunk(response: Response) -> bytes:
        try:
            return response.answer.read1(CHUNK)
        except _TooSlow:
            raise _too_slow(urlsplit(response.url).netloc, response.name, response.deadline) from None
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise _Broken(type(error).__name__) from None

    def close(self) -> None:
        pass  # one connection per request: nothing stays open


def _status_problem(response: Response, name: str) -> SyncProblem:
    code = response.status_code
    if code == 404:
        if name == MANIFEST_FILE:
            return SyncProblem(f"không thấy bản tin tại {response.url} (lỗi 404): kiểm tra `feed_url` "
                               f"và xem bản xuất bản đã được tải lên máy chủ chưa", SERVER)
        return SyncProblem(f"máy chủ không có tệp `{name}` (lỗi 404): bản xuất bản trên máy chủ thiếu tệp; "
                           f"hãy tải lên lại cả thư mục", SERVER)
    if code >= 500:
        return SyncProblem(f"máy chủ bản tin đang lỗi (mã {code}) khi tải `{name}`; sẽ thử lại sau", SERVER)
    if code in REDIRECTS:
        return SyncProblem(f"máy chủ chuyển hướng `{name}` (mã {code}) mà không nói sang đâu", SERVER)
    return SyncProblem(f"máy chủ trả lời mã {code} khi tải `{name}`", SERVER)


def _not_a_manifest(response: Response, raw: bytes) -> SyncProblem | None:
    """What the server sent instead of a manifest (a JSON object), said as such; None when it may be one."""
    if raw.lstrip()[:1] == b"{":
        return None
    head = raw[:2048].lower()
    if "html" in (response.headers.get("Content-Type") or "").lower() or b"<html" in head or b"<!doctype" in head:
        return SyncProblem(f"máy chủ trả về một trang web (HTML) thay cho bản kê `{MANIFEST_FILE}`: `feed_url` có "
                           f"thể sai, hoặc mạng chèn trang đăng nhập; giữ nguyên nội dung đang chiếu", SERVER)
    return SyncProblem(f"`{MANIFEST_FILE}` trên máy chủ không phải bản kê của bản tin (không phải JSON); "
                       f"giữ nguyên nội dung đang chiếu", SERVER)


class Syncer:
    """One display's sync: run_once() does a cycle, next_delay() says when to do the next.
    Safe to call from a background thread; cycles never overlap (also across processes)."""

    def __init__(self, settings: DisplaySettings, *, fetcher: Fetcher | None = None,
                 clock: Callable[[], datetime] = _utc_now, rng: random.Random | None = None,
                 checkpoint: Callable[[str], None] | None = None):
        self.settings = settings
        self.store = Store(settings.state_path(), checkpoint)
        self.fetcher = fetcher or Fetcher()
        self.clock = clock
        self.rng = rng or random.Random()
        self.checkpoint = self.store.checkpoint
        self._run_lock = threading.Lock()  # one cycle at a time
        self._lock = threading.Lock()  # the counters below, held only for a moment
        self._failures = 0
        self._ran = False
        self._last_state: tuple | None = None
        self._repairs: list[str] = []  # damaged state found in this cycle

    # ------------------------------------------------------------------ timing

    def next_delay(self) -> float:
        """Seconds to wait before the next cycle: a few seconds at start, the poll interval with
        ±10% jitter after a good cycle, and 30 s doubling up to the interval after failures."""
        with self._lock:
            poll = float(self.settings.poll_seconds)
            if not self._ran:
                return self.rng.uniform(0, min(10.0, poll))
            base = poll if not self._failures else min(poll, FIRST_RETRY * 2 ** min(self._failures - 1, 20))
            return base * self.rng.uniform(0.9, 1.1)

    # ------------------------------------------------------------------ a cycle

    def run_once(self) -> SyncResult:
        """One cycle. Whatever is raised inside (network, feed, disk, clock, a bug) ends as a failed
        result, recorded in the status file when the disk allows; never raises."""
        with self._run_lock:
            started = time.monotonic()
            self._repairs = []
            result = None
            try:
                with self.store.locked():
                    try:
                        result = self._cycle()
                    except Exception as error:
                        result = self._failure(error)
                    self._record(result)
            except Exception as error:  # the state folder itself: no lock, no status written
                if result is None:
                    result = self._failure(error)
                else:
                    log.warning("Đồng bộ: không ghi được tệp trạng thái (%s)", _error_text(error))
            with self._lock:
                self._ran = True
                self._failures = 0 if result.ok else self._failures + 1
            self._log(result, time.monotonic() - started)
            return result

    def _failure(self, error: Exception) -> SyncResult:
        if isinstance(error, SyncProblem):
            message, kind = str(error), error.kind
        elif isinstance(error, OSError):
            message, kind = f"lỗi ghi vào thư mục {self.store.state_dir}: {_error_text(error)}", DISK
        else:  # a bug must not stop the display's sync
            message, kind = f"lỗi không mong đợi khi đồng bộ ({type(error).__name__}); xem nhật ký", BUG
            if self._last_state != ("failed", message):  # the traceback once, not at every poll
                log.error("Đồng bộ: lỗi không mong đợi", exc_info=error)
        try:
            installed = self.store.installed()
        except Exception:
            installed = None
        return SyncResult("failed", message, installed.manifest.version if installed else None, kind=kind)

    def _state(self) -> dict:
        return _read_state(self.store.sync_file, SYNC_FIELDS, self._repairs)

    def _cycle(self) -> SyncResult:
        if not self.settings.feed_url:
            raise SyncProblem("chưa đặt `feed_url` (địa chỉ bản tin) trong tệp cài đặt của màn hình", SETTINGS)
        if not (self.settings.public_key or self.settings.root_key):
            raise SyncProblem("chưa đặt `root_key` hay `public_key` (khóa công khai của phường) trong tệp cài đặt",
                              SETTINGS)
        url = manifest_url(self.settings.feed_url)
        installed = self.store.installed()
        state = self._state()
        if self._repairs:
            write_json(self.store.sync_file, state)  # replaced at once: what was damaged is gone
        fetched = self._fetch_manifest(url, installed, state)
        if fetched is None:
            return SyncResult("unchanged", f"bản tin không đổi (phiên bản {installed.manifest.version})",
                              installed.manifest.version)
        raw, validators = fetched
        signature = self._signature(urljoin(url, SIGNATURE_FILE))
        self._check_signature(url, raw, signature)
        try:
            manifest = manifests.parse(raw)  # only now: the bytes are the ward's
        except ManifestProblem as problem:
            raise SyncProblem(str(problem), MANIFEST) from None
        digest = hashlib.sha256(raw).hexdigest()
        remember = {"url": url, "manifest_sha256": digest, **validators}
        if installed and digest == installed.digest:
            self._remember(state, remember)
            return SyncResult("unchanged", f"bản tin không đổi (phiên bản {manifest.version})", manifest.version)
        floor_wrong = self._judge(manifest, installed, state)

        missing = [entry for entry in manifest.files if not self.store.has_object(entry, installed)]
        self._check_space(missing)
        got = sum(self._download(urljoin(url, entry.path), entry) for entry in missing)
        feed, folder = self._install(manifest, raw, signature, digest, installed)
        if floor_wrong:
            log.warning("Đồng bộ: bản tin trước ghi giờ phát hành %s, ở tương lai (máy xuất bản sai giờ); bản mới "
                        "do phường ký cho thấy giờ đó sai: từ nay xét hạn theo bản mới", _iso(installed.manifest.issued))
        self._remember(state, remember)
        return SyncResult("installed", f"đã cài bản tin phiên bản {manifest.version} "
                                       f"({len(missing)} tệp mới, {_size_text(got)})",
                          manifest.version, len(missing), got, feed=feed, folder=folder)

    def _fetch_manifest(self, url: str, installed: Installed | None, state: dict) -> tuple[bytes, dict] | None:
        """The manifest's raw bytes and the server's validators; None when it has not changed."""
        headers = {}
        if installed and state.get("url") == url and state.get("manifest_sha256") == installed.digest:
            if state.get("etag"):
                headers["If-None-Match"] = state["etag"]
            if state.get("last_modified"):
                headers["If-Modified-Since"] = state["last_modified"]
        with self.fetcher.open(url, headers, name=MANIFEST_FILE, expected=manifests.MAX_MANIFEST_BYTES) as response:
            self._note_clock(state, installed)
            if response.status_code == 304 and headers:
                return None
            if response.status_code != 200:
                raise _status_problem(response, MANIFEST_FILE)
            raw = self._small_body(response, manifests.MAX_MANIFEST_BYTES, MANIFEST_FILE)
            problem = _not_a_manifest(response, raw)
            if problem:
                raise problem
            validators = {key: response.headers.get(header) for key, header in
                          (("etag", "ETag"), ("last_modified", "Last-Modified"))}
            return raw, {key: value if _header_value(value) else None for key, value in validators.items()}

    def _judge(self, manifest: manifests.Manifest, installed: Installed | None, state: dict) -> bool:
        """Refuse a signed manifest that is older than the installed one, expired, or too big.
        True when it shows the installed feed's issue time (the floor of trusted time) to be wrong."""
        if installed and manifest.version <= installed.manifest.version:
            raise SyncProblem(f"bản tin trên máy chủ là phiên bản {manifest.version}, không mới hơn phiên bản "
                              f"{installed.manifest.version} đang chiếu: không quay lại bản cũ", ROLLBACK)
        floor_wrong = self._floor_shown_wrong(manifest, installed)
        now = max(self.clock(), SOFTWARE_DATE, manifest.issued) if floor_wrong else _trusted(state, installed,
                                                                                             self.clock)
        if manifest.expires <= now:
            offset = state.get("clock_offset") or 0
            clock = (f"; đồng hồ của máy {_duration_text(offset)} so với máy chủ bản tin, hãy kiểm tra đồng hồ"
                     if offset else "")
            raise SyncProblem(f"bản tin phiên bản {manifest.version} đã hết hạn "
                              f"({manifest.expires.astimezone(self.settings.zone()):%d/%m/%Y %H:%M}); "
                              f"hãy xuất bản lại với ngày `expires` mới{clock}", EXPIRED)
        feed_entry = next(entry for entry in manifest.files if entry.path == FEED_FILE)
        if feed_entry.size > MAX_YAML_BYTES:
            raise SyncProblem(f"`{FEED_FILE}` trong bản kê quá lớn ({_size_text(feed_entry.size)})", MANIFEST)
        return floor_wrong

    def _floor_shown_wrong(self, manifest: manifests.Manifest, installed: Installed | None) -> bool:
        """A newer, ward-signed feed issued well before the installed one, with the local clock
        (plausible, and not before the new issue time) agreeing: the installed feed was signed on
        a PC whose clock ran fast. The server's unsigned Date may only veto this, never cause it."""
        if installed is None:
            return False
        floor, local, server = installed.manifest.issued, self.clock(), self.fetcher.server_now()
        return (manifest.issued < floor - CLOCK_SLACK and SOFTWARE_DATE <= local < floor - CLOCK_SLACK
                and manifest.issued <= local + CLOCK_SLACK and (server is None or server < floor - CLOCK_SLACK))

    def _install(self, manifest: manifests.Manifest, raw: bytes, signature: bytes, digest: str,
                 installed: Installed | None) -> tuple[Feed, Path]:
        """Build the version folder, check it as the app will read it, then swap it in."""
        folder = self.store.build_version(manifest, raw, signature, digest)
        check = load_feed(folder, display_name=FEED_FILE)
        problem = None
        if check.feed is None:
            first = check.errors[0] if check.errors else "không đọc được"
            problem = f"bản tin phiên bản {manifest.version} có lỗi nên không cài: {first}"
        elif check.feed.version != manifest.version:
            problem = (f"`version` trong feed.yaml ({check.feed.version}) khác phiên bản đã ký "
                       f"({manifest.version}): không cài")
        if problem:
            self.store.discard(folder)
            raise SyncProblem(problem, CONTENT)
        self.store.switch_to(folder)
        self.store.collect_garbage(manifest, keep=installed.folder if installed else None)
        return check.feed, folder

    # ------------------------------------------------------------------ pieces

    def _small_body(self, response: Response, limit: int, name: str) -> bytes:
        body = bytearray()
        try:
            count = self.fetcher.read(response, limit, body.extend)
        except _Broken:
            raise SyncProblem(f"tải `{name}` bị ngắt giữa chừng; sẽ thử lại sau", NETWORK) from None
        if count > limit:
            raise SyncProblem(f"`{name}` trên máy chủ lớn quá mức cho phép ({_size_text(limit)}): không nhận", SERVER)
        return bytes(body)

    def _check_signature(self, url: str, raw: bytes, signature: bytes) -> None:
        """By the root of trust when the display has `root_key`, else by its one `public_key`."""
        from kiosk.delivery import signing, trust  # cryptography, imported when a display first syncs, not as it starts

        if not self.settings.root_key:
            if not signing.verify(signing.parse_public_key(self.settings.public_key), raw, signature):
                raise SyncProblem("chữ ký của bản tin không đúng: bản tin không do khóa của phường ký, hoặc đã bị "
                                  "sửa sau khi ký; giữ nguyên nội dung đang chiếu")
            return

        def fetch(name: str, limit: int) -> bytes | None:
            with self.fetcher.open(urljoin(url, name), name=name, expected=limit) as response:
                if response.status_code == 404:
                    return None
                if response.status_code != 200:
                    raise _status_problem(response, name)
                return self._small_body(response, limit, name)

        state_dir = self.store.state_dir
        try:
            trust.check_manifest_signature(self.settings.root_key, state_dir, raw, signature, fetch,
                                           trusted_now(state_dir, self.clock))
        except trust.TrustProblem as problem:
            raise SyncProblem(str(problem)) from None

    def _signature(self, url: str) -> bytes:
        with self.fetcher.open(url, name=SIGNATURE_FILE, expected=manifests.MAX_SIGNATURE_BYTES) as response:
            if response.status_code == 404:
                raise SyncProblem(f"bản tin chưa được ký: máy chủ không có `{SIGNATURE_FILE}`; "
                                  f"hãy xuất bản bằng `kiosk publish` và tải lên cả thư mục")
            if response.status_code != 200:
                raise _status_problem(response, SIGNATURE_FILE)
            return self._small_body(response, manifests.MAX_SIGNATURE_BYTES, SIGNATURE_FILE)

    def _check_space(self, missing: list[FileEntry]) -> None:
        needed = sum(entry.size for entry in missing)
        if not needed:
            return
        free = shutil.disk_usage(self.store.root).free
        if free < needed + DISK_MARGIN:
            raise SyncProblem(f"ổ đĩa không đủ chỗ cho bản tin mới: cần {_size_text(needed + DISK_MARGIN)}, "
                              f"còn {_size_text(free)}", DISK)

    def _download(self, url: str, entry: FileEntry) -> int:
        """Fetch one file into the cache; returns the bytes transferred."""
        part = self.store.partial_path(entry)
        transferred = 0
        if not entry.size:  # nothing to ask for: an empty file is made, then checked like any other
            self.store.open_partial(entry, append=False).close()
        for attempt in range(1, ATTEMPTS + 1):
            have = self.store.partial_size(entry)
            if have > entry.size:
                part.unlink()
                have = 0
            if have == entry.size:
                break
            if attempt > 1:
                time.sleep(min(2.0, 0.2 * attempt))
            headers = {"Range": f"bytes={have}-"} if have else {}
            with self.fetcher.open(url, headers, name=entry.path, expected=entry.size) as response:
                if response.status_code == 416 and have:
                    part.unlink()
                    raise SyncProblem(f"`{entry.path}` trên máy chủ có kích thước sai (khác {entry.size} byte "
                                      f"đã ký): không cài", BAD_FILE)
                resumed = response.status_code == 206 and (response.headers.get("Content-Range") or "").startswith(
                    f"bytes {have}-")
                if response.status_code == 206 and not resumed:
                    raise SyncProblem(f"máy chủ trả phần tệp `{entry.path}` không đúng chỗ đã hỏi", SERVER)
                if response.status_code not in (200, 206):
                    raise _status_problem(response, entry.path)
                if not resumed:
                    have = 0
                limit = entry.size - have
                with self.store.open_partial(entry, append=resumed) as sink:
                    def write(chunk: bytes) -> None:
                        sink.write(chunk)
                        self.checkpoint("chunk")
                    try:
                        count = self.fetcher.read(response, limit, write)
                    except _Broken:
                        sink.flush()
                        transferred += self.store.partial_size(entry) - have
                        continue
                transferred += count
                if count > limit:
                    part.unlink()
                    raise SyncProblem(f"`{entry.path}` trên máy chủ lớn hơn kích thước đã ký ({entry.size} byte): "
                                      f"không nhận", BAD_FILE)
        size = self.store.partial_size(entry)
        if size != entry.size:
            raise SyncProblem(f"tải `{entry.path}` không trọn: nhận {size}/{entry.size} byte "
                              f"(máy chủ ngắt hoặc ngừng gửi giữa chừng); lần sau tải tiếp", NETWORK)
        if file_sha256(part) != entry.sha256:
            part.unlink()
            raise SyncProblem(f"`{entry.path}` không khớp mã SHA-256 đã ký: tệp trên máy chủ bị thay đổi "
                              f"hoặc hỏng; không cài", BAD_FILE)
        self.store.adopt(entry, part)
        return transferred

    # ------------------------------------------------------------------ clock

    def _note_clock(self, state: dict, installed: Installed | None) -> None:
        """Compare the local clock with the server's Date; remember a clear offset, log it once.
        The offset is only ever used while the local clock is clearly behind (see _trusted)."""
        server_now = self.fetcher.server_now()
        if server_now is None:
            return
        offset = (server_now - self.clock()).total_seconds()
        seconds = round(offset) if abs(offset) > CLOCK_SLACK.total_seconds() else 0
        before = state.get("clock_offset") or 0
        if seconds and before and abs(seconds - before) <= CLOCK_SLACK.total_seconds():
            seconds = before  # the same offset, give or take: already said
        if seconds == before:
            return
        if seconds > 0 and self.clock() < _floor(installed) - CLOCK_SLACK:
            log.warning("Đồng hồ của máy %s so với máy chủ bản tin; dùng giờ của máy chủ để xét hạn bản tin",
                        _duration_text(seconds))
        elif seconds:
            log.warning("Đồng hồ của máy %s so với máy chủ bản tin; hạn bản tin vẫn xét theo đồng hồ của máy: "
                        "hãy kiểm tra đồng hồ", _duration_text(seconds))
        else:
            log.info("Đồng hồ của máy đã khớp với máy chủ bản tin")
        state["clock_offset"] = seconds
        write_json(self.store.sync_file, state)

    def _remember(self, state: dict, values: dict) -> None:
        state.pop("newest_issued", None)  # kept by earlier versions; the installed feed's issue time is the floor
        state.update(values)
        write_json(self.store.sync_file, state)

    # ------------------------------------------------------------------ status and log

    def _record(self, result: SyncResult) -> None:
        state = self._state()
        installed = self.store.installed()
        now = _trusted(state, installed, self.clock)
        status = _read_state(self.store.status_file, STATUS_FIELDS, self._repairs)
        status.update({
            "feed_url": self.settings.feed_url,
            "installed_version": installed.manifest.version if installed else None,
            "installed_issued": _iso(installed.manifest.issued) if installed else None,
            "installed_expires": _iso(installed.manifest.expires) if installed else None,
            "last_attempt": _iso(now),
            "last_outcome": result.outcome,
            "last_message": result.message,
            "clock_offset_seconds": state.get("clock_offset") or 0,
            "repaired": sorted(set(self._repairs)),
        })
        if result.ok:
            status.update({"last_success": _iso(now), "last_error": None, "last_error_at": None,
                           "last_error_kind": None})
            if result.outcome == "installed":
                status["installed_at"] = _iso(now)
        else:
            kinds = status.get("errors_by_kind") or {}
            status.update({"last_error": result.message, "last_error_at": _iso(now), "last_error_kind": result.kind,
                           "errors_total": (status.get("errors_total") or 0) + 1,
                           "errors_by_kind": {**kinds, result.kind: kinds.get(result.kind, 0) + 1}})
        write_json(self.store.status_file, status)

    def _log(self, result: SyncResult, seconds: float) -> None:
        for repair in sorted(set(self._repairs)):
            log.warning("Đồng bộ: %s", repair)
        key = ("ok",) if result.ok else ("failed", result.message)
        if result.outcome == "installed":
            log.info("Đồng bộ: %s trong %.1f giây", result.message, seconds)
        elif key != self._last_state:
            if result.ok:
                log.info("Đồng bộ: %s", result.message)
            else:
                log.warning("Đồng bộ không được (%s): %s; màn hình giữ nội dung đang chiếu%s", result.kind,
                            result.message, f" (phiên bản {result.version})" if result.version is not None else "")
        self._last_state = key

    def close(self) -> None:
        self.fetcher.close()


SYNC_GRACE = 120.0  # seconds a sync beat may be late before health calls the thread stopped
CYCLE_BEAT = 600.0  # a cycle beats at least this often (every downloaded chunk may beat)


class SyncLoop:
    """The body of the app's sync thread: wait next_delay() on `wake` (set it to run a cycle now),
    run a cycle, again, until stop(). Nothing a cycle raises ends the loop. It beats
    STATE/sync-heartbeat before each wait and during cycles, so `kiosk health` can tell a stopped one.
    on_installed(feed, folder) is called (on this thread) with each feed a cycle installed."""

    def __init__(self, settings: DisplaySettings, syncer: Syncer | None = None,
                 on_installed: Callable[[Feed, Path], None] | None = None):
        from kiosk.ops.health import SYNC_HEARTBEAT_FILE, Heartbeat

        self.beat = Heartbeat(settings.state_path(), every=CYCLE_BEAT / 10, name=SYNC_HEARTBEAT_FILE)
        self.syncer = syncer or Syncer(settings, checkpoint=lambda _: self.beat.beat(due=CYCLE_BEAT))
        self.wake = threading.Event()
        self.on_installed = on_installed
        self._stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    delay = self.syncer.next_delay()
                except Exception:
                    log.exception("Đồng bộ: không tính được lúc thử lại")
                    delay = FIRST_RETRY
                self.beat.beat(force=True, due=delay + SYNC_GRACE)
                self.wake.wait(delay)
                self.wake.clear()
                if self._stopping.is_set():
                    break
                self.beat.beat(force=True, due=CYCLE_BEAT)
                try:
                    result = self.syncer.run_once()
                    if result.feed is not None and self.on_installed:
                        self.on_installed(result.feed, result.folder)
                except Exception:  # run_once records every fault itself; this is a bug in that
                    log.exception("Đồng bộ: lỗi không mong đợi ngoài chu kỳ")
        finally:
            self.syncer.close()

    def stop(self) -> None:
        self._stopping.set()
        self.wake.set()


def _error_text(error: OSError | Exception) -> str:
    if isinstance(error, OSError):
        reasons = {errno.ENOSPC: "ổ đĩa đã đầy", errno.EROFS: "ổ đĩa chỉ cho đọc", errno.EACCES: "không có quyền ghi",
                   errno.ELOOP: "gặp liên kết lạ trong thư mục trạng thái",
                   errno.EEXIST: "chỗ của thư mục trạng thái là một tệp, không phải thư mục",
                   errno.ENOTDIR: "chỗ của thư mục trạng thái là một tệp, không phải thư mục"}
        return reasons.get(error.errno) or error.strerror or str(error)
    return type(error).__name__


def _duration_text(seconds: float) -> str:
    sign = "chạy nhanh" if seconds < 0 else "chạy chậm"
    seconds = abs(seconds)
    if seconds >= 365 * 86400:
        amount = f"{seconds / 365.25 / 86400:.0f} năm"
    elif seconds >= 86400:
        amount = f"{seconds / 86400:.0f} ngày"
    elif seconds >= 3600:
        amount = f"{seconds / 3600:.0f} giờ"
    else:
        amount = f"{seconds / 60:.0f} phút"
    return f"{sign} {amount}"


def status_lines(settings: DisplaySettings, settings_file: Path | None = None) -> tuple[list[str], bool]:
    """What `kiosk status` prints, and whether all is well (content installed, last cycle good).
    Staleness warnings (kiosk.ops.health) come as `cảnh báo: ...` lines; they do not change `ok`."""
    state_dir = settings.state_path()
    damaged: list[str] = []
    status = read_status(state_dir, damaged)
    zone = settings.zone()

    def when(text) -> str:
        moment = _from_iso(text)
        return f"{moment.astimezone(zone):%d/%m/%Y %H:%M}" if moment else "chưa có"

    installed = Store(state_dir).installed()
    lines = []
    if installed is None:
        lines.append("Bản tin đang chiếu: chưa có bản tin tải về (màn hình chiếu bản mẫu)")
    else:
        manifest = installed.manifest
        lines.append(f"Bản tin đang chiếu: phiên bản {manifest.version}, phát hành {when(_iso(manifest.issued))}, "
                     f"hết hạn {when(_iso(manifest.expires))}")
        if manifest.expires <= trusted_now(state_dir):
            lines.append("cảnh báo: bản tin đang chiếu đã hết hạn; hãy xuất bản bản mới")
        if manifest.issued > _utc_now() + CLOCK_SLACK:
            lines.append(f"cảnh báo: bản tin đang chiếu ghi giờ phát hành {when(_iso(manifest.issued))}, sau giờ của "
                         f"màn hình: đồng hồ của máy xuất bản (hoặc của màn hình) sai; hãy chỉnh rồi xuất bản lại, "
                         f"bản mới đúng giờ sẽ được nhận")
    lines.append(f"Nguồn: {settings.feed_url or 'chưa đặt `feed_url` trong cài đặt'}")
    lines.append(f"Đồng bộ được lần gần nhất: {when(status.get('last_success'))}")
    if status.get("last_attempt"):
        lines.append(f"Lần thử gần nhất: {when(status['last_attempt'])}: {status.get('last_message', '')}")
    error = status.get("last_error")
    kind = f"; loại lỗi: {status['last_error_kind']}" if status.get("last_error_kind") else ""
    lines.append(f"Lỗi gần nhất: {error} (lúc {when(status.get('last_error_at'))}{kind})" if error
                 else "Lỗi gần nhất: không có")
    counts = status.get("errors_by_kind") or {}
    if counts:
        lines.append("Số lần lỗi theo loại: " + ", ".join(f"{name} {count}" for name, count in
                                                          sorted(counts.items(), key=lambda item: -item[1])))
    offset = status.get("clock_offset_seconds") or 0
    if offset:
        lines.append(f"Đồng hồ của máy {_duration_text(offset)} so với máy chủ bản tin")
    lines += [f"cảnh báo: {line}" for line in [*damaged, *(status.get("repaired") or [])]]
    from kiosk.ops.health import inspect, staleness_warnings  # health reads this module: imported here
    warnings = staleness_warnings(inspect(settings, settings_file), expired_said=True)
    lines += [f"cảnh báo: {warning}" for warning in warnings]
    if settings.pin == DEFAULT_PIN:
        lines.append(f"cảnh báo: mã PIN vẫn là mã mặc định {DEFAULT_PIN}, ai đọc hướng dẫn cũng biết; "
                     "hãy đặt `pin` riêng trong tệp cài đặt")
    lines.append(f"Thư mục trạng thái: {state_dir}")
    return lines, installed is not None and not error
