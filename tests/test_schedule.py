"""Which slides are active when, and what the loop shows next: the pure core, no window."""

from datetime import datetime

from kiosk.feed.model import Feed
from kiosk.play.schedule import DisplayIdentity, Loop, is_active

WARD = {"name": "Phường Đống Đa", "website": {"label": "Web", "url": "https://dongda.hanoi.gov.vn"}}


def feed(*slides) -> Feed:
    return Feed.model_validate({"format": 1, "version": 1, "expires": "2027-12-31", "ward": WARD,
                                "slides": [{"type": "text", "title": f"Trang {i}", "body": "x", **extra}
                                           for i, extra in enumerate(slides)]})


HERE = DisplayIdentity("nha-van-hoa-to-5", frozenset({"nha-van-hoa"}))


def active_at(slide_extra, moment, display=HERE):
    return is_active(feed(slide_extra).slides[0], moment, display)


def test_a_date_alone_includes_that_whole_day():
    window = {"start": "2026-12-01", "end": "2026-12-31"}
    assert not active_at(window, datetime(2026, 11, 30, 23, 59, 59))
    assert active_at(window, datetime(2026, 12, 1, 0, 0))
    assert active_at(window, datetime(2026, 12, 31, 23, 59, 59))
    assert not active_at(window, datetime(2027, 1, 1, 0, 0))


def test_a_moment_is_exact_to_the_minute():
    window = {"start": "2026-12-01 07:30", "end": "2026-12-01 11:30"}
    assert not active_at(window, datetime(2026, 12, 1, 7, 29, 59))
    assert active_at(window, datetime(2026, 12, 1, 7, 30))
    assert not active_at(window, datetime(2026, 12, 1, 11, 30))


def test_hours_across_midnight_and_weekdays():
    night = {"hours": ["22:00-06:00"]}
    assert active_at(night, datetime(2026, 12, 1, 23, 0))
    assert active_at(night, datetime(2026, 12, 2, 5, 59))
    assert not active_at(night, datetime(2026, 12, 2, 6, 0))
    assert not active_at(night, datetime(2026, 12, 2, 12, 0))
    until_midnight = {"hours": ["18:00-24:00"]}
    assert active_at(until_midnight, datetime(2026, 12, 1, 23, 59, 59))
    weekdays = {"weekdays": ["T3", "T5"]}  # 2026-12-01 is a Tuesday
    assert active_at(weekdays, datetime(2026, 12, 1, 9, 0))
    assert not active_at(weekdays, datetime(2026, 12, 2, 9, 0))
    assert active_at(weekdays, datetime(2026, 12, 3, 9, 0))


def test_targeting_by_display_id_or_tag():
    assert active_at({"displays": ["nha-van-hoa"]}, datetime(2026, 12, 1))
    assert active_at({"displays": ["nha-van-hoa-to-5"]}, datetime(2026, 12, 1))
    assert not active_at({"displays": ["mot-cua"]}, datetime(2026, 12, 1))


def test_the_loop_goes_round_in_feed_order_and_skips_what_is_not_active():
    loop = Loop(feed({}, {"end": "2026-01-01"}, {}), HERE)
    now = datetime(2026, 12, 1, 9, 0)
    assert [loop.advance(now).index for _ in range(5)] == [0, 2, 0, 2, 0]


def test_an_urgent_slide_takes_the_loop_while_active_and_the_change_is_foreseen():
    loop = Loop(feed({}, {"urgent": True, "start": "2026-12-01 09:00", "end": "2026-12-01 09:30"}), HERE)
    before = datetime(2026, 12, 1, 8, 59)
    assert loop.next_change(before) == datetime(2026, 12, 1, 9, 0)
    assert not loop.has_urgent(before)
    during = datetime(2026, 12, 1, 9, 10)
    assert loop.has_urgent(during) and [loop.advance(during).index for _ in range(3)] == [1, 1, 1]
    assert loop.next_change(during) == datetime(2026, 12, 1, 9, 30)
    assert [e.index for e in loop.active(datetime(2026, 12, 1, 9, 30))] == [0]


def test_hours_boundaries_are_foreseen_across_midnight():
    loop = Loop(feed({"hours": ["22:00-06:00"]}), HERE)
    assert loop.next_change(datetime(2026, 12, 1, 21, 0)) == datetime(2026, 12, 1, 22, 0)
    assert loop.next_change(datetime(2026, 12, 1, 23, 0)) == datetime(2026, 12, 2, 0, 0)
    assert loop.next_change(datetime(2026, 12, 2, 1, 0)) == datetime(2026, 12, 2, 6, 0)


def test_a_new_feed_carries_on_after_the_slide_shown():
    loop = Loop(feed({"id": "a"}, {"id": "b"}, {"id": "c"}), HERE)
    loop.restart_after("b")
    assert loop.advance(datetime(2026, 12, 1)).id == "c"
    loop.restart_after("gone")
    assert loop.advance(datetime(2026, 12, 1)).id == "a"
