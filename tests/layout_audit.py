"""A layout audit: walks a Kivy widget tree on screen and lists what a resident would find wrong.

Use it in a process whose Kivy window is open and laid out (tests/kiosk_harness.py):

    from tests.layout_audit import audit, frame_areas, missing_words, words_shown

    problems = audit(root_widget, "counter: menu", (1080, 1920), settings,
                     expected_words="Hỏi đáp Tìm kiếm",         # optional: all on this one screen
                     bounds=None,                                # optional (x, y, right, top); default: the window
                     forbidden=frame_areas(app.frame))           # optional [(name, widget or rect)]
    for problem in problems:
        print(problem)   # "counter: menu @ 1080x1920: Button `Tìm kiếm`: touch target 52 px high < 96 px"

`settings` is anything with `touch_target` (kiosk.settings.DisplaySettings), or None for 96.
Each Problem names the screen, the size, the widget and what is wrong (`rule` is one of RULES).
The rules, on every visible widget (opacity > 0, all its parents too):
- "text-overflow": a label's drawn text (texture) is larger than the label;
- "off-window": a widget leaves the window, or `bounds` when given (text in a ScrollView, and a
  widget with `moving_text = True` such as the ticker, may pass them: moving is what they are for);
  so does what a widget draws by itself where it says so in `drawn_rect` (a QR code);
- "over-frame": a widget overlaps one of the `forbidden` areas (the header, sidebar, ticker);
- "touch-target": a button (ButtonBehavior) is lower than touch_target scaled to the screen;
- "text-size": text smaller than MIN_TEXT_PX (30 px at 1080 px short side, scaled);
- "missing-word": a word of `expected_words` is not drawn (a cut, shortened or hidden label).

For content spread over pages, gather what each page shows with `words_shown(root)` and check the
whole at the end with `missing_words(expected, shown, screen, size)`."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

REFERENCE_SHORT_SIDE = 1080
MIN_TEXT_PX = 30  # the theme's smallest size at the reference short side
DEFAULT_TOUCH_TARGET = 96
TOLERANCE = 1.0  # px: rounding of layout
RULES = ("text-overflow", "off-window", "over-frame", "touch-target", "text-size", "missing-word")

Rect = tuple[float, float, float, float]  # x, y, right, top in window coordinates


@dataclass(frozen=True)
class Problem:
    screen: str
    size: tuple[int, int]
    widget: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.screen} @ {self.size[0]}x{self.size[1]}: {self.widget}: {self.detail}"


def scale_of(size: Sequence[float]) -> float:
    return min(size) / REFERENCE_SHORT_SIDE


def audit(root, screen: str, size: Sequence[int], settings=None, expected_words=None,
          bounds: Rect | None = None, forbidden: Sequence[tuple[str, object]] = ()) -> list[Problem]:
    """Everything wrong with what `root` and its visible descendants show now (see the module's doc)."""
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.label import Label

    size = (int(size[0]), int(size[1]))
    scale = scale_of(size)
    touch = getattr(settings, "touch_target", None) or DEFAULT_TOUCH_TARGET
    window = (0.0, 0.0, float(size[0]), float(size[1]))
    limits = bounds or window
    problems: list[Problem] = []

    def say(widget, rule, detail):
        problems.append(Problem(screen, size, describe(widget), rule, detail))

    for widget in visible_widgets(root):
        drawn = drawn_rect(widget)
        if drawn is not None and not inside(drawn, limits):
            say(widget, "off-window", f"drawn at {_rect_text(drawn)}, outside {_rect_text(limits)}")
        rect = window_rect(widget)
        x, y, right, top = rect
        if right - x < TOLERANCE or top - y < TOLERANCE:
            continue  # an empty filler or a collapsed row
        free = moves_freely(widget)
        if not free and not inside(rect, limits):
            say(widget, "off-window", f"at {_rect_text(rect)}, outside {_rect_text(limits)}")
        for name, part in forbidden:
            area = part if isinstance(part, tuple) else window_rect(part)
            if overlap(rect, area) and not related(widget, part):
                say(widget, "over-frame", f"at {_rect_text(rect)} covers the {name} ({_rect_text(area)})")
        if isinstance(widget, ButtonBehavior) and top - y < touch * scale - 0.5:
            say(widget, "touch-target", f"touch target {top - y:.0f} px high < {touch * scale:.0f} px")
        if isinstance(widget, Label) and widget.text.strip():
            widget.texture_update()
            tw, th = widget.texture_size
            if tw > widget.width + TOLERANCE or th > widget.height + TOLERANCE:
                say(widget, "text-overflow",
                    f"text {tw:.0f}x{th:.0f} in a box of {widget.width:.0f}x{widget.height:.0f}")
            if widget.font_size < MIN_TEXT_PX * scale - 0.5:
                say(widget, "text-size", f"text {widget.font_size:.0f} px < {MIN_TEXT_PX * scale:.0f} px")
    if expected_words is not None:
        problems.extend(missing_words(expected_words, words_shown(root), screen, size))
    return problems


def frame_areas(frame) -> list[tuple[str, object]]:
    """The kiosk frame's fixed parts that slides must leave alone: [(name, widget)] of those shown."""
    areas = []
    for name in ("header", "sidebar", "ticker"):
        part = frame.ids.get(name)
        if part is not None and part.opacity > 0 and part.width > 0 and part.height > 0:
            areas.append((name, part))
    return areas


def visible_widgets(root) -> Iterable:
    """root and its descendants that are drawn: opacity above zero, and so are all their parents."""
    stack = [root]
    while stack:
        widget = stack.pop()
        if widget.opacity <= 0:
            continue
        yield widget
        stack.extend(reversed(widget.children))


def window_rect(widget) -> Rect:
    x, y = widget.to_window(widget.x, widget.y)
    right, top = widget.to_window(widget.right, widget.top)
    return (min(x, right), min(y, top), max(x, right), max(y, top))


def drawn_rect(widget) -> Rect | None:
    """Where a widget that draws by itself (a QR code, centred in its box) says it drew, on the window."""
    drawn = getattr(widget, "drawn_rect", None)
    if drawn is None:
        return None
    x, y = widget.to_window(drawn[0], drawn[1])
    right, top = widget.to_window(drawn[2], drawn[3])
    return (x, y, right, top)


def inside(rect: Rect, limits: Rect) -> bool:
    return (rect[0] >= limits[0] - TOLERANCE and rect[1] >= limits[1] - TOLERANCE
            and rect[2] <= limits[2] + TOLERANCE and rect[3] <= limits[3] + TOLERANCE)


def overlap(a: Rect, b: Rect) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > TOLERANCE and min(a[3], b[3]) - max(a[1], b[1]) > TOLERANCE


def related(widget, part) -> bool:
    """The forbidden part itself, inside it or holding it (an audit of the whole window)."""
    if isinstance(part, tuple):
        return False
    return widget is part or part in _ancestors(widget) or widget in _ancestors(part)


def moves_freely(widget) -> bool:
    """Text in a ScrollView, or a moving line: passing the bounds is what it is made for."""
    from kivy.uix.scrollview import ScrollView

    return any(isinstance(a, ScrollView) or getattr(a, "moving_text", False) for a in _ancestors(widget))


def _ancestors(widget):
    while widget.parent is not None and widget.parent is not widget:
        widget = widget.parent
        yield widget


def describe(widget) -> str:
    text = getattr(widget, "text", "")
    name = type(widget).__name__
    if isinstance(text, str) and text.strip():
        first = " ".join(text.split())
        return f"{name} `{first[:50]}{'…' if len(first) > 50 else ''}`"
    for child in widget.walk(restrict=True):  # a box is named by its first text
        child_text = getattr(child, "text", "")
        if child is not widget and isinstance(child_text, str) and child_text.strip():
            return f"{name} with `{' '.join(child_text.split())[:40]}`"
    return f"{name} {widget.width:.0f}x{widget.height:.0f}"


_EDGE = re.compile(r"^[\W_]+|[\W_]+$")


def words_of(text: str) -> list[str]:
    """The words of a text as compared: NFC, case folded, punctuation and symbols at their ends removed."""
    words = []
    for raw in unicodedata.normalize("NFC", text).split():
        word = _EDGE.sub("", raw).casefold()
        if word:
            words.append(word)
    return words


def drawn_text(label) -> str:
    """The text a label really draws: its laid-out lines (a shortened label's "...", only the lines
    that max_lines or its height keep), markup tags left out."""
    label.texture_update()
    lines = getattr(label._label, "_cached_lines", None) or []
    return "\n".join("".join(word.text for word in line.words) for line in lines)


def words_shown(root) -> set[str]:
    """The words drawn by root's visible labels."""
    from kivy.uix.label import Label

    shown: set[str] = set()
    for widget in visible_widgets(root):
        if isinstance(widget, Label) and widget.text.strip():
            shown.update(words_of(drawn_text(widget)))
    return shown


def missing_words(expected, shown: set[str], screen: str, size: Sequence[int]) -> list[Problem]:
    """One problem naming the words of `expected` (a text, or a list of texts) not in `shown`."""
    texts = [expected] if isinstance(expected, str) else list(expected)
    missing = []
    for text in texts:
        for word in words_of(text):
            if word not in shown and word not in missing:
                missing.append(word)
    if not missing:
        return []
    return [Problem(screen, (int(size[0]), int(size[1])), "content", "missing-word",
                    f"{len(missing)} words never drawn: {', '.join(missing[:12])}{' …' if len(missing) > 12 else ''}")]


def _rect_text(rect: Rect) -> str:
    x, y, right, top = rect
    return f"{x:.0f},{y:.0f} {right - x:.0f}x{top - y:.0f}"
