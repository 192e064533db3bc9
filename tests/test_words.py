"""One way to say a size, a span of time, a date and a disk error (kiosk.words), one reading of a
moment (kiosk.delivery.manifest.parse_moment) and one end of a feed's life (kiosk.feed.model.expiry_moment)."""

from __future__ import annotations

import datetime as dt
import errno
import re
from zoneinfo import ZoneInfo

import pytest

from kiosk.delivery.manifest import iso_utc, parse_moment
from kiosk.feed.model import expiry_moment
from kiosk.words import (clock_drift_text, day_text, duration_text, iso_day_text, moment_text, os_error_text,
                         size_text)

UTC = dt.timezone.utc


@pytest.mark.parametrize("size, said", [(0, "0 KB"), (43_000, "42 KB"), (1024 ** 2, "1,0 MB"),
                                        (int(4.5 * 1024 ** 2), "4,5 MB"), (120 * 1024 ** 2, "120 MB"),
                                        (16 * 1024 ** 3, "16 GB"), (int(2.3 * 1024 ** 3), "2,3 GB")])
def test_sizes(size, said):
    assert size_text(size) == said


def test_every_size_is_a_number_and_a_unit_with_a_decimal_comma():
    for size in [0, 1, 1023, *(int(1.7 ** n) for n in range(60))]:
        assert re.fullmatch(r"\d+(,\d)? (KB|MB|GB)", size_text(size)), size


@pytest.mark.parametrize("seconds, said", [(0, "0 giây"), (45, "45 giây"), (12 * 60, "12 phút"), (3600, "1 giờ"),
                                           (3 * 3600 + 5 * 60, "3 giờ 5 phút"), (8 * 3600, "8 giờ"),
                                           (4 * 86400, "4 ngày"), (14 * 365.25 * 86400, "14 năm")])
def test_spans(seconds, said):
    assert duration_text(seconds) == said == duration_text(-seconds)


def test_spans_grow_with_the_time_they_say():
    units = ["giây", "phút", "giờ", "ngày", "năm"]
    last = 0
    for seconds in (1.3 ** n for n in range(90)):
        rank = units.index(duration_text(seconds).split()[1])
        assert rank >= last, seconds
        last = rank


def test_a_clock_behind_runs_slow_and_one_ahead_runs_fast():
    assert clock_drift_text(3 * 3600) == "chạy chậm 3 giờ"
    assert clock_drift_text(-400 * 86400) == "chạy nhanh 1 năm"


def test_dates_and_moments_in_the_zone_staff_live_in():
    moment = dt.datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    assert moment_text(moment, ZoneInfo("Asia/Ho_Chi_Minh")) == "02/12/2026 00:30"
    assert moment_text(moment) == "01/12/2026 17:30"
    assert day_text(dt.date(2026, 1, 5)) == "05/01/2026"
    assert day_text(dt.datetime(2026, 1, 5, 9, 41)) == "05/01/2026 09:41"
    # A day as a report keeps it; what is not one (a message from the network) as it came.
    assert iso_day_text("2026-01-05") == "05/01/2026"
    for not_a_day in ("", "2026-02-30", "hôm qua", "<b>"):
        assert iso_day_text(not_a_day) == not_a_day


@pytest.mark.parametrize("code", sorted({errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT,
                                         errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.ELOOP, errno.EIO,
                                         errno.EDQUOT, errno.ENAMETOOLONG, errno.EBUSY, errno.EMFILE, 9999}))
def test_a_disk_error_is_said_in_vietnamese_never_in_english(code):
    said = os_error_text(OSError(code, "English strerror text", "/some/file"))
    assert "English" not in said and "Errno" not in said and said.isascii() is False, said


def test_the_moment_rule_an_offset_is_required_and_naive_times_are_refused():
    """Every file the kiosk writes carries an offset; a time without one is not guessed at."""
    moment = dt.datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    for text in ("2026-12-01T08:00:00Z", "2026-12-01T08:00:00+00:00", "2026-12-01T15:00:00+07:00"):
        assert parse_moment(text) == moment and parse_moment(text).tzinfo == UTC, text
    assert parse_moment(iso_utc(moment)) == moment
    for damaged in ("2026-12-01T08:00:00", "2026-12-01", "hôm qua", "", "9999-12-31T23:59:00-23:00",
                    "2026-12-01T08:00:00Z" + " " * 40, None, 1764576000, ["2026-12-01T08:00:00Z"]):
        assert parse_moment(damaged) is None, damaged


def test_a_feed_ends_at_midnight_hanoi_time():
    assert expiry_moment(dt.date(2027, 6, 30)) == dt.datetime(2027, 6, 30, 17, tzinfo=UTC)
    assert expiry_moment(dt.date(2027, 1, 1)) == dt.datetime(2027, 1, 1, 17, tzinfo=UTC)
