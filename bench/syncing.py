"""Benchmark: the transitions while the sync thread downloads and hashes a 100 MB video in the background.

As bench/transitions.py (the sample feed at 1920x1080 on an accelerated clock, every frame written
down), with the app's sync thread (kiosk.delivery.sync.SyncLoop) running in the display's process: it
downloads a newly published feed holding a 100 MB video from nginx on 127.0.0.1, throttled to a
slow link (nginx `limit_rate`), and hashes it, while the transitions run. The baseline is the bare
full-screen redraw, measured just before and just after in the same run.
Targets (issue 13): at least 90% of the bare rate during transitions, no page more than two frames
late. Run (needs a display, e.g. under xvfb-run):
python bench/syncing.py [--seconds N] [--rate R] [--megabytes N]"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import tempfile
from pathlib import Path

from common import REPO, machine, result, run_harness_child, run_harness_here
from transitions import SIZE, SPEED, TARGET, fading_fps, run_bare, run_display_round, steady_fps

VIDEO = "media/video-nhiem-ky-moi.mp4"


def big_video(source: Path, target: Path, megabytes: int) -> None:
    """The sample video grown to this size by a `free` box at its end, which players skip."""
    data = source.read_bytes()
    padding = megabytes * 1024 * 1024 - len(data)
    with open(target, "wb") as out:
        out.write(data)
        out.write(struct.pack(">I4s", padding, b"free"))
        block = os.urandom(1024 * 1024)  # not compressible, as a video is
        left = padding - 8
        while left > 0:
            out.write(block[:left])
            left -= len(block)


def child(config_path: str) -> int:
    """The harness, its display's own sync thread woken at once; at the end, what it kept."""

    def sync_now(app, settings):
        app.display.sync.wake()  # at once, not after the first delay

    code = run_harness_here(config_path, sync_now)
    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    feed_state = Path(config["settings"]["state_dir"]) / "feed"
    kept = {folder: round(sum(f.stat().st_size for f in (feed_state / folder).glob("*")) / 2**20, 1)
            for folder in ("objects", "partial") if (feed_state / folder).exists()}
    Path(config["out"] + ".sync").write_text(json.dumps(kept), encoding="utf-8")
    return code


def run_display_with_sync(tmp: Path, seconds: float, rate: str, megabytes: int) -> dict:
    import feed_servers

    from kiosk.delivery import signing
    from kiosk.delivery.publish import publish

    # The tests' nginx, every file sent no faster than `rate`.
    feed_servers.NGINX_CONF = feed_servers.NGINX_CONF.replace("location / {{ }}", f"location / {{{{ limit_rate {rate}; }}}}")
    nginx = feed_servers.Nginx(tmp)
    try:
        source = tmp / "src"
        shutil.copytree(REPO / "config", source)
        big_video(REPO / "config" / VIDEO, source / VIDEO, megabytes)
        key = signing.new_private_key()
        site, url = nginx.site("kiosk")
        publish(source, site, key)
        config = {"feed": str(REPO / "config"), "size": list(SIZE), "speed": SPEED, "run_seconds": seconds,
                  "record": "light", "frames": True,
                  "settings": {"feed_url": url, "public_key": signing.public_key_text(key),
                               "state_dir": str(tmp / "state")}}
        shown = run_harness_child(__file__, tmp, config, timeout=seconds + 120)
        shown["sync"] = json.loads((tmp / "shown.json.sync").read_text(encoding="utf-8"))
        shown["requests"] = [(r.path, r.status, r.body_bytes) for r in nginx.requests("/kiosk/")]
        return shown
    finally:
        nginx.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0, help="real seconds of the display")
    parser.add_argument("--rate", default="4m", help="nginx limit_rate of the slow link (bytes a second)")
    parser.add_argument("--megabytes", type=int, default=100, help="size of the video downloaded")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)

    print(f"machine: {machine()}")
    before = run_bare(8)
    quiet = run_display_round(args.seconds)  # the same display without a sync, for comparison
    with tempfile.TemporaryDirectory() as tmp:
        shown = run_display_with_sync(Path(tmp), args.seconds, args.rate, args.megabytes)
    after = run_bare(8)
    bare = (steady_fps(before["frames"]) + steady_fps(after["frames"])) / 2
    frames = shown["frames"]
    fps = fading_fps(frames)
    intervals = sorted(b - a for (a, _), (b, _) in zip(frames, frames[1:]))
    frame = intervals[len(intervals) // 2]
    events = shown["events"]
    # A page after a video appears when the video ends, not at a deadline.
    latest = max((e for before, e in zip(events, events[1:]) if before["type"] != "video"), key=lambda e: e["late"])
    late = latest["late"]
    sync = shown["sync"]
    downloaded = sum(size for path, _, size in shown["requests"] if path.endswith(".mp4")) / 2**20
    hashed = sync.get("objects", 0) >= args.megabytes
    print(f"renderer: {before['renderer']}; window {SIZE[0]}x{SIZE[1]}; nginx limit_rate {args.rate}")
    print(f"sync: {downloaded:.1f} MB of the {args.megabytes} MB video sent during the run; verified and kept "
          f"{sync.get('objects', 0)} MB, unfinished {sync.get('partial', 0)} MB")
    print(f"bare redraw {bare:.1f} fps; transitions without a sync {quiet['fps']:.1f} fps "
          f"({quiet['fps'] / bare:.0%}), latest page {max(quiet['late']) * 1000:.0f} ms late")
    print(f"transitions while syncing {fps:.1f} fps = {fps / bare:.0%} of bare; target >= {TARGET:.0%}")
    print(f"latest page while syncing: {late * 1000:.0f} ms after its deadline ({latest['id']} page "
          f"{latest['page'] + 1}); allowed: two frames ({2 * frame * 1000:.0f} ms)")
    result(f"transitions while syncing {args.megabytes} MB ({SIZE[0]}x{SIZE[1]})", f"{fps:.1f} fps",
           f"{bare:.1f} fps (bare redraw); {quiet['fps']:.1f} fps without sync", f"{fps / bare:.0%}",
           f">= {TARGET:.0%}, no page late > 2 frames ({late * 1000:.0f} ms)"
           + ("" if hashed else "; download not finished in the run"),
           hashed and fps / bare >= TARGET and late <= 2 * frame)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
