"""The editing pages: the overview of the feed, one form per slide, the ward and ticker, the FAQ;
moving, copying and deleting slides (with undo).

Each save applies the form to a fresh round-trip copy of the file as it is now and hands it to
FeedFile.save, which refuses a file changed since the form was opened (Conflict) and a result
the validator finds errors in (Refused). Either way the page comes back with what was typed."""

from __future__ import annotations

import re
import secrets
from typing import Any, Callable

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from kiosk.feed import model
from office import forms
from office.feedfile import Conflict, Refused, Snapshot, check, dump, load_round_trip, merge
from office.web import console_of, flash, go, posted, render, user_of

CONFLICT = ("Trong lúc bạn sửa, bản tin đã được lưu ở nơi khác (một người khác, hoặc tệp được sửa tay). "
            "Chưa lưu gì của bạn. Dưới đây là bản mới cùng chữ bạn gõ; hãy xem lại.")
RESUMED = "Phiên làm việc đã hết hạn trước khi lưu. Chữ bạn gõ vẫn ở dưới đây: hãy xem lại rồi bấm Lưu."


def _snapshot(request: Request) -> Snapshot:
    snapshot = console_of(request).file.read()
    return snapshot


def _feed_summary(snapshot: Snapshot) -> dict:
    data = snapshot.data if isinstance(snapshot.data, dict) else {}
    return {"version": data.get("version"), "expires": data.get("expires"),
            "ward": (data.get("ward") or {}).get("name") if isinstance(data.get("ward"), dict) else None}


def _slides(data: Any) -> list:
    slides = data.get("slides") if isinstance(data, dict) else None
    return slides if isinstance(slides, list) else []


def _elsewhere(errors: dict, prefixes: tuple[str, ...]) -> list:
    """Problems not on this page, each with the page that can fix it."""
    found = []
    for path, problems in errors.items():
        if path.startswith(prefixes) or path in {p.rstrip(".") for p in prefixes}:
            continue
        found += [(page_for(path), problem) for problem in problems if not problem.warning]
    return found


def page_for(path: str) -> str:
    """The page that can fix what is at this data path, with the field's own anchor."""
    match = re.match(r"slides\.(\d+)\.?(.*)", path)
    if match:
        return f"/slides/{match[1]}" + (f"#o-{match[2].replace('.', '-')}" if match[2] else "")
    anchor = f"#o-{path.replace('.', '-')}" if path else ""
    if path.startswith(("ward", "ticker", "expires")):
        return "/ward" + anchor
    if path.startswith("faq"):
        return "/faq" + anchor
    return "/"


# ------------------------------------------------------------------ overview


async def overview(request: Request) -> Response:
    user_of(request)
    console = console_of(request)
    snapshot = _snapshot(request)
    errors = snapshot.checked.by_path()
    slides = []
    for index, slide in enumerate(_slides(snapshot.data)):
        if not isinstance(slide, dict):
            continue
        own = [p for path, ps in errors.items() if path == f"slides.{index}" or path.startswith(f"slides.{index}.")
               for p in ps]
        slides.append({"index": index, "type": slide.get("type"), "title": forms.slide_title(slide),
                       "when": forms.schedule_summary(slide), "urgent": bool(slide.get("urgent")),
                       "errors": [p for p in own if not p.warning], "warnings": [p for p in own if p.warning]})
    problems = [(page_for(path), p) for path, ps in errors.items() for p in ps]
    return render(request, "overview.html", snapshot=snapshot, summary=_feed_summary(snapshot), slides=slides,
                  problems=problems, readable=snapshot.data is not None,
                  workflow=console.workflow.get(), slide_types=forms.TYPE_NAMES)


async def changed_on_disk(request: Request) -> Response:
    """For htmx, every few seconds on an open form: has the file changed since the form was made?"""
    user_of(request)
    if console_of(request).file.token() == request.query_params.get("base"):
        return HTMLResponse("")
    return HTMLResponse(
        "<p class='notice warn' role='alert'>Tệp bản tin vừa được lưu ở nơi khác. "
        "<a href=''>Tải lại</a> để xem bản mới "
        "(chữ đang gõ ở trang này sẽ mất), hoặc Lưu: bạn sẽ được hỏi lại trước khi ghi.</p>")


# ------------------------------------------------------------------ the three kinds of form


