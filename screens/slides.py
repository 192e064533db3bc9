"""One view per slide type. A view knows how many pages it needs at its size and shows one page at a
time; the player decides when. Views are built before their turn so their layout and media are
ready when they appear."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.core.text.markup import MarkupLabel
from kivy.properties import NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.play import layout
from kiosk.feed.media import probe_mp4
from kiosk.feed.model import DEFAULT_DURATION
from screens.theme import DARK_RED, FONT_NAME, INK, MUTED, RED, load_rules
from screens.widgets import PersonCard, WrappedLabel, to_markup

load_rules(__file__)

log = logging.getLogger("kiosk.slides")


@lru_cache(maxsize=2048)  # pagination measures a paragraph's starts more than once
def text_height(text: str, font_size: float, width: float, bold: bool = False) -> float:
    """Height of markup text wrapped at this width, as a WrappedLabel draws it (tags not counted as text)."""
    label = MarkupLabel(text=text, font_size=font_size, font_name=FONT_NAME, bold=bold, text_size=(width, None))
    label.refresh()
    return label.texture.height if label.texture else 0


@lru_cache(maxsize=4096)
def text_width(text: str, font_size: float, bold: bool = False) -> float:
    """Measured by the font, without drawing a texture: a long delegate list measures every name."""
    return CoreLabel(font_size=font_size, font_name=FONT_NAME, bold=bold).get_extents(text)[0]


@lru_cache(maxsize=64)
def line_height(font_size: float, bold: bool = False) -> float:
    """The height of one line of text at this size, as the font sets it."""
    return text_height("A", font_size, font_size * 4, bold)


def usable_height(box: BoxLayout) -> float:
    """Height left for blocks in a vertical box, less its padding and the spacing of the filler."""
    return box.height - box.padding[1] - box.padding[3] - box.spacing


TITLE_SHARE = 0.4  # a title keeps the largest size at which it takes at most this share of its column
CONTINUED = " (tiếp)"  # the short heading of a slide's following pages ends with it
MAX_DETAIL_LINES = 4  # of a person's position and votes; more are cut


@dataclass(frozen=True)
class Block:
    """A piece of text on a page: Kivy markup, its size in pixels and its look."""

    text: str
    size: float
    bold: bool = False
    color: tuple = INK

    def height(self, width: float) -> float:
        return text_height(self.text, self.size, width, self.bold)

    def label(self) -> WrappedLabel:
        label = WrappedLabel(text=self.text, bold=self.bold, color=self.color)
        label.font_size = self.size  # after the rule, which binds the body size
        return label


def stacked_height(blocks: list[Block], width: float, gap: float) -> float:
    return sum(block.height(width) for block in blocks) + gap * max(0, len(blocks) - 1)


class SlideView(BoxLayout):
    """Base of every slide view: pages, timing, and the media folder."""

    entry = ObjectProperty(None)
    page = NumericProperty(0)
    page_count = NumericProperty(1)
    page_text = StringProperty("")

    def __init__(self, entry, folder: Path, **kwargs):
        self.folder = Path(folder)
        self._repaginate = Clock.create_trigger(self._paginate_now, -1)
        super().__init__(entry=entry, **kwargs)
        self.bind(page=self._update_page_text, page_count=self._update_page_text)

    def on_kv_post(self, base_widget):
        # Pages depend on the size of the area that holds them, known only after layout.
        area = self.ids.get("area")
        if area is not None:
            area.bind(size=self._repaginate)

    @property
    def slide(self):
        return self.entry.slide

    @property
    def theme(self):
        return App.get_running_app().theme

    def media(self, name: str | None) -> str:
        return str(self.folder / name) if name else ""

    def _update_page_text(self, *_):
        self.page_text = f"Trang {self.page + 1}/{self.page_count}" if self.page_count > 1 else ""

    def _paginate_now(self, *_):
        self.paginate()
        self.page = min(self.page, self.page_count - 1)
        self.show_page(self.page)

    def paginate(self) -> None:
        """Work out page_count for the current size."""

    def show_page(self, page: int) -> None:
        self.page = page

    def page_seconds(self) -> float:
        return self.slide.duration or DEFAULT_DURATION[self.slide.type]

    def shown_seconds(self) -> float:
        """How long one page stays on screen (the preview's index says it)."""
        return self.page_seconds()

    def prepare(self) -> None:
        """Called when the view comes next, while another one is shown: get its media ready."""

    def when_ready(self, then) -> None:
        """then() once the view can appear as it will look (its first video frame decoded): at once for most."""
        then()

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


class PeopleSlideView(SlideView):
    """Delegates and leaders: a grid of cards, paginated so that nothing is shrunk or cut; the full
    title on the first page, a one-line heading on the others."""

    heading = StringProperty("")
    subtitle = StringProperty("")
    note = StringProperty("")
    columns = NumericProperty(1)
    title_block = ObjectProperty(None, allownone=True)  # the Block shown as this page's title

    def on_kv_post(self, base_widget):
        # The grid's height changes with each page's title: pages follow the view's own size.
        self.bind(size=self._repaginate)

    def name_size(self) -> float:
        """Leaders' names are few and large; delegate lists are long, so names use the body size."""
        return self.theme.body

    def card_height(self, detail_lines: int = 1) -> float:
        theme = self.theme
        return (line_height(self.name_size(), bold=True) + line_height(theme.small) * detail_lines
                + theme.gap * 1.2)

    def card_min_width(self) -> float:
        longest = max((text_width(p.name, self.name_size(), bold=True) for p in self.slide.people), default=0)
        return longest + self.card_height() + self.theme.gap * 2.5

    def detail_lines(self, card_width: float) -> int:
        """As many lines as the longest positions need beside the photo (which grows with the card),
        measured on the widest few; at most MAX_DETAIL_LINES."""
        theme = self.theme
        widest = sorted((self.detail(p) for p in self.slide.people), key=lambda text: text_width(text, theme.small),
                        reverse=True)[:3]
        for lines in range(1, MAX_DETAIL_LINES + 1):
            # The card's padding (a gap), the photo (the card's height less a gap), the spacing after it.
            room = card_width - self.card_height(lines) - theme.gap * 0.75
            needed = max((text_height(to_markup(text), theme.small, room) for text in widest), default=0)
            if room > 0 and needed <= line_height(theme.small) * lines + 1:
                return lines
        return MAX_DETAIL_LINES

    def paginate(self):
        grid = self.ids.area
        width = self.width - self.padding[0] - self.padding[2]
        if width <= 1 or self.height <= 1:
            return
        theme = self.theme
        # The view's five rows (title, subtitle, note, grid, page number) and their four gaps.
        inner = (self.height - self.padding[1] - self.padding[3] - self.spacing * 4
                 - self.ids.page_number.height)
        self.first_title = self.fitted_title(self.heading, width, inner, DARK_RED)
        self.later_title = self.continued_heading(self.heading, width, DARK_RED)
        first_lead = (self.first_title.height(width) + self._line_height(self.subtitle, theme.body, width)
                      + self._line_height(self.note, theme.small, width))
        later_lead = self.later_title.height(width)
        gap = grid.spacing[0]
        columns = layout.card_grid(width, inner, self.card_min_width(), 1, gap, max_columns=3).columns
        self.lines = self.detail_lines((width - gap * (columns - 1)) / columns)
        height = self.card_height(self.lines)
        later = layout.card_grid(width, inner - later_lead, self.card_min_width(), height, gap, max_columns=columns)
        first_rows = layout.rows_fitting(inner - first_lead, height, gap)
        self.columns = later.columns
        self.pages = layout.chunk_pages(self.slide.people, first_rows * later.columns, later.per_page)
        self.page_count = len(self.pages)

    @staticmethod
    def _line_height(text: str, size: float, width: float) -> float:
        return text_height(to_markup(text), size, width) if text else 0

    def show_page(self, page):
        super().show_page(page)
        grid = self.ids.area
        grid.clear_widgets()
        if not getattr(self, "pages", None):
            return
        self.title_block = self.first_title if page == 0 else self.later_title
        height = self.card_height(self.lines)
        for person in self.pages[page]:
            grid.add_widget(PersonCard(person=person, photo=self.media(person.photo), detail=self.detail(person),
                                       detail_lines=self.lines, name_size=self.name_size(),
                                       size_hint_y=None, height=height))

    def room_left(self) -> float:
        """Height free for one more card on this page: a card's and a gap's when the last row has
        room beside its last card, else what is left under the last row."""
        if not getattr(self, "pages", None):
            return 0
        grid, people = self.ids.area, self.pages[self.page]
        height, gap = self.card_height(self.lines), grid.spacing[1]
        if len(people) % self.columns:
            return height + gap
        rows = len(people) // self.columns
        return grid.height - rows * height - max(0, rows - 1) * gap

    def first_block_needs(self) -> float:
        """What one more card needs: its height and the gap above it."""
        return self.card_height(getattr(self, "lines", 1)) + self.ids.area.spacing[1]

    def detail(self, person) -> str:
        parts = [person.position or ""]
        if person.votes is not None:
            parts.append(f"{person.votes:,} phiếu".replace(",", "."))
        if person.percent is not None:
            parts.append(f"{person.percent:.2f}%".replace(".", ","))
        return " · ".join(part for part in parts if part)


class DelegatesSlideView(PeopleSlideView):
    def __init__(self, entry, folder, **kwargs):
        super().__init__(entry, folder, **kwargs)
        slide = self.slide
        self.heading = slide.titled_list
        self.subtitle = slide.constituency or (slide.term if slide.title else "") or ""
        self.note = slide.note or ""


class LeadersSlideView(PeopleSlideView):
    def __init__(self, entry, folder, **kwargs):
        super().__init__(entry, folder, **kwargs)
        self.heading = self.slide.title
        self.note = self.slide.note or ""

    def detail(self, person) -> str:
        return person.position

    def name_size(self) -> float:
        return self.theme.heading


class BlocksSlideView(SlideView):
    """Text in blocks (paragraphs, points) packed onto pages, a block never cut between pages, each
    page filled before the next; the title in full above the first page's blocks, a one-line
    heading above the others'."""

    title_color = INK

    def lead(self, title: Block) -> list[Block]:
        """What the first page shows above the blocks, with the title."""
        return [title]

    def continued(self, width: float) -> list[Block]:
        """What the following pages show above their blocks."""
        return []

    def pack(self, width: float, page_height: float, gap: float, first_lead: float,
             later_lead: float) -> list[list[Block]]:
        """The blocks of each page: the first under a lead this high, the others under later_lead."""
        return [[]]

    def paginate(self):
        box = self.ids.area
        if box.width <= 1 or box.height <= 1:
            return
        width, gap, room = box.width, box.spacing, usable_height(box)
        self.continued_blocks = self.continued(width)
        later_lead = stacked_height(self.continued_blocks, width, gap)
        # The title one size smaller when that saves a page (a last page of one short point).
        best = None
        for size in self.title_sizes(self.slide.title, width, room):
            lead = self.lead(Block(to_markup(self.slide.title), size, True, self.title_color))
            pages = self.pack(width, room, gap, stacked_height(lead, width, gap), later_lead)
            if best is None or len(pages) < len(best[1]):
                best = (lead, pages)
        self.lead_blocks, self.pages = best
        self.page_count = len(self.pages)

    def show_page(self, page):
        super().show_page(page)
        box = self.ids.area
        box.clear_widgets()
        self._shown, self._filler = [], None
        if not getattr(self, "pages", None):
            return
        for block in self.lead_blocks if page == 0 else self.continued_blocks:
            box.add_widget(block.label())
        self._shown = [block.label() for block in self.pages[page]]
        for label in self._shown:
            box.add_widget(label)
        self._filler = Widget()  # keeps the blocks at the top
        box.add_widget(self._filler)

    def room_left(self) -> float:
        """Height free under this page's last block (what a next block and its gap would need)."""
        return self._filler.height if self._filler is not None else 0

    def first_block_needs(self) -> float:
        """The height this page's first block and the gap before it take."""
        return self._shown[0].height + self.ids.area.spacing if self._shown else 0


class ResolutionSlideView(BlocksSlideView):
    """Number, date, title, issuer and summary points; a QR code to the full text."""

    def lead(self, title):
        theme = self.theme
        return [Block(to_markup(self.date_text), theme.body, True, RED), title,
                Block(to_markup(self.slide.issuer), theme.small, False, MUTED)]

    def continued(self, width):
        return [Block(to_markup(f"Nghị quyết {self.slide.number}{CONTINUED}"), self.theme.body, True, RED)]

    def pack(self, width, page_height, gap, first_lead, later_lead):
        points = [Block(to_markup(layout.bulleted(point)), self.theme.body) for point in self.slide.points]
        pages = layout.pack_blocks([point.height(width) for point in points], page_height, gap, first_lead, later_lead)
        return [[points[index] for index in page] for page in pages]

    @property
    def date_text(self) -> str:
        return f"{self.slide.number} · ngày {self.slide.date:%d/%m/%Y}"


class TextSlideView(BlocksSlideView):
    """Announcements and stories: title, paragraphs split over pages, an optional picture."""

    title_color = DARK_RED

    def lead(self, title):
        category = self.slide.category
        return ([Block(to_markup(category), self.theme.small, True, RED)] if category else []) + [title]

    def continued(self, width):
        return [self.continued_heading(self.slide.title, width, DARK_RED)]

    def pack(self, width, page_height, gap, first_lead, later_lead):
        # A long paragraph goes on over the page at the end of a sentence, so that pages are full.
        sentences = [layout.split_sentences(" ".join(paragraph.split()))
                     for paragraph in layout.paragraphs(self.slide.body)]
        size = self.theme.body
        pages = layout.pack_paragraphs(sentences, lambda text: text_height(to_markup(text), size, width),
                                       page_height, gap, first_lead, later_lead)
        return [[Block(to_markup(text), size) for text in page] for page in pages]


class ImageSlideView(SlideView):
    """An image fitted without distortion on a matching background."""

    @property
    def failure(self) -> str:
        return "" if self.ids.image.texture is not None else f"không mở được ảnh {self.slide.file}"

    def leave(self):
        self.ids.image.source = ""


class VideoSlideView(SlideView):
    """A video played to its end (or its limit), muted unless the feed asks for sound. Prepared, it
    decodes its first frame and waits on it, so that the fade brings in that frame, never black."""

    broken = StringProperty("")  # why it does not play, once known
    READY_WAIT_SECONDS = 2.0  # a decoder slower than this to its first frame does not hold the loop longer

    def __init__(self, entry, folder, **kwargs):
        super().__init__(entry, folder, **kwargs)
        self._on_finished = None
        self._limit = None
        self._entered = False
        self._on_ready = None
        path = Path(self.media(self.slide.file))
        self.info = probe_mp4(path) if path.suffix.lower() in (".mp4", ".m4v") else None
        # An MP4 whose header cannot be read will not play: skip it before showing a black box.
        if path.suffix.lower() in (".mp4", ".m4v") and self.info is None:
            self.broken = f"không đọc được video {self.slide.file}"

    @property
    def failure(self) -> str:
        return self.broken

    @property
    def pace_reason(self) -> str:
        return f"video {id(self)}"  # the outgoing video leaves after the next one started

    def prepare(self):
        if self.broken:
            return
        video = self.ids.video
        video.volume = 0  # silent until its turn
        video.bind(loaded=self._first_frame)
        try:
            video.state = "play"  # paused again at its first frame
        except (ValueError, OSError):
            pass  # enter tries again and says why

    def _first_frame(self, video, loaded):
        if not loaded:
            return
        if not self._entered:
            video.state = "pause"
        self._ready()

    def when_ready(self, then):
        if self.broken or self.ids.video.loaded:
            then()
            return
        self._on_ready = then
        Clock.schedule_once(self._ready, self.READY_WAIT_SECONDS)

    def _ready(self, *_):
        then, self._on_ready = self._on_ready, None
        if then:
            then()

    def enter(self, on_finished):
        self._on_finished = on_finished
        self._entered = True
        video = self.ids.video
        video.volume = 1 if self.slide.sound else 0
        video.bind(eos=self._finished, loaded=self._loaded)
        App.get_running_app().pace.hold(self.pace_reason)  # each new frame drawn as it comes
        try:
            video.state = "play"
        except (ValueError, OSError) as error:  # ffpyplayer could not open the file or the sound device
            reason = f"không mở được video ({error})"
            Clock.schedule_once(lambda *_: self._fail(reason), 0)  # the player moves on after enter returns
            return
        # A video that never starts or never ends must not hold the loop.
        limit = self.slide.max_seconds or 600
        self._limit = Clock.schedule_once(self._finished, limit)
        Clock.schedule_once(self._check_started, 5)

    def _loaded(self, video, loaded):
        if loaded and video.duration and video.duration < 1:
            self._fail("video quá ngắn hoặc hỏng")

    def _check_started(self, *_):
        video = self.ids.video
        if self._on_finished and not video.loaded:
            self._fail("không phát được video")

    def _fail(self, reason):
        """The player sees the failure when the view finishes, says it once and skips the slide a while."""
        self.broken = f"{reason}: {self.slide.file}"
        self._finished()

    def _finished(self, *_):
        callback, self._on_finished = self._on_finished, None
        if callback:
            callback()

    def page_seconds(self) -> float:
        return 0  # the video's end decides

    def shown_seconds(self) -> float:
        """How long it stays on screen: to its end, or its limit (0 when the file says nothing)."""
        limit = self.slide.max_seconds or 600
        seconds = self.info.seconds if self.info and self.info.seconds else self.ids.video.duration
        return min(limit, seconds) if seconds and seconds > 0 else 0

    def pause(self):
        if self._limit:
            self._limit.cancel()
        self.ids.video.state = "pause"
        App.get_running_app().pace.release(self.pace_reason)

    def resume(self) -> bool:
        video = self.ids.video
        if self.broken or video.eos or self._on_finished is None:
            return False
        video.state = "play"
        App.get_running_app().pace.hold(self.pace_reason)
        self._limit = Clock.schedule_once(self._finished, self.slide.max_seconds or 600)
        return True

    def leave(self):
        if self._limit:
            self._limit.cancel()
        self._on_finished = self._on_ready = None
        video = self.ids.video
        video.state = "stop"
        video.unload()
        App.get_running_app().pace.release(self.pace_reason)


VIEWS = {
    "delegates": DelegatesSlideView,
    "leaders": LeadersSlideView,
    "resolution": ResolutionSlideView,
    "text": TextSlideView,
    "image": ImageSlideView,
    "video": VideoSlideView,
}


def make_view(entry, folder: Path) -> SlideView:
    return VIEWS[entry.slide.type](entry, folder)

