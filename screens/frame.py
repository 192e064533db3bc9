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
from kivy.graphics import (BindTexture, Callback, ClearBuffers, ClearColor, Color, Fbo, InstructionGroup, PopMatrix,
                           PushMatrix, Rectangle, RenderContext, Translate)
from kivy.graphics.opengl import GL_BLEND, glDisable, glEnable
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.widget import Widget

from kiosk.play.clock import DisplayClock
from kiosk.play.schedule import Loop
from kiosk.vietnamese import format_date, format_time
from screens.pace import TICKER_FPS
from screens.slides import SlideView, make_view
from screens.theme import PAPER, load_rules

load_rules(__file__)

log = logging.getLogger("kiosk.player")

FADE_SECONDS = 0.6
MAX_WAIT_FOR_CHANGE = 60.0  # re-check the schedule at least this often, in case the clock jumped
RETRY_BROKEN_SECONDS = 600.0  # a slide whose file did not open is tried again after this long
# A layer on screen (texture0), opaque, with the outgoing layer mixed in until progress reaches 1.
CROSSFADE_SHADER = """$HEADER$
uniform sampler2D outgoing;
uniform float progress;
void main(void) {
    vec3 incoming = texture2D(texture0, tex_coord0).rgb;
    gl_FragColor = vec4(mix(texture2D(outgoing, tex_coord0).rgb, incoming, progress), 1.0);
}
"""


class Header(BoxLayout):
    ward_name = StringProperty("")
    city = StringProperty("")
    logo = StringProperty("")
    clock_time = StringProperty("")
    clock_date = StringProperty("")

    def show_time(self, moment) -> None:
        self.clock_time = format_time(moment)
        self.clock_date = format_date(moment)


class Ticker(Widget):
    """Short lines scrolling right to left at a steady, readable speed, one line after another
    (one long texture for all lines would pass the text renderer's width limit). The band spans the
    window's width, so the window itself clips the moving line: a StencilView would cost a stencil
    clear of the whole screen at every frame."""

    lines = ListProperty([])
    text = StringProperty("")
    moving_text = True  # its line crosses the window's edges on purpose (tests/layout_audit.py)

    def on_lines(self, *_):
        self._next = 0
        App.get_running_app().pace.hold_while("ticker", bool(self.lines), TICKER_FPS)
        Clock.schedule_once(self._start, 0)

    def _start(self, *_):
        label = self.ids.get("moving")
        if not label or not self.lines:
            return
        if self.width <= 1:  # not laid out yet: a line would cross a zero-wide band at once, again and again
            Clock.schedule_once(self._start, 0.5)
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


class Layer:
    """A widget drawn into its own texture (an Fbo), redrawn only when the widget changes.

    On screen a layer is one opaque rectangle, texels one to one with pixels (a Composite): on a
    software-rendered screen (no GPU) that costs a fraction of drawing its every widget at each
    frame, and two layers cross-fade in one pass."""

    def __init__(self, widget, on_change):
        self.widget = widget
        self.on_change = on_change  # called when the layer moved or a new size made a new texture
        self.fbo = Fbo(size=self.size)
        with self.fbo.before:
            ClearColor(*PAPER)  # what the slide area shows under a view with no background of its own
            ClearBuffers()
            PushMatrix()
            self.shift = Translate(-widget.x, -widget.y)
        with self.fbo.after:
            PopMatrix()
        self.fbo.add(widget.canvas)
        self._sharp()
        widget.bind(pos=self._moved, size=self._resized)

    @property
    def pos(self) -> tuple[int, int]:
        return round(self.widget.x), round(self.widget.y)

    @property
    def size(self) -> tuple[int, int]:
        return max(1, round(self.widget.width)), max(1, round(self.widget.height))

    @property
    def texture(self):
        return self.fbo.texture

    def _sharp(self) -> None:
        # Drawn at its own size, the nearest texel is exact, and a software renderer needs half the time.
        self.fbo.texture.mag_filter = "nearest"
        self.fbo.texture.min_filter = "nearest"

    def _moved(self, *_):
        self.shift.x, self.shift.y = -self.widget.x, -self.widget.y
        self.on_change()

    def _resized(self, *_):
        self.fbo.size = self.size
        self._sharp()
        self.on_change()

    def release(self) -> None:
        self.widget.unbind(pos=self._moved, size=self._resized)
        self.fbo.remove(self.widget.canvas)


