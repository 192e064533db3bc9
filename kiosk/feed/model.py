"""The feed, format 1: what staff write in feed.yaml, as typed models.

The models are the single source of truth: the validator checks against them and `kiosk schema`
exports them as JSON Schema for editors. Descriptions are in Vietnamese because staff read them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated, Literal, Union, get_args
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kiosk.vietnamese import fold, fold_words, name_sort_key

FORMAT_VERSION = 1
LONG_URL = 60  # past this a QR code gets dense enough to trouble old phone cameras


def _problem(message: str) -> PydanticCustomError:
    return PydanticCustomError("kiosk", message)


def _check_https(url: str) -> str:
    if not re.match(r"^https://[^\s/?#]+\.[^\s/?#]+", url):
        if url.startswith("http://"):
            raise _problem(f"địa chỉ `{url}` phải bắt đầu bằng https:// (không dùng http://)")
        raise _problem(f"`{url}` không phải một địa chỉ web đầy đủ; hãy viết dạng https://ten-mien.vn/...")
    if re.search(r"\s", url):
        raise _problem("địa chỉ web không được có dấu cách")
    return url


def _check_media_path(value: str) -> str:
    if value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value) or "\\" in value:
        raise _problem(f"`{value}` phải là đường dẫn trong thư mục bản tin, dạng media/ten-tep.png")
    if ".." in value.split("/"):
        raise _problem(f"`{value}` không được đi ra ngoài thư mục bản tin (không dùng `..`)")
    return value


def _check_hours(value: str) -> str:
    match = re.fullmatch(r"(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})", value.strip())
    if not match:
        raise _problem(f"khung giờ `{value}` cần viết dạng \"07:30-11:30\" (trong dấu nháy)")
    for clock in match.groups():
        hours, minutes = (int(part) for part in clock.split(":"))
        if hours > 24 or minutes > 59 or (hours == 24 and minutes):
            raise _problem(f"khung giờ `{value}`: không có giờ `{clock}` (giờ từ 00:00 đến 24:00)")
    start, end = (int(c.replace(":", "")) for c in match.groups())
    if start == end:
        raise _problem(f"khung giờ `{value}` bắt đầu và kết thúc cùng một lúc nên trang không bao giờ hiện")
    return f"{match[1]}-{match[2]}"


FEED_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")  # the wall time of every moment in a feed
DAY_FORM = "viết dạng năm-tháng-ngày, ví dụ 2026-12-31"
MOMENT_FORMS = f"{DAY_FORM}, hoặc có giờ: \"2026-12-31 07:30\""
# A date as Vietnamese write it by hand, day first: 01/12/2026, 1-12-2026, 01.12.2026 07:30
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:\s+(\d{1,2}:\d{2}))?")
# ... or year first but not quite the feed's way: 2026/12/01, 2026-6-1
_YEAR_FIRST = re.compile(r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})(?:\s+(\d{1,2}:\d{2}))?")


def not_a_date(value, with_time: bool = True) -> PydanticCustomError:
    """The message for a date field that holds no date written the feed's way: a date written day
    first gets its own spelling back in the right order (with its time if the field takes one)."""
    text = str(value).strip()
    day_first = _DAY_FIRST.fullmatch(text)
    year_first = _YEAR_FIRST.fullmatch(text)
    if day_first or year_first:
        if day_first:
            day, month, year, clock = day_first.groups()
        else:
            year, month, day, clock = year_first.groups()
        try:
            written = date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            return _problem(f"`{text}` không phải ngày có thật (ngày {int(day)} tháng {int(month)} năm {year})")
        spelled = f'"{written} {clock}"' if clock and with_time else written
        return _problem(f"ngày `{text}` cần viết năm-tháng-ngày: viết {spelled} "
                        f"(ngày {int(day)} tháng {int(month)} năm {year})")
    return _problem(f"`{text}` không phải ngày có thật; {MOMENT_FORMS if with_time else DAY_FORM}")


def to_day(value):
    """A date alone, written 2026-12-31 (YAML has read it already) or as text in that form."""
    if isinstance(value, datetime):
        raise _problem(f"chỉ ghi ngày, không ghi giờ: viết {value.date().isoformat()}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise not_a_date(value, with_time=False) from None
    raise _problem(f"cần một ngày; {DAY_FORM}")


def to_moment(value):
    """A date alone means the whole day; a moment may be typed as '2026-12-01 07:30'."""
    if isinstance(value, datetime):
        # A moment written with its offset (2026-12-01 07:30:00+07:00) is read as Hanoi wall time,
        # like every other moment in the feed; comparing it with those would fail otherwise.
        return value.astimezone(FEED_ZONE).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"):
            try:
                return datetime.strptime(text, pattern)
            except ValueError:
                pass
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:  # quoted, with its offset: "2026-12-01T07:30:00+07:00"
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo:
            return to_moment(moment)
        raise not_a_date(value)
    raise _problem(f"cần một ngày; {MOMENT_FORMS}")


def start_moment(value: date | datetime | None) -> datetime | None:
    if isinstance(value, datetime) or value is None:
        return value
    return datetime.combine(value, time())


def end_moment(value: date | datetime | None) -> datetime | None:
    """The first moment no longer included: a date alone includes that whole day."""
    if isinstance(value, datetime) or value is None:
        return value
    return datetime.combine(value + timedelta(days=1), time())


def expiry_moment(expires: date) -> datetime:
    """When a feed whose `expires` is that day stops being trusted: the end of the day in the feed's
    own zone (Hanoi), whatever zone the display or the publishing PC is set to; aware, UTC."""
    return end_moment(expires).replace(tzinfo=FEED_ZONE).astimezone(timezone.utc)


Text = Annotated[str, Field(min_length=1)]
Url = Annotated[str, AfterValidator(_check_https)]
MediaPath = Annotated[str, AfterValidator(_check_media_path)]
Hours = Annotated[str, AfterValidator(_check_hours)]
_HOURS_SCHEMA = {"type": "string", "examples": ["07:30-11:30"]}
# One range may be written alone, `hours: "07:30-11:30"`, or as a list of them.
HoursList = Annotated[
    list[Hours],
    BeforeValidator(lambda value: [value] if isinstance(value, str) else value),
    WithJsonSchema({"anyOf": [_HOURS_SCHEMA, {"type": "array", "items": _HOURS_SCHEMA}]}),
]
Day = Annotated[date, BeforeValidator(to_day),
                WithJsonSchema({"type": "string", "format": "date", "examples": ["2027-06-30"]})]
# Editors check the schema's pattern; the validator accepts the same two forms.
Moment = Annotated[
    Union[datetime, date],
    BeforeValidator(to_moment),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}( \d{1,2}:\d{2})?$",
                    "examples": ["2026-12-31", "2026-12-31 07:30"]}),
]
Weekday = Literal["T2", "T3", "T4", "T5", "T6", "T7", "CN"]
WEEKDAYS: tuple[str, ...] = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Link(_Strict):
    label: Text = Field(description="Chữ in dưới mã QR, ví dụ: Trang thông tin điện tử phường")
    url: Url = Field(description="Địa chỉ https://; nên ngắn (dưới 60 ký tự) để mã QR dễ quét")


class Ward(_Strict):
    name: Text = Field(description="Tên phường, ví dụ: Phường Đống Đa")
    city: Text = Field("Thành phố Hà Nội", description="Tỉnh, thành phố")
    logo: MediaPath | None = Field(None, description="Biểu trưng (tệp PNG, nền trong suốt)")
    website: Link = Field(description="Trang web của phường: mã QR luôn hiện ở góc màn hình")
    links: list[Link] = Field(default_factory=list, description="Fanpage, nhóm Zalo, mẫu góp ý...")


class _Slide(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)] | None = Field(
        None, description="Tên ngắn không dấu (chữ thường, số, gạch nối) dùng trong nhật ký và thống kê"
    )
    duration: Annotated[int, Field(gt=0, le=3600)] | None = Field(
        None, description="Số giây trên màn hình (với trang chia nhiều phần: số giây mỗi phần)"
    )
    start: Moment | None = Field(None, description="Ngày bắt đầu hiện: 2026-12-01 hoặc \"2026-12-01 07:30\"")
    end: Moment | None = Field(None, description="Ngày cuối cùng hiện: 2026-12-31 hoặc \"2026-12-31 17:00\"")
    weekdays: list[Weekday] | None = Field(None, description="Chỉ hiện vào các thứ: T2 T3 T4 T5 T6 T7 CN")
    hours: HoursList | None = Field(
        None, description="Chỉ hiện trong khung giờ \"07:30-11:30\", hoặc một danh sách khung giờ")
    displays: list[Text] | None = Field(None, description="Chỉ hiện trên các màn hình có mã hoặc nhãn này")
    urgent: bool = Field(False, description="Tin khẩn: chen ngang vòng chiếu trong thời gian hiệu lực")

    @property
    def starts_at(self) -> datetime | None:
        return start_moment(self.start)

    @property
    def ends_at(self) -> datetime | None:
        return end_moment(self.end)

    def label(self) -> str:
        """A few words that name the slide, for ids and logs."""
        return self.type

    @property
    def page_seconds(self) -> int:
        """How long each page stays on screen (0: the slide ends by itself, as a video does)."""
        return self.duration or SLIDE_TYPES[self.type].seconds

    def at(self, feed: Feed, now: datetime) -> _Slide | None:
        """The slide as it is shown at this moment, or None when it has nothing to show then (a
        list of coming meetings when none is coming): the loop passes over it."""
        return self


@dataclass(frozen=True)
class SlideType:
    """One kind of slide: its model (the class `slide_type` decorates), its name (the model's
    `type`), its default seconds a page, and what its `file` field holds. Everything else that knows
    the kinds (the feed's union, the validator's and the publisher's media checks) reads SLIDE_TYPES;
    the display's view for each kind is registered in screens/slides/ and a test ties the two."""

    name: str
    model: type[_Slide]
    seconds: int
    file: Literal["image", "video"] | None = None


SLIDE_TYPES: dict[str, SlideType] = {}  # in declaration order: the order the schema and messages list them


def slide_type(seconds: int, file: Literal["image", "video"] | None = None):
    """Declare a kind of slide (README: "How to add a slide type"): the decorated model joins the feed."""
    def register(cls: type[_Slide]) -> type[_Slide]:
        (name,) = get_args(cls.model_fields["type"].annotation)
        SLIDE_TYPES[name] = SlideType(name, cls, seconds, file)
        return cls
    return register


class Person(_Strict):
    name: Text = Field(description="Họ và tên đầy đủ")
    position: Text | None = Field(None, description="Chức vụ, nơi công tác")
    photo: MediaPath | None = Field(None, description="Ảnh chân dung (tùy chọn)")
    votes: Annotated[int, Field(ge=0)] | None = Field(None, description="Số phiếu bầu")
    percent: Annotated[float, Field(ge=0, le=100)] | None = Field(None, description="Tỷ lệ phiếu bầu (%)")


class Leader(Person):
    position: Text = Field(description="Chức danh, ví dụ: Chủ tịch HĐND Thành phố")


BODIES = {
    "quoc-hoi": "Đại biểu Quốc hội",
    "hdnd-thanh-pho": "Đại biểu HĐND Thành phố",
    "hdnd-phuong": "Đại biểu HĐND phường",
}


@slide_type(seconds=20)
class DelegatesSlide(_Slide):
    type: Literal["delegates"]
    body: Literal["quoc-hoi", "hdnd-thanh-pho", "hdnd-phuong"] = Field(
        description="Cơ quan: quoc-hoi, hdnd-thanh-pho hoặc hdnd-phuong"
    )
    title: Text | None = Field(None, description="Tiêu đề thay cho tiêu đề tự tạo theo cơ quan")
    term: Text | None = Field(None, description="Khóa, nhiệm kỳ, ví dụ: khóa XVI")
    constituency: Text | None = Field(None, description="Đơn vị bầu cử")
    note: Text | None = Field(None, description="Dòng ghi chú nhỏ dưới tiêu đề")
    order: Literal["alphabet", "as-written"] = Field(
        "alphabet", description="alphabet: xếp theo tên như danh sách chính thức; as-written: giữ thứ tự đã viết"
    )
    people: list[Person] = Field(min_length=1, description="Danh sách đại biểu")

    @property
    def heading(self) -> str:
        return self.title or BODIES[self.body]

    @property
    def titled_list(self) -> str:
        """The list's name as residents read it: the feed's title, or the body with its term."""
        return self.title or " ".join(filter(None, [BODIES[self.body], self.term]))

    def label(self) -> str:
        return " ".join(filter(None, [self.heading, self.constituency]))

    @model_validator(mode="after")
    def _official_order(self):
        if self.order == "alphabet":
            ordered = sorted(self.people, key=lambda person: name_sort_key(person.name))
            object.__setattr__(self, "people", ordered)
        return self


@slide_type(seconds=20)
class LeadersSlide(_Slide):
    type: Literal["leaders"]
    title: Text = Field(description="Tiêu đề, ví dụ: Lãnh đạo chủ chốt Thành phố")
    note: Text | None = Field(None, description="Dòng ghi chú nhỏ dưới tiêu đề")
    people: list[Leader] = Field(min_length=1, description="Các chức danh lãnh đạo, theo thứ tự hiển thị")

    def label(self) -> str:
        return self.title


@slide_type(seconds=25)
class ResolutionSlide(_Slide):
    type: Literal["resolution"]
    number: Text = Field(description="Số hiệu, ví dụ: 01/NQ-HĐND")
    date: Moment = Field(description="Ngày ban hành, ví dụ: 2026-03-28")
    issuer: Text = Field("HĐND Thành phố Hà Nội", description="Cơ quan ban hành")
    title: Text = Field(description="Trích yếu (về việc...)")
    points: list[Text] = Field(default_factory=list, description="Các ý chính, mỗi ý một dòng")
    link: Link | None = Field(None, description="Mã QR dẫn tới toàn văn")

    def label(self) -> str:
        return f"{self.number} {self.title}"


@slide_type(seconds=12, file="image")
class ImageSlide(_Slide):
    type: Literal["image"]
    file: MediaPath = Field(description="Tệp ảnh PNG hoặc JPG trong thư mục bản tin")
    caption: Text | None = Field(None, description="Chú thích dưới ảnh")
    background: Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")] | None = Field(
        None, description="Màu nền quanh ảnh, dạng \"#0B3D2E\""
    )

    def label(self) -> str:
        return self.caption or self.file


