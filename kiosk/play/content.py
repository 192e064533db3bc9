"""Which feed a display shows: the one sync installed, else the one its settings name, else the
bundled sample; and, at each slide change, whether a newer installed feed is ready to swap in."""

from __future__ import annotations

import logging
import sys
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
    """Watches sync's `current` pointer; `fresh()` is cheap enough to call at every slide change."""

    def __init__(self, state_dir: Path, shown_folder: Path):
        self.state_dir = Path(state_dir)
        self.shown = Path(shown_folder)
        self._refused: Path | None = None

    def fresh(self) -> tuple[Feed, Path] | None:
        """The newly installed feed and its folder, once, when it differs from the one shown."""
        folder = installed_feed(self.state_dir)
        if folder is None or folder == self.shown or folder == self._refused:
            return None
        result = load_feed(folder)
        if result.feed is None:  # sync checks before installing; this guards against a damaged disk
            log.error("bản tin đã cài ở %s không đọc được, giữ bản đang chiếu: %s", folder,
                      "; ".join(str(p) for p in result.errors[:3]))
            self._refused = folder
            return None
        log.info("chuyển sang bản tin phiên bản %s", result.feed.version)
        self.shown = folder
        return result.feed, folder
