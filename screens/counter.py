"""Touch mode for the one-stop counter: a home menu, the FAQ by topic, tone-free search on an
on-screen keyboard, delegates, resolutions and the ward's links, each answer with its QR code.

It sits over the loop while a resident uses it and goes back to the loop by itself after a spell
without a touch, with a countdown in the last seconds. Every page is built from the feed; the
search and the usage counts live in the core (kiosk.play.search, kiosk.ops.stats)."""

from __future__ import annotations

import math
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.play.layout import paragraphs
from kiosk.play.reading import answer_reading, delegates_reading, resolution_reading
from screens.counter_pages import HomePage, LinksPage, ListPage, Page, ReadingPage, SearchPage
from screens.slides.base import text_width
from screens.theme import load_rules
from screens.widgets import Themed, to_markup

if TYPE_CHECKING:
    from kiosk.play.search import FaqIndex  # the app builds it when touch mode first opens

load_rules(__file__)

COUNTDOWN_SECONDS = 10
# The second tap of a resident's double tap on the loop must not choose from the menu that the first
# opened: a touch this soon after, this near to the one that opened it (a finger's width, at 1080p), is ignored.
OPENING_TAP_SECONDS = 0.4
OPENING_TAP_DISTANCE = 80
# A no-break space inside the words of two syllables: "màn hình" is not split over two lines.
INVITATION = "Chạm vào màn\u00a0hình để tra\u00a0cứu"

