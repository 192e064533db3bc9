"""The feed's sections for residents (areas, meetings, feedback) and the pure functions the counter and
the loop build on: every validation message at its line and column, areas in natural order, search
without tones, a resident's delegates at all three levels, past meetings dropped, and each meeting
as an iCalendar event that survives a real QR encoder, the zxing decoder and an RFC 5545 parser."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import icalendar
import jsonschema
import pytest
import yaml
import zxingcpp
from hypothesis import example, given, settings, strategies as st
from PIL import Image

from kiosk.feed.model import Feed, Meeting, OTHER_TOPIC
from kiosk.feed.validate import load_feed
from kiosk.play.areas import area_order_key, my_delegates, search_areas, sorted_areas
from kiosk.play.meetings import (ICS_MAX_BYTES, calendar_event, escape_text, fold_line, invites,
                                 meeting_uid, next_change, upcoming_meetings)
from kiosk.play.qr import qr_matrix
from kiosk.vietnamese import fold

REPO = Path(__file__).resolve().parents[1]
HANOI = timezone(timedelta(hours=7))

BASE = """\
format: 1
version: 1
expires: 2027-12-31
ward:
  name: Phường Đống Đa
  website: {label: Trang phường, url: https://dongda.hanoi.gov.vn}
slides:
  - type: delegates
    body: quoc-hoi
    constituency: Đơn vị bầu cử số 1
    people: [{name: Trương Đức Khải}, {name: Hà Thị Mỹ Linh}]
  - type: delegates
    body: hdnd-thanh-pho
    constituency: Đơn vị bầu cử số 3
    people: [{name: Giang Văn Toàn}]
  - type: delegates
    body: hdnd-phuong
    constituency: Đơn vị bầu cử số 1
    people: [{name: Tạ Đình Hải}, {name: Đỗ Thị Lan Anh}]
  - type: delegates
    body: hdnd-phuong
    constituency: Đơn vị bầu cử số 2
    people: [{name: Ngô Quang Đạt}]
faq:
  - topic: Bầu cử năm 2026
    questions:
      - question: Năm 2026 có cuộc bầu cử nào?
        answer: Bầu đại biểu Quốc hội.
areas:
  - name: Tổ dân phố số 10
    streets: [Ngõ 91 Thái Hà]
    constituencies:
      hdnd-phuong: Đơn vị bầu cử số 2
  - name: Tổ dân phố số 2
    streets: [Phố Tây Sơn, Ngõ 3 Tây Sơn]
    constituencies:
      hdnd-phuong: Đơn vị bầu cử số 1
meetings:
  - kind: tiep-xuc-cu-tri
    date: 2026-12-12
    start: "08:00"
    end: "10:30"
    place: Nhà văn hóa tổ dân phố số 2
    delegates: [Tạ Đình Hải]
    areas: [Tổ dân phố số 2]
"""


def load(tmp_path: Path, text: str):
    (tmp_path / "feed.yaml").write_text(text, encoding="utf-8")
    return load_feed(tmp_path, display_name="feed.yaml")


def changed(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, f"{old!r} must stand once in the feed"
    return text.replace(old, new)


def where(text: str, line_part: str, value: str) -> tuple[int, int]:
    """(line, column) of `value` on the only line holding `line_part`."""
    lines = [number for number, line in enumerate(text.splitlines(), 1) if line_part in line]
    assert len(lines) == 1, f"{line_part!r} is on lines {lines}"
    return lines[0], text.splitlines()[lines[0] - 1].index(value) + 1


def test_the_base_feed_is_valid_without_a_word(tmp_path):
    result = load(tmp_path, BASE)
    assert result.problems == [] and result.feed is not None
    assert [area.name for area in result.feed.areas] == ["Tổ dân phố số 10", "Tổ dân phố số 2"]


# (what is changed, into what, the line it is reported on, the value it points at, words the message
# must say in order, whether it is only a warning)
CASES = {
    "area constituency misspelt": (
        "      hdnd-phuong: Đơn vị bầu cử số 2", "      hdnd-phuong: Đơn vị bầu số 2",
        "bầu số 2", "Đơn vị", ["không có danh sách Đại biểu HĐND phường nào của `Đơn vị bầu số 2`",
                                 "có phải ý bạn là `Đơn vị bầu cử số 2`?"], False),
    "area constituency of another body": (
        "      hdnd-phuong: Đơn vị bầu cử số 2", "      hdnd-phuong: Đơn vị bầu cử số 2\n      quoc-hoi: Đơn vị bầu cử số 3",
        "quoc-hoi: Đơn vị bầu cử số 3", "Đơn vị", ["không có danh sách Đại biểu Quốc hội nào của `Đơn vị bầu cử số 3`"],
        False),
    "area twice": (
        "  - name: Tổ dân phố số 10", "  - name: tổ dân phố số 2",
        "name: Tổ dân phố số 2", "Tổ", ["tổ dân phố `Tổ dân phố số 2` đã có ở dòng", "mỗi tổ dân phố ghi một lần"], False),
    "area field misspelt": (
        "    streets: [Ngõ 91 Thái Hà]", "    street: [Ngõ 91 Thái Hà]",
        "street: [Ngõ 91", "street", ["trường `street` không có", "có phải ý bạn là `streets`?"], False),
    "body key misspelt": (
        "      hdnd-phuong: Đơn vị bầu cử số 2", "      hdnd-phuon: Đơn vị bầu cử số 2",
        "hdnd-phuon:", "hdnd", ["trường `hdnd-phuon` không có", "có phải ý bạn là `hdnd-phuong`?"], False),
    "area without constituency where there are several": (
        "    constituencies:\n      hdnd-phuong: Đơn vị bầu cử số 2\n", "",
        "name: Tổ dân phố số 10", "Tổ", ["`Tổ dân phố số 10` chưa ghi đơn vị bầu cử Đại biểu HĐND phường",
                                          "`Đơn vị bầu cử số 1`, `Đơn vị bầu cử số 2`", "`hdnd-phuong:`"], True),
    "delegates nobody reaches": (
        "    constituencies:\n      hdnd-phuong: Đơn vị bầu cử số 2\n", "",
        "constituency: Đơn vị bầu cử số 2", "Đơn vị", ["không tổ dân phố nào trong `areas` thuộc `Đơn vị bầu cử số 2`",
                                                      "không ai tìm thấy"], True),
    "meeting ends before it starts": (
        '    end: "10:30"', '    end: "07:45"',
        'end: "07:45"', '"', ["giờ kết thúc (07:45) phải sau giờ bắt đầu (08:00)"], False),
    "meeting ends when it starts": (
        '    end: "10:30"', '    end: "8h"',
        'end: "8h"', '"', ["giờ kết thúc (08:00) phải sau giờ bắt đầu (08:00)"], False),
    "meeting time unquoted": (
        '    start: "08:00"', "    start: 9:15",
        "start: 9:15", "9", ['giờ cần đặt trong dấu nháy, ví dụ "09:15"'], False),
    "meeting time impossible": (
        '    start: "08:00"', '    start: "24:30"',
        'start: "24:30"', '"', ["không có giờ `24:30`"], False),
    "meeting time not a time": (
        '    start: "08:00"', "    start: sáng",
        "start: sáng", "sáng", ['giờ `sáng` cần viết dạng "08:00"'], False),
    "meeting kind misspelt": (
        "  - kind: tiep-xuc-cu-tri", "  - kind: tiep-xuc",
        "kind: tiep-xuc", "tiep", ["`kind` không nhận `tiep-xuc`", "tiep-xuc-cu-tri, tiep-cong-dan"], False),
    "meeting without a place": (
        "    place: Nhà văn hóa tổ dân phố số 2\n", "",
        "kind: tiep-xuc-cu-tri", "kind", ["thiếu trường bắt buộc `place`"], False),
    "meeting date day first": (
        "    date: 2026-12-12", "    date: 12/12/2026",
        "date: 12/12/2026", "12", ["cần viết năm-tháng-ngày: viết 2026-12-12"], False),
    "unknown delegate": (
        "    delegates: [Tạ Đình Hải]", "    delegates: [Tạ Đình Hà]",
        "delegates: [Tạ", "Tạ", ["không có `Tạ Đình Hà` trong các danh sách đại biểu",
                                 "có phải ý bạn là `Tạ Đình Hải`?"], False),
    "unknown delegate second in the list": (
        "    delegates: [Tạ Đình Hải]", "    delegates: [Tạ Đình Hải, Ngô Quang Dat, Bùi Minh Đức]",
        "delegates: [Tạ", "Bùi", ["không có `Bùi Minh Đức` trong các danh sách đại biểu"], False),
    "a middle name left out": (
        "    delegates: [Tạ Đình Hải]", "    delegates: [Hà Mỹ Linh]",
        "delegates: [Hà", "Hà", ["không có `Hà Mỹ Linh`", "có phải ý bạn là `Hà Thị Mỹ Linh`?"], False),
    "unknown area": (
        "    areas: [Tổ dân phố số 2]", "    areas: [Tổ dân phố số 2, To dan pho so 12]",
        "areas: [Tổ", "To dan", ["không có tổ dân phố `To dan pho so 12` trong mục `areas`",
                                 "có phải ý bạn là `Tổ dân phố số 2`?"], False),
    "unknown constituency invited": (
        "    areas: [Tổ dân phố số 2]", "    constituencies:\n      hdnd-thanh-pho: Đơn vị bầu cử số 4",
        "hdnd-thanh-pho: Đơn vị bầu cử số 4", "Đơn", ["không có danh sách Đại biểu HĐND Thành phố nào của "
                                                    "`Đơn vị bầu cử số 4`", "có phải ý bạn là `Đơn vị bầu cử số 3`?"],
        False),
    "unknown constituency invited in a list": (
        "    areas: [Tổ dân phố số 2]", "    constituencies:\n      hdnd-phuong: [Đơn vị bầu cử số 1, ĐVBC số 9]",
        "hdnd-phuong: [Đơn", "ĐVBC", ["không có danh sách Đại biểu HĐND phường nào của `ĐVBC số 9`",
                                      "các đơn vị bầu cử có trong danh sách: `Đơn vị bầu cử số 1`"], False),
    "too few faces": (
        "meetings:\n", "feedback:\n  rating:\n    faces: [Không, Có]\nmeetings:\n",
        "faces: [Không", "[", ["`faces` cần ít nhất 3 mục (đang có 2)"], False),
    "too many faces": (
        "meetings:\n", "feedback:\n  rating:\n    faces: [a, b, c, d, e, f]\nmeetings:\n",
        "faces: [a", "[", ["`faces` nhiều nhất 5 mục (đang có 6)"], False),
    "an option twice": (
        "meetings:\n", "feedback:\n  more_about:\n    options: [Bầu cử, Nghị quyết, bau cu]\nmeetings:\n",
        "options: [Bầu", "bau cu", ["`bau cu` trùng với lựa chọn thứ 1"], False),
    "feedback link not https": (
        "meetings:\n", "feedback:\n  links:\n    - {label: Góp ý, url: http://dongda.hanoi.gov.vn/gop-y}\nmeetings:\n",
        "label: Góp ý", "http", ["phải bắt đầu bằng https://"], False),
}


@pytest.mark.parametrize("case", CASES)
def test_each_mistake_is_reported_where_it_stands(tmp_path, case):
    old, new, line_part, value, parts, warning = CASES[case]
    text = changed(old, new)
    result = load(tmp_path, text)
    line, column = where(text, line_part, value)
    found = [p for p in result.problems if (p.line, p.column) == (line, column) and p.warning == warning
             and re.search(".*".join(map(re.escape, parts)), p.message)]
    assert found, f"{case}: wanted {line}:{column} {parts}, got:\n" + "\n".join(map(str, result.problems))
    assert str(found[0]).startswith(f"feed.yaml:{line}:{column}: ")
    if not warning:
        assert result.feed is None, "a feed with an error must not be taken"


def test_no_far_fetched_name_is_offered(tmp_path):
    text = changed("    delegates: [Tạ Đình Hải]", "    delegates: [Nguyễn Văn Tèo]")
    (problem,) = load(tmp_path, text).problems
    assert problem.message == ("không có `Nguyễn Văn Tèo` trong các danh sách đại biểu (họ tên ghi đúng như trong "
                               "danh sách)"), "no guess is better than a stranger's name"


def test_meeting_names_match_without_tones_or_case(tmp_path):
    text = changed("    delegates: [Tạ Đình Hải]", "    delegates: [ta dinh hai, NGÔ QUANG ĐẠT]")
    text = changed("    areas: [Tổ dân phố số 2]", "    areas: [to dan pho so 2]\n    constituencies:\n"
                   "      hdnd-phuong: don vi bau cu so 1", text)
    result = load(tmp_path, text)
    assert result.problems == []


def test_a_meeting_without_areas_in_a_feed_without_areas_says_what_is_missing(tmp_path):
    text = BASE[:BASE.index("areas:\n")] + BASE[BASE.index("meetings:\n"):]
    result = load(tmp_path, text)
    line, column = where(text, "areas: [Tổ", "Tổ")
    assert [str(p) for p in result.problems] == [
        f"feed.yaml:{line}:{column}: không có tổ dân phố `Tổ dân phố số 2` trong mục `areas`; bản tin chưa có "
        "mục `areas` ghi các tổ dân phố"]


def test_a_broken_meeting_does_not_hide_the_wrong_names_of_another(tmp_path):
    second = BASE[BASE.index("  - kind:"):].replace("Tạ Đình Hải", "Tạ Đình Hà").replace("tiep-xuc-cu-tri", "tiep-cong-dan")
    text = changed('    start: "08:00"', "    start: sáng") + second
    messages = [p.message for p in load(tmp_path, text).problems]
    assert any("sáng" in m for m in messages) and any("`Tạ Đình Hà`" in m for m in messages), messages


def test_a_list_with_a_mistake_elsewhere_still_holds_its_names(tmp_path):
    text = changed("    constituency: Đơn vị bầu cử số 1\n    people: [{name: Tạ",
                   "    constituency: Đơn vị bầu cử số 1\n    duration: lâu\n    people: [{name: Tạ")
    messages = [p.message for p in load(tmp_path, text).problems]
    assert len(messages) == 1 and "`duration` cần là một con số" in messages[0], messages


def test_the_sections_are_optional_and_feedback_has_defaults(tmp_path):
    text = BASE[:BASE.index("areas:\n")]
    feed = load(tmp_path, text).feed
    assert feed.areas == [] and feed.meetings == []
    assert len(feed.feedback.rating.faces) == 3 and "giúp ích" in feed.feedback.rating.question
    assert feed.feedback.more_about.choices(feed.faq) == ["Bầu cử năm 2026", OTHER_TOPIC] == ["Bầu cử năm 2026", "Điều khác"]
    assert feed.feedback.channel_links(feed.ward) == feed.ward.links


def test_the_sample_feed_has_the_sections_for_residents():
    result = load_feed(REPO / "config")
    feed = result.feed
    assert result.problems == [], [str(p) for p in result.problems]
    assert len(feed.areas) >= 10 and all(area.name.startswith("Tổ dân phố số ") for area in feed.areas)
    text = (REPO / "config" / "feed.yaml").read_text(encoding="utf-8")
    areas_part = text[text.index("# ---------------------------------------------------------------- Tổ dân phố"):]
    assert "DỮ LIỆU MẪU" in areas_part[:400], "sample areas must say they are sample data"
    moment = datetime(2026, 12, 2, 8, 0)
    coming = upcoming_meetings(feed.meetings, moment)
    assert len(coming) >= 3 and all(m.date > moment.date() for m in coming)
    assert len(feed.meetings) == len(coming) + 1, "the sample keeps one past meeting, which must not show"
    kinds = {m.kind for m in coming}
    assert kinds == {"tiep-xuc-cu-tri", "tiep-cong-dan"}
    for link in feed.feedback.channel_links(feed.ward):
        assert link.url.startswith("https://dongda.hanoi.gov.vn/") or link.url.startswith("https://zalo.me/")
    for area in feed.areas:
        assert all(level.people for level in my_delegates(feed, area)), area.name


def _as_editor_reads(text: str):
    """The feed as an editor's YAML extension checks it: dates are the text typed."""
    def typed(node):
        if isinstance(node, dict):
            return {key: typed(value) for key, value in node.items()}
        if isinstance(node, list):
            return [typed(value) for value in node]
        return node.isoformat() if hasattr(node, "isoformat") else node
    return typed(yaml.safe_load(text))


@pytest.fixture(scope="module")
def schema_check():
    schema = (REPO / "schema" / "feed.schema.json").read_text(encoding="utf-8")
    return jsonschema.Draft202012Validator(__import__("json").loads(schema))


def test_the_schema_accepts_the_sample_sections_and_underlines_mistakes(schema_check):
    sample = _as_editor_reads((REPO / "config" / "feed.yaml").read_text(encoding="utf-8"))
    assert {"areas", "meetings", "feedback"} <= set(sample)
    assert list(schema_check.iter_errors(sample)) == []
    assert list(schema_check.iter_errors(_as_editor_reads(BASE))) == []
    for case in ("area field misspelt", "body key misspelt", "meeting kind misspelt", "meeting without a place",
                 "too few faces", "too many faces", "meeting time not a time", "meeting time unquoted"):
        old, new, *_ = CASES[case]
        assert list(schema_check.iter_errors(_as_editor_reads(changed(old, new)))), f"the schema accepts: {case}"


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=12) | st.integers(-5, 5000) | st.sampled_from(["8h", "08:60", "7H05", "23:59", "24:00", "", "h"]))
def test_any_meeting_time_is_read_or_refused_in_words_at_its_place(tmp_path_factory, written):
    text = changed('    start: "08:00"', f"    start: {__import__('json').dumps(written, ensure_ascii=False)}")
    result = load(tmp_path_factory.mktemp("time"), text)
    start, end = where(text, "    start: ", "start")[0], where(text, "    end: ", "end")[0]
    if result.feed is not None:
        assert result.feed.meetings[0].start < result.feed.meetings[0].end
    else:  # at the start, or at the end when it is not after the start
        assert result.errors and {p.line for p in result.errors} <= {start, end}, [str(p) for p in result.problems]
        assert all(p.message and "Traceback" not in p.message for p in result.errors)


