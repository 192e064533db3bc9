"""Pictures and videos: upload into FEED/media with the validator's rules for type and content,
a size limit enforced while the upload arrives (a 200 MB file is refused at the limit, not after
reading it all), names made safe (nothing can land outside the feed folder), pictures larger than
any screen made smaller, thumbnails for the console."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from kiosk.feed import media as kiosk_media
from kiosk.feed.validate import IMAGE_SIGNATURES, IMAGE_SUFFIXES, VIDEO_SUFFIXES
from kiosk.vietnamese import fold
from office.web import check_csrf, console_of, flash, go, render, user_of

MEDIA_DIR = "media"
MAX_UPLOAD = 100 * 1024 * 1024  # a minute of Full HD video is well under this
MAX_PICTURE = 25 * 1024 * 1024
LARGEST_SCREEN = 3840  # the longest side of the largest supported screen (3840x2160)
THUMB = 320
_FORM_SLACK = 64 * 1024  # the multipart headers and the other fields around the file


class TooLarge(Exception):
    pass


class UploadRefused(Exception):
    """The message is for staff."""


def media_names(feed: Path) -> list[str]:
    """Media files in the feed folder, as feed.yaml names them (media/ten-tep.png)."""
    root = Path(feed)
    folder = root / MEDIA_DIR
    if not folder.is_dir():
        return []
    allowed = IMAGE_SUFFIXES | VIDEO_SUFFIXES
    return sorted(p.relative_to(root).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.suffix.lower() in allowed and not p.name.startswith("."))


def safe_name(filename: str | None, suffixes: set[str]) -> str:
    """A file name that is only a name: no folders, no dots in front, letters without tones."""
    base = re.split(r"[\\/]", filename or "")[-1]
    stem, _, suffix = base.rpartition(".")
    suffix = "." + suffix.lower()
    if not stem or suffix not in suffixes:
        allowed = ", ".join(sorted(s[1:].upper() for s in suffixes))
        raise UploadRefused(f"tệp `{base or '?'}` không phải loại được dùng; chỉ nhận {allowed}")
    stem = re.sub(r"[^a-z0-9]+", "-", fold(stem)).strip("-")[:60].strip("-") or "tep"
    return stem + (".jpg" if suffix == ".jpeg" else suffix)


def _free_name(folder: Path, name: str, digest: str) -> Path:
    """The name, or name-2, name-3 ... when another file already has it (the same file is reused)."""
    stem, suffix = os.path.splitext(name)
    candidate, n = folder / name, 2
    while candidate.exists():
        if _digest(candidate) == digest:
            return candidate
        candidate, n = folder / f"{stem}-{n}{suffix}", n + 1
    return candidate


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def limited_receive(receive, limit: int):
    seen = 0

    async def limited():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise TooLarge()
        return message

    return limited


def _closing(response: Response) -> Response:
    """The rest of a refused body is not read: the server closes the connection after answering."""
    response.headers["Connection"] = "close"
    return response


def _check_picture(path: Path, suffix: str) -> None:
    with open(path, "rb") as handle:
        head = handle.read(8)
    if not head.startswith(IMAGE_SIGNATURES[suffix]):
        raise UploadRefused(f"tệp không phải ảnh {suffix[1:].upper()} đọc được (tệp hỏng hoặc sai đuôi)")
    try:
        with Image.open(path) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise UploadRefused("ảnh bị hỏng, không mở được; hãy lưu lại ảnh rồi tải lên lần nữa") from None


def _shrink(path: Path) -> tuple[int, int] | None:
    """Make a picture larger than any screen the size of the largest one; its new size, or None."""
    with Image.open(path) as image:
        if max(image.size) <= LARGEST_SCREEN:
            return None
        image.load()
        image.thumbnail((LARGEST_SCREEN, LARGEST_SCREEN), Image.Resampling.LANCZOS)
        kind = image.format or ("PNG" if path.suffix == ".png" else "JPEG")
        if kind == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(path, format=kind, **({"quality": 90} if kind == "JPEG" else {}))
        return image.size


@dataclass
class Saved:
    name: str
    note: str


def store_upload(feed: Path, filename: str | None, source) -> Saved:
    """Check an uploaded file (an open binary file) and keep it in FEED/media under a safe name."""
    suffixes = IMAGE_SUFFIXES | VIDEO_SUFFIXES
    name = safe_name(filename, suffixes)
    suffix = os.path.splitext(name)[1]
    folder = Path(feed) / MEDIA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=".upload-", suffix=suffix, dir=folder)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(1 << 20):
                out.write(chunk)
        size = temp.stat().st_size
        note = ""
        if suffix in IMAGE_SUFFIXES:
            if size > MAX_PICTURE:
                raise UploadRefused(f"ảnh nặng {size // (1 << 20)} MB, quá {MAX_PICTURE // (1 << 20)} MB; "
                                    f"hãy xuất ảnh nhỏ hơn")
            _check_picture(temp, suffix)
            shrunk = _shrink(temp)
            if shrunk:
                note = f"ảnh lớn hơn mọi màn hình nên đã thu về {shrunk[0]}x{shrunk[1]}"
        elif suffix in (".mp4", ".m4v"):
            info = kiosk_media.probe_mp4(temp)
            if info is None:
                raise UploadRefused("tệp không phải video MP4 đọc được (tệp hỏng hoặc sai đuôi)")
            note = "; ".join([f"video {info.width}x{info.height}, dài {info.seconds:.0f} giây"]
                             + kiosk_media.video_warnings(info))
        os.chmod(temp, 0o644)
        target = _free_name(folder, name, _digest(temp))
        if target.resolve().parent != folder.resolve():  # cannot happen with a safe name; never write elsewhere
            raise UploadRefused("tên tệp không hợp lệ")
        os.replace(temp, target)
        return Saved(target.relative_to(Path(feed)).as_posix(), note)
    finally:
        temp.unlink(missing_ok=True)


def _inside(feed: Path, name: str) -> Path:
    root = Path(feed).resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root / MEDIA_DIR) or not target.is_file():
        raise HTTPException(404, "Không có tệp này.")
    return target


def describe(feed: Path, name: str) -> dict:
    path = Path(feed) / name
    item = {"name": name, "size": f"{path.stat().st_size / (1 << 20):.1f} MB".replace(".", ","),
            "picture": path.suffix.lower() in IMAGE_SUFFIXES, "note": ""}
    if item["picture"]:
        try:
            with Image.open(path) as image:
                item["note"] = f"{image.size[0]}x{image.size[1]}"
        except (UnidentifiedImageError, OSError):
            item["note"] = "ảnh hỏng"
    elif path.suffix.lower() in (".mp4", ".m4v"):
        info = kiosk_media.probe_mp4(path)
        item["note"] = ("; ".join([f"{info.width}x{info.height}, {info.seconds:.0f} giây"]
                                  + kiosk_media.video_warnings(info)) if info else "video không đọc được")
    return item


async def media_page(request: Request, status: int = 200, problem: str | None = None) -> Response:
    user_of(request)
    feed = console_of(request).feed
    items = [describe(feed, name) for name in media_names(feed)]
    return render(request, "media.html", status, items=items, problem=problem,
                  limit=MAX_UPLOAD // (1 << 20), picture_limit=MAX_PICTURE // (1 << 20))


async def upload(request: Request) -> Response:
    user = user_of(request)
    # The token comes in the address: the body is not read before the checks.
    check_csrf(request, request.query_params.get("csrf"))
    declared = request.headers.get("content-length")
    too_large = (f"Tệp quá lớn: tối đa {MAX_UPLOAD // (1 << 20)} MB. Video hãy xuất lại ở 1920x1080, "
                 f"dưới một phút; ảnh hãy thu nhỏ.")
    if declared and declared.isdigit() and int(declared) > MAX_UPLOAD + _FORM_SLACK:
        return _closing(await media_page(request, 413, too_large))
    limited = Request(request.scope, limited_receive(request.receive, MAX_UPLOAD + _FORM_SLACK))
    try:
        form = await limited.form(max_files=1, max_fields=4)
    except TooLarge:
        return _closing(await media_page(request, 413, too_large))
    except ClientDisconnect:
        return Response(status_code=400)
    sent = form.get("file")
    if sent is None or isinstance(sent, str) or not sent.filename:
        return await media_page(request, 400, "Chưa chọn tệp nào.")
    console = console_of(request)
    try:
        saved = store_upload(console.feed, sent.filename, sent.file)
    except UploadRefused as refused:
        return await media_page(request, 422, f"Chưa nhận tệp: {refused}.")
    finally:
        await sent.close()
    console.audit.add(user["name"], "tải lên", saved.name, None, console.file.token())
    flash(request, f"Đã nhận {saved.name}" + (f" ({saved.note})" if saved.note else "") +
          ". Chọn tệp này ở ô Tệp hoặc Ảnh của trang chiếu.")
    return go("/media")


async def media_file(request: Request) -> Response:
    user_of(request)
    return FileResponse(_inside(console_of(request).feed, request.path_params["name"]))


async def thumbnail(request: Request) -> Response:
    user_of(request)
    console = console_of(request)
    source = _inside(console.feed, request.path_params["name"])
    stat = source.stat()
    key = hashlib.sha256(f"{source}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:24]
    cached = console.state / "thumbs" / f"{key}.png"
    if not cached.is_file():
        cached.parent.mkdir(exist_ok=True)
        try:
            with Image.open(source) as image:
                image.thumbnail((THUMB, THUMB))
                image.save(cached, format="PNG")
        except (UnidentifiedImageError, OSError):
            raise HTTPException(404, "Ảnh hỏng.") from None
    return FileResponse(cached, media_type="image/png")


def routes() -> list[Route]:
    return [
        Route("/media", media_page, methods=["GET"]),
        Route("/media", upload, methods=["POST"]),
        Route("/media/file/{name:path}", media_file),
        Route("/media/thumb/{name:path}", thumbnail),
    ]