class CounterView(Themed, BoxLayout):
    """The whole touch mode. `on_close` is called when it gives the screen back to the loop.

    What it needs of the display is passed in by the app (screens/app.py): `theme` (its sizes, for
    it and its pages), `speaker` (the "Nghe" button's screens.listen.Speaker, None where the display
    does not speak) and `now` (the display's clock, the one the loop plays by)."""

    page = ObjectProperty(None, allownone=True)
    countdown = NumericProperty(0)
    text_scale = NumericProperty(1.0)
    at_home = BooleanProperty(True)  # the menu: "Về màn hình chính" would lead to itself

    def __init__(self, feed, folder: Path, usage, idle_seconds: float, on_close, index: FaqIndex,
                 opening_touch: tuple[float, float], speaker=None, now=datetime.now, **kwargs):
        self.feed = feed
        self.folder = Path(folder)
        self.usage = usage
        self.idle_seconds = idle_seconds
        self.on_close = on_close
        self.index = index  # built once per feed by the app
        self.speaker = speaker
        self.now = now
        self.history: list[Page] = []
        self.last_search: tuple[str, int] | None = None
        super().__init__(**kwargs)
        self._idle_event = None
        self._tick_event = None
        self._opened_at = time.monotonic()
        self._opening_touch = self._last_touch = opening_touch
        self.answered: set[str] = set()  # the "Góp ý" questions this resident has answered
        self.show(HomePage(self))
        self.touched()
        self.bind(size=self._place_title)
        self._place_title()

    def _place_title(self, *_):
        """Landscape: the title between the buttons. Portrait: the buttons leave it too little
        width, so it takes a row of its own under them, up to two lines at the heading size."""
        title, row, bar = self.ids.title, self.ids.buttons, self.ids.bar
        portrait = self.width < self.height
        target = bar if portrait else row
        if title.parent is not target:
            title.parent.remove_widget(title)
            target.add_widget(title, index=0 if portrait else len(row.children) - 1)  # after "Quay lại"
        theme = self.theme
        title.max_height = theme.heading * 2.8 if portrait else theme.touch

    # --- idle return
    def on_touch_down(self, touch):
        self.touched()
        if self._second_of_a_double_tap(touch):
            return True
        self._last_touch = (touch.x, touch.y)
        return super().on_touch_down(touch)

    def guard_against_a_second_tap(self) -> None:
        """The page the last touch opened ignores a second tap of a double tap, as the menu does."""
        self._opened_at = time.monotonic()
        self._opening_touch = self._last_touch

    def _second_of_a_double_tap(self, touch) -> bool:
        if time.monotonic() - self._opened_at >= OPENING_TAP_SECONDS:
            return False
        x, y = self._opening_touch
        return math.hypot(touch.x - x, touch.y - y) < self.theme.px(OPENING_TAP_DISTANCE)

    def touched(self) -> None:
        """Restart the idle countdown: the deadline is counted from the last touch."""
        self.countdown = 0
        for event in (self._idle_event, self._tick_event):
            if event:
                event.cancel()
        self._idle_event = Clock.schedule_once(self._start_countdown, max(0, self.idle_seconds - COUNTDOWN_SECONDS))

    def _start_countdown(self, *_):
        if self.page is not None and self.page.busy():
            self.touched()
            return
        self.countdown = COUNTDOWN_SECONDS
        self._tick_event = Clock.schedule_interval(self._tick, 1)

    def _tick(self, *_):
        self.countdown -= 1
        if self.countdown <= 0:
            self.close()
            return False
        return True

    def close(self) -> None:
        for event in (self._idle_event, self._tick_event):
            if event:
                event.cancel()
        self._finish_search()
        if self.page is not None:
            self.page.leave()
        self.on_close()

    # --- navigation
    def show(self, page: Page, remember: bool = True) -> None:
        if self.page is not None:
            self.page.leave()
            if remember:
                self.history.append(self.page)
            self.ids.content.remove_widget(self.page)
        if isinstance(self.page, SearchPage) and not isinstance(page, SearchPage):
            self._finish_search()
        self.page = page
        self.at_home = isinstance(page, HomePage)
        page.text_scale = self.text_scale if page.scalable else 1.0
        self.ids.content.add_widget(page)

    def back(self) -> None:
        if self.history:
            self.show(self.history.pop(), remember=False)
        else:
            self.close()

    def home(self) -> None:
        if self.history:
            first, self.history = self.history[0], []
            self.show(first, remember=False)

    def toggle_large_text(self) -> None:
        self.text_scale = 1.0 if self.text_scale > 1 else 1.3
        if self.page is not None and self.page.scalable:
            self.page.text_scale = self.text_scale

    def _finish_search(self) -> None:
        """A search counts once, when the resident leaves it, not at every key."""
        if self.last_search is not None:
            query, hits = self.last_search
            self.usage.record("search", query=query, hits=hits)
            self.last_search = None

    # --- pages
    def open_menu_item(self, label: str, target: str) -> None:
        self.usage.record("menu", item=label)
        getattr(self, f"open_{target}")()

    def open_topics(self) -> None:
        rows = [(topic.topic, lambda i=i: self.open_topic(i)) for i, topic in enumerate(self.feed.faq)]
        self.show(ListPage("Hỏi đáp chính sách", rows, theme=self.theme))

    def open_topic(self, topic_index: int) -> None:
        topic = self.feed.faq[topic_index]
        self.usage.record("topic", topic=topic.topic)
        rows = [(item.question, lambda q=q: self.open_answer(topic_index, q)) for q, item in enumerate(topic.questions)]
        self.show(ListPage(topic.topic, rows, theme=self.theme))

    def open_answer(self, topic_index: int, question_index: int) -> None:
        topic = self.feed.faq[topic_index]
        item = topic.questions[question_index]
        self.usage.record("question", topic=topic.topic, question=item.question)
        self.show(ReadingPage([f"[b]{to_markup(item.question)}[/b]", *map(to_markup, paragraphs(item.answer))], title=topic.topic,
                              link_url=item.link.url if item.link else "",
                              link_label=item.link.label if item.link else "", spoken=answer_reading(item),
                              speaker=self.speaker, theme=self.theme))

    def open_search(self) -> None:
        self.show(SearchPage(self))

    def open_bodies(self) -> None:
        """By the resident's tổ dân phố when the feed names the areas; else the lists as they are."""
        if self.feed.areas:
            from screens.delegates_by_area import AreaPickerPage

            self.show(AreaPickerPage(self))
        else:
            self.open_delegate_lists()

    def open_area(self, area) -> None:
        from screens.delegates_by_area import AreaDelegatesPage

        self.show(AreaDelegatesPage(self, area))

    def open_delegate_lists(self) -> None:
        lists = [s for s in self.feed.slides if s.type == "delegates"]
        rows = [(" · ".join(filter(None, [s.titled_list, s.constituency])),
                 lambda s=s: self.open_delegates(s)) for s in lists]
        self.show(ListPage("Đại biểu của bạn", rows, theme=self.theme))

    def open_delegates(self, slide) -> None:
        people = []
        for number, person in enumerate(slide.people, start=1):
            detail = f"\n      {to_markup(person.position)}" if person.position else ""
            people.append(f"{number}. [b]{to_markup(person.name)}[/b]{detail}")
        heading = " · ".join(filter(None, [slide.constituency, slide.note]))
        self.show(ReadingPage([to_markup(heading), *people], title=slide.titled_list, spoken=delegates_reading(slide),
                              speaker=self.speaker, theme=self.theme))

    def open_resolutions(self) -> None:
        rows = [(f"{s.number} · {s.title}", lambda s=s: self.open_resolution(s))
                for s in self.feed.slides if s.type == "resolution"]
        self.show(ListPage("Nghị quyết", rows, theme=self.theme))

    def open_resolution(self, slide) -> None:
        blocks = [f"[b]{to_markup(slide.number)}[/b] · ngày {slide.date:%d/%m/%Y} · {to_markup(slide.issuer)}",
                  f"[b]{to_markup(slide.title)}[/b]", *(f"•  {to_markup(point)}" for point in slide.points)]
        self.show(ReadingPage(blocks, title="Nghị quyết", link_url=slide.link.url if slide.link else "",
                              link_label=slide.link.label if slide.link else "", spoken=resolution_reading(slide),
                              speaker=self.speaker, theme=self.theme))

    def open_links(self) -> None:
        self.show(LinksPage([self.feed.ward.website, *self.feed.ward.links], theme=self.theme))

    def open_feedback(self) -> None:
        from screens.feedback import FeedbackPage

        self.show(FeedbackPage(self))

    def answer_feedback(self, question: str, **answer) -> None:
        """A "Góp ý" answer (kiosk.ops.stats "helpful" or "wanted"), counted once per resident: a
        double tap, or coming back to change it, is still one answer; then the next page."""
        from screens.feedback import ThanksPage, WantedPage

        if question not in self.answered:
            self.answered.add(question)
            self.usage.record(question, **answer)
        self.show(WantedPage(self) if question == "helpful" else ThanksPage(self))
        self.guard_against_a_second_tap()  # from when the page is there: building it takes a moment


