"""A view built ahead of its turn spreads its work over frames (screens/staging.py): its pages are
measured and its labels drawn a share of each frame at a time, in a real window, and it ends up
as a view built at once would be; at its turn what is left is done at once."""

from __future__ import annotations

import json

from stress_feed import write_stress_feed
from test_slide_types import BARE_APP, python

STAGED = BARE_APP + """
from kivy.uix.label import Label
from screens.widgets import WrappedLabel
feed = load_feed(sys.argv[1]).feed
entry = next(entry for entry in Loop(feed).entries if entry.id == "nq-dai")  # 250 characters, 10 long points


def texts(view):
    return [label.text for label in view.walk(restrict=True) if isinstance(label, Label)]


def undrawn(view):
    return sum(1 for label in view.walk(restrict=True)
               if isinstance(label, WrappedLabel) and label.text and label.texture is None)


class Staged(BareApp):
    def on_start(self):
        self.pace = FramePace()
        self.frames = []
        self.staged = self.view(staging=True)  # first: nothing of it measured before
        Clock.schedule_interval(self.frame, 0)

    def view(self, staging):
        view = make_view(entry, sys.argv[1], theme=self.theme, pace=self.pace)
        view.staging = staging
        view.size_hint = (None, None)
        view.size = (1280, 720)
        self.root.add_widget(view)
        return view

    def frame(self, _):
        self.frames.append({"owed": len(self.staged._owed), "measuring": self.staged._tries,
                            "pages": self.staged.page_count, "fps": self.pace.fps})
        if len(self.frames) == 100:  # the staged one is done: one at once, and one whose turn comes early
            self.at_once = self.view(staging=False)
            self.finished = self.view(staging=True)
        elif len(self.frames) == 101:  # a frame in: its labels wait for their share
            self.owed_before = len(self.finished._owed)
            self.finished.finish_staging()
            self.finished_at_once = {"owed": len(self.finished._owed), "undrawn": undrawn(self.finished)}
        elif len(self.frames) == 103:
            print(json.dumps({"frames": self.frames, "finished": self.finished_at_once, "owed_before": self.owed_before,
                              "same": texts(self.staged) == texts(self.at_once) == texts(self.finished),
                              "pages": [self.at_once.page_count, self.staged.page_count, self.finished.page_count],
                              "undrawn": undrawn(self.staged), "fps": self.pace.fps, "still": 10.0}))
            self.stop()


Staged().run()
"""


def test_a_view_built_ahead_is_measured_and_drawn_over_frames_and_ends_as_one_built_at_once(tmp_path):
    result = python(tmp_path, STAGED.replace("sys.argv[1]", repr(str(write_stress_feed(tmp_path / "feed")))))
    assert result.returncode == 0, result.stderr[-3000:]
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    frames = shown["frames"][:100]
    # Spread: for some frames its pages were still being measured, then its labels waited their turn.
    assert sum(1 for frame in frames if frame["measuring"]) >= 2, frames[:10]
    assert sum(1 for frame in frames if frame["owed"]) >= 2, frames[:30]
    assert all(frame["fps"] == 60.0 for frame in frames if frame["owed"] or frame["measuring"]), frames[:30]
    # Done within the 120 frames, the same as built at once; the pace let go.
    assert frames[-1]["owed"] == 0 and frames[-1]["measuring"] == 0 and shown["undrawn"] == 0, frames[-5:]
    assert shown["same"] and len(set(shown["pages"])) == 1 and shown["pages"][0] > 1, shown
    assert shown["fps"] == shown["still"], shown
    # Its turn before its staging was done: everything at once.
    assert shown["owed_before"] > 0, shown
    assert shown["finished"] == {"owed": 0, "undrawn": 0}, shown["finished"]


def test_a_slides_next_page_is_a_view_built_ahead_and_takes_its_place_without_a_fade(tmp_path):
    from test_display_loop import make_feed, run_display
    from stress_feed import STORY

    feed = make_feed(tmp_path, [
        {"type": "text", "id": "dai", "title": "Người giữ ngõ", "body": STORY, "duration": 40},
        {"type": "text", "id": "ngan", "title": "Ngắn", "body": "Nội dung.", "duration": 10},
    ])
    shown = run_display(tmp_path, feed, size=(1280, 720), speed=20.0, seconds=12, frames=True)
    pages = [(e["page"], e["pages"], e["real"]) for e in shown["events"] if e["id"] == "dai"]
    count = max(pages_of for _, pages_of, _ in pages)
    assert count >= 2 and [page for page, _, _ in pages[:count]] == list(range(count)), pages
    # Each page of it drawn as a view of its own: the host says so at each page, as at each slide.
    drawn = [t for name, slide_id, t in shown["host_events"] if name == "on_drawn" and slide_id == "dai"]
    assert len(drawn) >= len(pages) - 1, (drawn, pages)
    second = drawn[1]
    assert not any(fading for t, fading in shown["frames"] if second - 0.01 < t < second + 0.3), \
        "a page change does not fade"
    later = [e for e in shown["events"] if e["id"] == "dai" and e["page"] == 1][0]
    assert any(text.endswith("(tiếp)") for text in later["texts"]), later["texts"]
    assert shown["problems"] == [], shown["problems"]
