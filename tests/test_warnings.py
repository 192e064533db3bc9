"""`kiosk validate` warns about what is valid but will not look right on a screen, at the place
(FILE:LINE:COLUMN) and in plain Vietnamese: characters the bundled font cannot draw, invisible
characters and tabs pasted from Word, Excel or Zalo (cleaned on load), Word's curly quotes around a
value, a title too long for a page even at the smallest title size, a delegate list that holds the
screen for many minutes, a person listed twice, a photo far larger than any screen (published
downscaled). Content is the way a ward really writes it."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import jsonschema
import pytest
import yaml
from PIL import Image

from kiosk.feed import media, textfit

from kiosk.delivery import signing
from kiosk.delivery.manifest import parse
from kiosk.delivery.publish import publish
from kiosk.feed.validate import load_feed
from kiosk.feed.yamlsource import INVISIBLE
from test_validate import MINIMAL, MINIMAL_TEXT, Expected, copy_minimal, read_expected, run_kiosk

FEEDS = Path(__file__).resolve().parent / "feeds"
LOOKS_WRONG = FEEDS / "looks-wrong"


def write(folder: Path, text: str) -> Path:
    assert text != MINIMAL_TEXT, "the change to the minimal feed did not apply"
    (folder / "feed.yaml").write_text(text, encoding="utf-8")
    return folder / "feed.yaml"


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def warnings_of(folder: Path) -> list:
    result = load_feed(folder)
    assert result.feed is not None, [str(p) for p in result.errors]
    return result.warnings


# ---------------------------------------------------------------------- text pasted from elsewhere


def test_the_looks_wrong_feed_is_valid_and_each_character_is_pointed_at():
    expected, more = read_expected(LOOKS_WRONG / "expected.txt")
    run = run_kiosk("validate", LOOKS_WRONG)
    assert run.code == 0 and run.stdout.splitlines()[-1].startswith("Hợp lệ:"), run.transcript()
    problems = run.problems()
    assert all(p.message.startswith("cảnh báo: ") for p in problems), run.transcript()
    reported = [type(p)(p.file, p.line, p.column, p.message.removeprefix("cảnh báo: ")) for p in problems]
    missing = [e for e in expected if not any(e.matches(p) for p in reported)]
    assert not missing, "not reported:\n  " + "\n  ".join(map(str, missing)) + "\n" + run.transcript()
    extra = [p for p in reported if not any(e.matches(p) for e in expected)]
    assert not extra and not more, "unexpected:\n  " + "\n  ".join(map(str, extra))
    assert f"{len(expected)} cảnh báo" in run.stdout, run.transcript()


def test_invisible_characters_and_tabs_never_reach_a_screen():
    feed = load_feed(LOOKS_WRONG).feed
    text, delegates = feed.slides
    assert text.title == "Lịch tiếp công dân tháng 12"  # the soft hyphen is gone
    assert "Người tiếp: Giáo viên Trần Thị Mai" in text.body  # a tab is a space: never a box
    # a zero-width space between two words was a word break: the words stay apart
    assert sorted(p.name for p in delegates.people) == sorted(
        ["Trần Thị Mai", "Nguyễn Văn An", "Kim Min-jun (김민준)", "Lê Thị Hoa"])
    dumped = json.dumps(feed.model_dump(mode="json"), ensure_ascii=False)
    left = sorted({f"U+{ord(ch):04X}" for ch in dumped if ch in INVISIBLE or ch == "\t"})
    assert not left, f"left in the feed a display shows: {left}"


def test_a_straight_quoted_value_with_curly_quotes_inside_is_what_the_writer_meant():
    feed = load_feed(LOOKS_WRONG).feed
    assert feed.ticker[2] == "“Dân biết, dân bàn, dân làm, dân kiểm tra”"
    assert [p.line for p in warnings_of(LOOKS_WRONG) if "nháy cong" in p.message] == [16]


@pytest.mark.parametrize("typed, warned", [
    ("caption: ‘Biểu trưng của phường’", "`caption: Biểu trưng của phường`"),
    ("caption: „Biểu trưng của phường“", "`caption: Biểu trưng của phường`"),
    ("caption: ”Biểu trưng của phường”", "`caption: Biểu trưng của phường`"),  # Word after a letter
    ('caption: "“Biểu trưng” của phường"', None),
    ("caption: |\n      “Biểu trưng của phường”", None),  # written as a block: what it says is shown
])
def test_each_kind_of_curly_quotes_around_a_value(tmp_path, typed, warned):
    folder = copy_minimal(tmp_path)
    text = MINIMAL_TEXT.replace("caption: Biểu trưng của phường", typed)
    write(folder, text)
    found = [p for p in warnings_of(folder) if "nháy cong" in p.message]
    if warned is None:
        assert found == []
    else:
        (warning,) = found
        assert (warning.line, warning.column, warned in warning.message) == (line_of(text, typed), 14, True)


@pytest.mark.parametrize("typed, invisible", [
    ("Mời bà con\u200b quét mã", "\u200b"),  # beside a space: just removed
    ('"Mời bà con\\u200bquét mã"', "\u200b"),  # typed as an escape: pointed at the value's start
    ("Mời bà con quét mã\u2060", "\u2060"),
    ("\u202aMời bà con quét mã\u202c", "\u202a"),
    ("Mời bà con quét mã\ufe0f", "\ufe0f"),  # an emoji's style selector, left when the emoji was deleted
])
def test_each_invisible_character_is_named_with_its_code_and_removed(tmp_path, typed, invisible):
    folder = copy_minimal(tmp_path)
    line = "  - Mời bà con quét mã QR ở góc màn hình để vào trang thông tin điện tử phường.\n"
    text = MINIMAL_TEXT.replace(line, f"  - {typed}\n")
    write(folder, text)
    (warning,) = warnings_of(folder)
    column = 5 + typed.index(invisible) if invisible in typed else 5
    assert (warning.line, warning.column) == (line_of(text, typed), column), warning
    assert f"U+{ord(invisible):04X}" in warning.message, warning.message
    assert load_feed(folder).feed.ticker[0] in ("Mời bà con quét mã", "Mời bà con quét mã")


def test_emoji_chinese_and_korean_are_checked_against_the_fonts_own_character_map():
    drawn = "Phường Đống Đa – “Người tốt, việc tốt” · 12.345 phiếu · 78,5% … ỗ ợ ữ ặ"
    assert textfit.undrawable(drawn) == []
    assert textfit.undrawable("Chúc mừng 🎉 năm mới 🇻🇳 北京 김민준") == [
        "🎉", "🇻", "🇳", "北", "京", "김", "민", "준"]
    # what Word puts in for a minus sign, a list bullet and a tick: not in the font either
    assert textfit.undrawable("Nhiệt độ −5 °C ● đã nộp ✓") == ["−", "●", "✓"]


def test_a_value_with_many_characters_the_font_lacks_names_a_few(tmp_path):
    folder = copy_minimal(tmp_path)
    text = MINIMAL_TEXT.replace("caption: Biểu trưng của phường", "caption: 河内市栋多坊人民委员会徽标")
    write(folder, text)
    (warning,) = warnings_of(folder)
    assert (warning.line, warning.column) == (line_of(text, "caption: 河"), 14)
    assert "`河` (U+6CB3)" in warning.message and "và 8 ký tự khác" in warning.message, warning.message


# ---------------------------------------------------------------------- dates and hours


def test_hours_written_as_one_value_or_as_a_list_are_the_same(tmp_path):
    folder = copy_minimal(tmp_path)
    write(folder, MINIMAL_TEXT.replace('hours: ["07:30-11:30"]', 'hours: "07:30-11:30"'))
    result = load_feed(folder)
    assert result.problems == [] and result.feed.slides[0].hours == ["07:30-11:30"]
    run = run_kiosk("validate", folder)
    assert run.code == 0, run.transcript()
    # a wrong one written alone is pointed at where it stands
    text = MINIMAL_TEXT.replace('hours: ["07:30-11:30"]', 'hours: "07:30-25:00"')
    write(folder, text)
    (error,) = load_feed(folder).problems
    assert (error.line, error.column, "`25:00`" in error.message) == (line_of(text, "hours:"), 12, True)


def test_the_schema_accepts_hours_as_one_value_or_a_list():
    schema = json.loads(run_kiosk("schema").stdout)
    data = yaml.safe_load(MINIMAL_TEXT)
    data["expires"] = "2027-06-30"
    data["slides"][0].update(start="2026-12-01", end="2026-12-31")
    data["slides"][1]["date"] = "2026-03-28"
    validator = jsonschema.Draft202012Validator(schema)
    for hours in ("07:30-11:30", ["07:30-11:30", "13:30-17:00"]):
        data["slides"][0]["hours"] = hours
        assert not [e.message for e in validator.iter_errors(data)], hours
    committed = json.loads((MINIMAL.parents[2] / "schema" / "feed.schema.json").read_text(encoding="utf-8"))
    assert committed == schema, "schema/feed.schema.json is stale: run `kiosk schema --out schema/feed.schema.json`"


@pytest.mark.parametrize("field, typed, message", [
    ("end: 2026-12-31", "end: 31/02/2026", "không phải ngày có thật (ngày 31 tháng 2 năm 2026)"),
    ("end: 2026-12-31", "end: 2026/12/31", "viết 2026-12-31 (ngày 31 tháng 12 năm 2026)"),
    ("start: 2026-12-01", 'start: "01.12.2026 07:30"', 'viết "2026-12-01 07:30"'),
    ("expires: 2027-06-30", 'expires: "30/06/2027 17:00"', "viết 2027-06-30 (ngày 30"),  # a day, no time
    ("expires: 2027-06-30", "expires: 30-06-27", "ví dụ 2026-12-31"),
])
def test_every_date_field_names_the_right_spelling_of_what_was_typed(tmp_path, field, typed, message):
    folder = copy_minimal(tmp_path)
    text = MINIMAL_TEXT.replace(field, typed)
    write(folder, text)
    (error,) = load_feed(folder).problems
    assert (error.line, message in error.message) == (line_of(text, typed), True), error


# ---------------------------------------------------------------------- titles, lists, photos

# An official title as the city writes them (238 characters), and one pasted with its whole preamble.
REAL_TITLE = ("Về việc thông qua Đề án phát triển kinh tế - xã hội, bảo đảm quốc phòng, an ninh và nâng cao "
              "chất lượng đời sống nhân dân trên địa bàn phường Đống Đa giai đoạn 2027 - 2030, tầm nhìn đến "
              "năm 2045, gắn với xây dựng đô thị văn minh, hiện đại")
PREAMBLE = ("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025; căn cứ Luật Ban hành văn "
            "bản quy phạm pháp luật ngày 19 tháng 02 năm 2025; xét Tờ trình của Ủy ban nhân dân Thành phố và "
            "Báo cáo thẩm tra của các Ban Hội đồng nhân dân Thành phố; ")


def test_a_real_long_title_passes_and_one_that_cannot_fit_a_page_is_warned(tmp_path):
    folder = copy_minimal(tmp_path)
    old = "title: Về Quy chế hoạt động của HĐND Thành phố khóa XVII"
    write(folder, MINIMAL_TEXT.replace(old, f"title: {REAL_TITLE}"))
    assert warnings_of(folder) == []
    text = MINIMAL_TEXT.replace(old, f"title: {PREAMBLE}{REAL_TITLE}")
    write(folder, text)
    (warning,) = warnings_of(folder)
    assert (warning.line, warning.column) == (line_of(text, "title: Căn cứ"), 12), warning
    message = warning.message
    assert f"dài {len(PREAMBLE + REAL_TITLE)} ký tự" in message and "1080x1920" in message, message
    lines, room = map(int, re.search(r"chiếm (\d+) dòng, quá nửa trang \((\d+) dòng\)", message).groups())
    assert lines > room, message


KIVY_EXTENTS = """
import json, sys
from kivy.core.text import Label, LabelBase
from screens.theme import FONT_NAME, register_fonts
register_fonts()
print(json.dumps([Label(font_size=size, font_name=FONT_NAME, bold=bold).get_extents(text)
                  for text, size, bold in json.loads(sys.stdin.read())]))
