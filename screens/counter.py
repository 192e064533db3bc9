"""Touch mode for the one-stop counter: a home menu, the FAQ by topic, tone-free search on an
on-screen keyboard, delegates, resolutions and the ward's links, each answer with its QR code.

It sits over the loop while a resident uses it and goes back to the loop by itself after a spell
without a touch, with a countdown in the last seconds. Every page is built from the feed; the
search and the usage counts live in the core (kiosk.play.search, kiosk.ops.stats)."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.play.layout import largest_fitting, paragraphs
from kiosk.play.reading import answer_reading, delegates_reading, resolution_reading
from screens.slides.base import text_height, text_width
from screens.theme import load_rules
from screens.widgets import QrPanel, WrappedLabel, to_markup

if TYPE_CHECKING:
    from kiosk.play.search import FaqIndex  # the app builds it when touch mode first opens

load_rules(__file__)

COUNTDOWN_SECONDS = 10
# The second tap of a resident's double tap on the loop must not choose from the menu that the first
# opened: a touch this soon after, this near to the one that opened it (a finger's width, at 1080p), is ignored.
OPENING_TAP_SECONDS = 0.4
OPENING_TAP_DISTANCE = 80
# Alphabetical, as on a school chart: many residents have never typed; no tones are needed.
KEYBOARD_ROWS = ("a b c d e g h i k l", "m n o p q r s t u v", "x y f j w z", "1 2 3 4 5 6 7 8 9 0")
KEYBOARD_ACTIONS = (("Dấu cách", "space", 3), ("Xóa", "back", 1), ("Xóa hết", "clear", 1))

# A no-break space inside the words of two syllables: "màn hình" is not split over two lines.
INVITATION = "Chạm vào màn\u00a0hình để tra\u00a0cứu"

HOME_ITEMS = (
    ("Hỏi đáp chính sách", "topics"),
    ("Tìm kiếm", "search"),
    ("Đại biểu của bạn", "bodies"),
    ("Nghị quyết", "resolutions"),
    ("Liên kết", "links"),
    ("Góp ý", "feedback"),
)


class TouchButton(ButtonBehavior, Label):
    """A large button that darkens while pressed: feedback without a long press or double tap."""

    normal_color = ListProperty([0.05, 0.17, 0.32, 1])
    pressed_color = ListProperty([0.02, 0.08, 0.16, 1])


class ListButton(TouchButton):
    """A row in a list: text on the left, as tall as its wrapped text needs and at least a finger."""


class SuggestionButton(ListButton):
    """The search's "did you mean": it stands out from the rows and runs that search."""


class PageTitle(Label):
    """A page's title: the largest of `sizes` at which it fits in `max_height`, else the smallest,
    wrapped onto as many lines as it needs. Never cut: a resident reads the whole name."""

    sizes = ListProperty([])  # font sizes from the theme's fixed set, largest first
    max_height = NumericProperty(0)

    def __init__(self, **kwargs):
        self._fit_trigger = Clock.create_trigger(self._fit, -1)
        super().__init__(**kwargs)
        self.bind(text=self._fit_trigger, width=self._fit_trigger, sizes=self._fit_trigger,
                  max_height=self._fit_trigger)

    def _fit(self, *_):
        if not self.sizes or self.width <= 1:
            return
        markup = to_markup(self.text)  # measured as drawn: brackets are text
        self.font_size = largest_fitting(self.sizes, lambda size: text_height(markup, size, self.width, bold=True),
                                         self.max_height)
        self.text_size = (self.width, None)
        self.texture_update()
        self.height = self.texture_size[1]


class Page(BoxLayout):
    """One screen of touch mode; `title` shows in the top bar."""

    title = StringProperty("")
    scalable = BooleanProperty(False)  # the A+ button applies

    def leave(self) -> None:
        """The page is closing (another page, or back to the loop): stop what it does."""

    def busy(self) -> bool:
        """A resident is using it without touching (listening): not idle."""
        return False


class ListPage(Page):
    """A scrollable column of buttons (topics, questions, delegates, resolutions, results)."""

    def __init__(self, title: str, rows, **kwargs):
        super().__init__(title=title, **kwargs)
        for text, action in rows:
            self.add_row(text, action)

    def add_row(self, text: str, action) -> None:
        button = ListButton(text=text)
        button.bind(on_release=lambda *_: action())
        self.ids.rows.add_widget(button)


