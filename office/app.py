"""The office console: a Starlette app over the feed folder. Pages are rendered on the server;
htmx, vendored, only refreshes small parts (is the file changed on disk, is the preview done).
Every page but the login needs a session; every form carries the session's CSRF token; what an
editor may not do (publish) is refused on the server."""

from __future__ import annotations

from contextlib import asynccontextmanager
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.datastructures import ImmutableMultiDict
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from office import pages
from office.state import session_secret
from office.web import HERE, Console, NeedLogin, check_csrf, console_of, go, posted, render

SESSION_HOURS = 8


def _local(target: str | None) -> str:
    """A path on this site only: the login never sends anyone elsewhere."""
    target = target or "/"
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


async def login_page(request: Request) -> Response:
    return render(request, "login.html", next=request.query_params.get("next", "/"))


async def login(request: Request) -> Response:
    console = console_of(request)
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    name, password = (form.get("name") or "").strip(), form.get("password") or ""
    keys = (f"name:{name.casefold()}", f"ip:{_client(request)}")
    kept = [(k, v) for k, v in form.multi_items() if k.startswith("kept.")]
    wait = console.throttle.wait_for(*keys)
    if wait > 0:
        return render(request, "login.html", 429, name=name, kept=kept, next=form.get("next", "/"),
                      problem=f"Đã nhập sai nhiều lần. Hãy chờ {int(wait) + 1} giây rồi thử lại.")
    role = console.users.check(name, password)
    if role is None:
        console.throttle.missed(*keys)
        return render(request, "login.html", 401, name=name, kept=kept, next=form.get("next", "/"),
                      problem="Tên đăng nhập hoặc mật khẩu không đúng.")
    console.throttle.passed(*keys)
    request.session.clear()  # a new session: nothing carried over from before the login
    request.session["user"] = {"name": name, "role": role}
    if kept:  # the form that was open when the session ended: shown again, not saved yet
        data = ImmutableMultiDict([(k[len("kept."):], v) for k, v in kept if k != "kept.csrf"])
        return await pages.resume(request, _local(form.get("next")), data)
    return go(_local(form.get("next")))


async def logout(request: Request) -> Response:
    await posted(request)
    request.session.clear()
    return go("/login")


async def need_login(request: Request, exc: Exception) -> Response:
    kept = getattr(request.state, "kept_form", None)
    if kept is not None:
        fields = [(f"kept.{k}", v) for k, v in kept.multi_items() if isinstance(v, str)]
        return render(request, "login.html", 401, kept=fields, next=request.url.path,
                      problem="Phiên làm việc đã hết hạn. Hãy đăng nhập lại: chữ bạn vừa gõ vẫn được giữ.")
    if request.method != "GET":
        return PlainTextResponse("Cần đăng nhập.", status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return go(f"/login?next={quote(target)}")


async def http_problem(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 404:
        return render(request, "problem.html", 404, problem="Không có trang này.")
    return render(request, "problem.html", exc.status_code, problem=exc.detail)


SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class SecurityHeaders:
    """Every answer: no framing, no scripts or styles but the console's own, no sniffing."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        async def with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    (name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


def build_app(console: Console) -> Starlette:
    routes = [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        *pages.routes(),
    ]
    middleware = [Middleware(SecurityHeaders), Middleware(SessionMiddleware, secret_key=session_secret(console.state),
                             session_cookie="office_session", max_age=SESSION_HOURS * 3600,
                             same_site="strict", https_only=console.secure_cookies)]
    @asynccontextmanager
    async def lifespan(app):
        console.fleet.link()  # the broker connection starts now: the fleet page is current when opened
        yield
        console.fleet.close()

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={NeedLogin: need_login, HTTPException: http_problem})
    app.state.console = console
    return app
