"""What the bundled font can draw and how much room a text takes in it, without Kivy: the
validator warns with it about text that will not look right on a screen.

The numbers of the screens' frame are kept here too, in pixels on the reference screen (short side
1080 px; every size scales with the screen's short side), so that the screens and the validator
reason with the same ones: screens/theme.py and the .kv rules should read them from here."""

from __future__ import annotations

import heapq
import logging
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kiosk.play import layout

FONTS = Path(__file__).resolve().parents[2] / "assets" / "fonts"
FONT_FILES = {False: FONTS / "NotoSans-Regular.ttf", True: FONTS / "NotoSans-Bold.ttf"}

# The fixed set of text sizes, in px on the reference screen.
REFERENCE_SHORT_SIDE = 1080
TEXT_SIZES = {"title": 62, "heading": 46, "body": 38, "small": 30}
# The sizes a slide title may take, largest first: too long for its area, it shrinks through these,
# then wraps. Below the last one it would no longer read as a title from two metres.
TITLE_SIZES = ("title", "heading", "body")
GAP = 24
HEADER_HEIGHT = 132
TICKER_HEIGHT = 78
SIDEBAR_WIDTH = 380  # landscape: the column beside the slides
SIDEBAR_BAND = 400  # portrait: the band under the slides
SLIDE_PADDING = (GAP * 1.5, GAP)  # left and right, top and bottom
RESOLUTION_QR = (480, 560)  # a resolution's code: its column's width in landscape, band's height in portrait
TEXT_PICTURE_SHARE = (0.42, 0.38)  # a text slide's picture: share of the width (landscape), height (portrait)
# A title may use at most this share of its column's height on the first page: the rest is for
# the points, paragraphs or people, so the first page never shows a title alone.
TITLE_MAX_SHARE = 0.5
SCREEN_SIZES = ((1920, 1080), (1080, 1920), (1280, 720), (3840, 2160))
NARROWEST_SCREEN = (1080, 1920)


@dataclass(frozen=True)
class _Face:
    characters: frozenset[int]
    advances: dict[int, int]  # code point -> advance width in font units
    missing_advance: int  # the empty box's width
    units_per_em: int
    line_height: float  # ascent + descent, in em: the height of one line of a label


@lru_cache(maxsize=2)
def _face(bold: bool) -> _Face:
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # it logs each table it reads at debug level
    font = TTFont(str(FONT_FILES[bold]), lazy=True)
    cmap = font.getBestCmap()
    metrics = font["hmtx"].metrics
    hhea = font["hhea"]
    em = font["head"].unitsPerEm
    face = _Face(frozenset(cmap), {code: metrics[glyph][0] for code, glyph in cmap.items()},
                 metrics[".notdef"][0], em, (hhea.ascent - hhea.descent) / em)
    font.close()
    return face


@lru_cache(maxsize=1)
def _undrawable_pattern() -> re.Pattern:
    """A character neither face draws, or that both lack (titles and names are bold, the rest
    regular): one regular expression, so that a feed of 60,000 values is checked at C speed."""
    codes = sorted(_face(False).characters & _face(True).characters | {ord("\n"), ord("\r")})
    ranges, start, end = [], codes[0], codes[0]
    for code in codes[1:]:
        if code != end + 1:
            ranges.append((start, end))
            start = code
        end = code
    ranges.append((start, end))
    allowed = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(f"[^{allowed}]")


def undrawable(text: str) -> list[str]:
    """The distinct characters of text the bundled font has no glyph for, in order of appearance
    (line ends excepted): each would be drawn as an empty box."""
    pattern = _undrawable_pattern()
    if not pattern.search(text):
        return []
    return list(dict.fromkeys(pattern.findall(text)))


def scale(screen: tuple[int, int]) -> float:
    return min(screen) / REFERENCE_SHORT_SIDE


def text_size(name: str, screen: tuple[int, int]) -> int:
    """One of the fixed sizes, in px on this screen."""
    return round(TEXT_SIZES[name] * scale(screen))


