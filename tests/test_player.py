"""The player's decisions (kiosk/play/player.py), no window: the clock is a DisplayClock on a fake
monotonic time that the tests move on by hand, and the "screen" is a few lines that report what a
view did (it appeared, or its file did not open)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kiosk.feed.model import Feed
from kiosk.play.clock import DisplayClock
from kiosk.play.player import MAX_WAIT_FOR_CHANGE, RETRY_BROKEN_SECONDS, WELCOME, PlayerDecisions
from kiosk.play.schedule import DisplayIdentity, Loop

WARD = {"name": "Phường Đống Đa", "website": {"label": "Web", "url": "https://dongda.hanoi.gov.vn"}}
MORNING = datetime(2026, 12, 1, 8, 0)
HERE = DisplayIdentity("man-hinh-1")


class FakeTime:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self):
        self.seconds = 5000.0

    def __call__(self) -> float:
        return self.seconds

    def wait(self, seconds: float) -> None:
        self.seconds += seconds


def feed(*slides, version=1) -> Feed:
    return Feed.model_validate({"format": 1, "version": version, "expires": "2027-12-31", "ward": WARD,
                                "slides": [{"type": "text", "title": f"Trang {i}", "body": "x", **extra}
                                           for i, extra in enumerate(slides)]})


def ids(*names):
    return [{"id": name} for name in names]


def decisions_for(the_feed: Feed, speed: float = 1.0, start_at: datetime = MORNING):
    time = FakeTime()
    clock = DisplayClock(ZoneInfo("Asia/Ho_Chi_Minh"), start_at=start_at, speed=speed, monotonic=time)
    decisions = PlayerDecisions(Loop(the_feed, HERE), clock)
    decisions.start()
    return decisions, time


def play(decisions: PlayerDecisions, turns: int, broken=(), time: FakeTime | None = None, each=0.0) -> list[str]:
    """What the screen shows in this many turns: a slide in `broken` fails to open (and the player
    chooses again at once, as the screen does); `each` real seconds pass per turn shown."""
    shown = []
    while len(shown) < turns:
        turn = decisions.next_turn()
        if turn.entry is not None and turn.slide_id in broken:
            decisions.failed(turn.slide_id, "tệp không mở được")
            continue
        decisions.appeared(turn)
        shown.append(turn.slide_id)
        if time is not None:
            time.wait(each)
    return shown


def test_the_loop_goes_round_in_feed_order_and_each_slide_knows_its_own_time():
    decisions, _ = decisions_for(feed(*ids("a", "b", "c")))
    assert play(decisions, 7) == ["a", "b", "c", "a", "b", "c", "a"]
    assert decisions.next_turn().seconds is None, "a slide's view says how long its pages stay"


@pytest.mark.parametrize("speed", [1.0, 20.0])
@pytest.mark.parametrize("late", [0.0, 0.3, 2.9])
def test_pages_end_at_absolute_deadlines_that_late_frames_do_not_push_back(speed, late):
    decisions, time = decisions_for(feed(*ids("a")), speed=speed)
    start = time()
    for number in range(1, 6):
        deadline = decisions.page_deadline(30)
        assert deadline == pytest.approx(start + number * 30 / speed)
        time.seconds = deadline + min(late, 0.5 * 30 / speed)  # the timer fired late
        assert decisions.until_deadline() <= 0


def test_after_a_stall_longer_than_a_page_the_loop_is_back_on_time_not_behind_for_ever():
    decisions, time = decisions_for(feed(*ids("a")))
    time.wait(500)  # the machine stood still far beyond the deadline
    assert decisions.page_deadline(30) == pytest.approx(time())
    assert decisions.page_deadline(30) == pytest.approx(time() + 30)


def test_a_turn_cut_short_counts_the_next_page_from_now():
    decisions, time = decisions_for(feed(*ids("a")))
    decisions.page_deadline(30)
    time.wait(12)
    decisions.cut_short()  # a video ended by itself
    assert decisions.page_deadline(10) == pytest.approx(time() + 10)


def test_a_timer_that_fires_early_sees_time_left():
    decisions, time = decisions_for(feed(*ids("a")))
    decisions.page_deadline(30)
    time.wait(29.99)
    assert decisions.until_deadline() == pytest.approx(0.01)


def test_pages_follow_in_order_then_the_turn_is_over():
    assert [PlayerDecisions.page_after(page, 3) for page in range(3)] == [1, 2, None]
    assert PlayerDecisions.page_after(0, 1) is None


@pytest.mark.parametrize("position", range(4))
def test_a_broken_slide_is_passed_over_then_tried_again_after_the_retry_time(position, caplog):
    names = ["a", "b", "c", "d"]
    broken = names[position]
    decisions, time = decisions_for(feed(*ids(*names)))
    with caplog.at_level(logging.WARNING, "kiosk.player"):
        first = play(decisions, 9, broken={broken})
    others = [name for name in names if name != broken]
    assert sorted(set(first)) == others and len(first) == 9
    assert [r.getMessage() for r in caplog.records] == [f"bỏ qua trang {broken}: tệp không mở được"], \
        "said once, not at every round of the loop"
    time.wait(RETRY_BROKEN_SECONDS - 1)
    assert broken not in play(decisions, 3), "passed over until the retry time has gone by"
    time.wait(1)
    assert broken in play(decisions, 4), "then opened again, and shown now that its file opens"


def test_the_slide_prepared_next_is_the_next_turns_and_never_a_broken_one():
    decisions, time = decisions_for(feed(*ids("a", "b", "c")))
    assert play(decisions, 1) == ["a"]
    assert decisions.coming().id == "b"
    decisions.failed("b", "tệp không mở được")
    assert decisions.coming().id == "c", "b would be passed over: not opened again to prepare it"
    assert decisions.next_turn().slide_id == "c"


def test_a_single_slide_loop_prepares_nothing_it_shows_the_same_view_again():
    decisions, _ = decisions_for(feed(*ids("a")))
    play(decisions, 1)
    assert decisions.coming() is None


@pytest.mark.parametrize("count", [1, 2, 5])
def test_when_no_slide_opens_the_welcome_view_shows_said_once_then_they_are_tried_again(count, caplog):
    names = [f"hong-{i}" for i in range(count)]
    decisions, time = decisions_for(feed(*ids(*names)))
    with caplog.at_level(logging.WARNING, "kiosk.player"):
        shown = play(decisions, 4, broken=set(names), time=time, each=MAX_WAIT_FOR_CHANGE)
    assert shown == [WELCOME] * 4
    messages = [r.getMessage() for r in caplog.records]
    assert sorted(messages[:-1]) == sorted(f"bỏ qua trang {name}: tệp không mở được" for name in names)
    assert messages[-1].startswith("không trang nào mở được"), "the ward's screen, said once however long"
    assert decisions.next_turn().seconds == MAX_WAIT_FOR_CHANGE, "the welcome view stays until the next look"

    def errors_after(*steps):
        caplog.clear()
        with caplog.at_level(logging.WARNING, "kiosk.player"):
            for step in steps:
                step()
        return [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]

    time.wait(RETRY_BROKEN_SECONDS)
    still_broken = errors_after(lambda: play(decisions, 1, broken=set(names)))
    assert still_broken == [], "opened again after the retry time; still none opens: not said again"
    time.wait(RETRY_BROKEN_SECONDS)
    assert play(decisions, count) == names, "mended files show again after the retry time"
    time.wait(RETRY_BROKEN_SECONDS)
    broken_again = errors_after(lambda: play(decisions, 1, broken=set(names)))
    assert len(broken_again) == 1, "after slides showed, none opening is news again"


def test_with_no_slide_active_the_welcome_view_shows_and_nothing_is_wrong(caplog):
    decisions, _ = decisions_for(feed({"end": "2026-01-31"}))
    with caplog.at_level(logging.WARNING, "kiosk.player"):
        assert play(decisions, 2) == [WELCOME, WELCOME]
    assert caplog.records == []
    assert decisions.coming() is None


@pytest.mark.parametrize("speed", [1.0, 10.0])
def test_an_urgent_slide_interrupts_when_it_starts_repeats_and_the_loop_resumes_after_it(speed):
    decisions, time = decisions_for(feed(
        *ids("mot", "hai", "ba"),
        {"id": "khan", "urgent": True, "start": "2026-12-01 08:00:40", "end": "2026-12-01 08:01:20"},
        *ids("bon"),
    ), speed=speed)
    assert play(decisions, 2) == ["mot", "hai"]
    assert decisions.wait_for_change() == pytest.approx(40 / speed), "woken exactly when it starts"
    assert not decisions.urgency_changed()
    time.wait(40 / speed)
    assert decisions.urgency_changed() and decisions.until_deadline() == 0, "hai gives way now"
    assert play(decisions, 3) == ["khan"] * 3, "repeats while active"
    assert not decisions.urgency_changed()
    assert decisions.wait_for_change() == pytest.approx(40 / speed)
    time.wait(40 / speed)
    assert decisions.urgency_changed()
    assert play(decisions, 4) == ["bon", "mot", "hai", "ba"], "the loop resumes after the urgent slide's place"


def test_a_change_while_the_slide_was_made_ready_is_not_missed():
    decisions, time = decisions_for(feed(*ids("mot"), {"id": "khan", "urgent": True, "start": "2026-12-01 08:00:10"}))
    turn = decisions.next_turn()
    time.wait(12)  # a video's first frame took this long to decode
    decisions.appeared(turn)
    assert decisions.wait_for_change(since=turn.chosen_at) == 0
    assert decisions.urgency_changed()


def test_the_schedule_is_looked_at_again_at_least_every_minute():
    decisions, _ = decisions_for(feed(*ids("a"), {"id": "later", "start": "2026-12-02 08:00"}))
    assert decisions.wait_for_change() == MAX_WAIT_FOR_CHANGE
    always, _ = decisions_for(feed(*ids("a")))
    assert always.wait_for_change() == MAX_WAIT_FOR_CHANGE


@pytest.mark.parametrize("shown_last, expected", [("a", "b"), ("b", "c"), ("c", "a"), ("gone", "a")])
def test_a_new_feed_carries_on_after_the_slide_shown(shown_last, expected):
    decisions, _ = decisions_for(feed(*ids("a", "b", "c", "gone")))
    while play(decisions, 1) != [shown_last]:
        pass
    decisions.install_feed(feed(*ids("a", "new", "b", "c"), version=2))
    assert play(decisions, 1) == ([expected] if shown_last != "a" else ["new"])


def test_a_new_feed_arriving_while_the_next_slide_is_made_ready_carries_on_after_that_one():
    """The screen chose b (its video's first frame is being decoded) while a is still shown: b
    appears, and the new feed goes on after b, not with b a second time."""
    decisions, _ = decisions_for(feed(*ids("a", "b", "c")))
    assert play(decisions, 1) == ["a"]
    coming = decisions.next_turn()
    decisions.install_feed(feed(*ids("a", "b", "c"), version=2))
    decisions.appeared(coming)
    assert decisions.coming().id == "c"
    assert play(decisions, 1) == ["c"]


def test_a_new_feed_tries_its_slides_again_at_once():
    decisions, _ = decisions_for(feed(*ids("a", "b")))
    assert play(decisions, 2, broken={"b"}) == ["a", "a"]
    decisions.install_feed(feed(*ids("a", "b"), version=2))  # maybe with b's file mended
    assert play(decisions, 2) == ["b", "a"]


def test_each_turn_is_written_down_once_with_its_feed_time_for_the_proof_of_play():
    decisions, time = decisions_for(feed(*ids("a", "b")), speed=10.0)
    assert decisions.ended() is None, "nothing shown yet"
    play(decisions, 1)
    time.wait(2)
    assert decisions.ended() == ("a", MORNING + timedelta(seconds=0), 20.0)
    assert decisions.ended() is None


@pytest.mark.parametrize("plays_on, urgent_meanwhile, goes_on", [
    (True, False, True), (True, True, False), (False, False, False), (False, True, False)])
def test_back_from_touch_mode_a_video_plays_on_unless_an_urgent_slide_became_active(plays_on, urgent_meanwhile,
                                                                                  goes_on):
    decisions, time = decisions_for(feed(*ids("video"), {"id": "khan", "urgent": True, "start": "2026-12-01 08:01"}))
    play(decisions, 1)
    decisions.pause()
    assert decisions.paused
    time.wait(120 if urgent_meanwhile else 30)
    assert decisions.resume(plays_on) is goes_on
    assert not decisions.paused and decisions.until_deadline() == 0, "the next turn is counted from now"
