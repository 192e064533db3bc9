"""The fleet in the console: every display's state with its last screenshot and the two buttons
(sync now, take a screenshot), and the residents' interest report with its charts and CSV.

What is shown comes from the office's store (the file `kiosk fleet listen` fills); the buttons go
through the console's one connection to the ward's broker, opened when first needed and kept, with
the same OfficeLink as `kiosk fleet`. The queries are kiosk.fleet.office's, shared with the CLI."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiosk.fleet import topics
from kiosk.fleet.office import InterestReport, hanoi_time, interest_between, parse_day, write_interest_csv
from kiosk.ops.stats import in_order
from office.fleet_link import CONNECT_WAIT, FleetOffice, sentence
from office.web import console_of, flash, go, posted, render, user_of

CHART_ROWS = 10  # bars in a chart; the table beside it has more, the CSV has all
TABLE_ROWS = 50


def _fleet(request: Request) -> FleetOffice:
    return console_of(request).fleet


# ------------------------------------------------------------------ the fleet page


def _ago(iso: str | None) -> str:
    """How long ago, in words a clerk reads at a glance."""
    try:
        seconds = (datetime.now(timezone.utc) - datetime.fromisoformat(iso)).total_seconds()
    except (TypeError, ValueError):
        return ""
    if seconds < 90:
        return "vừa xong"
    for size, unit in ((86400, "ngày"), (3600, "giờ"), (60, "phút")):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} trước"
    return ""


def _display_view(row) -> dict:
    status = row.status if isinstance(row.status, dict) else {}
    warnings = status.get("warnings") if isinstance(status.get("warnings"), list) else []
    version = status.get("feed_version")
    return {"id": row.display, "online": row.online, "since": hanoi_time(row.since) if row.since else "",
            "since_ago": _ago(row.since), "version": version if topics.whole_number(version) else None,
            "last_sync": hanoi_time(status.get("last_sync")), "last_sync_ago": _ago(status.get("last_sync")),
            "last_error": str(status.get("last_error") or ""), "warnings": [str(w) for w in warnings],
            "tags": [str(t) for t in status.get("tags") or [] if isinstance(t, str)],
            "mode": str(status.get("mode") or ""), "app_version": str(status.get("app_version") or ""),
            "screenshot_at": hanoi_time(row.screenshot_at) if row.screenshot_at else "",
            "screenshot_ago": _ago(row.screenshot_at), "screenshot_url": f"/fleet/screenshot?display={quote(row.display)}"}


async def fleet_page(request: Request) -> Response:
    user_of(request)
    fleet = _fleet(request)
    link, problem = await run_in_threadpool(fleet.connected, 1.0)
    rows = await run_in_threadpool(fleet.store.displays)
    # The ones that need someone first: offline, then those with an error or a warning.
    displays = sorted((_display_view(row) for row in rows),
                      key=lambda d: (d["online"], not (d["last_error"] or d["warnings"]), d["id"]))
    return render(request, "fleet.html", displays=displays, broker=fleet.account.url if link else None,
                  broker_problem=problem, online=sum(d["online"] for d in displays))


async def fleet_command(request: Request) -> Response:
    _, form = await posted(request)
    fleet = _fleet(request)
    command, display = form.get("command"), str(form.get("display") or "")
    known = {row.display for row in await run_in_threadpool(fleet.store.displays)}
    if command not in (topics.SYNC_NOW, topics.TAKE_SCREENSHOT) or not (
            display in known or display == topics.ALL and command == topics.SYNC_NOW):
        raise HTTPException(400, "Không có màn hình này, hoặc nút không đúng (có thể màn hình vừa bị xóa khỏi danh sách).")
    link, problem = await run_in_threadpool(fleet.connected, CONNECT_WAIT)
    if link is None:
        flash(request, f"Chưa gửi được yêu cầu. {problem}")
        return go("/fleet")
    if command == topics.SYNC_NOW:
        await run_in_threadpool(link.command, display, topics.SYNC_NOW)
        flash(request, "Đã yêu cầu " + ("mọi màn hình" if display == topics.ALL else f"màn hình {display}")
              + " đồng bộ ngay. Phiên bản mới hiện ở đây sau ít giây.")
        return go("/fleet")
    answer = await run_in_threadpool(link.screenshot, display)
    flash(request, answer.said())
    return go("/fleet")


async def fleet_screenshot(request: Request) -> Response:
    user_of(request)
    shot = await run_in_threadpool(_fleet(request).store.screenshot, request.query_params.get("display", ""))
    if shot is None or not shot[0].startswith(b"\xff\xd8\xff"):  # only ever sent as a JPEG: anything else is not shown
        raise HTTPException(404, "Chưa có ảnh chụp của màn hình này.")
    return Response(shot[0], media_type="image/jpeg", headers={"Cache-Control": "no-store"})


# ------------------------------------------------------------------ the residents' interest report


def _filters(request: Request) -> tuple[dict, list[str], date | None, date | None]:
    """What the filter form says, the problems with it in words, and the days it means."""
    asked = {name: (request.query_params.get(name) or "").strip() for name in ("display", "from", "to")}
    problems, days = [], []
    for name, label in (("from", "Từ ngày"), ("to", "Đến ngày")):
        try:
            days.append(parse_day(asked[name]) if asked[name] else None)
        except ValueError as problem:
            problems.append(f"{label}: {sentence(str(problem))}")
            days.append(None)
    return asked, problems, days[0], days[1]


def _bars(counts, shown=str, limit: int = CHART_ROWS) -> list[tuple[str, int]]:
    return [(shown(item), count) for item, count in counts.most_common(limit)]


def _feed_names(request: Request) -> tuple[dict[str, str], list[str]]:
    """From the feed as it is now: slide id -> its title (a slide shown once may since be gone), and
    the "Góp ý" faces in their order (none when the feed's feedback section does not read)."""
    from pydantic import ValidationError

    from kiosk.feed.model import Feedback
    from office.forms import slide_title

    data = console_of(request).file.read().data
    data = data if isinstance(data, dict) else {}
    slides = data.get("slides")
    titles = {str(slide["id"]): slide_title(slide) for slide in slides if isinstance(slide, dict) and slide.get("id")} \
        if isinstance(slides, list) else {}
    try:
        faces = Feedback.model_validate(data.get("feedback") or {}).rating.faces
    except ValidationError:
        faces = []
    return titles, faces


def _sections(report: InterestReport, titles: dict[str, str], faces: list[str]) -> list[dict]:
    """Each part of the report: a title, what it counts, the chart's rows and the table's."""
    question = " › ".join

    def slide(name: str) -> str:
        return f"{titles[name]} ({name})" if name in titles else name

    sections = [
        {"key": "chu-de", "title": "Chủ đề hỏi đáp được mở nhiều nhất", "what": "Chủ đề", "unit": "lượt mở",
         "chart": _bars(report.topics), "table": _bars(report.topics, limit=TABLE_ROWS), "more": len(report.topics)},
        {"key": "cau-hoi", "title": "Câu hỏi được mở nhiều nhất", "what": "Chủ đề › câu hỏi", "unit": "lượt mở",
         "chart": _bars(report.questions, question), "table": _bars(report.questions, question, TABLE_ROWS),
         "more": len(report.questions)},
        {"key": "khong-thay", "title": "Bà con tìm mà không thấy", "what": "Chữ đã tìm", "unit": "lượt tìm",
         "chart": _bars(report.not_found), "table": _bars(report.not_found, limit=TABLE_ROWS),
         "more": len(report.not_found), "write_faq": True},
        {"key": "nut", "title": "Các nút bà con bấm trên màn hình chính", "what": "Nút", "unit": "lượt bấm",
         "chart": _bars(report.menu), "table": _bars(report.menu, limit=TABLE_ROWS), "more": len(report.menu)},
        {"key": "giup-ich", "title": "Góp ý: thông tin ở đây có giúp ích cho bà con không?", "what": "Bà con chọn",
         "unit": "người chọn", "more": len(report.helpful),
         **dict.fromkeys(("chart", "table"), in_order(report.helpful, faces) if report.helpful else [])},
        {"key": "muon-biet", "title": "Góp ý: bà con muốn biết thêm về", "what": "Chủ đề", "unit": "người chọn",
         "chart": _bars(report.wanted), "table": _bars(report.wanted, limit=TABLE_ROWS), "more": len(report.wanted)},
    ]
    for display, plays in sorted(report.plays.items()):
        if plays:
            sections.append({"key": f"chieu-{display}", "title": f"Lượt chiếu từng trang, màn hình {display}",
                             "what": "Trang chiếu", "unit": "lượt chiếu", "chart": _bars(plays, slide),
                             "table": _bars(plays, slide, TABLE_ROWS), "more": len(plays)})
    return sections


async def _report_or_problems(request: Request):
    user_of(request)
    store = _fleet(request).store
    asked, problems, first, last = _filters(request)
    report = None
    if not problems:
        try:
            report = await run_in_threadpool(interest_between, store, asked["display"], first, last)
        except ValueError as problem:
            problems.append(sentence(str(problem)))
    return store, asked, problems, report, first, last


def _date(day: str) -> date | str:
    try:
        return date.fromisoformat(day)
    except ValueError:
        return day


async def interest_page(request: Request) -> Response:
    store, asked, problems, report, first, last = await _report_or_problems(request)
    known = sorted({row.display for row in await run_in_threadpool(store.displays)}
                   | set(report.displays if report else []))
    if problems:
        return render(request, "interest.html", 400, asked=asked, problems=problems, known=known, report=None)
    query = "&".join(f"{k}={quote(v)}" for k, v in asked.items() if v)
    return render(request, "interest.html", asked=asked, problems=[], known=known, report=report,
                  sections=_sections(report, *await run_in_threadpool(_feed_names, request)), not_found_count=sum(report.not_found.values()),
                  first_day=_date(report.days[0]) if report.days else None,
                  last_day=_date(report.days[-1]) if report.days else None,
                  csv_url="/interest.csv" + (f"?{query}" if query else ""))


async def interest_csv(request: Request) -> Response:
    _, asked, problems, report, first, last = await _report_or_problems(request)
    if problems:
        return render(request, "interest.html", 400, asked=asked, problems=problems, known=[], report=None)
    sink = io.StringIO(newline="")
    write_interest_csv(report, sink)
    name = "-".join(["quan-tam", *(day.isoformat() for day in (first, last) if day)]) + ".csv"
    return Response(sink.getvalue().encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def routes() -> list[Route]:
    return [
        Route("/fleet", fleet_page, methods=["GET"]),
        Route("/fleet/command", fleet_command, methods=["POST"]),
        Route("/fleet/screenshot", fleet_screenshot, methods=["GET"]),
        Route("/interest", interest_page, methods=["GET"]),
        Route("/interest.csv", interest_csv, methods=["GET"]),
    ]
