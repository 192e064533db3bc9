"""Touch routing: the window's root, the frame under whatever a touch opens, and the staff's
gesture (taps in the logo's corner) that opens the PIN pad."""

from __future__ import annotations

import time

from kivy.properties import ObjectProperty
from kivy.uix.floatlayout import FloatLayout

from screens.frame import KioskFrame


class KioskRoot(FloatLayout):
    """The window's content: the frame, and over it whatever a touch opens (one overlay at a time).

    Touches never reach the loop itself. Five taps in the top-left corner within a few seconds
    call on_staff_gesture; any other touch calls on_loop_touch with its position (counter mode opens its menu)."""

    CORNER_TAPS = 5
    CORNER_SECONDS = 3.0

    overlay = ObjectProperty(None, allownone=True)
    theme = ObjectProperty(None)  # the frame's Theme and FramePace, for whatever opens over it
    pace = ObjectProperty(None)

    def __init__(self, frame: KioskFrame, on_staff_gesture, on_loop_touch=None, **kwargs):
        kwargs.setdefault("theme", frame.theme)
        kwargs.setdefault("pace", frame.pace)
        super().__init__(**kwargs)
        self.frame = frame
        self.on_staff_gesture = on_staff_gesture
        self.on_loop_touch = on_loop_touch
        self._corner_taps: list[float] = []
        self.add_widget(frame)

    def open_overlay(self, widget) -> None:
        self.close_overlay()
        self.overlay = widget
        self.add_widget(widget)
        self.pace.hold("overlay")  # scrolling and pressed buttons at the full rate

    def close_overlay(self) -> None:
        if self.overlay is not None:
            self.remove_widget(self.overlay)
            self.overlay = None
            self.pace.release("overlay")

    def on_touch_down(self, touch):
        if self.overlay is not None:
            self.overlay.dispatch("on_touch_down", touch)
            return True  # overlays are modal
        if self._in_corner(touch):
            if self._count_corner_tap():
                self.on_staff_gesture()
        elif self.on_loop_touch:
            self._corner_taps.clear()
            self.on_loop_touch(touch.pos)
        return True

    def on_touch_move(self, touch):
        return self.overlay.dispatch("on_touch_move", touch) if self.overlay is not None else True

    def on_touch_up(self, touch):
        return self.overlay.dispatch("on_touch_up", touch) if self.overlay is not None else True

    def _in_corner(self, touch) -> bool:
        """The top-left corner (the logo) belongs to staff: a resident's tap there does nothing."""
        corner = self.theme.px(160)
        return touch.x <= self.x + corner and touch.y >= self.top - corner

    def _count_corner_tap(self) -> bool:
        now = time.monotonic()
        self._corner_taps = [t for t in self._corner_taps if now - t <= self.CORNER_SECONDS] + [now]
        if len(self._corner_taps) >= self.CORNER_TAPS:
            self._corner_taps.clear()
            return True
        return False