@slide_type(seconds=0, file="video")  # it ends when the video does
class VideoSlide(_Slide):
    type: Literal["video"]
    file: MediaPath = Field(description="Tệp video MP4 (H.264) trong thư mục bản tin")
    caption: Text | None = Field(None, description="Chú thích")
    sound: bool = Field(False, description="Bật tiếng (mặc định tắt)")
    max_seconds: Annotated[int, Field(gt=0, le=600)] | None = Field(None, description="Dừng sau số giây này")

    def label(self) -> str:
        return self.caption or self.file


@slide_type(seconds=20)
class TextSlide(_Slide):
    type: Literal["text"]
    category: Text | None = Field(None, description="Nhóm tin: Thông báo, Di tích lịch sử, Người tốt, việc tốt...")
    title: Text = Field(description="Tiêu đề")
    body: Text = Field(description="Nội dung; các đoạn cách nhau một dòng trống; **in đậm** được phép")
    picture: MediaPath | None = Field(None, description="Ảnh minh họa (tùy chọn)")

    def label(self) -> str:
        return self.title


@slide_type(seconds=20)
class MeetingsSlide(_Slide):
    type: Literal["meetings"]
    title: Text = Field("Lịch tiếp xúc cử tri, tiếp công dân", description="Tiêu đề")
    count: Annotated[int, Field(ge=1, le=30)] = Field(
        8, description="Hiện nhiều nhất bao nhiêu buổi sắp tới (lấy từ mục `meetings` của bản tin)")
    _listed: tuple[Meeting, ...] = PrivateAttr(default=())

    @property
    def listed(self) -> tuple[Meeting, ...]:
        """The meetings this slide shows, soonest first (the loop fills them in at its moment)."""
        return self._listed

    def label(self) -> str:
        return self.title

    def at(self, feed: Feed, now: datetime) -> MeetingsSlide | None:
        coming = coming_meetings(feed.meetings, now)[: self.count]
        if not coming:
            return None  # nothing is coming: the loop passes over the slide
        shown = self.model_copy()
        shown._listed = tuple(coming)
        return shown