"""


def test_the_measure_agrees_with_what_kivy_draws():
    """Advance widths from the font file give the width and line height Kivy's own text provider
    measures for the same text, within 1%: names, a long title, stacked tone marks, digits."""
    samples = [(REAL_TITLE, 38, True), (REAL_TITLE, 62, True), ("Nguyễn Thị Phương Thảo", 38, True),
               ("Tổ trưởng tổ dân phố số 12 · 12.345 phiếu · 78,50%", 30, False),
               ("Quyết định khuyến khích nghiêng ngửa ưỡn ngực", 46, False)]
    env = dict(os.environ, KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1",
               PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.run([sys.executable, "-c", KIVY_EXTENTS], input=json.dumps(samples), env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    for (text, size, bold), (width, height) in zip(samples, json.loads(proc.stdout.splitlines()[-1])):
        assert textfit.text_width(text, size, bold) == pytest.approx(width, rel=0.01), text
        assert textfit.line_height(size, bold) == pytest.approx(height, abs=1.5), text
    assert textfit.line_count(REAL_TITLE, 38, textfit.text_width(REAL_TITLE, 38, True) / 2 + 40, True) == 2
    assert textfit.line_count("Một\nHai", 38, 1000) == 2


FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc", "Quang", "Thanh"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hải", "Hương", "Khánh", "Lan", "Long", "Mai",
         "Nam", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trung", "Yến"]


def delegates(count: int) -> str:
    names = [f"{f} {m} {g}" for g in GIVEN for m in MIDDLE for f in FAMILY][:count]
    assert len(set(names)) == count
    return "".join(f"      - name: {name}\n        position: Tổ dân phố số {i % 40 + 1}\n"
                   for i, name in enumerate(names))


PEOPLE = "      - name: Trần Thị Bình\n      - name: Nguyễn Văn An\n        position: Tổ trưởng tổ dân phố\n"


def test_a_list_of_400_delegates_says_how_many_pages_and_minutes(tmp_path):
    folder = copy_minimal(tmp_path)
    write(folder, MINIMAL_TEXT.replace(PEOPLE, delegates(30)))
    assert warnings_of(folder) == []
    text = MINIMAL_TEXT.replace(PEOPLE, delegates(400))
    write(folder, text)
    (warning,) = warnings_of(folder)
    assert warning.line == line_of(text, "    people:\n      - name: Nguyễn Văn An\n        position: Tổ dân phố số 1")
    found = re.search(r"danh sách 400 người chiếm (\d+) trang .*?, 20 giây mỗi trang: khoảng (\d+) phút",
                      warning.message)
    assert found, warning.message
    pages, minutes = map(int, found.groups())
    assert pages >= 40 and minutes == round(pages * 20 / 60), warning.message


def test_the_pages_the_validator_counts_are_the_pages_the_screen_shows(tmp_path):
    """The page arithmetic of the warning, against the real slide view in a real window (`kiosk
    preview`, which draws every page) on the narrowest screen."""
    folder = copy_minimal(tmp_path)
    slides = MINIMAL_TEXT[MINIMAL_TEXT.index("  - type: text"):MINIMAL_TEXT.index("  - type: delegates")]
    write(folder, MINIMAL_TEXT.replace(PEOPLE, delegates(30)).replace(slides, ""))  # the list alone
    people = load_feed(folder).feed.slides[0].people
    per_page = textfit.people_per_page(textfit.em_width([p.name for p in people], bold=True),
                                       textfit.em_width([p.position for p in people]), (1080, 1920), "body")
    run = run_kiosk("preview", folder, "--out", tmp_path / "shots", "--size", "1080x1920", "--at", "2026-12-01 08:00")
    assert run.code == 0, run.transcript()
    shown = [line.split("\t") for line in (tmp_path / "shots" / "index.txt").read_text(encoding="utf-8").splitlines()]
    (pages,) = {int(fields[3].split("/")[1]) for fields in shown if fields[2] == "delegates"}
    assert pages == math.ceil(30 / per_page), (pages, per_page)


def test_a_person_pasted_twice_is_pointed_at_with_the_first_line(tmp_path):
    folder = copy_minimal(tmp_path)
    # pasted again from another sheet: other case, a double space, and decomposed tones
    again = unicodedata.normalize("NFD", "      - name: TRẦN  thị Bình\n")
    text = MINIMAL_TEXT.replace(PEOPLE, PEOPLE + again)
    write(folder, text)
    (warning,) = warnings_of(folder)
    assert (warning.line, warning.column) == (line_of(text, again), 15), warning
    assert f"ở dòng {line_of(text, 'Trần Thị Bình')}" in warning.message, warning.message
    # one person in two lists (a city delegate who is also a ward delegate) is no mistake
    slide = MINIMAL_TEXT[MINIMAL_TEXT.index("  - type: delegates"):MINIMAL_TEXT.index("  - type: image")]
    write(folder, MINIMAL_TEXT.replace("  - type: image", slide.replace("dai-bieu-phuong", "dai-bieu-tp")
                                       .replace("hdnd-phuong", "hdnd-thanh-pho") + "  - type: image"))
    assert warnings_of(folder) == []


def jpeg(path: Path, size: tuple[int, int], exif: Image.Exif | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (180, 40, 40)).save(path, "JPEG", quality=70, exif=exif or Image.Exif())
    return path


def phone_exif(orientation: int) -> Image.Exif:
    """What a phone writes: its make, where the photo was taken, and how to turn it upright."""
    exif = Image.Exif()
    exif[0x010F] = "Điện thoại"
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (21.0, 1.0, 30.0), 3: "E", 4: (105.0, 49.0, 50.0)}  # GPS: Hanoi
    return exif


def test_a_photo_far_larger_than_any_screen_is_warned_and_published_downscaled(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = copy_minimal(tmp_path)
    photo = jpeg(folder / "media" / "hoi-nghi.jpg", (6000, 4000), phone_exif(orientation=1))
    before = hashlib.sha256(photo.read_bytes()).hexdigest()
    text = MINIMAL_TEXT.replace("file: media/logo.png", "file: media/hoi-nghi.jpg")
    write(folder, text)
    (warning,) = warnings_of(folder)
    assert (warning.line, warning.column) == (line_of(text, "file: media/hoi-nghi.jpg"), 11), warning
    assert "6000x4000" in warning.message and "thu nhỏ" in warning.message, warning.message

    out = tmp_path / "out"
    published = publish(folder, out, signing.new_private_key())
    assert published.warnings == [warning]
    manifest = parse((out / "manifest.json").read_bytes())
    pictures = [entry for entry in manifest.files if entry.path.endswith(".jpg")]
    assert len(pictures) == 1
    copy = out / pictures[0].path
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == pictures[0].sha256
    with Image.open(copy) as image:
        assert image.size == (3840, 2560) and image.format == "JPEG"
        assert not image.getexif(), "the published copy still says which phone took it, and where"
    assert hashlib.sha256(photo.read_bytes()).hexdigest() == before, "the staff's original was changed"
    assert load_feed(out).warnings == []  # what the displays get is no longer too large
    # published again: the same copy, made once
    publish(folder, out, signing.new_private_key())
    assert [e for e in parse((out / "manifest.json").read_bytes()).files if e.path.endswith(".jpg")] == pictures
    assert len(list((tmp_path / "cache").rglob("*.jpg"))) == 1
    # a phone photo taken upright but stored sideways is published upright, and a PNG stays a PNG
    sideways = jpeg(folder / "media" / "doc.jpg", (4000, 3000), phone_exif(orientation=6))
    with Image.open(media.for_screens(sideways)) as image:
        assert image.size == (2880, 3840)
    infographic = folder / "media" / "so-do.png"
    Image.new("RGB", (4000, 3000), (11, 61, 46)).save(infographic)
    with Image.open(media.for_screens(infographic)) as image:
        assert (image.format, image.size) == ("PNG", (3840, 2880))
    # a photo that fits the largest screen is published as it is
    assert media.for_screens(jpeg(folder / "media" / "vua.jpg", (3840, 2160))) == folder / "media" / "vua.jpg"


def test_the_frame_numbers_are_the_screens_own():
    """kiosk/feed/textfit.py reasons with the sizes the screens use: while screens/ keeps its own copies,
    they must be the same numbers."""
    screens = Path(__file__).resolve().parents[1] / "screens"
    theme = (screens / "theme.py").read_text(encoding="utf-8")
    sizes = re.search(r"BASE_SIZES = (\{[^}]*\})", theme)
    assert "textfit" in theme or (sizes and yaml.safe_load(sizes[1]) == textfit.TEXT_SIZES), sizes
    rules = "".join(path.read_text(encoding="utf-8") for path in [screens / "frame.kv", *(screens / "slides").glob("*.kv")])
    for name, value in [("HEADER_HEIGHT", textfit.HEADER_HEIGHT), ("TICKER_HEIGHT", textfit.TICKER_HEIGHT),
                        ("SIDEBAR_WIDTH", textfit.SIDEBAR_WIDTH), ("SIDEBAR_BAND", textfit.SIDEBAR_BAND),
                        ("RESOLUTION_QR", textfit.RESOLUTION_QR[0]), ("RESOLUTION_QR", textfit.RESOLUTION_QR[1])]:
        assert f"px({value})" in rules or f"textfit.{name}" in rules, name
