"""The staff's way out: five quick taps in the top-left corner open a PIN pad; the right PIN opens
the staff panel (status, and the button that closes the app). Residents see nothing of it."""

from __future__ import annotations

import time

from kivy.clock import Clock
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button

from screens.theme import load_rules
from screens.widgets import Themed

load_rules(__file__)

PIN_IDLE_SECONDS = 20  # an abandoned PIN pad closes by itself
PANEL_IDLE_SECONDS = 120  # so does a staff panel left open: the next passer-by must not find it
PIN_TRIES = 5  # wrong PINs in a row before the pad locks ...
PIN_LOCK_SECONDS = 300  # ... for this long: four digits cannot be guessed by trying them all


class PinGuard:
    """Counts wrong PINs across pads (a closed pad must not reset the count) and locks after too many."""

    def __init__(self, monotonic=time.monotonic):
        self.monotonic = monotonic
        self.wrong = 0
        self.locked_until = 0.0

    def seconds_locked(self) -> float:
        return max(0.0, self.locked_until - self.monotonic())

    def failed(self) -> None:
        self.wrong += 1
        if self.wrong >= PIN_TRIES:
            self.wrong = 0
            self.locked_until = self.monotonic() + PIN_LOCK_SECONDS

    def passed(self) -> None:
        self.wrong = 0


def _locked_message(seconds: float) -> str:
    return f"Sai mã PIN quá {PIN_TRIES} lần: hãy thử lại sau {max(1, round(seconds / 60))} phút"


class BigButton(Themed, Button):
    """A key of the PIN pad, a button of the staff panel."""


class PinPad(Themed, BoxLayout):
    entered = StringProperty("")
    message = StringProperty("Nhập mã PIN của cán bộ")

    def __init__(self, pin: str, guard: PinGuard, on_success, on_cancel, **kwargs):
        self.pin = pin
        self.guard = guard
        self.on_success = on_success
        self.on_cancel = on_cancel
        super().__init__(**kwargs)
        if guard.seconds_locked():
            self.message = _locked_message(guard.seconds_locked())
        self._idle = Clock.schedule_once(lambda *_: self.on_cancel(), PIN_IDLE_SECONDS)

    def press(self, key: str) -> None:
        self._idle.cancel()
        self._idle = Clock.schedule_once(lambda *_: self.on_cancel(), PIN_IDLE_SECONDS)
        if self.guard.seconds_locked():
            self.entered = ""
            self.message = _locked_message(self.guard.seconds_locked())
        elif key == "xoa":
            self.entered = self.entered[:-1]
        elif key == "ok":
            self._check()
        elif len(self.entered) < 8:
            self.entered += key

    def _check(self) -> None:
        if self.entered == self.pin:
            self.guard.passed()
            self._idle.cancel()
            self.on_success()
            return
        self.entered = ""
        self.guard.failed()
        locked = self.guard.seconds_locked()
        self.message = _locked_message(locked) if locked else "Sai mã PIN, hãy thử lại"

    def cancel(self) -> None:
        self._idle.cancel()
        self.on_cancel()


class StaffPanel(Themed, BoxLayout):
    """What staff see after the PIN: the display's state, and the way out (`on_quit`, given by the
    app: it stops the app). It closes by itself when nobody touches it for PANEL_IDLE_SECONDS."""

    lines = ListProperty([])
    loading = BooleanProperty(False)  # some lines are still being gathered (fill() brings them)

    def __init__(self, lines, on_back, on_quit, **kwargs):
        self.on_back = on_back
        self.on_quit = on_quit
        super().__init__(lines=lines, **kwargs)
        self._idle = Clock.schedule_once(self._abandoned, PANEL_IDLE_SECONDS)

    def fill(self, lines) -> None:
        self.lines = lines
        self.loading = False

    def on_touch_down(self, touch):
        self._idle.cancel()
        self._idle = Clock.schedule_once(self._abandoned, PANEL_IDLE_SECONDS)
        return super().on_touch_down(touch)

    def _abandoned(self, *_):
        if self.parent is not None:
            self.on_back()

    def back(self) -> None:
        self._idle.cancel()
        self.on_back()

    def quit_app(self) -> None:
        self.on_quit()