Slide = Annotated[Union[tuple(kind.model for kind in SLIDE_TYPES.values())], Field(discriminator="type")]


class Question(_Strict):
    question: Text = Field(description="Câu hỏi, như người dân hay hỏi")
    answer: Text = Field(description="Câu trả lời ngắn gọn, dễ hiểu; **in đậm** được phép")
    link: Link | None = Field(None, description="Mã QR để đọc thêm trên điện thoại")


class Topic(_Strict):
    topic: Text = Field(description="Chủ đề, ví dụ: Kết quả bầu cử")
    questions: list[Question] = Field(min_length=1)


# ------------------------------------------------------------- for residents: areas, meetings, feedback

_CLOCK = re.compile(r"(\d{1,2})[:hH](\d{2})?")  # the schema's pattern says the same to editors


def to_clock(value) -> time:
    """A time of day written "08:00", "8:00" or "8h00" (Vietnamese often write 8h30)."""
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 14:30 as the base-60 number 870: say how to write it instead.
        hours, minutes = divmod(value, 60)
        shown = f"\"{hours:02d}:{minutes:02d}\"" if 0 <= value < 24 * 60 else "\"08:00\""
        raise _problem(f"giờ cần đặt trong dấu nháy, ví dụ {shown} (không có dấu nháy YAML đọc thành con số)")
    if isinstance(value, str):
        match = _CLOCK.fullmatch(value.strip())
        if match:
            hours, minutes = int(match[1]), int(match[2] or 0)
            if hours <= 23 and minutes <= 59:
                return time(hours, minutes)
            raise _problem(f"không có giờ `{value.strip()}` (giờ từ 00:00 đến 23:59)")
    raise _problem(f"giờ `{value}` cần viết dạng \"08:00\" (trong dấu nháy)")


