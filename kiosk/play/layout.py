"""Page arithmetic for long slides: how many cards fit, and which blocks of text go on which page.

The screen measures (it knows fonts and pixels); this module only decides, so the rules that keep
text from being cut or shrunk are tested without a window."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence, TypeVar

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


def rows_fitting(height: float, item_height: float, gap: float) -> int:
    """How many rows of this height (and gaps between them) fit; 0 when not even one does."""
    return max(0, int((height + gap) // (item_height + gap))) if item_height > 0 else 1


def chunk(items: Sequence[T], size: int) -> list[list[T]]:
    """Items in pages of `size`; an empty list still makes one (empty) page."""
    size = max(1, size)
    return [list(items[i:i + size]) for i in range(0, len(items), size)] or [[]]


def pack_blocks(heights: Sequence[float], page_height: float, gap: float = 0, first_lead: float = 0,
                later_lead: float = 0) -> list[list[int]]:
    """Indexes of blocks per page, in order, never splitting a block, each page filled before the
    next begins. The first page starts under a lead of first_lead (the title), the others under one
    of later_lead (a short heading). A block taller than a page gets a page of its own (the caller
    splits such blocks first); when the first block does not fit under the title, the first page
    holds the title alone."""
    pages: list[list[int]] = [[]]
    used = float(first_lead)
    for index, height in enumerate(heights):
        needed = height + gap if used > 0 else height
        placed_anyway = not pages[-1] and (len(pages) > 1 or first_lead <= 0)  # nothing smaller to come
        if used + needed > page_height and not placed_anyway:
            pages.append([])
            used = float(later_lead)
            needed = height + gap if used > 0 else height
        pages[-1].append(index)
        used += needed
    return pages


def pack_paragraphs(paragraphs: Sequence[Sequence[str]], height_of: Callable[[str], float], page_height: float,
                    gap: float = 0, first_lead: float = 0, later_lead: float = 0) -> list[list[str]]:
    """Paragraphs (each a list of its sentences) on pages, as texts per page, in order: each page is
    filled first, and a paragraph that does not fit in the room left is cut after the last whole
    sentence that fits, the rest opening the next page. Leads as in pack_blocks; a sentence taller
    than a page gets a page of its own."""
    pages: list[list[str]] = [[]]
    used = float(first_lead)
    for sentences in paragraphs:
        rest = list(sentences)
        while rest:
            room = page_height - used - (gap if used > 0 else 0)
            count = next((n for n in range(len(rest), 0, -1) if height_of(" ".join(rest[:n])) <= room), 0)
            if count == 0 and not pages[-1] and (len(pages) > 1 or first_lead <= 0):
                count = 1  # nothing smaller to come
            if count:
                text = " ".join(rest[:count])
                used += (gap if used > 0 else 0) + height_of(text)
                pages[-1].append(text)
                rest = rest[count:]
            if rest:
                pages.append([])
                used = float(later_lead)
    return pages


def chunk_pages(items: Sequence[T], first: int, rest: int) -> list[list[T]]:
    """Items in pages of `first` on the first page (under the full title; 0 when the title leaves no
    room) and `rest` on the others."""
    first, rest = max(0, first), max(1, rest)
    return [list(items[:first])] + [list(items[i:i + rest]) for i in range(first, len(items), rest)]


def largest_fitting(sizes: Sequence[float], height_at: Callable[[float], float], limit: float) -> float:
    """The largest of sizes at which height_at(size) is within limit, else the smallest: a title
    shrinks within the fixed set of sizes, then wraps onto as many lines as it needs."""
    ordered = sorted(sizes, reverse=True)
    return next((size for size in ordered if height_at(size) <= limit), ordered[-1])


def shorten_at_word(text: str, fits: Callable[[str], bool], suffix: str, mark: str = "…") -> str:
    """text + suffix when it fits, else the longest start of text cut after a whole word, with the
    mark and the suffix. A first word that does not fit alone is kept (the label wraps it)."""
    if fits(text + suffix):
        return text + suffix
    words = text.split()
    kept = words[:1]
    for word in words[1:]:
        if not fits(" ".join(kept + [word]).rstrip(",;:.-–") + mark + suffix):
            break
        kept.append(word)
    return " ".join(kept).rstrip(",;:.-–") + mark + suffix


_OWN_MARKER = re.compile(r"^(\d{1,3}[.)]|[a-zđ][.)]|[-–•+*])\s", re.IGNORECASE)


def bulleted(point: str, bullet: str = "•  ") -> str:
    """A point with a bullet before it, unless it is numbered or marked already ("1.", "a)", "-")."""
    return point if _OWN_MARKER.match(point) else bullet + point


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
