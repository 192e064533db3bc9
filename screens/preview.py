"""`kiosk preview`: every page of every slide a display would show at a moment, as PNG files.

Staff check a feed with it before publishing; tests use it. It drives the same frame and slide
views as the display, one page at a time, and writes index.html and index.txt beside the PNGs."""

from __future__ import annotations

import html
import logging
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kiosk.play.clock import DisplayClock
from kiosk.play.schedule import DisplayIdentity, Loop
from kiosk.words import format_clock
from screens.app import save_screenshot
from screens.display import Display


log = logging.getLogger("kiosk.preview")


@dataclass
class Shot:
    file: str
    slide_id: str
    slide_type: str
    page: int
    pages: int
    seconds: float
    problem: str = ""


class PreviewRunner:
    def __init__(self, app, entries, folder: Path, out: Path, moment: datetime):
        self.app = app
        self.entries = list(entries)
        self.folder = folder
        self.out = out
        self.moment = moment
        self.shots: list[Shot] = []

    def start(self):
        from kivy.clock import Clock

        self.Clock = Clock
        self.app.frame.ids.header.show_time(self.moment)
        self.out.mkdir(parents=True, exist_ok=True)
        self._steps = self._run()
        self._step()

    def _step(self, *_):
        try:
            wait = next(self._steps)
        except StopIteration:
            self._write_index()
            self.app.stop()
            return
        if callable(wait):  # a step that waits for an event (the host's next drawn frame), not a time
            wait(self._step)
        else:
            self.Clock.schedule_once(self._step, wait)

    def _run(self):
        from kivy.core.window import Window

        from screens.slides import make_view

        host = self.app.frame.ids.host
        yield host.when_drawn
        for number, entry in enumerate(self.entries, start=1):
            host.clear_widgets()
            view = make_view(entry, self.folder, theme=self.app.frame.theme, pace=self.app.frame.pace)
            view.pos_hint = {"x": 0, "y": 0}
            host.add_widget(view)
            host.current = view
            yield host.when_drawn
            yield from view.before_preview(host.when_drawn)  # a video plays to its first frame
            problem = view.failure
            for page in range(view.page_count):
                view.show_page(page)
                yield host.when_drawn
                name = f"{number:02d}-{entry.id}" + (f"-trang-{page + 1}" if view.page_count > 1 else "") + ".png"
                save_screenshot(Window, self.out / name)
                self.shots.append(Shot(name, entry.id, entry.slide.type, page + 1, view.page_count,
                                       view.shown_seconds(), problem))
            view.leave()
        host.clear_widgets()

    def _write_index(self):
        lines = [f"{s.file}\t{s.slide_id}\t{s.slide_type}\t{s.page}/{s.pages}\t{round(s.seconds)}s\t{s.problem}"
                 .rstrip() for s in self.shots]
        (self.out / "index.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        rows = "\n".join(
            f"<figure><img src='{html.escape(s.file)}' width='640'><figcaption>{html.escape(s.slide_id)} · "
            f"{s.slide_type} · trang {s.page}/{s.pages} · {seconds_text(s.seconds)}"
            f"{' · <b>' + html.escape(s.problem) + '</b>' if s.problem else ''}</figcaption></figure>"
            for s in self.shots
        )
        (self.out / "index.html").write_text(
            "<!doctype html><meta charset='utf-8'><title>Xem trước bản tin</title>"
            f"<h1>Xem trước lúc {html.escape(format_clock(self.moment))}</h1>\n{rows}\n",
            encoding="utf-8",
        )


def seconds_text(seconds: float) -> str:
    """A page's time in words: whole seconds; a video whose length is not known says so."""
    return f"{round(seconds)} giây" if seconds > 0 else "đến hết video"


def main(args, loaded) -> int:
    """Save the preview of what kiosk.play.content.load_display returned."""
    settings, feed, folder = loaded
    identity = settings.identity()
    if args.display:
        identity = DisplayIdentity(args.display, frozenset(args.display_tag or ()))
    clock = DisplayClock(settings.zone(), start_at=args.at)
    moment = clock.now()
    entries = Loop(feed, identity).active(moment)
    runner_holder = {}

    def start(app):
        runner_holder["runner"] = PreviewRunner(app, entries, folder, args.out, moment)
        runner_holder["runner"].start()

    Display(settings, feed, folder, clock=clock, play=False, sync=False, fleet=False, on_start=start).run(
        windowed=True, size=args.size)
    runner = runner_holder.get("runner")
    if runner is None:
        print("không mở được cửa sổ để xem trước", file=sys.stderr)
        return 1
    failed = [shot for shot in runner.shots if shot.problem]
    for shot in failed:
        print(f"{shot.slide_id}: {shot.problem}", file=sys.stderr)
    print(f"Đã lưu {len(runner.shots)} hình của {len(entries)} trang chiếu vào {args.out}")
    return 1 if failed else 0
