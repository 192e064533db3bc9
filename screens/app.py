"""The kiosk app: locked down for a wall, our own Kivy settings, the frame and the player."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import screens  # noqa: F401  (pins KIVY_HOME before Kivy loads)
from kivy.config import Config

from kiosk.clock import DisplayClock
from kiosk.schedule import Loop
from kiosk.settings import DisplaySettings, load_settings
from kiosk.validate import load_feed

HERE = Path(__file__).resolve().parent
DEFAULT_SETTINGS = HERE.parent / "config" / "display.yaml"
KV_FILES = ("widgets.kv", "slides.kv", "frame.kv", "staff.kv")

log = logging.getLogger("kiosk.app")


def configure_kivy(settings: DisplaySettings, windowed: bool, size: tuple[int, int] | None) -> None:
    """Settings that must be in place before Kivy opens the window."""
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("kivy", "log_level", "info")
    Config.set("graphics", "allow_screensaver", "0")
    Config.set("graphics", "rotation", str(settings.rotation))
    Config.set("graphics", "show_cursor", "1" if windowed else "0")
    Config.set("graphics", "fullscreen", "0" if windowed else "auto")
    Config.set("graphics", "borderless", "0" if windowed else "1")
    Config.set("graphics", "resizable", "1" if windowed else "0")
    width, height = size or (1280, 720)
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("input", "mouse", "mouse,disable_multitouch")


def save_screenshot(window, target: Path) -> None:
    """Window.screenshot always adds a counter to the name; put the picture where it was asked."""
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    saved = window.screenshot(name=str(target.with_name(f".{target.stem}.png")))
    Path(saved).replace(target)


def build_app(feed, folder: Path, settings: DisplaySettings, start, screenshot: Path | None = None):
    """The app showing `feed`; start(app) runs once the frame is on screen (the player, a preview)."""
    # Kivy's window and widgets are imported only after configure_kivy has run.
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.lang import Builder

    from screens.frame import KioskFrame, KioskRoot
    from screens.staff import PinPad, StaffPanel
    from screens.theme import Theme, register_fonts

    register_fonts()

    class KioskApp(App):
        title = "Màn hình thông tin phường"
        use_kivy_settings = False
        player = None

        def build(self):
            self.theme = Theme()
            self.theme.resize(*Window.size)
            Window.bind(size=lambda _, size: self.theme.resize(*size))
            Window.bind(on_request_close=lambda *_: True)  # the close button does not quit
            for name in KV_FILES:
                Builder.load_file(str(HERE / name))
            self.frame = KioskFrame(feed=feed, folder=folder)
            self.root_widget = KioskRoot(self.frame, on_staff_gesture=self.ask_pin)
            Clock.schedule_once(lambda *_: start(self), 0)
            if screenshot:
                Clock.schedule_once(self._screenshot, 2.5)
            return self.root_widget

        def ask_pin(self):
            self.root_widget.open_overlay(PinPad(settings.pin, on_success=self.open_staff_panel,
                                                 on_cancel=self.root_widget.close_overlay))

        def open_staff_panel(self):
            lines = [
                f"Màn hình: {settings.id} ({', '.join(settings.tags) or 'không nhãn'}), chế độ {settings.mode}",
                f"Bản tin: phiên bản {feed.version}, hết hạn {feed.expires:%d/%m/%Y}, {len(feed.slides)} trang chiếu",
                f"Thư mục bản tin: {folder}",
            ]
            self.root_widget.open_overlay(StaffPanel(lines, on_back=self.root_widget.close_overlay))

        def _screenshot(self, *_):
            save_screenshot(Window, screenshot)
            log.info("Đã chụp màn hình vào %s", screenshot)
            self.stop()

        def open_settings(self, *args):
            return False  # no settings panel on a public screen

        def on_stop(self):
            if self.player:
                self.player.stop()

    return KioskApp()


def load_for_display(args) -> tuple | None:
    """Settings and feed for `run` and `preview`; problems printed, None when either is unusable."""
    settings, problems = load_settings(getattr(args, "settings", None) or DEFAULT_SETTINGS)
    for problem in problems:
        print(problem, file=sys.stderr)
    if settings is None:
        return None
    result = load_feed(args.feed)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    if result.feed is None:
        return None
    folder = Path(args.feed) if Path(args.feed).is_dir() else Path(args.feed).parent
    return settings, result.feed, folder


def main(args) -> int:
    loaded = load_for_display(args)
    if loaded is None:
        return 1
    settings, feed, folder = loaded
    configure_kivy(settings, args.windowed or args.screenshot is not None, args.size)
    clock = DisplayClock(settings.zone())

    def start_player(app):
        from screens.frame import Player

        app.player = Player(app.frame, Loop(feed, settings.identity()), clock)
        app.player.start()

    build_app(feed, folder, settings, start_player, screenshot=args.screenshot).run()
    return 0
