"""The display loop in a real window under Xvfb, on an accelerated clock (tests/kiosk_harness.py)."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from PIL import Image, ImageStat

from kiosk.feed.validate import load_feed
from kiosk.vietnamese import name_sort_key

REPO = Path(__file__).resolve().parents[1]
HARNESS = Path(__file__).resolve().parent / "kiosk_harness.py"
MINIMAL = Path(__file__).resolve().parent / "feeds" / "minimal"


def run_display(tmp_path, feed, *, size=(1280, 720), speed=20.0, seconds=10.0, start_at=None, **extra):
    out = tmp_path / "shown.json"
    config = {"feed": str(feed), "size": list(size), "speed": speed, "run_seconds": seconds,
              "start_at": start_at, "out": str(out), **extra}
    config_path = tmp_path / "harness.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    result = subprocess.run([sys.executable, str(HARNESS), str(config_path)], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=seconds + 90)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Traceback" not in result.stderr, result.stderr[-4000:]
    return json.loads(out.read_text(encoding="utf-8"))


def make_feed(tmp_path, slides, *, media=None) -> Path:
    """A small feed folder: the minimal feed's ward and media, extra media files, these slides."""
    folder = tmp_path / "feed"
    shutil.copytree(MINIMAL, folder)
    for name, source in (media or {}).items():
        shutil.copy(source, folder / name)
    data = yaml.safe_load((folder / "feed.yaml").read_text(encoding="utf-8"))
    data["slides"] = slides
    data.pop("faq", None)
    (folder / "feed.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = load_feed(folder)
    assert result.feed is not None, "\n".join(map(str, result.problems))
    return folder


def first_cycle(events):
    """Events up to (not including) the second appearance of the first slide's first page."""
    first = events[0]["id"]
    for index, event in enumerate(events[1:], start=1):
        if event["id"] == first and event["page"] == 0:
            return events[:index]
    return events


def test_sample_loop_plays_in_feed_order_on_absolute_deadlines(tmp_path):
    speed = 20.0
    shown = run_display(tmp_path, REPO / "config", size=(1280, 720), speed=speed, seconds=45)
    feed = load_feed(REPO / "config").feed
    events = shown["events"]
    cycle = first_cycle(events)
    assert len(cycle) < len(events), "the loop did not come back to its first slide"

    ids_in_order = [e["id"] for i, e in enumerate(cycle) if i == 0 or cycle[i - 1]["id"] != e["id"]]
    expected = [slide.id for slide in feed.slides]
    assert ids_in_order == expected

    # Each paginated slide shows its pages in order, every one of them.
    for slide_id in expected:
        pages = [e["page"] for e in cycle if e["id"] == slide_id]
        assert pages == list(range(len(pages))), (slide_id, pages)

    # Still pages last their duration. Software rendering on a busy machine draws a frame in up to
    # a few tenths of a second, so one page may start that much late; deadlines are absolute, so
    # the lateness never accumulates and the average is exact.
    durations = {slide.id: slide.page_seconds for slide in feed.slides}
    still = [(e, n) for e, n in zip(cycle, cycle[1:]) if e["type"] != "video"]
    gaps = [(n["real"] - e["real"], durations[e["id"]] / speed) for e, n in still]
    assert all(abs(real - planned) < 0.6 for real, planned in gaps), gaps
    assert abs(sum(real for real, _ in gaps[1:]) - sum(planned for _, planned in gaps[1:])) < 0.6, "drift"

    assert shown["problems"] == []
    assert not [line for line in shown["log"] if line.startswith(("WARNING", "ERROR"))]


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)], ids=["1920x1080", "1080x1920"])
def test_every_slide_fits_its_box_at_other_sizes(tmp_path, size):
    shown = run_display(tmp_path, REPO / "config", size=size, speed=40.0, seconds=30)
    order = [slide.id for slide in load_feed(REPO / "config").feed.slides]
    assert {e["id"] for e in shown["events"]} == set(order)
    changes = [(a["id"], b["id"]) for a, b in zip(shown["events"], shown["events"][1:]) if a["id"] != b["id"]]
    assert all(order.index(b) == (order.index(a) + 1) % len(order) for a, b in changes), changes
    assert shown["problems"] == []