def _slide_context(data: Any, index: int) -> dict:
    slides = _slides(data)
    if not 0 <= index < len(slides) or not isinstance(slides[index], dict):
        raise HTTPException(404, "Không có trang chiếu này (có thể vừa bị xóa).")
    slide = slides[index]
    kind = slide.get("type")
    if kind not in forms.SLIDE_MODELS:
        raise HTTPException(409, f"Trang thứ {index + 1} có loại `{kind}` mà biểu mẫu không biết; "
                                 f"hãy sửa tay tệp feed.yaml.")
    people = slide.get("people") if isinstance(slide.get("people"), list) else []
    return {"slide": slide, "index": index, "kind": kind, "prefix": f"slides.{index}.",
            "content": forms.slide_fields(kind, forms.CONTENT_FIELDS[kind]),
            "schedule": forms.slide_fields(kind, forms.SCHEDULE_FIELDS),
            "person_fields": forms.person_fields(kind) if kind in forms.PERSON_FIELDS else [],
            "people": list(people) + [{}] * forms.SPARE_ROWS, "weekdays": model.WEEKDAYS}


def _apply_slide(form, data: Any, index: int) -> None:
    slides = _slides(data)
    if not 0 <= index < len(slides) or slides[index].get("type") != form.get("slide_type"):
        raise HTTPException(409, "Trang chiếu này vừa bị xóa hoặc di chuyển ở nơi khác. Hãy mở lại từ Tổng quan.")
    slide = slides[index]
    kind = slide["type"]
    forms.apply_fields(form, "", slide, forms.slide_fields(kind, forms.CONTENT_FIELDS[kind]), kind)
    forms.apply_fields(form, "", slide, forms.slide_fields(kind, forms.SCHEDULE_FIELDS), kind)


WARD_FIELDS = [forms.Field("name", "text", "Tên phường", model.Ward.model_fields["name"].description, True),
               forms.Field("city", "text", "Tỉnh, thành phố", model.Ward.model_fields["city"].description, False),
               forms.Field("logo", "media", "Biểu trưng", model.Ward.model_fields["logo"].description, False)]
LINK_FIELDS = [forms.Field("label", "text", forms.LABELS["label"], model.Link.model_fields["label"].description, True),
               forms.Field("url", "text", forms.LABELS["url"], model.Link.model_fields["url"].description, True)]


def _ward_context(data: Any) -> dict:
    ward = data.get("ward") if isinstance(data.get("ward"), dict) else {}
    links = ward.get("links") if isinstance(ward.get("links"), list) else []
    return {"ward": ward, "links": list(links) + [{}] * forms.SPARE_ROWS, "ticker": data.get("ticker") or [],
            "expires": data.get("expires"), "ward_fields": WARD_FIELDS, "link_fields": LINK_FIELDS,
            "help": {"ticker": model.Feed.model_fields["ticker"].description,
                     "expires": model.Feed.model_fields["expires"].description,
                     "website": model.Ward.model_fields["website"].description,
                     "links": model.Ward.model_fields["links"].description}}


def _apply_ward(form, data: Any) -> None:
    ward = data.get("ward")
    if not isinstance(ward, dict):
        ward = data["ward"] = CommentedMap()
    forms.apply_fields(form, "ward.", ward, WARD_FIELDS)
    forms.apply_link(form, "ward.", ward, "website", required=True)
    forms.apply_rows(form, "ward.links", ward, "links", LINK_FIELDS)
    if not ward.get("links"):
        ward.pop("links", None)
    forms.put(data, "ticker", forms.value_from(form, "", forms.Field("ticker", "lines", "", "", False),
                                                data.get("ticker")), False)
    forms.put(data, "expires", forms.value_from(form, "", forms.Field("expires", "date", "", "", True),
                                                 data.get("expires")), True)


QUESTION_FIELDS = [
    forms.Field("question", "text", "Câu hỏi", model.Question.model_fields["question"].description, True),
    forms.Field("answer", "textarea", "Câu trả lời", model.Question.model_fields["answer"].description, True),
]


def _faq_context(data: Any) -> dict:
    topics = data.get("faq") if isinstance(data.get("faq"), list) else []
    shown = []
    for topic in list(topics) + [{}]:
        questions = topic.get("questions") if isinstance(topic, dict) and isinstance(topic.get("questions"), list) else []
        shown.append({"topic": topic.get("topic", "") if isinstance(topic, dict) else "",
                      "questions": list(questions) + [{}]})
    return {"topics": shown, "question_fields": QUESTION_FIELDS, "link_fields": LINK_FIELDS,
            "topic_help": model.Topic.model_fields["topic"].description}


