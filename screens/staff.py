"""The staff's way out: five quick taps in the top-left corner open a PIN pad; the right PIN opens
the staff panel (status, and the button that closes the app). Residents see nothing of it."""

from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

PIN_IDLE_SECONDS = 20  # an abandoned PIN pad closes by itself


class PinPad(BoxLayout):
    entered = StringProperty("")
    message = StringProperty("Nhập mã PIN của cán bộ")
    length = NumericProperty(4)

    def __init__(self, pin: str, on_success, on_cancel, **kwargs):
        self.pin = pin
        self.on_success = on_success
        self.on_cancel = on_cancel
        super().__init__(length=len(pin), **kwargs)
        self._idle = Clock.schedule_once(lambda *_: self.on_cancel(), PIN_IDLE_SECONDS)

    def press(self, key: str) -> None:
        self._idle.cancel()
        self._idle = Clock.schedule_once(lambda *_: self.on_cancel(), PIN_IDLE_SECONDS)
        if key == "xoa":
            self.entered = self.entered[:-1]
        elif key == "ok":
            self._check()
        elif len(self.entered) < 8:
            self.entered += key

    def _check(self) -> None:
        if self.entered == self.pin:
            self._idle.cancel()
            self.on_success()
        else:
            self.entered = ""
            self.message = "Sai mã PIN, hãy thử lại"

    def cancel(self) -> None:
        self._idle.cancel()
        self.on_cancel()


class StaffPanel(BoxLayout):
    """What staff see after the PIN: the display's state, and the way out."""

    lines = ListProperty([])

    def __init__(self, lines, on_back, **kwargs):
        self.on_back = on_back
        super().__init__(lines=lines, **kwargs)

    def quit_app(self) -> None:
        App.get_running_app().stop()
