"""The watch on installed feeds (screens/display.py FeedHandoff): when another process installs
feeds faster than one can be read (a slow board, `kiosk sync` run twice), one read at a time, and
the newest feed is the one handed over, never an older one after it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

WATCH = """
import json, shutil, sys, threading, time
from pathlib import Path
import screens
from kivy.clock import Clock
from kiosk.delivery.store import INSTALLED_MANIFEST, Store
from kiosk.feed.validate import load_feed
from kiosk.play.content import InstalledContent
from screens.display import FeedHandoff

state, source = Path(sys.argv[1]), Path("tests/feeds/minimal")
store = Store(state)
for name in ("versions", "objects", "partial"):
    (state / "feed" / name).mkdir(parents=True, exist_ok=True)
folders = []
for number in range(1, 7):
    folder = store.versions / f"v{number:08d}-{number:012d}"
    shutil.copytree(source, folder)
    (folder / INSTALLED_MANIFEST).write_text("{}", encoding="utf-8")  # the watch reads only the feed
    folders.append(folder)
reading, most = [], [0]

def slow_read(folder):
    reading.append(folder)
    most[0] = max(most[0], len(reading))
    time.sleep(0.4)  # a board busy with its slides reads the feed slowly
    try:
        return load_feed(folder)
    finally:
        reading.remove(folder)

handed = []
handoff = FeedHandoff(InstalledContent(state, source, load=slow_read),
                      install=lambda feed, folder: handed.append(folder.name))
deadline = time.monotonic() + 20
for folder in folders:  # a new one every 0.1 s, each looked at by the watch
    store.switch_to(folder)
    handoff._look(None)
    Clock.tick()
    time.sleep(0.1)
while (not handed or handed[-1] != folders[-1].name) and time.monotonic() < deadline:
    handoff._look(None)
    Clock.tick()
    time.sleep(0.1)
print(json.dumps({"handed": handed, "most": most[0], "newest": folders[-1].name,
                  "readers": sum(t.name == "feed-load" for t in threading.enumerate())}))
"""


def test_one_read_at_a_time_and_the_newest_feed_is_handed_over(tmp_path):
    script = tmp_path / "watch.py"
    script.write_text(WATCH, encoding="utf-8")
    env = dict(os.environ, KIVY_HOME=str(tmp_path / "kivy"), KIVY_NO_ARGS="1", PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "state")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["most"] == 1, seen  # never two reads at once: on a slow board they would pile up
    assert seen["handed"][-1] == seen["newest"], seen
    assert seen["handed"] == sorted(seen["handed"]), "never an older one after a newer"
    assert seen["readers"] == 0, seen