_SCALARS = st.none() | st.booleans() | st.integers(-3, 3000) | st.sampled_from(
    ["", "Tổ dân phố số 2", "Đơn vị bầu cử số 1", "Tạ Đình Hải", "08:00", "tiep-cong-dan", "2026-12-12", "quoc-hoi"])
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["name", "streets", "constituencies", "quoc-hoi", "hdnd-phuong", "kind", "date", "start", "end",
                     "place", "delegates", "areas", "note", "rating", "faces", "more_about", "options", "links"]),
    inner, max_size=4), max_leaves=12)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["areas", "meetings", "feedback"]), _VALUES)
def test_any_residents_section_gets_located_words_never_a_traceback(tmp_path_factory, section, value):
    import json
    data = _as_editor_reads(BASE)
    data[section] = value
    result = load(tmp_path_factory.mktemp("any"), json.dumps(data, ensure_ascii=False, indent=1))
    assert all(p.file == "feed.yaml" and p.line >= 1 and p.column >= 1 and p.message for p in result.problems)
    assert (result.feed is None) == bool(result.errors)


# ------------------------------------------------------------------------------------- areas


def test_areas_in_natural_order():
    names = ["Tổ dân phố số 10", "Tổ dân phố số 2", "Khu tập thể Văn Chương", "Tổ dân phố số 1",
             "Tổ dân phố số 21", "Tổ dân phố số 3A", "Tổ dân phố số 3", "Xóm Mới", "Ấp Đông"]
    assert sorted(names, key=area_order_key) == [
        "Ấp Đông", "Khu tập thể Văn Chương", "Tổ dân phố số 1", "Tổ dân phố số 2", "Tổ dân phố số 3", "Tổ dân phố số 3A",
        "Tổ dân phố số 10", "Tổ dân phố số 21", "Xóm Mới"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=40, unique=True), st.randoms())
