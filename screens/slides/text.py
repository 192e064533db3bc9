"""Announcements and stories: title, paragraphs split over pages, an optional picture."""

from __future__ import annotations

from kiosk.play import layout
from screens.slides.base import Block, text_height
from screens.slides.blocks import BlocksSlideView
from screens.theme import DARK_RED, RED, load_rules
from screens.widgets import to_markup

load_rules(__file__)


class TextSlideView(BlocksSlideView):
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