def _apply_faq(form, data: Any) -> None:
    old = data.get("faq") if isinstance(data.get("faq"), list) else []
    topics = CommentedSeq()
    for t in range(forms.row_count(form, "faq")):
        prefix = f"faq.{t}."
        topic = old[t] if t < len(old) and isinstance(old[t], dict) else CommentedMap()
        name = forms.clean(form.get(prefix + "topic"))
        old_questions = topic.get("questions") if isinstance(topic.get("questions"), list) else []
        questions = CommentedSeq()
        for q in range(forms.row_count(form, prefix + "questions")):
            row = f"{prefix}questions.{q}."
            if not any(forms.clean(form.get(row + k)) for k in ("question", "answer", "link.label", "link.url")):
                continue
            item = old_questions[q] if q < len(old_questions) and isinstance(old_questions[q], dict) else CommentedMap()
            forms.apply_fields(form, row, item, QUESTION_FIELDS)
            forms.apply_link(form, row, item, "link")
            questions.append(item)
        if not name and not questions:
            continue
        forms.put(topic, "topic", name, True)
        topic["questions"] = questions
        topics.append(topic)
    forms.put(data, "faq", topics if topics else None, False)


def _slide_page(request, data, token, index, **extra):
    return render(request, "slide.html", base=token, media=_media_names(request),
                  **_slide_context(data, index), **extra)


def _ward_page(request, data, token, **extra):
    return render(request, "ward.html", base=token, media=_media_names(request), prefix="", **_ward_context(data),
                  **extra)


def _faq_page(request, data, token, asked: str = "", **extra):
    context = _faq_context(data)
    if asked:
        context["topics"][-1]["questions"][0] = {"question": asked}
    return render(request, "faq.html", base=token, prefix="", asked=asked, **context, **extra)


def _media_names(request: Request) -> list[str]:
    from office.media import media_names  # the media page's own module, for the pickers
    return media_names(console_of(request).feed)


def _page_errors(errors: dict, prefixes: tuple[str, ...]) -> dict:
    here = [("#" + page_for(path).partition("#")[2], problem) for path, problems in errors.items()
            if path.startswith(prefixes) or path in {p.rstrip(".") for p in prefixes}
            for problem in problems if not problem.warning]
    return {"errors": errors, "elsewhere": _elsewhere(errors, prefixes), "here": here}


async def _edit(request: Request, form, apply: Callable, page: Callable, prefixes: tuple[str, ...],
                what: Callable[[Any], str], *, save: bool = True, **where) -> Response:
    console = console_of(request)
    current = _snapshot(request)
    if current.data is None:
        flash(request, "Tệp feed.yaml hiện không đọc được; hãy xem lỗi ở Tổng quan.")
        return go("/")
    data = load_round_trip(current.raw)
    apply(form, data, **where)
    base = form.get("base") or ""
    if not save:
        return page(request, data, current.token, notice=RESUMED, **where, **_page_errors({}, prefixes))
    if form.get("check"):  # htmx, as staff type: what the validator would say, nothing saved
        checked = await run_in_threadpool(check, dump(data), console.feed)
        return render(request, "check_part.html", **_page_errors(checked.by_path(), prefixes))
    try:
        saved = await run_in_threadpool(console.file.save, data, base)  # validation off the event loop
    except Conflict:
        base_data = console.file.version(base)
        if base_data is not None:  # their changes and mine together, to look at before saving
            mine = load_round_trip(dump(base_data))
            try:
                apply(form, mine, **where)
                data = merge(base_data, mine, load_round_trip(current.raw))
            except HTTPException:
                pass
        return page(request, data, current.token, conflict=CONFLICT, status=409, **where,
                    **_page_errors({}, prefixes))
    except Refused as refused:
        errors = refused.checked.by_path()
        count = len(refused.checked.errors)
        return page(request, data, base, refused=f"Chưa lưu: bản tin còn {count} lỗi, ghi ngay cạnh ô cần sửa.",
                    status=422, **where, **_page_errors(errors, prefixes))
    user = request.session["user"]["name"]
    console.audit.add(user, "sửa", what(data), _version(saved), saved.token)
    flash(request, f"Đã lưu: {what(data)}.")
    return go("/")


def _version(snapshot: Snapshot) -> int | None:
    return snapshot.data.get("version") if isinstance(snapshot.data, dict) else None


def _index(request: Request) -> int:
    try:
        return int(request.path_params["index"])
    except ValueError:
        raise HTTPException(404, "Không có trang chiếu này.") from None


