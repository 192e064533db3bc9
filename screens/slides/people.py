"""Delegates and leaders: people as a grid of cards, paginated so that nothing is shrunk or cut."""

from __future__ import annotations

from kivy.properties import NumericProperty, ObjectProperty, StringProperty

from kiosk.play import layout
from screens.slides.base import SlideView, line_height, text_height, text_width
from screens.theme import DARK_RED, load_rules
from screens.widgets import PersonCard, to_markup

load_rules(__file__)

MAX_DETAIL_LINES = 4  # of a person's position and votes; more are cut


class PeopleSlideView(SlideView):
    """A grid of cards; the full title on the first page, a one-line heading on the others."""

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
            grid.add_widget(PersonCard(theme=self.theme, person=person, photo=self.media(person.photo), detail=self.detail(person),
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
