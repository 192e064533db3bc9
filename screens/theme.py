"""Fonts, colours and the fixed set of text sizes, scaled with the screen's short side.

A fixed set keeps every screen consistent and keeps Kivy's text cache small; at 1920x1080 the
smallest size is 30 px, readable from two metres."""

from __future__ import annotations

from pathlib import Path

from kivy.core.text import LabelBase
from kivy.event import EventDispatcher
from kivy.properties import NumericProperty

ASSETS = Path(__file__).resolve().parents[1] / "assets"
FONTS = ASSETS / "fonts"
BLACK_IMAGE = str(ASSETS / "black.png")  # what a video shows before its first frame
FONT_NAME = "Noto"

# Sizes in pixels on a screen whose short side is 1080 px.
BASE_SIZES = {"title": 62, "heading": 46, "body": 38, "small": 30}
REFERENCE_SHORT_SIDE = 1080

# Colours as RGBA tuples: high contrast, the red and gold of official notices. Every pair of text
# and background used reaches 4.5:1 (WCAG AA); gold on this red, the header's, 4.7:1.
RED = (0.66, 0.09, 0.09, 1)
DARK_RED = (0.55, 0.06, 0.06, 1)
GOLD = (0.98, 0.78, 0.27, 1)
PAPER = (0.98, 0.97, 0.94, 1)
INK = (0.09, 0.09, 0.1, 1)
MUTED = (0.3, 0.3, 0.33, 1)
NAVY = (0.05, 0.17, 0.32, 1)
WHITE = (1, 1, 1, 1)
CARD = (1, 1, 1, 1)
LINE = (0.85, 0.82, 0.76, 1)


def contrast_ratio(foreground, background) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (1 to 21)."""

    def luminance(colour):
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in colour[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def register_fonts() -> None:
    LabelBase.register(
        FONT_NAME,
        fn_regular=str(FONTS / "NotoSans-Regular.ttf"),
        fn_bold=str(FONTS / "NotoSans-Bold.ttf"),
    )


class Theme(EventDispatcher):
    """Text sizes and spacing for the current window; kv rules bind to these."""

    scale = NumericProperty(1.0)
    title = NumericProperty(BASE_SIZES["title"])
    heading = NumericProperty(BASE_SIZES["heading"])
    body = NumericProperty(BASE_SIZES["body"])
    small = NumericProperty(BASE_SIZES["small"])
    gap = NumericProperty(24)
    touch = NumericProperty(96)  # the smallest touch target, from the display settings
    touch_reference = 96  # that target on the reference screen: about 35 mm on a 32-inch 1080p panel

    def resize(self, width: float, height: float) -> None:
        self.scale = min(width, height) / REFERENCE_SHORT_SIDE
        for name, size in BASE_SIZES.items():
            setattr(self, name, round(size * self.scale))
        self.gap = round(24 * self.scale)
        self.touch = round(self.touch_reference * self.scale)

    def px(self, value: float) -> float:
        """A length given for the reference screen, on this one."""
        return value * self.scale


def load_rules(module_file: str) -> None:
    """Load the .kv file beside a screen's module, as the module is imported: a screen that is not
    needed yet (touch mode on a loop display) costs nothing at start."""
    from kivy.lang import Builder

    Builder.load_file(str(Path(module_file).with_suffix(".kv")))
