"""Which feed a display shows: the one sync installed, else the one its settings name, else the
bundled sample; and whether a newer installed feed (another process's `kiosk sync`) is there."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

from kiosk.feed.model import Feed
from kiosk.settings import SAMPLE_FEED, load_settings
from kiosk.delivery.sync import installed_feed
from kiosk.feed.validate import load_feed

log = logging.getLogger(__name__)


def load_display(feed_arg: Path | None, settings_file: Path):
    """Settings and feed for a display (`run`, `preview`): (settings, feed, folder), or None.
    Every problem is printed, one line each, before any window opens."""
    settings, problems = load_settings(settings_file)
    for problem in problems:
        print(problem, file=sys.stderr)
    if settings is None:
        return None
    folder = Path(feed_arg) if feed_arg else starting_folder(settings, settings_file)
    result = load_feed(folder)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    if result.feed is None:
        return None
    return settings, result.feed, folder if folder.is_dir() else folder.parent


def starting_folder(settings, settings_file: Path | None) -> Path:
    """Installed content first (it works with no network), then the settings' folder, then the sample."""
    installed = installed_feed(settings.state_path())
    if installed is not None:
        return installed
    if settings.feed:
        base = settings_file.parent if settings_file else Path.cwd()
        return (base / settings.feed).resolve()
    return SAMPLE_FEED


class InstalledContent:
    """Follows sync's `current` pointer to the newest installed feed, for one display. Safe from
    any thread: `changed()` is the cheap look (the pointer and two file checks, no parsing) that the
    Kivy thread may take often; `load()` reads and validates (a worker's job); `taken()` notes a
    feed the app's own sync thread installed and hands over already validated."""

    def __init__(self, state_dir: Path, shown_folder: Path, load=load_feed):
        self.state_dir = Path(state_dir)
        self.read = load  # a running display reads in a child process (kiosk.feed.apart)
        self.shown_at_start = Path(shown_folder)
        self._latest = self.shown_at_start  # the newest folder known: shown, handed over or being loaded
        self._lock = threading.Lock()

    def taken(self, folder: Path) -> None:
        with self._lock:
            self._latest = Path(folder)

    def is_latest(self, folder: Path) -> bool:
        """False once a newer feed came meanwhile: a slow load must not put an older feed back."""
        with self._lock:
            return self._latest == Path(folder)

    def changed(self) -> Path | None:
        """The folder the pointer names, once, when it is none the display knows."""
        folder = installed_feed(self.state_dir)
        with self._lock:
            if folder is None or folder == self._latest:
                return None
            self._latest = folder
            return folder

    def load(self, folder: Path) -> Feed | None:
        """The feed in folder, or None (said in the log): the display keeps what it shows."""
        result = self.read(folder)
        if result.feed is None:  # sync checks before installing; this guards against a damaged disk
            log.error("bản tin đã cài ở %s không đọc được, giữ bản đang chiếu: %s", folder,
                      "; ".join(str(p) for p in result.errors[:3]))
        return result.feed
