"""The display side of publishing: fetch the signed feed, check everything, install it atomically.

For the app:

    folder = installed_feed(settings.state_path())   # None: nothing installed yet
    syncer = Syncer(settings)
    while True:                                        # in a background thread
        time.sleep(syncer.next_delay())
        result = syncer.run_once()                     # never raises for network or feed faults

A cycle fetches manifest.json with If-None-Match/If-Modified-Since (unchanged: one small request),
checks the Ed25519 signature over its raw bytes before reading it, refuses rollbacks and expired
feeds, downloads into the cache only the files it does not have (by SHA-256, size-limited,
resumed with Range), builds a complete version folder, runs it through the validator, and then
swaps the `current` pointer in one rename. Any fault leaves the installed feed as it was and says
why, in plain words, in the status file."""

from __future__ import annotations

import email.utils
import errno
import hashlib
import logging
import random
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from urllib.parse import urljoin, urlsplit

from kiosk import manifest as manifests
from kiosk.manifest import FEED_FILE, MANIFEST_FILE, SIGNATURE_FILE, FileEntry, ManifestProblem
from kiosk.settings import DEFAULT_PIN, DisplaySettings, check_feed_url
from kiosk.store import Installed, Store, file_sha256, read_json, write_json
from kiosk.validate import load_feed
from kiosk.yamlsource import MAX_YAML_BYTES

if TYPE_CHECKING:
    import requests

log = logging.getLogger("kiosk.sync")
log.addHandler(logging.NullHandler())  # the app's logging shows these; `kiosk sync` prints its own line

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
ATTEMPTS = 3  # per file, resuming where the previous attempt broke
MIN_RATE = 8 * 1024  # bytes/s: slower than this and a download is given up (no endless trickle)
CHUNK = 16 * 1024  # small: a body that breaks loses at most the chunk being read, the rest is resumed
CLOCK_SLACK = timedelta(minutes=10)  # a local clock further off than this from the server's is "clearly off"
FIRST_RETRY = 30.0
DISK_MARGIN = 50 * 1024 * 1024
USER_AGENT = "ward-kiosk/0.1 (+feed sync)"


class SyncProblem(Exception):
    """Why a cycle did not install anything; one line for staff."""


class _Broken(Exception):
    """A body that stopped part-way (network error, timeout): worth another attempt."""


@dataclass(frozen=True)
class SyncResult:
    outcome: str  # "installed", "unchanged" or "failed"
    message: str  # one line, in Vietnamese
    version: int | None  # the version installed after this cycle
    files_downloaded: int = 0
    bytes_downloaded: int = 0

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


def read_status(state_dir: Path) -> dict:
    """The status file's content ({} before the first cycle)."""
    return read_json(Store(state_dir).status_file)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds") if moment else None


def _from_iso(text) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def trusted_now(state_dir: Path, clock: Callable[[], datetime] = _utc_now) -> datetime:
    """Now, as well as the display can tell: the system clock corrected by the offset the feed
    server's Date header showed, and never earlier than the newest signed issue time accepted."""
    store = Store(state_dir)
    return _trusted(read_json(store.sync_file), store.installed(), clock)


def _trusted(state: dict, installed: Installed | None, clock: Callable[[], datetime]) -> datetime:
    now = clock() + timedelta(seconds=float(state.get("clock_offset", 0) or 0))
    floors = [_from_iso(state.get("newest_issued")), installed.manifest.issued if installed else None]
    return max([now, *filter(None, floors)])


