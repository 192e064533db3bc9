"""How often Kivy's loop runs. At its full rate (60 a second) the loop alone costs a few percent of a
core even when nothing on screen changes; a still slide needs a few wake-ups a second (touches, the
minute of the clock, the next deadline). Whatever moves holds the pace it needs while it moves:
a fade, a video or an overlay the full rate, the ticker half of it (a line moving a few pixels a
frame reads as smoothly at 30)."""

from __future__ import annotations

from kivy.clock import Clock

STILL_FPS = 10.0  # a touch or a deadline waits at most a tenth of a second
TICKER_FPS = 30.0


class FramePace:
    def __init__(self):
        # Kivy reads its frame cap (Config graphics/maxfps, kept in Clock._max_fps) at every frame.
        self.full_fps = Clock._max_fps or 60.0
        self._held: dict[str, float] = {}
        self._apply()

    def hold(self, reason: str, fps: float | None = None) -> None:
        self._held[reason] = fps or self.full_fps
        self._apply()

    def hold_while(self, reason: str, moving: bool, fps: float | None = None) -> None:
        """Hold while `moving`, release once it is not."""
        if moving:
            self.hold(reason, fps)
        else:
            self.release(reason)

    def release(self, reason: str) -> None:
        self._held.pop(reason, None)
        self._apply()

    @property
    def fps(self) -> float:
        return Clock._max_fps

    def _apply(self) -> None:
        Clock._max_fps = max(self._held.values(), default=STILL_FPS)
