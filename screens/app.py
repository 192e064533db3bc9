"""The kiosk app: locked down for a wall, our own Kivy settings, the frame and the player."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import screens  # noqa: F401  (pins KIVY_HOME before Kivy loads)
from kivy.config import Config

from kiosk.play.clock import DisplayClock
from kiosk.play.content import InstalledContent
from kiosk.ops.health import Liveness
from kiosk.play.schedule import Loop
from kiosk.settings import DisplaySettings
from kiosk.ops.stats import PlayLog
from kiosk.delivery.sync import SyncLoop, status_lines

log = logging.getLogger("kiosk.app")


def configure_kivy(settings: DisplaySettings, windowed: bool, size: tuple[int, int] | None) -> None:
    """Settings that must be in place before Kivy opens the window."""
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("kivy", "log_level", "info")
    # Kivy's logging takes every library's records: one line per sync, not one per connection, and
    # no list of the image plugins Pillow loads.
    for chatty in ("urllib3", "PIL"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    Config.set("graphics", "allow_screensaver", "0")
    # No multisampling: the slides are rectangles and textures (text is smoothed when it is drawn), and
    # Kivy's default of 2 samples makes a software-rendered screen (no GPU) a third as fast.
    Config.set("graphics", "multisamples", "0")
    # Rotation is the operating system's (xrandr, set by deploy/kiosk-session.sh from the settings):
    # Kivy's own rotation breaks clipping (StencilView) and screenshots.
    Config.set("graphics", "rotation", "0")
    Config.set("graphics", "show_cursor", "1" if windowed else "0")
    Config.set("graphics", "fullscreen", "0" if windowed else "auto")
    Config.set("graphics", "borderless", "0" if windowed else "1")
    Config.set("graphics", "resizable", "1" if windowed else "0")
    width, height = size or (1280, 720)
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("input", "mouse", "mouse,disable_multitouch")


def save_screenshot(window, target: Path) -> None:
    """The window's content as it is now, saved as a PNG.

    Drawn afresh into an offscreen buffer: reading the window's back buffer would give an older
    frame when the screen has not redrawn since its last buffer swap."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    window.children[0].export_as_image().save(str(target))


