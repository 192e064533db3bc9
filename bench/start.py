"""Benchmark: from process start to the first slide drawn, the display on its sample feed at
1920x1080, against a bare "hello" Kivy app started the same way, in the same run.

Each start is a new process: `python -m kiosk run` as the service starts it, timed from just before
it is spawned to the end of the first frame that shows a slide (its GL work finished); the baseline
is a Kivy app whose window shows one label. One start of each warms the disk cache and is left
out; then rounds alternate the two, and the medians are compared.
Target (issue 6): within 1.5x of the bare app. Run (needs a display, e.g. under xvfb-run):
python bench/start.py [--rounds N]"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from common import REPO, machine, result, run_hello

TARGET = 1.5
SIZE = "1920x1080"


def report_first_frame(shown) -> None:
    """In the child: at the end of the first frame drawn once shown() holds, print the time and quit."""
    from kivy.app import App
    from kivy.core.window import Window
    from kivy.graphics.opengl import glFinish

    def flipped(*_):
        if shown():
            glFinish()
            print(f"drawn {time.monotonic()}", flush=True)
            Window.unbind(on_flip=flipped)
            App.get_running_app().stop()

    Window.bind(on_flip=flipped)


def child(kind: str) -> None:
    if kind == "hello":
        run_hello(SIZE, then=lambda: report_first_frame(lambda: True))
        return
    from screens import pin_kivy_environment

    pin_kivy_environment()  # as `kiosk run` does: our Kivy settings before Kivy loads
    from kivy.app import App
    from kivy.clock import Clock

    from kiosk.cli import main

    def slide_shown():
        player = getattr(App.get_running_app(), "player", None)
        return player is not None and player.view is not None

    Clock.schedule_once(lambda *_: report_first_frame(slide_shown), 0)
    main(["run", "--windowed", "--size", SIZE])


def time_start(kind: str, home: str) -> float:
    """Seconds from spawning the process to its first frame with content."""
    env = dict(os.environ, XDG_STATE_HOME=os.path.join(home, "state"), KIVY_HOME=os.path.join(home, "kivy"),
               KIVY_NO_ARGS="1")
    env.pop("WARD_KIOSK_STATE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules compiled once, by the first start
    began = time.monotonic()
    process = subprocess.Popen([sys.executable, __file__, "--child", kind], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    drawn = None
    for line in process.stdout:
        if line.startswith("drawn "):
            drawn = float(line.split()[1])
    if process.wait(timeout=120) != 0 or drawn is None:
        raise SystemExit(f"{kind}: no frame drawn (exit {process.returncode})")
    return drawn - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", choices=("hello", "app"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0

    print(f"machine: {machine()}")
    times = {"hello": [], "app": []}
    with tempfile.TemporaryDirectory() as home:
        for kind in times:  # first starts: Kivy's settings folder made, files in the disk cache
            time_start(kind, home)
        for number in range(1, args.rounds + 1):
            for kind in times:
                times[kind].append(time_start(kind, home))
            print(f"round {number}: hello {times['hello'][-1]:.2f} s, display {times['app'][-1]:.2f} s")
    hello, app = statistics.median(times["hello"]), statistics.median(times["app"])
    ratio = app / hello
    print(f"median: bare hello app {hello:.2f} s, display's first slide {app:.2f} s = {ratio:.2f}x; "
          f"target <= {TARGET}x")
    result(f"start ({SIZE}, first slide drawn)", f"{app:.2f} s", f"{hello:.2f} s (bare hello app)",
           f"{ratio:.2f}x", f"<= {TARGET}x", ratio <= TARGET)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
