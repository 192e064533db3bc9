"""Touch mode at the one-stop counter, driven with touches in a real window (tests/kiosk_harness.py)."""

import io
import subprocess
import sys
import tokenize
from pathlib import Path

import zxingcpp
from PIL import Image, ImageFont

from kiosk.play.search import FaqIndex
from kiosk.feed.validate import load_feed
from kiosk.vietnamese import fold
from test_display_loop import make_feed, run_display

REPO = Path(__file__).resolve().parents[1]
FEED = load_feed(REPO / "config").feed
COUNTER = {"mode": "counter", "idle_seconds": 15}


def script(*steps, start=1.5, step=0.8):
    """Actions at given seconds, for what depends on time (idle return); other walks are `steps`,
    each done once the screen has settled from the one before."""
    return [dict(action, at=round(start + i * step, 2)) for i, action in enumerate(steps)]


def pages(shown):
    return [(a["did"], a.get("page"), a.get("title")) for a in shown["actions"]]


def assert_readable(shown):
    for action in shown["actions"]:
        assert not action.get("problems"), (action["did"], action["problems"])


def test_faq_by_topic_to_an_answer_with_its_qr_code_and_back(tmp_path):
    shot = tmp_path / "answer.png"
    steps = [
        {"tap": [0.5, 0.5]},
        {"tap_text": "Hỏi đáp chính sách"},
        {"tap_text": "Hỏi đáp, góp ý"},
        {"tap_text": "Tôi muốn góp ý, phản ánh thì làm thế nào?"},
        {"screenshot": str(shot)},
        {"tap_text": "A+"},
        {"tap_text": "Quay lại"},
        {"tap_text": "Về màn hình chính"},
    ]
    shown = run_display(tmp_path, REPO / "config", size=(1920, 1080), speed=1.0, seconds=60, steps=steps,
                        settings=COUNTER)
    assert [page for _, page, _ in pages(shown)] == [
        "HomePage", "ListPage", "ListPage", "ReadingPage", "ReadingPage", "ReadingPage", "ListPage", "HomePage"]
    assert pages(shown)[2][2] == "Hỏi đáp, góp ý"
    assert any("Ban công tác Mặt trận" in text or "góp ý" in text for text in shown["actions"][3]["texts"])
    codes = {code.text for code in zxingcpp.read_barcodes(Image.open(shot).convert("RGB"))}
    assert "https://dongda.hanoi.gov.vn/gop-y" in codes, codes
    assert_readable(shown)

    stats = subprocess.run([sys.executable, "-m", "kiosk", "stats", "--state", str(tmp_path / "state" / "ward-kiosk")],
                           cwd=REPO, capture_output=True, text=True)
    assert stats.returncode == 0, stats.stderr
    assert "Hỏi đáp, góp ý" in stats.stdout and "Tôi muốn góp ý, phản ánh thì làm thế nào?" in stats.stdout


def test_search_typed_without_tones_finds_the_accented_question(tmp_path):
    expected = FaqIndex(FEED.faq).search("nghi quyet").hits[0]
    topic = FEED.faq[expected.topic_index]
    entry = topic.questions[expected.question_index]
    assert "nghi quyet" in fold(entry.question + " " + entry.answer)
    assert "nghị quyết" in (entry.question + " " + entry.answer).lower(), "the match is through folded tones"

    keys = [{"tap_text": "Dấu cách" if key == " " else key} for key in "nghi quyet"]
    steps = [{"tap": [0.5, 0.5]}, {"tap_text": "Tìm kiếm"}, *keys, {"tap_text": expected.question}]
    shown = run_display(tmp_path, REPO / "config", size=(1920, 1080), speed=1.0, seconds=60, steps=steps,
                        settings=COUNTER)
    typed = shown["actions"][-2]
    assert "nghi quyet|" in typed["texts"]
    assert expected.question in typed["texts"], "results update as each key is pressed"
    opened = shown["actions"][-1]
    assert opened["page"] == "ReadingPage" and f"[b]{expected.question}[/b]" in opened["texts"]
    assert_readable(shown)


def test_delegates_lookup_lists_the_ward_council_in_official_order(tmp_path):
    slide = next(s for s in FEED.slides if s.type == "delegates" and s.body == "hdnd-phuong")
    row = f"Đại biểu HĐND phường {slide.term} · {slide.constituency}"
    steps = [{"tap": [0.5, 0.5]}, {"tap_text": "Đại biểu của bạn"}, {"tap_text": "Xem mọi danh sách đại biểu của phường"},
             {"tap_text": row}]
    shown = run_display(tmp_path, REPO / "config", size=(1080, 1920), speed=1.0, seconds=60, steps=steps,
                        settings=COUNTER)
    page = shown["actions"][-1]
    assert page["page"] == "ReadingPage", pages(shown)
    text = "\n".join(page["texts"])
    positions = [text.index(person.name) for person in slide.people]
    assert positions == sorted(positions) and len(positions) == 14
    assert_readable(shown)


