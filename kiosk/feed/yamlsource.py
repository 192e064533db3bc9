"""Read a staff-written YAML file safely, remembering where every value stands.

PyYAML's safe loader reads the file and types the scalars, but the data is built here from the
parser's events: a document with anchors or aliases is refused, an alias never followed (no defence
against a "billion laughs" file otherwise), and duplicate keys are errors instead of the last one
silently winning. All text comes out as Unicode NFC, without the invisible characters pasted from
web pages and Word, and with a space for each tab; each such change is noted where it was made."""

from __future__ import annotations

import bisect
import errno
import gc
import os
import re
import stat
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml

from kiosk.feed.problems import Problem
from kiosk.vietnamese import nfc
from kiosk.words import os_error_text

FEED_FILE = "feed.yaml"  # the feed in its folder, beside its media (and, published, in the manifest)
MAX_YAML_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 50
# Brackets open at once, counted before parsing, quotes or not: PyYAML's pure-Python parser (the
# fallback when libyaml stops, past 1,000 levels) takes time quadratic in this depth (20,000 `[` took
# 54 s); a feed needs three or four, and even 200 unclosed `[` in quoted text parse in milliseconds.
MAX_FLOW_DEPTH = 200
MAX_NUMBER_CHARS = 30  # a phone or ID number is 15 digits; anything longer is text, or a mistake
_BRACKET = re.compile(r"[\[\]{}]")
# libyaml, PyYAML's C parser, reads a large feed about ten times as fast as the pure-Python one (see
# bench/validation.py); a file it cannot read is read again by the pure-Python parser, whose words
# for syntax errors _SYNTAX_HINTS explains.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UnreadableFile(ValueError):
    """A file staff named that is not a plain file, too large, or cannot be read; words for staff."""