class Composite:
    """Where layers appear on screen: one opaque rectangle that shows a layer, or mixes the outgoing
    layer into it as progress goes from 0 to 1; drawn without blending, which would only cost time."""

    def __init__(self):
        self.instructions = InstructionGroup()
        self.context = RenderContext(fs=CROSSFADE_SHADER, use_parent_projection=True, use_parent_modelview=True)
        self.context["outgoing"] = 1
        self.context["progress"] = 1.0
        self.instructions.add(Callback(lambda _: glDisable(GL_BLEND)))
        self.instructions.add(self.context)
        self.instructions.add(Callback(lambda _: glEnable(GL_BLEND)))

    def show(self, layer: Layer | None, outgoing: Layer | None = None) -> None:
        self.context.clear()
        if layer is None:
            return
        with self.context:
            BindTexture(texture=(outgoing or layer).texture, index=1)
            Rectangle(pos=layer.pos, size=layer.size, texture=layer.texture)

    def mix(self, progress: float) -> None:
        self.context["progress"] = float(progress)


def draw_from_layer(part) -> Layer:
    """Draw a part of the screen that seldom changes (the header, the sidebar) from its own layer:
    one rectangle at each frame instead of its every widget. It stays a widget in its place."""
    canvas = part.parent.canvas
    index = canvas.indexof(part.canvas)
    canvas.remove(part.canvas)
    composite = Composite()
    layer = Layer(part, on_change=lambda: composite.show(layer))
    drawn = InstructionGroup()
    drawn.add(layer.fbo)
    drawn.add(composite.instructions)
    canvas.insert(index, drawn)
    composite.show(layer)
    return layer


