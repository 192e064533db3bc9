"""The base of views that show text in blocks (paragraphs, points) packed onto pages."""

from __future__ import annotations

from kivy.uix.widget import Widget

from screens.slides.base import Block, SlideView, stacked_height, usable_height
from screens.theme import INK
from screens.widgets import to_markup


class BlocksSlideView(SlideView):
    """Blocks packed onto pages, a block never cut between pages, each page filled before the next;
    the title in full above the first page's blocks, a one-line heading above the others'."""

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
            box.add_widget(block.label(self.theme))
        self._shown = [block.label(self.theme) for block in self.pages[page]]
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
