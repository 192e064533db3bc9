"""A delegate list from the election committee's spreadsheet (.xlsx, .xls, .ods with
python-calamine; .csv), its columns guessed from the Vietnamese headers, shown in official order
(kiosk.vietnamese) and added to the feed as a `delegates` slide."""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from datetime import date, datetime
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiosk.feed import model
from kiosk.vietnamese import fold, name_sort_key
from office import forms
from office.feedfile import Conflict, Refused, load_round_trip
from office.media import TooLarge, _closing, limited_receive
from office.web import check_csrf, console_of, flash, go, posted, render, user_of

MAX_SHEET = 10 * 1024 * 1024
SHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".csv"}
HEADER_ROWS = 15  # the header is within the first rows (titles and the committee's name above it)
COLUMN_ROLES = {
    "stt": "Số thứ tự", "name": "Họ và tên", "birth": "Ngày sinh", "position": "Nghề nghiệp, chức vụ",
    "workplace": "Nơi công tác", "votes": "Số phiếu", "percent": "Tỷ lệ",
}
# Folded header words for each role, most specific first.
HEADER_WORDS = {
    "stt": ["stt", "so thu tu", "tt"],
    "name": ["ho va ten", "ho ten", "ten dai bieu", "ten nguoi trung cu", "ten"],
    "birth": ["ngay sinh", "nam sinh", "ngay thang nam sinh"],
    "position": ["nghe nghiep", "chuc vu", "chuc danh", "nghe nghiep, chuc vu"],
    "workplace": ["noi cong tac", "don vi cong tac", "co quan"],
    "votes": ["so phieu", "phieu bau", "so phieu bau"],
    "percent": ["ty le", "ti le", "%"],
}


