"""Two people for publishing: an editor sends the draft for approval; an approver sees what
changed since the last publication (slides added, removed, moved, changed, the changed words
marked) and the validator's warnings, and publishes with kiosk.delivery.publish, the office's signing key
unlocked for that one publication by the passphrase the approver types. The audit log says who
did what, when, with the feed's version."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiosk.feed import model
from kiosk.delivery import publish as kiosk_publish
from kiosk.delivery.signing import KeyProblem
from kiosk.delivery.store import atomic_write
from kiosk.feed.yamlsource import load_yaml
from kiosk.words import day_text, os_error_text
from office import forms
from office.previews import preview_context
from office.state import KEY_FILE, PUBLISHED_COPY, StateProblem, delegation_folder, unlock_key
from office.web import console_of, flash, go, posted, render, user_of

ORDER_WORDS = dict(forms.ORDER_CHOICES)


def _plain(raw: bytes | None) -> dict:
    if not raw:
        return {}
    doc, _ = load_yaml(raw, "feed.yaml")
    return doc.data if doc is not None and isinstance(doc.data, dict) else {}


def _lines(value: Any, label: str = "") -> list[str]:
    """A part of the feed as lines of words, the way the approver reads it."""
    prefix = f"{label}: " if label else ""
    if isinstance(value, dict):
        if set(value) <= {"name", "position", "votes", "percent", "photo"} and "name" in value:
            parts = [value[k] for k in ("name", "position") if k in value]
            if "votes" in value:
                parts.append(f"{forms.number_vi(value['votes'])} phiếu")
            if "percent" in value:
                parts.append(f"{forms.number_vi(value['percent'])}%")
            return [prefix + " — ".join(str(part) for part in parts)]
        found = []
        for key, item in value.items():
            if key == "type":
                continue  # said in the change's title
            if key == "body" and item in model.BODIES:
                found.append(f"Cơ quan: {model.BODIES[item]}")
            elif key == "order" and item in ORDER_WORDS:
                found.append(f"Thứ tự: {ORDER_WORDS[item]}")
            else:
                found += _lines(item, "Người" if key == "people" else forms.LABELS.get(key, key))
        return found
    if isinstance(value, list):
        found = []
        for item in value:
            found += _lines(item, label)
        return found
    if isinstance(value, float):
        return [prefix + forms.number_vi(value)]
    return [prefix + forms.shown(value)]


def word_diff(old: str, new: str) -> Markup:
    """The new text with removed words struck out and added words marked."""
    before, after = re.findall(r"\S+|\s+", old), re.findall(r"\S+|\s+", new)
    out = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(after[b1:b2])))
            continue
        if a2 > a1:
            out.append(Markup("<del>%s</del>") % "".join(before[a1:a2]))
            if b2 > b1:
                out.append(Markup(" "))
        if b2 > b1:
            out.append(Markup("<ins>%s</ins>") % "".join(after[b1:b2]))
    return Markup("").join(out)


def line_diff(old: list[str], new: list[str]) -> list[Markup]:
    """Changed lines only, each with its changed words marked; whole lines added or removed too."""
    shown = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and a2 - a1 == b2 - b1:
            shown += [word_diff(o, n) for o, n in zip(old[a1:a2], new[b1:b2])]
            continue
        shown += [Markup("<del>%s</del>") % line for line in old[a1:a2]]
        shown += [Markup("<ins>%s</ins>") % line for line in new[b1:b2]]
    return shown


@dataclass
class Change:
    kind: str  # added, removed, changed, moved
    title: str
    where: str
    lines: list[Markup] = field(default_factory=list)


def _key(slide: dict) -> str:
    return str(slide.get("id") or f"{slide.get('type')}:{forms.slide_title(slide)}")


def changes(old: dict, new: dict) -> list[Change]:
    found = []
    for name, label in (("ward", "Phường"), ("ticker", "Dòng chữ chạy"), ("expires", "Hạn dùng"), ("faq", "Hỏi đáp")):
        before, after = _lines(old.get(name)), _lines(new.get(name))
        if before != after and (old or name != "expires"):
            found.append(Change("changed" if old.get(name) else "added", label, "", line_diff(before, after)))
    old_slides = [s for s in old.get("slides") or [] if isinstance(s, dict)]
    new_slides = [s for s in new.get("slides") or [] if isinstance(s, dict)]
    old_at = {_key(s): (i, s) for i, s in enumerate(old_slides)}
    new_keys = {_key(s) for s in new_slides}
    # Moved: out of order among the slides both versions have (not merely pushed by one added before).
    old_order = [k for k in old_at if k in new_keys]
    new_order = [_key(s) for s in new_slides if _key(s) in old_at]
    matcher = difflib.SequenceMatcher(None, old_order, new_order, autojunk=False)
    in_order = {k for block in matcher.get_matching_blocks() for k in new_order[block.b:block.b + block.size]}
    for index, slide in enumerate(new_slides):
        where = f"trang {index + 1}"
        title = f"{forms.TYPE_NAMES.get(slide.get('type'), slide.get('type'))}: {forms.slide_title(slide)}"
        before = old_at.get(_key(slide))
        if before is None:
            found.append(Change("added", title, where, [Markup("<ins>%s</ins>") % line for line in _lines(slide)]))
            continue
        diff = line_diff(_lines(before[1]), _lines(slide))
        if diff:
            found.append(Change("changed", title, where, diff))
        elif _key(slide) not in in_order:
            found.append(Change("moved", title, f"từ trang {before[0] + 1} sang {where}"))
    for key, (index, slide) in old_at.items():
        if key not in new_keys:
            title = f"{forms.TYPE_NAMES.get(slide.get('type'), slide.get('type'))}: {forms.slide_title(slide)}"
            found.append(Change("removed", title, f"trước là trang {index + 1}"))
    return found


async def review_page(request: Request, status: int = 200, problem: str | None = None) -> Response:
    user_of(request)
    console = console_of(request)
    snapshot = console.file.read()
    published = console.state / PUBLISHED_COPY
    old_raw = published.read_bytes() if published.is_file() else None
    listed = changes(_plain(old_raw), _plain(snapshot.raw)) if snapshot.data is not None else []
    return render(request, "review.html", status, snapshot=snapshot, changes=listed,
                  unchanged=old_raw == snapshot.raw, errors=snapshot.checked.errors,
                  warnings=snapshot.checked.result.warnings, workflow=console.workflow.get(),
                  last=console.audit.last("xuất bản"), problem=problem, key_ready=(console.state / KEY_FILE).is_file(),
                  **(preview_context(request) if snapshot.data is not None else {"views": []}))


async def submit(request: Request) -> Response:
    user, form = await posted(request)
    console = console_of(request)
    snapshot = console.file.read()
    if snapshot.checked.errors:
        return await review_page(request, 422, "Bản tin còn lỗi: hãy sửa ở Tổng quan trước khi gửi duyệt.")
    console.workflow.update(submitted=snapshot.token, submitted_by=user["name"])
    version = snapshot.data.get("version") if isinstance(snapshot.data, dict) else None
    console.audit.add(user["name"], "gửi duyệt", forms.clean(form.get("note")) or "bản nháp", version, snapshot.token)
    flash(request, "Đã gửi duyệt. Người duyệt sẽ xem và xuất bản.")
    return go("/review")


async def publish(request: Request) -> Response:
    user, form = await posted(request, role="approver")
    console = console_of(request)
    snapshot = console.file.read()
    if snapshot.token != form.get("token"):
        return await review_page(request, 409, "Bản tin vừa thay đổi trong lúc bạn xem; hãy xem lại các thay đổi "
                                               "dưới đây rồi xuất bản.")
    passphrase = form.get("passphrase") or ""
    try:
        key = unlock_key(console.state, passphrase)
        done = await run_in_threadpool(kiosk_publish.publish, console.feed, console.out, key,
                                       key_folder=delegation_folder(console.state))
    except (StateProblem, KeyProblem) as problem:
        return await review_page(request, 422, str(problem))
    except kiosk_publish.PublishRefused as refused:
        return await review_page(request, 422, "Chưa xuất bản: " + "; ".join(refused.lines))
    except OSError as error:
        return await review_page(request, 500, f"Không ghi được vào thư mục xuất bản: {os_error_text(error)}")
    finally:
        key = passphrase = None  # the key lives for this one publication only
    atomic_write(console.state / PUBLISHED_COPY, snapshot.raw, mode=0o600)
    console.workflow.update(published=snapshot.token, published_version=done.version, submitted=None, baseline=False)
    console.audit.add(user["name"], "xuất bản", f"{done.media_files} tệp ảnh, video vào {done.out}",
                      done.version, snapshot.token)
    told = await run_in_threadpool(console.fleet.announce, done.version)
    flash(request, f"Đã xuất bản phiên bản {done.version}, dùng đến hết ngày {day_text(done.last_day)}. {told}")
    return go("/review")


async def audit_page(request: Request) -> Response:
    user_of(request)
    console = console_of(request)
    return render(request, "audit.html", entries=list(reversed(console.audit.entries()))[:500],
                  log_file=console.audit.path)


def routes() -> list[Route]:
    return [
        Route("/review", review_page, methods=["GET"]),
        Route("/review/submit", submit, methods=["POST"]),
        Route("/review/publish", publish, methods=["POST"]),
        Route("/audit", audit_page, methods=["GET"]),
    ]
