"""The frame that stays on screen (header, website QR, ticker) and the player that changes slides.

Slides change at absolute deadlines (the previous deadline plus the duration), never on a
repeating interval, so the loop does not drift over days."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from kivy.animation import Animation
from kivy.app import App
from kivy.clock import Clock
from kivy.properties import ListProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.stencilview import StencilView

from kiosk.clock import DisplayClock
from kiosk.schedule import Loop
from kiosk.vietnamese import format_date, format_time
from screens.slides import SlideView, make_view

log = logging.getLogger("kiosk.player")

FADE_SECONDS = 0.6
MAX_WAIT_FOR_CHANGE = 60.0  # re-check the schedule at least this often, in case the clock jumped


class Header(BoxLayout):
    ward_name = StringProperty("")
    city = StringProperty("")
    logo = StringProperty("")
    clock_time = StringProperty("")
    clock_date = StringProperty("")

    def show_time(self, moment) -> None:
        self.clock_time = format_time(moment)
        self.clock_date = format_date(moment)


class Ticker(StencilView):
    """Short lines scrolling right to left at a steady, readable speed, one line after another
    (one long texture for all lines would pass the text renderer's width limit)."""

    lines = ListProperty([])
    text = StringProperty("")

    def on_lines(self, *_):
        self._next = 0
        Clock.schedule_once(self._start, 0)

    def _start(self, *_):
        label = self.ids.get("moving")
        if not label or not self.lines:
            return
        Animation.cancel_all(label)
        self.text = self.lines[self._next % len(self.lines)]
        self._next += 1
        label.texture_update()
        label.x = self.right
        distance = self.width + label.texture_size[0]
        speed = max(60.0, self.height * 1.6)  # pixels a second: readable while walking past
        animation = Animation(x=self.x - label.texture_size[0], duration=distance / speed)
        animation.bind(on_complete=self._start)
        animation.start(label)


class WelcomeView(SlideView):
    """What an empty loop shows: the ward's name and a calm line, never black."""

    ward_name = StringProperty("")
    logo = StringProperty("")


class SlideHost(FloatLayout):
    """Holds the slide on screen; a new one fades in over the old."""

    current = ObjectProperty(None, allownone=True)

    def show(self, view: SlideView) -> None:
        old = self.current
        view.size_hint = (1, 1)
        view.pos_hint = {"x": 0, "y": 0}
        view.opacity = 0 if old else 1
        self.add_widget(view)
        self.current = view
        if old is None:
            return
        Animation.cancel_all(view)
        fade = Animation(opacity=1, duration=FADE_SECONDS)
        fade.bind(on_complete=lambda *_: self._retire(old))
        fade.start(view)

    def _retire(self, old: SlideView) -> None:
        if old.parent is self:
            self.remove_widget(old)
        old.leave()


class KioskFrame(BoxLayout):
    """Header, the slide area with the website QR beside it, and the ticker."""

    feed = ObjectProperty(None)
    folder = ObjectProperty(None)

    def media(self, name: str | None) -> str:
        return str(Path(self.folder) / name) if name else ""


class KioskRoot(FloatLayout):
    """The window's content: the frame, and over it whatever a touch opens (one overlay at a time).

    Touches never reach the loop itself. Five taps in the top-left corner within a few seconds
    call on_staff_gesture; any other touch calls on_loop_touch (counter mode opens its menu)."""

    CORNER_TAPS = 5
    CORNER_SECONDS = 3.0

    overlay = ObjectProperty(None, allownone=True)

    def __init__(self, frame: KioskFrame, on_staff_gesture, on_loop_touch=None, **kwargs):
        super().__init__(**kwargs)
        self.frame = frame
        self.on_staff_gesture = on_staff_gesture
        self.on_loop_touch = on_loop_touch
        self._corner_taps: list[float] = []
        self.add_widget(frame)

    def open_overlay(self, widget) -> None:
        self.close_overlay()
        self.overlay = widget
        self.add_widget(widget)

    def close_overlay(self) -> None:
        if self.overlay is not None:
            self.remove_widget(self.overlay)
            self.overlay = None

    def on_touch_down(self, touch):
        if self.overlay is not None:
            self.overlay.dispatch("on_touch_down", touch)
            return True  # overlays are modal
        if self._in_corner(touch):
            if self._count_corner_tap():
                self.on_staff_gesture()
        elif self.on_loop_touch:
            self._corner_taps.clear()
            self.on_loop_touch()
        return True

    def on_touch_move(self, touch):
        return self.overlay.dispatch("on_touch_move", touch) if self.overlay is not None else True

    def on_touch_up(self, touch):
        return self.overlay.dispatch("on_touch_up", touch) if self.overlay is not None else True

    def _in_corner(self, touch) -> bool:
        """The top-left corner (the logo) belongs to staff: a resident's tap there does nothing."""
        corner = App.get_running_app().theme.px(160)
        return touch.x <= self.x + corner and touch.y >= self.top - corner

    def _count_corner_tap(self) -> bool:
        now = time.monotonic()
        self._corner_taps = [t for t in self._corner_taps if now - t <= self.CORNER_SECONDS] + [now]
        if len(self._corner_taps) >= self.CORNER_TAPS:
            self._corner_taps.clear()
            return True
        return False


class Player:
    """Asks the core's Loop what comes next and puts it on screen at the right moment."""

    def __init__(self, frame: KioskFrame, loop: Loop, clock: DisplayClock, on_show=None, content=None,
                 plays=None):
        self.frame = frame
        self.loop = loop
        self.clock = clock
        self.content = content  # kiosk.content.InstalledContent: newly synced feeds
        self.plays = plays  # kiosk.stats.PlayLog: proof of play
        self._shown_since = None  # (slide id, feed time it appeared) for the proof of play
        self.on_show = on_show  # called with (slide id, view) each time a page appears
        self.view: SlideView | None = None
        self.prepared: SlideView | None = None
        self.deadline = 0.0
        self._page_event = None
        self._change_event = None
        self._clock_event = None
        self._showing_urgent = False
        self.paused = False

    @property
    def host(self) -> SlideHost:
        return self.frame.ids.host

    def start(self) -> None:
        self.deadline = time.monotonic()
        self._tick_clock()
        self._next_slide()

    def stop(self) -> None:
        for event in (self._page_event, self._change_event, self._clock_event):
            if event:
                event.cancel()
        self._record_play()

    def pause(self) -> None:
        """Touch mode covers the loop: hold the slide (and its video) where it is."""
        self.paused = True
        for event in (self._page_event, self._change_event):
            if event:
                event.cancel()
        if self.view is not None:
            self.view.pause()

    def resume(self) -> None:
        """Back from touch mode: a video plays on from where it stood; anything else moves on to
        the next slide, which is an urgent one if one became active meanwhile."""
        self.paused = False
        self.deadline = time.monotonic()
        if self.view is not None and self.view.resume() and not self.loop.has_urgent(self.clock.now()):
            self._watch_schedule()
            return
        self._next_slide()

    # --- the header clock, updated at each minute boundary
    def _tick_clock(self, *_):
        now = self.clock.now()
        self.frame.ids.header.show_time(now)
        wait = self.clock.real_seconds(60 - now.second - now.microsecond / 1e6)
        self._clock_event = Clock.schedule_once(self._tick_clock, max(0.05, wait))

    # --- slides
    def _build(self, entry) -> SlideView:
        view = make_view(entry, self.frame.folder)
        # Sized now so that its layout, pages and media are ready before its turn.
        view.size_hint = (None, None)
        view.size = self.host.size
        return view

    def _record_play(self) -> None:
        """The slide on screen ends now: write down what was shown, when and for how long."""
        if self.plays is not None and self._shown_since is not None:
            slide_id, since = self._shown_since
            self.plays.record(slide_id, since, (self.clock.now() - since).total_seconds())
        self._shown_since = None

    def _next_slide(self, *_):
        self._record_play()
        if self.content is not None:
            fresh = self.content.fresh()
            if fresh is not None:
                self._switch_feed(*fresh)
        now = self.clock.now()
        entry = self.loop.advance(now)
        if entry is None:
            view = WelcomeView(None, self.frame.folder, ward_name=self.frame.feed.ward.name,
                               logo=self.frame.media(self.frame.feed.ward.logo))
            self._show(view, seconds=MAX_WAIT_FOR_CHANGE, slide_id="welcome")
            return
        if self.prepared is not None and self.prepared.entry.id == entry.id:
            view = self.prepared
        else:
            if self.prepared is not None:
                self.prepared.leave()
            view = self._build(entry)
        self.prepared = None
        self._showing_urgent = entry.slide.urgent
        self._show(view, seconds=None, slide_id=entry.id)

    def _switch_feed(self, feed, folder) -> None:
        """A new feed was installed: it takes over at this slide change, after the slide shown."""
        shown_id = self.view.entry.id if self.view is not None and self.view.entry else None
        self.frame.folder = folder
        self.frame.feed = feed
        self.loop = Loop(feed, self.loop.display)
        self.loop.restart_after(shown_id)
        if self.prepared is not None:
            self.prepared.leave()
            self.prepared = None

    def _show(self, view: SlideView, seconds: float | None, slide_id: str) -> None:
        if view.failed:
            log.warning("bỏ qua trang %s: không mở được tệp", slide_id)
            view.leave()
            Clock.schedule_once(self._next_slide, 0)
            return
        self.host.show(view)
        self.view = view
        self._shown_since = (slide_id, self.clock.now())
        view.page = 0
        view.enter(self._view_finished)
        self._schedule_page(view, seconds, slide_id)
        self._watch_schedule()
        Clock.schedule_once(self._prepare_next, FADE_SECONDS + 0.1)

    def _prepare_next(self, *_):
        """Build the next slide while this one is shown, so it appears without a gap."""
        entry = self.loop.peek(self.clock.now())
        if entry is None or (self.view and self.view.entry and self.view.entry.id == entry.id):
            return
        if self.prepared is not None:
            self.prepared.leave()
        self.prepared = self._build(entry)

    def _schedule_page(self, view: SlideView, seconds: float | None, slide_id: str) -> None:
        if self.on_show:
            self.on_show(slide_id, view)
        page_seconds = seconds if seconds is not None else view.page_seconds()
        if self._page_event:
            self._page_event.cancel()
        if page_seconds <= 0:  # the view ends by itself (video)
            self._page_event = None
            return
        now = time.monotonic()
        self.deadline = max(self.deadline + self.clock.real_seconds(page_seconds), now)
        self._page_event = Clock.schedule_once(lambda *_: self._page_done(view, slide_id), self.deadline - now)

    def _page_done(self, view: SlideView, slide_id: str) -> None:
        if view is not self.view or self.paused:
            return
        if view.page + 1 < view.page_count:
            view.show_page(view.page + 1)
            self._schedule_page(view, None, slide_id)
            return
        self._next_slide()

    def _view_finished(self):
        if self.paused:
            return
        self.deadline = time.monotonic()
        Clock.schedule_once(self._next_slide, 0)

    def _watch_schedule(self) -> None:
        if self._change_event:
            self._change_event.cancel()
        change = self.loop.next_change(self.clock.now())
        wait = MAX_WAIT_FOR_CHANGE if change is None else min(MAX_WAIT_FOR_CHANGE, self.clock.real_seconds_until(change))
        self._change_event = Clock.schedule_once(self._schedule_changed, wait + 0.01)

    def _schedule_changed(self, *_):
        if self.paused:
            return
        now = self.clock.now()
        if self.loop.has_urgent(now) != self._showing_urgent:
            log.info("tin khẩn %s", "bắt đầu" if not self._showing_urgent else "kết thúc")
            self.deadline = time.monotonic()
            self._next_slide()
        else:
            self._watch_schedule()

