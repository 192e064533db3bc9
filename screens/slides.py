"""One view per slide type. A view knows how many pages it needs at its size and shows one page at a
time; the player decides when. Views are built before their turn so their layout and media are
ready when they appear."""

from __future__ import annotations

import logging
import math
from functools import lru_cache
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.core.text.markup import MarkupLabel
from kivy.properties import NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk import layout
from kiosk.media import probe_mp4
from kiosk.model import DEFAULT_DURATION
from screens.theme import FONT_NAME, load_rules
from screens.widgets import PersonCard, WrappedLabel, to_markup

load_rules(__file__)

log = logging.getLogger("kiosk.slides")


def text_height(text: str, font_size: float, width: float, bold: bool = False) -> float:
    """Height of markup text wrapped at this width, as a WrappedLabel draws it (tags not counted as text)."""
    label = MarkupLabel(text=text, font_size=font_size, font_name=FONT_NAME, bold=bold, text_size=(width, None))
    label.refresh()
    return label.texture.height if label.texture else 0


@lru_cache(maxsize=4096)
def text_width(text: str, font_size: float, bold: bool = False) -> float:
    """Measured by the font, without drawing a texture: a long delegate list measures every name."""
    return CoreLabel(font_size=font_size, font_name=FONT_NAME, bold=bold).get_extents(text)[0]


def usable_height(box: BoxLayout) -> float:
    """Height left for blocks in a vertical box, less its padding and the spacing of the filler."""
    return box.height - box.padding[1] - box.padding[3] - box.spacing


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


class PeopleSlideView(SlideView):
    """Delegates and leaders: a grid of cards, paginated so that nothing is shrunk or cut."""

    heading = StringProperty("")
    subtitle = StringProperty("")
    note = StringProperty("")
    columns = NumericProperty(1)

    def name_size(self) -> float:
        """Leaders' names are few and large; delegate lists are long, so names use the body size."""
        return self.theme.body

    def card_height(self, detail_lines: int = 1) -> float:
        theme = self.theme
        return self.name_size() * 1.4 + theme.small * 1.35 * detail_lines + theme.gap * 1.2

    def card_min_width(self) -> float:
        longest = max((text_width(p.name, self.name_size(), bold=True) for p in self.slide.people), default=0)
        return longest + self.card_height() + self.theme.gap * 2.5

    def detail_lines(self, card_width: float) -> int:
        """1 to 3: as many lines as the longest position needs at this card width (a wrapped line
        fills to about 85% on average, words being whole)."""
        theme = self.theme
        room = card_width - self.card_height() - theme.gap * 2.5
        widest = max((text_width(self.detail(p), theme.small) for p in self.slide.people), default=0)
        if widest <= room:
            return 1
        return 3 if room <= 0 else min(3, math.ceil(widest / (room * 0.85)))

    def paginate(self):
        grid = self.ids.area
        if grid.width <= 1 or grid.height <= 1:
            return
        gap = grid.spacing[0]
        columns = layout.card_grid(grid.width, grid.height, self.card_min_width(), 1, gap, max_columns=3).columns
        self.lines = self.detail_lines((grid.width - gap * (columns - 1)) / columns)
        cards = layout.card_grid(grid.width, grid.height, self.card_min_width(), self.card_height(self.lines),
                                 gap, max_columns=columns)
        self.columns = cards.columns
        self.pages = layout.chunk(self.slide.people, cards.per_page)
        self.page_count = len(self.pages)

    def show_page(self, page):
        super().show_page(page)
        grid = self.ids.area
        grid.clear_widgets()
        if not getattr(self, "pages", None):
            return
        height = self.card_height(self.lines)
        for person in self.pages[page]:
            grid.add_widget(PersonCard(person=person, photo=self.media(person.photo), detail=self.detail(person),
                                       detail_lines=self.lines, name_size=self.name_size(),
                                       size_hint_y=None, height=height))

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
    """Text in blocks (paragraphs, points) packed onto pages, a block never cut between pages."""

    def blocks(self, width: float, height: float) -> list[str]:
        """The blocks as Kivy markup, none taller than a page of this size."""
        return []

    def paginate(self):
        box = self.ids.area
        if box.width <= 1 or box.height <= 1:
            return
        self.block_texts = self.blocks(box.width, usable_height(box))
        heights = [text_height(block, self.theme.body, box.width) for block in self.block_texts]
        self.pages = layout.pack_blocks(heights, usable_height(box), box.spacing)
        self.page_count = len(self.pages)

    def show_page(self, page):
        super().show_page(page)
        box = self.ids.area
        box.clear_widgets()
        for index in getattr(self, "pages", [[]])[page]:
            box.add_widget(WrappedLabel(text=self.block_texts[index]))
        box.add_widget(Widget())  # keeps the blocks at the top


class ResolutionSlideView(BlocksSlideView):
    """Number, date, title, issuer and summary points; a QR code to the full text."""

    def blocks(self, width, height):
        return [to_markup(f"•  {point}") for point in self.slide.points]

    @property
    def date_text(self) -> str:
        return f"{self.slide.number} · ngày {self.slide.date:%d/%m/%Y}"


class TextSlideView(BlocksSlideView):
    """Announcements and stories: title, paragraphs split over pages, an optional picture."""

    def blocks(self, width, height):
        blocks = []
        for paragraph in layout.paragraphs(self.slide.body):
            paragraph = " ".join(paragraph.split())
            if text_height(to_markup(paragraph), self.theme.body, width) > height:
                blocks.extend(to_markup(sentence) for sentence in layout.split_sentences(paragraph))
            else:
                blocks.append(to_markup(paragraph))
        return blocks


class ImageSlideView(SlideView):
    """An image fitted without distortion on a matching background."""

    @property
    def failure(self) -> str:
        return "" if self.ids.image.texture is not None else f"không mở được ảnh {self.slide.file}"

    def leave(self):
        self.ids.image.source = ""


class VideoSlideView(SlideView):
    """A video played to its end (or its limit), muted unless the feed asks for sound."""

    broken = StringProperty("")  # why it does not play, once known

    def __init__(self, entry, folder, **kwargs):
        super().__init__(entry, folder, **kwargs)
        self._on_finished = None
        self._limit = None
        path = Path(self.media(self.slide.file))
        # An MP4 whose header cannot be read will not play: skip it before showing a black box.
        if path.suffix.lower() in (".mp4", ".m4v") and probe_mp4(path) is None:
            self.broken = f"không đọc được video {self.slide.file}"

    @property
    def failure(self) -> str:
        return self.broken

    @property
    def pace_reason(self) -> str:
        return f"video {id(self)}"  # the outgoing video leaves after the next one started

    def enter(self, on_finished):
        self._on_finished = on_finished
        video = self.ids.video
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
        self._on_finished = None
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

