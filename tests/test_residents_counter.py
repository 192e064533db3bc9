"""The counter's "Đại biểu của bạn" by tổ dân phố and its "Góp ý", driven with touches in a real
window (tests/kiosk_harness.py): taps from the home menu, the meeting's calendar QR code read back
from a screenshot with zxing, the answers as `kiosk stats` prints them."""

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import zxingcpp
from PIL import Image

from kiosk.feed.validate import load_feed
from kiosk.fleet.display import day_reports
from kiosk.ops.stats import UsageLog
from kiosk.play.areas import my_delegates, search_areas, sorted_areas
from kiosk.play.meetings import upcoming_meetings
from test_display_loop import run_display

REPO = Path(__file__).resolve().parents[1]
FEED = load_feed(REPO / "config").feed
COUNTER = {"mode": "counter", "idle_seconds": 600}
SIZES = [(1920, 1080), (1080, 1920)]
ALL_LISTS = "Xem mọi danh sách đại biểu của phường"
size_ids = pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")


def kiosk_stats(tmp_path) -> str:
    run = subprocess.run([sys.executable, "-m", "kiosk", "stats", "--state", str(tmp_path / "state" / "ward-kiosk")],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout


def readable(shown):
    """Every page of the walk: no text out of its box or cut, nothing too small."""
    for action in shown["actions"]:
        assert not action.get("problems"), (action["did"], action["problems"])
        assert not action.get("cut"), (action["did"], action["cut"])
        assert not action.get("stale"), action["did"]


# --- Góp ý

RATING = FEED.feedback.rating
MORE_ABOUT = FEED.feedback.more_about
CHOICES = MORE_ABOUT.choices(FEED.faq)
CHANNELS = FEED.feedback.channel_links(FEED.ward)


def feedback_visit(face, topic, times=2):
    """A resident who double-taps a face, then a topic, and reaches the thanks."""
    return [{"tap": [0.5, 0.5]}, {"tap_text": "Góp ý"}, {"tap_text": face, "times": times},
            {"tap_text": topic, "times": times}]


@size_ids
def test_feedback_double_taps_count_once_each_and_kiosk_stats_shows_them(size, tmp_path):
    thanks = tmp_path / "thanks.png"
    first, second = RATING.faces[0], RATING.faces[-1]  # the first: where a topic will be on the next page
    steps = [*feedback_visit(first, CHOICES[0]), {"screenshot": str(thanks)},
             # the same resident goes back and taps another face: still one answer
             {"tap_text": "Quay lại"}, {"tap_text": "Quay lại"}, {"tap_text": second}, {"tap_text": "Về màn hình chính"},
             *feedback_visit(first, CHOICES[-1], times=1)[1:]]
    shown = run_display(tmp_path, REPO / "config", size=size, speed=1.0, seconds=90, steps=steps, settings=COUNTER)
    walked = [(a["page"], a["title"]) for a in shown["actions"]]
    assert walked[1:4] == [("FeedbackPage", "Góp ý"), ("WantedPage", "Góp ý"), ("ThanksPage", "Góp ý")], walked
    assert RATING.question in shown["actions"][1]["texts"] and all(f in shown["actions"][1]["texts"] for f in RATING.faces)
    assert MORE_ABOUT.question in shown["actions"][2]["texts"]
    assert all(choice in shown["actions"][2]["texts"] for choice in CHOICES), "the FAQ topics and “Điều khác”"
    assert FEED.feedback.thanks in shown["actions"][3]["texts"]
    codes = {code.text for code in zxingcpp.read_barcodes(Image.open(thanks).convert("RGB"))}
    assert codes == {link.url for link in CHANNELS}, codes
    readable(shown)

    stats = kiosk_stats(tmp_path)
    # One resident in one visit of touch mode: the double taps and the change of mind are one answer each.
    assert f"\n       1  {first}\n" in stats, stats
    assert second not in stats, stats
    assert f"\n       1  {CHOICES[0]}\n" in stats and CHOICES[-1] not in stats, stats


def test_each_resident_is_counted_the_next_after_the_return_to_the_loop(tmp_path):
    face, topic = RATING.faces[1], CHOICES[1]
    steps = feedback_visit(face, topic)
    shown = run_display(tmp_path, REPO / "config", size=(1280, 720), speed=1.0, seconds=29, settings={
        "mode": "counter", "idle_seconds": 15}, actions=[
        *({**step, "at": 1.5 + i} for i, step in enumerate(steps)),
        {"at": 21.0, "look": True},  # back on the loop by itself, 15 s after the last touch
        *({**step, "at": 22.5 + i} for i, step in enumerate(steps)),
    ])
    assert [a.get("page") for a in shown["actions"]] == ["HomePage", "FeedbackPage", "WantedPage", "ThanksPage", None,
                                                          "HomePage", "FeedbackPage", "WantedPage", "ThanksPage"]
    assert shown["actions"][4]["overlay"] is None, "the thanks page goes back to the loop by itself"
    assert shown["actions"][-1]["page"] == "ThanksPage"
    stats = kiosk_stats(tmp_path)
    assert f"\n       2  {face}\n" in stats and f"\n       2  {topic}\n" in stats, stats


# --- Đại biểu của bạn

def fully_represented():
    """The first area, in natural order, with delegates at all three levels (the sample has one)."""
    return next(area for area in sorted_areas(FEED.areas) if all(level.people for level in my_delegates(FEED, area)))


AREA = fully_represented()
LEVELS = my_delegates(FEED, AREA)
BEFORE_THE_MEETINGS = datetime(2026, 12, 1, 9, 0)


def to_my_delegates(area, *then):
    return [{"tap": [0.5, 0.5]}, {"tap_text": "Đại biểu của bạn"}, {"tap_text": area.name}, *then]


def one_event(screenshot):
    codes = [code.text for code in zxingcpp.read_barcodes(Image.open(screenshot).convert("RGB"))]
    assert len(codes) == 1, codes
    (event,) = icalendar.Calendar.from_ical(codes[0]).walk("VEVENT")
    return event


@size_ids
def test_picking_an_area_shows_its_delegates_at_three_levels_and_a_meeting_a_phone_can_save(size, tmp_path):
    shot = tmp_path / "mine.png"
    shown = run_display(tmp_path, REPO / "config", size=size, speed=1.0, seconds=60, settings=COUNTER,
                        start_at=BEFORE_THE_MEETINGS.isoformat(), steps=to_my_delegates(AREA, {"screenshot": str(shot)}))
    pages = [a["page"] for a in shown["actions"]]
    assert pages[:3] == ["HomePage", "AreaPickerPage", "AreaDelegatesPage"], pages
    taps_from_the_menu = 2
    assert taps_from_the_menu <= 3
    mine = shown["actions"][2]
    assert mine["title"] == f"Đại biểu của {AREA.name}"
    assert "Dữ liệu mẫu" in AREA.note and AREA.note in mine["texts"]  # the sample's areas say they are
    assert any(AREA.note in text for text in shown["actions"][1]["texts"]), "and in the picker's list"
    assert [level.body for level in LEVELS] == ["quoc-hoi", "hdnd-thanh-pho", "hdnd-phuong"]
    for level in LEVELS:
        assert level.lists[0].titled_list in mine["texts"] and level.constituency in mine["texts"]
        for person in level.people:
            assert person.name in mine["texts"] and (person.position or "") in mine["texts"] + [""]
    readable(shown)

    coming = upcoming_meetings(FEED.meetings, BEFORE_THE_MEETINGS, AREA, FEED.slides)
    first = coming[0]
    assert first.heading in mine["texts"] and f"Buổi 1/{len(coming)}" in mine["texts"]
    event = one_event(shot)
    hanoi = ZoneInfo("Asia/Ho_Chi_Minh")
    assert event.decoded("DTSTART") == datetime.combine(first.date, first.start, hanoi)
    assert event.decoded("DTEND") == datetime.combine(first.date, first.end, hanoi)
    assert str(event["LOCATION"]) == first.place and str(event["SUMMARY"]) == first.heading


def test_a_meeting_that_has_ended_is_not_shown_and_the_next_one_is(tmp_path):
    coming = upcoming_meetings(FEED.meetings, BEFORE_THE_MEETINGS, AREA, FEED.slides)
    ended, following = coming[0], coming[1]
    just_after = datetime.combine(ended.date, ended.end) + timedelta(seconds=20)
    shot = tmp_path / "after.png"
    shown = run_display(tmp_path, REPO / "config", size=(1920, 1080), speed=1.0, seconds=60, settings=COUNTER,
                        start_at=just_after.isoformat(), steps=to_my_delegates(AREA, {"screenshot": str(shot)}))
    texts = shown["actions"][2]["texts"]
    assert ended.heading not in texts and ended.place not in " ".join(texts)
    assert following.heading in texts and f"Buổi 1/{len(coming) - 1}" in texts
    assert str(one_event(shot)["LOCATION"]) == following.place


def test_an_area_found_by_its_street_typed_without_tones(tmp_path):
    word = "liet"  # for Phố Trung Liệt
    matches = [m.area.name for m in search_areas(FEED.areas, word)]
    area = next(a for a in FEED.areas if a.name == matches[0])
    assert any("Liệt" in street for street in area.streets) and 0 < len(matches) < len(FEED.areas)
    steps = [{"tap": [0.5, 0.5]}, {"tap_text": "Đại biểu của bạn"}, {"tap_texts": list(word)}, {"tap_text": area.name}]
    shown = run_display(tmp_path, REPO / "config", size=(1080, 1920), speed=1.0, seconds=60, settings=COUNTER,
                        steps=steps)
    typed = shown["actions"][2]
    assert typed["page"] == "AreaPickerPage" and f"{word}|" in typed["texts"]
    listed = [text for text in typed["texts"] if text.startswith("Tổ dân phố")]
    assert listed == matches, "the matches, in the core's order, and no other area"
    assert shown["actions"][3]["page"] == "AreaDelegatesPage" and shown["actions"][3]["title"] == f"Đại biểu của {area.name}"
    readable(shown)


def test_the_areas_come_in_natural_order_and_the_lists_of_the_whole_ward_stay_within_reach(tmp_path):
    steps = [{"tap": [0.5, 0.5]}, {"tap_text": "Đại biểu của bạn"}, {"tap_text": ALL_LISTS}]
    shown = run_display(tmp_path, REPO / "config", size=(1280, 720), speed=1.0, seconds=60, settings=COUNTER,
                        steps=steps)
    listed = [text for text in shown["actions"][1]["texts"] if text.startswith("Tổ dân phố")]
    assert listed == [area.name for area in sorted_areas(FEED.areas)]
    assert listed.index("Tổ dân phố số 2") < listed.index("Tổ dân phố số 10")
    assert shown["actions"][2]["page"] == "ListPage" and shown["actions"][2]["title"] == "Đại biểu của bạn"
    readable(shown)


def test_the_daily_report_over_the_fleet_link_carries_the_feedback_counts(tmp_path):
    day = datetime(2026, 12, 1).date()
    usage = UsageLog(tmp_path, today=lambda: day)
    for face in (RATING.faces[-1], RATING.faces[-1], RATING.faces[0]):
        usage.record("helpful", answer=face)
    usage.record("wanted", topic=CHOICES[-1])
    report = day_reports(tmp_path, "mot-cua-1", {day.isoformat()})[day.isoformat()]
    assert report["helpful"] == {RATING.faces[-1]: 2, RATING.faces[0]: 1}
    assert report["wanted"] == {CHOICES[-1]: 1}
    assert set(report["helpful"]) <= set(RATING.faces), "only the feed's own words, nothing typed"


def test_with_every_meeting_over_the_page_says_so_and_shows_no_code(tmp_path):
    after_all = max(meeting.ends_at for meeting in FEED.meetings) + timedelta(minutes=1)
    shot = tmp_path / "none.png"
    shown = run_display(tmp_path, REPO / "config", size=(1080, 1920), speed=1.0, seconds=60, settings=COUNTER,
                        start_at=after_all.isoformat(), steps=to_my_delegates(AREA, {"screenshot": str(shot)}))
    texts = shown["actions"][2]["texts"]
    assert "Chưa có buổi gặp đại biểu nào sắp tới cho tổ dân phố này." in texts
    assert not any(meeting.heading in texts for meeting in FEED.meetings)
    assert zxingcpp.read_barcodes(Image.open(shot).convert("RGB")) == []
    readable(shown)
