"""Benchmark: memory after 5,000 slide changes against memory after the first 500, on an
accelerated clock over every slide type, images and video included, in the same run.

The display (tests/kiosk_harness.py: the real app in a real window, 1920x1080) plays the sample's
slides (delegate lists, leaders, resolutions, infographics, stories), each page 15 feed-seconds
long on a clock 20 times as fast (0.75 s), the sample video cut after 2 s at every round of the
loop, and played to its end once a feed hour (a slide shown only in the first ten minutes of each
hour). At each appearance of one slide, always after the same one, the app writes down its resident
memory, threads (native ones too), open files and live Kivy textures. What is on screen and what is
being prepared differ a little from one appearance to the next, so the medians of five are
compared: of the first five appearances after change 500 (the baseline), and of the last five.
Target (issue 6): resident memory grows less than 10%; threads, files and textures do not grow.
Run (needs a display, e.g. under xvfb-run; about an hour): python bench/memory.py [--changes N]"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from common import REPO, machine, result

TARGET_GROWTH = 0.10
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=5000, help="pages shown in all")
    parser.add_argument("--baseline", type=int, default=500, help="pages shown before the baseline")
    args = parser.parse_args()

    from test_display_loop import run_display

    print(f"machine: {machine()}")
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        feed = every_type_feed(Path(tmp) / "feed")
        shown = run_display(Path(tmp), feed, size=(1920, 1080), speed=SPEED, seconds=4 * 3600,
                            start_at="2026-12-01T08:30:00", record="counts", sample_slide=ANCHOR,
                            stop_after=args.changes)
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
    growth = last["rss_mb"] / first["rss_mb"] - 1
    steady = all(last[figure] <= first[figure] for figure in FIGURES[1:])
    print(f"resident memory {growth:+.1%}; target < {TARGET_GROWTH:.0%}, and no more threads, files or textures")
    result(f"memory ({sum(shown['shown'].values())} changes)", f"{last['rss_mb']:.0f} MB",
           f"{first['rss_mb']:.0f} MB (after about {first['shown']:.0f})", f"{growth:+.1%}",
           f"< {TARGET_GROWTH:.0%}; threads {last['threads']:g}, files {last['files']:g}, textures "
           f"{last['textures']:g} (were {first['threads']:g}, {first['files']:g}, {first['textures']:g})",
           growth < TARGET_GROWTH and steady)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