def test_numbered_areas_sort_by_their_number(numbers, shuffle):
    names = [f"Tổ dân phố số {n}" for n in numbers]
    shuffle.shuffle(names)
    assert [int(name.rsplit(" ", 1)[1]) for name in sorted(names, key=area_order_key)] == sorted(numbers)


@pytest.fixture(scope="module")
def feed(tmp_path_factory) -> Feed:
    return load(tmp_path_factory.mktemp("feed"), BASE).feed


def _found(feed, query):
    return [(match.area.name, match.street) for match in search_areas(feed.areas, query)]


def test_search_finds_areas_and_streets_without_tones(feed):
    assert _found(feed, "thai ha") == [("Tổ dân phố số 10", "Ngõ 91 Thái Hà")]
    assert _found(feed, "NGÕ 91") == [("Tổ dân phố số 10", "Ngõ 91 Thái Hà")]
    assert _found(feed, "tay so") == [("Tổ dân phố số 2", "Phố Tây Sơn")], "the last word may be half typed"
    assert _found(feed, "to dan pho so 2") == [("Tổ dân phố số 2", None)]
    assert _found(feed, "so 1") == [("Tổ dân phố số 10", None)]
    assert _found(feed, "Đà Nẵng") == []
    assert _found(feed, "  ") == [("Tổ dân phố số 2", None), ("Tổ dân phố số 10", None)], "nothing typed: all, in order"