def test_after_a_quiet_spell_it_counts_down_and_returns_to_the_loop(tmp_path):
    feed = make_feed(tmp_path, [
        {"type": "text", "id": "mot", "title": "Một", "body": "Nội dung.", "duration": 30},
        {"type": "text", "id": "hai", "title": "Hai", "body": "Nội dung.", "duration": 30},
    ])
    actions = script({"tap": [0.5, 0.5]}, {"tap_text": "Liên kết"}, start=1.0)
    actions += [{"at": 9.5, "look": True, "audit": "countdown",
                 "expect": ["trở về trình chiếu. Chạm vào màn hình để tiếp tục xem."]}, {"at": 20.0, "look": True}]
    shown = run_display(tmp_path, feed, speed=1.0, seconds=21, actions=actions, settings=COUNTER)
    opened, countdown, after = shown["actions"][1], shown["actions"][2], shown["actions"][3]
    assert opened["page"] == "LinksPage"
    assert countdown["overlay"] == "CounterView" and 0 < countdown["countdown"] <= 10
    assert countdown["audit"] == [], countdown["audit"]
    assert after["overlay"] is None, "back to the loop by itself"
    # Slides of 30 s: the only slide that can start after the countdown showed is the one the return brings.
    assert [e for e in shown["events"] if e["real"] > countdown["real"]], "the loop plays on"


def test_a_video_interrupted_by_a_resident_plays_on_from_where_it_stood(tmp_path):
    feed = make_feed(tmp_path, [
        {"type": "video", "id": "video", "file": "media/clip.mp4"},
        {"type": "text", "id": "sau-video", "title": "Sau video", "body": "Nội dung.", "duration": 60},
    ], media={"media/clip.mp4": REPO / "config" / "media" / "video-nhiem-ky-moi.mp4"})  # 8 seconds
    touched = 5.0
    shown = run_display(tmp_path, feed, speed=1.0, seconds=27, settings=COUNTER,
                        actions=[{"at": touched, "tap": [0.5, 0.5]}])
    video_start = next(e["real"] for e in shown["events"] if e["id"] == "video")
    after = next(e["real"] for e in shown["events"] if e["id"] == "sau-video")
    closed = shown["actions"][0]["real"] + COUNTER["idle_seconds"]
    remaining = 8.0 - (shown["actions"][0]["real"] - video_start)
    # Played on: the rest of the video after touch mode closed; not skipped, not started again.
    assert closed + remaining - 1.5 < after < closed + remaining + 2.0, (video_start, closed, after)


def test_a_resolution_from_the_list_shows_its_points_and_a_scannable_code(tmp_path):
    resolution = next(s for s in FEED.slides if s.type == "resolution")
    shot = tmp_path / "resolution.png"
    steps = [{"tap": [0.5, 0.5]}, {"tap_text": "Nghị quyết"},
             {"tap_text": f"{resolution.number} · {resolution.title}"}, {"screenshot": str(shot)}]
    shown = run_display(tmp_path, REPO / "config", size=(1920, 1080), speed=1.0, seconds=60, steps=steps,
                        settings=COUNTER)
    page = shown["actions"][2]
    assert page["page"] == "ReadingPage", pages(shown)
    assert [text for text in page["texts"] if text.startswith("•")] == [f"•  {point}" for point in resolution.points]
    codes = {code.text for code in zxingcpp.read_barcodes(Image.open(shot).convert("RGB"))}
    assert resolution.link.url in codes, codes
    assert_readable(shown)


def test_the_second_tap_of_a_double_tap_on_the_loop_does_not_choose_from_the_menu(tmp_path):
    # The middle of the screen is on the menu's "Tìm kiếm" once the menu is open.
    # Once the first slide is up: while the app starts, a frame can take longer than the guard's 0.4 s.
    actions = [{"at": 3.0, "tap": [0.5, 0.5]}, {"at": 3.15, "tap": [0.5, 0.5]}, {"at": 4.7, "look": True},
               {"at": 4.8, "tap": [0.5, 0.5]}]
    shown = run_display(tmp_path, REPO / "config", size=(1920, 1080), speed=1.0, seconds=6, actions=actions,
                        settings=COUNTER)
    assert [page for _, page, _ in pages(shown)] == ["HomePage", "HomePage", "HomePage", "SearchPage"]



def test_every_character_the_screens_write_themselves_is_in_the_bundled_font():
    """The app's own words (kv rules and Python strings of screens/): a character the font lacks
    shows as an empty box, as the PIN pad's dots did (U+25CF is not in Noto Sans)."""
    texts = [path.read_text(encoding="utf-8") for path in sorted((REPO / "screens").glob("*.kv"))]
    for path in sorted((REPO / "screens").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        texts += [t.string for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.STRING]
    characters = sorted({c for text in texts for c in text if ord(c) > 127})
    assert "ư" in characters and "“" in characters, "the sources were read"
    for style in ("Regular", "Bold"):
        font = ImageFont.truetype(str(REPO / "assets" / "fonts" / f"NotoSans-{style}.ttf"), 40)
        empty_box = bytes(font.getmask("\ue000"))  # a private-use character: the font's "missing" glyph
        missing = [f"{c} U+{ord(c):04X}" for c in characters if bytes(font.getmask(c)) == empty_box]
        assert not missing, (style, missing)