def read_regular_file(path, limit: int) -> bytes:
    """The bytes of a plain file of at most limit bytes. A FIFO, a device, a folder or a /proc
    file is refused without waiting on it (opened non-blocking, checked before any read), and
    never more than limit + 1 bytes are read whatever the file says its size is."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        if error.errno == errno.ENOENT:
            raise UnreadableFile(f"không thấy tệp `{path}`") from None
        raise UnreadableFile(f"không đọc được tệp `{path}` ({os_error_text(error)})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(f"`{path}` không phải tệp thường (thư mục, thiết bị hay ống dẫn): không đọc")
        if info.st_size > limit:
            raise UnreadableFile(f"tệp quá lớn (`{path}`); tối đa {limit // 1024} KB")
        chunks, left = [], limit + 1
        while left > 0 and (chunk := os.read(fd, min(left, 1024 * 1024))):
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as error:
        raise UnreadableFile(f"không đọc được tệp `{path}` ({os_error_text(error)})") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise UnreadableFile(f"tệp quá lớn (`{path}`); tối đa {limit // 1024} KB")
    return data


class Spot(NamedTuple):
    """Where a value stands in the file (1-based), and how it was written there."""

    line: int
    column: int
    raw: str | None = None  # the scalar as typed, when the value is a scalar
    plain: bool = False  # typed without quotes, so YAML guessed its type


@dataclass
class Document:
    """The parsed data and, for each path of keys and indexes, where it stands."""

    path: str
    data: Any
    values: dict[tuple, Spot] = field(default_factory=dict)
    keys: dict[tuple, Spot] = field(default_factory=dict)
    cleaned: list[Problem] = field(default_factory=list)  # warnings: what was changed in a text on load
    source: str = field(default="", repr=False)  # the text of the file, to point inside a value
    _starts: list[int] | None = field(default=None, init=False, repr=False)  # where each line starts

    def spot(self, loc: tuple, *, key: bool = False) -> Spot:
        """The nearest known place for a path: the key itself, the value, or its closest parent."""
        loc = tuple(loc)
        while True:
            if key and loc in self.keys:
                return self.keys[loc]
            if loc in self.values:
                return self.values[loc]
            if not loc:
                return Spot(1, 1)
            loc = loc[:-1]

    def inside(self, loc: tuple, needle: str, value: str) -> Spot:
        """Where needle first stands in the value at loc, as typed; the value's place when it is not
        found near it (typed as an escape)."""
        spot = self.spot(loc)
        starts = self._line_starts()
        if spot.line > len(starts):
            return spot
        start = starts[spot.line - 1] + spot.column - 1
        found = self.source.find(needle, start, start + 4 * len(value) + 16)  # room for indents and quotes
        if found < 0:
            return spot
        line = bisect.bisect_right(starts, found)
        return Spot(line, found - starts[line - 1] + 1)

    def _line_starts(self) -> list[int]:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.source)]
        return self._starts

    def problem(self, loc: tuple, message: str, *, key: bool = False, warning: bool = False) -> Problem:
        spot = self.spot(loc, key=key)
        return Problem(self.path, spot.line, spot.column, message, warning=warning)


_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")


_new_tuple = tuple.__new__  # makes a Spot without a call into Python: a large feed has 100,000 of them


def _spot(event: yaml.Event) -> Spot:
    mark = event.start_mark
    if isinstance(event, yaml.ScalarEvent):  # a plain scalar's style: None (Python parser) or "" (libyaml)
        return _new_tuple(Spot, (mark.line + 1, mark.column + 1, event.value, not event.style))
    return _new_tuple(Spot, (mark.line + 1, mark.column + 1, None, False))


class _TooDeep(Exception):
    """The document nests past MAX_DEPTH: refused where it does, the rest left unread."""


class _Builder:
    """Builds the data from the parser's events in one pass, writing down where each value stands.

    Anchors and aliases are refused where they stand and an alias is never followed, so a "billion
    laughs" file costs no more than its length; a document that has any is not used."""

    def __init__(self, loader, doc: Document, problems: list[Problem]):
        self.loader = loader
        self.doc = doc
        self.problems = problems
        self.refused: list[Problem] = []

    def document(self) -> None:
        next_event = self.loader.get_event
        next_event()  # stream start
        if self.loader.check_event(yaml.StreamEndEvent):
            return  # nothing but comments
        next_event()  # document start
        first = next_event()
        self.doc.data = self.build(first, ())
        next_event()  # document end
        if not self.loader.check_event(yaml.StreamEndEvent):
            raise yaml.composer.ComposerError("expected a single document in the stream", first.start_mark,
                                              "but found another document", next_event().start_mark)

    def build(self, event, loc: tuple) -> Any:
        """The value that starts with this event (a scalar, list or group), read to its end."""
        self.doc.values[loc] = _spot(event)
        if len(loc) > MAX_DEPTH:  # a feed is a few levels deep; thousands would exhaust Python's stack
            mark = event.start_mark
            self.refused.append(Problem(self.doc.path, mark.line + 1, mark.column + 1,
                                        f"lồng nhau quá sâu (quá {MAX_DEPTH} tầng): kiểm tra lại dấu ngoặc và thụt lề"))
            raise _TooDeep()  # not read on: the rest of `- - - ...` costs libyaml, then PyYAML, minutes
        if event.anchor is not None and not self._allowed(event):
            return None
        if isinstance(event, yaml.ScalarEvent):
            return self._scalar(event)
        next_event = self.loader.get_event
        if isinstance(event, yaml.SequenceStartEvent):
            items = []
            while not isinstance(item := next_event(), yaml.SequenceEndEvent):
                items.append(self.build(item, loc + (len(items),)))
            return items
        result: dict[str, Any] = {}
        while not isinstance(key_event := next_event(), yaml.MappingEndEvent):
            if not isinstance(key_event, yaml.ScalarEvent):
                self.problems.append(self.doc.problem(loc, "tên trường phải là một chữ, không phải danh sách hay nhóm"))
                self._skip(key_event)
                self._skip(next_event())  # its value
                continue
            if key_event.anchor is not None:
                self._allowed(key_event)
            key = nfc(key_event.value)
            key_spot = _spot(key_event)
            if key in result:
                first = self.doc.keys[loc + (key,)]
                self.problems.append(
                    Problem(self.doc.path, key_spot.line, key_spot.column,
                            f"trường `{key}` bị lặp lại (đã có ở dòng {first.line}); hãy giữ một và xóa cái kia")
                )
                self._skip(next_event())
                continue
            self.doc.keys[loc + (key,)] = key_spot
            result[key] = self.build(next_event(), loc + (key,))
        return result

    def _skip(self, event) -> None:
        """Pass over the value that starts with this event, still refusing anchors in it."""
        depth = 0
        while True:
            self._allowed(event)
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
            if depth == 0:
                return
            event = self.loader.get_event()

    def _allowed(self, event) -> bool:
        """False for an alias; an anchor is refused too, but what it names is still read."""
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            self.refused.append(Problem(self.doc.path, mark.line + 1, mark.column + 1,
                                        f"không dùng tham chiếu `*{event.anchor}`: hãy viết đầy đủ nội dung ở đây"))
            return False
        if getattr(event, "anchor", None):
            self.refused.append(Problem(self.doc.path, mark.line + 1, mark.column + 1,
                                        f"không dùng neo `&{event.anchor}`: hãy viết đầy đủ nội dung ở từng chỗ"))
        return True

    def _scalar(self, event: yaml.ScalarEvent) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _STR_TAG:  # most values: no constructor needed
            return self._cleaned(nfc(event.value), event)
        value = event.value
        if tag in (_INT_TAG, _FLOAT_TAG) and len(value) > MAX_NUMBER_CHARS:  # Python refuses 4,300+ digits
            mark = event.start_mark
            self.refused.append(Problem(self.doc.path, mark.line + 1, mark.column + 1,
                                        f"con số dài quá ({len(value)} chữ số): nếu là chữ, hãy đặt trong dấu nháy"))
            return None
        # Plain decimals (votes, percentages) without PyYAML's constructor: a third of a large feed's
        # scalars. A leading zero is left to it (YAML 1.1 reads 010 as octal).
        if tag == _INT_TAG and value.isascii() and value.isdigit() and (value[0] != "0" or value == "0"):
            return int(value)
        if tag == _FLOAT_TAG and _PLAIN_DECIMAL.fullmatch(value):
            return float(value)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError):
            # e.g. 2026-02-30 looks like a date but is none; the schema then says what is expected
            value = event.value
        return self._cleaned(nfc(value), event) if isinstance(value, str) else value

    def _cleaned(self, value: str, event: yaml.ScalarEvent) -> str:
        """The text without invisible characters and with a space for each tab, each change noted
        where its first character stands."""
        if not _INVISIBLE_OR_TAB.search(value):
            return value
        kinds = dict.fromkeys(_INVISIBLE_OR_TAB.findall(value))
        if "\t" in kinds:
            self._note(event, ["\t"], "có ký tự Tab trong chữ (thường do chép từ Excel hay Word): màn hình hiện "
                       "nó thành một dấu cách; nếu là hai cột, hãy viết lại thành câu hoặc mỗi ý một dòng")
        invisible = [ch for ch in kinds if ch != "\t"]
        if invisible:
            names = ", ".join(f"U+{ord(ch):04X} ({INVISIBLE[ch]})" for ch in invisible)
            done = ("đã thay bằng dấu cách để hai chữ không dính liền" if _GLUING_SPACE.search(value)
                    else "đã bỏ đi")
            self._note(event, invisible, f"có ký tự vô hình {names} trong chữ, thường do chép từ trang web, "
                       f"Word hay Zalo: {done}; hãy xóa nó trong tệp")
        value = _GLUING_SPACE.sub(" ", value).replace("\t", " ")
        return _INVISIBLE.sub("", value)

    def _note(self, event: yaml.ScalarEvent, characters: list[str], message: str) -> None:
        """A warning at the first of these characters in the scalar as typed (at the scalar's start
        when it was typed as an escape such as "\\t")."""
        typed = self.doc.source[event.start_mark.index:event.end_mark.index]
        offset = min((i for i in map(typed.find, characters) if i >= 0), default=0)
        line, column = event.start_mark.line + 1, event.start_mark.column + 1
        before = typed.rfind("\n", 0, offset)
        if before >= 0:
            line, column = line + typed.count("\n", 0, offset), offset - before
        else:
            column += offset
        self.doc.cleaned.append(Problem(self.doc.path, line, column, message, warning=True))


