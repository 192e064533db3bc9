"""The counter's "Đại biểu của bạn": the resident picks their tổ dân phố (big buttons in natural
order, or a tone-free search over area and street names on the on-screen keyboard), then sees on
one page their delegates at the three levels and the meetings those delegates hold for that area,
each with a QR code that puts the meeting into a phone's calendar.

Which areas, delegates and meetings, and the calendar text, are the core's (kiosk.play.areas,
kiosk.play.meetings); the meetings are judged with the display's clock, as the loop's schedule is."""

from __future__ import annotations

from kivy.properties import NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from kiosk.play.areas import NO_LIST, my_delegates, search_areas
from kiosk.play.meetings import calendar_event, upcoming_meetings
from kiosk.words import format_date, format_time
from screens.counter_pages import KeyboardPage, Page, SuggestionButton
from screens.theme import load_rules
from screens.widgets import Themed


load_rules(__file__)

ALL_LISTS = "Xem mọi danh sách đại biểu của phường"


class AreaButton(Themed, ButtonBehavior, BoxLayout):
    """An area: its name in bold, its streets (and its note) under it in the small size; as tall as
    they need."""

    name = StringProperty("")
    streets = StringProperty("")


class AreaPickerPage(KeyboardPage):
    """"Bà con ở tổ dân phố nào?": every area while nothing is typed, the matches after each key."""

    def __init__(self, view, **kwargs):
        self.view = view
        super().__init__(title="Bà con ở tổ dân phố nào?", theme=view.theme, **kwargs)
        self.show_results()

    def show_results(self) -> None:
        rows = self.ids.results
        rows.clear_widgets()
        typed = self.query.strip()
        areas = [match.area for match in search_areas(self.view.feed.areas, typed)]
        if not typed:
            self.status = "Chạm vào tổ dân phố của bà con, hoặc gõ tên phố, không cần dấu"
        elif areas:
            self.status = f"Có {len(areas)} tổ dân phố. Chạm vào tổ của bà con:"
        else:
            self.status = "Không thấy tổ dân phố hay phố nào như vậy. Bà con bấm “Xóa” để gõ lại."
        if not typed or not areas:  # first, for a resident who does not know their tổ dân phố
            button = SuggestionButton(text=ALL_LISTS, theme=self.theme)
            button.bind(on_release=lambda _: self.view.open_delegate_lists())
            rows.add_widget(button)
        for area in areas:
            button = AreaButton(name=area.name, streets="\n".join(filter(None, (", ".join(area.streets), area.note))),
                                theme=self.theme)
            button.bind(on_release=lambda _, a=area: self.view.open_area(a))
            rows.add_widget(button)


class LevelHeading(Themed, BoxLayout):
    """A body's heading over its delegates: the list's name, and the area's constituency."""

    text = StringProperty("")
    detail = StringProperty("")


class DelegateCard(Themed, BoxLayout):
    """One delegate: photo (or initial), name, position; as tall as its words need."""

    name = StringProperty("")
    position = StringProperty("")
    photo = StringProperty("")


class MeetingPanel(Themed, BoxLayout):
    """The area's coming meetings, one at a time with its calendar QR code, and buttons to the others."""

    count = NumericProperty(0)
    index = NumericProperty(0)
    heading = StringProperty("")
    when = StringProperty("")
    place = StringProperty("")
    who = StringProperty("")
    note = StringProperty("")
    calendar = StringProperty("")  # the iCalendar text in the QR code
    meetings = ObjectProperty([], rebind=True)
    ward = ObjectProperty(None)  # for the calendar event's UID
    now = ObjectProperty(None)  # the display's time: the calendar event's DTSTAMP

    def on_meetings(self, *_):
        self.count = len(self.meetings)
        self.show(0)

    def show(self, index: int) -> None:
        if not self.meetings:
            return
        self.index = index % len(self.meetings)
        meeting = self.meetings[self.index]
        self.heading = meeting.heading
        self.when = f"{format_date(meeting.date)}\nTừ {format_time(meeting.starts_at)} đến {format_time(meeting.ends_at)}"
        self.place = meeting.place
        self.who = ", ".join(meeting.delegates)
        self.note = meeting.note or ""
        self.calendar = calendar_event(meeting, self.ward, self.now)


class AreaDelegatesPage(Page):
    """One page: the area's delegates at the three levels, beside (landscape) or over (portrait)
    the meetings they hold for it, judged by the view's clock (the display's, as the loop's)."""

    def __init__(self, view, area, **kwargs):
        super().__init__(title=f"Đại biểu của {area.name}", theme=view.theme, **kwargs)
        feed, folder = view.feed, view.folder
        blocks = self.ids.levels
        levels = my_delegates(feed, area)
        now = view.now()
        meetings = upcoming_meetings(feed.meetings, now, area, feed.slides)
        self.listen = None  # "Nghe": on a counter display with speech, above the delegates
        if view.speaker:
            from kiosk.play.reading import my_delegates_reading
            from screens.listen import ListenButton

            self.listen = ListenButton(view.speaker, my_delegates_reading(levels, meetings[0] if meetings else None,
                                                                          area.note), theme=self.theme)
            blocks.add_widget(self.listen)
        if area.note:
            blocks.add_widget(LevelHeading(detail=area.note, theme=self.theme))
        for level in levels:
            blocks.add_widget(LevelHeading(text=level.heading, detail=level.constituency or "", theme=self.theme))
            if not level.people:
                blocks.add_widget(LevelHeading(detail=NO_LIST, theme=self.theme))
            for person in level.people:
                blocks.add_widget(DelegateCard(name=person.name, position=person.position or "",
                                               photo=str(folder / person.photo) if person.photo else "",
                                               theme=self.theme))
        panel = self.ids.meetings
        panel.ward, panel.now = feed.ward, now
        panel.meetings = meetings

    def leave(self) -> None:
        if self.listen:
            self.listen.stop()

    def busy(self) -> bool:
        return self.listen is not None and self.listen.phase in ("preparing", "playing")