def test_search_puts_the_area_named_before_areas_on_a_street_of_that_name():
    areas = Feed.model_validate({**_minimal(), "areas": [
        {"name": "Tổ dân phố số 12", "streets": ["Ngõ 1 Tây Sơn"]},
        {"name": "Tổ dân phố số 1", "streets": ["Phố Tây Sơn"]},
        {"name": "Tổ dân phố số 11"}]}).areas
    assert [m.area.name for m in search_areas(areas, "so 1")] == ["Tổ dân phố số 1", "Tổ dân phố số 11",
                                                                  "Tổ dân phố số 12"]
    assert [(m.area.name, m.street) for m in search_areas(areas, "ngo 1")] == [("Tổ dân phố số 12", "Ngõ 1 Tây Sơn")]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=30, unique=True), st.data())
def test_any_area_is_found_first_by_its_own_name_typed_without_tones(numbers, data):
    areas = Feed.model_validate({**_minimal(), "areas": [{"name": f"Tổ dân phố số {n}"} for n in numbers]}).areas
    wanted = data.draw(st.sampled_from(areas))
    typed = data.draw(st.sampled_from([fold(wanted.name), wanted.name.upper(), fold(wanted.name).replace(" ", "  ")]))
    assert search_areas(areas, typed)[0].area == wanted


