"""The Vietnamese words and formats staff and residents read: dates, times, sizes, spans of time,
a clock's drift and the reason behind a disk error. One place, so that `kiosk status`, `kiosk
health`, the sync log, `kiosk stats` and the screen say a thing the same way.

(kiosk.vietnamese is the text itself: normalising, folding for search, the sort order of lists.)"""

from __future__ import annotations

import errno
from datetime import date, datetime, tzinfo

WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


def format_date(moment: date) -> str:
    """'Thứ Năm, 26/11/2026'."""
    return f"{WEEKDAY_NAMES[moment.weekday()]}, {moment:%d/%m/%Y}"


def format_time(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def format_clock(moment: datetime) -> str:
    """'Thứ Năm, 26/11/2026 · 09:41'."""
    return f"{format_date(moment)} · {format_time(moment)}"


def day_text(day: date) -> str:
    """'26/11/2026'; a moment keeps its time of day: '26/11/2026 09:41'."""
    return f"{day:%d/%m/%Y %H:%M}" if isinstance(day, datetime) else f"{day:%d/%m/%Y}"


def iso_day_text(iso: str) -> str:
    """A day kept as ISO text ('2026-11-26') as staff read it; as written when it is not a day."""
    try:
        return day_text(date.fromisoformat(iso))
    except ValueError:
        return iso


def moment_text(moment: datetime, zone: tzinfo | None = None) -> str:
    """'26/11/2026 09:41', in zone when given (an aware moment is shown in the zone staff live in)."""
    return f"{moment.astimezone(zone) if zone is not None else moment:%d/%m/%Y %H:%M}"


def _number(value: float) -> str:
    """One decimal below 10 (with the Vietnamese decimal comma), whole numbers from 10 up."""
    return f"{value:.1f}".replace(".", ",") if value < 9.95 else f"{value:.0f}"


def size_text(size: float) -> str:
    """'850 KB', '4,5 MB', '120 MB', '16 GB'."""
    for unit, scale in (("GB", 1024 ** 3), ("MB", 1024 ** 2)):
        if size >= scale:
            return f"{_number(size / scale)} {unit}"
    return f"{size / 1024:.0f} KB"


def duration_text(seconds: float) -> str:
    """A span of time as staff say it: '45 giây', '12 phút', '3 giờ 5 phút', '4 ngày', '14 năm'."""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{round(seconds)} giây"
    if seconds < 3600:
        return f"{round(seconds / 60)} phút"
    if seconds < 2 * 86400:
        minutes = round(seconds / 60)
        return f"{minutes // 60} giờ" + (f" {minutes % 60} phút" if minutes % 60 else "")
    if seconds < 365 * 86400:
        return f"{seconds / 86400:.0f} ngày"
    return f"{seconds / 365.25 / 86400:.0f} năm"


def clock_drift_text(seconds: float) -> str:
    """How a clock is off from a reference that is `seconds` ahead of it: 'chạy chậm 3 giờ'."""
    return f"{'chạy nhanh' if seconds < 0 else 'chạy chậm'} {duration_text(seconds)}"


_DISK_REASONS = {
    errno.ENOSPC: "ổ đĩa đã đầy",
    errno.EDQUOT: "hết phần ổ đĩa được dùng",
    errno.EROFS: "ổ đĩa chỉ cho đọc",
    errno.EACCES: "không có quyền",
    errno.EPERM: "không có quyền",
    errno.ENOENT: "không có tệp hay thư mục này",
    errno.ENOTDIR: "một phần của đường dẫn là một tệp, không phải thư mục",
    errno.EISDIR: "đây là thư mục, không phải tệp",
    errno.EEXIST: "chỗ cần một thư mục hoặc tệp mới đã có một tệp cùng tên",
    errno.ELOOP: "gặp liên kết (symlink) lạ trên đường dẫn",
    errno.ENAMETOOLONG: "tên tệp quá dài",
    errno.EIO: "ổ đĩa lỗi khi đọc hoặc ghi",
    errno.EBUSY: "tệp đang bị chương trình khác giữ",
    errno.EMFILE: "mở quá nhiều tệp cùng lúc",
    errno.ENXIO: "thiết bị không sẵn sàng",
    errno.ENODEV: "thiết bị không sẵn sàng",
}


def os_error_text(error: BaseException) -> str:
    """The reason behind a disk or file error in plain Vietnamese (never the English strerror)."""
    if isinstance(error, OSError):
        return _DISK_REASONS.get(error.errno) or (f"lỗi hệ thống số {error.errno}" if error.errno
                                                  else "lỗi đọc hoặc ghi tệp")
    return type(error).__name__