# Characters that draw nothing but change how a text breaks, joins or runs, with their names.
INVISIBLE = {
    "\u200b": "khoảng trắng rộng 0",
    "\u200c": "ký tự ngăn nối",
    "\u200d": "ký tự nối",
    "\u2060": "ký tự giữ liền",
    "\u00ad": "gạch nối mềm",
    "\ufeff": "dấu BOM",
    "\ufe0e": "dấu chọn kiểu chữ",  # after a symbol: drawn as text
    "\ufe0f": "dấu chọn kiểu biểu tượng",  # after a symbol: drawn as an emoji (❤️)
    "\u061c": "dấu chiều viết",
    **{chr(code): "dấu chiều viết" for code in (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))},
}
_INVISIBLE = re.compile("[" + "".join(INVISIBLE) + "]")
_INVISIBLE_OR_TAB = re.compile("[\t" + "".join(INVISIBLE) + "]")
# Between two letters a zero-width space is where the writer saw two words: a Vietnamese syllable
# never runs into the next one.
_GLUING_SPACE = re.compile(r"(?<=\w)\u200b+(?=\w)")


_SYNTAX_HINTS = [
    ("'\\t'", "có ký tự Tab: hãy thụt lề bằng dấu cách"),
    ("mapping values are not allowed", "dấu `:` không đúng chỗ: thiếu dấu cách sau `:`, hoặc chữ có dấu `:` cần đặt trong dấu nháy"),
    ("could not find expected ':'", "thiếu dấu `:` sau tên trường"),
    ("expected <block end>", "thụt lề không đều: các trường cùng nhóm phải thẳng hàng"),
    ("found unexpected end of stream", "thiếu dấu nháy đóng"),
    ("while scanning a quoted scalar", "thiếu dấu nháy đóng"),
]


def _syntax_message(error: yaml.MarkedYAMLError) -> str:
    detail = " ".join(filter(None, [error.context, error.problem]))
    for needle, hint in _SYNTAX_HINTS:
        if needle in detail:
            return f"lỗi cú pháp YAML: {hint}"
    return f"lỗi cú pháp YAML ({detail})"


