"""A running display reads a feed in a child process at the lowest priority (kiosk.feed.apart):
the same result as reading it here, the child really at the lowest priority, and the feed still
read when no child can run."""

import os
import sys
import threading
import time
from pathlib import Path

from kiosk.feed import apart
from kiosk.feed.validate import load_feed
from stress_feed import large_feed

REPO = Path(__file__).resolve().parents[1]


def test_the_child_gives_what_load_feed_gives_here(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "feed.yaml").write_text("version: 1\nward: [\n", encoding="utf-8")
    for folder, name in ((REPO / "config", None), (broken, "feed.yaml"), (tmp_path / "missing", None)):
        here, there = load_feed(folder, display_name=name), apart.load_feed_apart(folder, display_name=name)
        assert there.problems == here.problems
        assert (there.feed is None) == (here.feed is None)
        if here.feed is not None:
            assert there.feed == here.feed
            assert there.document is None


def _children_niceness(stop: threading.Event, seen: list) -> None:
    me = str(os.getpid())
    while not stop.is_set():
        for entry in Path("/proc").iterdir():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[1] == me:  # fields after the name: state, ppid, ... niceness is the 17th
                seen.append(int(fields[16]))
        time.sleep(0.02)


def test_the_child_runs_at_the_lowest_priority(tmp_path):
    folder = large_feed(tmp_path / "feed", 3_000, 300)  # a second or so of checking: time to look
    stop, seen = threading.Event(), []
    looker = threading.Thread(target=_children_niceness, args=(stop, seen))
    looker.start()
    try:
        assert apart.load_feed_apart(folder).feed is not None
    finally:
        stop.set()
        looker.join()
    assert seen and max(seen) == apart.LOWEST_PRIORITY, seen


def test_with_no_child_the_feed_is_read_here_and_said(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    result = apart.load_feed_apart(REPO / "config")
    assert result.feed is not None
    assert "ở tiến trình riêng" in caplog.text and "no-python" in caplog.text