def test_my_delegates_at_all_three_levels(feed):
    tenth, second = feed.areas
    levels = my_delegates(feed, tenth)
    assert [level.body for level in levels] == ["quoc-hoi", "hdnd-thanh-pho", "hdnd-phuong"]
    assert [level.body_name for level in levels] == ["Đại biểu Quốc hội", "Đại biểu HĐND Thành phố",
                                                     "Đại biểu HĐND phường"]
    # the area names no constituency for the two bodies that have one on the ward's ground
    assert [[p.name for p in level.people] for level in levels] == [
        ["Trương Đức Khải", "Hà Thị Mỹ Linh"], ["Giang Văn Toàn"], ["Ngô Quang Đạt"]]
    assert [level.constituency for level in my_delegates(feed, second)] == [
        "Đơn vị bầu cử số 1", "Đơn vị bầu cử số 3", "Đơn vị bầu cử số 1"]
    assert [p.name for p in my_delegates(feed, second)[2].people] == ["Đỗ Thị Lan Anh", "Tạ Đình Hải"]


def test_a_level_without_a_list_is_there_empty(tmp_path):
    text = BASE.replace("    body: quoc-hoi\n", "    body: hdnd-thanh-pho\n").replace("Đơn vị bầu cử số 1\n    people: [{name: Tr",
                                                                                   "Đơn vị bầu cử số 3\n    people: [{name: Tr")
    feed = load(tmp_path, text).feed
    levels = my_delegates(feed, feed.areas[0])
    assert levels[0].body == "quoc-hoi" and levels[0].people == [] and levels[0].constituency is None
    assert len(levels[1].people) == 3


