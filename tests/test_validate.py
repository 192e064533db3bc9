"""`kiosk validate` on broken feeds: the real CLI in a subprocess, as a clerk would run it.

Every broken feed in tests/feeds/broken/<case>/ has one deliberate mistake and an expected.txt
(format in tests/feeds/broken/README.md). The CLI must exit 1, print each problem as
FILE:LINE:COLUMN: message at the right place, and never show a Python traceback."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
import yaml

from kiosk.feed.model import SLIDE_TYPES

REPO = Path(__file__).resolve().parents[1]
FEEDS = Path(__file__).resolve().parent / "feeds"
BROKEN = FEEDS / "broken"
MINIMAL = FEEDS / "minimal"
SEVERAL = FEEDS / "several-mistakes"

PROBLEM_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): (?P<message>.*)$")


# ---------------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Reported:
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True)
class Expected:
    line: int
    column: int
    parts: tuple[str, ...]  # fragments that must appear in this order in the message

    def matches(self, problem: Reported) -> bool:
        if (problem.line, problem.column) != (self.line, self.column):
            return False
        position = 0
        for part in self.parts:
            found = problem.message.find(part, position)
            if found < 0:
                return False
            position = found + len(part)
        return True

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {' … '.join(self.parts)}"


@dataclass
class Run:
    args: list[str]
    code: int
    stdout: str
    stderr: str

    def problems(self) -> list[Reported]:
        found = []
        for text in self.stdout.splitlines():
            match = PROBLEM_LINE.match(text)
            if match:
                found.append(Reported(match["file"], int(match["line"]), int(match["column"]), match["message"]))
        return found

    def transcript(self) -> str:
        return (f"$ {' '.join(self.args)}\n--- exit {self.code}\n--- stdout:\n{self.stdout}"
                f"--- stderr:\n{self.stderr}")


def run_kiosk(*args) -> Run:
    """python -m kiosk ARGS from the repository, as staff run it; never a traceback."""
    command = [sys.executable, "-m", "kiosk", *map(str, args)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, timeout=120)
    run = Run(command, proc.returncode,
              proc.stdout.decode("utf-8", errors="replace"), proc.stderr.decode("utf-8", errors="replace"))
    assert "Traceback" not in run.stdout and "Traceback" not in run.stderr, (
        f"the CLI crashed with a Python traceback:\n{run.transcript()}")
    return run


def read_expected(path: Path) -> tuple[list[Expected], bool]:
    """expected.txt: `LINE:COLUMN: fragment … fragment` lines; `...` alone allows more problems."""
    expected, more = [], False
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = text.strip()
        if not text or text.startswith("#"):
            continue
        if text == "...":
            more = True
            continue
        match = re.fullmatch(r"(\d+):(\d+): (.+)", text)
        assert match, f"{path}:{number}: cannot read this line of expected.txt: {text!r}"
        expected.append(Expected(int(match[1]), int(match[2]), tuple(p.strip() for p in match[3].split(" … "))))
    assert expected, f"{path}: no expected problem"
    return expected, more


def check_reports(run: Run, feed_file: Path, expected: list[Expected], more: bool = False) -> None:
    """Exit 1; each expected problem printed at its place in feed_file; nothing else unless `more`."""
    problems = run.problems()
    assert run.code == 1, f"expected exit code 1 (errors found)\n{run.transcript()}"
    wrong_file = [p for p in problems if p.file != str(feed_file)]
    assert not wrong_file, f"problems should name {feed_file}:\n" + "\n".join(map(str, wrong_file))
    missing = [e for e in expected if not any(e.matches(p) for p in problems)]
    assert not missing, (
        "expected problem(s) not reported:\n  " + "\n  ".join(map(str, missing)) + f"\n{run.transcript()}")
    if not more:
        extra = [p for p in problems if not any(e.matches(p) for e in expected)]
        assert not extra, ("unexpected extra problem(s):\n  " + "\n  ".join(map(str, extra)) +
                           f"\n{run.transcript()}")
    assert "bản tin chưa dùng được" in run.stderr, run.transcript()


def copy_minimal(tmp_path: Path) -> Path:
    folder = tmp_path / "feed"
    shutil.copytree(MINIMAL, folder)
    return folder


def cp1258(text: str) -> bytes:
    """Text as an old Windows 'Vietnamese (Windows-1258)' editor saves it: tones as combining marks."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = b""
    for ch in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
        out += (base + "".join(c for c in decomposed if c in tones)).encode("cp1258")
    return out


