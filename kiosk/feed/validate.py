"""Load and check a feed folder, reporting every problem at once in words a clerk can act on."""

from __future__ import annotations

import difflib
import errno
import math
import stat
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from kiosk.feed import media, model, textfit
from kiosk.delivery.manifest import EARLIEST_MOMENT, LATEST_MOMENT, MAX_FILE_BYTES, MAX_VERSION
from kiosk.feed.model import Feed
from kiosk.feed.problems import Problem
from kiosk.vietnamese import fold
from kiosk.feed.yamlsource import (FEED_FILE, MAX_YAML_BYTES, Document, UnreadableFile, cycle_collector_paused,
                                   load_yaml, read_regular_file)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
VIDEO_SUFFIXES = {".mp4", ".m4v", ".webm", ".mkv"}
IMAGE_SIGNATURES = {".png": b"\x89PNG\r\n\x1a\n", ".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff"}
MEDIA_KEYS = {"logo": IMAGE_SUFFIXES, "photo": IMAGE_SUFFIXES, "picture": IMAGE_SUFFIXES}
SUFFIXES_OF = {"image": IMAGE_SUFFIXES, "video": VIDEO_SUFFIXES}
# The suffixes of a slide's `file` by the slide's type, as its declaration (model.slide_type) says.
MEDIA_KEYS_BY_TYPE = {kind.name: SUFFIXES_OF[kind.file] for kind in model.SLIDE_TYPES.values() if kind.file}
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
MATROSKA_DOCTYPES = {".webm": b"webm", ".mkv": b"matroska"}
MAX_MEDIA_BYTES = MAX_FILE_BYTES  # what a display downloads of one file
FIRST_YEAR, LAST_YEAR = EARLIEST_MOMENT.year, LATEST_MOMENT.year - 1  # what a display takes in a manifest


@dataclass
class LoadResult:
    feed: Feed | None
    problems: list[Problem] = field(default_factory=list)
    document: Document | None = None  # the data as read and checked, with where each value stands

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]


def _all_field_names(models=(Feed,)) -> set[str]:
    names: set[str] = set()
    seen: set[type] = set()
    stack = list(models)
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        names.update(info.alias or name for name, info in cls.model_fields.items())
        stack.extend(sub for sub in _models_in(cls) if sub not in seen)
    return names


def _models_in(cls: type[BaseModel]):
    for info in cls.model_fields.values():
        yield from _models_of_type(info.annotation)


def _models_of_type(annotation):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        yield from _models_of_type(arg)
    for meta in getattr(annotation, "__metadata__", ()) or ():
        yield from _models_of_type(meta)
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and origin is not annotation:
        yield from _models_of_type(origin)


KNOWN_FIELDS = sorted(_all_field_names())


def _data_path(data: Any, loc: tuple) -> tuple:
    """Drop the parts of a pydantic location that are not in the data (the union's tag names)."""
    path: list = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and part not in model.SLIDE_TYPES:
            path.append(part)  # a missing field: point at its parent, say its name
            break
    return tuple(path)


def _shown(value: Any) -> str:
    return str(value) if not isinstance(value, (dict, list)) else "…"


def _yaml_hint(doc: Document, path: tuple) -> str:
    """Explain a value that YAML read as something else than the text the clerk typed."""
    spot = doc.values.get(path)
    if spot is None or not spot.plain or spot.raw is None:
        return ""
    value = _value_at(doc.data, path)
    if isinstance(value, bool):
        return f"; YAML đọc `{spot.raw}` thành giá trị đúng/sai: nếu là chữ, hãy đặt trong dấu nháy: \"{spot.raw}\""
    if isinstance(value, (int, float)):
        return f"; YAML đọc `{spot.raw}` thành con số: nếu là chữ, hãy đặt trong dấu nháy: \"{spot.raw}\""
    if value is None:
        return "; ô này đang để trống"
    if not isinstance(value, str):
        return f"; YAML đọc `{spot.raw}` thành ngày/giờ: nếu là chữ, hãy đặt trong dấu nháy: \"{spot.raw}\""
    return ""


