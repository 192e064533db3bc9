"""The feed, format 1: what staff write in feed.yaml, as typed models.

The models are the single source of truth: the validator checks against them and `kiosk schema`
exports them as JSON Schema for editors. Descriptions are in Vietnamese because staff read them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal, Union, get_args
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kiosk.vietnamese import fold, name_sort_key

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


Slide = Annotated[Union[tuple(kind.model for kind in SLIDE_TYPES.values())], Field(discriminator="type")]


class Question(_Strict):
    question: Text = Field(description="Câu hỏi, như người dân hay hỏi")
    answer: Text = Field(description="Câu trả lời ngắn gọn, dễ hiểu; **in đậm** được phép")
    link: Link | None = Field(None, description="Mã QR để đọc thêm trên điện thoại")


class Topic(_Strict):
    topic: Text = Field(description="Chủ đề, ví dụ: Kết quả bầu cử")
    questions: list[Question] = Field(min_length=1)


class Feed(_Strict):
    format: Literal[1] = Field(description="Phiên bản định dạng: luôn là 1")
    version: Annotated[int, Field(ge=0)] = Field(description="Số phiên bản bản tin (kiosk publish tự tăng)")
    expires: Day = Field(description="Ngày hết hạn: sau ngày này màn hình không tin bản tin này nữa")
    ward: Ward
    ticker: list[Text] = Field(default_factory=list, description="Các dòng chữ chạy cuối màn hình")
    slides: list[Slide] = Field(min_length=1, description="Các trang chiếu, theo thứ tự")
    faq: list[Topic] = Field(default_factory=list, description="Hỏi đáp chính sách, theo chủ đề")


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