def test_a_list_of_120_delegates_is_paginated_in_official_order(tmp_path):
    family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
    middle = ["Văn", "Thị", "Minh", "Thu", "Quang", "Ngọc", "Đức", "Thanh", "Hữu", "Thị Thanh"]
    given = ["An", "Anh", "Ánh", "Ân", "Bình", "Cường", "Dũng", "Dương", "Đạt", "Đức", "Giang", "Hà", "Hải",
             "Hằng", "Hạnh", "Hoa", "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Minh", "Nam",
             "Ngọc", "Nhung", "Phương", "Quân", "Sơn", "Thảo", "Trang", "Tuấn", "Uyên", "Vinh", "Yến"]
    names = [f"{family[i % 12]} {middle[(i * 7) % 10]} {given[(i * 5) % 36]}" for i in range(120)]
    people = [{"name": name, "position": f"Tổ dân phố số {i % 40 + 1}"} for i, name in enumerate(names)]
    feed = make_feed(tmp_path, [{"type": "delegates", "id": "danh-sach-dai", "body": "hdnd-phuong",
                                 "constituency": "Đơn vị bầu cử số 1", "people": people, "duration": 20}])
    shown = run_display(tmp_path, feed, size=(1920, 1080), speed=40.0, seconds=14)

    pages = first_cycle(shown["events"])
    count = pages[-1]["pages"]  # the first page appears before the slide has measured its pages
    assert 1 < count <= 20 and len(pages) == count, "at 1920x1080 a page holds at least six people"
    shown_names = [text for page in pages for text in page["texts"] if text in names]
    assert shown_names == sorted(names, key=name_sort_key), "every name once, in official order"
    per_page = math.ceil(len(names) / count)
    assert all(len([t for t in page["texts"] if t in names]) <= per_page for page in pages)
    assert f"Trang 2/{count}" in pages[1]["texts"]
    assert shown["problems"] == []


def test_a_scheduled_slide_appears_and_disappears_at_its_times(tmp_path):
    feed = make_feed(tmp_path, [
        {"type": "text", "id": "luon-hien", "title": "Luôn hiện", "body": "Nội dung.", "duration": 30},
        {"type": "text", "id": "co-hen-gio", "title": "Có hẹn giờ", "body": "Nội dung.", "duration": 30,
         "start": "2026-12-01 08:02", "end": "2026-12-01 08:05"},
    ])
    shown = run_display(tmp_path, feed, speed=60.0, seconds=9, start_at="2026-12-01T08:00:00")
    scheduled = [datetime.fromisoformat(e["feed"]) for e in shown["events"] if e["id"] == "co-hen-gio"]
    assert scheduled, "the scheduled slide never appeared"
    assert all(datetime(2026, 12, 1, 8, 2) <= t < datetime(2026, 12, 1, 8, 5) for t in scheduled)
    after = [e for e in shown["events"] if datetime.fromisoformat(e["feed"]) >= datetime(2026, 12, 1, 8, 5)]
    assert after and all(e["id"] == "luon-hien" for e in after)


def test_an_urgent_slide_interrupts_within_a_second_and_repeats_until_it_ends(tmp_path):
    speed = 10.0
    feed = make_feed(tmp_path, [
        {"type": "text", "id": "binh-thuong", "title": "Bình thường", "body": "Nội dung.", "duration": 600},
        {"type": "text", "id": "khan", "title": "Tin khẩn", "body": "Mất nước.", "duration": 15, "urgent": True,
         "start": "2026-12-01 08:00:30", "end": "2026-12-01 08:01:30"},
    ])
    shown = run_display(tmp_path, feed, speed=speed, seconds=11, start_at="2026-12-01T08:00:00")
    events = [(e["id"], datetime.fromisoformat(e["feed"])) for e in shown["events"]]
    begins, ends = datetime(2026, 12, 1, 8, 0, 30), datetime(2026, 12, 1, 8, 1, 30)
    urgent = [t for slide_id, t in events if slide_id == "khan"]
    assert urgent and (urgent[0] - begins) < timedelta(seconds=1 * speed), "interrupted within a real second"
    assert len(urgent) >= 3, "repeats while active"
    assert all(begins <= t < ends for t in urgent)
    back = [t for slide_id, t in events if slide_id == "binh-thuong" and t >= ends]
    assert back and back[0] - ends < timedelta(seconds=1 * speed)