class SheetProblem(ValueError):
    """The message is for staff."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (date, datetime)):
        return f"{value:%d/%m/%Y}"
    return forms.clean(str(value))


def read_rows(name: str, data: bytes) -> list[list[Any]]:
    suffix = Path(name).suffix.lower()
    if suffix not in SHEET_SUFFIXES:
        raise SheetProblem(f"tệp `{name}` không phải bảng tính; chỉ nhận .xlsx, .xls, .ods, .csv")
    if suffix == ".csv":
        return _csv_rows(data)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError, IndexError) as error:
        raise SheetProblem(f"không đọc được `{name}` ({type(error).__name__}); hãy mở bằng Excel và lưu lại "
                           f"dạng .xlsx") from None
    return rows


def _csv_rows(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "utf-16") if not data.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-16",):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = data.decode("cp1258", errors="replace")  # old Vietnamese Windows files
    # Excel in a Vietnamese locale separates with ";", elsewhere with ","; "Unicode text" with tabs:
    # the separator is the one a header line has most of.
    lines = text.splitlines()[:20]
    delimiter = max(";,\t", key=lambda mark: max((line.count(mark) for line in lines), default=0))
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def guess_columns(rows: list[list[Any]]) -> tuple[int, dict[str, int]]:
    """(index of the header row, {role: column}) from the Vietnamese headers."""
    best = (-1, {})
    for index, row in enumerate(rows[:HEADER_ROWS]):
        headers = [fold(_cell(value)).replace("\n", " ") for value in row]
        found: dict[str, int] = {}
        for role, words in HEADER_WORDS.items():
            for word in words:
                column = next((c for c, h in enumerate(headers) if c not in found.values() and
                               (h == word or (len(word) > 3 and word in h))), None)
                if column is not None:
                    found[role] = column
                    break
        if "name" in found and len(found) > len(best[1]):
            best = (index, found)
    return best


def _number(text: str, whole: bool = False) -> float | None:
    """A number from a cell; for a count (whole), 52.614 and 52,614 are fifty-two thousand."""
    text = text.replace("%", "").replace(" ", "")
    if whole and re.fullmatch(r"[1-9]\d{0,2}([.,]\d{3})+", text):
        return float(re.sub(r"[.,]", "", text))
    text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def people_from(rows: list[list[Any]], header: int, columns: dict[str, int]) -> tuple[list[dict], list[str]]:
    """The people in the rows under the header, and a note for each row left out."""
    if "name" not in columns:
        raise SheetProblem("không thấy cột họ tên; hãy chọn cột nào là “Họ và tên”")
    people, skipped = [], []
    raw_percents = []
    for number, row in enumerate(rows[header + 1:], start=header + 2):
        cells = [_cell(v) for v in row]

        def get(role: str) -> str:
            column = columns.get(role)
            return cells[column] if column is not None and column < len(cells) else ""

        name = get("name")
        if not name:
            continue
        if fold(name).startswith(("tong", "cong", "danh sach co")) or not re.search(r"\w", name):
            skipped.append(f"dòng {number}: “{name}” không phải tên người, đã bỏ")
            continue
        person = {"name": name}
        position = ", ".join(part for part in (get("position"), get("workplace")) if part)
        if position:
            person["position"] = position
        votes = _number(get("votes"), whole=True) if get("votes") else None
        if votes is not None:
            person["votes"] = int(votes)
        percent = _number(get("percent")) if get("percent") else None
        if percent is not None:
            person["percent"] = percent
            raw_percents.append(percent)
        people.append(person)
    if raw_percents and max(raw_percents) <= 1:  # Excel's percent cells hold 0.795 for 79,5%
        for person in people:
            if "percent" in person:
                person["percent"] = round(person["percent"] * 100, 2)
    return people, skipped


def official_order(people: list[dict]) -> list[dict]:
    return sorted(people, key=lambda person: name_sort_key(person["name"]))


# ------------------------------------------------------------------ pages


def _kept(request: Request, token: str) -> Path:
    if not re.fullmatch(r"[\w-]+", token):
        raise HTTPException(404, "Không có bảng tính này.")
    path = console_of(request).state / "imports" / f"{token}.json"
    if not path.is_file():
        raise HTTPException(404, "Bảng tính này không còn; hãy tải lên lần nữa.")
    return path


async def import_page(request: Request, status: int = 200, problem: str | None = None) -> Response:
    user_of(request)
    return render(request, "import.html", status, problem=problem, step="upload")


async def import_upload(request: Request) -> Response:
    user_of(request)
    check_csrf(request, request.query_params.get("csrf"))
    declared = request.headers.get("content-length")
    too_large = f"Bảng tính quá lớn: tối đa {MAX_SHEET // (1 << 20)} MB."
    if declared and declared.isdigit() and int(declared) > MAX_SHEET:
        return _closing(await import_page(request, 413, too_large))
    limited = Request(request.scope, limited_receive(request.receive, MAX_SHEET))
    try:
        form = await limited.form(max_files=1, max_fields=4)
    except TooLarge:
        return _closing(await import_page(request, 413, too_large))
    sent = form.get("file")
    if sent is None or isinstance(sent, str) or not sent.filename:
        return await import_page(request, 400, "Chưa chọn tệp nào.")
    try:
        rows = read_rows(sent.filename, await sent.read())
    except SheetProblem as problem:
        return await import_page(request, 422, f"Chưa nhập được: {problem}.")
    finally:
        await sent.close()
    header, columns = guess_columns(rows)
    if header < 0:
        header, columns = 0, {}
    token = secrets.token_urlsafe(12)
    folder = console_of(request).state / "imports"
    folder.mkdir(exist_ok=True)
    cells = [[_cell(v) for v in row] for row in rows[:5000]]
    (folder / f"{token}.json").write_text(json.dumps(
        {"file": Path(sent.filename).name, "rows": cells, "header": header, "columns": columns},
        ensure_ascii=False), encoding="utf-8")
    return go(f"/import/{token}")


def _import_context(kept: dict, form=None) -> dict:
    rows, header = kept["rows"], kept["header"]
    columns = dict(kept["columns"])
    if form is not None:
        columns = {role: int(form.get(f"col.{role}")) for role in COLUMN_ROLES
                   if (form.get(f"col.{role}") or "").lstrip("-").isdigit() and int(form.get(f"col.{role}")) >= 0}
        if (form.get("header") or "").isdigit():
            header = min(int(form["header"]) - 1, max(len(rows) - 1, 0))
    headers = rows[header] if 0 <= header < len(rows) else []
    width = max((len(r) for r in rows), default=0)
    choices = [(c, f"Cột {c + 1}: {headers[c] if c < len(headers) and headers[c] else '(trống)'}") for c in range(width)]
    problem, people, skipped = None, [], []
    try:
        people, skipped = people_from(rows, header, columns)
    except SheetProblem as error:
        problem = str(error)
    if not problem and not people:
        problem = "không thấy tên người nào dưới dòng tiêu đề; hãy kiểm tra dòng tiêu đề và cột họ tên"
    return {"kept": kept, "columns": columns, "header": header, "choices": choices, "column_roles": COLUMN_ROLES,
            "people": official_order(people), "skipped": skipped, "problem": problem,
            "bodies": forms.BODY_CHOICES}


async def import_review(request: Request) -> Response:
    user_of(request)
    kept = json.loads(_kept(request, request.path_params["token"]).read_text(encoding="utf-8"))
    return render(request, "import.html", step="review", token=request.path_params["token"], values={},
                  **_import_context(kept))


async def import_add(request: Request) -> Response:
    user, form = await posted(request)
    token = request.path_params["token"]
    path = _kept(request, token)
    kept = json.loads(path.read_text(encoding="utf-8"))
    context = _import_context(kept, form)
    values = {k: forms.clean(form.get(k)) for k in ("body", "term", "constituency", "title", "note")}
    if form.get("do") != "add" or context["problem"]:
        return render(request, "import.html", step="review", token=token, values=values, **context)
    console = console_of(request)
    current = console.file.read()
    if current.data is None:
        flash(request, "Tệp feed.yaml hiện không đọc được; hãy xem lỗi ở Tổng quan.")
        return go("/")
    data = load_round_trip(current.raw)
    slide = CommentedMap()
    slide["type"] = "delegates"
    for key in ("body", "title", "term", "constituency", "note"):
        if values[key]:
            slide[key] = values[key]
    slide["order"] = "alphabet"
    slide["people"] = CommentedSeq(CommentedMap(person) for person in context["people"])
    data["slides"].append(slide)
    try:
        saved = console.file.save(data, current.token)
    except (Conflict, Refused) as failed:
        reason = ("bản tin vừa được lưu ở nơi khác; hãy bấm Thêm lần nữa" if isinstance(failed, Conflict)
                  else "; ".join(p.message for p in failed.checked.errors[:5]))
        return render(request, "import.html", 422, step="review", token=token, values=values,
                      refused=f"Chưa thêm: {reason}.", **context)
    index = len(data["slides"]) - 1
    console.audit.add(user["name"], "nhập danh sách",
                      f"{len(context['people'])} đại biểu từ {kept['file']} thành trang {index + 1}",
                      saved.data.get("version"), saved.token)
    path.unlink()
    flash(request, f"Đã thêm trang {index + 1}: {len(context['people'])} đại biểu "
                   f"({model.BODIES.get(values['body'], '')}), xếp theo tên như danh sách chính thức.")
    return go(f"/#trang-{index + 1}")


def routes() -> list[Route]:
    return [
        Route("/import", import_page, methods=["GET"]),
        Route("/import", import_upload, methods=["POST"]),
        Route("/import/{token}", import_review, methods=["GET"]),
        Route("/import/{token}", import_add, methods=["POST"]),
    ]
