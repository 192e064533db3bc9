"""`kiosk preview` renders every page of every slide; the QR codes in its PNGs scan to the feed's links."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from kiosk.feed.media import probe_mp4
from kiosk.feed.validate import load_feed
from stress_feed import write_stress_feed

REPO = Path(__file__).resolve().parents[1]


def preview(tmp_path, feed, size) -> list[list[str]]:
    """`kiosk preview` of a feed at a size: the rows of its index.txt."""
    out = tmp_path / "preview"
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    result = subprocess.run([sys.executable, "-m", "kiosk", "preview", str(feed), "--out", str(out), "--size", size],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return [line.split("\t") for line in (out / "index.txt").read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("size", ["1920x1080", "1280x720", "1080x1920"])
def test_preview_pages_carry_scannable_codes_to_the_feeds_links(tmp_path, size):
    rows = preview(tmp_path, REPO / "config", size)
    out = tmp_path / "preview"
    feed = load_feed(REPO / "config").feed
    assert [row[1] for row in rows if row[3].startswith("1/")] == [slide.id for slide in feed.slides]
    assert (out / "index.html").is_file()

    # A video's row gives its length as played (to its end, within its limit), not "0 giây".
    videos = {slide.id: slide for slide in feed.slides if slide.type == "video"}
    for file, slide_id, _, _, seconds, *_ in rows:
        if slide_id in videos:
            slide = videos[slide_id]
            played = min(slide.max_seconds or 600, probe_mp4(REPO / "config" / slide.file).seconds)
            assert seconds == f"{round(played)}s" and played >= 1, (file, seconds, played)
    page_html = (out / "index.html").read_text(encoding="utf-8")
    assert " 0 giây" not in page_html and f"{round(played)} giây" in page_html

    width, height = (int(n) for n in size.split("x"))
    links = {slide.id: slide.link.url for slide in feed.slides if slide.type == "resolution" and slide.link}
    for file, slide_id, *_ in rows:
        image = Image.open(out / file)
        assert image.size == (width, height)
        found = {code.text for code in zxingcpp.read_barcodes(image.convert("RGB"))}
        assert feed.ward.website.url in found, f"{file}: corner code not readable ({found})"
        if slide_id in links:
            assert links[slide_id] in found, f"{file}: the resolution's code not readable ({found})"


def test_a_250_character_resolution_title_keeps_its_points_and_a_whole_qr_code_in_portrait(tmp_path):
    # The case: the title grew over the header, the 8 points never showed, the code was
    # pushed half off the left edge.
    feed = write_stress_feed(tmp_path / "feed", only=("nq-8-diem",))
    rows = preview(tmp_path, feed, "1080x1920")
    assert 2 <= len(rows) <= 4, rows
    for file, *_ in rows:
        image = Image.open(tmp_path / "preview" / file).convert("RGB")
        found = {code.text for code in zxingcpp.read_barcodes(image)}
        assert "https://dongda.hanoi.gov.vn/nq/de-an-2045" in found, (file, found)