ClockTime = Annotated[time, BeforeValidator(to_clock),
                      WithJsonSchema({"type": "string", "pattern": r"^\s*\d{1,2}[:hH](\d{2})?\s*$",
                                      "examples": ["08:00", "14:30"]})]
# One name may be written alone, `hdnd-phuong: Đơn vị bầu cử số 2`, or as a list of them.
TextList = Annotated[
    list[Text],
    BeforeValidator(lambda value: [value] if isinstance(value, str) else value),
    WithJsonSchema({"anyOf": [{"type": "string", "minLength": 1},
                              {"type": "array", "items": {"type": "string", "minLength": 1}}]}),
]


class AreaConstituencies(_Strict):
    """The constituency (đơn vị bầu cử) an area votes in for each body, named as in that body's
    delegates slide (its `constituency`)."""

    quoc_hoi: Text | None = Field(None, alias="quoc-hoi", description="Đơn vị bầu cử đại biểu Quốc hội")
    hdnd_thanh_pho: Text | None = Field(None, alias="hdnd-thanh-pho",
                                        description="Đơn vị bầu cử đại biểu HĐND Thành phố")
    hdnd_phuong: Text | None = Field(None, alias="hdnd-phuong", description="Đơn vị bầu cử đại biểu HĐND phường")

    def of(self, body: str) -> str | None:
        return getattr(self, body.replace("-", "_"))


