"""Benchmark: the soak (tests/test_soak.py) for longer than the suite runs it: the display loop on an
accelerated clock while new feeds are installed underneath it, every few seconds, a broken one now
and then. It passes when the loop ran on, took up every good feed, refused the broken ones, and its
threads, files, textures and resident memory did not grow (the test's own checks).
Run (needs a display, e.g. under xvfb-run): python bench/soak.py [--seconds N]"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from common import REPO, machine, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="real seconds of the soak")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_soak.py"],
                          cwd=REPO, env=dict(os.environ, SOAK_SECONDS=f"{args.seconds:g}"),
                          capture_output=True, text=True)
    print(done.stdout[-3000:], done.stderr[-2000:], sep="")
    passed = done.returncode == 0
    result(f"soak ({args.seconds:g} s, feeds swapped every 2.5 s)", "passed" if passed else "failed",
           "", "", "no crash, no growth of threads, files, textures; memory < +25%", passed)
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