def line_height(size: float, bold: bool = False) -> float:
    return size * _face(bold).line_height


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in px of one line of text at this size (advance widths; kerning ignored)."""
    face = _face(bold)
    advances, missing = face.advances, face.missing_advance
    return sum(advances.get(ord(ch), missing) for ch in text) * size / face.units_per_em


def line_count(text: str, size: float, width: float, bold: bool = False) -> int:
    """Lines the text takes wrapped at width, whole words moved to the next line as a label does; a
    word wider than the line is cut where it must be."""
    space = text_width(" ", size, bold)
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split():
            word_width = text_width(word, size, bold)
            needed = word_width if not used else used + space + word_width
            if used and needed > width:
                lines += 1
                needed = word_width
            if needed > width:  # one word wider than the line
                extra = math.ceil(needed / width) - 1
                lines += extra
                needed -= extra * width
            used = needed
    return lines


def slide_area(screen: tuple[int, int], ticker: bool = True) -> tuple[float, float]:
    """Width and height inside a slide's padding on this screen, in px."""
    width, height = screen
    s = scale(screen)
    height -= (HEADER_HEIGHT + (TICKER_HEIGHT if ticker else 0)) * s
    if width >= height:
        width -= SIDEBAR_WIDTH * s
    else:
        height -= SIDEBAR_BAND * s
    return width - 2 * SLIDE_PADDING[0] * s, height - 2 * SLIDE_PADDING[1] * s


def title_column(screen: tuple[int, int], kind: str, beside: bool) -> tuple[float, float]:
    """Width and height of the column a slide's title is in: the whole slide but for a
    resolution's QR code or a text slide's picture (`beside`: the slide has one)."""
    width, height = slide_area(screen)
    s = scale(screen)
    landscape = screen[0] >= screen[1]
    if beside and kind == "resolution":
        if landscape:
            width -= (RESOLUTION_QR[0] + GAP * 1.5) * s
        else:
            height -= (RESOLUTION_QR[1] + GAP * 1.5) * s
    elif beside and kind == "text":
        if landscape:
            width = (width - GAP * 1.5 * s) * (1 - TEXT_PICTURE_SHARE[0])
        else:
            height = (height - GAP * 1.5 * s) * (1 - TEXT_PICTURE_SHARE[1])
    return width, height


@dataclass(frozen=True)
class TitleFit:
    screen: tuple[int, int]
    size: int  # px
    lines: int
    room_lines: int  # lines the title may take on that screen


def title_fit(title: str, kind: str, beside: bool) -> TitleFit:
    """How the title fares, at the smallest title size, on the supported screen where it fits worst."""
    worst = None
    for screen in (NARROWEST_SCREEN, SCREEN_SIZES[0]):  # the others scale alike
        size = text_size(TITLE_SIZES[-1], screen)
        width, height = title_column(screen, kind, beside)
        fit = TitleFit(screen, size, line_count(title, size, width, bold=True),
                       max(1, int(height * TITLE_MAX_SHARE // line_height(size, bold=True))))
        if worst is None or fit.lines - fit.room_lines > worst.lines - worst.room_lines:
            worst = fit
    return worst


def em_width(texts, bold: bool = False) -> float:
    """The widest of these one-line texts, in em (times a size in px: its width in px). Only the
    longest few are measured: a list of 10,000 names has its widest among them."""
    return max((text_width(text, 1.0, bold) for text in heapq.nlargest(32, texts, key=len)), default=0.0)


def people_per_page(longest_name: float, widest_detail: float, screen: tuple[int, int], name_size: str,
                    heading_lines: int = 1) -> int:
    """Cards of a delegate or leader list on one page at this screen, by the arithmetic of
    screens/slides/people.py PeopleSlideView: longest_name is the widest name (bold) in em, widest_detail
    the widest position line (regular, small size) in em."""
    s = scale(screen)
    gap, small, name_px = GAP * s, text_size("small", screen), text_size(name_size, screen)
    width, height = slide_area(screen)
    title = text_size(TITLE_SIZES[0], screen)
    # the title and the page number above and below the grid, with the box's spacing between
    height -= line_height(title, True) * heading_lines + line_height(small) + 2 * gap * 0.6
    card_height = name_px * 1.4 + small * 1.35 + gap * 1.2
    card_min_width = longest_name * name_px + card_height + gap * 2.5
    columns = layout.card_grid(width, height, card_min_width, 1, gap, max_columns=3).columns
    room = (width - gap * (columns - 1)) / columns - card_height - gap * 2.5
    widest = widest_detail * small
    lines = 1 if widest <= room else (3 if room <= 0 else min(3, math.ceil(widest / (room * 0.85))))
    card_height += small * 1.35 * (lines - 1)
    return layout.card_grid(width, height, card_min_width, card_height, gap, max_columns=columns).per_page
