"""What each form shows and how what staff typed goes back into the feed's round-trip data.

Fields, their order and their one-line explanations come from kiosk.feed.model (the schema's
descriptions); this module adds the Vietnamese labels and the kind of input. Values staff did not
change are left as they were in the file (quoting, folded text, comments). A value that is not what
the field needs (a word in a number field, a date that does not exist) is written as typed, so that
the validator says what is wrong in its own words, next to the field; nothing invalid is saved."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from kiosk.feed import model
from kiosk.vietnamese import nfc

SLIDE_MODELS = {
    "delegates": model.DelegatesSlide, "leaders": model.LeadersSlide, "resolution": model.ResolutionSlide,
    "image": model.ImageSlide, "video": model.VideoSlide, "text": model.TextSlide,
}
TYPE_NAMES = {
    "text": "Thông báo, bài viết", "resolution": "Nghị quyết", "delegates": "Danh sách đại biểu",
    "leaders": "Lãnh đạo chủ chốt", "image": "Ảnh", "video": "Video",
}
LABELS = {
    "id": "Mã trang", "duration": "Thời gian hiện (giây)", "start": "Hiện từ ngày", "end": "Hiện đến hết ngày",
    "weekdays": "Chỉ hiện vào các thứ", "hours": "Chỉ hiện trong khung giờ", "displays": "Chỉ hiện trên màn hình",
    "urgent": "Tin khẩn", "title": "Tiêu đề", "body": "Nội dung", "category": "Nhóm tin", "picture": "Ảnh minh họa",
    "number": "Số hiệu", "date": "Ngày ban hành", "issuer": "Cơ quan ban hành", "points": "Các ý chính",
    "link": "Mã QR dẫn tới", "file": "Tệp", "caption": "Chú thích", "background": "Màu nền",
    "sound": "Bật tiếng", "max_seconds": "Dừng sau (giây)", "term": "Khóa, nhiệm kỳ",
    "constituency": "Đơn vị bầu cử", "note": "Ghi chú", "order": "Thứ tự", "people": "Danh sách người",
    "name": "Họ và tên", "position": "Chức vụ, nơi công tác", "votes": "Số phiếu", "percent": "Tỷ lệ (%)",
    "photo": "Ảnh", "label": "Chữ dưới mã QR", "url": "Địa chỉ web (https://)",
}
BODY_CHOICES = list(model.BODIES.items())
ORDER_CHOICES = [("alphabet", "Theo tên, như danh sách chính thức"), ("as-written", "Giữ thứ tự đã nhập")]
CONTENT_FIELDS = {
    "text": ["category", "title", "body", "picture"],
    "resolution": ["number", "date", "issuer", "title", "points", "link"],
    "image": ["file", "caption", "background"],
    "video": ["file", "caption", "sound", "max_seconds"],
    "delegates": ["body", "title", "term", "constituency", "note", "order", "people"],
    "leaders": ["title", "note", "people"],
}
SCHEDULE_FIELDS = ["start", "end", "weekdays", "hours", "displays", "urgent", "duration", "id"]
PERSON_FIELDS = {"delegates": ["name", "position", "votes", "percent"], "leaders": ["name", "position"]}
SPARE_ROWS = 3  # empty rows under a list, for adding people, links or questions
LONG_TEXT = {"body", "answer"}
MEDIA = {"file", "picture", "logo", "photo"}


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, lines, date, moment, weekdays, list, bool, integer, number, select, media, link, people
    label: str
    help: str
    required: bool
    choices: list[tuple[str, str]] | None = None


def _kind(slide_type: str, name: str) -> str:
    if name == "body" and slide_type == "delegates" or name == "order":
        return "select"
    if name in LONG_TEXT:
        return "textarea"
    if name == "points":
        return "lines"
    if name == "date":
        return "date"
    if name in ("start", "end"):
        return "moment"
    if name == "weekdays":
        return "weekdays"
    if name in ("hours", "displays"):
        return "list"
    if name in ("urgent", "sound"):
        return "bool"
    if name in ("duration", "max_seconds"):
        return "integer"
    if name in MEDIA:
        return "media"
    if name == "link":
        return "link"
    if name == "people":
        return "people"
    return "text"


def slide_fields(slide_type: str, names: list[str]) -> list[Field]:
    cls = SLIDE_MODELS[slide_type]
    fields = []
    for name in names:
        info = cls.model_fields[name]
        kind = _kind(slide_type, name)
        choices = BODY_CHOICES if name == "body" and kind == "select" else ORDER_CHOICES if name == "order" else None
        fields.append(Field(name, kind, LABELS[name], info.description or "", info.is_required(), choices))
    return fields


def person_fields(slide_type: str) -> list[Field]:
    cls = model.Leader if slide_type == "leaders" else model.Person
    kinds = {"votes": "integer", "percent": "number"}
    return [Field(name, kinds.get(name, "text"), LABELS[name],
                  cls.model_fields[name].description or "", cls.model_fields[name].is_required())
            for name in PERSON_FIELDS[slide_type]]


# ------------------------------------------------------------------ values shown in the form

def shown(value: Any) -> str:
    """A value as the text in an input."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")  # 79,5 as staff write it
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(shown(item) for item in value)
    return str(value)


