"""Runs the real display app in a real window for a test, and writes down what it showed.

Run as a subprocess (one Kivy window per process): `python tests/kiosk_harness.py CONFIG.json`.
The config names the feed, window size, clock speed and start moment, how long to run (real
seconds, or `stop_after` pages shown), and optional touches; the result file lists every page
shown (real and feed time, how late after its deadline), the label texts on it, any text that
leaves its box, and the warnings the app logged. Touches are `actions` at given seconds, or `steps`
done one after another, each once the screen has settled from the one before (and `wait` seconds
more, if it says so; the run ends after the last): every touch record names the page, its buttons' sizes and any text drawn cut. For long
runs (soak test, benchmarks): `record` "light" keeps the pages without texts and checks, "counts"
only counts them by slide type; `sample_slide` names a slide at each appearance of which (its first frame on screen) the process's resources are
written down; `frames` lists every frame drawn (real time, whether a cross-fade was running), and
`host_events` the slide host's events (name, slide id, real time);
`no_feed_loading` makes load_feed fail on the Kivy thread once the frame is on screen (the calls
are listed in the result's `kivy_thread_loads`, the names of other threads of the display's process
that read a feed themselves in `process_loads`); `feed_changes` lists when the frame took a new
feed (real time, its version). Actions `sync_now` (wakes the display's sync
thread) and `staff_panel` (opens it, as the right PIN does) act on the app itself; an action
with `"checks": false` records only what it did and when (no walk over the widgets afterwards);
`spawn` starts a program beside the display (`run` waits for it on the Kivy thread), its exit code
and errors listed in the result's `spawned`.

`"audit": true` runs no player: every page of every slide of the feed (scheduled or not) is put in
the slide area in turn and checked with tests/layout_audit.py, then the PIN pad and the staff
panel; the result's `audit` holds the problems and, per slide, its pages (texts, room left, QR
code's place); `screenshot_slides` (ids) saves those slides' pages into `screenshot_dir`.
An action with `"audit": true` (or the screen's name) checks the overlay open once it has settled
(on the loop: what the app adds to the frame, such as the counter's invitation, which may not cover
the slide area, header, sidebar or ticker) the same way, with `expect` (texts whose every word
must be drawn), into the action's record (`audit`: a list of problems as text)."""

from __future__ import annotations

import gc
import json
import logging
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kiosk.play.clock import DisplayClock  # noqa: E402
from kiosk.settings import DisplaySettings  # noqa: E402
from kiosk.feed.validate import load_feed  # noqa: E402
from screens.app import save_screenshot  # noqa: E402
from screens.display import Display, after_frames  # noqa: E402
from tests.layout_audit import audit, drawn_rect, frame_areas, missing_words, words_shown  # noqa: E402

MIN_TEXT_PX_AT_1080 = 28
SETTLE_SECONDS = 0.3
STEP_SECONDS = 0.6  # after a tap on the loop: more than the counter's double-tap guard (0.4 s)
AUDIT_SETTLE_SECONDS = 0.04  # a page's layout and textures are done within a few frames


