"""No black frame, ever: the slide area of every frame the window composes, from the first slide
on, through every transition of the sample feed (the loop wrapping onto its video) and of a feed
of three videos in a row (a video after a video, and the loop wrapping from the third to the
first), is never (near) uniformly black.

Each frame is read back from the window (glReadPixels, at the end of the window's own drawing,
before it is shown) by this file run as a script: it runs tests/kiosk_harness.py and adds the
reading to the harness's window."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DARK_LEVEL = 24  # a pixel whose luminance is below this is black (the sample's navy is about 38)
BLACK_SHARE = 0.9  # a frame whose slide area is this dark is a black frame (a video's caption band stays)
START_PROGRESS = 0.02  # a fade's first frame, showing the outgoing slide alone
MIN_PROGRESS = 0.15  # from here on, what the fade adds of the incoming slide stands out of the pixels' rounding
VIDEO_SECONDS = 2
VIDEO_COLOURS = ((0xB7, 0x1C, 0x1C), (0x0D, 0x2B, 0x52), (0xF9, 0xC8, 0x46))  # red, navy, gold


def make_video(path: Path, colour: tuple, seconds: float = VIDEO_SECONDS, size=(640, 360), fps=25) -> None:
    """A short video of one colour with a white bar crossing it (frames that change), made with ffpyplayer."""
    from ffpyplayer.pic import Image as FFImage
    from ffpyplayer.writer import MediaWriter

    from scripts.make_sample_media import pick_codec

    width, height = size
    writer = MediaWriter(str(path), [dict(pix_fmt_in="rgb24", width_in=width, height_in=height,
                                          pix_fmt_out="yuv420p", codec=pick_codec(), frame_rate=(fps, 1))],
                         lib_opts={"threads": "1"}, overwrite=True)
    row = bytes(colour) * width
    try:
        for index in range(int(seconds * fps)):
            bar = index * height // int(seconds * fps)
            rows = [bytes((255, 255, 255)) * width if bar <= y < bar + 20 else row for y in range(height)]
            writer.write_frame(img=FFImage(plane_buffers=[b"".join(rows)], pix_fmt="rgb24", size=size),
                               pts=index / fps, stream=0)
    finally:
        writer.close()


def run_sampled(tmp_path, feed, *, seconds, speed, size=(1280, 720)) -> dict:
    """The display runs the feed in a real window; returns the harness's record with `frames_read`, per
    frame drawn from the first slide on: real seconds, fading, the fade's progress, the share of the
    slide area that is black, and during a fade the share of the incoming slide that is black."""
    out = tmp_path / "shown.json"
    config = {"feed": str(feed), "size": list(size), "speed": speed, "run_seconds": seconds,
              "out": str(out), "record": "light", "frames_out": str(tmp_path / "frames.json")}
    config_path = tmp_path / "harness.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    done = subprocess.run([sys.executable, __file__, str(config_path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=seconds + 90)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Traceback" not in done.stderr, done.stderr[-4000:]
    shown = json.loads(out.read_text(encoding="utf-8"))
    shown["frames_read"] = json.loads((tmp_path / "frames.json").read_text(encoding="utf-8"))
    return shown


def black_share(image, scale: float = 1.0) -> float:
    """The share of a luminance image's pixels darker than DARK_LEVEL (times scale)."""
    histogram = image.histogram()
    return round(sum(histogram[:math.ceil(DARK_LEVEL * scale)]) / (image.width * image.height), 3)


def black_frames(shown) -> list:
    """Frames whose slide area is black, or whose fade brings in a black slide, from the first frame
    with content on: the app's start (the first video's first frame still decoding, at most a few
    frames after power-on) is no transition and is not counted."""
    frames = shown["frames_read"]
    start = next((i for i, frame in enumerate(frames) if frame[3] < BLACK_SHARE), 0)  # none: all count
    return [frame for frame in frames[start:]
            if frame[3] >= BLACK_SHARE or (frame[4] is not None and frame[4] >= BLACK_SHARE)]


