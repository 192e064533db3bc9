"""The composition root: a display built from its settings, in one place, the same for `kiosk run`,
`kiosk preview` (no player, sync or fleet link) and the tests' harness (tests/kiosk_harness.py).

Display builds the clock, the frame pace and theme, the usage and play logs, the app with its frame,
the player, the sync thread, the watch on the installed feed, the watchdog and the fleet link.
Kivy is imported only in Display.run, once its environment and settings are in place.

FeedHandoff brings each newly installed feed to the player on the Kivy thread, read and validated
elsewhere: the app's own sync thread hands over what it installed; another process's `kiosk sync`
is noticed by a cheap look at the pointer each second (no parsing), and loaded by a worker thread.
Every feed this process reads while it runs (sync, the watch, the staff panel, the fleet status) is
read in a child process at the lowest priority (kiosk.feed.apart), so the window keeps the cores."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from kiosk.delivery.sync import SyncLoop
from kiosk.delivery.trusted_time import trusted_rule
from kiosk.feed.apart import load_feed_apart
from kiosk.feed.model import Feed
from kiosk.feed.validate import load_feed
from kiosk.ops.heartbeat import Liveness
from kiosk.ops.memory import QuietCollector
from kiosk.ops.stats import PlayLog, UsageLog
from kiosk.ops.systemd import SystemdNotifier
from kiosk.play.clock import DisplayClock
from kiosk.play.content import InstalledContent
from kiosk.play.schedule import Loop
from kiosk.settings import DisplaySettings

log = logging.getLogger("kiosk.player")

POINTER_LOOK_SECONDS = 1.0
QUIET_FRAMES = 3  # after a slide settled: the next one, built then, is laid out and drawn into its layer
OVERDUE_LOOK_SECONDS = 60.0


class SyncThread(threading.Thread):
    """Polls the ward's server in the background (kiosk.delivery.sync.SyncLoop); each feed it installs
    goes to on_installed(feed, folder), on this thread. wake() runs a cycle now (from any thread)."""

    def __init__(self, settings: DisplaySettings, on_installed=None, load=load_feed, after_cycle=None):
        super().__init__(name="sync", daemon=True)
        self.loop = SyncLoop(settings, on_installed=on_installed, load=load, after_cycle=after_cycle)

    def run(self) -> None:
        self.loop.run()

    def wake(self) -> None:
        self.loop.wake.set()

    def stop(self) -> None:
        self.loop.stop()


class FeedHandoff:
    def __init__(self, content: InstalledContent, install):
        self.content = content
        self.install = install  # install(feed, folder), called on the Kivy thread
        self._look_event = None
        self._handed = content.shown_at_start  # the folder last handed over (the Kivy thread's own)
        self._reading: threading.Thread | None = None  # the worker reading an installed feed (the Kivy thread's own)

    def from_sync(self, feed: Feed, folder: Path) -> None:
        """The sync thread installed this feed (called on that thread)."""
        from kivy.clock import Clock

        self.content.taken(folder)
        Clock.schedule_once(lambda _: self._hand_over(feed, folder), 0)

    def watch(self) -> None:
        from kivy.clock import Clock

        self._look_event = Clock.schedule_interval(self._look, POINTER_LOOK_SECONDS)

    def stop(self) -> None:
        if self._look_event is not None:
            self._look_event.cancel()

    def _look(self, _) -> None:
        if self._reading is not None and self._reading.is_alive():
            return  # one read at a time (on a slow board they would pile up); the newest is read next
        folder = self.content.changed()
        if folder is not None:
            self._reading = threading.Thread(target=self._load, args=(folder,), name="feed-load", daemon=True)
            self._reading.start()

    def _load(self, folder: Path) -> None:
        from kivy.clock import Clock

        feed = self.content.load(folder)
        if feed is not None:
            Clock.schedule_once(lambda _: self._hand_over(feed, folder), 0)

    def _hand_over(self, feed: Feed, folder: Path) -> None:
        if folder == self._handed or not self.content.is_latest(folder):
            return  # handed over already (sync and a look at the pointer both saw it), or a newer one came
        self._handed = folder
        log.info("chuyển sang bản tin phiên bản %s", feed.version)
        self.install(feed, folder)


def after_frames(frames: int, then) -> None:
    """then() once the window has drawn `frames` more frames (a page just opened is laid out)."""
    from kivy.clock import Clock

    Clock.schedule_once(lambda _: then() if frames <= 1 else after_frames(frames - 1, then), 0)


class Display:
    """One display: what it shows (feed, folder), its settings, and which parts run. `play` runs the
    player (with the watch on installed feeds and the watchdog), `sync` the sync thread when the
    settings name a feed_url, `fleet` the fleet link when they name a fleet_url. on_start(app) runs
    once the frame is on screen, after the player is made and before it starts."""

    def __init__(self, settings: DisplaySettings, feed: Feed, folder: Path, *, clock: DisplayClock | None = None,
                 settings_file: Path | None = None, play: bool = True, sync: bool = True, fleet: bool = True,
                 on_start=None, screenshot: Path | None = None):
        self.settings = settings
        self.feed = feed
        self.folder = Path(folder)
        self.settings_file = settings_file  # where the settings came from, for the staff panel's status
        self.clock = clock or DisplayClock(settings.zone())
        self.play = play
        self.on_start = on_start
        self.screenshot = screenshot  # a PNG of the first slide, then the app quits
        state = settings.state_path()
        self.usage = UsageLog(state, today=lambda: self.clock.now().date())
        self.plays = PlayLog(state, settings.id)
        # every feed read while the display runs: in a child process at the lowest priority
        self.read_feed = load_feed_apart
        self.handoff = FeedHandoff(InstalledContent(state, self.folder, load=self.read_feed), install=self._install)
        self.sync = SyncThread(settings, self.handoff.from_sync, load=self.read_feed,
                               after_cycle=self._trust_time) if sync and settings.feed_url else None
        self.clock.trust(trusted_rule(state))  # before the window: a clock behind never shows what is over
        self.liveness = Liveness(state, SystemdNotifier()) if play else None  # this process's one notifier
        self.fleet = None
        if fleet and settings.fleet_url:
            from kiosk.fleet.display import DisplayLink

            self.fleet = DisplayLink(settings, on_sync_now=self.sync.wake if self.sync else lambda: None,
                                     settings_file=settings_file, load=self.read_feed)
        self.collector = QuietCollector()
        self.app = None
        self.theme = None
        self.pace = None

    def run(self, *, windowed: bool, size: tuple[int, int] | None = None) -> None:
        """Open the window and run until the app stops; then stop what runs beside it."""
        from screens.app import build_app, configure_kivy

        configure_kivy(self.settings, windowed or self.screenshot is not None, size)  # Kivy's modules only after this
        from screens.pace import FramePace
        from screens.theme import Theme

        self.pace = FramePace()
        self.theme = Theme()
        self.theme.touch_reference = self.settings.touch_target
        self.app = build_app(self, self._started)
        try:
            self.app.run()
        finally:
            self._stop()

    def _started(self, app) -> None:
        """On the Kivy thread, once the frame is on screen."""
        from kivy.clock import Clock

        if self.play:
            from screens.player import Player

            app.player = Player(app.frame, Loop(self.feed, self.settings.identity()), self.clock, plays=self.plays)
            # The left slide's widgets and textures are freed while nothing else is done in a frame,
            # and their memory goes back (bench/memory.py, bench/swapping.py).
            self.collector.take_over()
            app.frame.ids.host.bind(on_settled=lambda *_: after_frames(QUIET_FRAMES, self.collector.collect))
            Clock.schedule_interval(lambda _: self.collector.collect_if_overdue(), OVERDUE_LOOK_SECONDS)
        if self.on_start:
            self.on_start(app)
        if self.play:
            app.player.start()
            self.handoff.watch()
            # The watchdog is pinged from Kivy's clock, so a frozen main loop stops the pings and
            # systemd restarts the app; ready once the first slide is drawn.
            Clock.schedule_interval(lambda _: self.liveness.tick(), self.liveness.interval)
            Clock.schedule_once(lambda _: self.liveness.ready(f"phiên bản {self.feed.version}"), 0)
        if self.sync:
            self.sync.start()
        if self.fleet:
            self.fleet.on_screenshot = app.take_fleet_screenshot
            self.fleet.start()

    def _trust_time(self) -> None:
        """After each sync cycle, on its thread: trusted time's rule read anew (the server's Date, the
        new feed's issue time) for the clock, which Kivy's thread reads."""
        from kivy.clock import Clock

        rule = trusted_rule(self.settings.state_path())
        Clock.schedule_once(lambda _: self.clock.trust(rule), 0)

    def _install(self, feed: Feed, folder: Path) -> None:
        if self.app.player is not None:
            self.app.player.install_feed(feed, folder)

    def _stop(self) -> None:
        self.handoff.stop()
        if self.liveness:
            self.liveness.stopping()
        if self.fleet:
            self.fleet.stop()
        if self.sync:
            self.sync.stop()


def main(args, loaded) -> int:
    """`kiosk run` on what kiosk.play.content.load_display returned."""
    settings, feed, folder = loaded
    Display(settings, feed, folder, settings_file=args.config, screenshot=args.screenshot).run(
        windowed=args.windowed, size=args.size)
    return 0