# ---------------------------------------------------------------------------------- broken feeds

CASES = sorted(p.name for p in BROKEN.iterdir() if (p / "feed.yaml").is_file())


def test_there_are_enough_broken_cases():
    assert len(CASES) >= 14, CASES
    missing = [case for case in CASES if not (BROKEN / case / "expected.txt").is_file()]
    assert not missing, f"broken cases without expected.txt: {missing}"


@pytest.mark.parametrize("case", CASES)
def test_broken_feed(case):
    folder = BROKEN / case
    expected, more = read_expected(folder / "expected.txt")
    run = run_kiosk("validate", folder)
    check_reports(run, folder / "feed.yaml", expected, more)


# Cases written at test time: a 2 MB file or stray bytes are no use in the repository.
MINIMAL_TEXT = (MINIMAL / "feed.yaml").read_text(encoding="utf-8")
TITLE_LINE = "    title: Lịch tiếp công dân\n"
TITLE_LINE_NUMBER = MINIMAL_TEXT[: MINIMAL_TEXT.index(TITLE_LINE)].count("\n") + 1


def _too_big(folder: Path) -> list[Expected]:
    filler = "# " + "dòng chú thích rất dài " * 40 + "\n"
    text = MINIMAL_TEXT
    while len(text.encode("utf-8")) <= 2 * 1024 * 1024:
        text += filler * 200
    (folder / "feed.yaml").write_text(text, encoding="utf-8")
    return [Expected(1, 1, ("tệp quá lớn", "tối đa 2048 KB"))]


def _windows_1258_title(folder: Path) -> list[Expected]:
    # One line pasted from an old document saved as Windows-1258; the rest of the file is UTF-8.
    raw = MINIMAL_TEXT.encode("utf-8").replace(TITLE_LINE.encode("utf-8"), cp1258(TITLE_LINE))
    (folder / "feed.yaml").write_bytes(raw)
    # "    title: Li" is fine (ASCII); the combining dot below of "ị" (byte 0xF2) is the 14th character.
    return [Expected(TITLE_LINE_NUMBER, 14, ("không ở mã UTF-8",))]


def _utf16(folder: Path) -> list[Expected]:
    # Notepad's "Unicode" is UTF-16 with a byte order mark: nothing in it reads as UTF-8.
    (folder / "feed.yaml").write_bytes(MINIMAL_TEXT.encode("utf-16"))
    return [Expected(1, 1, ("không ở mã UTF-8", "UTF-8"))]


def _control_characters(folder: Path) -> list[Expected]:
    # A bell and a form feed pasted from a word processor: YAML refuses the file; each one is pointed at.
    text = MINIMAL_TEXT.replace(TITLE_LINE, "    title: Lịch tiếp\x07 công dân\n").replace("\n", "\n\x0c", 1)
    (folder / "feed.yaml").write_text(text, encoding="utf-8")
    return [Expected(2, 1, ("ký tự điều khiển", "U+000C")),
            Expected(TITLE_LINE_NUMBER, 21, ("ký tự điều khiển", "U+0007", "xóa"))]


def _no_feed_file(folder: Path) -> list[Expected]:
    (folder / "feed.yaml").unlink()
    return [Expected(1, 1, ("không thấy tệp bản tin",))]


GENERATED = {
    "too-big": _too_big,
    "windows-1258-line": _windows_1258_title,
    "utf-16": _utf16,
    "no-feed-file": _no_feed_file,
    "control-characters": _control_characters,
}


@pytest.mark.parametrize("case", sorted(GENERATED))
def test_generated_broken_feed(case, tmp_path):
    folder = copy_minimal(tmp_path)
    expected = GENERATED[case](folder)
    run = run_kiosk("validate", folder)
    check_reports(run, folder / "feed.yaml", expected)


def test_too_big_is_refused_before_parsing(tmp_path):
    """A file past the cap is refused by size, however well-formed it is, and quickly."""
    folder = copy_minimal(tmp_path)
    _too_big(folder)
    assert (folder / "feed.yaml").stat().st_size > 2 * 1024 * 1024
    run = run_kiosk("validate", folder)
    assert len(run.problems()) == 1, run.transcript()


# ---------------------------------------------------------------------------------- valid feeds


