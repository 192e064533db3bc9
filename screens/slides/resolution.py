"""A resolution: number, date, title, issuer and summary points; a QR code to the full text."""

from __future__ import annotations

from kiosk.play import layout
from screens.slides.base import CONTINUED, Block
from screens.slides.blocks import BlocksSlideView
from screens.theme import MUTED, RED, load_rules
from screens.widgets import to_markup

load_rules(__file__)


class ResolutionSlideView(BlocksSlideView):
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
