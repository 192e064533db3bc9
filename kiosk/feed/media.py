"""What a media file is, read from its header without decoding it: enough to warn staff about a
video too large or too long for a small board, or a photo far larger than any screen, and to skip
a file that is not a video at all. A photo that large is published downscaled."""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from kiosk.delivery.store import atomic_write, file_sha256

MAX_VIDEO_WIDTH, MAX_VIDEO_HEIGHT = 1920, 1080
# The long side of the largest supported screen (3840x2160, either way round): a photo with more
# pixels than that costs memory on a small board and is drawn no sharper.
MAX_IMAGE_SIDE = 3840
_ORIENTATION = 0x0112  # the EXIF tag a phone writes for a photo stored sideways
MAX_VIDEO_SECONDS = 60
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}
_MAX_BOXES = 10_000  # a damaged file must not keep the parser busy


@dataclass(frozen=True)
class VideoInfo:
    seconds: float
    width: int
    height: int


def _boxes(data: bytes, start: int, end: int):
    """(type, payload start, payload end) for each ISO-BMFF box between start and end."""
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack(">I4s", data[position:position + 8])
        header = 8
        if size == 1 and position + 16 <= end:
            size = struct.unpack(">Q", data[position + 8:position + 16])[0]
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            return
        yield kind, position + header, position + size
        position += size


def _read_moov(path: Path) -> bytes | None:
    """The 'moov' box of an MP4 file (at its start or its end), without reading the media data."""
    with path.open("rb") as handle:
        position = 0
        file_size = path.stat().st_size
        for _ in range(_MAX_BOXES):
            handle.seek(position)
            header = handle.read(16)
            if len(header) < 8:
                return None
            size, kind = struct.unpack(">I4s", header[:8])
            header_size = 8
            if size == 1:
                size = struct.unpack(">Q", header[8:16])[0]
                header_size = 16
            elif size == 0:
                size = file_size - position
            if size < header_size:
                return None
            if kind == b"moov":
                handle.seek(position + header_size)
                return header[:header_size] + handle.read(size - header_size)
            position += size
    return None


def probe_mp4(path: Path) -> VideoInfo | None:
    """Duration and picture size of an MP4 file, or None if it is not a readable MP4 video."""
    try:
        moov = _read_moov(Path(path))
    except OSError:
        return None
    if not moov:
        return None
    seconds, width, height = None, 0, 0
    stack = [(0, len(moov))]
    visited = 0
    while stack and visited < _MAX_BOXES:
        start, end = stack.pop()
        for kind, body, box_end in _boxes(moov, start, end):
            visited += 1
            if kind in _CONTAINERS:
                stack.append((body, box_end))
            elif kind == b"mvhd" and box_end - body >= 20:
                version = moov[body]
                if version == 1 and box_end - body >= 32:
                    timescale, duration = struct.unpack(">IQ", moov[body + 20:body + 32])
                else:
                    timescale, duration = struct.unpack(">II", moov[body + 12:body + 20])
                seconds = duration / timescale if timescale else None
            elif kind == b"tkhd" and box_end - body >= 84:
                w, h = struct.unpack(">II", moov[box_end - 8:box_end])
                width, height = max(width, w >> 16), max(height, h >> 16)
    if seconds is None or not width or not height:
        return None
    return VideoInfo(seconds, width, height)


def video_warnings(info: VideoInfo) -> list[str]:
    """Plain-words warnings for a video that small boards will struggle with."""
    warnings = []
    if info.width > MAX_VIDEO_WIDTH or info.height > MAX_VIDEO_HEIGHT:
        warnings.append(f"video {info.width}x{info.height} lớn hơn màn hình Full HD ({MAX_VIDEO_WIDTH}x"
                        f"{MAX_VIDEO_HEIGHT}): máy nhỏ sẽ phát giật; hãy xuất lại ở 1920x1080 hoặc 1280x720")
    if info.seconds > MAX_VIDEO_SECONDS:
        warnings.append(f"video dài {info.seconds:.0f} giây: nên dưới {MAX_VIDEO_SECONDS} giây, "
                        "hoặc đặt `max_seconds` để dừng sớm")
    return warnings


def image_size(path: Path) -> tuple[int, int] | None:
    """Width and height of a PNG or JPEG from its header, or None if it does not open as an image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None


def image_warnings(size: tuple[int, int]) -> list[str]:
    """Plain-words warnings for a photo with more pixels than any screen shows."""
    width, height = size
    if max(size) <= MAX_IMAGE_SIDE:
        return []
    return [f"ảnh {width}x{height} lớn hơn mọi màn hình (lớn nhất 3840x2160): tốn bộ nhớ mà không nét hơn; "
            f"khi xuất bản, bản đăng lên được thu nhỏ còn cạnh dài {MAX_IMAGE_SIDE} điểm ảnh (tệp gốc giữ "
            "nguyên); nên tự thu nhỏ ảnh trước khi đưa vào"]


def for_screens(source: Path) -> Path:
    """The file to publish for this media file: itself, or for a photo larger than any screen a copy
    downscaled to MAX_IMAGE_SIDE on its long side (without its metadata, such as where it was taken),
    kept in the user's cache by the original's content so that the next publish reuses it. The
    original is never changed."""
    size = image_size(source) if source.suffix.lower() in (".png", ".jpg", ".jpeg") else None
    if size is None or max(size) <= MAX_IMAGE_SIDE:
        return source
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ward-kiosk" / "screen-copies"
    kind = "png" if source.suffix.lower() == ".png" else "jpg"
    copy = cache / f"{file_sha256(source)}-{MAX_IMAGE_SIDE}.{kind}"
    if not copy.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        atomic_write(copy, _downscaled(source, kind))
    return copy


def _downscaled(source: Path, kind: str) -> bytes:
    from PIL import Image, ImageOps

    out = io.BytesIO()
    with Image.open(source) as image:
        image.draft("RGB", (MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))  # a JPEG decodes at a smaller scale: faster
        if image.getexif().get(_ORIENTATION, 1) != 1:  # upright as the staff's photo viewer shows it:
            image = ImageOps.exif_transpose(image)  # the copy keeps no orientation tag to say so
        image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE), Image.Resampling.LANCZOS)
        if kind == "png":
            image.save(out, "PNG")
        else:
            image.convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()