class ReadingBlock(WrappedLabel):
    """A paragraph, point or person of a reading page, at the page's text size."""

    scale = NumericProperty(1.0)


class ReadingPage(Page):
    """Text to read (an answer, a resolution, a list of delegates), scrolled with a finger, with the
    QR code of its link beside it. One label per block (paragraph, point, person): one label for a
    long list would be a single texture taller than a small GPU can hold."""

    link_url = StringProperty("")
    link_label = StringProperty("")
    text_scale = NumericProperty(1.0)
    scalable = BooleanProperty(True)

    def __init__(self, blocks: list[str], spoken: str = "", **kwargs):
        super().__init__(**kwargs)
        for text in blocks:
            self.ids.blocks.add_widget(ReadingBlock(text=text, scale=self.text_scale))
        self.bind(text_scale=self._rescale)
        self.listen = None  # "Nghe": on a counter display with speech, above the text
        speaker = getattr(App.get_running_app(), "speaker", None)
        if spoken and speaker:
            from screens.listen import ListenButton

            self.listen = ListenButton(speaker, spoken)
            self.ids.reading.add_widget(self.listen, index=len(self.ids.reading.children))

    def leave(self) -> None:
        if self.listen:
            self.listen.stop()

    def busy(self) -> bool:
        return self.listen is not None and self.listen.phase in ("preparing", "playing")

    def _rescale(self, *_):
        for label in self.ids.blocks.children:
            label.scale = self.text_scale


class LinksPage(Page):
    def __init__(self, links, **kwargs):
        super().__init__(title="Liên kết của phường", **kwargs)
        for link in links:
            self.ids.codes.add_widget(QrPanel(url=link.url, label=link.label))


class OnScreenKeyboard(BoxLayout):
    """The counter's keyboard, letters without tones; each key fires `on_key` with the letter,
    "space", "back" or "clear" (see `typed`)."""

    __events__ = ("on_key",)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        rows = [[(key, key, 1) for key in row.split()] for row in KEYBOARD_ROWS] + [KEYBOARD_ACTIONS]
        for row in rows:
            line = BoxLayout(spacing=self.spacing)
            for label, key, width in row:
                button = TouchButton(text=label, size_hint_x=width)
                button.bind(on_release=lambda _, k=key: self.dispatch("on_key", k))
                line.add_widget(button)
            self.add_widget(line)

    def on_key(self, key: str) -> None:
        pass


def typed(query: str, key: str) -> str:
    """The query after one key of the OnScreenKeyboard."""
    if key == "space":
        return query + (" " if query and not query.endswith(" ") else "")
    if key == "back":
        return query[:-1]
    if key == "clear":
        return ""
    return query + key


class KeyboardPage(Page):
    """A page of results beside (landscape) or over (portrait) the on-screen keyboard, the results
    following each key: `show_results` fills `ids.results` for `query` and says what it found in `status`."""

    query = StringProperty("")
    status = StringProperty("")

    def type(self, key: str) -> None:
        self.query = typed(self.query, key)
        self.show_results()

    def show_results(self) -> None:
        raise NotImplementedError


class SearchPage(KeyboardPage):
    def __init__(self, view: "CounterView", **kwargs):
        self.view = view
        super().__init__(title="Tìm kiếm", **kwargs)
        self.show_results()

    def search_for(self, words: str) -> None:
        self.query = words
        self.show_results()

    def show_results(self) -> None:
        rows = self.ids.results
        rows.clear_widgets()
        if not self.query.strip():
            self.status = "Gõ vài chữ, không cần dấu: ví dụ \"nghi quyet\""
            return
        result = self.view.index.search(self.query)
        self.view.last_search = (self.query, result.total)
        if result.total:
            self.status = f"Tìm thấy {result.total} câu hỏi"
            for hit in result.hits:
                button = ListButton(text=hit.question)
                button.bind(on_release=lambda _, h=hit: self.view.open_answer(h.topic_index, h.question_index))
                rows.add_widget(button)
            return
        if result.did_you_mean:
            self.status = "Không tìm thấy. Chạm vào gợi ý, hoặc xem theo chủ đề:"
            button = SuggestionButton(text=f"Có phải bạn muốn tìm: “{result.did_you_mean}”?")
            button.bind(on_release=lambda _, word=result.did_you_mean: self.search_for(word))
            rows.add_widget(button)
        else:
            self.status = "Không tìm thấy. Hãy xem theo chủ đề:"
        for suggestion in result.topics:
            button = ListButton(text=suggestion.topic)
            button.bind(on_release=lambda _, t=suggestion.topic_index: self.view.open_topic(t))
            rows.add_widget(button)


