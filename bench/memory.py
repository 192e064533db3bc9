"""Benchmark: memory after 5,000 slide changes against memory after the first 500, on an
accelerated clock over every slide type, images and video included, in the same run.

The display (tests/kiosk_harness.py: the real app in a real window, 1920x1080) plays the sample's
slides (delegate lists, leaders, resolutions, infographics, stories), each page 15 feed-seconds
long on a clock 20 times as fast (0.75 s), the sample video cut after 2 s at every round of the
loop, and played to its end once a feed hour (a slide shown only in the first ten minutes of each
hour). At the first frame of each appearance of one slide, always after the same one, the app writes down its resident
memory, threads (native ones too), open files and live Kivy textures. What is on screen and what is
being prepared differ a little from one appearance to the next, so the medians of five are
compared: of the first five appearances after change 500 (the baseline), and of the last five.
Targets (issue 13): resident memory grows less than 5%; threads, files and textures do not grow;
the steady memory at most 1.6x the bare picture app's.
At the end, the display prints where its resident memory goes (bench/breakdown.py), and so does a
bare Kivy app showing one full-screen picture, the baseline of the steady memory (issue 13: at most
1.6x of it). --arena-max N runs the display with MALLOC_ARENA_MAX=N, --tracemalloc with Python's
allocations traced (slower).
Run (needs a display, e.g. under xvfb-run; about an hour): python bench/memory.py [--changes N]"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from breakdown import breakdown, print_breakdown
from common import REPO, machine, result, run_harness_child, run_harness_here

SIZE = (1920, 1080)

TARGET_GROWTH = 0.05  # issue 13 (issue 6 had 10%)
TARGET_OVER_BARE = 1.6
SPEED = 20.0
PAGE_SECONDS = 15  # feed seconds: 0.75 s at SPEED
ANCHOR = "dai-bieu-quoc-hoi"  # sampled at each appearance; the infographic before it is always the same
FIGURES = ("rss_mb", "threads", "files", "textures")
WINDOW = 5  # samples, a loop's round apart, whose median is taken


def medians(samples: list[dict]) -> dict:
    return {figure: statistics.median(s[figure] for s in samples) for figure in ("shown", *FIGURES)}


def every_type_feed(folder: Path) -> Path:
    """The sample feed, pages short, its video cut after 2 s, and once an hour played to the end."""
    shutil.copytree(REPO / "config", folder)
    data = yaml.safe_load((folder / "feed.yaml").read_text(encoding="utf-8"))
    slides = []
    for slide in data["slides"]:
        if slide["type"] == "video":
            slides.append(dict(slide, max_seconds=2))
            slides.append(dict(slide, id="video-tron-ven", max_seconds=60,
                               hours=[f"{hour:02d}:00-{hour:02d}:10" for hour in range(24)]))
        else:
            slides.append(dict(slide, duration=PAGE_SECONDS))
    data["slides"] = slides
    (folder / "feed.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def write_breakdown_at_stop(path: Path):
    """For run_harness_here: the breakdown written to path when the app stops (after its last page)."""
    def on_start(app, settings):
        app.bind(on_stop=lambda *_: path.write_text(json.dumps(breakdown()), encoding="utf-8"))
    return on_start


def bare_picture(seconds: float) -> None:
    """Child: a bare Kivy app showing one full-screen picture at the display's size; its breakdown."""
    from kiosk.settings import DisplaySettings
    from screens.app import configure_kivy

    configure_kivy(DisplaySettings(), windowed=True, size=SIZE)
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.uix.image import Image

    class Picture(App):
        def build(self):
            Clock.schedule_once(lambda *_: (print(json.dumps(breakdown())), self.stop()), seconds)
            return Image(source=str(REPO / "config" / "media" / "infographic-ket-qua-bau-cu.png"), fit_mode="fill")

    Picture().run()


def run_bare_picture(seconds: float = 8) -> dict:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, __file__, "--bare", str(seconds)], capture_output=True, text=True,
                          timeout=seconds + 120)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=5000, help="pages shown in all")
    parser.add_argument("--baseline", type=int, default=500, help="pages shown before the baseline")
    parser.add_argument("--arena-max", type=int, help="MALLOC_ARENA_MAX for the display (default: as inherited)")
    parser.add_argument("--tracemalloc", action="store_true", help="trace Python's allocations (slower)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--bare", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run_harness_here(args.child, write_breakdown_at_stop(Path(args.child).with_name("breakdown.json")))
    if args.bare:
        bare_picture(args.bare)
        return 0

    print(f"machine: {machine()}")
    bare = run_bare_picture()
    env = {**({"MALLOC_ARENA_MAX": str(args.arena_max)} if args.arena_max else {}),
           **({"PYTHONTRACEMALLOC": "1"} if args.tracemalloc else {})}
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        feed = every_type_feed(Path(tmp) / "feed")
        config = {"feed": str(feed), "size": list(SIZE), "speed": SPEED, "run_seconds": 4 * 3600,
                  "start_at": "2026-12-01T08:30:00", "record": "counts", "sample_slide": ANCHOR,
                  "stop_after": args.changes}
        shown = run_harness_child(__file__, Path(tmp), config, timeout=4 * 3600 + 120, env=env)
        found = json.loads((Path(tmp) / "breakdown.json").read_text(encoding="utf-8"))
    minutes = (time.monotonic() - began) / 60
    samples = shown["samples"]
    start = next(i for i, s in enumerate(samples) if s["shown"] >= args.baseline)
    first, last = medians(samples[start:start + WINDOW]), medians(samples[-WINDOW:])
    print(f"{sum(shown['shown'].values())} pages shown in {minutes:.0f} min: "
          + ", ".join(f"{kind} {count}" for kind, count in sorted(shown["shown"].items())))
    print("every tenth sample: " + "; ".join(f"{s['shown']}: {s['rss_mb']:.0f} MB, {s['textures']} textures"
                                            for s in samples[::10]))
    columns = [f"about {first['shown']:.0f}", f"about {last['shown']:.0f}"]
    print(f"{'median of ' + str(WINDOW):12}{columns[0]:>14}{columns[1]:>14}")
    for figure in FIGURES:
        print(f"{figure:12}{first[figure]:>14g}{last[figure]:>14g}")
    print_breakdown(found, f"the display after {sum(shown['shown'].values())} changes")
    print_breakdown(bare, "a bare Kivy app showing one full-screen picture")
    over_bare = last["rss_mb"] / bare["rss MB"]
    print(f"steady resident memory {last['rss_mb']:.0f} MB = {over_bare:.2f}x the bare picture app "
          f"({bare['rss MB']:.0f} MB); target <= {TARGET_OVER_BARE}x")
    growth = last["rss_mb"] / first["rss_mb"] - 1
    steady = all(last[figure] <= first[figure] for figure in FIGURES[1:])
    print(f"resident memory {growth:+.1%}; target < {TARGET_GROWTH:.0%}, and no more threads, files or textures")
    result(f"memory ({sum(shown['shown'].values())} changes)", f"{last['rss_mb']:.0f} MB",
           f"{first['rss_mb']:.0f} MB (after about {first['shown']:.0f})", f"{growth:+.1%}",
           f"< {TARGET_GROWTH:.0%}; threads {last['threads']:g}, files {last['files']:g}, textures "
           f"{last['textures']:g} (were {first['threads']:g}, {first['files']:g}, {first['textures']:g}); "
           f"{over_bare:.2f}x a bare picture app ({bare['rss MB']:.0f} MB)",
           growth < TARGET_GROWTH and steady and over_bare <= TARGET_OVER_BARE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
