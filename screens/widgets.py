"""Small widgets shared by the screens: text that wraps to its width, QR codes, person cards."""

from __future__ import annotations

import re

from kivy.graphics import Color, Rectangle
from kivy.graphics.texture import Texture
from kivy.properties import AliasProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget
from kivy.utils import escape_markup

from kiosk.play.qr import qr_matrix
from screens.staging import SHARE, staging_owner
from screens.theme import INK, load_rules

load_rules(__file__)


def to_markup(text: str) -> str:
    """Feed text to Kivy markup: brackets escaped, **bold** made bold."""
    return re.sub(r"\*\*(.+?)\*\*", r"[b]\1[/b]", escape_markup(text))


class Oriented:
    """A widget's `landscape`: wider than tall (a square counts as landscape). Rules lay out by it,
    `root.landscape`, rather than comparing the sizes each time."""

    landscape = AliasProperty(lambda self: self.width >= self.height, bind=("size",), cache=True)


class Themed:
    """A widget whose rule sizes it from `theme` (screens.theme.Theme), passed in, never fetched.

    Built in Python, it is given at construction (theme=...). Built in a kv rule, it takes the theme
    of that rule's root before its own class rule runs: Kivy applies a child's class rule before the
    parent's rule sets the child's properties, so `theme: root.theme` there would come too late."""

    theme = ObjectProperty(None, rebind=True)  # rebind: a rule's `root.theme.gap` follows a theme given late

    def apply_class_lang_rules(self, root=None, **kwargs):
        if self.theme is None and root is not None:
            self.theme = getattr(root, "theme", None)
        if self.theme is None:
            raise TypeError(f"{type(self).__name__} needs a theme: theme=... when built in Python, "
                            "or a rule whose root has one")
        super().apply_class_lang_rules(root=root, **kwargs)


class WrappedLabel(Label):
    """A label as wide as its parent gives it and as tall as its wrapped text. No size of its own:
    the rule or code that uses it sets font_size (from its theme). In a view built ahead of its
    turn, its texture waits for a frame with time left (screens/staging.py)."""

    def texture_update(self, *largs):
        owner = staging_owner(self)
        if owner is not None and not SHARE.left():
            owner.owe_texture(self)
            return
        super().texture_update(*largs)


class QrView(Widget):
    """A QR code drawn with whole pixels per module, no smoothing, on a light quiet zone."""

    url = StringProperty("")
    matrix = ObjectProperty(None, allownone=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._texture = None
        self.drawn_rect = None
        self.bind(url=self._make_texture, pos=self._redraw, size=self._redraw)

    def _make_texture(self, *_):
        self.matrix = qr_matrix(self.url) if self.url else None
        self._texture = None
        if self.matrix:
            side = self.matrix.size
            texture = Texture.create(size=(side, side), colorfmt="luminance")
            texture.mag_filter = "nearest"
            texture.min_filter = "nearest"
            texture.blit_buffer(self.matrix.luminance_bytes(), colorfmt="luminance", bufferfmt="ubyte")
            self._texture = texture
        self._redraw()

    def _redraw(self, *_):
        self.canvas.clear()
        self.drawn_rect = None
        if not self._texture:
            return
        module = self.matrix.module_pixels(min(self.width, self.height))
        side = module * self.matrix.size
        # From x and width, not center_x: when a box goes from 0 to its width within one layout pass,
        # center_x is read before it follows, and the code was drawn half off the screen's left edge.
        x = int(self.x + (self.width - side) / 2)
        y = int(self.y + (self.height - side) / 2)
        self.drawn_rect = (x, y, x + side, y + side)  # where the code is drawn (a test checks it is on screen)
        with self.canvas:
            Color(1, 1, 1, 1)
            Rectangle(texture=self._texture, pos=(x, y), size=(side, side))


class QrPanel(Themed, BoxLayout):
    """A QR code with its label in words under it."""

    url = StringProperty("")
    label = StringProperty("")
    label_color = ListProperty(INK)


class Avatar(Widget):
    """A person's photo, or a neat circle with the initial of the given name when there is none."""

    photo = StringProperty("")
    name = StringProperty("")
    initial = StringProperty("")

    def on_name(self, _, name):
        words = name.split()
        self.initial = words[-1][:1].upper() if words else ""


class Card(Themed, BoxLayout):
    """A white card with rounded corners and the red bar of official notices on its left."""


class PersonCard(Card):
    person = ObjectProperty(None)
    photo = StringProperty("")  # absolute path, or empty for the placeholder
    detail = StringProperty("")  # position, votes
    detail_lines = NumericProperty(1)
    name_size = NumericProperty(38)
