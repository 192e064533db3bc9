"""How a display is put together.

FeedHandoff brings each newly installed feed to the player on the Kivy thread, read and
validated elsewhere: the app's own sync thread hands over what it installed; another process's
`kiosk sync` is noticed by a cheap look at the pointer each second, and loaded in a worker thread."""

from __future__ import annotations

import logging
import threading

from kivy.clock import Clock

from kiosk.play.content import InstalledContent

log = logging.getLogger("kiosk.player")

POINTER_LOOK_SECONDS = 1.0


class FeedHandoff:
    def __init__(self, content: InstalledContent, install):
        self.content = content
        self.install = install  # install(feed, folder), called on the Kivy thread
        self._look_event = None
        self._handed = content.shown_at_start  # the folder last handed over (the Kivy thread's own)

    def from_sync(self, feed, folder) -> None:
        """The sync thread installed this feed (called on that thread)."""
        self.content.taken(folder)
        Clock.schedule_once(lambda _: self._hand_over(feed, folder), 0)

    def watch(self) -> None:
        self._look_event = Clock.schedule_interval(self._look, POINTER_LOOK_SECONDS)

    def stop(self) -> None:
        if self._look_event is not None:
            self._look_event.cancel()

    def _look(self, _) -> None:
        folder = self.content.changed()
        if folder is not None:
            threading.Thread(target=self._load, args=(folder,), name="feed-load", daemon=True).start()

    def _load(self, folder) -> None:
        feed = self.content.load(folder)
        if feed is not None:
            Clock.schedule_once(lambda _: self._hand_over(feed, folder), 0)

    def _hand_over(self, feed, folder) -> None:
        if folder == self._handed or not self.content.is_latest(folder):
            return  # handed over already (sync and a look at the pointer both saw it), or a newer one came
        self._handed = folder
        log.info("chuyển sang bản tin phiên bản %s", feed.version)
        self.install(feed, folder)