def test_minimal_feed_is_valid():
    run = run_kiosk("validate", MINIMAL)
    assert run.code == 0, run.transcript()
    assert run.problems() == [], run.transcript()
    summary = run.stdout.strip()
    assert summary.startswith("Hợp lệ:") and "\n" not in summary, run.transcript()
    for part in ["phiên bản 1", "Phường Đống Đa", "hết hạn 30/06/2027", "4 trang chiếu", "1 text", "1 resolution",
                 "1 delegates", "1 image", "1 câu hỏi", "0 cảnh báo"]:
        assert part in summary, f"{part!r} missing from the summary\n{run.transcript()}"
    assert run.stderr == "", run.transcript()


def test_minimal_feed_file_path_also_works():
    run = run_kiosk("validate", MINIMAL / "feed.yaml")
    assert run.code == 0 and run.stdout.startswith("Hợp lệ:"), run.transcript()


def test_utf8_with_bom_is_fine(tmp_path):
    """Notepad's "UTF-8 with BOM" is still UTF-8."""
    folder = copy_minimal(tmp_path)
    (folder / "feed.yaml").write_bytes(b"\xef\xbb\xbf" + MINIMAL_TEXT.encode("utf-8"))
    run = run_kiosk("validate", folder)
    assert run.code == 0 and run.stdout.startswith("Hợp lệ:"), run.transcript()


def test_several_mistakes_are_all_reported_in_one_run():
    expected, more = read_expected(SEVERAL / "expected.txt")
    assert len(expected) >= 10 and not more
    run = run_kiosk("validate", SEVERAL)
    check_reports(run, SEVERAL / "feed.yaml", expected)
    assert f"{len(expected)} lỗi" in run.stderr, run.transcript()


