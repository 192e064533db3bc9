"""An image fitted without distortion on a matching background."""

from __future__ import annotations

from screens.slides.base import SlideView
from screens.theme import load_rules

load_rules(__file__)


class ImageSlideView(SlideView):
    @property
    def failure(self) -> str:
        return "" if self.ids.image.texture is not None else f"không mở được ảnh {self.slide.file}"

    def leave(self):
        self.ids.image.source = ""
