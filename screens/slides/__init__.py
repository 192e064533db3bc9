"""One view per slide type, each in its own module with its .kv beside it; the shared base
(SlideView, measuring, Block) in base.py. A view knows how many pages it needs at its size and
shows one page at a time; the player decides when. Views are built before their turn so their
layout and media are ready when they appear.

VIEWS ties each type the core declares (kiosk.feed.model.SLIDE_TYPES) to its view; a test checks
that none is missing, and the app refuses to start, saying which, if one is."""

from __future__ import annotations

from pathlib import Path

from kiosk.feed.model import SLIDE_TYPES
from screens.slides.base import SlideView
from screens.slides.image import ImageSlideView
from screens.slides.meetings import MeetingsSlideView
from screens.slides.people import DelegatesSlideView, LeadersSlideView
from screens.slides.resolution import ResolutionSlideView
from screens.slides.text import TextSlideView
from screens.slides.video import VideoSlideView

VIEWS: dict[str, type[SlideView]] = {
    "delegates": DelegatesSlideView,
    "leaders": LeadersSlideView,
    "resolution": ResolutionSlideView,
    "text": TextSlideView,
    "image": ImageSlideView,
    "video": VideoSlideView,
    "meetings": MeetingsSlideView,
}


def missing_views() -> list[str]:
    """The slide types of the feed's model that have no view here."""
    return [name for name in SLIDE_TYPES if name not in VIEWS]


def check_views() -> None:
    """At start, before any slide is chosen: a type without a view stops the app with its name (a
    KeyError when its slide came round would crash the wall in a Clock callback, again and again)."""
    missing = missing_views()
    if missing:
        names = ", ".join(f"`{name}`" for name in missing)
        raise SystemExit(f"phần mềm thiếu cách hiển thị loại trang {names} (screens/slides/__init__.py, VIEWS): "
                         "màn hình không khởi động; hãy cài lại bản phần mềm đầy đủ")


def make_view(entry, folder: Path, *, theme, pace) -> SlideView:
    """The view of an entry's slide, its media in `folder`, sized by `theme`, moving at `pace`."""
    return VIEWS[entry.slide.type](entry, folder, theme=theme, pace=pace)
