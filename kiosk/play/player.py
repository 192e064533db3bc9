"""The player's decisions, with no window: which slide comes next and until when, which slides are
passed over as broken and for how long, when an urgent slide interrupts the loop, and when nothing
opens (the welcome view). The screen's side (screens/player.py) turns them into Clock events and
widgets.

Every time is read from the DisplayClock given: feed time for the schedule, its monotonic seconds
for deadlines and retries. Pages change at absolute deadlines (the previous deadline plus the
duration), never on a repeating interval, so the loop does not drift over days."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from kiosk.feed.model import Feed
from kiosk.play.clock import DisplayClock
from kiosk.play.schedule import Entry, Loop

log = logging.getLogger("kiosk.player")

MAX_WAIT_FOR_CHANGE = 60.0  # re-check the schedule at least this often, in case the clock jumped
RETRY_BROKEN_SECONDS = 600.0  # a slide whose file did not open is tried again after this long
WELCOME = "welcome"  # the id the welcome view is shown and logged under


@dataclass(frozen=True)
class Turn:
    """A slide's turn on screen: its entry (None: the welcome view), chosen at `chosen_at` (feed time)."""

    entry: Entry | None
    chosen_at: datetime

    @property
    def slide_id(self) -> str:
        return self.entry.id if self.entry is not None else WELCOME

    @property
    def urgent(self) -> bool:
        return self.entry is not None and self.entry.slide.urgent

    @property
    def seconds(self) -> float | None:
        """Feed seconds each page stays, None when the view knows (its slide's duration, a video's
        end); the welcome view stays until the schedule is looked at again."""
        return MAX_WAIT_FOR_CHANGE if self.entry is None else None


class PlayerDecisions:
    """What the player does next, asked at each moment the screen side reaches: a turn ends, a view
    fails to open, the schedule may have changed, a feed arrives, touch mode covers the loop."""

    def __init__(self, loop: Loop, clock: DisplayClock):
        self.loop = loop
        self.clock = clock
        self.deadline = clock.monotonic()  # when the page on screen is due to end (monotonic seconds)
        self.paused = False
        self.chosen: Turn | None = None  # the turn last chosen, on screen or being made ready
        self.shown: Turn | None = None  # the turn on screen
        self._shown_since: datetime | None = None  # feed time it appeared, for the proof of play
        self._broken: dict[str, float] = {}  # slide id: when (monotonic) its file last failed to open or play
        self._all_broken_said = False

    def start(self) -> None:
        self.deadline = self.clock.monotonic()

    # --- what comes next
    def next_turn(self) -> Turn:
        """Choose the next turn and move the loop past it: the next active slide that did not fail
        lately, else (none active, or none opens) the welcome view."""
        now = self.clock.now()
        entry = self.loop.advance(now, passed_over=self._recently_broken)
        if entry is None and self.loop.active(now) and not self._all_broken_said:
            self._all_broken_said = True
            log.error("không trang nào mở được: hiện lời chào, thử lại sau %g giây", MAX_WAIT_FOR_CHANGE)
        self.chosen = Turn(entry, now)
        return self.chosen

    def coming(self) -> Entry | None:
        """The slide to make ready while this one is shown (the next turn's), or None: nothing, or
        the slide on screen again."""
        entry = self.loop.peek(self.clock.now(), passed_over=self._recently_broken)
        if entry is None or (self.shown is not None and self.shown.slide_id == entry.id):
            return None
        return entry

    @staticmethod
    def page_after(page: int, page_count: int) -> int | None:
        """The page shown after this one, or None: the slide's turn is over."""
        return page + 1 if page + 1 < page_count else None

    # --- until when
    def page_deadline(self, feed_seconds: float) -> float:
        """A page appears now for this long: when it ends (monotonic), counted from the previous
        deadline so that late frames do not add up, never in the past."""
        self.deadline = max(self.deadline + self.clock.real_seconds(feed_seconds), self.clock.monotonic())
        return self.deadline

    def until_deadline(self) -> float:
        """Real seconds left before the page's deadline (a timer may fire a frame early)."""
        return self.deadline - self.clock.monotonic()

    def cut_short(self) -> None:
        """The turn ends now, before its deadline (a video ended, an urgent slide starts or ends):
        the next one is counted from now."""
        self.deadline = self.clock.monotonic()

    def wait_for_change(self, since: datetime | None = None) -> float:
        """Real seconds until the set of active slides may next change after `since` (default: now),
        at most MAX_WAIT_FOR_CHANGE. The player passes the moment the turn was chosen, so that a
        change falling while the slide was being put on screen is not missed."""
        change = self.loop.next_change(since or self.clock.now())
        if change is None:
            return MAX_WAIT_FOR_CHANGE
        return min(MAX_WAIT_FOR_CHANGE, self.clock.real_seconds_until(change))

    def urgency_changed(self) -> bool:
        """The schedule changed: does the turn on screen give way now (an urgent slide starts, or the
        urgent slides shown are over)?"""
        if self.chosen is None or self.loop.has_urgent(self.clock.now()) == self.chosen.urgent:
            return False
        log.info("tin khẩn %s", "kết thúc" if self.chosen.urgent else "bắt đầu")
        self.cut_short()
        return True

    # --- what the screen reports
    def appeared(self, turn: Turn) -> None:
        """The turn's first page is on screen."""
        self.shown = turn
        self._shown_since = self.clock.now()
        if turn.entry is not None:
            self._all_broken_said = False

    def ended(self) -> tuple[str, datetime, float] | None:
        """The turn on screen ends now: (slide id, feed time it appeared, feed seconds shown) for the
        proof of play, once; None if nothing was on screen since the last call."""
        if self.shown is None or self._shown_since is None:
            return None
        since, self._shown_since = self._shown_since, None
        return self.shown.slide_id, since, (self.clock.now() - since).total_seconds()

    def failed(self, slide_id: str, failure: str) -> None:
        """A slide's file did not open or stopped playing: said once, then the slide is passed over for
        RETRY_BROKEN_SECONDS, not opened at every round of the loop."""
        self._broken[slide_id] = self.clock.monotonic()
        log.warning("bỏ qua trang %s: %s", slide_id, failure)

    def _recently_broken(self, entry: Entry) -> bool:
        failed_at = self._broken.get(entry.id)
        return failed_at is not None and self.clock.monotonic() - failed_at < RETRY_BROKEN_SECONDS

    def install_feed(self, feed: Feed) -> None:
        """A new feed takes over: the loop carries on after the slide last chosen (on screen, or being
        made ready to appear), and its slides, maybe with mended files, are all tried again."""
        chosen_id = self.chosen.entry.id if self.chosen is not None and self.chosen.entry is not None else None
        self.loop = Loop(feed, self.loop.display)
        self.loop.restart_after(chosen_id)
        self._broken.clear()

    # --- touch mode
    def pause(self) -> None:
        """Touch mode covers the loop: nothing moves on until resume."""
        self.paused = True

    def resume(self, view_plays_on: bool) -> bool:
        """Back from touch mode: does the turn on screen go on (a video playing on from where it
        stood), rather than the next turn coming now? Not when an urgent slide became active."""
        self.paused = False
        self.cut_short()
        return view_plays_on and not self.loop.has_urgent(self.clock.now())
