"""The GL compositor: each slide view drawn into its own texture (a Layer), the slide area one
rectangle on screen (a Composite) that cross-fades two layers in one pass, and the SlideHost that
puts views on screen and says when a view's first frame is drawn and when its fade is over."""

from __future__ import annotations

from kivy.animation import Animation
from kivy.graphics import (BindTexture, Callback, ClearBuffers, ClearColor, Color, Fbo, InstructionGroup, PopMatrix,
                           PushMatrix, Rectangle, RenderContext, Translate)
from kivy.graphics.opengl import GL_BLEND, glDisable, glEnable
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty
from kivy.uix.floatlayout import FloatLayout

from screens.slides import SlideView
from screens.theme import PAPER

FADE_SECONDS = 0.6
# A layer on screen (texture0), opaque, with the outgoing layer mixed in until progress reaches 1.
CROSSFADE_SHADER = """$HEADER$
uniform sampler2D outgoing;
uniform float progress;
void main(void) {
    vec3 incoming = texture2D(texture0, tex_coord0).rgb;
    gl_FragColor = vec4(mix(texture2D(outgoing, tex_coord0).rgb, incoming, progress), 1.0);
}
"""



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
    turn is not drawn again when it appears.

    Events, each with the view: on_drawn, the first frame showing it is on screen (a screenshot
    now shows it as residents see it); on_settled, it is alone on screen, drawn, its fade over (the
    moment to prepare the next one). A view replaced before then has neither."""

    __events__ = ("on_drawn", "on_settled")

    current = ObjectProperty(None, allownone=True)
    fading = BooleanProperty(False)
    progress = NumericProperty(1.0)
    pace = ObjectProperty(None)  # the frame's screens.pace.FramePace: full rate while a fade runs

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._layers: dict[SlideView, Layer] = {}  # the views on screen and the one prepared next
        self._drawn: SlideView | None = None  # the view last seen on screen
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

    def show(self, view: SlideView, fade: bool = True) -> None:
        """The view on screen, faded in over the one before, or in its place at once (`fade` False:
        the next page of the same slide)."""
        self._end_fade()
        old = self.current
        if self._prepared is not None and self._prepared is not view:
            self._drop(self._prepared)
        self._prepared = None
        self._layer(view)
        self.current = view
        if old is not None and not fade:
            self._drop(old)
            old.leave()
        elif old is not None:
            self._outgoing = old
            self.fading = True
            self.progress = 0.0
            fade = Animation(progress=1.0, duration=FADE_SECONDS)
            fade.bind(on_complete=lambda *_: self._fade_done(view))
            fade.start(self)
        self._redraw()
        self.when_drawn(lambda: self._first_frame(view))

    def when_drawn(self, then) -> None:
        """then() once the next frame is on screen: what the host shows now is what residents see
        (a window flips its buffers only after it has drawn)."""
        window = self.get_root_window()

        def flipped(*_):
            window.unbind(on_flip=flipped)
            then()

        window.bind(on_flip=flipped)
        self.canvas.ask_update()  # a frame is drawn even if nothing changed

    def _first_frame(self, view: SlideView) -> None:
        if view is not self.current:
            return  # replaced before it was ever drawn
        self._drawn = view
        self.dispatch("on_drawn", view)
        if not self.fading:
            self.dispatch("on_settled", view)

    def _fade_done(self, view: SlideView) -> None:
        self._end_fade()
        if view is self.current and self._drawn is view:
            self.dispatch("on_settled", view)

    def on_drawn(self, view: SlideView) -> None:
        pass

    def on_settled(self, view: SlideView) -> None:
        pass

    def on_progress(self, _, progress) -> None:
        self._composite.mix(progress)

    def on_fading(self, _, fading) -> None:
        self.pace.hold_while("fade", fading)

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