class InvitedConstituencies(_Strict):
    """Constituencies whose voters a meeting invites, for each body: one name or a list."""

    quoc_hoi: TextList = Field(default_factory=list, alias="quoc-hoi", description="Đơn vị bầu cử đại biểu Quốc hội")
    hdnd_thanh_pho: TextList = Field(default_factory=list, alias="hdnd-thanh-pho",
                                     description="Đơn vị bầu cử đại biểu HĐND Thành phố")
    hdnd_phuong: TextList = Field(default_factory=list, alias="hdnd-phuong",
                                  description="Đơn vị bầu cử đại biểu HĐND phường")

    def of(self, body: str) -> list[str]:
        return getattr(self, body.replace("-", "_"))

    def named(self) -> bool:
        return any(self.of(body) for body in BODIES)


class Area(_Strict):
    name: Text = Field(description="Tên tổ dân phố, ví dụ: Tổ dân phố số 2")
    streets: list[Text] = Field(default_factory=list,
                                description="Các phố, ngõ thuộc tổ dân phố (để bà con tìm theo tên đường)")
    constituencies: AreaConstituencies = Field(
        default_factory=AreaConstituencies,
        description="Đơn vị bầu cử của tổ dân phố cho từng cơ quan: quoc-hoi, hdnd-thanh-pho, hdnd-phuong")
    note: Text | None = Field(None, description="Dòng ghi chú nhỏ dưới tên tổ, ví dụ: Sáp nhập từ phường Quang Trung")


