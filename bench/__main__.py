"""Runs every benchmark, one after another, and prints their results as the README's table.

    xvfb-run -a -s "-screen 0 1920x1080x24" python -m bench            # all of them, about 1.5 hours
    xvfb-run -a -s "-screen 0 1920x1080x24" python -m bench --quick    # shorter runs, about 10 minutes
    python -m bench search validation                                  # some of them

The window benchmarks (start, transitions, idle, memory) need a display: a real one, or Xvfb."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import RESULT, machine  # noqa: E402

# name: (arguments of a full run, of a quick one, whether it opens a window)
BENCHMARKS = {
    "start": ([], ["--rounds", "3"], True),
    "transitions": ([], ["--rounds", "2"], True),
    "idle": ([], ["--seconds", "15", "--settle", "5"], True),
    "memory": ([], ["--changes", "600", "--baseline", "100"], True),
    "search": ([], [], False),
    "validation": ([], ["--repeat", "3"], False),
    "fleet": ([], ["--displays", "50"], False),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[[], *BENCHMARKS], default=[], metavar="NAME",
                        help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="shorter runs, rougher figures")
    args = parser.parse_args()
    names = args.names or list(BENCHMARKS)
    if not os.environ.get("DISPLAY") and any(BENCHMARKS[name][2] for name in names):
        print('no display: run under Xvfb, e.g. xvfb-run -a -s "-screen 0 1920x1080x24" python -m bench',
              file=sys.stderr)
        return 2

    rows, failed = [], []
    for name in names:
        full, quick, _ = BENCHMARKS[name]
        print(f"\n=== {name}", flush=True)
        began = time.monotonic()
        process = subprocess.Popen([sys.executable, str(HERE / f"{name}.py"), *(quick if args.quick else full)],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.startswith(RESULT):
                rows.append(line[len(RESULT):].strip())
        if process.wait() != 0:
            failed.append(name)
        print(f"({name}: {time.monotonic() - began:.0f} s)")

    print(f"\nmachine: {machine()}" + (" (quick runs)" if args.quick else ""))
    print("| benchmark | measured | baseline (same run) | ratio | target | met? |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row} |")
    for name in failed:
        print(f"| {name} | failed: see its output above | | | | no |")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
