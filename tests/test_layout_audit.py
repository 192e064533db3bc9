"""The layout audit (tests/layout_audit.py) over every slide and page of the sample feed and of a
stress feed of long real texts, plus the PIN pad and the staff panel, at every supported size.

One display process per size (tests/kiosk_harness.py with `audit`): its window is built once and
every screen is checked in it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from kiosk.feed.model import SLIDE_TYPES
from stress_feed import TITLE_250, stress_slides, write_stress_feed

REPO = Path(__file__).resolve().parents[1]
HARNESS = Path(__file__).resolve().parent / "kiosk_harness.py"
SIZES = [(1920, 1080), (1080, 1920), (1280, 720), (3840, 2160)]
AUDITED_AT = "2026-12-01T08:00:00"


def run_audit(tmp_path, feed: Path, size) -> dict:
    out = tmp_path / "audit.json"
    # At a moment before the sample's coming meetings: its meetings slide has them to show.
    config = {"feed": str(feed), "size": list(size), "audit": True, "out": str(out), "start_at": AUDITED_AT,
              "screenshot_slides": ["nq-dai", "nq-8-diem"], "screenshot_dir": str(tmp_path / "shots")}
    (tmp_path / "harness.json").write_text(json.dumps(config), encoding="utf-8")
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    result = subprocess.run([sys.executable, str(HARNESS), str(tmp_path / "harness.json")], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Traceback" not in result.stderr, result.stderr[-4000:]
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def audited(request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("audit")
    feed = write_stress_feed(tmp_path / "feed")
    shown = run_audit(tmp_path, feed, request.param)
    shown["shots"] = tmp_path / "shots"
    return request.param, shown


def test_every_page_of_the_sample_and_stress_feeds_passes_the_audit(audited):
    size, shown = audited
    report = shown["audit"]
    assert shown["window"] == list(size) and report["window"] == list(size), "the window is not the size asked"
    assert {slide["type"] for slide in report["slides"]} == set(SLIDE_TYPES), "every slide type is audited"
    ids = [slide["id"] for slide in report["slides"]]
    assert ids[-len(stress_slides()):] == [slide["id"] for slide in stress_slides()]
    problems = report["frame"] + report["problems"]
    assert problems == [], "\n".join(problems)


def test_long_titles_are_in_full_on_the_first_page_only_and_pages_are_filled(audited):
    size, shown = audited
    slides = {slide["id"]: slide for slide in shown["audit"]["slides"]}
    for slide_id in ("nq-dai", "tin-dai", "tin-dai-khong-anh"):
        pages = slides[slide_id]["pages"]
        assert TITLE_250 in pages[0]["texts"], (slide_id, pages[0]["texts"][:3])
        for number, page in enumerate(pages[1:], start=2):
            assert TITLE_250 not in page["texts"], f"{slide_id} page {number} repeats the title"
            assert any(text.endswith("(tiếp)") for text in page["texts"]), (slide_id, number, page["texts"][:3])
    if size == (1920, 1080):  # its title one size smaller rather than a second page for one short point
        assert len(slides["nq-ke-hoach-ky-hop"]["pages"]) == 1
    # Ten points of 100 characters make two or three pages' worth, not one page each.
    assert len(slides["nq-150"]["pages"]) <= 4, [page["texts"] for page in slides["nq-150"]["pages"]]
    for slide in slides.values():
        pages = slide["pages"]
        for number, (page, following) in enumerate(zip(pages, pages[1:]), start=1):
            if "room_left" in page:
                assert page["room_left"] < following["first_block_needs"], (
                    f"{slide['id']} page {number}: {page['room_left']:.0f} px left, "
                    f"the next block needs {following['first_block_needs']:.0f}")


def test_a_resolutions_qr_code_keeps_its_place_and_size_and_scans_whatever_its_title(audited):
    size, shown = audited
    slides = {slide["id"]: slide for slide in shown["audit"]["slides"]}
    places = {(slide_id, number): tuple(page["qr"]) for slide_id, slide in slides.items()
              if slide["type"] == "resolution" and slide_id != "nq-dai-khong-ma"
              for number, page in enumerate(slide["pages"], start=1)}
    assert len(set(places.values())) == 1, places
    box = next(iter(places.values()))
    for slide_id, slide in slides.items():
        for page in slide["pages"]:
            if "qr" in page:
                x, y, right, top = page["qr_drawn"]  # a longer link has more modules: smaller ones, same place
                assert box[0] <= x and box[1] <= y and right <= box[2] and top <= box[3], (slide_id, page["qr_drawn"])
                assert x >= 0 and right <= size[0] and y >= 0 and top <= size[1]
                assert min(right - x, top - y) >= 300 * min(size) / 1080, "smaller than a phone reads from a metre"
    assert "qr" not in slides["nq-dai-khong-ma"]["pages"][0], "a resolution with no link shows no code"
    shots = sorted(shown["shots"].glob("nq-*.png"))
    assert len(shots) == len(slides["nq-dai"]["pages"]) + len(slides["nq-8-diem"]["pages"])
    for shot in shots:
        found = {code.text for code in zxingcpp.read_barcodes(Image.open(shot).convert("RGB"))}
        assert "https://dongda.hanoi.gov.vn/nq/de-an-2045" in found, (shot.name, found)