class HomePage(Page):
    def __init__(self, view: "CounterView", **kwargs):
        super().__init__(title=view.feed.ward.name, **kwargs)
        for label, target in HOME_ITEMS:
            button = TouchButton(text=label)
            button.bind(on_release=lambda _, l=label, t=target: view.open_menu_item(l, t))
            self.ids.tiles.add_widget(button)


class CounterView(BoxLayout):
    """The whole touch mode. `on_close` is called when it gives the screen back to the loop."""

    page = ObjectProperty(None, allownone=True)
    countdown = NumericProperty(0)
    text_scale = NumericProperty(1.0)
    at_home = BooleanProperty(True)  # the menu: "Về màn hình chính" would lead to itself

    def __init__(self, feed, folder: Path, usage, idle_seconds: float, on_close, index: FaqIndex,
                 opening_touch: tuple[float, float], **kwargs):
        self.feed = feed
        self.folder = Path(folder)
        self.usage = usage
        self.idle_seconds = idle_seconds
        self.on_close = on_close
        self.index = index  # built once per feed by the app
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
        theme = App.get_running_app().theme
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
        return math.hypot(touch.x - x, touch.y - y) < App.get_running_app().theme.px(OPENING_TAP_DISTANCE)

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
        self.show(ListPage("Hỏi đáp chính sách", rows))

    def open_topic(self, topic_index: int) -> None:
        topic = self.feed.faq[topic_index]
        self.usage.record("topic", topic=topic.topic)
        rows = [(item.question, lambda q=q: self.open_answer(topic_index, q)) for q, item in enumerate(topic.questions)]
        self.show(ListPage(topic.topic, rows))

    def open_answer(self, topic_index: int, question_index: int) -> None:
        topic = self.feed.faq[topic_index]
        item = topic.questions[question_index]
        self.usage.record("question", topic=topic.topic, question=item.question)
        self.show(ReadingPage([f"[b]{to_markup(item.question)}[/b]", *map(to_markup, paragraphs(item.answer))], title=topic.topic,
                              link_url=item.link.url if item.link else "",
                              link_label=item.link.label if item.link else "", spoken=answer_reading(item)))

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
        self.show(ListPage("Đại biểu của bạn", rows))

    def open_delegates(self, slide) -> None:
        people = []
        for number, person in enumerate(slide.people, start=1):
            detail = f"\n      {to_markup(person.position)}" if person.position else ""
            people.append(f"{number}. [b]{to_markup(person.name)}[/b]{detail}")
        heading = " · ".join(filter(None, [slide.constituency, slide.note]))
        self.show(ReadingPage([to_markup(heading), *people], title=slide.titled_list, spoken=delegates_reading(slide)))

    def open_resolutions(self) -> None:
        rows = [(f"{s.number} · {s.title}", lambda s=s: self.open_resolution(s))
                for s in self.feed.slides if s.type == "resolution"]
        self.show(ListPage("Nghị quyết", rows))

    def open_resolution(self, slide) -> None:
        blocks = [f"[b]{to_markup(slide.number)}[/b] · ngày {slide.date:%d/%m/%Y} · {to_markup(slide.issuer)}",
                  f"[b]{to_markup(slide.title)}[/b]", *(f"•  {to_markup(point)}" for point in slide.points)]
        self.show(ReadingPage(blocks, title="Nghị quyết", link_url=slide.link.url if slide.link else "",
                              link_label=slide.link.label if slide.link else "", spoken=resolution_reading(slide)))

    def open_links(self) -> None:
        self.show(LinksPage([self.feed.ward.website, *self.feed.ward.links]))

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


class TouchInvitation(BoxLayout):
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
