"""No view needs a running app: the theme, the pace, the speaker, the display's clock and the way
out are passed in (constructor arguments, or properties the parent rule sets), never fetched from
App.get_running_app() or from `app.` in a kv rule. Only the composition root holds the app
(screens/app.py, screens/display.py, and `kiosk preview`'s screens/preview.py, which drives it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCREENS = REPO / "screens"
COMPOSITION_ROOT = {"app.py", "display.py", "preview.py"}
APP_IN_KV = re.compile(r"\bapp\.")  # kv's `app`: the running App
RUNNING_APP = re.compile(r"get_running_app|\bfrom kivy\.app import\b|\bimport kivy\.app\b")


def code_lines(path: Path):
    """(line number, line) of a file, comments left out (kv and Python both use #)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.split("#", 1)[0] if not line.lstrip().startswith("#:") else ""
        if stripped.strip():
            yield number, stripped


def app_reads(root: Path) -> list[str]:
    found = [f"{path.relative_to(root.parent)}:{number}: {line.strip()}"
             for path in sorted(root.rglob("*.kv")) for number, line in code_lines(path) if APP_IN_KV.search(line)]
    found += [f"{path.relative_to(root.parent)}:{number}: {line.strip()}"
              for path in sorted(root.rglob("*.py")) if path.relative_to(root).as_posix() not in COMPOSITION_ROOT
              for number, line in code_lines(path) if RUNNING_APP.search(line)]
    return found


def test_no_view_reads_the_running_app():
    found = app_reads(SCREENS)
    assert found == [], "views that fetch the running app:\n" + "\n".join(found)


def test_the_check_finds_an_app_read(tmp_path):
    """The check can fail: a kv rule's `app.theme` and a view's get_running_app() are both found."""
    screens = tmp_path / "screens"
    screens.mkdir()
    (screens / "view.kv").write_text("#:import theme screens.theme\n<V>:\n    # app.theme in a comment\n"
                                     "    padding: app.theme.gap\n", encoding="utf-8")
    (screens / "view.py").write_text("from kivy.app import App\nx = App.get_running_app().theme\n", encoding="utf-8")
    (screens / "app.py").write_text("from kivy.app import App\n", encoding="utf-8")  # the composition root may
    assert app_reads(screens) == ["screens/view.kv:4: padding: app.theme.gap",
                                  "screens/view.py:1: from kivy.app import App",
                                  "screens/view.py:2: x = App.get_running_app().theme"]


BUILD_WITHOUT_APP = textwrap.dedent("""
    import sys
    from datetime import datetime
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from kiosk.settings import DisplaySettings
    from screens.app import configure_kivy
    configure_kivy(DisplaySettings(), windowed=True, size=(1920, 1080))  # its state under XDG_STATE_HOME
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kiosk.feed.validate import load_feed
    from kiosk.play.search import FaqIndex
    from screens.counter import CounterView, TouchInvitation
    from screens.counter_pages import TouchButton
    from screens.frame import KioskFrame
    from screens.pace import FramePace
    from screens.staff import PinGuard, PinPad, StaffPanel
    from screens.theme import Theme, register_fonts

    class Usage:
        def record(self, *args, **kwargs):
            pass

    register_fonts()
    theme = Theme()
    theme.resize(*Window.size)
    folder = Path(sys.argv[1]) / "config"
    feed = load_feed(folder).feed
    frame = KioskFrame(feed=feed, folder=folder, theme=theme, pace=FramePace())
    frame.add_widget(TouchInvitation(theme=theme), index=1)
    Window.add_widget(frame)
    closed = []
    view = CounterView(feed, folder, Usage(), 120, on_close=lambda: closed.append(1), index=FaqIndex(feed.faq),
                       opening_touch=(0, 0), theme=theme, now=lambda: datetime(2026, 11, 10))
    Window.add_widget(view)
    opened = []
    for open_page in (view.open_topics, lambda: view.open_topic(0), lambda: view.open_answer(0, 0), view.open_search,
                      view.open_bodies, lambda: view.open_area(feed.areas[0]), view.open_delegate_lists,
                      view.open_resolutions, view.open_links, view.open_feedback,
                      lambda: view.answer_feedback("helpful", answer="x"), view.home):
        open_page()
        Clock.tick()
        opened.append(type(view.page).__name__)
    Window.remove_widget(view)
    for overlay in (PinPad("1234", PinGuard(), on_success=print, on_cancel=print, theme=theme),
                    StaffPanel(["a line"], on_back=print, on_quit=print, theme=theme)):
        Window.add_widget(overlay)
        Clock.tick()
        Window.remove_widget(overlay)
    assert App.get_running_app() is None
    assert frame.ids.header.height == round(theme.px(132)), frame.ids.header.height
    home = [w for w in view.page.walk() if isinstance(w, TouchButton)]
    assert home and all(b.font_size == theme.body for b in home), [b.font_size for b in home]
    print("built:", " ".join(opened))
""")


def test_a_frame_and_the_counter_pages_are_built_without_a_running_app(tmp_path):
    """The frame, the touch invitation, every counter page, the PIN pad and the staff panel, each
    given a Theme, in a Kivy window with no App running (a process of its own: one window per process)."""
    done = subprocess.run([sys.executable, "-c", BUILD_WITHOUT_APP, str(REPO)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "XDG_STATE_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Traceback" not in done.stderr, done.stderr[-4000:]
    assert "built: ListPage ListPage ReadingPage SearchPage AreaPickerPage AreaDelegatesPage ListPage ListPage " \
           "LinksPage FeedbackPage WantedPage HomePage" in done.stdout, done.stdout
