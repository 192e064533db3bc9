"""Work on a view built ahead of its turn, spread over frames: a slide's measuring and its labels'
textures take a few milliseconds of each frame instead of one long frame (at a slide change the
meetings slide alone took 180 ms, the window frozen; a feed swapped in while other work takes a core
made it longer). Kivy thread only.

A view `staging` (screens.slides.base.SlideView) measures its pages while the frame's share is left,
and goes on in the next frame when it is spent (NotThisFrame); its labels render their textures the
same way. `finish_staging` does what is left at once: a view's turn never waits for its staging."""

from __future__ import annotations

import time

from kivy.clock import Clock

FRAME_SHARE_SECONDS = 0.012  # of each frame, for staged work: a frame at 60 a second is 16.7 ms


class NotThisFrame(Exception):
    """This frame's share for staged work is spent: go on in the next frame."""


class FrameShare:
    """How much of the current frame staged work has had. The first staged step of each frame is
    always allowed, so that staging always moves on."""

    def __init__(self):
        self._frame = -1
        self._began = 0.0
        self.measuring = False  # inside a staged view's pagination: measuring may stop the frame

    def left(self) -> bool:
        if Clock.frames != self._frame:
            self._frame, self._began = Clock.frames, time.perf_counter()
        return time.perf_counter() - self._began < FRAME_SHARE_SECONDS

    def check(self) -> None:
        """Before a measurement not cached: stop a staged pagination once its share is spent."""
        if self.measuring and not self.left():
            raise NotThisFrame


SHARE = FrameShare()


def staging_owner(widget):
    """The view built ahead that holds this widget, or None (the widget is on screen, or loose)."""
    while widget is not None:
        if getattr(widget, "staging", False):
            return widget
        parent = widget.parent
        widget = parent if parent is not widget else None
    return None
