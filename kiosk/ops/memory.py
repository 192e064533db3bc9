"""Memory for months on a wall: Python's full cyclic collections at moments the display chooses,
and freed memory given back to the system.

A full pass walks every object of the process: some 70,000 once the display has started (Kivy,
the fonts' tables, the schemas), 35 ms on a 2-core VM, more with a big feed; left to itself the
collector starts one in whatever frame allocates at the wrong moment, often the frame that builds
the next slide (a frame gap over 100 ms). So what the display holds once started, which lives as
long as the app, is frozen out of every pass (gc.freeze), and the display calls collect() when
it is quiet (a few frames after a slide has settled and the next one is built), and
collect_if_overdue() now and then for the times nothing settles (touch mode, a long video).

glibc keeps the pages of freed blocks in its arenas for reuse: without giving them back, after
months of slides built and left most of a display's resident memory was such pages
(bench/memory.py's breakdown: 221 of 473 MB "free but kept"). malloc_trim(0) returns the whole
free pages of every arena to the kernel, not only the top of the heap."""

from __future__ import annotations

import ctypes
import gc
import time

OVERDUE_SECONDS = 300.0  # a full pass at least this often, quiet moment or not
NO_AUTOMATIC_FULL_PASS = 1 << 30  # gen-1 passes before the collector would start a full one itself


def _malloc_trim():
    try:
        return ctypes.CDLL(None).malloc_trim  # the process's own C library; ctypes lets go of the interpreter
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to call
        return None


_TRIM = _malloc_trim()


def give_back_free_memory() -> bool:
    """Free pages back to the kernel; False where the C library has no malloc_trim."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


class QuietCollector:
    def __init__(self, monotonic=time.monotonic):
        self.monotonic = monotonic
        self.last = monotonic()

    def take_over(self) -> None:
        """Once the display is built, before it shows anything: what it holds now stays out of every
        pass, and from now on full passes run only when collect() is called (young passes as ever)."""
        gc.collect()  # the start's own garbage first: frozen, it would never be freed
        gc.freeze()
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, NO_AUTOMATIC_FULL_PASS)

    def collect(self) -> int:
        """A full pass now, then the freed pages back; the number of unreachable objects found. Not
        while a feed is being read (the reader pauses the collector): its objects would all be walked."""
        if not gc.isenabled():
            return 0
        found = gc.collect()
        give_back_free_memory()
        self.last = self.monotonic()
        return found

    def collect_if_overdue(self) -> None:
        if self.monotonic() - self.last >= OVERDUE_SECONDS:
            self.collect()
