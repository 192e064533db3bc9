"""Page arithmetic for long slides: how many cards fit, and which blocks of text go on which page.

The screen measures (it knows fonts and pixels); this module only decides, so the rules that keep
text from being cut or shrunk are tested without a window."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Grid:
    columns: int
    rows: int

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


def card_grid(area_width: float, area_height: float, card_min_width: float, card_height: float,
              gap: float, max_columns: int = 4) -> Grid:
    """As many columns as fit cards of at least card_min_width, as many rows as fit; at least 1x1."""
    columns = int((area_width + gap) // (card_min_width + gap)) if card_min_width > 0 else 1
    rows = int((area_height + gap) // (card_height + gap)) if card_height > 0 else 1
    return Grid(max(1, min(columns, max_columns)), max(1, rows))


def chunk(items: Sequence[T], size: int) -> list[list[T]]:
    """Items in pages of `size`; an empty list still makes one (empty) page."""
    size = max(1, size)
    return [list(items[i:i + size]) for i in range(0, len(items), size)] or [[]]


def pack_blocks(heights: Sequence[float], page_height: float, gap: float = 0) -> list[list[int]]:
    """Indexes of blocks per page, in order, never splitting a block; a block taller than a page
    gets a page of its own (the caller splits such blocks into smaller ones first)."""
    pages: list[list[int]] = [[]]
    used = 0.0
    for index, height in enumerate(heights):
        needed = height if not pages[-1] else height + gap
        if pages[-1] and used + needed > page_height:
            pages.append([])
            used, needed = 0.0, height
        pages[-1].append(index)
        used += needed
    return pages


def split_sentences(paragraph: str) -> list[str]:
    """A paragraph cut after each sentence, for paragraphs taller than a page."""
    parts, start = [], 0
    for i, char in enumerate(paragraph):
        if char in ".!?;:" and (i + 1 == len(paragraph) or paragraph[i + 1] == " "):
            parts.append(paragraph[start:i + 1].strip())
            start = i + 1
    tail = paragraph[start:].strip()
    if tail:
        parts.append(tail)
    return parts or [paragraph]


def paragraphs(text: str) -> list[str]:
    """The paragraphs of a text written in the feed: parts between blank lines, trimmed, none empty."""
    return [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]
