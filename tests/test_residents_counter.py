"""The counter's "Đại biểu của bạn" by tổ dân phố and its "Góp ý", driven with touches in a real
window (tests/kiosk_harness.py): taps from the home menu, the meeting's calendar QR code read back
from a screenshot with zxing, the answers as `kiosk stats` prints them."""

import subprocess
import sys
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from kiosk.feed.validate import load_feed
from test_display_loop import run_display

REPO = Path(__file__).resolve().parents[1]
FEED = load_feed(REPO / "config").feed
COUNTER = {"mode": "counter", "idle_seconds": 600}
SIZES = [(1920, 1080), (1080, 1920)]
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
    first, second = RATING.faces[-1], RATING.faces[0]
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
    shown = run_display(tmp_path, REPO / "config", size=(1280, 720), speed=1.0, seconds=26, settings={
        "mode": "counter", "idle_seconds": 12}, actions=[
        *({**step, "at": 1.5 + i} for i, step in enumerate(steps)),
        {"at": 18.0, "look": True},  # back on the loop by itself
        *({**step, "at": 19.5 + i} for i, step in enumerate(steps)),
    ])
    assert [a["page"] for a in shown["actions"]][:4] == ["HomePage", "FeedbackPage", "WantedPage", "ThanksPage"]
    assert shown["actions"][4]["overlay"] is None, "the thanks page goes back to the loop by itself"
    assert shown["actions"][-1]["page"] == "ThanksPage"
    stats = kiosk_stats(tmp_path)
    assert f"\n       2  {face}\n" in stats and f"\n       2  {topic}\n" in stats, stats
