"""Read a staff-written YAML file safely, remembering where every value stands.

PyYAML's safe loader is used for scalars, but the document is refused before it is built when it
uses anchors or aliases (no defence against a "billion laughs" file otherwise), and duplicate keys
are errors instead of the last one silently winning. All text comes out as Unicode NFC."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from kiosk.problems import Problem
from kiosk.vietnamese import nfc

MAX_YAML_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Spot:
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

    def problem(self, loc: tuple, message: str, *, key: bool = False, warning: bool = False) -> Problem:
        spot = self.spot(loc, key=key)
        return Problem(self.path, spot.line, spot.column, message, warning=warning)


def _spot(node: yaml.Node) -> Spot:
    mark = node.start_mark
    if isinstance(node, yaml.ScalarNode):
        return Spot(mark.line + 1, mark.column + 1, node.value, node.style is None)
    return Spot(mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, doc: Document, problems: list[Problem]):
        self.loader = loader
        self.doc = doc
        self.problems = problems

    def build(self, node: yaml.Node, loc: tuple) -> Any:
        self.doc.values[loc] = _spot(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, loc + (i,)) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, loc: tuple) -> dict:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(self.doc.problem(loc, "tên trường phải là một chữ, không phải danh sách hay nhóm"))
                continue
            key = nfc(key_node.value)
            key_spot = _spot(key_node)
            if key in result:
                first = self.doc.keys[loc + (key,)]
                self.problems.append(
                    Problem(self.doc.path, key_spot.line, key_spot.column,
                            f"trường `{key}` bị lặp lại (đã có ở dòng {first.line}); hãy giữ một và xóa cái kia")
                )
                continue
            self.doc.keys[loc + (key,)] = key_spot
            result[key] = self.build(value_node, loc + (key,))
        return result

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError):
            # e.g. 2026-02-30 looks like a date but is none; the schema then says what is expected
            value = node.value
        return nfc(value) if isinstance(value, str) else value


def _refuse_anchors(text: str, path: str) -> list[Problem]:
    problems = []
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            problems.append(Problem(path, mark.line + 1, mark.column + 1,
                                    f"không dùng tham chiếu `*{event.anchor}`: hãy viết đầy đủ nội dung ở đây"))
        elif getattr(event, "anchor", None):
            problems.append(Problem(path, mark.line + 1, mark.column + 1,
                                    f"không dùng neo `&{event.anchor}`: hãy viết đầy đủ nội dung ở từng chỗ"))
    return problems


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
    try:
        problems = _refuse_anchors(text, path)
        if problems:
            return None, problems
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            doc = Document(path, None)
            if node is not None:
                doc.data = _Builder(loader, doc, problems).build(node, ())
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return None, [Problem(path, line, column, _syntax_message(error))]
    return doc, problems
