"""The display's own settings file (config/display.yaml): who it is, how it behaves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from kiosk.problems import Problem
from kiosk.schedule import DisplayIdentity
from kiosk.validate import validate_as
from kiosk.yamlsource import load_yaml


def _known_zone(name: str) -> str:
    if name not in available_timezones():
        raise ValueError(f"múi giờ `{name}` không có; ở Việt Nam dùng Asia/Ho_Chi_Minh")
    return name


class DisplaySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")] = Field(
        "man-hinh-1", description="Mã riêng của màn hình này (chữ thường không dấu, số, gạch nối)")
    tags: list[str] = Field(default_factory=list, description="Nhãn để nhắm trang chiếu, ví dụ nha-van-hoa, mot-cua")
    mode: Literal["loop", "counter"] = Field("loop", description="loop: chỉ chiếu; counter: màn hình cảm ứng ở bộ phận Một cửa")
    feed: str = Field("", description="Thư mục bản tin đang dùng, tương đối với tệp này (trống: bản mẫu)")
    rotation: Literal[0, 90, 180, 270] = Field(0, description="Xoay màn hình (độ)")
    timezone: Annotated[str, AfterValidator(_known_zone)] = Field("Asia/Ho_Chi_Minh")
    pin: Annotated[str, Field(pattern=r"^[0-9]{4,8}$")] = Field(
        "2026", description="Mã PIN để nhân viên thoát (4-8 chữ số, trong dấu nháy)")
    idle_seconds: Annotated[int, Field(ge=15, le=600)] = Field(
        60, description="Số giây không chạm thì trở về vòng chiếu")

    def identity(self) -> DisplayIdentity:
        return DisplayIdentity(self.id, frozenset(self.tags))

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings(path: Path) -> tuple[DisplaySettings | None, list[Problem]]:
    """Settings from a YAML file; a missing file means the defaults."""
    if not path.is_file():
        return DisplaySettings(), []
    doc, problems = load_yaml(path.read_bytes(), str(path))
    if doc is None or problems:
        return None, problems
    if doc.data is None:  # an empty file: all defaults
        return DisplaySettings(), []
    return validate_as(DisplaySettings, doc)
