"""kiosk.ops.memory: full passes of the cyclic collector only when the display asks, and freed
memory in the middle of the heap given back to the kernel."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from kiosk.ops.memory import OVERDUE_SECONDS, QuietCollector, give_back_free_memory

BLOCK = 16 * 1024  # under glibc's mmap threshold: these come from the heap, as a slide's layouts do
BLOCKS = 6400  # 100 MB


def resident_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


def test_freed_blocks_below_a_live_one_are_given_back():
    blocks = [bytearray(b"x" * BLOCK) for _ in range(BLOCKS)]
    keeper = bytearray(b"k" * BLOCK)  # above them, alive: the heap's top cannot shrink by itself
    del blocks
    before = resident_mb()
    assert give_back_free_memory()
    after = resident_mb()
    assert before - after > 60, (before, after)
    assert keeper[0] == ord("k")


@pytest.fixture
def thresholds():
    """The collector as it was before a test took it over."""
    kept = gc.get_threshold()
    yield
    gc.set_threshold(*kept)
    gc.unfreeze()


class Node:
    def __init__(self):
        self.me = self  # a cycle: only the collector frees it


def full_passes_while(work) -> int:
    passes = []

    def seen(phase, info):
        if phase == "start" and info["generation"] == 2:
            passes.append(info)

    gc.callbacks.append(seen)
    try:
        work()
    finally:
        gc.callbacks.remove(seen)
    return len(passes)


def litter(rounds: int = 200, each: int = 2_000) -> None:
    """Cycles that live long enough to reach the oldest generation, then are dropped, as a left slide is."""
    for _ in range(rounds):
        kept = [Node() for _ in range(each)]
        gc.collect(1)  # they survive the young passes: into the oldest generation
        del kept


def test_the_collector_makes_no_full_pass_of_its_own_once_taken_over(thresholds):
    assert full_passes_while(litter) > 0, "without the display's say, the collector starts full passes"
    collector = QuietCollector()
    collector.take_over()
    assert full_passes_while(litter) == 0
    assert collector.collect() >= 200 * 2_000 * 0.9  # what was left there, found when asked


def test_a_full_pass_comes_when_none_came_for_a_while(thresholds):
    now = [0.0]
    collector = QuietCollector(monotonic=lambda: now[0])
    collector.take_over()
    now[0] = OVERDUE_SECONDS - 1
    assert full_passes_while(collector.collect_if_overdue) == 0
    now[0] = OVERDUE_SECONDS
    assert full_passes_while(collector.collect_if_overdue) == 1
    assert full_passes_while(collector.collect_if_overdue) == 0, "counted again from the pass just made"


def test_what_the_display_holds_once_started_is_left_out_of_every_pass(thresholds):
    held = [Node() for _ in range(50_000)]  # the app, its frame, the fonts' tables
    QuietCollector().take_over()
    assert gc.get_freeze_count() >= 50_000
    assert held[0].me is held[0]


def test_no_pass_while_a_feed_is_read(thresholds):
    collector = QuietCollector()
    collector.take_over()
    gc.disable()  # as kiosk.feed.yamlsource.cycle_collector_paused does in another thread
    try:
        assert full_passes_while(collector.collect) == 0
    finally:
        gc.enable()
    assert full_passes_while(collector.collect) == 1


def test_the_collector_resumes_when_the_last_of_two_overlapping_readers_is_done():
    """The display's sync thread and the staff panel's worker may read a feed at the same time."""
    from kiosk.feed.yamlsource import cycle_collector_paused

    first, second = cycle_collector_paused(), cycle_collector_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled(), "the second is still reading"
    second.__exit__(None, None, None)
    assert gc.isenabled()