async def slide_page(request: Request) -> Response:
    user_of(request)
    snapshot = _snapshot(request)
    if snapshot.data is None:
        return go("/")
    index = _index(request)
    return _slide_page(request, snapshot.data, snapshot.token, index,
                       **_page_errors(snapshot.checked.by_path(), (f"slides.{index}.",)))


def _slide_what(index: int):
    return lambda data: f"trang {index + 1} ({forms.slide_title(_slides(data)[index])})"


async def slide_save(request: Request) -> Response:
    _, form = await posted(request)
    index = _index(request)
    return await _edit(request, form, _apply_slide, _slide_page, (f"slides.{index}.",), _slide_what(index),
                       index=index)


async def pick_new_slide(request: Request) -> Response:
    """The overview's "add" form, which works without JavaScript."""
    user_of(request)
    return go(f"/slides/new/{request.query_params.get('kind', 'text')}")


async def new_slide(request: Request) -> Response:
    """A new slide of a type: the form comes empty; the slide joins the feed only when saved valid."""
    user_of(request)
    kind = request.path_params["kind"]
    if kind not in forms.SLIDE_MODELS:
        raise HTTPException(404, "Không có loại trang này.")
    snapshot = _snapshot(request)
    if snapshot.data is None:
        return go("/")
    data = load_round_trip(snapshot.raw)
    _slides(data).append(forms.new_slide(kind))
    index = len(_slides(data)) - 1
    return _slide_page(request, data, snapshot.token, index, new=True, **_page_errors({}, (f"slides.{index}.",)))


async def new_slide_save(request: Request) -> Response:
    _, form = await posted(request)
    kind = request.path_params["kind"]
    if kind not in forms.SLIDE_MODELS:
        raise HTTPException(404, "Không có loại trang này.")
    return await _new_slide(request, form, kind)


async def _new_slide(request, form, kind, save=True):
    def apply(form, data, index):
        _slides(data).append(forms.new_slide(kind))
        _apply_slide(form, data, index)

    index = len(_slides(_snapshot(request).data))
    return await _edit(request, form, apply, lambda *a, **k: _slide_page(*a, new=True, **k),
                       (f"slides.{index}.",), _slide_what(index), save=save, index=index)


async def ward_page(request: Request) -> Response:
    user_of(request)
    snapshot = _snapshot(request)
    if snapshot.data is None:
        return go("/")
    return _ward_page(request, snapshot.data, snapshot.token,
                      **_page_errors(snapshot.checked.by_path(), ("ward", "ticker", "expires")))


async def ward_save(request: Request) -> Response:
    _, form = await posted(request)
    return await _edit(request, form, _apply_ward, _ward_page, ("ward", "ticker", "expires"),
                       lambda data: "phường, dòng chữ chạy")


async def faq_page(request: Request) -> Response:
    """?hoi=WORDS (from the interest report: what residents searched for and did not find) fills
    in the new topic's first question with those words."""
    user_of(request)
    snapshot = _snapshot(request)
    if snapshot.data is None:
        return go("/")
    asked = forms.clean(request.query_params.get("hoi"))[:200]
    return _faq_page(request, snapshot.data, snapshot.token, asked,
                     **_page_errors(snapshot.checked.by_path(), ("faq",)))


async def faq_save(request: Request) -> Response:
    _, form = await posted(request)
    return await _edit(request, form, _apply_faq, _faq_page, ("faq",), lambda data: "hỏi đáp")


async def resume(request: Request, path: str, form) -> Response:
    """After a new login: the form that was open when the session ended, with its typed text."""
    if match := re.fullmatch(r"/slides/(\d+)", path):
        index = int(match[1])
        return await _edit(request, form, _apply_slide, _slide_page, (f"slides.{index}.",), _slide_what(index),
                           save=False, index=index)
    if match := re.fullmatch(r"/slides/new/(\w+)", path):
        if match[1] in forms.SLIDE_MODELS:
            return await _new_slide(request, form, match[1], save=False)
    if path == "/ward":
        return await _edit(request, form, _apply_ward, _ward_page, ("ward",), str, save=False)
    if path == "/faq":
        return await _edit(request, form, _apply_faq, _faq_page, ("faq",), str, save=False)
    flash(request, "Phiên làm việc đã hết hạn trước khi việc vừa rồi được làm; hãy làm lại.")
    return go("/")


# ------------------------------------------------------------------ moving, copying, deleting


def _unique_id(slides, wanted: str) -> str:
    taken = {s.get("id") for s in slides if isinstance(s, dict)}
    candidate, n = f"{wanted}-ban-sao"[:60], 2
    while candidate in taken:
        candidate, n = f"{wanted}-ban-sao-{n}"[:60], n + 1
    return candidate


