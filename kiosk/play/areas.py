"""A resident's way to their delegates: the ward's tổ dân phố in the order people count them, found
by the name of the area or of their street typed without tones, and the delegates of each body who
represent that area."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from kiosk.feed.model import BODIES, Area, DelegatesSlide, Feed, Person, area_lists
from kiosk.vietnamese import fold_words, nfc, sort_key

_NUMBER = re.compile(r"(\d+)")


def area_order_key(name: str) -> tuple:
    """Natural order: numbers by their value ("số 2" before "số 10"), text by the Vietnamese alphabet."""
    parts = _NUMBER.split(nfc(name).strip())  # text, number, text, ...: a number at every odd place
    return tuple(int(part) if index % 2 else sort_key(part) for index, part in enumerate(parts))


def sorted_areas(areas: Sequence[Area]) -> list[Area]:
    return sorted(areas, key=lambda area: area_order_key(area.name))


@dataclass(frozen=True)
class AreaMatch:
    """An area a search found; `street` is the street or ngõ that matched when the area's own name
    did not, to show under the area's button."""

    area: Area
    street: str | None = None


def search_areas(areas: Sequence[Area], query: str) -> list[AreaMatch]:
    """Areas whose name, or one of whose streets, holds every word of the query (tones, case and đ
    folded; the last word may be the start of one, as while typing). Matches on the area's name
    first, whole words before beginnings of words, then in natural order. Nothing typed: every area."""
    words = fold_words(query)
    ordered = sorted_areas(areas)
    if not words:
        return [AreaMatch(area) for area in ordered]
    found = []
    for position, area in enumerate(ordered):
        named = [(area.name, None)] + [(street, street) for street in area.streets]
        for rank, (text, street) in enumerate(named):
            fit = _fit(words, fold_words(text))
            if fit is not None:
                found.append(((min(rank, 1), fit, position), AreaMatch(area, street)))
                break
    return [match for _, match in sorted(found, key=lambda item: item[0])]


def _fit(query: list[str], text: list[str]) -> int | None:
    """None when some query word begins no word of the text; else how many matched only a beginning."""
    partial = 0
    for word in query:
        if word in text:
            continue
        if not any(candidate.startswith(word) for candidate in text):
            return None
        partial += 1
    return partial


@dataclass(frozen=True)
class Representation:
    """Who represents an area in one body: the lists of that body for the area's constituency."""

    body: str  # quoc-hoi, hdnd-thanh-pho, hdnd-phuong
    lists: tuple[DelegatesSlide, ...]

    @property
    def body_name(self) -> str:
        return BODIES[self.body]

    @property
    def constituency(self) -> str | None:
        return next((slide.constituency for slide in self.lists if slide.constituency), None)

    @property
    def people(self) -> list[Person]:
        return [person for slide in self.lists for person in slide.people]


def my_delegates(feed: Feed, area: Area) -> list[Representation]:
    """The area's delegates at every level, the National Assembly first; a level the feed has no
    list for is there with no people, so the page can say so."""
    return [Representation(body, tuple(area_lists(area, body, feed.slides))) for body in BODIES]