# What YAML does not allow in a file (PyYAML's Reader.NON_PRINTABLE).
_UNPRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")
MAX_UNPRINTABLE_SAID = 20  # lines


def _unprintable(text: str, path: str) -> list[Problem]:
    """Where the file has characters YAML refuses: the first on each line, for the first lines that
    have any (a file of zeros left by a power cut is one line, said once)."""
    problems: list[Problem] = []
    position = 0
    while len(problems) < MAX_UNPRINTABLE_SAID and (found := _UNPRINTABLE.search(text, position)):
        start = found.start()
        problems.append(Problem(path, text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start),
                                f"có ký tự điều khiển không in được (mã U+{ord(found[0]):04X}), thường do chép "
                                "từ tệp khác sang; hãy xóa nó"))
        position = text.find("\n", start) + 1
        if position == 0:
            break
    return problems


# A double-quoted "\ud800" makes half of a UTF-16 pair, which no UTF-8 file (the published
# feed.yaml included) can hold.
_SURROGATE_ESCAPE = re.compile(r"\\(?:u[dD][89a-fA-F][0-9a-fA-F]{2}|U0000[dD][89a-fA-F][0-9a-fA-F]{2})")


def _surrogate_escapes(text: str, path: str) -> list[Problem]:
    found = _SURROGATE_ESCAPE.search(text)
    if not found:
        return []
    start = found.start()
    return [Problem(path, text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start),
                    f"mã `{found[0]}` là nửa ký tự (mã thay thế UTF-16), không viết được vào tệp: hãy gõ thẳng "
                    f"ký tự đó thay cho mã")]


def _too_deep(text: str, path: str) -> list[Problem]:
    """Where brackets first stand more than MAX_FLOW_DEPTH deep, in one pass over the text."""
    if text.count("[") + text.count("{") <= MAX_FLOW_DEPTH:
        return []
    depth = 0
    for found in _BRACKET.finditer(text):
        if found[0] in "[{":
            depth += 1
            if depth > MAX_FLOW_DEPTH:
                start = found.start()
                return [Problem(path, text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start),
                                f"lồng nhau quá sâu (quá {MAX_FLOW_DEPTH} dấu ngoặc `[` hay `{{` chưa đóng): "
                                f"kiểm tra lại dấu ngoặc")]
        elif depth:
            depth -= 1
    return []


def load_yaml(raw: bytes, path: str) -> tuple[Document | None, list[Problem]]:
    """Parse YAML bytes. The document is None when it cannot be read at all; a duplicate key is
    reported and the first one kept, so that the rest of the file is still checked."""
    if len(raw) > MAX_YAML_BYTES:
        return None, [Problem(path, 1, 1, f"tệp quá lớn ({len(raw) // 1024} KB); tối đa {MAX_YAML_BYTES // 1024} KB")]
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw  # error offsets count after the BOM
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        before = body[: error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8")) + 1
        return None, [Problem(path, line, column, "tệp không ở mã UTF-8; hãy lưu lại với bảng mã UTF-8")]
    unprintable = _unprintable(text, path) or _surrogate_escapes(text, path) or _too_deep(text, path)
    if unprintable:  # YAML refuses the file, or it would take too long to read
        return None, unprintable
    try:
        try:
            return _compose(text, path, FAST_LOADER)
        except yaml.MarkedYAMLError:
            return _compose(text, path, yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return None, [Problem(path, line, column, _syntax_message(error))]


_pausing = threading.Lock()
_readers = 0  # threads reading a feed now (the display's sync thread and a worker may overlap)
_resume = False  # the collector was running when the first of them began


@contextmanager
def cycle_collector_paused():
    """Reading and checking a feed makes a great many objects and no reference cycles, so Python's
    cycle collector, which they set off again and again, would only cost time (a quarter of reading
    a feed of 10,000 delegates, bench/validation.py); it runs again once the last thread reading a
    feed is done (not the first: its next pass would walk the half-read feed of the other), over
    what is new and still alive (kiosk.feed.validate.load_feed drops the document before that)."""
    global _readers, _resume
    with _pausing:
        if _readers == 0:
            _resume = gc.isenabled()
            gc.disable()
        _readers += 1
    try:
        yield
    finally:
        with _pausing:
            _readers -= 1
            if _readers == 0 and _resume:
                gc.enable()


def _compose(text: str, path: str, loader_class) -> tuple[Document | None, list[Problem]]:
    doc, problems = Document(path, None, source=text), []
    loader = loader_class(text)
    try:
        builder = _Builder(loader, doc, problems)
        with cycle_collector_paused():
            builder.document()
    except _TooDeep:
        pass  # said in builder.refused
    finally:
        loader.dispose()
    if builder.refused:
        return None, builder.refused
    return doc, problems