def match_key(name: str) -> str:
    """A name as matched across the feed: without tones, case or extra spaces."""
    return " ".join(fold_words(name))


def area_lists(area: Area, body: str, slides) -> list[DelegatesSlide]:
    """The delegates slides of `body` whose people represent `area`: those of the constituency it
    names for that body; when it names none, the body's list without a constituency, or else the
    body's only constituency on the ward's ground (a ward usually lies in one National Assembly
    constituency, so no area needs to name it)."""
    lists = [slide for slide in slides if slide.type == "delegates" and slide.body == body]
    named = area.constituencies.of(body)
    if named:
        return [slide for slide in lists if slide.constituency and match_key(slide.constituency) == match_key(named)]
    unnamed = [slide for slide in lists if not slide.constituency]
    if unnamed:
        return unnamed
    return lists if len({match_key(slide.constituency) for slide in lists}) == 1 else []


MEETING_KINDS = {"tiep-xuc-cu-tri": "Tiếp xúc cử tri", "tiep-cong-dan": "Tiếp công dân"}


class Meeting(_Strict):
    kind: Literal["tiep-xuc-cu-tri", "tiep-cong-dan"] = Field(
        description="tiep-xuc-cu-tri: đại biểu tiếp xúc cử tri; tiep-cong-dan: tiếp công dân")
    title: Text | None = Field(None, description="Tên buổi gặp thay cho tên theo loại, ví dụ: Tiếp xúc cử tri trước kỳ họp")
    date: Day = Field(description="Ngày, ví dụ: 2026-12-12")
    start: ClockTime = Field(description="Giờ bắt đầu, trong dấu nháy: \"08:00\"")
    end: ClockTime = Field(description="Giờ kết thúc, trong dấu nháy: \"10:30\"")
    place: Text = Field(description="Địa điểm, ví dụ: Nhà văn hóa tổ dân phố số 3, ngõ 5 phố Tây Sơn")
    delegates: list[Text] = Field(default_factory=list,
                                  description="Họ tên các đại biểu dự, đúng như trong danh sách đại biểu")
    areas: list[Text] = Field(default_factory=list, description="Các tổ dân phố được mời (tên như trong `areas`)")
    constituencies: InvitedConstituencies = Field(
        default_factory=InvitedConstituencies,
        description="Các đơn vị bầu cử được mời; không ghi tổ dân phố, đơn vị nào thì mời cả phường")
    note: Text | None = Field(None, description="Ghi chú, ví dụ: Mang theo căn cước")

    @property
    def heading(self) -> str:
        return self.title or MEETING_KINDS[self.kind]

    @property
    def starts_at(self) -> datetime:
        """Hanoi wall time, like every moment in the feed."""
        return datetime.combine(self.date, self.start)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.date, self.end)

    @property
    def open_to_all(self) -> bool:
        """No area and no constituency named: the whole ward is invited."""
        return not self.areas and not self.constituencies.named()


