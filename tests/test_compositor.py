"""The compositor's events in the real window (tests/kiosk_harness.py): a slide says when its first
frame is drawn and when its fade is over, so that the next slide is prepared, a screenshot taken, a
preview page saved at those moments rather than after guessed times; and the ticker's first line
waits for its band to be laid out instead of polling it."""

from __future__ import annotations

from PIL import Image

from screens.compositor import FADE_SECONDS
from screens.pace import TICKER_FPS
from tests.test_display_loop import make_feed, run_display
from tests.test_window import run_kiosk

EARLIER = 0.002  # seconds: the same frame's handlers write down times this close to each other


def test_each_slide_says_when_its_first_frame_is_drawn_and_when_its_fade_is_over(tmp_path):
    feed = make_feed(tmp_path, [
        {"type": "text", "id": f"trang-{n}", "title": f"Trang {n}", "body": "Nội dung.", "duration": 20}
        for n in range(1, 4)
    ])
    shown = run_display(tmp_path, feed, speed=20.0, seconds=6, record="light", frames=True)
    frames, host_events = shown["frames"], shown["host_events"]
    appeared = [(e["id"], e["real"]) for e in shown["events"]]
    assert len(appeared) >= 4, appeared
    drawn = [(slide_id, t) for name, slide_id, t in host_events if name == "on_drawn"]
    settled = [(slide_id, t) for name, slide_id, t in host_events if name == "on_settled"]
    assert [slide_id for slide_id, _ in drawn][:len(appeared) - 1] == [slide_id for slide_id, _ in appeared][:-1]
    assert [slide_id for slide_id, _ in settled] == [slide_id for slide_id, _ in drawn][:len(settled)]
    for number, ((slide_id, shown_at), (_, drawn_at), (_, settled_at)) in enumerate(zip(appeared, drawn, settled)):
        between = [fading for t, fading in frames if shown_at < t < drawn_at - EARLIER]
        assert between == [], f"{slide_id}: the first frame after it was shown is the one it says is drawn"
        if number == 0:  # nothing to fade from
            assert abs(settled_at - drawn_at) <= EARLIER, slide_id  # the same frame
            continue
        assert settled_at - drawn_at >= FADE_SECONDS * 0.9, (slide_id, drawn_at, settled_at)
        during = [fading for t, fading in frames if drawn_at + EARLIER < t < settled_at - EARLIER]
        assert during and all(during), f"{slide_id}: settled when its fade is over, not before"
        after = [fading for t, fading in frames if settled_at + EARLIER < t < settled_at + 0.2]
        assert not any(after), f"{slide_id}: and the fade is over then"


def test_the_screenshot_is_the_first_frame_drawn_and_the_ticker_line_enters_from_the_right(tmp_path):
    feed = make_feed(tmp_path, [{"type": "text", "id": "mot", "title": "Một", "body": "Nội dung."}])
    shot = tmp_path / "first.png"
    result = run_kiosk("run", str(feed), "--size", "1280x720", "--screenshot", str(shot), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    image = Image.open(shot).convert("RGB")
    width, height = image.size
    band = image.crop((0, height - 40, width, height - 10)).convert("L")  # the ticker's band, its middle
    lit = [x for x in range(width) if any(band.getpixel((x, y)) > 200 for y in range(band.height))]
    assert not lit or min(lit) > width * 0.75, \
        f"a line starts at the band's right edge (laid out at the window's width), not at x={min(lit)}"


def test_the_ticker_holds_its_rate_through_the_frames_pace_and_a_fade_the_full_rate(tmp_path):
    feed = make_feed(tmp_path, [
        {"type": "text", "id": "mot", "title": "Một", "body": "Nội dung.", "duration": 40},
        {"type": "text", "id": "hai", "title": "Hai", "body": "Nội dung.", "duration": 40},
    ])  # the minimal feed's ticker lines stay
    # at speed 10 the first change is at 4 s; its fade lasts 0.6 s
    shown = run_display(tmp_path, feed, speed=10.0, seconds=6, actions=[{"at": 3.0, "look": True},
                                                                        {"at": 4.3, "look": True}])
    assert [a["fps"] for a in shown["actions"]] == [TICKER_FPS, 60], shown["actions"]
