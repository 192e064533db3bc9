"""A slide type is one registration (kiosk.feed.model.slide_type) and one view (screens/slides/
VIEWS): every type the model declares has a view, each view in its own module with its .kv
beside it, and a display whose software lacks one refuses to start, saying which."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from kiosk.feed.model import SLIDE_TYPES
from kiosk.feed.validate import IMAGE_SUFFIXES, MEDIA_KEYS_BY_TYPE, VIDEO_SUFFIXES, load_feed

REPO = Path(__file__).resolve().parents[1]


def python(tmp_path, code: str) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter of the project, under this test's own state folder (Kivy's
    settings there, not the user's)."""
    script = tmp_path / "script.py"  # a file: Kivy's App looks for its source
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"), PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, str(script)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=240)


def test_every_slide_type_of_the_model_has_a_view_in_its_own_module_and_rules(tmp_path):
    shown = python(tmp_path, "import json, inspect; from screens.slides import VIEWS; "
                             "print(json.dumps({name: inspect.getfile(view) for name, view in VIEWS.items()}))")
    assert shown.returncode == 0, shown.stderr[-3000:]
    views = json.loads(shown.stdout.splitlines()[-1])
    assert set(views) == set(SLIDE_TYPES), (f"types without a view: {set(SLIDE_TYPES) - set(views)}; "
                                            f"views of no type: {set(views) - set(SLIDE_TYPES)}")
    package = REPO / "screens" / "slides"
    for name, module in views.items():
        module = Path(module)
        assert module.parent == package and module.stem not in ("__init__", "base"), (name, module)
        assert module.with_suffix(".kv").is_file(), f"{name}: its rules belong beside {module.name}"


def test_a_type_without_a_view_stops_the_display_at_start_naming_it_in_vietnamese(tmp_path):
    # A type declared the way every type is, with no view registered for it: the app never opens.
    declared = ("from typing import Literal\n"
                "from kiosk.feed.model import _Slide, slide_type\n"
                "@slide_type(seconds=15)\n"
                "class PollSlide(_Slide):\n"
                "    type: Literal['binh-chon']\n"
                "from kiosk.cli import main\n"
                f"raise SystemExit(main(['preview', 'config', '--out', {str(tmp_path / 'out')!r}, "
                "'--size', '640x360']))\n")
    result = python(tmp_path, declared)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "KeyError" not in result.stderr, result.stderr[-3000:]
    said = result.stderr.strip().splitlines()[-1]
    assert "`binh-chon`" in said and "thiếu cách hiển thị loại trang" in said, said
    assert not (tmp_path / "out" / "index.txt").exists(), "no slide may be shown"


def test_each_type_declares_its_default_time_and_what_its_file_holds():
    feed = load_feed(REPO / "config").feed
    seen = set()
    for slide in feed.slides:
        kind = SLIDE_TYPES[slide.type]
        assert kind.model is type(slide) and kind.name == slide.type
        if slide.duration is None:
            assert slide.page_seconds == kind.seconds, slide.id
        seen.add(slide.type)
    assert seen == set(SLIDE_TYPES), f"the sample feed shows no slide of {set(SLIDE_TYPES) - seen}"
    assert SLIDE_TYPES["video"].seconds == 0, "a video ends when it ends"


