"""HTTP GET for sync, with http.client: one total deadline per request (headers included) and,
optionally, one per cycle across all its requests; redirects only within the feed's origin; the
server's Date noted; every failure a SyncProblem with its kind, in words for staff.

    fetcher = Fetcher()
    with fetcher.open(url, name="manifest.json", expected=limit) as response:  # Response
        body = fetcher.read_body(response, limit, "manifest.json")
    raw = fetcher.get_small(url, "keys.json", 4096)   # a small file's bytes; None when the server has none"""

from __future__ import annotations

import email.utils
import http.client
import io
import socket
import ssl
import time
from datetime import datetime, timedelta, timezone
from typing import Callable
from urllib.parse import urljoin, urlsplit

from kiosk.delivery.manifest import LATEST_MOMENT, MANIFEST_FILE, SOFTWARE_DATE
from kiosk.settings import check_feed_url
from kiosk.words import size_text

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0  # the headers must come within connect + read timeouts; no socket wait is longer
MIN_RATE = 8 * 1024  # bytes/s: a body slower than this on the whole is given up (no endless trickle)
# Up to this much at each read: whatever has come (read1), so a body that breaks loses nothing already
# received, and a fast link costs one pass of the loop (and of its beat) per megabyte, not per packet.
CHUNK = 1024 * 1024
CHECK_SECONDS = 120.0  # a cycle's manifest, signature and key files, all together (then its downloads' own)
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
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


class BrokenBody(Exception):
    """A body that stopped part-way (network error, silence): worth another attempt."""


class _TooSlow(Exception):
    """The request's whole deadline passed (a server that drips bytes, headers or body)."""


class _Deadline:
    """One request's clock: the headers must come within connect + read timeouts of the start, the
    body then within its size at MIN_RATE, and all of it within the cycle's deadline when one is
    running. Every socket wait is bounded by what is left, so a server sending one byte now and
    then cannot keep a request open past it, nor many small requests a cycle past the cycle's."""

    def __init__(self, fetcher: Fetcher):
        self.started = time.monotonic()
        self.read_timeout = fetcher.timeouts[1]
        self.min_rate = fetcher.min_rate
        self.headers_seconds = sum(fetcher.timeouts)
        self.cycle_ends, self.cycle_seconds = fetcher.cycle_ends, fetcher.cycle_seconds
        self.at = self._within_cycle(self.started + self.headers_seconds)

    def _within_cycle(self, at: float) -> float:
        return at if self.cycle_ends is None else min(at, self.cycle_ends)

    def allow_body(self, size: int) -> None:
        self.at = self._within_cycle(self.started + self.headers_seconds + size / self.min_rate)

    @property
    def cycle_is_up(self) -> bool:
        return self.cycle_ends is not None and self.at >= self.cycle_ends and time.monotonic() >= self.at

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
    if deadline.cycle_is_up:
        return SyncProblem(f"máy chủ bản tin {host} quá chậm: đồng bộ đã quá {deadline.cycle_seconds:.0f} giây "
                           f"(lúc đang tải `{name}`) mà chưa xong; sẽ thử lại sau", SLOW)
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
    return moment if SOFTWARE_DATE <= moment <= LATEST_MOMENT else None


class Fetcher:
    """HTTP GET with http.client: one connection per request, no compression (byte counts are what
    is stored), a total deadline per request (headers included), redirects followed only within the
    feed's origin, each hop checked before it is asked, the server's Date noted. Errors become
    SyncProblem with their kind."""

    def __init__(self, connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT,
                 min_rate: float = MIN_RATE, context: ssl.SSLContext | None = None,
                 check_seconds: float = CHECK_SECONDS):
        self.timeouts = (connect_timeout, read_timeout)
        self.check_seconds = check_seconds  # what a cycle's small requests may take, all together
        self.cycle_ends: float | None = None  # time.monotonic() past which no request of this cycle runs
        self.cycle_seconds = 0.0  # how long this cycle was allowed, to say so
        self.min_rate = min_rate
        self.context = context
        self.server_date: datetime | None = None  # the last sane Date header seen ...
        self.server_date_seen = 0.0  # ... and when (time.monotonic)

    def begin_cycle(self) -> None:
        """From now on every request ends by check_seconds from now (the manifest, its signature and
        up to some 150 key files), unless extend_cycle allows more."""
        self.cycle_seconds = self.check_seconds
        self.cycle_ends = time.monotonic() + self.cycle_seconds

    def extend_cycle(self, seconds: float) -> None:
        """More time for this cycle: the downloads a signed, checked manifest asks for."""
        if self.cycle_ends is not None:
            self.cycle_ends += seconds
            self.cycle_seconds += seconds

    def end_cycle(self) -> None:
        self.cycle_ends = None

    def download_seconds(self, sizes: list[int]) -> float:
        """The longest the downloads of files of these sizes may take: each one's own deadline."""
        return len(sizes) * sum(self.timeouts) + sum(sizes) / self.min_rate

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
        if isinstance(error, TimeoutError) and deadline.cycle_is_up:  # the wait was cut to the cycle's end
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
        Raises BrokenBody when the body stops part-way, SyncProblem when it comes too slowly."""
        count = 0
        while chunk := Fetcher._chunk(response):
            take = chunk if count + len(chunk) <= limit + 1 else chunk[: limit + 1 - count]  # no copy of a megabyte
            count += len(take)
            sink(take)  # a write error here is the disk's, not the network's: it is not caught
            if count > limit:
                return count
        if response.answer.length:  # the connection closed before Content-Length bytes came
            raise BrokenBody("IncompleteRead")
        return count

    @staticmethod
    def _chunk(response: Response) -> bytes:
        try:
            return response.answer.read1(CHUNK)
        except _TooSlow:
            raise _too_slow(urlsplit(response.url).netloc, response.name, response.deadline) from None
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise BrokenBody(type(error).__name__) from None

    def read_body(self, response: Response, limit: int, name: str) -> bytes:
        """A small body (a manifest, a signature, a key file) in memory, refused past limit."""
        body = bytearray()
        try:
            count = self.read(response, limit, body.extend)
        except BrokenBody:
            raise SyncProblem(f"tải `{name}` bị ngắt giữa chừng; sẽ thử lại sau", NETWORK) from None
        if count > limit:
            raise SyncProblem(f"`{name}` trên máy chủ lớn quá mức cho phép ({size_text(limit)}): không nhận", SERVER)
        return bytes(body)

    def get_small(self, url: str, name: str, limit: int) -> bytes | None:
        """A small file's bytes; None when the server has none (404). What the trust check fetches."""
        with self.open(url, name=name, expected=limit) as response:
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                raise status_problem(response, name)
            return self.read_body(response, limit, name)

    def close(self) -> None:
        pass  # one connection per request: nothing stays open


def status_problem(response: Response, name: str) -> SyncProblem:
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
