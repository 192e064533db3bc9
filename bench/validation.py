"""Benchmark: checking a large feed (10,000 delegates, 2,000 FAQ entries) the way `kiosk validate`,
`kiosk publish`, the sync and the app do (kiosk.feed.validate.load_feed), against a plain read of the
same file with PyYAML's C parser (libyaml, which load_feed uses too), in the same run.

The feed is the sample feed with 100 generated delegate lists of 100 people (name, position,
votes, percent) and the generated FAQ of tests/faq_corpus.py. The baseline only reads the YAML:
no line numbers, no anchor check, no schema, no media, no sorting; PyYAML's default pure-Python
yaml.safe_load is shown too, for reference.
Target (issue 6): under 1 s. Run: python bench/validation.py [--delegates N] [--faq N] [--repeat N]"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from common import machine, result
from stress_feed import large_feed

TARGET_SECONDS = 1.0
def seconds(work, repeat: int) -> float:
    """The median of `repeat` runs."""
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        runs.append(time.perf_counter() - began)
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delegates", type=int, default=10_000)
    parser.add_argument("--faq", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from kiosk.feed.validate import load_feed

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = large_feed(Path(tmp) / "feed", args.delegates, args.faq)
        text = (folder / "feed.yaml").read_text(encoding="utf-8")
        checked = load_feed(folder)
        if checked.feed is None:
            raise SystemExit("the generated feed is not valid:\n" + "\n".join(map(str, checked.errors[:10])))
        people = sum(len(getattr(slide, "people", ())) for slide in checked.feed.slides)
        entries = sum(len(topic.questions) for topic in checked.feed.faq)
        print(f"feed.yaml: {len(text.encode()) / 1024:.0f} KB, {text.count(chr(10))} lines; "
              f"{len(checked.feed.slides)} slides, {people} people, {entries} FAQ entries")
        pure_python = seconds(lambda: yaml.safe_load(text), 1)
        baseline = seconds(lambda: yaml.load(text, Loader=yaml.CSafeLoader), args.repeat)
        measured = seconds(lambda: load_feed(folder), args.repeat)
    ratio = measured / baseline
    print(f"median of {args.repeat}: yaml.load with libyaml {baseline:.3f} s (pure-Python yaml.safe_load: "
          f"{pure_python:.3f} s); load_feed {measured:.3f} s ({ratio:.2f}x); target < {TARGET_SECONDS:g} s")
    result("validation (10,000 delegates, 2,000 FAQ)", f"{measured:.2f} s",
           f"{baseline:.2f} s (yaml.load, libyaml)", f"{ratio:.2f}x", f"< {TARGET_SECONDS:g} s",
           measured < TARGET_SECONDS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
