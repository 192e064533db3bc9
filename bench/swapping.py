"""Benchmark: the longest wait between two frames while a 10,000-delegate feed is swapped in, against
the longest wait of the same run before the swap.

The display runs the sample feed at 1920x1080 on an accelerated clock in a real window
(tests/kiosk_harness.py), every frame written down, with its own sync thread pointed at nginx on
127.0.0.1. After QUIET seconds the 10,000-delegate feed (tests/stress_feed.py large_feed, 2,000 FAQ
entries) is uploaded and the sync thread woken: it downloads, checks and installs the feed and hands
it to the Kivy thread, which shows it from the next slide change; measured until AFTER_SWAP seconds
after that. The baseline is the same run's longest wait before the upload: the loop, the ticker,
the machine, with no swap.
Target (issue 12): no frame gap over 100 ms. Run (needs a display, e.g. under xvfb-run):
python bench/swapping.py [--quiet N] [--seconds N]"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import REPO, machine, result
from transitions import SIZE, SPEED

TARGET = 0.100
DELEGATES = 10_000
AFTER_SWAP = 3.0  # seconds measured after the frame took the new feed: its first slides


def run_swap(tmp: Path, quiet: float, seconds: float) -> dict:
    import feed_servers
    from kiosk_harness import longest_gap
    from stress_feed import large_feed
    from test_display_loop import run_display

    from kiosk.delivery import signing
    from kiosk.delivery.publish import publish

    nginx = feed_servers.Nginx(tmp)
    try:
        key = signing.new_private_key()
        site, url = nginx.site("kiosk")
        publish(large_feed(tmp / "feed", DELEGATES, 2_000), tmp / "upload", key)
        # Uploaded only at `quiet`: the sync thread's first cycle finds nothing and waits for its retry.
        actions = [{"at": quiet - 1, "spawn": ["cp", "-r", f"{tmp / 'upload'}/.", str(site)], "checks": False},
                   {"at": quiet, "sync_now": True, "checks": False}]
        settings = {"feed_url": url, "public_key": signing.public_key_text(key), "state_dir": str(tmp / "state"),
                    "poll_seconds": 3600}
        shown = run_display(tmp, REPO / "config", size=SIZE, speed=SPEED, seconds=seconds, settings=settings,
                            actions=actions, frames=True, record="light")
    finally:
        nginx.stop()
    began = shown["actions"][-1]["real"]
    took_over = shown["feed_changes"][0][0] if shown["feed_changes"] else None
    ended = min(took_over + AFTER_SWAP, seconds - 0.5) if took_over else seconds - 0.5
    return {"quiet": longest_gap(shown["frames"], after=2.0, before=quiet),
            "swap": longest_gap(shown["frames"], after=began, before=ended),
            "began": began, "took_over": took_over}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", type=float, default=15.0, help="real seconds of the loop before the swap")
    parser.add_argument("--seconds", type=float, default=45.0, help="real seconds of the display in all")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        run = run_swap(Path(tmp), args.quiet, args.seconds)
    (quiet, quiet_at), (gap, gap_at) = run["quiet"], run["swap"]
    print(f"window {SIZE[0]}x{SIZE[1]}; the loop on the sample feed, then the {DELEGATES:,}-delegate feed "
          f"from {run['began']:.1f} s, "
          + (f"on screen from {run['took_over']:.1f} s" if run["took_over"] else "NOT installed in the run"))
    print(f"longest wait between frames before the swap {quiet * 1000:.0f} ms (until {quiet_at:.1f} s); "
          f"during the swap {gap * 1000:.0f} ms (until {gap_at:.1f} s); target <= {TARGET * 1000:.0f} ms")
    result(f"longest frame gap during a live swap ({DELEGATES:,} delegates, {SIZE[0]}x{SIZE[1]})",
           f"{gap * 1000:.0f} ms", f"{quiet * 1000:.0f} ms (same run, before the swap)",
           f"{gap / quiet:.2f}x" if quiet else "-", f"<= {TARGET * 1000:.0f} ms",
           run["took_over"] is not None and gap <= TARGET)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