def test_sample_feed_has_no_black_frame_through_its_loop(tmp_path):
    from tests.test_display_loop import first_cycle

    # Slides of 12-25 s last 0.5-1 s here; the video plays its 8 s in real time, twice (the loop wraps).
    shown = run_sampled(tmp_path, REPO / "config", seconds=34, speed=25)
    events = shown["events"]
    assert len(first_cycle(events)) < len(events), "the loop did not come back to its video"
    assert [e["type"] for e in events].count("video") >= 2
    assert sum(1 for frame in shown["frames_read"] if frame[4] is not None) > 50, "too few fade frames read"
    black = black_frames(shown)
    assert not black, f"{len(black)} black frames, the first at {black[0][0]} s; slides: " + ", ".join(
        f"{e['real']} {e['id']}" for e in events[:4] + events[-4:])


def test_three_videos_in_a_row_have_no_black_frame(tmp_path):
    from tests.test_display_loop import make_feed

    slides, media = [], {}
    for number, colour in enumerate(VIDEO_COLOURS, start=1):
        path = tmp_path / f"video-{number}.mp4"
        make_video(path, colour)
        media[f"media/video-{number}.mp4"] = path
        slides.append({"type": "video", "id": f"video-{number}", "file": f"media/video-{number}.mp4",
                       "caption": f"Video số {number}", "sound": False})
    feed = make_feed(tmp_path, slides, media=media)
    shown = run_sampled(tmp_path, feed, seconds=10, speed=1)
    ids = [e["id"] for e in shown["events"]]
    assert ids[:4] == ["video-1", "video-2", "video-3", "video-1"], ids  # a video after a video, and the wrap
    # Prepared while the one before played: each appears as that one ends, its first frame already decoded.
    assert all(e["late"] < 0.25 for e in shown["events"][1:4]), shown["events"]
    black = black_frames(shown)
    assert not black, f"{len(black)} black frames, the first at {black[0][0]} s; shown: {shown['events']}"


def sample_frames(config: dict) -> int:
    """Run the harness with every frame's slide area read back at the end of the window's drawing."""
    import tests.kiosk_harness as harness

    frames, began, outgoing = [], [], []

    def start_and_read(app, _settings):
        from kivy.core.window import Window
        from kivy.graphics import Callback
        from kivy.graphics.opengl import GL_RGB, GL_UNSIGNED_BYTE, glReadPixels
        from PIL import Image, ImageChops

        host = app.frame.ids.host
        shown = app.player.on_show

        def on_show(slide_id, view):
            if not began:
                began.append(harness.time.monotonic())
            shown(slide_id, view)

        app.player.on_show = on_show

        def read(_):
            if not began:
                return
            x, y = (round(v) for v in host.to_window(host.x, host.y))
            size = round(host.width), round(host.height)
            composed = Image.frombytes("RGB", size, glReadPixels(x, y, *size, GL_RGB, GL_UNSIGNED_BYTE)).convert("L")
            progress, incoming = host.progress, None
            if host.fading and progress < START_PROGRESS:
                outgoing[:] = [composed]  # a fade's first frame shows the outgoing slide alone
            elif host.fading and outgoing and progress >= MIN_PROGRESS:
                # composed = (1 - p) outgoing + p incoming: what the fade adds is p times the incoming slide
                added = ImageChops.subtract(composed, outgoing[0].point(lambda v: v * (1 - progress)))
                incoming = black_share(added, progress)
            if not host.fading:
                outgoing.clear()
            frames.append((round(harness.time.monotonic() - began[0], 3), host.fading, round(progress, 3),
                           black_share(composed), incoming))

        Window.canvas.after.add(Callback(read))

    code = harness.main(config["path"], on_start=start_and_read)
    Path(config["frames_out"]).write_text(json.dumps(frames), encoding="utf-8")
    return code


if __name__ == "__main__":
    settings = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    raise SystemExit(sample_frames({**settings, "path": sys.argv[1]}))
