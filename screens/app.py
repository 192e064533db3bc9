"""The kiosk app: locked down for a wall, our own Kivy settings, the frame and its overlays.
The pieces it shows and runs are built by the composition root (screens/display.py)."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

from kiosk.ops.status import status_lines
from kiosk.settings import DisplaySettings
from screens import pin_kivy_environment

log = logging.getLogger("kiosk.app")

STATUS_LOADING = "Đang tải trạng thái đồng bộ..."


def configure_kivy(settings: DisplaySettings, windowed: bool, size: tuple[int, int] | None) -> None:
    """The environment and settings Kivy must have before it is first imported and opens the window."""
    pin_kivy_environment(settings.state_path())
    from kivy.config import Config

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


def build_app(display, start):
    """The app showing display.feed (a screens.display.Display); start(app) runs once the frame is on
    screen (the player, a preview)."""
    # Kivy's window and widgets are imported only after configure_kivy has run.
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window

    from screens.frame import KioskFrame
    from screens.slides import check_views
    from screens.staff import PinGuard, PinPad, StaffPanel
    from screens.theme import register_fonts
    from screens.touch import KioskRoot

    check_views()  # a slide type with no view stops here, named, not when its slide comes round
    settings, screenshot = display.settings, display.screenshot
    register_fonts()

    class KioskApp(App):
        title = "Màn hình thông tin phường"
        use_kivy_settings = False
        display = None  # the screens.display.Display this app shows
        player = None
        pin_guard = PinGuard()
        faq_index = None  # (feed, its FaqIndex)
        speaker = None  # "Nghe" at the counter (screens.listen)

        def build(self):
            # A service manager's stop (SIGTERM) ends the app cleanly; a passer-by has no way to send one.
            signal.signal(signal.SIGTERM, lambda *_: Clock.schedule_once(lambda *_: self.stop(), 0))
            self.pace = display.pace
            self.theme = display.theme
            self.theme.resize(*Window.size)
            Window.bind(size=lambda _, size: self.theme.resize(*size))
            Window.bind(on_request_close=lambda *_: True)  # the close button does not quit
            self.frame = KioskFrame(feed=display.feed, folder=display.folder, theme=self.theme, pace=self.pace)
            self.usage = display.usage
            counter = settings.mode == "counter"
            if counter:  # the loop says it can be touched: a band above the ticker
                from screens.counter import TouchInvitation
                from screens.listen import speaker_for

                self.speaker = speaker_for(settings)
                self.frame.add_widget(TouchInvitation(theme=self.theme), index=self.frame.children.index(self.frame.ids.ticker) + 1)
            self.root_widget = KioskRoot(self.frame, on_staff_gesture=self.ask_pin,
                                         on_loop_touch=self.open_counter if counter else None)
            Clock.schedule_once(lambda *_: start(self), 0)
            if screenshot:  # of the first slide, once it is drawn
                self.frame.ids.host.bind(on_drawn=self._screenshot)
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
                                                      opening_touch=touched_at, theme=self.theme,
                                                      speaker=self.speaker, now=self.now))

        def now(self):
            """Now on the display's clock: the one the loop plays by, floored by trusted time."""
            return display.clock.now()

        def close_counter(self):
            self.root_widget.close_overlay()
            if self.player:
                self.player.resume()

        def ask_pin(self):
            self.root_widget.open_overlay(PinPad(settings.pin, self.pin_guard, on_success=self.open_staff_panel,
                                                 on_cancel=self.root_widget.close_overlay, theme=self.theme))

        def open_staff_panel(self):
            """The panel opens at once; the sync and health status (files to read, the installed feed
            to check) is gathered in a worker thread and fills it when ready."""
            shown = self.frame.feed
            known = [
                f"Màn hình: {settings.id} ({', '.join(settings.tags) or 'không nhãn'}), chế độ {settings.mode}",
                f"Đang chiếu: bản tin phiên bản {shown.version}, hết hạn {shown.expires:%d/%m/%Y}, "
                f"{len(shown.slides)} trang chiếu, thư mục {self.frame.folder}",
            ]
            panel = StaffPanel([*known, STATUS_LOADING], on_back=self.root_widget.close_overlay, on_quit=self.stop,
                               loading=True, theme=self.theme)
            self.root_widget.open_overlay(panel)

            def gather():
                try:
                    status = status_lines(settings, display.settings_file, load=display.read_feed)[0]
                except Exception:  # a bug must not leave the panel saying it is loading
                    log.exception("không lập được trạng thái cho bảng của nhân viên")
                    status = ["Không đọc được trạng thái đồng bộ: xem nhật ký (journalctl)"]
                Clock.schedule_once(lambda _: panel.fill([*known, *status]), 0)

            threading.Thread(target=gather, name="staff-status", daemon=True).start()

        def _screenshot(self, *_):
            self.frame.ids.host.unbind(on_drawn=self._screenshot)
            save_screenshot(Window, screenshot)
            log.info("Đã chụp màn hình vào %s", screenshot)
            Clock.schedule_once(lambda *_: self.stop(), 0)  # after the host's other handlers of this frame

        def take_fleet_screenshot(self, deliver):
            """The office asked what the loop shows (any thread): answered from Kivy's thread, never
            with a resident's touch screen or the staff panel on it."""
            def take(_):
                overlay = self.root_widget.overlay
                if overlay is not None:
                    staff = isinstance(overlay, (PinPad, StaffPanel))
                    deliver(f"màn hình đang được dùng ({'bảng của nhân viên' if staff else 'chế độ cảm ứng'} đang mở)")
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

    app = KioskApp()
    app.display = display
    return app