# ------------------------------------------------------------------------------------- meetings


def _minimal() -> dict:
    return {"format": 1, "version": 1, "expires": "2027-12-31",
            "ward": {"name": "Phường Đống Đa", "website": {"label": "Trang phường", "url": "https://dongda.hanoi.gov.vn"}},
            "slides": [{"type": "text", "title": "Tin", "body": "Nội dung."}]}


def _meeting(**fields) -> Meeting:
    return Meeting.model_validate({"kind": "tiep-cong-dan", "date": "2026-12-12", "start": "08:00", "end": "10:30",
                                   "place": "Trụ sở phường", **fields})


def test_past_meetings_drop_out_and_one_under_way_stays(feed):
    meeting = feed.meetings[0]
    assert upcoming_meetings(feed.meetings, datetime(2026, 12, 2, 9, 0)) == [meeting]
    assert upcoming_meetings(feed.meetings, datetime(2026, 12, 12, 10, 29)) == [meeting], "under way: still listed"
    assert upcoming_meetings(feed.meetings, datetime(2026, 12, 12, 10, 30)) == [], "over at its end"
    assert upcoming_meetings(feed.meetings, datetime(2027, 1, 1)) == []
    # the display's trusted time may come with its zone: 03:30 UTC is 10:30 in Hanoi
    assert upcoming_meetings(feed.meetings, datetime(2026, 12, 12, 3, 29, tzinfo=timezone.utc)) == [meeting]
    assert upcoming_meetings(feed.meetings, datetime(2026, 12, 12, 3, 30, tzinfo=timezone.utc)) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.dates(min_value=datetime(2026, 1, 1).date(), max_value=datetime(2027, 12, 31).date()),
                          st.integers(0, 22)), max_size=12),
       st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 1, 1)), st.integers(1, 5))