def coming_meetings(meetings, now: datetime) -> list[Meeting]:
    """Meetings not yet over at `now` (the feed's wall time), soonest first; one under way is still
    coming until it ends."""
    return sorted((meeting for meeting in meetings if meeting.ends_at > now),
                  key=lambda meeting: (meeting.starts_at, meeting.ends_at))


DEFAULT_FACES = ("Chưa giúp được", "Bình thường", "Có ích")
OTHER_TOPIC = "Điều khác"


class RatingQuestion(_Strict):
    question: Text = Field("Thông tin ở đây có giúp ích cho bà con không?", description="Câu hỏi")
    faces: Annotated[list[Text], Field(min_length=3, max_length=5)] = Field(
        default_factory=lambda: list(DEFAULT_FACES),
        description="Chữ dưới 3 đến 5 khuôn mặt, từ chưa hài lòng đến hài lòng nhất")


class MoreAboutQuestion(_Strict):
    question: Text = Field("Bà con muốn biết thêm về:", description="Câu hỏi")
    options: Annotated[list[Text], Field(min_length=1)] | None = Field(
        None, description="Các lựa chọn; không ghi thì dùng các chủ đề hỏi đáp và “Điều khác”")

    def choices(self, faq: list[Topic]) -> list[str]:
        return list(self.options) if self.options else [topic.topic for topic in faq] + [OTHER_TOPIC]


class Feedback(_Strict):
    rating: RatingQuestion = Field(default_factory=RatingQuestion,
                                   description="Câu hỏi chấm điểm bằng khuôn mặt")
    more_about: MoreAboutQuestion = Field(default_factory=MoreAboutQuestion,
                                          description="Câu hỏi “muốn biết thêm về”")
    thanks: Text = Field("Cảm ơn bà con đã góp ý!", description="Lời cảm ơn ở trang cuối")
    links: list[Link] | None = Field(
        None, description="Mã QR ở trang cảm ơn: mẫu góp ý, nhóm Zalo, iHanoi...; không ghi thì dùng `ward.links`")

    def channel_links(self, ward: Ward) -> list[Link]:
        return list(self.links) if self.links is not None else list(ward.links)


class Feed(_Strict):
    format: Literal[1] = Field(description="Phiên bản định dạng: luôn là 1")
    version: Annotated[int, Field(ge=0)] = Field(description="Số phiên bản bản tin (kiosk publish tự tăng)")
    expires: Day = Field(description="Ngày hết hạn: sau ngày này màn hình không tin bản tin này nữa")
    ward: Ward
    ticker: list[Text] = Field(default_factory=list, description="Các dòng chữ chạy cuối màn hình")
    slides: list[Slide] = Field(min_length=1, description="Các trang chiếu, theo thứ tự")
    faq: list[Topic] = Field(default_factory=list, description="Hỏi đáp chính sách, theo chủ đề")
    areas: list[Area] = Field(default_factory=list, description="Các tổ dân phố và đơn vị bầu cử của từng tổ")
    meetings: list[Meeting] = Field(default_factory=list,
                                    description="Lịch tiếp xúc cử tri, tiếp công dân của đại biểu")
    feedback: Feedback = Field(default_factory=Feedback, description="Các câu hỏi ở trang Góp ý")


def slide_ids(slides) -> list[str]:
    """Each slide's id: the one given, or one made from its type and label, unique in the feed."""
    taken = {slide.id for slide in slides if slide.id}
    ids = []
    for slide in slides:
        if slide.id:
            ids.append(slide.id)
            continue
        stem = re.sub(r"[^a-z0-9]+", "-", fold(f"{slide.type} {slide.label()}")).strip("-")[:48].rstrip("-")
        candidate, n = stem, 2
        while candidate in taken:
            candidate, n = f"{stem}-{n}", n + 1
        taken.add(candidate)
        ids.append(candidate)
    return ids


def json_schema() -> dict:
    schema = Feed.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Bản tin màn hình phường (định dạng 1)"
    return schema
