"""The display's own settings file (config/display.yaml): who it is, how it behaves."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from kiosk.feed.problems import Problem
from kiosk.play.schedule import DisplayIdentity
from kiosk.feed.validate import validate_as
from kiosk.feed.yamlsource import MAX_YAML_BYTES, UnreadableFile, load_yaml, read_regular_file


SAMPLE_FEED = Path(__file__).resolve().parents[1] / "config"  # the bundled sample feed and display.yaml
DEFAULT_PIN = "2026"  # printed in the README: a display still using it is warned about


def _known_zone(name: str) -> str:
    try:  # loading the one zone, not listing them all (which reads every file of the database)
        ZoneInfo(name)
    except (ValueError, OSError, KeyError):  # a bad name, a folder, or no such zone (ZoneInfoNotFoundError)
        raise ValueError(f"múi giờ `{name}` không có; ở Việt Nam dùng Asia/Ho_Chi_Minh") from None
    return name


LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _url_parts(url: str):
    """urlsplit(url), its port checked: a port that is not a number (or past 65535), or a broken
    [IPv6] host, is a ValueError in words for staff, not later in the middle of a request."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (a port that is not a number raises here)
    except ValueError:
        raise ValueError(f"cổng trong địa chỉ `{url}` không phải là số cổng (tối đa 65535), "
                         f"hoặc tên máy viết sai") from None
    return parts


def _checked_url(url: str, secure: str, plain: str, refusal: str) -> str:
    """`secure` (TLS) scheme anywhere; the `plain` one only for this machine itself (tests, staging)."""
    if not url:
        return url
    parts = _url_parts(url)
    if parts.hostname and (parts.scheme == secure or parts.scheme == plain and parts.hostname in LOCAL_HOSTS):
        return url
    raise ValueError(refusal)


def check_feed_url(url: str) -> str:
    return _checked_url(url, "https", "http", f"địa chỉ bản tin `{url}` phải bắt đầu bằng https:// "
                                              f"(http:// chỉ dùng được với 127.0.0.1 hoặc localhost)")


def check_fleet_url(url: str) -> str:
    return _checked_url(url, "mqtts", "mqtt", f"địa chỉ máy chủ MQTT `{url}` phải có dạng mqtts://máy-chủ:8883 "
                                              f"(mqtt:// không mã hóa chỉ dùng được với 127.0.0.1 hoặc localhost)")


def _check_file_path(text: str) -> str:
    if text and not Path(text).expanduser().is_absolute():
        raise ValueError(f"tệp `{text}` cần là đường dẫn đầy đủ, ví dụ /etc/ward-kiosk/fleet-password")
    return text


def _check_public_key(text: str) -> str:
    if text:
        from kiosk.delivery import signing  # cryptography, only for a display that syncs: not on every start

        signing.parse_public_key(text)
    return text.strip()


def _check_state_dir(text: str) -> str:
    if text and not Path(text).expanduser().is_absolute():
        raise ValueError(f"thư mục `{text}` cần là đường dẫn đầy đủ, ví dụ /var/lib/ward-kiosk")
    return text


def default_state_dir() -> Path:
    """The state folder of a display whose settings name none, and of the Kivy side's own files:
    $WARD_KIOSK_STATE, or the XDG state folder ($XDG_STATE_HOME or ~/.local/state)/ward-kiosk."""
    if os.environ.get("WARD_KIOSK_STATE"):
        return Path(os.environ["WARD_KIOSK_STATE"]).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "ward-kiosk"


class DisplaySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")] = Field(
        "man-hinh-1", description="Mã riêng của màn hình này (chữ thường không dấu, số, gạch nối)")
    tags: list[str] = Field(default_factory=list, description="Nhãn để nhắm trang chiếu, ví dụ nha-van-hoa, mot-cua")
    mode: Literal["loop", "counter"] = Field("loop", description="loop: chỉ chiếu; counter: màn hình cảm ứng ở bộ phận Một cửa")
    feed: str = Field("", description="Thư mục bản tin đang dùng, tương đối với tệp này (trống: bản mẫu)")
    rotation: Literal[0, 90, 180, 270] = Field(
        0, description="Xoay màn hình (độ, theo chiều kim đồng hồ); phiên kiosk xoay bằng xrandr khi khởi động")
    timezone: Annotated[str, AfterValidator(_known_zone)] = Field("Asia/Ho_Chi_Minh")
    pin: Annotated[str, Field(pattern=r"^[0-9]{4,8}$")] = Field(
        DEFAULT_PIN, description="Mã PIN để nhân viên thoát (4-8 chữ số, trong dấu nháy)")
    # At most 160 (59 mm): the counter's landscape search fits its top bar and five rows of keys
    # that high, and no more (tests/test_counter_audit.py walks every page at the largest).
    touch_target: Annotated[int, Field(ge=60, le=160)] = Field(
        96, description="Chiều cao nút bấm nhỏ nhất (điểm ảnh trên màn hình 1080p); 96 ≈ 35 mm trên màn hình 32 inch")
    idle_seconds: Annotated[int, Field(ge=15, le=600)] = Field(
        60, description="Số giây không chạm thì trở về vòng chiếu")
    speech: bool = Field(True, description="Màn hình Một cửa: nút \"Nghe\" đọc to trang hỏi đáp, nghị quyết, "
                                           "đại biểu (cần gói espeak-ng); false: không có nút")
    speech_volume: Annotated[int, Field(ge=0, le=100)] = Field(
        80, description="Âm lượng tiếng đọc (phần trăm); mỗi lần đọc bắt đầu ở mức này")

    feed_url: Annotated[str, AfterValidator(check_feed_url)] = Field(
        "", description="Địa chỉ thư mục bản tin đã xuất bản trên máy chủ của phường (https://...); trống: không đồng bộ")
    public_key: Annotated[str, AfterValidator(_check_public_key)] = Field(
        "", description="Khóa công khai của phường do `kiosk keygen` in ra (44 ký tự); bỏ qua khi có `root_key`")
    root_key: Annotated[str, AfterValidator(_check_public_key)] = Field(
        "", description="Khóa gốc công khai do `kiosk keygen --root` in ra (44 ký tự): màn hình tin khóa xuất bản "
                        "mà khóa gốc ủy quyền, nên đổi được khóa xuất bản mà không phải đến từng màn hình")
    state_dir: Annotated[str, AfterValidator(_check_state_dir)] = Field(
        "", description="Thư mục lưu bản tin đã tải và trạng thái (trống: ~/.local/state/ward-kiosk)")
    poll_seconds: Annotated[int, Field(ge=30, le=86400)] = Field(
        300, description="Bao nhiêu giây hỏi máy chủ một lần (cộng thêm vài giây ngẫu nhiên)")

    fleet_url: Annotated[str, AfterValidator(check_fleet_url)] = Field(
        "", description="Máy chủ MQTT của phường để báo tình trạng về văn phòng (mqtts://máy-chủ:8883); "
                        "trống: không kết nối")
    fleet_password: str = Field("", description="Mật khẩu tài khoản của màn hình trên máy chủ MQTT (tài khoản "
                                                "mang tên `id`); nên dùng `fleet_password_file`")
    fleet_password_file: Annotated[str, AfterValidator(_check_file_path)] = Field(
        "", description="Tệp chứa mật khẩu (một dòng, chỉ người dùng của màn hình đọc được)")
    fleet_ca_file: Annotated[str, AfterValidator(_check_file_path)] = Field(
        "", description="Chứng chỉ CA của máy chủ MQTT (trống: các CA của hệ thống)")

    def identity(self) -> DisplayIdentity:
        return DisplayIdentity(self.id, frozenset(self.tags))

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def state_path(self) -> Path:
        return Path(self.state_dir).expanduser() if self.state_dir else default_state_dir()


def load_settings(path: Path) -> tuple[DisplaySettings | None, list[Problem]]:
    """Settings from a YAML file. A missing file means the defaults, with a warning: a display must
    still come up showing content, and whoever typed the path learns it was not found."""
    if not path.exists() and not path.is_symlink():
        return DisplaySettings(), [Problem(str(path), 1, 1, "không thấy tệp cài đặt: dùng cài đặt mặc định",
                                           warning=True)]
    try:  # a plain file of a feed's size at most: not a FIFO, a device or /proc/self/pagemap
        raw = read_regular_file(path, MAX_YAML_BYTES)
    except UnreadableFile as problem:
        return None, [Problem(str(path), 1, 1, str(problem))]
    doc, problems = load_yaml(raw, str(path))
    if doc is None or problems:
        return None, problems
    if doc.data is None:  # an empty file: all defaults
        return DisplaySettings(), []
    return validate_as(DisplaySettings, doc)