def _size_text(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB".replace(".", ",")
    return f"{size / 1024 / 1024:.1f} MB".replace(".", ",")


class Fetcher:
    """HTTP with requests: timeouts, no compression (byte counts are what is stored), the scheme
    checked on the final address, the server's Date noted. Errors become SyncProblem.

    requests is imported here, not with this module: the display imports the module as it starts
    and needs no HTTP before its first slide is on screen (bench/start.py)."""

    def __init__(self, connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT,
                 session: requests.Session | None = None):
        import requests

        self.timeouts = (connect_timeout, read_timeout)
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
        self.server_date: datetime | None = None  # the last Date header seen ...
        self.server_date_seen = 0.0  # ... and when (time.monotonic)

    def open(self, url: str, headers: dict | None = None, *, name: str) -> requests.Response:
        import requests

        host = urlsplit(url).netloc
        try:
            response = self.session.get(url, headers=headers or {}, stream=True, timeout=self.timeouts)
        except requests.exceptions.SSLError:
            raise SyncProblem(f"lỗi chứng chỉ https của máy chủ {host}: không tin được máy chủ này") from None
        except requests.exceptions.ConnectTimeout:
            raise SyncProblem(f"không kết nối được tới máy chủ bản tin {host} "
                              f"(quá {self.timeouts[0]:g} giây); kiểm tra mạng") from None
        except requests.exceptions.ReadTimeout:
            raise SyncProblem(f"máy chủ bản tin {host} không trả lời trong {self.timeouts[1]:g} giây "
                              f"khi tải `{name}`") from None
        except requests.exceptions.ConnectionError:
            raise SyncProblem(f"không kết nối được tới máy chủ bản tin {host}; kiểm tra mạng "
                              f"và địa chỉ `feed_url`") from None
        except requests.RequestException as error:
            raise SyncProblem(f"lỗi mạng khi tải `{name}` ({type(error).__name__})") from None
        try:
            check_feed_url(response.url)
        except ValueError:
            response.close()
            raise SyncProblem(f"máy chủ chuyển `{name}` sang địa chỉ không an toàn {response.url}") from None
        date = response.headers.get("Date")
        if date:
            try:
                self.server_date = email.utils.parsedate_to_datetime(date).astimezone(timezone.utc)
                self.server_date_seen = time.monotonic()
            except (TypeError, ValueError):
                pass
        return response

    @staticmethod
    def read(response: requests.Response, limit: int, sink: Callable[[bytes], None], deadline: float) -> int:
        """Stream the body into sink, counting bytes ourselves; stop past limit (returns limit + 1).
        Raises _Broken when the body stops part-way or comes too slowly."""
        import requests

        count = 0
        try:
            for chunk in response.iter_content(CHUNK):
                take = chunk[: limit + 1 - count]
                count += len(take)
                sink(take)
                if count > limit:
                    return count
                if time.monotonic() > deadline:
                    raise _Broken("chậm quá")
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.Timeout) as error:
            raise _Broken(type(error).__name__) from None
        return count

    def close(self) -> None:
        self.session.close()