def test_the_file_of_an_image_or_video_slide_must_be_of_its_kind_as_declared(tmp_path):
    assert {name: kind.file for name, kind in SLIDE_TYPES.items() if kind.file} == {"image": "image", "video": "video"}
    assert MEDIA_KEYS_BY_TYPE == {"image": IMAGE_SUFFIXES, "video": VIDEO_SUFFIXES}
    folder = tmp_path / "feed"
    shutil.copytree(REPO / "config", folder)
    data = yaml.safe_load((folder / "feed.yaml").read_text(encoding="utf-8"))
    video = next(slide["file"] for slide in data["slides"] if slide["type"] == "video")
    data["slides"] = [{"type": "image", "id": "anh", "file": video}, {"type": "video", "id": "phim", "file": "media/logo.png"}]
    (folder / "feed.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    wrong = [problem.message for problem in load_feed(folder).errors if "không đúng loại" in problem.message]
    assert len(wrong) == 2 and ".png" in wrong[0] and ".mp4" in wrong[1], wrong


# A 1280x720 window with the project's fonts, and what building a view needs.
BARE_APP = """
import json, shutil, sys
from pathlib import Path
import screens
from kivy.config import Config
Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "720")
from kivy.app import App
from kivy.clock import Clock
from kivy.uix.widget import Widget
from kiosk.feed.validate import load_feed
from kiosk.play.schedule import Loop
from screens.pace import FramePace
from screens.theme import Theme, register_fonts
from screens.slides import make_view

register_fonts()


class BareApp(App):  # shared widgets' rules still read the app's theme: this one is 1280x720's
    def build(self):
        self.theme = Theme()
        self.theme.resize(1280, 720)
        return Widget()
"""

VIEW_WITH_ITS_OWN_THEME = BARE_APP + """
feed = load_feed("config").feed
entries = {entry.slide.type: entry for entry in Loop(feed).entries}


class Bare(BareApp):
    def on_start(self):
        given = Theme()
        given.resize(3840, 2160)
        pace = FramePace()
        views = {kind: make_view(entries[kind], "config", theme=given, pace=pace)
                 for kind in ("resolution", "meetings", "delegates", "video")}
        print(json.dumps({"app_gap": self.theme.gap, "given_gap": given.gap, "code": given.px(480),
                          "padding": {kind: view.padding[0] for kind, view in views.items() if kind != "video"},
                          "code_side": views["resolution"].code_side,
                          "paces": [view.pace is pace for view in views.values()]}))
        Clock.schedule_once(lambda _: self.stop(), 0)


Bare().run()
"""


def test_a_view_sizes_itself_by_the_theme_it_is_given_not_the_running_apps(tmp_path):
    result = python(tmp_path, VIEW_WITH_ITS_OWN_THEME)
    assert result.returncode == 0, result.stderr[-3000:]
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["given_gap"] != shown["app_gap"]
    assert set(shown["padding"].values()) == {shown["given_gap"] * 1.5}, shown
    assert shown["code_side"] == shown["code"] and shown["paces"] == [True] * 4


MEDIA_GONE_BEFORE_IT_LOADS = BARE_APP + """
folder = Path(sys.argv[1])
shutil.copytree("config", folder)
feed = load_feed(folder).feed
entries = {entry.slide.type: entry for entry in Loop(feed).entries}


class Bare(BareApp):
    def on_start(self):
        pace = FramePace()
        self.views = {}
        for kind in ("video", "image"):
            view = make_view(entries[kind], folder, theme=self.theme, pace=pace)
            view.prepare()
            self.views[kind] = view
        # Gone before Kivy's deferred load, as when two feeds are installed while the slide waits.
        shutil.rmtree(folder / "media")
        Clock.schedule_once(self.report, 1.0)

    def report(self, _):
        print(json.dumps({kind: view.failure for kind, view in self.views.items()}))
        self.stop()


Bare().run()
"""


def test_media_gone_before_kivy_loads_it_is_the_slides_failure_not_the_apps(tmp_path):
    """Found by the one-CPU soak: a video's file removed between its view's build and Kivy's load."""
    result = python(tmp_path, MEDIA_GONE_BEFORE_IT_LOADS.replace("sys.argv[1]", repr(str(tmp_path / "feed"))))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    failures = json.loads(result.stdout.strip().splitlines()[-1])
    assert failures["video"] == "không còn tệp video media/video-nhiem-ky-moi.mp4", failures
    assert failures["image"] == "", "a picture is read when its view is built: it shows all the same"
