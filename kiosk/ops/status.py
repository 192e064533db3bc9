"""What staff are told about a display: `kiosk status` (status_lines), the staleness warnings, and
`kiosk health`'s problems with its exit code; all from one Inspection of the display's state.
Plain Vietnamese lines, one per problem; the thresholds are the constants below."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from kiosk.delivery.manifest import CLOCK_SLACK, parse_moment
from kiosk.delivery.store import Installed, Store
from kiosk.delivery.sync_state import read_status
from kiosk.delivery.trusted_time import trusted_now
from kiosk.feed.model import Feed, expiry_moment, slide_ids
from kiosk.feed.validate import load_feed
from kiosk.ops.heartbeat import HEARTBEAT_FILE, HEARTBEAT_STALE, SYNC_HEARTBEAT_FILE, heartbeat_age, sync_overdue
from kiosk.play.content import starting_folder
from kiosk.settings import DEFAULT_PIN, SAMPLE_FEED, DisplaySettings
from kiosk.words import clock_drift_text, day_text, duration_text, moment_text, size_text

UNREACHABLE_HOURS = 6.0  # no good sync for this long: warn
CONTENT_MAX_DAYS = 30  # installed feed issued longer ago than this: warn that it may be stale
EXPIRY_WARN_DAYS = 14  # the shown feed expires within this many days: warn
DISK_MIN_FREE_BYTES = 300 * 1024 * 1024  # less free than this on the state folder's disk: warn ...
DISK_MIN_FREE_RATIO = 0.05  # ... or less than this share of the disk
MAX_SLIDE_LINES = 5  # past-end slides named one by one; the rest counted in one line

EXIT_OK, EXIT_PROBLEM, EXIT_NOT_ALIVE = 0, 1, 7  # 7: what systemd calls NOTRUNNING in its logs


def disk_space(path: Path) -> tuple[int, int] | None:
    """(free, total) bytes on the disk holding path, or its nearest existing parent."""
    path = Path(path)
    for candidate in (path, *path.parents):
        try:
            usage = shutil.disk_usage(candidate)
        except OSError:
            continue
        return usage.free, usage.total
    return None


@dataclass
class Inspection:
    """What health, status and metrics need to know, gathered once."""
    settings: DisplaySettings
    state_dir: Path
    now: datetime  # aware, UTC, as the syncer trusts it
    status: dict
    folder: Path  # the feed folder the display shows (or would show)
    sample: bool  # that folder is the bundled sample
    installed: Installed | None
    feed: Feed | None  # None when it does not load
    feed_errors: list = field(default_factory=list)
    heartbeat_age: float | None = None
    disk: tuple[int, int] | None = None
    sync_overdue: float | None = None


def inspect(settings: DisplaySettings, settings_file: Path | None = None,
            now: datetime | None = None, load=load_feed) -> Inspection:
    """load: how the feed is read (a running display reads in a child process: kiosk.feed.apart)."""
    state_dir = settings.state_path()
    folder = starting_folder(settings, settings_file)
    loaded = load(folder)
    return Inspection(
        settings=settings, state_dir=state_dir, now=now or trusted_now(state_dir), status=read_status(state_dir),
        folder=folder, sample=Path(folder).resolve() == SAMPLE_FEED.resolve(),
        installed=Store(state_dir).installed(), feed=loaded.feed, feed_errors=list(loaded.errors),
        heartbeat_age=heartbeat_age(state_dir), disk=disk_space(state_dir), sync_overdue=sync_overdue(state_dir))


def staleness_warnings(seen: Inspection, expired_said: bool = False) -> list[str]:
    """Plain lines for staff: what is old, about to run out, or about to fill up. Empty: all fresh.
    expired_said: the caller already says that the installed feed has expired (`status_lines`)."""
    settings, zone, now = seen.settings, seen.settings.zone(), seen.now
    warnings = []
    if seen.sample:
        warnings.append("màn hình đang chiếu bản tin mẫu kèm phần mềm (dữ liệu mẫu, không phải thông tin chính "
                        "thức); hãy đặt `feed_url` và `public_key` trong tệp cài đặt")
    if settings.feed_url:
        last_good = parse_moment(seen.status.get("last_success"))
        error = seen.status.get("last_error")
        if last_good is not None and (now - last_good).total_seconds() > UNREACHABLE_HOURS * 3600:
            warnings.append(f"đã {duration_text((now - last_good).total_seconds())} không đồng bộ được với máy chủ "
                            f"bản tin "
                            f"(lần cuối được lúc {moment_text(last_good, zone)})"
                            + (f": {error}" if error else "; kiểm tra mạng và `feed_url`"))
        elif last_good is None and error:
            warnings.append(f"chưa lần nào đồng bộ được với máy chủ bản tin: {error}")
    if seen.installed is not None:
        issued = seen.installed.manifest.issued
        age = (now - issued).total_seconds()
        if age > CONTENT_MAX_DAYS * 86400:
            warnings.append(f"bản tin đang chiếu phát hành đã {age // 86400:.0f} ngày "
                            f"(lúc {moment_text(issued, zone)}); "
                            f"nội dung có thể đã cũ, hãy xuất bản bản mới")
        expires = seen.installed.manifest.expires
    elif seen.feed is not None:
        expires = expiry_moment(seen.feed.expires)
    else:
        expires = None
    if expires is not None:
        left = (expires - now).total_seconds()
        if left <= 0 and not (expired_said and seen.installed is not None):
            warnings.append(f"bản tin đang chiếu đã hết hạn lúc {moment_text(expires, zone)}; hãy sửa `expires` "
                            f"và xuất bản bản mới")
        elif 0 < left <= EXPIRY_WARN_DAYS * 86400:
            warnings.append(f"bản tin đang chiếu sắp hết hạn: còn {duration_text(left)} "
                            f"(đến {moment_text(expires, zone)}); "
                            f"hãy xuất bản bản mới với `expires` xa hơn")
    if seen.feed is not None:
        local_now = now.astimezone(zone).replace(tzinfo=None)
        ended = [(slide_id, slide) for slide_id, slide in zip(slide_ids(seen.feed.slides), seen.feed.slides)
                 if slide.ends_at is not None and slide.ends_at <= local_now]
        for slide_id, slide in ended[:MAX_SLIDE_LINES]:
            warnings.append(f"trang chiếu `{slide_id}` đã qua ngày cuối (`end`: {day_text(slide.end)}) mà vẫn "
                            f"còn trong bản tin; hãy gỡ ra ở lần xuất bản tới")
        if len(ended) > MAX_SLIDE_LINES:
            warnings.append(f"… và {len(ended) - MAX_SLIDE_LINES} trang chiếu khác đã qua ngày cuối")
    if seen.disk is not None:
        free, total = seen.disk
        if free < DISK_MIN_FREE_BYTES or (total and free / total < DISK_MIN_FREE_RATIO):
            warnings.append(f"ổ đĩa sắp đầy: còn trống {size_text(free)} trên {size_text(total)} ({seen.state_dir}); "
                            f"bản tin mới có thể không tải về được, hãy xóa bớt tệp hoặc dùng thẻ nhớ lớn hơn")
    return warnings


def health_problems(seen: Inspection) -> tuple[list[str], int]:
    """One line per problem and the exit code: 0 healthy, 7 the app is not alive (a restart may help),
    1 any other problem (content that does not load: staff must act)."""
    problems = []
    code = EXIT_OK
    if seen.feed is None:
        first = seen.feed_errors[0] if seen.feed_errors else "không đọc được"
        more = f" (và {len(seen.feed_errors) - 1} lỗi khác)" if len(seen.feed_errors) > 1 else ""
        problems.append(f"nội dung màn hình sẽ chiếu không dùng được: {first}{more}")
        code = EXIT_PROBLEM
    age = seen.heartbeat_age
    beat_file = seen.state_dir / HEARTBEAT_FILE
    if age is None:
        problems.append(f"ứng dụng màn hình chưa ghi nhịp tim ({beat_file}): màn hình chưa chạy, hoặc chạy với "
                        f"thư mục trạng thái khác")
        code = EXIT_NOT_ALIVE
    elif age > HEARTBEAT_STALE:
        problems.append(f"ứng dụng màn hình đã {duration_text(age)} không ghi nhịp tim ({beat_file}): "
                        f"đã dừng hoặc bị treo")
        code = EXIT_NOT_ALIVE
    elif seen.settings.feed_url:  # the app runs: so must its sync thread
        overdue, sync_file = seen.sync_overdue, seen.state_dir / SYNC_HEARTBEAT_FILE
        if overdue is None:
            problems.append(f"ứng dụng màn hình đang chạy mà luồng đồng bộ chưa ghi nhịp ({sync_file}): bản tin "
                            f"mới sẽ không được tải về; hãy khởi động lại ứng dụng")
            code = EXIT_NOT_ALIVE
        elif overdue > 0:
            problems.append(f"luồng đồng bộ của ứng dụng màn hình đã dừng hoặc bị treo (quá hạn ghi nhịp "
                            f"{duration_text(overdue)}, {sync_file}): bản tin mới sẽ không được tải về; hãy khởi động lại "
                            f"ứng dụng")
            code = EXIT_NOT_ALIVE
    return problems, code


def status_lines(settings: DisplaySettings, settings_file: Path | None = None,
                 load=load_feed) -> tuple[list[str], bool]:
    """What `kiosk status` prints, and whether all is well (content installed, last cycle good).
    Staleness warnings (below) come as `cảnh báo: ...` lines; they do not change `ok`."""
    state_dir = settings.state_path()
    damaged: list[str] = []
    status = read_status(state_dir, damaged)
    zone = settings.zone()

    def when(text) -> str:
        moment = parse_moment(text)
        return moment_text(moment, zone) if moment else "chưa có"

    installed = Store(state_dir).installed()
    lines = []
    if installed is None:
        lines.append("Bản tin đang chiếu: chưa có bản tin tải về (màn hình chiếu bản mẫu)")
    else:
        manifest = installed.manifest
        lines.append(f"Bản tin đang chiếu: phiên bản {manifest.version}, "
                     f"phát hành {moment_text(manifest.issued, zone)}, "
                     f"hết hạn {moment_text(manifest.expires, zone)}")
        if manifest.expires <= trusted_now(state_dir):
            lines.append("cảnh báo: bản tin đang chiếu đã hết hạn; hãy xuất bản bản mới")
        if manifest.issued > datetime.now(timezone.utc) + CLOCK_SLACK:
            lines.append(f"cảnh báo: bản tin đang chiếu ghi giờ phát hành {moment_text(manifest.issued, zone)}, "
                         f"sau giờ của "
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
        lines.append(f"Đồng hồ của máy {clock_drift_text(offset)} so với máy chủ bản tin")
    lines += [f"cảnh báo: {line}" for line in [*damaged, *(status.get("repaired") or [])]]
    warnings = staleness_warnings(inspect(settings, settings_file, load=load), expired_said=True)
    lines += [f"cảnh báo: {warning}" for warning in warnings]
    if settings.pin == DEFAULT_PIN:
        lines.append(f"cảnh báo: mã PIN vẫn là mã mặc định {DEFAULT_PIN}, ai đọc hướng dẫn cũng biết; "
                     "hãy đặt `pin` riêng trong tệp cài đặt")
    lines.append(f"Thư mục trạng thái: {state_dir}")
    return lines, installed is not None and not error