def moment_parts(value: Any) -> tuple[str, str]:
    """(date for the date picker, time or '') of a start or end."""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d}", f"{value:%H:%M}"
    if isinstance(value, date):
        return value.isoformat(), ""
    text = str(value or "").strip()
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})(:\d{2})?", text)
    return (match[1], match[2]) if match else (text, "")


# ------------------------------------------------------------------ typed text back into data

def clean(text: str | None) -> str:
    """One line as staff meant it: NFC, tabs and runs of spaces as one space, no spaces around."""
    return re.sub(r"[ \t\u00a0]+", " ", nfc(text or "")).strip()


def clean_block(text: str | None) -> str:
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).rstrip() for line in nfc(text or "").replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip()


def _date(text: str) -> Any:
    """A date from the date picker (2026-12-01) or typed the Vietnamese way (01/12/2026)."""
    text = clean(text)
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    if match:
        text = f"{match[3]}-{int(match[2]):02d}-{int(match[1]):02d}"
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text  # the validator names the date that does not exist


def _number(text: str, whole: bool = False) -> Any:
    """A number as typed; for a whole number, 52.614 and 52,614 are the Vietnamese and English
    ways of writing fifty-two thousand."""
    typed = clean(text)
    compact = typed.replace(" ", "")
    if whole and re.fullmatch(r"\d{1,3}([.,]\d{3})+", compact):
        return int(re.sub(r"[.,]", "", compact))
    if re.fullmatch(r"-?\d+", compact):
        return int(compact)
    if re.fullmatch(r"-?\d+[.,]\d+", compact):
        return float(compact.replace(",", "."))
    return typed


def _split(text: str) -> list[str]:
    return [part for part in (clean(p) for p in re.split(r"[,;\n]", text or "")) if part]


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new))
    if isinstance(old, str) and isinstance(new, str):
        return clean_block(old) == clean_block(new) or " ".join(old.split()) == new
    return old == new


def put(target: CommentedMap, name: str, value: Any, required: bool) -> None:
    """Set a field, keeping the file's own writing of a value staff did not change. An empty
    required field is written empty so that the validator points at the field itself."""
    if value is None or value == [] or value == "":
        if required:
            target[name] = ""
        else:
            target.pop(name, None)
        return
    if name in target and _same(target[name], value):
        return
    if isinstance(value, str) and "\n" in value:
        value = LiteralScalarString(value)
    elif isinstance(value, list):
        seq = CommentedSeq(value)
        if all(isinstance(item, str) and len(item) < 12 for item in value):
            seq.fa.set_flow_style()  # [T3, T5] as staff write it by hand
        value = seq
    target[name] = value


def value_from(form, prefix: str, field: Field, old: Any) -> Any:
    key = prefix + field.name
    kind = field.kind
    if kind == "bool":
        return True if form.get(key) else (False if old is not None else None)
    if kind == "weekdays":
        picked = set(form.getlist(key))
        return [day for day in model.WEEKDAYS if day in picked]
    if kind == "lines":
        return [line for line in (clean(part) for part in (form.get(key) or "").splitlines()) if line]
    if kind == "list":
        return _split(form.get(key))
    if kind in ("number", "integer"):
        return _number(form.get(key) or "", whole=kind == "integer") if clean(form.get(key)) else None
    if kind == "date":
        return _date(form.get(key) or "") if clean(form.get(key)) else None
    if kind == "moment":
        day, clock = clean(form.get(key)), clean(form.get(key + "_time"))
        if not day:
            return None
        picked = _date(day)
        if clock and isinstance(picked, date):
            return f"{picked.isoformat()} {clock}"
        return picked
    if kind == "textarea":
        return clean_block(form.get(key))
    return clean(form.get(key))


