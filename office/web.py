"""What every page of the console shares: the console's parts, the session and CSRF checks, and
rendering (Jinja2, escaped everywhere)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from office import forms
from office.feedfile import FeedFile
from office.fleet_link import FleetOffice
from kiosk.delivery.store import atomic_write
from office.state import PUBLISHED_COPY, ROLES, Audit, Throttle, Users, Workflow, check_apart

HERE = Path(__file__).resolve().parent
MAX_FIELDS = 60_000  # a list of 10,000 delegates has four fields a person


@dataclass
class Console:
    feed: Path
    out: Path
    state: Path
    secure_cookies: bool = False
    hasher: PasswordHasher | None = None  # argon2's defaults unless given (tests use cheaper settings)
    fleet: Any = None  # FleetOffice: the displays' store and broker; by default a store in `state`

    def __post_init__(self):
        self.feed, self.out, self.state = Path(self.feed), Path(self.out), Path(self.state)
        check_apart(self.state, self.feed, self.out)
        self.state.mkdir(parents=True, exist_ok=True)
        self.file = FeedFile(self.feed)
        self.users = Users(self.state, self.hasher)
        self.throttle = Throttle()
        self.audit = Audit(self.state)
        self.workflow = Workflow(self.state)
        if self.fleet is None:
            self.fleet = FleetOffice(self.state / "fleet.sqlite")
        self._keep_baseline()
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                                     autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
        self.templates.globals.update(roles=ROLES, type_names=forms.TYPE_NAMES)
        self.templates.filters.update(shown=forms.shown, moment=forms.moment_parts, day=forms.shown_day, number=forms.number_vi)


    def _keep_baseline(self) -> None:
        """Before the first publication from the console, "what changed" is measured from the feed as
        it was when the console was first started on it."""
        copy = self.state / PUBLISHED_COPY
        if not copy.exists() and self.file.path.is_file():
            atomic_write(copy, self.file.path.read_bytes(), mode=0o600)
            self.workflow.update(baseline=True)


class NeedLogin(Exception):
    """No session: GET goes to the login page, a form posted keeps its typed text."""


def console_of(request: Request) -> Console:
    return request.app.state.console


def user_of(request: Request, role: str | None = None) -> dict:
    user = request.session.get("user")
    known = console_of(request).users.all().get(user.get("name")) if user else None
    if not known:  # signed out, or the account was removed since
        raise NeedLogin()
    user["role"] = known["role"]  # a role changed since the login counts at once
    if role and user.get("role") != role:
        raise HTTPException(403, "Chỉ người duyệt được làm việc này.")
    return user


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return token


def check_csrf(request: Request, sent: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise HTTPException(403, "Biểu mẫu đã cũ hoặc không gửi từ trang này (thiếu mã chống giả mạo). "
                                 "Hãy tải lại trang rồi làm lại.")


async def posted(request: Request, role: str | None = None) -> tuple[dict, FormData]:
    """The signed-in user and the posted form, after the session and CSRF checks."""
    form = await request.form(max_fields=MAX_FIELDS)
    try:
        user = user_of(request, role)
    except NeedLogin:
        request.state.kept_form = form
        raise
    check_csrf(request, form.get("csrf"))
    return user, form


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    console = console_of(request)
    context.setdefault("user", request.session.get("user"))
    context["csrf"] = csrf_token(request)
    context["flash"] = request.session.pop("flash", None)
    context["path"] = request.url.path
    html = console.templates.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def flash(request: Request, text: str, undo: str | None = None) -> None:
    request.session["flash"] = {"text": text, "undo": undo}


def go(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


