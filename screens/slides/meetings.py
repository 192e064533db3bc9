"""The delegates' next meetings with residents (tiếp xúc cử tri, tiếp công dân): each on a card
with its day in words, its hours, its place and who comes, soonest first, over as many pages as
they need. The loop gives the slide its meetings at its moment (kiosk.feed.model.MeetingsSlide)
and passes over it when none is coming."""

from __future__ import annotations

from dataclasses import dataclass

from kivy.utils import get_hex_from_color

from kiosk.play import layout
from kiosk.words import format_date, format_time
from screens.slides.base import Block, text_height
from screens.slides.blocks import BlocksSlideView
from screens.theme import DARK_RED, MUTED, RED, load_rules
from screens.widgets import Card, WrappedLabel, to_markup

load_rules(__file__)


def meeting_markup(meeting, small_size: float) -> str:
    """A meeting as a passer-by reads it: when (in words, red), what, where, who, and its note small."""
    when = (f"{format_date(meeting.date)}, từ {format_time(meeting.starts_at)} "
            f"đến {format_time(meeting.ends_at)}")
    lines = [f"[b][color={get_hex_from_color(RED)}]{to_markup(when)}[/color][/b]",
             f"[b]{to_markup(meeting.heading)}[/b]",
             f"Tại: {to_markup(meeting.place)}"]
    if meeting.delegates:
        lines.append(f"Đại biểu: {to_markup(', '.join(meeting.delegates))}")
    if meeting.note:
        lines.append(f"[size={round(small_size)}][color={get_hex_from_color(MUTED)}]"
                     f"{to_markup(meeting.note)}[/color][/size]")
    return "\n".join(lines)


class MeetingCard(Card):
    """One meeting's card: as tall as its text and padding."""


@dataclass(frozen=True)
class MeetingBlock(Block):
    """A meeting's text on its card; `padding` the card's (left, top, right, bottom)."""

    padding: tuple = (0, 0, 0, 0)

    def height(self, width: float) -> float:
        left, top, right, bottom = self.padding
        return text_height(self.text, self.size, width - left - right, self.bold) + top + bottom

    def label(self, theme) -> MeetingCard:
        card = MeetingCard(theme=theme, padding=self.padding)
        text = WrappedLabel(text=self.text, color=self.color)
        text.font_size = self.size
        card.add_widget(text)
        return card


class MeetingsSlideView(BlocksSlideView):
    title_color = DARK_RED

    def continued(self, width):
        return [self.continued_heading(self.slide.title, width, DARK_RED)]

    def card_padding(self) -> tuple:
        gap = self.theme.gap
        return (gap * 0.9, gap * 0.5, gap * 0.6, gap * 0.5)  # the left clears the card's red bar

    def pack(self, width, page_height, gap, first_lead, later_lead):
        theme, padding = self.theme, self.card_padding()
        cards = [MeetingBlock(meeting_markup(meeting, theme.small), theme.body, padding=padding)
                 for meeting in self.slide.listed]
        pages = layout.pack_blocks([card.height(width) for card in cards], page_height, gap, first_lead, later_lead)
        return [[cards[index] for index in page] for page in pages]