class SlideHost(FloatLayout):
    """Holds the slide on screen; a new one fades in over the old.

    Each view is drawn into its own layer, redrawn only when the view changes, and the slide area is
    one rectangle on screen; during a cross-fade, one rectangle that mixes the two layers. Drawing
    both views' widgets at every frame instead costs a software-rendered screen (no GPU) most of its
    frame rate (bench/transitions.py). The host places the views it shows itself: they are not its
    children, whose canvases go into the host's, so a view drawn into its layer while it waits for its
    turn is not drawn again when it appears."""

    current = ObjectProperty(None, allownone=True)
    fading = BooleanProperty(False)
    progress = NumericProperty(1.0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._layers: dict[SlideView, Layer] = {}  # the views on screen and the one prepared next
        self._prepared: SlideView | None = None
        self._outgoing: SlideView | None = None
        self._composite = Composite()
        with self.canvas.before:
            Color(*PAPER)
            self._paper = Rectangle()  # under views added as children (the preview), none shown
            self._offscreen = InstructionGroup()  # the layers' Fbos, each redrawn when its view changes
        self.canvas.before.add(self._composite.instructions)
        self.bind(pos=self._place, size=self._place)

    def prepare(self, view: SlideView) -> None:
        """The view comes next: lay it out and draw it into its layer now, while the current one is shown."""
        if self._prepared is not None:
            self._drop(self._prepared)
        self._prepared = view
        self._layer(view)

    def show(self, view: SlideView) -> None:
        self._end_fade()
        old = self.current
        if self._prepared is not None and self._prepared is not view:
            self._drop(self._prepared)
        self._prepared = None
        self._layer(view)
        self.current = view
        if old is not None:
            self._outgoing = old
            self.fading = True
            self.progress = 0.0
            fade = Animation(progress=1.0, duration=FADE_SECONDS)
            fade.bind(on_complete=lambda *_: self._end_fade())
            fade.start(self)
        self._redraw()

    def on_progress(self, _, progress) -> None:
        self._composite.mix(progress)

    def on_fading(self, _, fading) -> None:
        App.get_running_app().pace.hold_while("fade", fading)

    def _layer(self, view: SlideView) -> Layer:
        if view not in self._layers:
            view.size_hint = (None, None)
            view.pos, view.size = self.pos, self.size
            self._layers[view] = Layer(view, on_change=self._redraw)
            self._offscreen.add(self._layers[view].fbo)
        return self._layers[view]

    def _drop(self, view: SlideView) -> None:
        layer = self._layers.pop(view)
        self._offscreen.remove(layer.fbo)
        layer.release()

    def _end_fade(self) -> None:
        """The fade is over (or cut short by the next slide): the old view goes."""
        if not self.fading:
            return
        Animation.cancel_all(self, "progress")
        old, self._outgoing = self._outgoing, None
        self.fading = False
        self.progress = 1.0
        self._drop(old)
        old.leave()
        self._redraw()

    def _place(self, *_) -> None:
        for view in self._layers:
            view.pos, view.size = self.pos, self.size
        self._redraw()

    def _redraw(self) -> None:
        layer = self._layers.get(self.current)
        self._paper.pos = self.pos
        self._paper.size = (0, 0) if layer is not None else self.size
        self._composite.show(layer, self._layers.get(self._outgoing))


class KioskFrame(BoxLayout):
    """Header, the slide area with the website QR beside it, and the ticker."""

    feed = ObjectProperty(None)
    folder = ObjectProperty(None)
    theme = ObjectProperty(None)  # screens.theme.Theme, given by the composition root (screens/display.py)
    pace = ObjectProperty(None)  # screens.pace.FramePace, likewise

    def on_kv_post(self, base_widget):
        # The header changes once a minute, the sidebar with the feed: each is drawn from its layer.
        self.layers = [draw_from_layer(self.ids.header), draw_from_layer(self.ids.sidebar)]

    def media(self, name: str | None) -> str:
        return str(Path(self.folder) / name) if name else ""


class KioskRoot(FloatLayout):
    """The window's content: the frame, and over it whatever a touch opens (one overlay at a time).

    Touches never reach the loop itself. Five taps in the top-left corner within a few seconds
    call on_staff_gesture; any other touch calls on_loop_touch with its position (counter mode opens its menu)."""

    CORNER_TAPS = 5
    CORNER_SECONDS = 3.0

    overlay = ObjectProperty(None, allownone=True)
    theme = ObjectProperty(None)  # the frame's Theme and FramePace, for whatever opens over it
    pace = ObjectProperty(None)

    def __init__(self, frame: KioskFrame, on_staff_gesture, on_loop_touch=None, **kwargs):
        kwargs.setdefault("theme", frame.theme)
        kwargs.setdefault("pace", frame.pace)
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
        App.get_running_app().pace.hold("overlay")  # scrolling and pressed buttons at the full rate

    def close_overlay(self) -> None:
        if self.overlay is not None:
            self.remove_widget(self.overlay)
            self.overlay = None
            App.get_running_app().pace.release("overlay")

    def on_touch_down(self, touch):
        if self.overlay is not None:
            self.overlay.dispatch("on_touch_down", touch)
            return True  # overlays are modal
        if self._in_corner(touch):
            if self._count_corner_tap():
                self.on_staff_gesture()
        elif self.on_loop_touch:
            self._corner_taps.clear()
            self.on_loop_touch(touch.pos)
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

    def __init__(self, frame: KioskFrame, loop: Loop, clock: DisplayClock, on_show=None, plays=None):
        self.frame = frame
        self.loop = loop
        self.clock = clock
        self._incoming = None  # (feed, folder) handed over by install_feed, shown from the next slide change
        self.plays = plays  # kiosk.ops.stats.PlayLog: proof of play
        self._shown_since = None  # (slide id, feed time it appeared) for the proof of play
        self.on_show = on_show  # called with (slide id, view) each time a page appears
        self.view: SlideView | None = None
        self.prepared: SlideView | None = None
        self._coming: SlideView | None = None  # chosen, shown once ready
        self.deadline = 0.0
        self._page_event = None
        self._change_event = None
        self._clock_event = None
        self._showing_urgent = False
        self.paused = False
        self._failed_in_a_row = 0  # slides skipped one after another because their files do not open
        self._broken: dict[str, float] = {}  # slide id: when (monotonic) its file last failed to open or play
        self._all_failed_said = False

    @property
    def host(self) -> SlideHost:
        return self.frame.ids.host

    def install_feed(self, feed, folder) -> None:
        """A feed sync installed and validated (on the Kivy thread): it takes over at the next slide change."""
        self._incoming = (feed, folder)

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
        view = make_view(entry, self.frame.folder, theme=self.frame.theme, pace=self.frame.pace)
        # Laid out and drawn into its layer now, so that its pages and media are ready before its turn.
        self.host.prepare(view)
        view.prepare()
        return view

    def _record_play(self) -> None:
        """The slide on screen ends now: write down what was shown, when and for how long."""
        if self.plays is not None and self._shown_since is not None:
            slide_id, since = self._shown_since
            self.plays.record(slide_id, since, (self.clock.now() - since).total_seconds())
        self._shown_since = None

    def _next_slide(self, *_):
        self._record_play()
        if self._incoming is not None:
            self._switch_feed(*self._incoming)
            self._incoming = None
        now = self.clock.now()
        entry = self.loop.advance(now)
        if entry is None or self._failed_in_a_row >= len(self.loop.active(now)):
            if entry is not None and not self._all_failed_said:
                self._all_failed_said = True
                log.error("không trang nào mở được: hiện lời chào, thử lại sau %g giây", MAX_WAIT_FOR_CHANGE)
            self._show_welcome(now)
            return
        if time.monotonic() - self._broken.get(entry.id, -RETRY_BROKEN_SECONDS) < RETRY_BROKEN_SECONDS:
            self._failed_in_a_row += 1  # failed a moment ago: passed over without opening it again
            Clock.schedule_once(self._next_slide, 0)
            return
        if self.prepared is not None and self.prepared.entry.id == entry.id:
            view = self.prepared
        else:
            if self.prepared is not None:
                self.prepared.leave()
            view = self._build(entry)
        self.prepared = None
        self._showing_urgent = entry.slide.urgent
        self._drop_coming()
        self._coming = view
        view.when_ready(lambda: self._show_ready(view, entry.id, now))

    def _show_ready(self, view: SlideView, slide_id: str, chosen_at) -> None:
        """The chosen view can appear as it will look (a video's first frame is decoded)."""
        if self._coming is not view:
            return  # another slide was chosen meanwhile
        self._coming = None
        if self.paused:
            view.leave()
            return
        self._show(view, seconds=None, slide_id=slide_id, chosen_at=chosen_at)

    def _drop_coming(self) -> None:
        if self._coming is not None:
            self._coming.leave()
            self._coming = None

    def _show_welcome(self, now) -> None:
        """Nothing to show (no slide active, or none opens): the ward's name, never a black screen."""
        self._failed_in_a_row = 0
        self._showing_urgent = False
        self._drop_coming()
        if self.prepared is not None:
            self.prepared.leave()
            self.prepared = None
        view = WelcomeView(None, self.frame.folder, theme=self.frame.theme, pace=self.frame.pace,
                           ward_name=self.frame.feed.ward.name,
                           logo=self.frame.media(self.frame.feed.ward.logo))
        self._show(view, seconds=MAX_WAIT_FOR_CHANGE, slide_id="welcome", chosen_at=now)

    def _switch_feed(self, feed, folder) -> None:
        """A new feed was installed: it takes over at this slide change, after the slide shown."""
        shown_id = self.view.entry.id if self.view is not None and self.view.entry else None
        self.frame.folder = folder
        self.frame.feed = feed
        self.loop = Loop(feed, self.loop.display)
        self.loop.restart_after(shown_id)
        self._broken.clear()
        if self.prepared is not None:
            self.prepared.leave()
            self.prepared = None

    def _show(self, view: SlideView, seconds: float | None, slide_id: str, chosen_at) -> None:
        if view.failure:
            self._note_failure(slide_id, view.failure)
            view.leave()
            Clock.schedule_once(self._next_slide, 0)
            return
        if slide_id != "welcome":
            self._failed_in_a_row = 0
            self._all_failed_said = False
        self.host.show(view)
        self.view = view
        self._shown_since = (slide_id, self.clock.now())
        view.page = 0
        view.enter(self._view_finished)
        self._schedule_page(view, seconds, slide_id)
        self._watch_schedule(chosen_at)
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
        early = self.deadline - time.monotonic()
        if early > 0:  # Kivy's clock runs an event up to a frame early; a deadline is a deadline
            self._page_event = Clock.schedule_once(lambda *_: self._page_done(view, slide_id), early)
            return
        if view.page + 1 < view.page_count:
            view.show_page(view.page + 1)
            self._schedule_page(view, None, slide_id)
            return
        self._next_slide()

    def _note_failure(self, slide_id: str, failure: str) -> None:
        """Said once, then the slide is passed over for a while, not opened at every round of the loop."""
        self._broken[slide_id] = time.monotonic()
        self._failed_in_a_row += 1
        log.warning("bỏ qua trang %s: %s", slide_id, failure)

    def _view_finished(self):
        if self.view is not None and self.view.failure and self.view.entry is not None:  # a video that stopped
            self._note_failure(self.view.entry.id, self.view.failure)
        if self.paused:
            return
        self.deadline = time.monotonic()
        Clock.schedule_once(self._next_slide, 0)

    def _watch_schedule(self, since=None) -> None:
        """Wake up when the set of active slides next changes after `since` (default: now). The
        player passes the moment the loop chose the slide, so that a change (an urgent slide's end)
        falling while the slide was being put on screen is not missed."""
        if self._change_event:
            self._change_event.cancel()
        change = self.loop.next_change(since or self.clock.now())
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

