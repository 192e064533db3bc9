"""The player's Clock side: it asks the player's decisions (kiosk/play/player.py) what comes next
and until when, and turns the answers into Clock events and views on the frame's SlideHost."""

from __future__ import annotations

from kivy.clock import Clock

from kiosk.play.clock import DisplayClock
from kiosk.play.player import PlayerDecisions, Turn
from kiosk.play.schedule import Loop
from screens.compositor import SlideHost
from screens.frame import KioskFrame, WelcomeView
from screens.slides import SlideView, make_view


class Player:
    """Puts each turn the decisions choose on screen, its pages at their deadlines; tells the
    decisions what the views did (appeared, failed to open, ended by themselves)."""

    def __init__(self, frame: KioskFrame, loop: Loop, clock: DisplayClock, on_show=None, plays=None):
        self.frame = frame
        self.clock = clock
        self.decisions = PlayerDecisions(loop, clock)
        self.plays = plays  # kiosk.ops.stats.PlayLog: proof of play
        self.on_show = on_show  # called with (slide id, view) each time a page appears
        self.view: SlideView | None = None  # on screen
        self.prepared: SlideView | None = None  # built for the next turn while this one is shown
        self.next_page: SlideView | None = None  # the same slide's next page, built while this page is shown
        self._coming: SlideView | None = None  # chosen, shown once ready
        self._incoming = None  # (feed, folder) handed over by install_feed, shown from the next slide change
        self._page_event = None
        self._change_event = None
        self._clock_event = None
        self.host.bind(on_settled=self._settled)

    @property
    def host(self) -> SlideHost:
        return self.frame.ids.host

    @property
    def deadline(self) -> float:
        """When the page on screen is due to end (monotonic seconds)."""
        return self.decisions.deadline

    def install_feed(self, feed, folder) -> None:
        """A feed sync installed and validated (on the Kivy thread). The loop goes on in it at once, so
        its next slide is built while the slide on screen stays (a frame later, or when a fade running
        now is over): the frame (header, ticker, QR) shows it from the next slide change, and that
        change only shows what is ready (it built the new first slide in its own frame before)."""
        self._incoming = (feed, folder)
        self.decisions.install_feed(feed)
        self._drop_prepared()
        if self.view is not None and not self.host.fading:
            Clock.schedule_once(lambda _: self._prepare_coming(), 0)
        self._watch_schedule()  # the new feed's own start and end times, and its urgent slides

    def start(self) -> None:
        self.decisions.start()
        self._tick_clock()
        self._next_slide()

    def stop(self) -> None:
        self._drop_next_page()
        for event in (self._page_event, self._change_event, self._clock_event):
            if event:
                event.cancel()
        self._record_play()

    def pause(self) -> None:
        """Touch mode covers the loop: hold the slide (and its video) where it is."""
        self.decisions.pause()
        for event in (self._page_event, self._change_event):
            if event:
                event.cancel()
        if self.view is not None:
            self.view.pause()

    def resume(self) -> None:
        """Back from touch mode: a video plays on from where it stood; anything else moves on to
        the next slide, which is an urgent one if one became active meanwhile."""
        plays_on = self.view is not None and self.view.resume()
        if self.decisions.resume(plays_on):
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
    def _build(self, entry, ahead: bool, page: int = 0, folder=None) -> SlideView:
        """The entry's view at this page; built `ahead` of its turn, its work spreads over frames
        (screens/staging.py)."""
        if folder is None:
            folder = self._incoming[1] if self._incoming is not None else self.frame.folder  # the loop's feed
        view = make_view(entry, folder, theme=self.frame.theme, pace=self.frame.pace)
        view.staging = ahead
        view.page = page
        # Laid out and drawn into its layer now, so that its pages and media are ready before its turn.
        self.host.prepare(view)
        view.prepare()
        return view

    def _record_play(self) -> None:
        """The slide on screen ends now: write down what was shown, when and for how long."""
        played = self.decisions.ended()
        if self.plays is not None and played is not None:
            self.plays.record(*played)

    def _next_slide(self, *_):
        self._record_play()
        if self._incoming is not None:
            feed, self.frame.folder = self._incoming  # the folder first: the frame's rules read it for the feed's files
            self.frame.feed = feed
            self._incoming = None
        turn = self.decisions.next_turn()
        self._drop_coming()
        self._drop_next_page()
        if turn.entry is None:  # nothing to show, or nothing opens: the ward's name, never a black screen
            self._drop_prepared()
            view = WelcomeView(None, self.frame.folder, theme=self.frame.theme, pace=self.frame.pace, ward_name=self.frame.feed.ward.name,
                               logo=self.frame.media(self.frame.feed.ward.logo))
        elif self.prepared is not None and self.prepared.entry.id == turn.entry.id:
            view, self.prepared = self.prepared, None
            view.finish_staging()
        else:
            self._drop_prepared()
            view = self._build(turn.entry, ahead=False)
        self._coming = view
        view.when_ready(lambda: self._show_ready(view, turn))

    def _show_ready(self, view: SlideView, turn: Turn) -> None:
        """The chosen view can appear as it will look (a video's first frame is decoded)."""
        if self._coming is not view:
            return  # another slide was chosen meanwhile
        self._coming = None
        if self.decisions.paused:
            view.leave()
            return
        self._show(view, turn)

    def _drop_coming(self) -> None:
        if self._coming is not None:
            self._coming.drop_staging()
            self._coming.leave()
            self._coming = None

    def _drop_next_page(self) -> None:
        if self.next_page is not None:
            self.next_page.drop_staging()
            self.next_page.leave()
            self.next_page = None

    def _drop_prepared(self) -> None:
        if self.prepared is not None:
            self.prepared.drop_staging()
            self.prepared.leave()
            self.prepared = None

    def _show(self, view: SlideView, turn: Turn) -> None:
        if view.failure:
            self.decisions.failed(turn.slide_id, view.failure)
            view.leave()
            Clock.schedule_once(self._next_slide, 0)
            return
        self.view = view  # before the host shows it: the host may say at once that it settled
        self.host.show(view)
        self.decisions.appeared(turn)
        view.page = 0
        view.enter(self._view_finished)
        self._schedule_page(view, turn.seconds, turn.slide_id)
        self._watch_schedule(turn.chosen_at)

    def _settled(self, _host, view: SlideView) -> None:
        """The view is alone on screen, its fade over: build the next one while this one is shown,
        so that it appears without a gap."""
        if view is not self.view:
            return
        if view.page + 1 < view.page_count:
            # Its next page as a view of its own, built ahead like a next slide: a page change
            # builds no labels on screen (a page of cards took 130 ms, the window frozen).
            self._drop_next_page()
            self.next_page = self._build(view.entry, ahead=True, page=view.page + 1, folder=view.folder)
        else:
            self._prepare_coming()

    def _prepare_coming(self) -> None:
        entry = self.decisions.coming()
        if entry is not None and (self.prepared is None or self.prepared.entry is not entry):
            self._drop_prepared()
            self.prepared = self._build(entry, ahead=True)

    def _schedule_page(self, view: SlideView, seconds: float | None, slide_id: str) -> None:
        if self.on_show:
            self.on_show(slide_id, view)
        page_seconds = seconds if seconds is not None else view.page_seconds()
        if self._page_event:
            self._page_event.cancel()
        if page_seconds <= 0:  # the view ends by itself (video)
            self._page_event = None
            return
        self.decisions.page_deadline(page_seconds)
        self._page_event = Clock.schedule_once(lambda *_: self._page_done(view, slide_id),
                                               self.decisions.until_deadline())

    def _page_done(self, view: SlideView, slide_id: str) -> None:
        if view is not self.view or self.decisions.paused:
            return
        early = self.decisions.until_deadline()
        if early > 0:  # Kivy's clock runs an event up to a frame early; a deadline is a deadline
            self._page_event = Clock.schedule_once(lambda *_: self._page_done(view, slide_id), early)
            return
        page = self.decisions.page_after(view.page, view.page_count)
        if page is None:
            self._next_slide()
            return
        ahead, self.next_page = self.next_page, None
        if ahead is not None:
            ahead.finish_staging()
            if (ahead.page, ahead.page_count) == (page, view.page_count):
                self.view = ahead  # before the host shows it: the host may say at once that it settled
                self.host.show(ahead, fade=False)
                ahead.enter(self._view_finished)
                self._schedule_page(ahead, None, slide_id)
                return
            ahead.drop_staging()
            ahead.leave()
        view.show_page(page)
        self._schedule_page(view, None, slide_id)

    def _view_finished(self):
        if self.view is not None and self.view.failure and self.view.entry is not None:  # a video that stopped
            self.decisions.failed(self.view.entry.id, self.view.failure)
        if self.decisions.paused:
            return
        self.decisions.cut_short()
        Clock.schedule_once(self._next_slide, 0)

    def _watch_schedule(self, since=None) -> None:
        """Wake up when the set of active slides may next change (since the turn was chosen)."""
        if self._change_event:
            self._change_event.cancel()
        self._change_event = Clock.schedule_once(self._schedule_changed, self.decisions.wait_for_change(since) + 0.01)

    def _schedule_changed(self, *_):
        if self.decisions.paused:
            return
        if self.decisions.urgency_changed():
            self._next_slide()
        else:
            self._watch_schedule()