def apply_link(form, prefix: str, target: CommentedMap, name: str, required: bool = False) -> None:
    label, url = clean(form.get(f"{prefix}{name}.label")), clean(form.get(f"{prefix}{name}.url"))
    if not label and not url and not required:
        target.pop(name, None)
        return
    link = target.get(name)
    if not isinstance(link, dict):
        link = CommentedMap()
        target[name] = link
    put(link, "label", label, True)
    put(link, "url", url, True)


def apply_fields(form, prefix: str, target: CommentedMap, fields: list[Field], slide_type: str = "") -> None:
    for field in fields:
        if field.kind == "link":
            apply_link(form, prefix, target, field.name, field.required)
        elif field.kind == "people":
            apply_rows(form, f"{prefix}people", target, "people", person_fields(slide_type))
        else:
            put(target, field.name, value_from(form, prefix, field, target.get(field.name)), field.required)


def row_count(form, prefix: str) -> int:
    """How many rows a list in the form has (its inputs are named PREFIX.N.field)."""
    found = [int(m[1]) for key in form.keys() if (m := re.fullmatch(re.escape(prefix) + r"\.(\d+)\..*", key))]
    return max(found) + 1 if found else 0


def apply_rows(form, prefix: str, target: CommentedMap, name: str, fields: list[Field]) -> None:
    """A list of groups (people, links) from rows; a row left empty is dropped, kept rows keep
    what the form does not show (a person's photo)."""
    old = target.get(name)
    old = list(old) if isinstance(old, list) else []
    rows = CommentedSeq()
    for index in range(row_count(form, prefix)):
        row_prefix = f"{prefix}.{index}."
        if not any(clean(form.get(row_prefix + f.name)) for f in fields):
            continue
        item = old[index] if index < len(old) and isinstance(old[index], dict) else CommentedMap()
        for field in fields:
            put(item, field.name, value_from(form, row_prefix, field, item.get(field.name)), field.required)
        rows.append(item)
    if isinstance(target.get(name), CommentedSeq) and [id(r) for r in rows] == [id(r) for r in target[name]]:
        return
    target[name] = rows


def new_slide(slide_type: str) -> CommentedMap:
    slide = CommentedMap()
    slide["type"] = slide_type
    return slide


# ------------------------------------------------------------------ words for lists and summaries

def schedule_summary(slide: dict) -> str:
    parts = []
    start, end = slide.get("start"), slide.get("end")
    if start:
        parts.append(f"từ {shown_day(start)}")
    if end:
        parts.append(f"đến hết {shown_day(end)}")
    if slide.get("weekdays"):
        parts.append(", ".join(str(day) for day in slide["weekdays"]))
    if slide.get("hours"):
        parts.append(", ".join(str(h) for h in slide["hours"]))
    if slide.get("displays"):
        parts.append("màn hình: " + ", ".join(str(d) for d in slide["displays"]))
    return " · ".join(parts) or "luôn hiện"


def shown_day(value: Any) -> str:
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def number_vi(value: Any) -> str:
    """A number the Vietnamese way: 52.614 votes, 79,5 per cent."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}".replace(",", ".")
    return f"{value:g}".replace(".", ",")


def slide_title(slide: dict) -> str:
    kind = slide.get("type")
    if kind == "delegates":
        words = [slide.get("title") or model.BODIES.get(slide.get("body"), "Đại biểu"), slide.get("constituency")]
        return " · ".join(str(w) for w in words if w)
    if kind == "resolution":
        return " ".join(str(w) for w in (slide.get("number"), slide.get("title")) if w)
    for name in ("title", "caption", "file"):
        if slide.get(name):
            return str(slide[name])
    return TYPE_NAMES.get(kind, str(kind))