def test_upcoming_is_every_meeting_not_over_soonest_first(slots, now, limit):
    meetings = [_meeting(date=day.isoformat(), start=f"{hour:02d}:00", end=f"{hour + 1:02d}:30") for day, hour in slots]
    coming = upcoming_meetings(meetings, now)
    assert sorted(coming, key=lambda m: m.starts_at) == coming
    assert {id(m) for m in coming} == {id(m) for m in meetings if m.ends_at > now}
    assert upcoming_meetings(meetings, now, limit=limit) == coming[:limit]
    change = next_change(meetings, now)
    assert change == (min(m.ends_at for m in coming) if coming else None)


def test_who_a_meeting_invites(feed):
    tenth, second = feed.areas
    assert [m.place for m in upcoming_meetings(feed.meetings, datetime(2026, 12, 1), second, feed.slides)] == [
        "Nhà văn hóa tổ dân phố số 2"]
    assert upcoming_meetings(feed.meetings, datetime(2026, 12, 1), tenth, feed.slides) == []
    assert invites(_meeting(), tenth, feed.slides), "no area, no constituency: the whole ward"
    by_ward_unit = _meeting(constituencies={"hdnd-phuong": "Đơn vị bầu cử số 2"})
    assert invites(by_ward_unit, tenth, feed.slides) and not invites(by_ward_unit, second, feed.slides)
    # an area that names no National Assembly constituency votes in the ward's only one
    by_assembly = _meeting(constituencies={"quoc-hoi": ["đơn vị bầu cử số 1"]})
    assert invites(by_assembly, tenth, feed.slides) and invites(by_assembly, second, feed.slides)
    elsewhere = _meeting(constituencies={"quoc-hoi": ["Đơn vị bầu cử số 7"]})
    assert not invites(elsewhere, tenth, feed.slides)


def test_meeting_times_as_people_write_them():
    assert _meeting(start="7h30", end="9h").start.strftime("%H:%M") == "07:30"
    assert _meeting(start="7h30", end="9h").end.strftime("%H:%M") == "09:00"
    assert _meeting(start=" 14:05 ", end="15H").starts_at == datetime(2026, 12, 12, 14, 5)


# ------------------------------------------------------------------------------------- iCalendar


STAMP = datetime(2026, 12, 2, 9, 41, 7)


def _event(feed, meeting):
    return calendar_event(meeting, feed.ward, STAMP)


def test_the_event_parses_back_with_the_right_time_and_place(feed):
    meeting = feed.meetings[0]
    text = _event(feed, meeting)
    calendar = icalendar.Calendar.from_ical(text)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2026, 12, 12, 8, 0, tzinfo=HANOI)
    assert event.decoded("DTEND") == datetime(2026, 12, 12, 10, 30, tzinfo=HANOI)
    assert event.decoded("DTSTAMP") == STAMP.replace(tzinfo=HANOI)
    assert str(event["SUMMARY"]) == "Tiếp xúc cử tri"
    assert str(event["LOCATION"]) == "Nhà văn hóa tổ dân phố số 2"
    assert str(event["DESCRIPTION"]) == "Đại biểu: Tạ Đình Hải."
    assert str(event["UID"]) == meeting_uid(meeting, feed.ward) and str(event["UID"]).endswith("@dongda.hanoi.gov.vn")
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]


