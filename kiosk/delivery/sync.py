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
its kind, in the status file; Syncer.run_once() never raises. The requests are the Fetcher's
(kiosk.delivery.fetch: one total deadline each, headers included); expiry is judged by trusted
time (kiosk.delivery.trusted_time: the server's unsigned Date only ever moves a clearly-behind clock
forward); the state folder is read as hostile (kiosk.delivery.sync_state, kiosk.delivery.store)."""

from __future__ import annotations

import errno
import hashlib
import logging
import random
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from urllib.parse import urljoin

from kiosk.delivery import manifest as manifests
from kiosk.delivery.fetch import (BAD_FILE, BUG, CONTENT, DISK, EXPIRED, MANIFEST, NETWORK, ROLLBACK, SERVER, SETTINGS,
                                  BrokenBody, Fetcher, Response, SyncProblem, status_problem)
from kiosk.delivery.manifest import (CLOCK_SLACK, FEED_FILE, MANIFEST_FILE, SIGNATURE_FILE, SOFTWARE_DATE, FileEntry,
                                    ManifestProblem)
from kiosk.delivery.store import Installed, Store, file_sha256, write_json
from kiosk.delivery.sync_state import STATUS_FIELDS, SYNC_FIELDS, header_value, read_state
from kiosk.delivery.trusted_time import time_floor, trusted_time, utc_now
from kiosk.feed.model import Feed
from kiosk.feed.validate import LoadResult, load_feed
from kiosk.feed.yamlsource import MAX_YAML_BYTES
from kiosk.ops.heartbeat import SYNC_HEARTBEAT_FILE, Heartbeat
from kiosk.settings import DisplaySettings
from kiosk.words import clock_drift_text, moment_text, os_error_text, size_text

if TYPE_CHECKING:  # kiosk.delivery.trust brings cryptography: imported when a display first syncs
    from kiosk.delivery.trust import Delegation

log = logging.getLogger("kiosk.delivery.sync")
log.addHandler(logging.NullHandler())  # the app's logging shows these; `kiosk sync` prints its own line

ATTEMPTS = 3  # per file, resuming where the previous attempt broke
FIRST_RETRY = 30.0
DISK_MARGIN = 50 * 1024 * 1024


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


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds") if moment else None


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
                 clock: Callable[[], datetime] = utc_now, rng: random.Random | None = None,
                 checkpoint: Callable[[str], None] | None = None, load: Callable[..., LoadResult] = load_feed):
        self.settings = settings
        self.load = load  # a running display checks in a child process (kiosk.feed.apart)
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
                    self.fetcher.begin_cycle()
                    try:
                        result = self._cycle()
                    except Exception as error:
                        result = self._failure(error)
                    finally:
                        self.fetcher.end_cycle()
                    self._record(result)
            except Exception as error:  # the state folder itself: no lock, no status written
                if result is None:
                    result = self._failure(error)
                else:
                    log.warning("Đồng bộ: không ghi được tệp trạng thái (%s)", os_error_text(error))
            with self._lock:
                self._ran = True
                self._failures = 0 if result.ok else self._failures + 1
            self._log(result, time.monotonic() - started)
            return result

    def _failure(self, error: Exception) -> SyncResult:
        if isinstance(error, SyncProblem):
            message, kind = str(error), error.kind
        elif isinstance(error, OSError):
            reason = ("chỗ của thư mục trạng thái là một tệp, không phải thư mục"  # what these mean here
                      if error.errno in (errno.EEXIST, errno.ENOTDIR) else os_error_text(error))
            message, kind = f"lỗi ghi vào thư mục {self.store.state_dir}: {reason}", DISK
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
        return read_state(self.store.sync_file, SYNC_FIELDS, self._repairs)

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
        delegation = self._check_signature(url, raw, signature)
        try:
            manifest = manifests.parse(raw)  # only now: the bytes are the ward's
        except ManifestProblem as problem:
            raise SyncProblem(str(problem), MANIFEST) from None
        # The time to judge by, before anything is judged: a newer signed feed may show the floor
        # of trusted time wrong, and the key's delegation is then judged by the corrected time too.
        floor_wrong = self._floor_shown_wrong(manifest, installed)
        now = max(self.clock(), SOFTWARE_DATE, manifest.issued) if floor_wrong else trusted_time(state, installed,
                                                                                                 self.clock)
        if delegation is not None:
            from kiosk.delivery import trust  # with cryptography: see _check_signature
            try:
                trust.judge_delegation(delegation, now)
            except trust.TrustProblem as problem:
                raise SyncProblem(str(problem)) from None
        digest = hashlib.sha256(raw).hexdigest()
        remember = {"url": url, "manifest_sha256": digest, **validators}
        if installed and digest == installed.digest:
            self._remember(state, remember)
            return SyncResult("unchanged", f"bản tin không đổi (phiên bản {manifest.version})", manifest.version)
        self._judge(manifest, installed, state, now)

        missing = [entry for entry in manifest.files if not self.store.has_object(entry, installed)]
        self._check_space(missing)
        # each file may use its attempts, each with its own deadline, and the short pauses between them
        self.fetcher.extend_cycle(ATTEMPTS * (self.fetcher.download_seconds([entry.size for entry in missing])
                                              + len(missing)))
        got = sum(self._download(urljoin(url, entry.path), entry) for entry in missing)
        feed, folder = self._install(manifest, raw, signature, digest, installed)
        if floor_wrong:
            log.warning("Đồng bộ: bản tin trước ghi giờ phát hành %s, ở tương lai (máy xuất bản sai giờ); bản mới "
                        "do phường ký cho thấy giờ đó sai: từ nay xét hạn theo bản mới",
                        _iso(installed.manifest.issued))
        self._remember(state, remember)
        return SyncResult("installed", f"đã cài bản tin phiên bản {manifest.version} "
                                       f"({len(missing)} tệp mới, {size_text(got)})",
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
                raise status_problem(response, MANIFEST_FILE)
            raw = self.fetcher.read_body(response, manifests.MAX_MANIFEST_BYTES, MANIFEST_FILE)
            problem = _not_a_manifest(response, raw)
            if problem:
                raise problem
            validators = {key: response.headers.get(header) for key, header in
                          (("etag", "ETag"), ("last_modified", "Last-Modified"))}
            return raw, {key: value if header_value(value) else None for key, value in validators.items()}

    def _judge(self, manifest: manifests.Manifest, installed: Installed | None, state: dict,
               now: datetime) -> None:
        """Refuse a signed manifest that is older than the installed one, expired at now, or too big."""
        if installed and manifest.version <= installed.manifest.version:
            raise SyncProblem(f"bản tin trên máy chủ là phiên bản {manifest.version}, không mới hơn phiên bản "
                              f"{installed.manifest.version} đang chiếu: không quay lại bản cũ", ROLLBACK)
        if manifest.expires <= now:
            offset = state.get("clock_offset") or 0
            clock = (f"; đồng hồ của máy {clock_drift_text(offset)} so với máy chủ bản tin, hãy kiểm tra đồng hồ"
                     if offset else "")
            raise SyncProblem(f"bản tin phiên bản {manifest.version} đã hết hạn "
                              f"({moment_text(manifest.expires, self.settings.zone())}); "
                              f"hãy xuất bản lại với ngày `expires` mới{clock}", EXPIRED)
        feed_entry = next(entry for entry in manifest.files if entry.path == FEED_FILE)
        if feed_entry.size > MAX_YAML_BYTES:
            raise SyncProblem(f"`{FEED_FILE}` trong bản kê quá lớn ({size_text(feed_entry.size)})", MANIFEST)

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
        check = self.load(folder, display_name=FEED_FILE)
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

    def _check_signature(self, url: str, raw: bytes, signature: bytes) -> Delegation | None:
        """By the root of trust when the display has `root_key` (the delegation that names the key,
        judged in time by the caller), else by its one `public_key` (None)."""
        from kiosk.delivery import signing, trust  # cryptography, imported when a display first syncs, not as it starts

        if not self.settings.root_key:
            if not signing.verify(signing.parse_public_key(self.settings.public_key), raw, signature):
                raise SyncProblem("chữ ký của bản tin không đúng: bản tin không do khóa của phường ký, hoặc đã bị "
                                  "sửa sau khi ký; giữ nguyên nội dung đang chiếu")
            return None
        try:
            return trust.check_manifest_signature(self.settings.root_key, self.store.state_dir, raw, signature,
                                                  lambda name, limit: self.fetcher.get_small(urljoin(url, name), name,
                                                                                             limit))
        except trust.TrustProblem as problem:
            raise SyncProblem(str(problem)) from None

    def _signature(self, url: str) -> bytes:
        with self.fetcher.open(url, name=SIGNATURE_FILE, expected=manifests.MAX_SIGNATURE_BYTES) as response:
            if response.status_code == 404:
                raise SyncProblem(f"bản tin chưa được ký: máy chủ không có `{SIGNATURE_FILE}`; "
                                  f"hãy xuất bản bằng `kiosk publish` và tải lên cả thư mục")
            if response.status_code != 200:
                raise status_problem(response, SIGNATURE_FILE)
            return self.fetcher.read_body(response, manifests.MAX_SIGNATURE_BYTES, SIGNATURE_FILE)

    def _check_space(self, missing: list[FileEntry]) -> None:
        needed = sum(entry.size for entry in missing)
        if not needed:
            return
        free = shutil.disk_usage(self.store.root).free
        if free < needed + DISK_MARGIN:
            raise SyncProblem(f"ổ đĩa không đủ chỗ cho bản tin mới: cần {size_text(needed + DISK_MARGIN)}, "
                              f"còn {size_text(free)}", DISK)

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
                    raise status_problem(response, entry.path)
                if not resumed:
                    have = 0
                limit = entry.size - have
                with self.store.open_partial(entry, append=resumed) as sink:
                    def write(chunk: bytes) -> None:
                        sink.write(chunk)
                        self.checkpoint("chunk")
                    try:
                        count = self.fetcher.read(response, limit, write)
                    except BrokenBody:
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
        if seconds > 0 and self.clock() < time_floor(installed) - CLOCK_SLACK:
            log.warning("Đồng hồ của máy %s so với máy chủ bản tin; dùng giờ của máy chủ để xét hạn bản tin",
                        clock_drift_text(seconds))
        elif seconds:
            log.warning("Đồng hồ của máy %s so với máy chủ bản tin; hạn bản tin vẫn xét theo đồng hồ của máy: "
                        "hãy kiểm tra đồng hồ", clock_drift_text(seconds))
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
        now = trusted_time(state, installed, self.clock)
        status = read_state(self.store.status_file, STATUS_FIELDS, self._repairs)
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
    on_installed(feed, folder) is called (on this thread) with each feed a cycle installed, then
    after_cycle() after every cycle."""

    def __init__(self, settings: DisplaySettings, syncer: Syncer | None = None,
                 on_installed: Callable[[Feed, Path], None] | None = None, load: Callable[..., LoadResult] = load_feed,
                 after_cycle: Callable[[], None] | None = None):
        self.beat = Heartbeat(settings.state_path(), every=CYCLE_BEAT / 10, name=SYNC_HEARTBEAT_FILE)
        self.syncer = syncer or Syncer(settings, checkpoint=lambda _: self.beat.beat(due=CYCLE_BEAT), load=load)
        self.wake = threading.Event()
        self.on_installed = on_installed
        self.after_cycle = after_cycle
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
                    if self.after_cycle:
                        self.after_cycle()
                except Exception:  # run_once records every fault itself; this is a bug in that
                    log.exception("Đồng bộ: lỗi không mong đợi ngoài chu kỳ")
        finally:
            self.syncer.close()

    def stop(self) -> None:
        self._stopping.set()
        self.wake.set()
