"""How often Kivy's loop runs. At its full rate (60 a second) the loop alone costs a few percent of a
core even when nothing on screen changes; a still slide needs a few wake-ups a second (touches, the
minute of the clock, the next deadline). Whatever moves holds the pace it needs while it moves:
a fade, a video or an overlay the full rate, the ticker half of it (a line moving a few pixels a
frame reads as smoothly at 30).

Kivy has no public way to change its frame cap while it runs (Config's graphics/maxfps is read
once, when the clock is made): the cap stays the full rate, and each frame begins by waiting out
what is left of it at the pace held, in a clock event made before the app's own."""

from __future__ import annotations

import time

from kivy.clock import Clock
from kivy.config import Config

STILL_FPS = 10.0  # a touch or a deadline waits at most a tenth of a second
TICKER_FPS = 30.0
SHORTEST_WAIT = 0.001  # seconds: less is not worth a sleep


class FramePace:
    def __init__(self):
        self.full_fps = float(Config.getint("graphics", "maxfps")) or 60.0
        self._held: dict[str, float] = {}
        self._frame_began = time.monotonic()
        self._each_frame = Clock.schedule_interval(self._wait_out_frame, 0)

    def hold(self, reason: str, fps: float | None = None) -> None:
        self._held[reason] = fps or self.full_fps

    def hold_while(self, reason: str, moving: bool, fps: float | None = None) -> None:
        """Hold while `moving`, release once it is not."""
        if moving:
            self.hold(reason, fps)
        else:
            self.release(reason)

    def release(self, reason: str) -> None:
        self._held.pop(reason, None)

    @property
    def fps(self) -> float:
        return min(max(self._held.values(), default=STILL_FPS), self.full_fps)

    def _wait_out_frame(self, _) -> None:
        wait = self._frame_began + 1 / self.fps - time.monotonic()
        if wait >= SHORTEST_WAIT:
            time.sleep(wait)
        self._frame_began = time.monotonic()