def test_the_event_is_strict_rfc5545_text(feed):
    meeting = _meeting(title="Tiếp công dân; hỏi đáp, góp ý", place="Phòng 2, trụ sở HĐND; UBND phường\\tầng 1, số 10 phố Đặng Tiến Đông",
                       note="Dòng một\nDòng hai, có dấu phẩy; chấm phẩy", delegates=["Tạ Đình Hải"])
    text = calendar_event(meeting, feed.ward, STAMP)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert lines[:4] == ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//ward-kiosk//VI", "BEGIN:VEVENT"]
    assert lines[-2:] == ["END:VEVENT", "END:VCALENDAR"]
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:Tiếp công dân\\; hỏi đáp\\, góp ý\r\n" in unfolded
    assert "LOCATION:Phòng 2\\, trụ sở HĐND\\; UBND phường\\\\tầng 1\\, số 10 phố Đặng Tiến Đông\r\n" in unfolded
    assert "\r\n " in text, "the long place is folded"
    for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "LOCATION"):
        assert sum(line.startswith(name + ":") for line in lines) == 1, name
    assert re.search(r"\r\nDTSTART:20261212T010000Z\r\n", text) and re.search(r"\r\nDTEND:20261212T033000Z\r\n", text)
    (event,) = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Tiếp công dân; hỏi đáp, góp ý"
    assert str(event["LOCATION"]) == "Phòng 2, trụ sở HĐND; UBND phường\\tầng 1, số 10 phố Đặng Tiến Đông"
    assert "DESCRIPTION" not in event or str(event["DESCRIPTION"]).startswith("Đại biểu: Tạ Đình Hải.")


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aăâđêôơư ÁẮẤÉẾÍÓỐỚÚỨÝạặậẹệịọộợụựỵ,;:\\\n\"'x9")) | st.characters(exclude_categories=("Cs",)),
               min_size=1, max_size=200))
@example("a" * 200)
@example("ệ" * 70 + "a")
@example(",;\\\n" * 40)
def test_folding_and_escaping_give_back_any_text(text):
    line = "LOCATION:" + escape_text(text)
    folded = fold_line(line)
    pieces = folded.split("\r\n")
    assert all(len(piece.encode("utf-8")) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert folded.replace("\r\n ", "") == line
    assert "\n" not in escape_text(text) and "\r" not in escape_text(text)


def test_a_long_description_gives_way_before_the_code_gets_dense(feed):
    names = [f"Nguyễn Thị Phương Thảo {n}" for n in range(8)]
    meeting = _meeting(delegates=names, note="Mang theo căn cước và giấy tờ liên quan đến việc cần trình bày.")
    text = calendar_event(meeting, feed.ward, STAMP)
    assert len(text.encode("utf-8")) <= ICS_MAX_BYTES
    assert "DESCRIPTION" not in text, "a list of names cut short would read as delegates missing"
    short = calendar_event(_meeting(delegates=["Tạ Đình Hải"], note="Mang theo căn cước."),
                           feed.ward, STAMP)
    assert "DESCRIPTION:Đại biểu: Tạ Đình Hải. Mang theo căn cước.\r\n" in short.replace("\r\n ", "")


def _decoded(text: str) -> str:
    matrix = qr_matrix(text)
    scale = 6
    image = Image.frombytes("L", (matrix.size, matrix.size), matrix.luminance_bytes(flip_vertically=False))
    image = image.resize((matrix.size * scale, matrix.size * scale), Image.NEAREST).convert("RGB")
    (code,) = zxingcpp.read_barcodes(image)
    return code.text


def test_every_sample_meeting_survives_the_qr_round_trip():
    sample = load_feed(REPO / "config").feed
    for meeting in upcoming_meetings(sample.meetings, datetime(2026, 12, 2, 8, 0)):
        text = calendar_event(meeting, sample.ward, STAMP)
        assert _decoded(text) == text, meeting.heading
        assert qr_matrix(text).size <= 17 + 4 * 15 + 8, "past version 15 a phone struggles"
        (event,) = icalendar.Calendar.from_ical(_decoded(text)).walk("VEVENT")
        assert event.decoded("DTSTART") == datetime.combine(meeting.date, meeting.start, HANOI)
        assert str(event["LOCATION"]) == meeting.place


def test_a_shuffled_feed_lists_the_same_areas_in_the_same_order():
    sample = load_feed(REPO / "config").feed
    shuffled = list(sample.areas)
    random.Random(16).shuffle(shuffled)
    assert [a.name for a in sorted_areas(shuffled)] == [f"Tổ dân phố số {n}" for n in range(1, len(shuffled) + 1)]