def test_a_broken_image_or_video_is_skipped_and_logged_while_the_loop_goes_on(tmp_path):
    feed = make_feed(tmp_path, [
        {"type": "text", "id": "truoc", "title": "Trước", "body": "Nội dung.", "duration": 20},
        {"type": "image", "id": "anh-hong", "file": "media/logo.png"},
        {"type": "video", "id": "video-hong", "file": "media/clip.mp4"},
        {"type": "text", "id": "sau", "title": "Sau", "body": "Nội dung.", "duration": 20},
    ], media={"media/clip.mp4": REPO / "config" / "media" / "video-nhiem-ky-moi.mp4"})
    shown = run_display(tmp_path, feed, speed=20.0, seconds=8,
                        corrupt={"media/logo.png": "not a png", "media/clip.mp4": "not a video"})
    ids = [e["id"] for e in shown["events"]]
    assert set(ids) == {"truoc", "sau"} and ids.count("truoc") >= 2, ids
    log = "\n".join(shown["log"])
    assert "anh-hong" in log and "video-hong" in log, log


def test_when_no_slide_opens_the_ward_screen_shows_and_each_failure_is_logged_once(tmp_path):
    feed = make_feed(tmp_path, [
        {"type": "image", "id": "anh-hong", "file": "media/logo.png", "duration": 20},
        {"type": "image", "id": "anh-hong-nua", "file": "media/logo.png", "duration": 20},
    ])
    shown = run_display(tmp_path, feed, speed=60.0, seconds=6, corrupt={"media/logo.png": "not a png"})
    assert [e["id"] for e in shown["events"]][:1] == ["welcome"], shown["events"]
    warnings = [line for line in shown["log"] if line.startswith(("WARNING", "ERROR"))]
    assert sum("bỏ qua trang anh-hong:" in line for line in warnings) == 1, warnings
    assert sum("không trang nào mở được" in line for line in warnings) == 1, warnings
    assert len(warnings) == 3, warnings


def test_the_loop_runs_slowly_while_nothing_moves_and_at_full_rate_while_something_does(tmp_path):
    feed = make_feed(tmp_path, [
        {"type": "text", "id": "mot", "title": "Một", "body": "Nội dung.", "duration": 40},
        {"type": "text", "id": "hai", "title": "Hai", "body": "Nội dung.", "duration": 40},
    ])
    data = yaml.safe_load((feed / "feed.yaml").read_text(encoding="utf-8"))
    data.pop("ticker", None)
    (feed / "feed.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    # at speed 10 the first change is at 4 s; its fade lasts 0.6 s
    actions = [{"at": 3.0, "look": True}, {"at": 4.3, "look": True}, {"at": 5.5, "look": True},
               {"at": 6.0, "tap": [0.5, 0.5]}, {"at": 6.5, "look": True}]
    shown = run_display(tmp_path, feed, speed=10.0, seconds=7.5, actions=actions, settings={"mode": "counter"})
    assert [a["fps"] for a in shown["actions"]] == [10, 60, 10, 60, 60], shown["actions"]
    assert [e["id"] for e in shown["events"]][:2] == ["mot", "hai"]


def test_an_empty_loop_shows_the_ward_screen_not_black(tmp_path):
    feed = make_feed(tmp_path, [
        {"type": "text", "id": "da-het-han", "title": "Đã hết hạn", "body": "Nội dung.", "end": "2026-01-31"},
    ])
    shot = tmp_path / "empty.png"
    shown = run_display(tmp_path, feed, speed=1.0, seconds=3, start_at="2026-12-01T08:00:00",
                        screenshot=str(shot))
    assert [e["id"] for e in shown["events"]] == ["welcome"]
    image = Image.open(shot).convert("L")
    assert ImageStat.Stat(image).mean[0] > 100, "a light, calm screen"
    assert shown["problems"] == []


def test_proof_of_play_records_each_slide_shown_for_kiosk_stats(tmp_path):
    feed = make_feed(tmp_path, [
        {"type": "text", "id": "mot", "title": "Một", "body": "Nội dung.", "duration": 20},
        {"type": "text", "id": "hai", "title": "Hai", "body": "Nội dung.", "duration": 20},
    ])
    shown = run_display(tmp_path, feed, speed=20.0, seconds=6)
    shown_ids = [e["id"] for e in shown["events"]]
    state = tmp_path / "state" / "ward-kiosk"
    plays = [json.loads(line) for line in (state / "play.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [p["slide"] for p in plays] == shown_ids, "every slide shown, in order, the last when the app stopped"
    assert all(p["display"] == "man-hinh-1" for p in plays)
    assert all(abs(p["seconds"] - 20) <= 6 for p in plays[1:-1]), plays
    stats = subprocess.run([sys.executable, "-m", "kiosk", "stats", "--state", str(state)], cwd=REPO,
                           capture_output=True, text=True)
    assert stats.returncode == 0 and "mot" in stats.stdout and "hai" in stats.stdout, stats.stdout
