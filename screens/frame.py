"""The frame that stays on screen: the header (ward, clock), the slide area with the website QR
beside it, the ticker; and the welcome view an empty loop shows."""

from __future__ import annotations

from pathlib import Path

from kivy.animation import Animation
from kivy.properties import ListProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.words import format_date, format_time
from screens.compositor import SlideHost, draw_from_layer  # noqa: F401  (SlideHost: named in frame.kv)
from screens.pace import TICKER_FPS
from screens.slides import SlideView
from screens.theme import load_rules
from screens.widgets import Oriented, Themed

load_rules(__file__)


class Header(Themed, BoxLayout):
    ward_name = StringProperty("")
    city = StringProperty("")
    logo = StringProperty("")
    clock_time = StringProperty("")
    clock_date = StringProperty("")

    def show_time(self, moment) -> None:
        self.clock_time = format_time(moment)
        self.clock_date = format_date(moment)


class Ticker(Themed, Widget):
    """Short lines scrolling right to left at a steady, readable speed, one line after another
    (one long texture for all lines would pass the text renderer's width limit). The band spans the
    window's width, so the window itself clips the moving line: a StencilView would cost a stencil
    clear of the whole screen at every frame."""

    lines = ListProperty([])
    pace = ObjectProperty(None)  # the frame's screens.pace.FramePace: the rate a moving line needs
    text = StringProperty("")
    moving_text = True  # its line crosses the window's edges on purpose (tests/layout_audit.py)
    _next = 0  # the line that crosses next
    _moving = False  # a line is crossing the band

    def on_lines(self, *_):
        self._next = 0
        self.on_pace()
        self._start()

    def on_pace(self, *_):
        if self.pace is not None:  # the frame's rule may give the lines first
            self.pace.hold_while("ticker", bool(self.lines), TICKER_FPS)

    def on_size(self, *_):
        """Laid out, or the screen turned: the line on its way starts again across the new width."""
        if self._moving:
            self._next -= 1
        self._start()

    def _start(self, *_):
        label = self.ids.get("moving")
        # Not before the band is laid out: a line would cross a zero-wide band at once, again and again.
        self._moving = bool(label and self.lines and self.width > 1)
        if not self._moving:
            return
        Animation.cancel_all(label)
        self.text = self.lines[self._next % len(self.lines)]
        self._next += 1
        label.texture_update()
        label.x = self.x + self.width  # not self.right: in on_size, it may not know the new width yet
        distance = self.width + label.texture_size[0]
        speed = max(60.0, self.height * 1.6)  # pixels a second: readable while walking past
        animation = Animation(x=self.x - label.texture_size[0], duration=distance / speed)
        animation.bind(on_complete=self._start)
        animation.start(label)


class WelcomeView(SlideView):
    """What an empty loop shows: the ward's name and a calm line, never black."""

    ward_name = StringProperty("")
    logo = StringProperty("")


class KioskFrame(Oriented, BoxLayout):
    """Header, the slide area with the website QR beside it, and the ticker."""

    feed = ObjectProperty(None)
    folder = ObjectProperty(None)
    theme = ObjectProperty(None)  # screens.theme.Theme, given by the composition root (screens/display.py)
    pace = ObjectProperty(None)  # screens.pace.FramePace, likewise

    def on_kv_post(self, base_widget):
        # The header changes once a minute, the sidebar with the feed: each is drawn from its layer.
        self.layers = [draw_from_layer(self.ids.header), draw_from_layer(self.ids.sidebar)]

    def media(self, name: str | None) -> str:
        return str(Path(self.folder) / name) if name else ""