class Recorder(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(f"{record.levelname} {record.name} {record.getMessage()}")


def label_problems(widget, bounds, scale: float, inside_scroll: bool = False) -> list[str]:
    """Labels whose text leaves their box or the bounds, or is smaller than readable. With
    inside_scroll, labels in a scrolling list may pass the bounds (that is what scrolling is for)."""
    from kivy.uix.label import Label
    from kivy.uix.scrollview import ScrollView

    problems = []
    left, bottom, right, top = bounds
    for label in widget.walk(restrict=True):
        if not isinstance(label, Label) or not label.text.strip() or label.opacity == 0:
            continue
        if label.parent is not None and getattr(label.parent, "opacity", 1) == 0:
            continue
        name = label.text.strip().splitlines()[0][:40]
        x, y = label.to_window(label.x, label.y)
        scrolled = inside_scroll and any(isinstance(p, ScrollView) for p in _parents(label))
        if not scrolled and (x < left - 1 or y < bottom - 1 or x + label.width > right + 1
                             or y + label.height > top + 1):
            problems.append(f"`{name}` ra ngoài khung: {x:.0f},{y:.0f} {label.width:.0f}x{label.height:.0f}")
        tw, th = label.texture_size
        if tw > label.width + 1 or th > label.height + 1:
            problems.append(f"`{name}` chữ {tw}x{th} lớn hơn ô {label.width:.0f}x{label.height:.0f}")
        if label.font_size < MIN_TEXT_PX_AT_1080 * scale - 0.5:
            problems.append(f"`{name}` chữ nhỏ {label.font_size}px")
    return problems


def _parents(widget):
    while widget.parent is not None and widget.parent is not widget:
        widget = widget.parent
        yield widget


def view_texts(view) -> list[str]:
    from kivy.uix.label import Label

    labels = [w for w in view.walk(restrict=True) if isinstance(w, Label) and w.text and w.opacity > 0]

    def reading_order(label):  # top to bottom, then left to right, on the window
        x, top = label.to_window(label.x, label.top)
        return -round(top), round(x)

    return [label.text for label in sorted(labels, key=reading_order)]


def touch_targets(root) -> list[dict]:
    """The buttons (and scrolling lists) on root: their text, place on the window and size."""
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.scrollview import ScrollView

    targets = []
    for widget in root.walk(restrict=True):
        if not isinstance(widget, (ButtonBehavior, ScrollView)) or widget.opacity == 0 or widget.width < 1:
            continue
        x, y = widget.to_window(widget.x, widget.y)
        targets.append({"kind": "scroll" if isinstance(widget, ScrollView) else "button",
                        "text": getattr(widget, "text", ""), "x": round(x), "y": round(y),
                        "w": round(widget.width), "h": round(widget.height)})
    return targets


def cut_texts(root) -> list[str]:
    """Labels on root that do not draw all of their text (shortened with "...", or lines left out),
    each as `text` -> what it draws. Where the lines break is not compared."""
    import re

    from kivy.uix.label import Label

    cut = []
    for label in root.walk(restrict=True):
        if not isinstance(label, Label) or not label.text.strip() or label.opacity == 0:
            continue
        lines = getattr(label._label, "_cached_lines", None) or []  # as last drawn: the screen has settled
        drawn = " ".join("".join(word.text for word in line.words) for line in lines)
        text = re.sub(r"\[/?[a-z]+[^\]]*\]", "", label.text) if label.markup else label.text
        if "".join(drawn.split()) != "".join(text.split()):
            cut.append(f"`{' '.join(text.split())}` -> `{' '.join(drawn.split())}`")
    return cut


def frame_parts(frame) -> dict:
    """Where the frame's parts are on the window (by id, and its own rows by class) and what they show."""
    parts = {type(child).__name__: child for child in frame.children}
    parts.update({name: widget for name, widget in frame.ids.items() if widget.parent is not None})
    shown = {}
    for name, widget in parts.items():
        x, y = widget.to_window(widget.x, widget.y)
        shown[name] = {"x": round(x), "y": round(y), "w": round(widget.width), "h": round(widget.height),
                       "opacity": widget.opacity, "texts": view_texts(widget), "cut": cut_texts(widget),
                       "font": max((w.font_size for w in widget.walk(restrict=True) if hasattr(w, "font_size")), default=0)}
    return shown


def find_by_text(root, text: str):
    """The visible widget showing exactly this text (a button or label), or None."""
    for widget in root.walk():
        if getattr(widget, "text", None) == text and widget.opacity > 0 and widget.get_root_window():
            return widget
    return None


def tap(x: float, y: float) -> None:
    from kivy.tests.common import UnitTestTouch

    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()


spawned: list[subprocess.Popen] = []  # the `spawn` actions' programs: their exit is in the result


def perform(app, action: dict) -> str:
    """Do one scripted action in the window; return what it did, or why it could not."""
    from kivy.core.window import Window

    if "tap" in action:
        fx, fy = action["tap"]
        for _ in range(action.get("times", 1)):  # quick taps in one place (the staff's corner)
            tap(fx * (Window.width - 1), fy * (Window.height - 1))
        return f"tap {fx},{fy}"
    if "tap_text" in action:
        widget = find_by_text(app.root, action["tap_text"])
        if widget is None:
            return f"not found: {action['tap_text']}"
        place = widget.to_window(*widget.center)
        tap(*place)
        if action.get("times", 1) > 1:  # a double tap: the second where the button was, on the page the first opened
            after_frames(2, lambda: [tap(*place) for _ in range(action["times"] - 1)])
        return f"tap `{action['tap_text']}`"
    if "tap_texts" in action:  # keys of a keyboard, one after another
        for text in action["tap_texts"]:
            done = perform(app, {"tap_text": text})
            if done.startswith("not found"):
                return done
        return f"tap {' '.join(action['tap_texts'])}"
    if "key" in action:
        Window.dispatch("on_key_down", action["key"], 0, "", [])
        Window.dispatch("on_keyboard", action["key"], 0, "", [])
        Window.dispatch("on_key_up", action["key"], 0)
        return f"key {action['key']}"
    if action.get("close"):
        Window.dispatch("on_request_close")
        return "close request"
    if action.get("look"):
        return "look"
    if action.get("sync_now"):  # as the office's "sync now" does
        app.display.sync.wake()
        return "sync now"
    if action.get("staff_panel"):  # as the right PIN does
        app.open_staff_panel()
        return "staff panel"
    if "spawn" in action:  # another program started beside the display, not waited for
        spawned.append(subprocess.Popen(action["spawn"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        return f"spawn {action['spawn'][-1]}"
    if "run" in action:  # another program, e.g. `kiosk sync`, while the display runs
        done = subprocess.run(action["run"], capture_output=True, text=True, timeout=120)
        return f"run exit {done.returncode}: {(done.stdout + done.stderr).strip()[-300:]}"
    if "screenshot" in action:
        save_screenshot(Window, Path(action["screenshot"]))
        return f"screenshot {action['screenshot']}"
    return "unknown action"


def content_texts(slide) -> list[str]:
    """The feed's words a slide must show on one of its pages."""
    kind = slide.type
    if kind == "resolution":
        return [slide.number, slide.title, slide.issuer, *slide.points]
    if kind == "text":
        return [slide.category or "", slide.title, slide.body]
    if kind in ("delegates", "leaders"):
        heading = slide.titled_list if kind == "delegates" else slide.title
        people = [text for p in slide.people for text in (p.name, p.position or "", _votes(p))]
        return [heading, getattr(slide, "constituency", None) or "", slide.note or "", *people]
    if kind == "meetings":
        return [slide.title, *(text for meeting in slide.listed
                               for text in (meeting.heading, meeting.place, *meeting.delegates, meeting.note or ""))]
    return [slide.caption or ""]


def _votes(person) -> str:
    """A delegate's votes and share as the card writes them ('' for a leader)."""
    votes = f"{person.votes:,} phiếu".replace(",", ".") if getattr(person, "votes", None) is not None else ""
    share = f"{person.percent:.2f}%".replace(".", ",") if getattr(person, "percent", None) is not None else ""
    return f"{votes} {share}"


def audit_steps(app, feed, settings, size, report, now, screenshot_slides=(), screenshot_dir=None):
    """Each slide's pages (as shown at `now`: a meetings slide lists the meetings then coming; one
    with nothing to show then is passed over, as the loop does), then the PIN pad and the staff
    panel, audited in turn; yields the seconds to wait for the layout to settle before each check.
    Every page of the slides named in screenshot_slides is saved as ID-PAGE.png into screenshot_dir."""
    from kivy.core.window import Window

    from kiosk.play.schedule import Loop
    from screens.slides import make_view

    host = app.frame.ids.host
    yield AUDIT_SETTLE_SECONDS
    report["frame"] = [str(p) for p in audit(app.frame, "frame", size, settings)]
    for entry in filter(None, (entry.at(feed, now) for entry in Loop(feed, settings.identity()).entries)):
        view = make_view(entry, app.frame.folder, theme=app.frame.theme, pace=app.frame.pace)
        host.show(view)
        yield AUDIT_SETTLE_SECONDS
        while entry.id in screenshot_slides and host.fading:  # the picture of this slide alone
            yield 0.05
        shown, pages = set(), []
        for page in range(view.page_count):
            view.show_page(page)
            yield AUDIT_SETTLE_SECONDS
            screen = f"{entry.id} trang {page + 1}/{view.page_count}"
            report["problems"].extend(str(p) for p in audit(
                view, screen, size, settings, bounds=_rect(host), forbidden=frame_areas(app.frame)))
            shown |= words_shown(view)
            pages.append(_page_record(view))
            if entry.id in screenshot_slides:
                save_screenshot(Window, Path(screenshot_dir) / f"{entry.id}-{page + 1}.png")
        report["problems"].extend(str(p) for p in missing_words(content_texts(entry.slide), shown, entry.id, size))
        report["slides"].append({"id": entry.id, "type": entry.slide.type, "pages": pages})
    for name, opener in (("PIN", app.ask_pin), ("staff panel", app.open_staff_panel)):
        opener()
        yield AUDIT_SETTLE_SECONDS
        overlay = app.root_widget.overlay
        while getattr(overlay, "loading", False):  # the staff panel still gathers its status
            yield AUDIT_SETTLE_SECONDS
        report["problems"].extend(str(p) for p in audit(overlay, name, size, settings))
        app.root_widget.close_overlay()
    report["window"] = list(Window.size)


def _page_record(view) -> dict:
    """What a page holds: its texts in reading order, and for text in blocks, the room left under
    the last block and the height of its first block (pages are filled first); where its QR code is."""
    from screens.widgets import QrView

    record = {"texts": view_texts(view)}
    codes = [w for w in view.walk(restrict=True) if isinstance(w, QrView) and w.matrix is not None]
    if codes:
        record["qr"] = [round(n) for n in _rect(codes[0])]  # the code's box, and what it drew in it
        record["qr_drawn"] = [round(n) for n in drawn_rect(codes[0]) or _rect(codes[0])]
    for name in ("room_left", "first_block_needs"):
        if hasattr(view, name):
            record[name] = getattr(view, name)()
    return record


def _rect(widget):
    x, y = widget.to_window(widget.x, widget.y)
    return (x, y, x + widget.width, y + widget.height)


def resources() -> dict:
    """What this process holds now: resident memory, threads (native ones too), open files, and
    textures still in use (counted after a garbage collection)."""
    from kivy.graphics.texture import Texture

    gc.collect()
    status = Path("/proc/self/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return {"rss_mb": round(rss_kb / 1024, 1), "threads": len(os.listdir("/proc/self/task")),
            "files": len(os.listdir("/proc/self/fd")),
            "textures": sum(issubclass(type(o), Texture) for o in gc.get_objects())}


def longest_gap(frames, after: float, before: float) -> tuple[float, float]:
    """The longest wait between two frames drawn within [after, before] (a `frames` record's real
    times): (seconds, when the frame that ended it was drawn)."""
    times = [t for t, _ in frames if after <= t <= before]
    return max(((b - a, b) for a, b in zip(times, times[1:])), default=(0.0, after))


def refuse_feed_loading_on_this_thread(calls: list, elsewhere: list) -> None:
    """From now on kiosk.feed.validate.load_feed, called on this thread (Kivy's), fails and is written
    down in `calls` (where from); on any other thread of this process it works as ever and its
    thread's name goes in `elsewhere`. Every module that imported it by name gets the guarded one too."""
    import threading
    import traceback

    from kiosk.feed import validate

    loading = validate.load_feed
    kivy_thread = threading.current_thread()

    def guarded(*args, **kwargs):
        if threading.current_thread() is kivy_thread:
            calls.append("".join(traceback.format_stack(limit=8)))
            raise RuntimeError("load_feed called on the Kivy thread")
        elsewhere.append(threading.current_thread().name)
        return loading(*args, **kwargs)

    for module in list(sys.modules.values()):
        if getattr(module, "load_feed", None) is loading:
            module.load_feed = guarded


def main(config_path: str, on_start=None) -> int:
    """on_start(app, settings), for a test or benchmark running the harness in its own process, is
    called after the harness's own start, before the player starts."""
    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    recorder = Recorder()
    logging.getLogger("kiosk").addHandler(recorder)

    result = load_feed(config["feed"])
    if result.feed is None:
        print("\n".join(map(str, result.problems)), file=sys.stderr)
        return 1
    folder = Path(config["feed"])
    for name, content in config.get("corrupt", {}).items():
        (folder / name).write_bytes(content.encode("latin-1"))  # damaged on disk after it was checked
    settings = DisplaySettings(**{"id": config.get("display_id", "man-hinh-1"),
                                  "tags": config.get("display_tags", []), **config.get("settings", {})})
    width, height = config.get("size", (1280, 720))
    start_at = datetime.fromisoformat(config["start_at"]) if config.get("start_at") else None
    clock = DisplayClock(settings.zone(), start_at=start_at, speed=config.get("speed", 1.0))
    events, problems, actions, stopped_by, samples, frames = [], [], [], [], [], []
    kivy_thread_loads, process_loads, feed_changes, host_events = [], [], [], []
    listens = []  # the pages' "Nghe" buttons, in the order they were shown
    shown = Counter()
    keep = config.get("record", "full")
    audit_report = {"problems": [], "slides": []}
    began = time.monotonic()

    def start(app):
        """Once the frame is on screen; the player (made by the display) starts after this."""
        from kivy.clock import Clock
        from kivy.core.window import Window

        if config.get("no_feed_loading"):
            refuse_feed_loading_on_this_thread(kivy_thread_loads, process_loads)
        app.frame.fbind("feed", lambda _, feed: feed_changes.append((round(time.monotonic() - began, 4), feed.version)))
        if config.get("staff_panel_idle"):  # minutes in production; seconds in a test
            import screens.staff

            screens.staff.PANEL_IDLE_SECONDS = config["staff_panel_idle"]
        scale = min(Window.size) / 1080

        def check(view, page, slide_id):
            if app.player.view is not view or view.page != page:
                return
            host = app.frame.ids.host
            bounds = (host.x, host.y, host.right, host.top)
            problems.extend(f"{slide_id} trang {page + 1}: {p}" for p in label_problems(view, bounds, scale))
            for name in ("header", "sidebar"):
                section = app.frame.ids[name]
                bounds = (section.x, section.y, section.right, section.top)
                problems.extend(f"{name}: {p}" for p in label_problems(section, bounds, scale))

        def on_show(slide_id, view):
            kind = view.entry.slide.type if view.entry else "welcome"
            shown[kind] += 1
            if slide_id == config.get("sample_slide") and view.page == 0:
                # Counted once it is drawn (with the slide before it, fading out): the same moment of
                # every appearance, whether it was built ahead or only now, on a busy machine too.
                count = shown.total()
                app.frame.ids.host.when_drawn(lambda: samples.append(
                    {"shown": count, "real": round(time.monotonic() - began, 3), **resources()}))
            if shown.total() == config.get("stop_after"):
                Clock.schedule_once(finish, 0)
            if keep == "counts":
                return
            events.append({
                "real": round(time.monotonic() - began, 3),
                "late": round(time.monotonic() - app.player.deadline, 3),
                "feed": clock.now().isoformat(timespec="seconds"),
                "id": slide_id,
                "type": kind,
                "page": view.page,
                "pages": view.page_count,
            })
            if keep == "light":
                return
            page = view.page
            Clock.schedule_once(lambda *_: events[-1].setdefault("texts", view_texts(view))
                                if app.player.view is view else None, SETTLE_SECONDS)
            Clock.schedule_once(lambda *_: check(view, page, slide_id), SETTLE_SECONDS)

        def finish(*_):
            if stopped_by:
                return
            if config.get("screenshot"):
                save_screenshot(Window, Path(config["screenshot"]))
            stopped_by.append("harness")
            app.stop()

        if config.get("audit"):
            steps = audit_steps(app, result.feed, settings, (width, height), audit_report, clock.now(),
                                config.get("screenshot_slides", ()), config.get("screenshot_dir"))

            def step(*_):
                try:
                    Clock.schedule_once(step, next(steps))
                except StopIteration:
                    finish()

            step()
            return

        app.player.on_show = on_show
        if config.get("frames"):
            host = app.frame.ids.host
            Window.bind(on_flip=lambda *_: frames.append((round(time.monotonic() - began, 4), host.fading)))
            for name in ("on_drawn", "on_settled"):
                host.fbind(name, lambda _, view, name=name: host_events.append(
                    (name, view.entry.id if view.entry else "welcome", round(time.monotonic() - began, 4))))

        def act(action, settled=None):
            """Do one action and record what the screen shows; the checks run once it has settled:
            after SETTLE_SECONDS, or when `settled` (for steps) calls them."""
            done = perform(app, action)
            overlay = app.root_widget.overlay
            record = {"real": round(time.monotonic() - began, 3), "did": done,
                      "overlay": type(overlay).__name__ if overlay is not None else None, "fps": app.pace.fps}
            if isinstance(getattr(overlay, "message", None), str):  # the PIN pad's line
                record["message"] = overlay.message
            page = getattr(overlay, "page", None)
            if page is not None:
                record.update(page=type(page).__name__, title=page.title, texts=view_texts(page),
                              countdown=overlay.countdown)
            listen = getattr(page, "listen", None)
            if listen is not None and listen not in listens:
                listens.append(listen)
            if listens:  # every "Nghe" button shown so far: its phase, and whether it holds a sound
                record["listen"] = [{"phase": b.phase, "sound": b.sound is not None} for b in listens]
            audit_as = action.get("audit") and (action["audit"] if isinstance(action["audit"], str) else done)
            actions.append(record)
            if action.get("checks") is False:  # the frames are measured: no walk over the widgets
                return
            checks = lambda: inspect(overlay, page, record, again=settled is not None, audit_as=audit_as,  # noqa: E731
                                     expect=action.get("expect"))
            if settled:
                settled(checks)
            else:
                Clock.schedule_once(lambda *_: checks(), SETTLE_SECONDS)

        def inspect(overlay, page, record, again, audit_as=None, expect=None):
            """Into the action's record, once the screen has settled: the audit asked for, and on the
            loop the frame's parts, on a page its problems, buttons and texts drawn cut."""
            if audit_as and overlay is not None:
                record["audit"] = [str(p) for p in audit(overlay, audit_as, (width, height), settings,
                                                         expected_words=expect)]
            elif audit_as:  # the loop: what the app adds to the frame may not cover its parts or the slides
                areas = [*frame_areas(app.frame), ("slide area", app.frame.ids.host)]
                ids = list(app.frame.ids.values())
                added = [w for w in app.frame.children if w not in ids and not any(i.parent == w for i in ids)]
                record["audit"] = [str(p) for w in added for p in audit(w, audit_as, (width, height), settings,
                                                                         expected_words=expect, forbidden=areas)]
                view = app.player.view if app.player else None
                if view is not None:  # and the slide on screen keeps to the (smaller) slide area
                    host = app.frame.ids.host
                    record["audit"] += [str(p) for p in audit(
                        view, f"{audit_as}: {view.entry.id if view.entry else 'welcome'} trang {view.page + 1}",
                        (width, height), settings, bounds=_rect(host), forbidden=frame_areas(app.frame))]
            if overlay is None:
                record["parts"] = frame_parts(app.frame)
                return
            if page is not None:
                if again:  # laid out now: the reading order is the one on screen
                    record["texts"] = view_texts(page)
                record["problems"] = label_problems(page, (page.x, page.y, page.right, page.top), scale,
                                                    inside_scroll=True)
            if getattr(overlay, "page", None) is not page or app.root_widget.overlay is not overlay:
                record["stale"] = True  # the next action came first: the machine is too slow for the script
                return
            record.update(targets=touch_targets(overlay), cut=cut_texts(overlay))

        def settle(then, frames=2):
            """then() once AUDIT_SETTLE_SECONDS have passed and the window has drawn `frames` more frames:
            layout and textures are done however slow the machine is."""
            def wait(left):
                if left:
                    Clock.schedule_once(lambda *_: wait(left - 1), 0)
                else:
                    then()
            Clock.schedule_once(lambda *_: wait(frames), AUDIT_SETTLE_SECONDS)

        def run_steps(index=0):
            """`steps`: actions one after another, each once the one before has settled (no clock times)."""
            steps = config["steps"]
            if index == len(steps):
                finish()
                return
            # After a tap on the loop (it opens the menu), as long as a resident's second tap takes: the
            # counter ignores a tap this soon at the same place as the second of a double tap.
            pause = max(STEP_SECONDS if "tap" in steps[index] else 0, steps[index].get("wait", 0))
            act(steps[index], settled=lambda checks: settle(lambda: (
                checks(), Clock.schedule_once(lambda *_: run_steps(index + 1), pause))))

        for action in config.get("actions", []):
            Clock.schedule_once(lambda *_, a=action: act(a), action["at"])
        if config.get("steps"):
            Clock.schedule_once(lambda *_: run_steps(), config.get("steps_at", 1.0))
        Clock.schedule_once(finish, config.get("run_seconds", 10))

    def started(app):
        start(app)
        if on_start:
            on_start(app, settings)

    Display(settings, result.feed, folder, clock=clock, play=not config.get("audit"), on_start=started).run(
        windowed=True, size=(width, height))
    out = {"events": events, "problems": problems, "log": recorder.lines, "actions": actions,
           "stopped_by": stopped_by[0] if stopped_by else "app", "window": [width, height],
           "shown": shown, "samples": samples, "frames": frames, "host_events": host_events,
           "audit": audit_report, "kivy_thread_loads": kivy_thread_loads,
           "process_loads": process_loads, "feed_changes": feed_changes,
           "spawned": [{"exit": p.wait(timeout=60), "stderr": p.stderr.read()[-2000:]} for p in spawned]}
    Path(config["out"]).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