def build_app(feed, folder: Path, settings: DisplaySettings, clock: DisplayClock, start,
              screenshot: Path | None = None, settings_file: Path | None = None):
    """The app showing `feed`; start(app) runs once the frame is on screen (the player, a preview).
    settings_file is where the settings came from, for the staff panel's status."""
    # Kivy's window and widgets are imported only after configure_kivy has run.
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window

    from kiosk.ops.stats import UsageLog
    from screens.frame import KioskFrame, KioskRoot
    from screens.pace import FramePace
    from screens.slides import check_views
    from screens.staff import PinGuard, PinPad, StaffPanel
    from screens.theme import Theme, register_fonts

    check_views()  # a slide type with no view stops here, named, not when its slide comes round
    register_fonts()

    class KioskApp(App):
        title = "Màn hình thông tin phường"
        use_kivy_settings = False
        player = None
        pin_guard = PinGuard()
        faq_index = None  # (feed, its FaqIndex)

        def build(self):
            # A service manager's stop (SIGTERM) ends the app cleanly; a passer-by has no way to send one.
            signal.signal(signal.SIGTERM, lambda *_: Clock.schedule_once(lambda *_: self.stop(), 0))
            self.pace = FramePace()
            self.theme = Theme()
            self.theme.touch_reference = settings.touch_target
            self.theme.resize(*Window.size)
            Window.bind(size=lambda _, size: self.theme.resize(*size))
            Window.bind(on_request_close=lambda *_: True)  # the close button does not quit
            self.frame = KioskFrame(feed=feed, folder=folder)
            self.usage = UsageLog(settings.state_path(), today=lambda: clock.now().date())
            counter = settings.mode == "counter"
            if counter:  # the loop says it can be touched: a band above the ticker
                from screens.counter import TouchInvitation

                self.frame.add_widget(TouchInvitation(), index=self.frame.children.index(self.frame.ids.ticker) + 1)
            self.root_widget = KioskRoot(self.frame, on_staff_gesture=self.ask_pin,
                                         on_loop_touch=self.open_counter if counter else None)
            Clock.schedule_once(lambda *_: start(self), 0)
            if screenshot:
                Clock.schedule_once(self._screenshot, 2.5)
            return self.root_widget

        def open_counter(self, touched_at):
            """A resident touched the loop at the counter (at this position): the menu takes the screen."""
            from kiosk.play.search import FaqIndex  # with the touch mode: not needed for the first slide
            from screens.counter import CounterView

            if self.player:
                self.player.pause()
            feed = self.frame.feed
            if self.faq_index is None or self.faq_index[0] is not feed:  # built once per feed, not per touch
                self.faq_index = (feed, FaqIndex(feed.faq))
            self.root_widget.open_overlay(CounterView(feed, self.frame.folder, self.usage, settings.idle_seconds,
                                                      on_close=self.close_counter, index=self.faq_index[1],
                                                      opening_touch=touched_at))

        def close_counter(self):
            self.root_widget.close_overlay()
            if self.player:
                self.player.resume()

        def ask_pin(self):
            self.root_widget.open_overlay(PinPad(settings.pin, self.pin_guard, on_success=self.open_staff_panel,
                                                 on_cancel=self.root_widget.close_overlay))

        def open_staff_panel(self):
            shown = self.frame.feed
            lines = [
                f"Màn hình: {settings.id} ({', '.join(settings.tags) or 'không nhãn'}), chế độ {settings.mode}",
                f"Đang chiếu: bản tin phiên bản {shown.version}, hết hạn {shown.expires:%d/%m/%Y}, "
                f"{len(shown.slides)} trang chiếu, thư mục {self.frame.folder}",
                *status_lines(settings, settings_file)[0],
            ]
            self.root_widget.open_overlay(StaffPanel(lines, on_back=self.root_widget.close_overlay))

        def _screenshot(self, *_):
            save_screenshot(Window, screenshot)
            log.info("Đã chụp màn hình vào %s", screenshot)
            self.stop()

        def take_fleet_screenshot(self, deliver):
            """The office asked what the loop shows (any thread): answered from Kivy's thread, never
            with a resident's touch screen or the staff panel on it."""
            def take(_):
                if self.root_widget.overlay is not None:
                    deliver("màn hình đang được dùng (chế độ cảm ứng hoặc bảng của nhân viên đang mở)")
                    return
                from kiosk.fleet.display import Frame
                texture = self.frame.export_as_image().texture
                deliver(Frame(texture.width, texture.height, bytes(texture.pixels)))
            Clock.schedule_once(take, 0)

        def open_settings(self, *args):
            return False  # no settings panel on a public screen

        def on_stop(self):
            if self.player:
                self.player.stop()

    return KioskApp()


class SyncThread(threading.Thread):
    """Polls the ward's server in the background (kiosk.delivery.sync.SyncLoop); the player notices what it
    installs. wake() runs a cycle now (from any thread)."""

    def __init__(self, settings: DisplaySettings):
        super().__init__(name="sync", daemon=True)
        self.loop = SyncLoop(settings)

    def run(self) -> None:
        self.loop.run()

    def wake(self) -> None:
        self.loop.wake.set()

    def stop(self) -> None:
        self.loop.stop()


def main(args, loaded) -> int:
    """Run the display on what kiosk.play.content.load_display returned."""
    settings, feed, folder = loaded
    configure_kivy(settings, args.windowed or args.screenshot is not None, args.size)
    from kivy.clock import Clock  # Kivy's modules only after configure_kivy

    clock = DisplayClock(settings.zone())

    content = InstalledContent(settings.state_path(), folder)
    sync = SyncThread(settings) if settings.feed_url else None
    live = Liveness(settings.state_path())
    fleet = None
    if settings.fleet_url:
        from kiosk.fleet.display import DisplayLink
        fleet = DisplayLink(settings, on_sync_now=sync.wake if sync else lambda: None, settings_file=args.config)

    def start_player(app):
        from screens.frame import Player

        app.player = Player(app.frame, Loop(feed, settings.identity()), clock, content=content,
                            plays=PlayLog(settings.state_path(), settings.id))
        app.player.start()
        if sync:
            sync.start()
        if fleet:
            fleet.on_screenshot = app.take_fleet_screenshot
            fleet.start()
        # The watchdog is pinged from Kivy's clock, so a frozen main loop stops the pings and
        # systemd restarts the app; ready once the first slide is drawn.
        Clock.schedule_interval(lambda _: live.tick(), live.interval)
        Clock.schedule_once(lambda _: live.ready(f"phiên bản {feed.version}"), 0)

    build_app(feed, folder, settings, clock, start_player, screenshot=args.screenshot,
              settings_file=args.config).run()
    live.stopping()
    if fleet:
        fleet.stop()
    if sync:
        sync.stop()
    return 0