async def slide_action(request: Request) -> Response:
    user, form = await posted(request)
    console = console_of(request)
    index, action = _index(request), form.get("action")
    current = _snapshot(request)
    if current.data is None:
        return go("/")
    data = load_round_trip(current.raw)
    slides = _slides(data)
    if not 0 <= index < len(slides):
        raise HTTPException(404, "Không có trang chiếu này (có thể vừa bị xóa).")
    title = forms.slide_title(slides[index])
    undo = None
    if action in ("up", "down"):
        target = index - 1 if action == "up" else index + 1
        if not 0 <= target < len(slides):
            return go("/")
        moved = slides[index]
        del slides[index]
        slides.insert(target, moved)
        done = f"đã chuyển “{title}” {'lên' if action == 'up' else 'xuống'} vị trí {target + 1}"
    elif action == "duplicate":
        copy = load_round_trip(dump(slides[index]))
        if copy.get("id"):
            copy["id"] = _unique_id(slides, str(copy["id"]))
        slides.insert(index + 1, copy)
        done = f"đã nhân bản “{title}” thành trang {index + 2}"
    elif action == "delete":
        undo = secrets.token_urlsafe(12)
        trash = console.state / "trash"
        trash.mkdir(exist_ok=True)
        kept = CommentedMap()
        kept["index"] = index
        kept["slide"] = slides[index]
        (trash / f"{undo}.yaml").write_bytes(dump(kept))
        del slides[index]
        done = f"đã xóa “{title}”"
    else:
        raise HTTPException(400, "Không rõ việc cần làm.")
    try:
        saved = console.file.save(data, form.get("base") or "")
    except Conflict:
        flash(request, "Chưa làm: bản tin vừa được lưu ở nơi khác. Danh sách dưới đây là bản mới; hãy làm lại.")
        return go("/")
    except Refused as refused:
        flash(request, "Chưa làm: " + "; ".join(p.message for p in refused.checked.errors[:3]))
        return go("/")
    console.audit.add(user["name"], "sắp xếp" if action in ("up", "down") else
                      {"duplicate": "nhân bản", "delete": "xóa"}[action], title, _version(saved), saved.token)
    flash(request, done[0].upper() + done[1:] + ".", undo=undo)
    return go(f"/#trang-{min(index, len(slides) - 1) + 1}")


async def undo_delete(request: Request) -> Response:
    user, _ = await posted(request)
    console = console_of(request)
    token = request.path_params["token"]
    kept_file = console.state / "trash" / f"{token}.yaml"
    if not re.fullmatch(r"[\w-]+", token) or not kept_file.is_file():
        raise HTTPException(404, "Không còn gì để hoàn tác.")
    kept = load_round_trip(kept_file.read_bytes())
    current = _snapshot(request)
    data = load_round_trip(current.raw)
    slides = _slides(data)
    slides.insert(min(int(kept["index"]), len(slides)), kept["slide"])
    try:
        saved = console.file.save(data, current.token)
    except (Conflict, Refused):
        flash(request, "Chưa hoàn tác được: bản tin vừa thay đổi; hãy thử lại.", undo=token)
        return go("/")
    kept_file.unlink()
    title = forms.slide_title(kept["slide"])
    console.audit.add(user["name"], "hoàn tác", f"khôi phục “{title}”", _version(saved), saved.token)
    flash(request, f"Đã khôi phục “{title}”.")
    return go("/")


def routes() -> list[Route]:
    from office import fleet, media, review, sheets, previews
    return [
        Route("/", overview),
        Route("/changed", changed_on_disk),
        Route("/slides/new", pick_new_slide, methods=["GET"]),
        Route("/slides/new/{kind}", new_slide, methods=["GET"]),
        Route("/slides/new/{kind}", new_slide_save, methods=["POST"]),
        Route("/slides/{index}", slide_page, methods=["GET"]),
        Route("/slides/{index}", slide_save, methods=["POST"]),
        Route("/slides/{index}/action", slide_action, methods=["POST"]),
        Route("/undo/{token}", undo_delete, methods=["POST"]),
        Route("/ward", ward_page, methods=["GET"]),
        Route("/ward", ward_save, methods=["POST"]),
        Route("/faq", faq_page, methods=["GET"]),
        Route("/faq", faq_save, methods=["POST"]),
        *media.routes(), *sheets.routes(), *review.routes(), *previews.routes(), *fleet.routes(),
    ]