def _value_at(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _message(error: dict, doc: Document, path: tuple) -> tuple[str, bool]:
    """Plain-words message for one pydantic error, and whether it points at a key."""
    kind = error["type"]
    name = next((p for p in reversed(path) if isinstance(p, str)), "")
    field_name = f"`{name}`" if name else "giá trị"
    value = error.get("input")
    if kind == "kiosk":
        return error["msg"], False
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"])), False
    if kind == "missing":
        return f"thiếu trường bắt buộc {field_name}", False
    if kind == "extra_forbidden":
        guess = difflib.get_close_matches(name, KNOWN_FIELDS, n=1, cutoff=0.6)
        hint = f"; có phải ý bạn là `{guess[0]}`?" if guess else ""
        return f"trường {field_name} không có trong mẫu bản tin{hint}", True
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        kinds = ", ".join(model.SLIDE_TYPES)
        if kind == "union_tag_not_found":
            return f"trang chiếu thiếu `type`; hãy ghi một trong: {kinds}", False
        tag = _shown(error.get("ctx", {}).get("tag", value))
        guess = difflib.get_close_matches(tag, model.SLIDE_TYPES, n=1, cutoff=0.5)
        hint = f"; có phải ý bạn là `{guess[0]}`?" if guess else ""
        return f"loại trang `{tag}` không có; hãy ghi một trong: {kinds}{hint}", False
    if kind == "string_type":
        return f"{field_name} cần là chữ{_yaml_hint(doc, path)}", False
    if kind == "too_short" and error.get("ctx", {}).get("min_length", 1) > 1:
        ctx = error["ctx"]
        return f"{field_name} cần ít nhất {ctx['min_length']} mục (đang có {ctx.get('actual_length', 0)})", False
    if kind in ("string_too_short", "too_short"):
        return f"{field_name} không được để trống", False
    if kind == "too_long":
        ctx = error.get("ctx", {})
        return f"{field_name} nhiều nhất {ctx.get('max_length')} mục (đang có {ctx.get('actual_length')})", False
    if kind == "string_pattern_mismatch":
        if name == "id":
            return f"`id` chỉ gồm chữ thường không dấu, số và gạch nối, ví dụ: nghi-quyet-01 (đang là `{_shown(value)}`)", False
        if name == "background":
            return f"màu `{_shown(value)}` cần viết dạng \"#0B3D2E\" (trong dấu nháy)", False
    if kind.startswith("int_") or kind.startswith("float_"):
        unit = " (số giây)" if name in ("duration", "max_seconds") else ""
        return f"{field_name} cần là một con số{unit} (đang là `{_shown(value)}`){_yaml_hint(doc, path)}", False
    if kind.startswith("bool_"):
        return f"{field_name} chỉ nhận true hoặc false (đang là `{_shown(value)}`)", False
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"`{_shown(value)}` không phải ngày có thật; {model.MOMENT_FORMS}", False
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        expected = expected.replace("'", "").replace(" or ", ", ")
        return f"{field_name} không nhận `{_shown(value)}`; chỉ được: {expected}", False
    if kind in ("list_type",):
        return f"{field_name} cần là một danh sách: mỗi mục một dòng bắt đầu bằng `- `{_yaml_hint(doc, path)}", False
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{field_name} cần là một nhóm trường dạng `tên: giá trị`{_yaml_hint(doc, path)}", False
    if kind in ("greater_than", "greater_than_equal", "less_than_equal", "less_than"):
        limit = next(iter(error.get("ctx", {}).values()), "")
        words = {"greater_than": "lớn hơn", "greater_than_equal": "ít nhất là",
                 "less_than_equal": "nhiều nhất là", "less_than": "nhỏ hơn"}[kind]
        return f"{field_name} cần {words} {limit} (đang là `{_shown(value)}`)", False
    if kind == "string_too_long":
        return f"{field_name} quá dài", False
    return f"{field_name}: giá trị không hợp lệ ({error['msg']})", False


def _schema_problems(error: ValidationError, doc: Document) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        path = _data_path(doc.data, item["loc"])
        if item["type"] == "union_tag_invalid" and path + ("type",) in doc.values:
            path += ("type",)  # point at the misspelt type, not at the start of the slide
        message, at_key = _message(item, doc, path)
        problems.append(doc.problem(path, message, key=at_key))
    return problems


def validate_as(model_class: type[BaseModel], doc: Document):
    """The document as an instance of model_class, or None and the problems in plain words."""
    try:
        return model_class.model_validate(doc.data), []
    except ValidationError as error:
        return None, sorted(_schema_problems(error, doc))


def _walk(data: Any):
    """Every value in the data with its path, parents first, in the order of the file (a stack, not
    nested generators: a feed of 10,000 delegates has some 60,000 values)."""
    stack = [((), data)]
    while stack:
        path, node = stack.pop()
        yield path, node
        if isinstance(node, dict):
            stack.extend((path + (key,), value) for key, value in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((path + (i,), node[i]) for i in reversed(range(len(node))))


def _fields_named(doc: Document, names) -> list[tuple[tuple, dict]]:
    """(path of the field, the group it is in) for each field with one of these names, found from
    the positions written down while reading: no second walk over every value of a large feed."""
    found = []
    for path in doc.keys:
        if path[-1] in names:
            group = doc.data
            for step in path[:-1]:
                group = group[step]
            found.append((path, group))
    return found


def _media_type(node: dict) -> str | None:
    """A slide's type when it is a word (the schema reports anything else)."""
    kind = node.get("type")
    return kind if isinstance(kind, str) else None


def media_fields(doc: Document) -> list[tuple[tuple, dict, set[str]]]:
    """(path, the group it is in, the suffixes allowed) of every field that names a media file:
    the media keys, and a slide's `file` by its type. What publish copies and renames."""
    found = []
    for path, node in _fields_named(doc, MEDIA_KEYS.keys() | {"file"}):
        suffixes = MEDIA_KEYS.get(path[-1]) or MEDIA_KEYS_BY_TYPE.get(_media_type(node))
        if suffixes:
            found.append((path, node, suffixes))
    return found


def _media_problems(doc: Document, folder: Path) -> list[Problem]:
    problems = []
    root = folder.resolve()
    for path, node, suffixes in media_fields(doc):
        key = path[-1]
        name = node[key]
        if not isinstance(name, str) or not name or name.startswith("/") or ".." in name.split("/"):
            continue  # missing or unsafe names are the schema's to report
        target, refused = media_file(root, name)
        if refused:
            problems.append(doc.problem(path, refused))
        elif target.suffix.lower() not in suffixes:
            allowed = ", ".join(sorted(suffixes))
            problems.append(doc.problem(path, f"tệp `{name}` không đúng loại; cần: {allowed}"))
        else:
            problems += [doc.problem(path, message, warning=warning)
                         for message, warning in _content_problems(target, name)]
    return problems


def media_file(root: Path, name: str) -> tuple[Path | None, str | None]:
    """The file a media name stands for, by its resolved path, or why it cannot be published: it
    must be a plain, non-empty file inside the feed folder (root, resolved). A link that leads out
    of the folder would have publish copy, hash and sign whatever it points at: the office's
    private key, a picture of someone else's."""
    candidate = root / name
    try:
        target = candidate.resolve()
    except (RuntimeError, OSError):  # a loop of links (RuntimeError before Python 3.13)
        return None, f"`{name}` là liên kết vòng (chỉ vào chính nó): hãy thay bằng chính tệp ảnh, video"
    except ValueError:  # "\0" or a lone surrogate written as an escape: no file can have that name
        return None, f"tên tệp `{name!r}` có ký tự không dùng được trong tên tệp; hãy gõ lại tên"
    if not target.is_relative_to(root):
        return None, (f"`{name}` là liên kết tới tệp ngoài thư mục bản tin (`{target}`): không xuất bản tệp "
                      f"ngoài thư mục; hãy chép chính tệp đó vào thư mục bản tin")
    try:
        info = target.stat()
    except OSError as error:
        if error.errno == errno.ENAMETOOLONG:
            return None, (f"tên tệp `{name[:60]}…` dài quá ({len(name)} ký tự; một tên thư mục hay tệp tối đa "
                          f"255 byte): hãy đặt tên ngắn hơn")
        if candidate.is_symlink() or target != candidate.absolute():
            return None, f"`{name}` là liên kết hỏng: tệp nó chỉ tới (`{target}`) không có"
        return None, f"không thấy tệp `{name}` trong thư mục bản tin"
    if not stat.S_ISREG(info.st_mode):
        return None, f"`{name}` không phải tệp thường (là thư mục, thiết bị hay ống dẫn): hãy dùng tệp ảnh, video"
    if info.st_size == 0:
        return None, f"tệp `{name}` rỗng (0 byte), thường do chép dở: hãy chép lại tệp"
    if info.st_size > MAX_MEDIA_BYTES:
        return None, f"tệp `{name}` quá lớn ({info.st_size // 1024**2} MB); tối đa {MAX_MEDIA_BYTES // 1024**2} MB"
    return target, None


def _content_problems(target: Path, name: str) -> list[tuple[str, bool]]:
    """(message, is warning) for a media file whose content is not what its name says."""
    suffix = target.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        with target.open("rb") as handle:
            head = handle.read(8)
        if not head.startswith(IMAGE_SIGNATURES[suffix]):
            return [(f"tệp `{name}` không phải ảnh {suffix[1:].upper()} đọc được (tệp hỏng hoặc sai đuôi)", False)]
    if suffix in MATROSKA_DOCTYPES and not _is_matroska(target, MATROSKA_DOCTYPES[suffix]):
        return [(f"tệp `{name}` không phải video {suffix[1:].upper()} đọc được (tệp hỏng hoặc sai đuôi)", False)]
    if suffix in (".mp4", ".m4v"):
        info = media.probe_mp4(target)
        if info is None:
            return [(f"tệp `{name}` không phải video MP4 đọc được (tệp hỏng hoặc sai đuôi)", False)]
        return [(warning, True) for warning in media.video_warnings(info)]
    return []


def _is_matroska(target: Path, doctype: bytes) -> bool:
    """WebM and MKV start with an EBML header that names the document type near its start."""
    with target.open("rb") as handle:
        head = handle.read(64)
    return head.startswith(EBML_MAGIC) and doctype in head


def _range_problems(doc: Document) -> list[Problem]:
    """Numbers and dates that pass the schema but no display can use: a version a display cannot
    store, a date so far that the end of its day is past what Python's dates reach."""
    problems = []
    data = doc.data if isinstance(doc.data, dict) else {}
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > MAX_VERSION:
        problems.append(doc.problem(("version",), f"`version` lớn quá ({len(str(version))} chữ số): màn hình chỉ "
                                                  f"lưu được đến {MAX_VERSION:,}".replace(",", ".")))
    for path, node in _walk(doc.data):
        if isinstance(node, date) and not FIRST_YEAR <= node.year <= LAST_YEAR:
            problems.append(doc.problem(path, f"ngày `{node}` ở ngoài khoảng năm {FIRST_YEAR} đến {LAST_YEAR}: "
                                              f"kiểm tra lại năm"))
    return problems


def _schedule_problems(doc: Document) -> list[Problem]:
    """A slide that ends before it starts; checked on the raw data so other errors do not hide it."""
    problems = []
    slides = doc.data.get("slides") if isinstance(doc.data, dict) else None
    for index, slide in enumerate(slides if isinstance(slides, list) else []):
        if not isinstance(slide, dict) or slide.get("start") is None or slide.get("end") is None:
            continue
        try:
            starts = model.start_moment(model.to_moment(slide["start"]))
            ends = model.end_moment(model.to_moment(slide["end"]))
        except ValueError:
            continue  # the schema reports a date that is not a date
        if ends <= starts:
            problems.append(doc.problem(("slides", index, "end"),
                                        f"ngày kết thúc ({slide['end']}) phải sau ngày bắt đầu ({slide['start']})"))
    return problems


def _link_warnings(doc: Document) -> list[Problem]:
    warnings = []
    for path, group in _fields_named(doc, {"url"}):
        node = group[path[-1]]
        if isinstance(node, str) and len(node) > model.LONG_URL:
            warnings.append(doc.problem(path, (
                f"địa chỉ dài {len(node)} ký tự làm mã QR dày, khó quét; nên dùng địa chỉ rút gọn "
                f"(dưới {model.LONG_URL} ký tự)"), warning=True))
    return warnings


def _duplicate_ids(doc: Document) -> list[Problem]:
    """Two slides with one id; checked on the raw data so other errors do not hide it."""
    problems = []
    seen: dict[str, int] = {}
    slides = doc.data.get("slides") if isinstance(doc.data, dict) else None
    for index, slide in enumerate(slides if isinstance(slides, list) else []):
        slide_id = slide.get("id") if isinstance(slide, dict) else None
        if not isinstance(slide_id, str) or not slide_id.strip():
            continue
        slide_id = slide_id.strip()
        if slide_id in seen:
            problems.append(doc.problem(("slides", index, "id"),
                                        f"`id` `{slide_id}` đã dùng cho trang thứ {seen[slide_id] + 1}; mỗi trang một id riêng"))
        else:
            seen[slide_id] = index
    return problems


# ------------------------------------------------------- areas, meetings and feedback: names that must meet

def _items(doc: Document, section: str, model_class: type[BaseModel]):
    """(index, item) of each entry of a list section that is valid on its own: one broken entry
    (the schema reports it) does not hide what is wrong with the names in the others."""
    entries = doc.data.get(section) if isinstance(doc.data, dict) else None
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        try:
            yield index, model_class.model_validate(entry)
        except ValidationError:
            continue


def _did_you_mean(name: str, known) -> str:
    """"; có phải ý bạn là `...`?" with the closest of the known names, compared without tones."""
    by_key = {model.match_key(candidate): candidate for candidate in known}
    # closer than for field names: "Nguyễn Văn Tèo" and "Giang Văn Toàn" share 0.64 of their letters
    guess = difflib.get_close_matches(model.match_key(name), list(by_key), n=1, cutoff=0.75)
    return f"; có phải ý bạn là `{by_key[guess[0]]}`?" if guess else ""


def _listed(names) -> str:
    names = list(dict.fromkeys(names))
    return ", ".join(f"`{name}`" for name in names[:6]) + (" ..." if len(names) > 6 else "")


@dataclass
class _Written:
    """The names the feed's delegates slides and areas hold, read from the raw data: a list with a
    mistake elsewhere in it (the schema reports that) still counts, so no name is called unknown
    that is there."""

    constituencies: dict[str, list[str]] = field(default_factory=dict)  # body → its slides' constituencies
    delegates: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, doc: Document) -> "_Written":
        written = cls()
        for _, slide in _slides(doc):
            if slide.get("type") != "delegates" or not isinstance(slide.get("body"), str):
                continue
            constituency = slide.get("constituency")
            named = written.constituencies.setdefault(slide["body"], [])
            named += [constituency] if isinstance(constituency, str) and constituency.strip() else []
            people = slide.get("people") if isinstance(slide.get("people"), list) else []
            written.delegates += [p["name"] for p in people if isinstance(p, dict) and isinstance(p.get("name"), str)]
        areas = doc.data.get("areas")
        written.areas = [a["name"] for a in (areas if isinstance(areas, list) else [])
                         if isinstance(a, dict) and isinstance(a.get("name"), str)]
        return written


def _constituency_problem(doc: Document, path: tuple, body: str, name: str, written: _Written) -> Problem | None:
    """A constituency named for a body that no delegates slide of that body stands for."""
    known = written.constituencies.get(body)
    if known is None:
        return doc.problem(path, f"chưa có trang đại biểu nào của {model.BODIES[body]} (`type: delegates`, "
                                 f"`body: {body}`) nên không có đơn vị bầu cử `{name}`")
    if model.match_key(name) in {model.match_key(c) for c in known}:
        return None
    hint = _did_you_mean(name, known) or (f"; các đơn vị bầu cử có trong danh sách: {_listed(known)}" if known else "")
    return doc.problem(path, f"không có danh sách {model.BODIES[body]} nào của `{name}` (ghi ở `constituency` "
                             f"của trang đại biểu){hint}")


def _area_problems(doc: Document, areas, lists, written: _Written) -> list[Problem]:
    problems = []
    first: dict[str, int] = {}
    for index, area in areas:
        key = model.match_key(area.name)
        if key in first:
            where = doc.spot(("areas", first[key], "name")).line
            problems.append(doc.problem(("areas", index, "name"), (
                f"tổ dân phố `{area.name}` đã có ở dòng {where}; mỗi tổ dân phố ghi một lần")))
        else:
            first[key] = index
        for body in model.BODIES:
            named = area.constituencies.of(body)
            if named:
                problem = _constituency_problem(doc, ("areas", index, "constituencies", body), body, named, written)
                problems += [problem] if problem else []
                continue
            of_body = [slide for slide in lists if slide.body == body]
            if of_body and not model.area_lists(area, body, lists):
                problems.append(doc.problem(("areas", index, "name"), (
                    f"tổ dân phố `{area.name}` chưa ghi đơn vị bầu cử {model.BODIES[body]} mà phường có nhiều "
                    f"đơn vị ({_listed(s.constituency for s in of_body)}): bà con ở tổ này sẽ không thấy đại biểu "
                    f"cấp này; hãy ghi `constituencies:` → `{body}:`"), warning=True))
    return problems


def _reach_warnings(doc: Document, areas, lists, slide_index) -> list[Problem]:
    """A delegates list that no area leads to: no resident finds it under "Đại biểu của bạn"."""
    if not areas:
        return []
    reached = {id(slide) for _, area in areas for body in model.BODIES for slide in model.area_lists(area, body, lists)}
    warnings = []
    for slide in lists:
        if id(slide) in reached:
            continue
        index = slide_index[id(slide)]
        what = f"`{slide.constituency}`" if slide.constituency else "danh sách này"
        path = ("slides", index, "constituency") if slide.constituency else ("slides", index, "body")
        warnings.append(doc.problem(path, (
            f"không tổ dân phố nào trong `areas` thuộc {what} ({model.BODIES[slide.body]}): ở trang “Đại biểu "
            "của bạn” không ai tìm thấy các đại biểu này; hãy ghi đơn vị bầu cử này cho các tổ dân phố của nó"),
            warning=True))
    return warnings


def _meeting_problems(doc: Document, meetings, written: _Written) -> list[Problem]:
    problems = []
    delegates, area_names = written.delegates, written.areas
    delegate_keys = {model.match_key(name) for name in delegates}
    area_keys = {model.match_key(name) for name in area_names}
    for index, meeting in meetings:
        at = ("meetings", index)
        if meeting.end <= meeting.start:
            problems.append(doc.problem(at + ("end",), (
                f"giờ kết thúc ({meeting.end:%H:%M}) phải sau giờ bắt đầu ({meeting.start:%H:%M}); buổi "
                "kéo qua nửa đêm thì tách thành hai buổi")))
        for number, name in enumerate(meeting.delegates):
            if model.match_key(name) not in delegate_keys:
                hint = _did_you_mean(name, delegates) or ("" if delegates else "; bản tin chưa có trang đại biểu nào")
                problems.append(doc.problem(at + ("delegates", number), (
                    f"không có `{name}` trong các danh sách đại biểu (họ tên ghi đúng như trong danh sách){hint}")))
        for number, name in enumerate(meeting.areas):
            if model.match_key(name) not in area_keys:
                hint = (_did_you_mean(name, area_names) if area_names
                        else "; bản tin chưa có mục `areas` ghi các tổ dân phố")
                problems.append(doc.problem(at + ("areas", number), (
                    f"không có tổ dân phố `{name}` trong mục `areas`{hint}")))
        for body in model.BODIES:
            as_list = isinstance(doc.data["meetings"][index].get("constituencies", {}).get(body), list)
            for number, name in enumerate(meeting.constituencies.of(body)):
                path = at + ("constituencies", body) + ((number,) if as_list else ())
                problem = _constituency_problem(doc, path, body, name, written)
                problems += [problem] if problem else []
    return problems


def _feedback_problems(doc: Document) -> list[Problem]:
    """A choice offered twice on the "Góp ý" page: residents could not tell which to tap."""
    section = doc.data.get("feedback") if isinstance(doc.data, dict) else None
    try:
        feedback = model.Feedback.model_validate(section) if isinstance(section, dict) else None
    except ValidationError:
        return []  # the schema reports it
    if feedback is None:
        return []
    problems = []
    for field_path, choices in ((("rating", "faces"), feedback.rating.faces),
                                (("more_about", "options"), feedback.more_about.options or [])):
        first: dict[str, int] = {}
        for number, choice in enumerate(choices):
            key = model.match_key(choice)
            if key in first:
                problems.append(doc.problem(("feedback", *field_path, number), (
                    f"`{choice}` trùng với lựa chọn thứ {first[key] + 1}; mỗi lựa chọn ghi một lần")))
            else:
                first[key] = number
    return problems


def _residents_problems(doc: Document) -> list[Problem]:
    """Areas, meetings and feedback checked against the delegates slides: every name must meet."""
    areas = list(_items(doc, "areas", model.Area))
    meetings = list(_items(doc, "meetings", model.Meeting))
    if not areas and not meetings:  # nothing names a list: no second reading of 10,000 delegates
        return _feedback_problems(doc)
    slides = [(index, slide) for index, slide in _slides(doc) if slide.get("type") == "delegates"]
    lists, slide_index = [], {}
    for index, raw in slides:
        try:
            slide = model.DelegatesSlide.model_validate(raw)
        except ValidationError:
            continue
        lists.append(slide)
        slide_index[id(slide)] = index
    written = _Written.of(doc)
    return (_area_problems(doc, areas, lists, written) + _reach_warnings(doc, areas, lists, slide_index)
            + _meeting_problems(doc, meetings, written) + _feedback_problems(doc))


# ------------------------------------------------------- text and pictures that will not look right

# Values that are never drawn as text: names of files, addresses, codes.
_NOT_DRAWN = {"id", "type", "url", "file", "logo", "photo", "picture", "background", "order"}
MAX_UNDRAWABLE_SAID = 5  # characters named in one warning
# Word turns straight quotes into these as they are typed; YAML does not read them as quotes.
_CURLY_PAIRS = {"\u201c": "\u201d", "\u201d": "\u201d", "\u201e": "\u201c", "\u2018": "\u2019",
                "\u2019": "\u2019", "\u00ab": "\u00bb"}
MAX_LIST_MINUTES = 5  # one slide longer than this keeps every other notice off the screen


def _texts(doc: Document):
    """(path, value) for every text value that a screen draws."""
    for path, node in _walk(doc.data):
        if isinstance(node, str) and path:
            name = path[-1] if isinstance(path[-1], str) or len(path) < 2 else path[-2]  # a list's items: its key
            if name not in _NOT_DRAWN:
                yield path, node


def _undrawable_warnings(doc: Document, texts: list[tuple[tuple, str]]) -> list[Problem]:
    """Characters the bundled font has no glyph for: emoji, Chinese, Korean... drawn as empty boxes."""
    warnings = []
    for path, text in texts:
        missing = textfit.undrawable(text)
        if not missing:
            continue
        named = ", ".join(f"`{ch}` (U+{ord(ch):04X})" for ch in missing[:MAX_UNDRAWABLE_SAID])
        more = f" và {len(missing) - MAX_UNDRAWABLE_SAID} ký tự khác" if len(missing) > MAX_UNDRAWABLE_SAID else ""
        what = "ký tự" if len(missing) == 1 else "các ký tự"
        spot = doc.inside(path, missing[0], text)
        warnings.append(Problem(doc.path, spot.line, spot.column, (
            f"{what} {named}{more} không có trong phông chữ của màn hình nên sẽ hiện thành ô trống; "
            "hãy xóa hoặc viết bằng chữ"), warning=True))
    return warnings


def _curly_quote_warnings(doc: Document, texts: list[tuple[tuple, str]]) -> list[Problem]:
    """A value typed without quotes but wrapped in Word's curly ones: YAML keeps them as text."""
    warnings = []
    for path, text in texts:
        if (len(text) < 3 or _CURLY_PAIRS.get(text[0]) != text[-1] or not doc.spot(path).plain
                or text[0] in text[1:-1] or text[-1] in text[1:-1]):  # “Dân biết” và “dân làm”: two quotes
            continue
        typed = "- " if isinstance(path[-1], int) else f"{path[-1]}: "  # a list item, or a field
        inner = text[1:-1].strip()
        shown = inner if len(inner) <= 50 else inner[:50].rsplit(" ", 1)[0] + "…"
        warnings.append(doc.problem(path, (
            f"cả giá trị nằm trong dấu nháy cong {text[0]}…{text[-1]} (Word tự đổi dấu nháy thẳng thành "
            "dấu nháy cong): YAML không coi đó là dấu nháy nên màn hình hiện cả hai dấu; nếu chỉ cần chữ, "
            f"hãy viết `{typed}{shown}`; nếu muốn hiện dấu nháy, hãy đặt cả giá trị trong dấu nháy đơn "
            f"thẳng: `{typed}'{text[0]}{shown}{text[-1]}'`"),
            warning=True))
    return warnings


def _slides(doc: Document):
    """(index, slide) of each slide written as a group of fields."""
    slides = doc.data.get("slides") if isinstance(doc.data, dict) else None
    for index, slide in enumerate(slides if isinstance(slides, list) else []):
        if isinstance(slide, dict):
            yield index, slide


def _title_warnings(doc: Document) -> list[Problem]:
    """A title that, even at the smallest title size, takes more than its share of a page."""
    warnings = []
    for index, slide in _slides(doc):
        kind, title = _media_type(slide), slide.get("title")
        if kind not in ("resolution", "text", "delegates", "leaders") or not isinstance(title, str):
            continue
        title = " ".join(title.split())
        beside = bool(slide.get("link") if kind == "resolution" else slide.get("picture"))
        fit = textfit.title_fit(title, kind, beside)
        if fit.lines <= fit.room_lines:
            continue
        width, height = fit.screen
        about = len(title) * fit.room_lines // fit.lines // 10 * 10
        warnings.append(doc.problem(("slides", index, "title"), (
            f"tiêu đề dài {len(title)} ký tự: trên màn hình {width}x{height}, kể cả ở cỡ chữ nhỏ nhất của "
            f"tiêu đề ({fit.size} px) nó chiếm {fit.lines} dòng, quá nửa trang ({fit.room_lines} dòng), nên "
            f"trang đầu gần như chỉ có tiêu đề; hãy rút gọn còn khoảng {about} ký tự và đưa phần còn lại "
            "vào nội dung"), warning=True))
    return warnings


def _people_warnings(doc: Document) -> list[Problem]:
    """A person listed twice in one list, and a list that keeps the screen for many minutes."""
    warnings = []
    for index, slide in _slides(doc):
        kind, people = _media_type(slide), slide.get("people")
        if kind not in ("delegates", "leaders") or not isinstance(people, list):
            continue
        named = [(i, p["name"], p.get("position")) for i, p in enumerate(people)
                 if isinstance(p, dict) and isinstance(p.get("name"), str) and p["name"].strip()]
        first: dict[str, int] = {}
        for i, name, _ in named:
            key = " ".join(fold(name).split())
            if key in first:
                where = doc.spot(("slides", index, "people", first[key], "name")).line
                warnings.append(doc.problem(("slides", index, "people", i, "name"), (
                    f"`{name.strip()}` đã có trong danh sách này ở dòng {where}: một người ghi hai lần? "
                    "hãy xóa một"), warning=True))
            else:
                first[key] = i
        warnings += _long_list(doc, index, slide, named)
    return warnings


def _long_list(doc: Document, index: int, slide: dict, named: list) -> list[Problem]:
    """A list whose pages, on the screen that holds the most people a page, last many minutes."""
    duration = slide.get("duration")
    if not isinstance(duration, int) or isinstance(duration, bool) or duration <= 0:
        duration = model.SLIDE_TYPES[slide["type"]].seconds
    if len(named) * duration <= MAX_LIST_MINUTES * 60:
        return []  # even one person a page would be short enough
    longest = textfit.em_width((name for _, name, _ in named), bold=True)
    widest = textfit.em_width(position for _, _, position in named if isinstance(position, str))
    name_size = "heading" if slide["type"] == "leaders" else "body"
    # the screen where most people fit on a page: the warning holds on every other one
    per_page, screen = max((textfit.people_per_page(longest, widest, screen, name_size), screen)
                           for screen in (textfit.SCREEN_SIZES[0], textfit.NARROWEST_SCREEN))
    pages = math.ceil(len(named) / per_page)
    minutes = pages * duration / 60
    if minutes <= MAX_LIST_MINUTES:
        return []
    return [doc.problem(("slides", index, "people"), (
        f"danh sách {len(named)} người chiếm {pages} trang (màn hình {screen[0]}x{screen[1]}, {per_page} người "
        f"một trang), {duration} giây mỗi trang: khoảng {round(minutes)} phút cho một trang chiếu, trong "
        "lúc đó không tin nào khác hiện lên; hãy tách thành vài trang chiếu (ví dụ theo đơn vị bầu cử) và "
        "xếp xen giữa các tin khác"), key=True, warning=True)]


def _image_size_warnings(doc: Document, folder: Path) -> list[Problem]:
    """A photo with far more pixels than any screen shows (publishing downscales it)."""
    warnings = []
    root = folder.resolve()
    for path, node, kinds in media_fields(doc):
        name = node[path[-1]]
        if kinds is not IMAGE_SUFFIXES or not isinstance(name, str) or not name:
            continue
        target, refused = media_file(root, name)
        if refused or target.suffix.lower() not in IMAGE_SUFFIXES:
            continue  # the media checks report it
        size = media.image_size(target)
        warnings += [doc.problem(path, message, warning=True) for message in media.image_warnings(size or (0, 0))]
    return warnings


def _look_warnings(doc: Document, folder: Path) -> list[Problem]:
    """What is valid but will not look right on a screen."""
    texts = list(_texts(doc))
    return (doc.cleaned + _undrawable_warnings(doc, texts) + _curly_quote_warnings(doc, texts)
            + _title_warnings(doc) + _people_warnings(doc) + _image_size_warnings(doc, folder))


def check_document(doc: Document, folder: Path, problems: list[Problem] = ()) -> LoadResult:
    """Check parsed feed data against the model and the media folder."""
    problems = (list(problems) + _media_problems(doc, folder) + _range_problems(doc) + _schedule_problems(doc)
                + _duplicate_ids(doc) + _residents_problems(doc) + _link_warnings(doc) + _look_warnings(doc, folder))
    if not isinstance(doc.data, dict):
        problems.append(doc.problem((), "tệp bản tin trống hoặc không phải một nhóm trường `tên: giá trị`"))
        return LoadResult(None, sorted(problems), doc)
    feed, schema_problems = validate_as(Feed, doc)
    if feed is None:
        return LoadResult(None, sorted(problems + schema_problems), doc)
    return LoadResult(feed if not any(not p.warning for p in problems) else None, sorted(problems), doc)


def load_feed(folder: Path | str, display_name: str | None = None, keep_document: bool = False) -> LoadResult:
    """Load FOLDER/feed.yaml (or a feed.yaml path). Problems name the file as the user typed it.
    keep_document: the result keeps the data as read, with where each value stands (publish
    rewrites it); else that goes before Python's cycle collector resumes, so that its next young
    pass walks only the feed (some 25,000 objects for 10,000 delegates, not 250,000: a display's
    window waits for that pass, whichever thread loaded the feed)."""
    folder = Path(folder)
    feed_path = folder if folder.is_file() else folder / FEED_FILE
    shown = display_name or str(feed_path)
    if not feed_path.exists():
        return LoadResult(None, [Problem(shown, 1, 1, f"không thấy tệp bản tin `{feed_path}`")])
    try:
        raw = read_regular_file(feed_path, MAX_YAML_BYTES)
    except UnreadableFile as problem:
        return LoadResult(None, [Problem(shown, 1, 1, str(problem))])
    with cycle_collector_paused():
        doc, problems = load_yaml(raw, shown)
        if doc is None:
            return LoadResult(None, problems)
        result = check_document(doc, feed_path.parent, problems)
        if not keep_document:
            result.document = doc = None
    return result