def test_decomposed_text_comes_back_nfc(tmp_path):
    from kiosk.feed.validate import load_feed

    folder = copy_minimal(tmp_path)
    text = MINIMAL_TEXT.replace(
        "  - Mời bà con quét", "  - Nghị quyết số 01/NQ-HĐND đã có hiệu lực.\n  - Mời bà con quét")
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text and unicodedata.normalize("NFD", "Nghị quyết") in decomposed
    (folder / "feed.yaml").write_text(decomposed, encoding="utf-8")

    result = load_feed(folder)
    assert result.feed is not None, [str(p) for p in result.problems]
    feed = result.feed
    assert feed.ticker[0] == "Nghị quyết số 01/NQ-HĐND đã có hiệu lực."
    assert feed.ward.name == "Phường Đống Đa"
    assert feed.slides[1].number == "01/NQ-HĐND"
    assert [person.name for person in feed.slides[2].people] == ["Nguyễn Văn An", "Trần Thị Bình"]

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from strings(key)
                yield from strings(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                yield from strings(item)

    not_nfc = [s for s in strings(feed.model_dump()) if not unicodedata.is_normalized("NFC", s)]
    assert not not_nfc, f"text left decomposed: {not_nfc}"


def test_a_moment_written_with_its_offset_is_hanoi_wall_time(tmp_path):
    from kiosk.play.schedule import DisplayIdentity, is_active
    from kiosk.feed.validate import load_feed

    folder = copy_minimal(tmp_path)
    text = MINIMAL_TEXT.replace("start: 2026-12-01", "start: 2026-12-01T00:30:00Z")
    text = text.replace("end: 2026-12-31", 'end: "2026-12-31T17:00:00+07:00"')
    (folder / "feed.yaml").write_text(text, encoding="utf-8")

    result = load_feed(folder)
    assert result.feed is not None, [str(p) for p in result.problems]
    slide = next(slide for slide in result.feed.slides if slide.start)
    assert (slide.starts_at, slide.ends_at) == (dt.datetime(2026, 12, 1, 7, 30), dt.datetime(2026, 12, 31, 17, 0))
    assert not is_active(slide, dt.datetime(2026, 12, 1, 7, 29), DisplayIdentity())
    assert is_active(slide, dt.datetime(2026, 12, 1, 7, 30), DisplayIdentity())
    # an end before the start is still found when both carry offsets
    (folder / "feed.yaml").write_text(text.replace('"2026-12-31T17:00:00+07:00"', "2026-12-01T00:00:00Z"),
                                      encoding="utf-8")
    assert [p.message for p in load_feed(folder).errors] == [
        "ngày kết thúc (2026-12-01 00:00:00+00:00) phải sau ngày bắt đầu (2026-12-01 00:30:00+00:00)"]


def test_long_url_is_a_warning_not_an_error(tmp_path):
    folder = copy_minimal(tmp_path)
    long_url = "https://hanoi.gov.vn/van-ban/nghi-quyet-01-2026-ve-quy-che-hoat-dong-cua-hdnd-thanh-pho"
    assert len(long_url) > 60
    text = MINIMAL_TEXT.replace("      url: https://hanoi.gov.vn/nq-01\n", f"      url: {long_url}\n")
    assert text != MINIMAL_TEXT
    (folder / "feed.yaml").write_text(text, encoding="utf-8")
    line = text[: text.index(long_url)].count("\n") + 1

    run = run_kiosk("validate", folder)
    assert run.code == 0, run.transcript()
    problems = run.problems()
    assert len(problems) == 1, run.transcript()
    (warning,) = problems
    assert (warning.file, warning.line, warning.column) == (str(folder / "feed.yaml"), line, 12), run.transcript()
    assert warning.message.startswith("cảnh báo:"), run.transcript()
    assert f"dài {len(long_url)} ký tự" in warning.message, run.transcript()
    assert "1 cảnh báo" in run.stdout and "Hợp lệ" in run.stdout, run.transcript()


# ---------------------------------------------------------------------------------- schema


def _iso_dates(value):
    """PyYAML reads 2026-03-28 as a date; an editor's YAML reads it as text: compare like editors."""
    if isinstance(value, dict):
        return {key: _iso_dates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_iso_dates(item) for item in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def schema():
    run = run_kiosk("schema")
    assert run.code == 0, run.transcript()
    try:
        return json.loads(run.stdout)
    except json.JSONDecodeError as error:
        pytest.fail(f"`kiosk schema` did not print valid JSON ({error}):\n{run.stdout[:2000]}")


def test_schema_is_valid_json_schema_and_names_slide_types(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    defs = schema["$defs"]
    tags = {}
    for name, definition in defs.items():
        type_property = definition.get("properties", {}).get("type", {})
        for tag in [type_property.get("const"), *type_property.get("enum", [])]:
            if tag:
                tags[tag] = name
    assert set(SLIDE_TYPES) <= set(tags), f"slide types without a definition in $defs: {set(SLIDE_TYPES) - set(tags)}"
    text = json.dumps(defs, ensure_ascii=False)
    for slide_type in SLIDE_TYPES:
        assert f'"{slide_type}"' in text


def test_schema_accepts_the_minimal_feed(schema):
    data = yaml.safe_load((MINIMAL / "feed.yaml").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(_iso_dates(data))]
    assert not errors, errors


@pytest.mark.parametrize("case", ["unknown-field", "unknown-slide-type", "bad-weekday", "missing-required-field"])
def test_schema_rejects_what_the_editor_should_underline(schema, case):
    data = yaml.safe_load((BROKEN / case / "feed.yaml").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(_iso_dates(data))), f"the schema accepts the broken feed {case}"


# VS Code's YAML extension checks "format" with these patterns (vscode-json-languageservice): a
# moment written as the feed format documents, "2026-12-01 07:30", must not be underlined there.
EDITOR_FORMATS = jsonschema.FormatChecker(formats=())


@EDITOR_FORMATS.checks("date-time")
def _editor_date_time(value):
    return not isinstance(value, str) or bool(re.fullmatch(
        r"(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)"
        r"(\.[0-9]+)?(Z|(\+|-)([01][0-9]|2[0-3]):([0-5][0-9]))", value, re.IGNORECASE))


@EDITOR_FORMATS.checks("date")
def _editor_date(value):
    return not isinstance(value, str) or bool(re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])", value))


def test_schema_accepts_documented_moments_as_an_editor_checks_them(schema):
    data = _iso_dates(yaml.safe_load((MINIMAL / "feed.yaml").read_text(encoding="utf-8")))
    data["slides"][0]["start"] = "2026-12-01 07:30"  # docs/feed-format.md: `2026-12-01 07:30`
    data["slides"][0]["end"] = "2026-12-31 17:00"
    validator = jsonschema.Draft202012Validator(schema, format_checker=EDITOR_FORMATS)
    errors = list(validator.iter_errors(data))

    def leaves(error):
        return [leaf for sub in error.context for leaf in leaves(sub)] if error.context else [error]

    format_errors = {f"{list(e.absolute_path)}: {e.message}" for error in errors for e in leaves(error)
                     if e.validator == "format"}
    assert not errors, sorted(format_errors) or [error.message for error in errors]


def test_a_file_of_zeros_nesting_too_deep_and_a_list_as_type_each_get_one_line(tmp_path):
    from kiosk.feed.validate import load_feed

    folder = copy_minimal(tmp_path)
    (folder / "feed.yaml").write_bytes(b"\0" * (2 * 1024 * 1024 - 1))  # what a power cut can leave
    assert [(p.line, p.column) for p in load_feed(folder).problems] == [(1, 1)]

    (folder / "feed.yaml").write_text("version: " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    assert ["lồng nhau quá sâu" in p.message for p in load_feed(folder).problems] == [True]

    text = MINIMAL_TEXT.replace("slides:\n", "slides:\n  - type: [video]\n    id: sai-kieu\n    file: media/logo.png\n", 1)
    (folder / "feed.yaml").write_text(text, encoding="utf-8")
    assert [(p.line, p.column, "`video`" in p.message) for p in load_feed(folder).problems] == [(20, 11, True)]


# ---------------------------------------------------------------------------------- hostile folders (issue 10)

# The start of a real WebM file: its EBML header, DocType "webm".
WEBM_HEAD = (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
             b"\x42\x82\x84webm\x42\x87\x81\x02\x42\x85\x81\x02" + bytes(200))


def _media_line(folder: Path, name: str) -> Expected:
    """Where the picture slide's `file:` value stands; it now names name (a video slide for a video)."""
    text = (folder / "feed.yaml").read_text(encoding="utf-8")
    line = text.splitlines().index("    file: media/logo.png") + 1
    text = text.replace("    file: media/logo.png", f"    file: {name}")
    if not name.endswith(".png"):
        text = text.replace("  - type: image\n    id: bieu-trung", "  - type: video\n    id: bieu-trung")
    (folder / "feed.yaml").write_text(text, encoding="utf-8")
    return Expected(line, 11, ())


@pytest.mark.parametrize("case", ["link-to-private-key", "link-to-dev-zero", "dangling-link", "link-loop", "fifo",
                                  "empty", "folder", "webm-not-webm"])
def test_a_media_name_must_be_a_plain_nonempty_file_inside_the_folder(tmp_path, case):
    folder = copy_minimal(tmp_path)
    secret = tmp_path / "khoa" / "kiosk-private-key.pem"
    secret.parent.mkdir()
    secret.write_bytes(b"\x89PNG\r\n\x1a\n-----BEGIN PRIVATE KEY-----")  # even one that starts like a PNG
    name = {"webm-not-webm": "media/phim.webm"}.get(case, "media/anh.png")
    place = _media_line(folder, name)
    target = folder / name
    expected = {
        "link-to-private-key": ("liên kết tới tệp ngoài thư mục bản tin",),
        "link-to-dev-zero": ("liên kết tới tệp ngoài thư mục bản tin",),
        "dangling-link": ("liên kết hỏng",),
        "link-loop": ("liên kết vòng",),
        "fifo": ("không phải tệp thường",),
        "empty": ("rỗng (0 byte)",),
        "folder": ("không phải tệp thường",),
        "webm-not-webm": ("không phải video WEBM",),
    }[case]
    if case == "link-to-private-key":
        target.symlink_to(secret)
    elif case == "link-to-dev-zero":
        target.symlink_to("/dev/zero")
    elif case == "dangling-link":
        target.symlink_to(folder / "media" / "da-xoa.png")
    elif case == "link-loop":
        target.symlink_to(target.name)
    elif case == "fifo":
        os.mkfifo(target)
    elif case == "empty":
        target.write_bytes(b"")
    elif case == "folder":
        target.mkdir()
    else:
        target.write_bytes(b"RIFF....WEBPVP8 " + bytes(100))
    run = run_kiosk("validate", folder)
    check_reports(run, folder / "feed.yaml", [Expected(place.line, place.column, expected)])
    assert str(secret.read_bytes()) not in run.stdout


def test_a_real_webm_and_a_link_inside_the_folder_are_fine(tmp_path):
    from kiosk.feed.validate import load_feed

    folder = copy_minimal(tmp_path)
    (folder / "media" / "phim.webm").write_bytes(WEBM_HEAD)
    _media_line(folder, "media/phim.webm")
    (folder / "media" / "cung-logo.png").symlink_to("logo.png")
    feed = folder / "feed.yaml"
    feed.write_text(feed.read_text(encoding="utf-8").replace("  logo: media/logo.png", "  logo: media/cung-logo.png"),
                    encoding="utf-8")
    result = load_feed(folder)
    assert result.feed is not None, result.problems


@pytest.mark.parametrize("case", ["5000-digits", "version-past-2**53", "expires-9999", "start-year-1",
                                  "feed-is-proc-pagemap", "feed-is-fifo", "flow-bomb", "nul-in-file-name",
                                  "half-a-character"])
def test_numbers_dates_and_the_feed_file_itself_are_range_checked(tmp_path, case):
    folder = copy_minimal(tmp_path)
    feed = folder / "feed.yaml"
    text = feed.read_text(encoding="utf-8")
    if case == "5000-digits":
        feed.write_text(text.replace("version: 1", "version: " + "7" * 5000), encoding="utf-8")
        expected = Expected(5, 10, ("con số dài quá (5000 chữ số)",))
    elif case == "version-past-2**53":
        feed.write_text(text.replace("version: 1", f"version: {2**53}"), encoding="utf-8")
        expected = Expected(5, 10, ("`version` lớn quá",))
    elif case == "expires-9999":
        feed.write_text(text.replace("expires: 2027-06-30", "expires: 9999-12-31"), encoding="utf-8")
        expected = Expected(6, 10, ("ngày `9999-12-31` ở ngoài khoảng năm 2000 đến 2199",))
    elif case == "start-year-1":
        feed.write_text(text.replace("start: 2026-12-01", "start: 0001-01-01"), encoding="utf-8")
        line = text.splitlines().index("    start: 2026-12-01") + 1
        expected = Expected(line, 12, ("ngày `0001-01-01` ở ngoài khoảng năm",))
    elif case == "feed-is-proc-pagemap":
        feed.unlink()
        feed.symlink_to("/proc/self/pagemap")
        expected = Expected(1, 1, ("",))
    elif case == "feed-is-fifo":
        feed.unlink()
        os.mkfifo(feed)
        expected = Expected(1, 1, ("không phải tệp thường",))
    elif case == "flow-bomb":
        feed.write_text("version: " + "[" * (2 * 1024 * 1024 - 20) + "\n", encoding="utf-8")
        expected = Expected(1, 210, ("lồng nhau quá sâu",))
    elif case == "nul-in-file-name":
        place = _media_line(folder, '"media/lo\\0go.png"')
        expected = Expected(place.line, place.column, ("có ký tự không dùng được trong tên tệp",))
    else:  # publish would fail to write it out as UTF-8
        feed.write_text(text.replace("    title: Lịch tiếp công dân", '    title: "Lịch \\ud800"'), encoding="utf-8")
        line = text.splitlines().index("    title: Lịch tiếp công dân") + 1
        expected = Expected(line, 18, ("mã `\\ud800` là nửa ký tự",))
    started = dt.datetime.now()
    run = run_kiosk("validate", folder)
    assert (dt.datetime.now() - started).total_seconds() < 30, "no hang, no quadratic parse"
    check_reports(run, feed, [expected], more=case == "feed-is-proc-pagemap")


@pytest.mark.parametrize("shape", ["dashes", "indented-keys"])
def test_block_nesting_far_past_the_formats_depth_is_refused_at_once(tmp_path, shape):
    """Nesting by indentation, not brackets: `- - - - ...` (libyaml gives up past 1,000 levels and the
    pure-Python parser is quadratic) or keys indented ever deeper. Refused where it first goes too
    deep, without reading the rest of the file."""
    import time

    from kiosk.feed.validate import load_feed

    folder = copy_minimal(tmp_path)
    if shape == "dashes":
        text = "- " * 500_000 + "x\n"
    else:
        text = "".join(" " * level + "a:\n" for level in range(1400)) + " " * 1400 + "x\n"
    (folder / "feed.yaml").write_text(text, encoding="utf-8")
    started = time.monotonic()
    problems = load_feed(folder).problems
    assert time.monotonic() - started < 3
    assert [(p.line, "lồng nhau quá sâu (quá 50 tầng)" in p.message) for p in problems] == [
        (1 if shape == "dashes" else 52, True)]


@pytest.mark.parametrize("name", ["media/" + "a" * 300 + ".png", "media/" + "thư-mục-" * 40 + "/anh.png"])
def test_a_media_name_longer_than_a_file_name_can_be_is_one_located_line(tmp_path, name):
    """A title pasted as a file name: no file system holds it (ENAMETOOLONG), which is said as such."""
    folder = copy_minimal(tmp_path)
    place = _media_line(folder, name)
    run = run_kiosk("validate", folder)
    check_reports(run, folder / "feed.yaml", [Expected(place.line, place.column, ("dài quá",))])
