"""Previews rendered by `kiosk preview` in a subprocess (the console stays responsive and never
loads Kivy), one at a time, kept by content: the same feed and media are rendered once."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from kiosk.feed import model
from kiosk.feed.media import probe_mp4
from office.media import media_names
from office.web import console_of, go, posted, render, user_of

SIZES = {"ngang": (1920, 1080), "doc": (1080, 1920)}
SIZE_NAMES = {"ngang": "Màn hình ngang 1920x1080", "doc": "Màn hình dọc 1080x1920"}
TIMEOUT = 600


@dataclass
class Shot:
    file: str
    slide_id: str
    kind: str
    page: str
    seconds: float
    problem: str


class Previews:
    def __init__(self, feed: Path, state: Path):
        self.feed = Path(feed)
        self.root = Path(state) / "previews"
        self._one_at_a_time = threading.Lock()
        self._guard = threading.Lock()
        self._pending: set[str] = set()

    def key(self) -> str:
        """The feed's content: feed.yaml and each media file's name, size and time."""
        digest = hashlib.sha256((self.feed / "feed.yaml").read_bytes())
        for name in media_names(self.feed):
            stat = (self.feed / name).stat()
            digest.update(f"\0{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        return digest.hexdigest()[:24]

    def folder(self, key: str, size: str) -> Path:
        return self.root / f"{key}-{size}"

    def state(self, key: str, size: str) -> str:
        if (self.folder(key, size) / "index.txt").is_file():
            return "done"
        if (self.folder(key, size).with_suffix(".failed")).is_file():
            return "failed"
        with self._guard:
            return "running" if f"{key}-{size}" in self._pending else "none"

    def start(self, key: str, size: str) -> None:
        name = f"{key}-{size}"
        if (self.folder(key, size) / "index.txt").is_file():
            return
        with self._guard:
            if name in self._pending:
                return
            self._pending.add(name)
        self.folder(key, size).with_suffix(".failed").unlink(missing_ok=True)
        threading.Thread(target=self._render, args=(key, size), daemon=True, name=f"preview-{name}").start()

    def _command(self, out: Path, size: str) -> list[str]:
        width, height = SIZES[size]
        command = [sys.executable, "-m", "kiosk", "preview", str(self.feed), "--out", str(out),
                   "--size", f"{width}x{height}"]
        if not os.environ.get("DISPLAY") and shutil.which("xvfb-run"):  # a server without a screen
            command = ["xvfb-run", "-a", "-s", f"-screen 0 {max(width, 1920)}x{max(height, 1920)}x24"] + command
        return command

    def _render(self, key: str, size: str) -> None:
        target = self.folder(key, size)
        try:
            with self._one_at_a_time:
                self.root.mkdir(parents=True, exist_ok=True)
                work = Path(tempfile.mkdtemp(prefix=f".{key}-{size}-", dir=self.root))
                env = dict(os.environ, XDG_STATE_HOME=str(self.root / "display-state"))
                try:
                    done = subprocess.run(self._command(work, size), env=env, capture_output=True, text=True,
                                          timeout=TIMEOUT)
                    failed = not (work / "index.txt").is_file()
                    message = (done.stderr or done.stdout).strip().splitlines()[-3:]
                except subprocess.TimeoutExpired:
                    failed, message = True, [f"xem trước chạy quá {TIMEOUT // 60} phút nên đã dừng"]
                if failed:
                    target.with_suffix(".failed").write_text("\n".join(message), encoding="utf-8")
                    shutil.rmtree(work, ignore_errors=True)
                else:
                    shutil.rmtree(target, ignore_errors=True)
                    work.rename(target)
        finally:
            with self._guard:
                self._pending.discard(f"{key}-{size}")

    def shots(self, key: str, size: str) -> list[Shot]:
        found = []
        index = self.folder(key, size) / "index.txt"
        for line in index.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t") + [""] * 6
            seconds = float(parts[4].rstrip("s") or 0) if re.fullmatch(r"[\d.]+s", parts[4]) else 0.0
            found.append(Shot(parts[0], parts[1], parts[2], parts[3], seconds, parts[5]))
        return found

    def failure(self, key: str, size: str) -> str:
        try:
            return self.folder(key, size).with_suffix(".failed").read_text(encoding="utf-8")
        except OSError:
            return ""


def previews_of(request: Request) -> Previews:
    console = console_of(request)
    if not hasattr(console, "previews"):
        console.previews = Previews(console.feed, console.state)
    return console.previews


def loop_time(shots: list[Shot]) -> str:
    total = round(sum(shot.seconds for shot in shots))
    minutes, seconds = divmod(total, 60)
    return f"{minutes} phút {seconds} giây" if minutes else f"{seconds} giây"


def _video_lengths(request: Request, shots: list[Shot]) -> None:
    """A video's page has no fixed time on screen (it plays to its end, or to max_seconds): count
    the video's own length in the loop."""
    console = console_of(request)
    feed = console.file.read().checked.result.feed
    if feed is None:
        return
    slides = dict(zip(model.slide_ids(feed.slides), feed.slides))
    for shot in shots:
        slide = slides.get(shot.slide_id)
        if shot.kind == "video" and not shot.seconds and slide is not None:
            info = probe_mp4(console.feed / slide.file)
            if info is not None:
                shot.seconds = min(info.seconds, slide.max_seconds or info.seconds)


def preview_context(request: Request) -> dict:
    previews = previews_of(request)
    key = previews.key()
    views = []
    for size, label in SIZE_NAMES.items():
        state = previews.state(key, size)
        shots = previews.shots(key, size) if state == "done" else []
        _video_lengths(request, shots)
        views.append({"size": size, "label": label, "state": state, "shots": shots, "loop": loop_time(shots),
                      "failure": previews.failure(key, size) if state == "failed" else ""})
    return {"key": key, "views": views, "running": any(v["state"] == "running" for v in views)}


async def preview_page(request: Request) -> Response:
    user_of(request)
    return render(request, "preview.html", **preview_context(request))


async def preview_part(request: Request) -> Response:
    """For htmx: the previews, polled while one renders."""
    user_of(request)
    return render(request, "preview_part.html", **preview_context(request))


async def preview_start(request: Request) -> Response:
    _, form = await posted(request)
    size = form.get("size")
    if size not in SIZES:
        raise HTTPException(400, "Không có cỡ màn hình này.")
    previews = previews_of(request)
    previews.start(previews.key(), size)
    return go("/review" if form.get("back") == "/review" else "/preview")


async def preview_image(request: Request) -> Response:
    user_of(request)
    folder, name = request.path_params["folder"], request.path_params["name"]
    if not re.fullmatch(r"[0-9a-f]{24}-(ngang|doc)", folder) or not re.fullmatch(r"[\w.-]+\.png", name):
        raise HTTPException(404, "Không có hình này.")
    path = previews_of(request).root / folder / name
    if not path.is_file():
        raise HTTPException(404, "Không có hình này.")
    return FileResponse(path, media_type="image/png")


def routes() -> list[Route]:
    return [
        Route("/preview", preview_page, methods=["GET"]),
        Route("/preview", preview_start, methods=["POST"]),
        Route("/preview/part", preview_part, methods=["GET"]),
        Route("/preview/img/{folder}/{name}", preview_image, methods=["GET"]),
    ]
