"""Which slides a display shows at a given moment, and what comes next.

All times are naive local wall-clock times in the display's time zone, as staff write them in the
feed. The loop is re-evaluated at each slide change; `next_change` says when the set of active
slides can next change, so an urgent slide can interrupt exactly when it starts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta

from kiosk.feed.model import WEEKDAYS, Feed, slide_ids

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DisplayIdentity:
    """Who this display is, for targeting: its id and its tags (e.g. 'nha-van-hoa', 'mot-cua')."""

    id: str = "display"
    tags: frozenset[str] = frozenset()

    def is_targeted(self, targets) -> bool:
        return targets is None or self.id in targets or bool(self.tags.intersection(targets))


@dataclass(frozen=True)
class Entry:
    """A slide with its id, as the loop hands it to the screen."""

    id: str
    slide: object
    index: int  # position in the feed, for a stable order

    def at(self, feed: Feed, now: datetime) -> Entry | None:
        """The entry as shown at this moment; None when its slide has nothing to show then."""
        slide = self.slide.at(feed, now)
        if slide is None:
            return None
        return self if slide is self.slide else replace(self, slide=slide)


def _parse_hours(text: str) -> tuple[time, time]:
    start, end = (part.strip() for part in text.split("-"))
    return _clock(start), _clock(end)


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    return time.max if hours == 24 else time(hours, minutes)


def _in_hours(slide, now: datetime) -> bool:
    if not slide.hours:
        return True
    moment = now.time()
    for text in slide.hours:
        start, end = _parse_hours(text)
        if start <= end and start <= moment < end:
            return True
        if start > end and (moment >= start or moment < end):  # a range across midnight
            return True
    return False


def is_active(slide, now: datetime, display: DisplayIdentity) -> bool:
    if slide.starts_at and now < slide.starts_at:
        return False
    if slide.ends_at and now >= slide.ends_at:
        return False
    if slide.weekdays and WEEKDAYS[now.weekday()] not in slide.weekdays:
        return False
    return _in_hours(slide, now) and display.is_targeted(slide.displays)


def _boundaries(slide, now: datetime):
    """Moments after `now` at which this slide may switch on or off."""
    for moment in (slide.starts_at, slide.ends_at):
        if moment and moment > now:
            yield moment
    if slide.weekdays or slide.hours:
        midnight = datetime.combine(now.date(), time()) + _DAY
        yield midnight
        for text in slide.hours or ():
            for edge in _parse_hours(text):
                if edge == time.max:
                    continue
                moment = datetime.combine(now.date(), edge)
                yield moment if moment > now else moment + _DAY


@dataclass
class Loop:
    """The order of slides on a display: each call to `advance` gives the next entry to show."""

    feed: Feed
    display: DisplayIdentity = field(default_factory=DisplayIdentity)

    def __post_init__(self):
        self.entries = [Entry(slide_id, slide, i)
                        for i, (slide_id, slide) in enumerate(zip(slide_ids(self.feed.slides), self.feed.slides))]
        self._last_index = -1

    def active(self, now: datetime) -> list[Entry]:
        """The entries to loop now: only the urgent ones while any is active."""
        active = [shown for entry in self.entries if is_active(entry.slide, now, self.display)
                  and (shown := entry.at(self.feed, now)) is not None]
        urgent = [entry for entry in active if entry.slide.urgent]
        return urgent or active

    def has_urgent(self, now: datetime) -> bool:
        return any(entry.slide.urgent for entry in self.active(now))

    def peek(self, now: datetime, passed_over=lambda entry: False) -> Entry | None:
        """The next active entry after the one shown last (in feed order, round to the start), not
        one `passed_over` names; None if no such entry is active."""
        active = self.active(now)
        following = [entry for entry in active if entry.index > self._last_index]
        before = [entry for entry in active if entry.index <= self._last_index]
        return next((entry for entry in following + before if not passed_over(entry)), None)

    def advance(self, now: datetime, passed_over=lambda entry: False) -> Entry | None:
        """Like peek, and remember the entry as the one shown last."""
        chosen = self.peek(now, passed_over)
        if chosen is not None:
            self._last_index = chosen.index
        return chosen

    def restart_after(self, entry_id: str | None) -> None:
        """Carry the position over to a new feed: continue after the slide with this id, if it exists."""
        self._last_index = next((e.index for e in self.entries if e.id == entry_id), -1)

    def next_change(self, now: datetime) -> datetime | None:
        """The next moment at which the set of active slides may change."""
        moments = [moment for entry in self.entries for moment in _boundaries(entry.slide, now)]
        return min(moments, default=None)
