"""The counter's "Góp ý": did the information here help (large faces), what the resident wants to
know more about (the FAQ topics and "other"), then thanks and the QR codes of the ward's feedback
channels. Only the choices are counted (kiosk.ops.stats), each once per resident; nothing is typed."""

from __future__ import annotations


from kivy.properties import ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from screens.counter_pages import Page, TouchButton
from screens.theme import load_rules
from screens.widgets import QrPanel, Themed


load_rules(__file__)

# The saddest face orange-red, the middle one gold, the happiest green; the mouth says it without colour.
HAPPY = (0.3, 0.72, 0.38, 1)
NEUTRAL = (0.98, 0.78, 0.27, 1)
UNHAPPY = (0.93, 0.42, 0.25, 1)
MOUTH_POINTS = 12


def moods(count: int) -> list[float]:
    """The smile of each of `count` faces (at least 2), from -1 (a frown) to 1 (a broad smile), evenly
    apart: the feed lists the faces' words from the least pleased to the most."""
    return [-1 + 2 * i / (count - 1) for i in range(count)]


def mood_color(mood: float) -> tuple[float, ...]:
    """The face's colour: gold at 0, towards green when smiling and towards orange-red when not."""
    far = HAPPY if mood >= 0 else UNHAPPY
    share = abs(mood)
    return tuple(n * (1 - share) + f * share for n, f in zip(NEUTRAL, far))


class Face(Widget):
    """A face drawn from shapes, in the square in the middle of its box: eyes, and a mouth that
    smiles at mood 1, is straight at 0 and frowns at -1."""

    mood = NumericProperty(0.0)
    face_color = ListProperty(NEUTRAL)
    mouth = ListProperty([])

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(pos=self._draw_mouth, size=self._draw_mouth, mood=self._draw_mouth)

    def on_mood(self, _, mood):
        self.face_color = mood_color(mood)

    def _draw_mouth(self, *_):
        side = min(self.width, self.height)
        cx, cy = self.center
        points = []
        for i in range(MOUTH_POINTS + 1):
            t = -1 + 2 * i / MOUTH_POINTS
            points += [cx + t * side * 0.24, cy - side * 0.2 + self.mood * side * 0.13 * (t * t - 0.5)]
        self.mouth = points


class FaceButton(Themed, ButtonBehavior, BoxLayout):
    """One answer, the whole card one large button: its face over its words in a row of faces
    (landscape), beside them in a column (portrait)."""

    text = StringProperty("")
    mood = NumericProperty(0.0)
    words_height = NumericProperty(0)  # the tallest words of the row: the faces stand in line


class FeedbackPage(Page):
    """The first question: a row of faces, one per word of the feed, the least pleased first."""

    question = StringProperty("")

    def __init__(self, view, **kwargs):
        rating = view.feed.feedback.rating
        super().__init__(title="Góp ý", question=rating.question, theme=view.theme, **kwargs)
        for answer, mood in zip(rating.faces, moods(len(rating.faces))):
            button = FaceButton(text=answer, mood=mood, theme=self.theme)
            button.bind(on_release=lambda _, a=answer: view.answer_feedback("helpful", answer=a))
            button.ids.words.bind(texture_size=self._line_up)
            self.ids.faces.add_widget(button)

    def _line_up(self, *_):
        buttons = self.ids.faces.children
        tallest = max(button.ids.words.texture_size[1] for button in buttons)
        for button in buttons:
            button.words_height = tallest


class TopicButton(TouchButton):
    """A topic of the second question: as tall as its wrapped words need, and more than a finger."""


class WantedPage(Page):
    """The second question: the FAQ's topics and "other" (or the feed's own choices), as large buttons."""

    question = StringProperty("")

    def __init__(self, view, **kwargs):
        more_about = view.feed.feedback.more_about
        super().__init__(title="Góp ý", question=more_about.question, theme=view.theme, **kwargs)
        for topic in more_about.choices(view.feed.faq):
            button = TopicButton(text=topic, theme=self.theme)
            button.bind(on_release=lambda _, t=topic: view.answer_feedback("wanted", topic=t))
            self.ids.topics.add_widget(button)


class ThanksPage(Page):
    """Thanks, and where to say more: the QR codes of the ward's feedback channels."""

    thanks = StringProperty("")

    def __init__(self, view, **kwargs):
        feedback = view.feed.feedback
        super().__init__(title="Góp ý", thanks=feedback.thanks, theme=view.theme, **kwargs)
        self.view = view
        for link in feedback.channel_links(view.feed.ward):
            self.ids.codes.add_widget(QrPanel(url=link.url, label=link.label, theme=self.theme))