class HandIcon(Widget):
    """A hand with its finger on the glass, drawn from shapes: no picture file to fetch or lose."""


class TouchInvitation(Themed, BoxLayout):
    """A band under the loop at the counter saying the screen can be touched, at the title size:
    read from two metres. The loop's slides and the ward's QR code keep the space above it."""

    text = StringProperty(INVITATION)
    room = NumericProperty(0)  # the width the words may take beside the hand
    font_size = NumericProperty(0)
    shown = StringProperty("")  # the text, in two even lines when one is too wide
    words_width = NumericProperty(0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(text=self._arrange, room=self._arrange, font_size=self._arrange)
        self._arrange()

    def _arrange(self, *_):
        if not self.font_size:
            return
        lines = even_lines(self.text, self.room, lambda text: text_width(text, self.font_size, bold=True))
        self.shown = "\n".join(lines)
        self.words_width = min(self.room, max(text_width(line, self.font_size, bold=True) for line in lines))


def even_lines(text: str, room: float, width_of) -> list[str]:
    """The text on one line if it fits in `room`, else on two lines as even as its words allow (not
    a long line and one word under it); when even two are too wide, one line left to wrap."""
    if width_of(text) <= room:
        return [text]
    words = text.split(" ")  # not at no-break spaces
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    best = min(splits, key=lambda lines: max(map(width_of, lines)), default=None)
    return list(best) if best and max(map(width_of, best)) <= room else [text]
