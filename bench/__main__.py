"""Runs every benchmark, one after another, and prints their results as the README's table.

    xvfb-run -a -s "-screen 0 1920x1080x24" python -m bench            # all of them, about 1.75 hours
    xvfb-run -a -s "-screen 0 1920x1080x24" python -m bench --quick    # shorter runs, about 15 minutes
    python -m bench search validation                                  # some of them
    xvfb-run -a -s "-screen 0 1920x1080x24" python -m bench --budget pi  # in one CPU and 1 GB (bench/budget.py)

The window benchmarks (start, transitions, idle, memory, syncing, swapping, soak) need a display: a real one, or Xvfb."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from budget import pi_budget  # noqa: E402
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
    "syncing": ([], [], True),
    "swapping": ([], ["--quiet", "10", "--seconds", "30"], True),
    "soak": ([], ["--seconds", "120"], True),
}
# In a small board's budget: the window benchmarks, the memory one shorter.
BUDGET_BENCHMARKS = {"start": None, "transitions": None, "idle": None,
                     "memory": (["--changes", "1500", "--baseline", "300"], ["--changes", "600", "--baseline", "100"]),
                     "soak": None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[[], *BENCHMARKS], default=[], metavar="NAME",
                        help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="shorter runs, rougher figures")
    parser.add_argument("--budget", choices=["pi"], help="inside one CPU and 1 GB of memory (a Raspberry Pi's)")
    args = parser.parse_args()
    names = args.names or list(BUDGET_BENCHMARKS if args.budget else BENCHMARKS)
    budget = pi_budget() if args.budget else None
    if budget is not None:
        print(f"budget: {budget.how}", flush=True)
    if not os.environ.get("DISPLAY") and any(BENCHMARKS[name][2] for name in names):
        print('no display: run under Xvfb, e.g. xvfb-run -a -s "-screen 0 1920x1080x24" python -m bench',
              file=sys.stderr)
        return 2

    rows, failed = [], []
    for name in names:
        full, quick, _ = BENCHMARKS[name]
        if budget is not None and BUDGET_BENCHMARKS.get(name):
            full, quick = BUDGET_BENCHMARKS[name]
        print(f"\n=== {name}", flush=True)
        began = time.monotonic()
        command = [sys.executable, str(HERE / f"{name}.py"), *(quick if args.quick else full)]
        process = subprocess.Popen([*(budget.prefix if budget else []), *command], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, preexec_fn=budget.enter if budget else None)
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.startswith(RESULT):
                rows.append(line[len(RESULT):].strip())
        code = process.wait()
        if code != 0:
            failed.append(name + (" (killed)" if code < 0 else ""))
        print(f"({name}: {time.monotonic() - began:.0f} s" + (f"; {budget.report()})" if budget else ")"))
    if budget is not None:
        budget.close()

    print(f"\nmachine: {machine()}" + (" (quick runs)" if args.quick else "")
          + (f"\nbudget: {budget.how}" if budget else ""))
    print("| benchmark | measured | baseline (same run) | ratio | target | met? |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row} |")
    for name in failed:
        print(f"| {name} | failed: see its output above | | | | no |")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