def _status_problem(response: requests.Response, name: str) -> SyncProblem:
    code = response.status_code
    if code == 404:
        if name == MANIFEST_FILE:
            return SyncProblem(f"không thấy bản tin tại {response.url} (lỗi 404): kiểm tra `feed_url` "
                               f"và xem bản xuất bản đã được tải lên máy chủ chưa")
        return SyncProblem(f"máy chủ không có tệp `{name}` (lỗi 404): bản xuất bản trên máy chủ thiếu tệp; "
                           f"hãy tải lên lại cả thư mục")
    if code >= 500:
        return SyncProblem(f"máy chủ bản tin đang lỗi (mã {code}) khi tải `{name}`; sẽ thử lại sau")
    return SyncProblem(f"máy chủ trả lời mã {code} khi tải `{name}`")


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

    # ------------------------------------------------------------------ timing

    def next_delay(self) -> float:
        """Seconds to wait before the next cycle: a few seconds at start, the poll interval with
        ±10% jitter after a good cycle, and 30 s doubling up to the interval after failures."""
        with self._lock:
            poll = float(self.settings.poll_seconds)
            if not self._ran:
                return self.rng.uniform(0, min(10.0, poll))
            base = poll if not self._failures else min(poll, FIRST_RETRY * 2 ** (self._failures - 1))
            return base * self.rng.uniform(0.9, 1.1)

    # ------------------------------------------------------------------ a cycle

    def run_once(self) -> SyncResult:
        with self._run_lock, self.store.locked():
            started = time.monotonic()
            try:
                result = self._cycle()
            except SyncProblem as problem:
                result = self._failed(str(problem))
            except OSError as error:
                reason = "ổ đĩa đã đầy" if error.errno == errno.ENOSPC else (error.strerror or str(error))
                result = self._failed(f"lỗi ghi vào thư mục {self.store.state_dir}: {reason}")
            except Exception as error:  # a bug must not stop the display's sync thread
                result = self._failed(f"lỗi không mong đợi khi đồng bộ ({type(error).__name__}); xem nhật ký")
                if self._last_state != ("failed", result.message):  # the traceback once, not at every poll
                    log.exception("Đồng bộ: lỗi không mong đợi")
            with self._lock:
                self._ran = True
                self._failures = 0 if result.ok else self._failures + 1
            self._record(result, time.monotonic() - started)
            return result

    def _failed(self, message: str) -> SyncResult:
        installed = self.store.installed()
        return SyncResult("failed", message, installed.manifest.version if installed else None)

    def _cycle(self) -> SyncResult:
        if not self.settings.feed_url:
            raise SyncProblem("chưa đặt `feed_url` (địa chỉ bản tin) trong tệp cài đặt của màn hình")
        if not (self.settings.public_key or self.settings.root_key):
            raise SyncProblem("chưa đặt `root_key` hay `public_key` (khóa công khai của phường) trong tệp cài đặt")
        url = manifest_url(self.settings.feed_url)
        installed = self.store.installed()
        state = read_json(self.store.sync_file)
        fetched = self._fetch_manifest(url, installed, state)
        if fetched is None:
            return SyncResult("unchanged", f"bản tin không đổi (phiên bản {installed.manifest.version})",
                              installed.manifest.version)
        raw, validators = fetched
        signature = self._signature(urljoin(url, SIGNATURE_FILE))
        from kiosk import trust  # cryptography, imported when a display first syncs, not as it starts

        trust.verify_feed(self, url, raw, signature)
        try:
            manifest = manifests.parse(raw)  # only now: the bytes are the ward's
        except ManifestProblem as problem:
            raise SyncProblem(str(problem)) from None
        digest = hashlib.sha256(raw).hexdigest()
        remember = {"url": url, "manifest_sha256": digest, **validators}
        if installed and digest == installed.digest:
            self._remember(state, remember)
            return SyncResult("unchanged", f"bản tin không đổi (phiên bản {manifest.version})", manifest.version)
        self._judge(manifest, installed, state)

        missing = [entry for entry in manifest.files if not self.store.has_object(entry, installed)]
        self._check_space(missing)
        got = sum(self._download(urljoin(url, entry.path), entry) for entry in missing)
        self._install(manifest, raw, signature, digest, installed)
        newest = max(filter(None, [manifest.issued, _from_iso(state.get("newest_issued"))]))
        self._remember(state, {**remember, "newest_issued": _iso(newest)})
        return SyncResult("installed", f"đã cài bản tin phiên bản {manifest.version} "
                                       f"({len(missing)} tệp mới, {_size_text(got)})",
                          manifest.version, len(missing), got)

    def _fetch_manifest(self, url: str, installed: Installed | None, state: dict) -> tuple[bytes, dict] | None:
        """The manifest's raw bytes and the server's validators; None when it has not changed."""
        headers = {}
        if installed and state.get("url") == url and state.get("manifest_sha256") == installed.digest:
            if state.get("etag"):
                headers["If-None-Match"] = state["etag"]
            if state.get("last_modified"):
                headers["If-Modified-Since"] = state["last_modified"]
        with self.fetcher.open(url, headers, name=MANIFEST_FILE) as response:
            self._note_clock(state)
            if response.status_code == 304 and headers:
                return None
            if response.status_code != 200:
                raise _status_problem(response, MANIFEST_FILE)
            raw = self._small_body(response, manifests.MAX_MANIFEST_BYTES, MANIFEST_FILE)
            return raw, {"etag": response.headers.get("ETag"), "last_modified": response.headers.get("Last-Modified")}

    def _judge(self, manifest: manifests.Manifest, installed: Installed | None, state: dict) -> None:
        """Refuse a signed manifest that is older than the installed one, expired, or too big."""
        if installed and manifest.version <= installed.manifest.version:
            raise SyncProblem(f"bản tin trên máy chủ là phiên bản {manifest.version}, không mới hơn phiên bản "
                              f"{installed.manifest.version} đang chiếu: không quay lại bản cũ")
        if manifest.expires <= _trusted(state, installed, self.clock):
            raise SyncProblem(f"bản tin phiên bản {manifest.version} đã hết hạn "
                              f"({manifest.expires.astimezone(self.settings.zone()):%d/%m/%Y %H:%M}); "
                              f"hãy xuất bản lại với ngày `expires` mới")
        feed_entry = next(entry for entry in manifest.files if entry.path == FEED_FILE)
        if feed_entry.size > MAX_YAML_BYTES:
            raise SyncProblem(f"`{FEED_FILE}` trong bản kê quá lớn ({_size_text(feed_entry.size)})")

    def _install(self, manifest: manifests.Manifest, raw: bytes, signature: bytes, digest: str,
                 installed: Installed | None) -> None:
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
            raise SyncProblem(problem)
        self.store.switch_to(folder)
        self.store.collect_garbage(manifest, keep=installed.folder if installed else None)

    # ------------------------------------------------------------------ pieces

    def _small_body(self, response: requests.Response, limit: int, name: str) -> bytes:
        body = bytearray()
        try:
            count = self.fetcher.read(response, limit, body.extend, time.monotonic() + self._budget(limit))
        except _Broken:
            raise SyncProblem(f"tải `{name}` bị ngắt giữa chừng; sẽ thử lại sau") from None
        if count > limit:
            raise SyncProblem(f"`{name}` trên máy chủ lớn quá mức cho phép ({_size_text(limit)}): không nhận")
        return bytes(body)

    def _signature(self, url: str) -> bytes:
        response = self.fetcher.open(url, name=SIGNATURE_FILE)
        with response:
            if response.status_code == 404:
                raise SyncProblem(f"bản tin chưa được ký: máy chủ không có `{SIGNATURE_FILE}`; "
                                  f"hãy xuất bản bằng `kiosk publish` và tải lên cả thư mục")
            if response.status_code != 200:
                raise _status_problem(response, SIGNATURE_FILE)
            return self._small_body(response, manifests.MAX_SIGNATURE_BYTES, SIGNATURE_FILE)

    def _budget(self, size: int) -> float:
        return sum(self.fetcher.timeouts) + size / MIN_RATE

    def _check_space(self, missing: list[FileEntry]) -> None:
        needed = sum(entry.size for entry in missing)
        if not needed:
            return
        free = shutil.disk_usage(self.store.root).free
        if free < needed + DISK_MARGIN:
            raise SyncProblem(f"ổ đĩa không đủ chỗ cho bản tin mới: cần {_size_text(needed + DISK_MARGIN)}, "
                              f"còn {_size_text(free)}")

    def _download(self, url: str, entry: FileEntry) -> int:
        """Fetch one file into the cache; returns the bytes transferred."""
        part = self.store.partial_path(entry)
        transferred = 0
        for attempt in range(1, ATTEMPTS + 1):
            have = part.stat().st_size if part.exists() else 0
            if have > entry.size:
                part.unlink()
                have = 0
            if have == entry.size:
                break
            if attempt > 1:
                time.sleep(min(2.0, 0.2 * attempt))
            response = self.fetcher.open(url, {"Range": f"bytes={have}-"} if have else {}, name=entry.path)
            with response:
                if response.status_code == 416 and have:
                    part.unlink()
                    raise SyncProblem(f"`{entry.path}` trên máy chủ có kích thước sai (khác {entry.size} byte "
                                      f"đã ký): không cài")
                resumed = response.status_code == 206 and response.headers.get(
                    "Content-Range", "").startswith(f"bytes {have}-")
                if response.status_code == 206 and not resumed:
                    raise SyncProblem(f"máy chủ trả phần tệp `{entry.path}` không đúng chỗ đã hỏi")
                if response.status_code not in (200, 206):
                    raise _status_problem(response, entry.path)
                if not resumed:
                    have = 0
                limit = entry.size - have
                with open(part, "ab" if resumed else "wb") as sink:
                    def write(chunk: bytes) -> None:
                        sink.write(chunk)
                        self.checkpoint("chunk")
                    try:
                        count = self.fetcher.read(response, limit, write, time.monotonic() + self._budget(limit))
                    except _Broken:
                        sink.flush()
                        transferred += part.stat().st_size - have
                        continue
                transferred += count
                if count > limit:
                    part.unlink()
                    raise SyncProblem(f"`{entry.path}` trên máy chủ lớn hơn kích thước đã ký ({entry.size} byte): "
                                      f"không nhận")
        size = part.stat().st_size if part.exists() else 0
        if size != entry.size:
            raise SyncProblem(f"tải `{entry.path}` không trọn: nhận {size}/{entry.size} byte "
                              f"(máy chủ ngắt hoặc ngừng gửi giữa chừng); lần sau tải tiếp")
        if file_sha256(part) != entry.sha256:
            part.unlink()
            raise SyncProblem(f"`{entry.path}` không khớp mã SHA-256 đã ký: tệp trên máy chủ bị thay đổi "
                              f"hoặc hỏng; không cài")
        self.store.adopt(entry, part)
        return transferred

    # ------------------------------------------------------------------ clock

    def _note_clock(self, state: dict) -> None:
        """Compare the local clock with the server's Date; remember a clear offset, log it once."""
        if self.fetcher.server_date is None:
            return
        server_now = self.fetcher.server_date + timedelta(seconds=time.monotonic() - self.fetcher.server_date_seen)
        offset = server_now - self.clock()
        seconds = round(offset.total_seconds()) if abs(offset) > CLOCK_SLACK else 0
        before = float(state.get("clock_offset", 0) or 0)
        if seconds and before and abs(seconds - before) <= CLOCK_SLACK.total_seconds():
            seconds = before  # the same offset, give or take: already said
        if seconds == before:
            return
        if seconds:
            log.warning("Đồng hồ của máy %s so với máy chủ bản tin; dùng giờ của máy chủ để xét hạn bản tin",
                        _duration_text(seconds))
        else:
            log.info("Đồng hồ của máy đã khớp với máy chủ bản tin")
        state["clock_offset"] = seconds
        write_json(self.store.sync_file, state)

    def _remember(self, state: dict, values: dict) -> None:
        state.update({key: value for key, value in values.items()})
        write_json(self.store.sync_file, state)

    # ------------------------------------------------------------------ status and log

    def _record(self, result: SyncResult, seconds: float) -> None:
        state = read_json(self.store.sync_file)
        offset = float(state.get("clock_offset", 0) or 0)
        now = self.clock() + timedelta(seconds=offset)
        status = read_json(self.store.status_file)
        installed = self.store.installed()
        status.update({
            "feed_url": self.settings.feed_url,
            "installed_version": installed.manifest.version if installed else None,
            "installed_issued": _iso(installed.manifest.issued) if installed else None,
            "installed_expires": _iso(installed.manifest.expires) if installed else None,
            "last_attempt": _iso(now),
            "last_outcome": result.outcome,
            "last_message": result.message,
            "clock_offset_seconds": offset,
        })
        if result.ok:
            status.update({"last_success": _iso(now), "last_error": None, "last_error_at": None})
            if result.outcome == "installed":
                status["installed_at"] = _iso(now)
        else:
            status.update({"last_error": result.message, "last_error_at": _iso(now),
                           "errors_total": int(status.get("errors_total") or 0) + 1})
        write_json(self.store.status_file, status)

        key = ("ok",) if result.ok else ("failed", result.message)
        if result.outcome == "installed":
            log.info("Đồng bộ: %s trong %.1f giây", result.message, seconds)
        elif key != self._last_state:
            if result.ok:
                log.info("Đồng bộ: %s", result.message)
            else:
                log.warning("Đồng bộ không được: %s; màn hình giữ nội dung đang chiếu%s", result.message,
                            f" (phiên bản {result.version})" if result.version is not None else "")
        self._last_state = key

    def close(self) -> None:
        self.fetcher.close()


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
    Staleness warnings (kiosk.health) come as `cảnh báo: ...` lines; they do not change `ok`."""
    state_dir = settings.state_path()
    status = read_status(state_dir)
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
    lines.append(f"Nguồn: {settings.feed_url or 'chưa đặt `feed_url` trong cài đặt'}")
    lines.append(f"Đồng bộ được lần gần nhất: {when(status.get('last_success'))}")
    if status.get("last_attempt"):
        lines.append(f"Lần thử gần nhất: {when(status['last_attempt'])}: {status.get('last_message', '')}")
    error = status.get("last_error")
    lines.append(f"Lỗi gần nhất: {error} (lúc {when(status.get('last_error_at'))})" if error
                 else "Lỗi gần nhất: không có")
    offset = float(status.get("clock_offset_seconds") or 0)
    if offset:
        lines.append(f"Đồng hồ của máy {_duration_text(offset)} so với máy chủ bản tin")
    from kiosk.health import inspect, staleness_warnings  # health reads this module: imported here
    warnings = staleness_warnings(inspect(settings, settings_file), expired_said=True)
    lines += [f"cảnh báo: {warning}" for warning in warnings]
    if settings.pin == DEFAULT_PIN:
        lines.append(f"cảnh báo: mã PIN vẫn là mã mặc định {DEFAULT_PIN}, ai đọc hướng dẫn cũng biết; "
                     "hãy đặt `pin` riêng trong tệp cài đặt")
    lines.append(f"Thư mục trạng thái: {state_dir}")
    return lines, installed is not None and not error
