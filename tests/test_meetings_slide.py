"""The loop's `meetings` slide (issue 16): the next meetings of delegates with residents, soonest
first, paginated like the other lists; a meeting that is over is not shown, and the loop passes
over the slide when none is coming. The loop's part needs no window; the pages are checked by the
layout audit in the real window at 1920x1080 and 1080x1920."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from kiosk.feed.model import Feed
from kiosk.feed.validate import load_feed
from kiosk.play.schedule import Loop
from kiosk.words import format_date
from stress_feed import WrittenOut

REPO = Path(__file__).resolve().parents[1]
HARNESS = Path(__file__).resolve().parent / "kiosk_harness.py"
SAMPLE = yaml.safe_load((REPO / "config" / "feed.yaml").read_text(encoding="utf-8"))
DELEGATES = [s for s in SAMPLE["slides"] if s["type"] == "delegates"]  # the lists the sample's areas name
NAMES = [person["name"] for person in DELEGATES[-1]["people"]]
START = datetime(2026, 12, 1, 8, 0)  # the harness's clock starts here
PLACE = "Nhà văn hóa tổ dân phố số {n}, ngõ {n} phố Tây Sơn, phường Đống Đa, thành phố Hà Nội"


def meeting(day: date, start: str, end: str, n: int, **extra) -> dict:
    return {"kind": "tiep-xuc-cu-tri" if n % 2 else "tiep-cong-dan", "date": day.isoformat(), "start": start,
            "end": end, "place": PLACE.format(n=n), "delegates": NAMES[n % len(NAMES):][:2] or NAMES[:2], **extra}


def many_meetings() -> list[dict]:
    """Three over before START, one under way at START, fourteen to come (every other with a note)."""
    past = [meeting(date(2026, 11, 10 + n), "08:00", "10:00", n) for n in range(3)]
    under_way = [meeting(START.date(), "07:30", "09:00", 3)]
    coming = [meeting(date(2026, 12, 3) + timedelta(days=2 * n), "14:00", "16:30", 4 + n,
                      **({"note": "Bà con mang theo căn cước; cử tri cả phường được mời dự."} if n % 2 else {}))
              for n in range(14)]
    return past + under_way + coming


def feed_data(meetings: list[dict], count: int = 30) -> dict:
    data = dict(SAMPLE, meetings=meetings)
    data["slides"] = [{"type": "meetings", "id": "lich-gap", "count": count}, *DELEGATES]
    return data


def feed_of(meetings: list[dict], count: int = 30) -> Feed:
    return Feed.model_validate(yaml.safe_load(yaml.dump(feed_data(meetings, count), Dumper=WrittenOut,
                                                        allow_unicode=True)))


def shown_meetings(feed: Feed, now: datetime):
    entry = next((e for e in Loop(feed).active(now) if e.slide.type == "meetings"), None)
    return None if entry is None else [(m.date, m.start, m.place) for m in entry.slide.listed]


@pytest.mark.parametrize("now", [START - timedelta(days=30), START, START + timedelta(hours=1),
                                 datetime(2026, 12, 3, 16, 29), datetime(2026, 12, 3, 16, 30),
                                 datetime(2026, 12, 20, 12, 0), datetime(2026, 12, 29, 16, 29)])
def test_the_slide_lists_the_meetings_not_over_soonest_first_within_its_count(now):
    meetings = many_meetings()
    feed = feed_of(list(reversed(meetings)), count=5)  # written in any order
    expected = sorted((m for m in feed.meetings if m.ends_at > now), key=lambda m: m.starts_at)[:5]
    assert shown_meetings(feed, now) == [(m.date, m.start, m.place) for m in expected]


@pytest.mark.parametrize("meetings", [[], many_meetings()[:3], many_meetings()], ids=["none", "all-past", "all-over"])
def test_the_loop_passes_over_the_slide_when_no_meeting_is_coming(meetings):
    feed = feed_of(meetings)
    later = datetime(2027, 2, 1)  # every meeting of many_meetings() is over
    loop = Loop(feed)
    assert shown_meetings(feed, later) is None
    assert {loop.advance(later).slide.type for _ in range(2 * len(feed.slides))} == {"delegates"}


def audit(tmp_path, data: dict, size) -> dict:
    folder = tmp_path / "feed"
    shutil.copytree(REPO / "config", folder)  # the sample's media with it
    (folder / "feed.yaml").write_text(yaml.dump(data, Dumper=WrittenOut, allow_unicode=True, sort_keys=False),
                                      encoding="utf-8")
    assert load_feed(folder).feed is not None, load_feed(folder).problems
    out = tmp_path / "audit.json"
    config = {"feed": str(folder), "size": list(size), "audit": True, "out": str(out),
              "start_at": START.isoformat(), "screenshot_slides": ["lich-gap"], "screenshot_dir": str(tmp_path)}
    (tmp_path / "harness.json").write_text(json.dumps(config), encoding="utf-8")
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    result = subprocess.run([sys.executable, str(HARNESS), str(tmp_path / "harness.json")], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-4000:]
    return json.loads(out.read_text(encoding="utf-8"))["audit"]


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)], ids=lambda size: f"{size[0]}x{size[1]}")
def test_a_long_list_of_meetings_goes_over_full_pages_each_meeting_whole_and_once(tmp_path, size):
    meetings = many_meetings()
    report = audit(tmp_path, feed_data(meetings), size)
    assert report["problems"] == [], "\n".join(report["problems"])
    (slide,) = [s for s in report["slides"] if s["id"] == "lich-gap"]
    pages = slide["pages"]
    assert len(pages) >= 3, [page["texts"] for page in pages]
    texts = [text for page in pages for text in page["texts"]]
    coming = meetings[3:]
    for number, written in enumerate(coming):
        holding = [n for n, page in enumerate(pages) if any(written["place"] in text for text in page["texts"])]
        assert len(holding) == 1, (written["place"], holding)  # on one page, never cut between two
        day = format_date(date.fromisoformat(written["date"]))
        assert any(day in text and f"từ {written['start']} đến {written['end']}" in text for text in texts), day
    order = [next(n for n, text in enumerate(texts) if written["place"] in text) for written in coming]
    assert order == sorted(order), "soonest first"
    for written in meetings[:3]:
        assert not any(written["place"] in text for text in texts), f"a meeting over is shown: {written['date']}"
    for number, (page, following) in enumerate(zip(pages, pages[1:]), start=1):
        assert page["room_left"] < following["first_block_needs"], f"page {number} could hold the next meeting"
    assert len(list(tmp_path.glob("lich-gap-*.png"))) == len(pages)
