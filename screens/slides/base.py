"""What every slide view shares: the base SlideView (pages, timing, media folder, the titles'
sizes) and the measuring that pagination rests on (text heights and widths as Kivy draws them)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.core.text.markup import MarkupLabel
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.label import Label
from kivy.uix.boxlayout import BoxLayout

from kiosk.play import layout
from screens.staging import SHARE, NotThisFrame
from screens.theme import FONT_NAME, INK, load_rules
from screens.widgets import Oriented, WrappedLabel, to_markup

load_rules(__file__)

TITLE_SHARE = 0.4  # a title keeps the largest size at which it takes at most this share of its column
CONTINUED = " (tiếp)"  # the short heading of a slide's following pages ends with it
STAGED_TRIES = 40  # frames a staged pagination may take; then it ends in one (a list longer than the caches)


@lru_cache(maxsize=2048)  # pagination measures a paragraph's starts more than once
def text_height(text: str, font_size: float, width: float, bold: bool = False) -> float:
    """Height of markup text wrapped at this width, as a WrappedLabel draws it (tags not counted as text)."""
    SHARE.check()
    label = MarkupLabel(text=text, font_size=font_size, font_name=FONT_NAME, bold=bold, text_size=(width, None))
    label.refresh()
    return label.texture.height if label.texture else 0


# A staged pagination replays its measurements at each frame: a list's every name and position must
# stay cached (10,000 delegates: 20,000 texts), or each frame would measure again what it evicted.
@lru_cache(maxsize=32768)
def text_width(text: str, font_size: float, bold: bool = False) -> float:
    """Measured by the font, without drawing a texture: a long delegate list measures every name."""
    SHARE.check()
    return CoreLabel(font_size=font_size, font_name=FONT_NAME, bold=bold).get_extents(text)[0]


@lru_cache(maxsize=64)
def line_height(font_size: float, bold: bool = False) -> float:
    """The height of one line of text at this size, as the font sets it."""
    return text_height("A", font_size, font_size * 4, bold)


def usable_height(box: BoxLayout) -> float:
    """Height left for blocks in a vertical box, less its padding and the spacing of the filler."""
    return box.height - box.padding[1] - box.padding[3] - box.spacing


@dataclass(frozen=True)
class Block:
    """A piece of text on a page: Kivy markup, its size in pixels and its look."""

    text: str
    size: float
    bold: bool = False
    color: tuple = INK

    def height(self, width: float) -> float:
        return text_height(self.text, self.size, width, self.bold)

    def label(self, theme) -> WrappedLabel:
        label = WrappedLabel(text=self.text, bold=self.bold, color=self.color)
        label.font_size = self.size
        return label


def stacked_height(blocks: list[Block], width: float, gap: float) -> float:
    return sum(block.height(width) for block in blocks) + gap * max(0, len(blocks) - 1)


class SlideView(Oriented, BoxLayout):
    """Base of every slide view: pages, timing, and the media folder."""

    entry = ObjectProperty(None)
    page = NumericProperty(0)
    page_count = NumericProperty(1)
    page_text = StringProperty("")
    # Given by whoever builds the view (the frame's, from the composition root), never fetched:
    theme = ObjectProperty(None)  # screens.theme.Theme: the sizes of text and gaps at this screen's size
    pace = ObjectProperty(None)  # screens.pace.FramePace: held while something on the view moves
    # Built ahead of its turn: its pagination and labels spread over frames (screens/staging.py).
    staging = BooleanProperty(False)

    def __init__(self, entry, folder: Path, *, theme, pace, **kwargs):
        self.folder = Path(folder)
        self._repaginate = Clock.create_trigger(self._paginate_now, -1)
        self._staged_paginate = Clock.create_trigger(self._paginate_now, 0)  # the next frame
        self._pay_textures = Clock.create_trigger(self._render_owed, 0)
        self._owed: list = []  # labels whose textures wait for a frame with time left
        self._tries = 0  # of a staged pagination not done yet (0: none waits)
        super().__init__(entry=entry, theme=theme, pace=pace, **kwargs)
        self.bind(page=self._update_page_text, page_count=self._update_page_text)

    def on_kv_post(self, base_widget):
        # Pages depend on the size of the area that holds them, known only after layout.
        area = self.ids.get("area")
        if area is not None:
            area.bind(size=self._repaginate)

    @property
    def slide(self):
        return self.entry.slide

    def media(self, name: str | None) -> str:
        return str(self.folder / name) if name else ""

    def _update_page_text(self, *_):
        self.page_text = f"Trang {self.page + 1}/{self.page_count}" if self.page_count > 1 else ""

    def _paginate_now(self, *_):
        if self.staging and self._tries < STAGED_TRIES:
            SHARE.measuring = True
            try:
                self.paginate()  # measurements are cached: the next try replays them at once
            except NotThisFrame:
                self._tries += 1
                self._staged_paginate()
                self._hold_pace()
                return
            finally:
                SHARE.measuring = False
        else:
            self.paginate()
        self._tries = 0
        self._hold_pace()
        self.page = min(self.page, self.page_count - 1)
        self.show_page(self.page)

    def paginate(self) -> None:
        """Work out page_count for the current size."""

    # --- built ahead of its turn
    def owe_texture(self, label) -> None:
        """A label of this staged view renders its texture in a later frame."""
        if label not in self._owed:
            self._owed.append(label)
        self._pay_textures()
        self._hold_pace()

    def _render_owed(self, *_):
        while self._owed and SHARE.left():
            Label.texture_update(self._owed.pop(0))
        if self._owed:
            self._pay_textures()
        self._hold_pace()

    def _hold_pace(self) -> None:
        # Staged work moves on at each frame: at the full rate it is done in a fraction of a second.
        if self.pace is not None:
            self.pace.hold_while(f"staging {id(self)}", bool(self._owed) or self._tries > 0)

    def finish_staging(self) -> None:
        """Its turn has come: what staging left is done now, and from now on everything at once."""
        self.staging = False
        self._staged_paginate.cancel()
        self._pay_textures.cancel()
        if self._tries:
            self._paginate_now()
        owed, self._owed = self._owed, []
        for label in owed:
            Label.texture_update(label)
        self._hold_pace()

    def drop_staging(self) -> None:
        """It will not be shown: stop its staged work."""
        self.staging = False
        self._staged_paginate.cancel()
        self._pay_textures.cancel()
        self._owed, self._tries = [], 0
        self._hold_pace()

    def show_page(self, page: int) -> None:
        self.page = page

    def page_seconds(self) -> float:
        return self.slide.page_seconds

    def shown_seconds(self) -> float:
        """How long one page stays on screen (the preview's index says it)."""
        return self.page_seconds()

    def prepare(self) -> None:
        """Called when the view comes next, while another one is shown: get its media ready."""

    def when_ready(self, then) -> None:
        """then() once the view can appear as it will look (its first video frame decoded): at once for most."""
        then()

    def before_preview(self, drawn):
        """What `kiosk preview` waits for before its shots (seconds, or `drawn`: the next frame of
        this view on screen): nothing for most views (a video plays to its first frame)."""
        return iter(())

    def enter(self, on_finished) -> None:
        """Called when the view becomes visible. A view that ends by itself (video) calls on_finished."""

    def leave(self) -> None:
        """Called when the view is gone from the screen: free what it holds."""

    def pause(self) -> None:
        """Touch mode covers the screen."""

    def resume(self) -> bool:
        """Touch mode is over; True if the view goes on by itself (a video playing on)."""
        return False

    @property
    def failure(self) -> str:
        """Why the view cannot be shown ('' when it can): a file that does not open or play."""
        return ""

    def title_sizes(self, text: str, width: float, column_height: float) -> list[float]:
        """The sizes a title may take, largest first: the largest of the theme's where it takes at
        most TITLE_SHARE of the column (at the smallest it wraps onto as many lines as it needs),
        then the smaller ones."""
        theme = self.theme
        sizes = (theme.title, theme.heading, theme.body)
        markup = to_markup(text)
        largest = layout.largest_fitting(sizes, lambda size: text_height(markup, size, width, bold=True),
                                         column_height * TITLE_SHARE)
        return [size for size in sizes if size <= largest]

    def fitted_title(self, text: str, width: float, column_height: float, color) -> Block:
        """The title in full at the largest size it may take."""
        return Block(to_markup(text), self.title_sizes(text, width, column_height)[0], True, color)

    def continued_heading(self, text: str, width: float, color) -> Block:
        """The following pages' heading: the title cut to one line at a word, then "(tiếp)"."""
        size = self.theme.heading
        short = layout.shorten_at_word(text, lambda line: text_width(line, size, bold=True) <= width, CONTINUED)
        return Block(to_markup(short), size, True, color)
