"""The counter's pages and their parts: buttons, a page with its title, lists, a reading with its
QR code and "Nghe", the ward's links, the on-screen keyboard and the search on it, the home menu.
CounterView (screens.counter) puts them on screen one at a time; the resident's other pages
(screens.delegates_by_area, screens.feedback) are built from these."""

from __future__ import annotations


from kivy.clock import Clock
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView

from kiosk.play.layout import largest_fitting
from screens.slides.base import text_height
from screens.theme import load_rules
from screens.widgets import Oriented, QrPanel, Themed, WrappedLabel, to_markup

load_rules(__file__)

# The pages take `view`, the CounterView they are shown in (screens.counter): its feed, folder,
# usage log, theme and the way to the next page. The other pages, and every widget built here in
# Python, are given theme=... (screens.widgets.Themed).

# Alphabetical, as on a school chart: many residents have never typed; no tones are needed.
KEYBOARD_ROWS = ("a b c d e g h i k l", "m n o p q r s t u v", "x y f j w z", "1 2 3 4 5 6 7 8 9 0")
KEYBOARD_ACTIONS = (("Dấu cách", "space", 3), ("Xóa", "back", 1), ("Xóa hết", "clear", 1))


HOME_ITEMS = (
    ("Hỏi đáp chính sách", "topics"),
    ("Tìm kiếm", "search"),
    ("Đại biểu của bạn", "bodies"),
    ("Nghị quyết", "resolutions"),
    ("Liên kết", "links"),
    ("Góp ý", "feedback"),
)


class TouchButton(Themed, ButtonBehavior, Label):
    """A large button that darkens while pressed: feedback without a long press or double tap."""

    normal_color = ListProperty([0.05, 0.17, 0.32, 1])
    pressed_color = ListProperty([0.02, 0.08, 0.16, 1])


class ListButton(TouchButton):
    """A row in a list: text on the left, as tall as its wrapped text needs and at least a finger."""


class SuggestionButton(ListButton):
    """The search's "did you mean": it stands out from the rows and runs that search."""


class ScrollingColumn(Themed, ScrollView):
    """A column scrolled with a finger, its bar in the ward's red."""


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


class Page(Themed, Oriented, BoxLayout):
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
        button = ListButton(text=text, theme=self.theme)
        button.bind(on_release=lambda *_: action())
        self.ids.rows.add_widget(button)


class ReadingBlock(Themed, WrappedLabel):
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

    def __init__(self, blocks: list[str], spoken: str = "", speaker=None, **kwargs):
        """`speaker`: the display's screens.listen.Speaker, None where it does not speak."""
        super().__init__(**kwargs)
        for text in blocks:
            self.ids.blocks.add_widget(ReadingBlock(text=text, scale=self.text_scale, theme=self.theme))
        self.bind(text_scale=self._rescale)
        self.listen = None  # "Nghe": on a counter display with speech, above the text
        if spoken and speaker:
            from screens.listen import ListenButton

            self.listen = ListenButton(speaker, spoken, theme=self.theme)
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
            self.ids.codes.add_widget(QrPanel(url=link.url, label=link.label, theme=self.theme))


class OnScreenKeyboard(Themed, BoxLayout):
    """The counter's keyboard, letters without tones; each key fires `on_key` with the letter,
    "space", "back" or "clear" (see `typed`)."""

    __events__ = ("on_key",)

    def on_kv_post(self, base_widget):
        # The keys once the rules have run: built in kv, the keyboard has its theme only then.
        # spacing=0: the keys of a row have always touched (the rows used to be made before the
        # rule gave the keyboard its spacing), kept so that the keyboard looks as it did.
        rows = [[(key, key, 1) for key in row.split()] for row in KEYBOARD_ROWS] + [KEYBOARD_ACTIONS]
        for row in rows:
            line = BoxLayout(spacing=0)
            for label, key, width in row:
                button = TouchButton(text=label, size_hint_x=width, theme=self.theme)
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
    def __init__(self, view, **kwargs):
        self.view = view
        super().__init__(title="Tìm kiếm", theme=view.theme, **kwargs)
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
                button = ListButton(text=hit.question, theme=self.theme)
                button.bind(on_release=lambda _, h=hit: self.view.open_answer(h.topic_index, h.question_index))
                rows.add_widget(button)
            return
        if result.did_you_mean:
            self.status = "Không tìm thấy. Chạm vào gợi ý, hoặc xem theo chủ đề:"
            button = SuggestionButton(text=f"Có phải bạn muốn tìm: “{result.did_you_mean}”?", theme=self.theme)
            button.bind(on_release=lambda _, word=result.did_you_mean: self.search_for(word))
            rows.add_widget(button)
        else:
            self.status = "Không tìm thấy. Hãy xem theo chủ đề:"
        for suggestion in result.topics:
            button = ListButton(text=suggestion.topic, theme=self.theme)
            button.bind(on_release=lambda _, t=suggestion.topic_index: self.view.open_topic(t))
            rows.add_widget(button)


class HomePage(Page):
    def __init__(self, view, **kwargs):
        super().__init__(title=view.feed.ward.name, theme=view.theme, **kwargs)
        for label, target in HOME_ITEMS:
            button = TouchButton(text=label, theme=self.theme)
            button.bind(on_release=lambda _, l=label, t=target: view.open_menu_item(l, t))
            self.ids.tiles.add_widget(button)
