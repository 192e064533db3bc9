"""Benchmark: CPU used while a still slide is shown (no video, no ticker), against a bare "hello"
Kivy app left open, in the same run.

The display runs as the service runs it (`python -m kiosk run`, 1920x1080) on the sample feed
without its video and ticker, each slide lasting ten minutes; after it settles, the CPU time of the
whole process (every thread) is read from /proc/PID/stat over the measured seconds. The baseline
is the same reading of a Kivy window showing one label: what Kivy's own idle loop costs.
Target (issue 6): under 2% of one core. Run (needs a display, e.g. under xvfb-run):
python bench/idle.py [--seconds N] [--settle N]"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from common import REPO, machine, result, run_hello

TARGET_PERCENT = 2.0
SIZE = "1920x1080"


def still_feed(folder: Path) -> Path:
    """The sample feed without video and ticker, every slide ten minutes long."""
    shutil.copytree(REPO / "config", folder)
    data = yaml.safe_load((folder / "feed.yaml").read_text(encoding="utf-8"))
    data.pop("ticker", None)
    data["slides"] = [dict(slide, duration=600) for slide in data["slides"] if slide["type"] != "video"]
    (folder / "feed.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def cpu_seconds(pid: int) -> float:
    """User and system time of the process and all its threads so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_percent(command: list[str], env: dict, settle: float, seconds: float) -> float:
    """Percent of one core the process uses over `seconds`, after `settle` seconds."""
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(settle)
        before, began = cpu_seconds(process.pid), time.monotonic()
        time.sleep(seconds)
        used, spent = cpu_seconds(process.pid) - before, time.monotonic() - began
        if process.poll() is not None:
            raise SystemExit(f"{command}: stopped early\n{process.stderr.read()[-3000:]}")
    finally:
        process.terminate()
        process.communicate(timeout=30)
    return 100 * used / spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--settle", type=float, default=10.0, help="seconds to wait before measuring")
    parser.add_argument("--hello", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hello:
        run_hello(SIZE)
        return 0

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        feed = still_feed(Path(tmp) / "feed")
        env = dict(os.environ, XDG_STATE_HOME=str(Path(tmp) / "state"), KIVY_HOME=str(Path(tmp) / "kivy"),
                   KIVY_NO_ARGS="1")
        env.pop("WARD_KIOSK_STATE", None)
        display = idle_percent([sys.executable, "-m", "kiosk", "run", "--windowed", "--size", SIZE, str(feed)],
                               env, args.settle, args.seconds)
        hello = idle_percent([sys.executable, __file__, "--hello"], env, args.settle, args.seconds)
    print(f"over {args.seconds:g} s after {args.settle:g} s: display {display:.2f}% of one core, "
          f"bare hello app {hello:.2f}%; target < {TARGET_PERCENT:g}%")
    result(f"idle (still slide, {args.seconds:g} s)", f"{display:.2f}% of a core", f"{hello:.2f}% (bare hello app)",
           f"{display / hello:.2f}x", f"< {TARGET_PERCENT:g}% of a core", display < TARGET_PERCENT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
