"""The real app in a real window (Xvfb): it starts on the sample feed and draws a readable first slide."""

import os
import subprocess
import sys
from pathlib import Path

import zxingcpp
from PIL import Image, ImageStat

REPO = Path(__file__).resolve().parents[1]


def run_kiosk(*args, tmp_path, timeout=120):
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    return subprocess.run([sys.executable, "-m", "kiosk", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_first_slide_is_drawn_with_header_and_scannable_website_code(tmp_path):
    shot = tmp_path / "first.png"
    result = run_kiosk("run", "--size", "1280x720", "--screenshot", str(shot), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr

    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 720)
    # Not a blank or black screen: the picture has real contrast.
    assert ImageStat.Stat(image.convert("L")).stddev[0] > 30
    # The header is the ward's red across the top.
    r, g, b = image.getpixel((640, 8))
    assert r > 150 and g < 60 and b < 60, (r, g, b)
    # The corner QR code scans to the ward's website.
    texts = {code.text for code in zxingcpp.read_barcodes(image)}
    assert "https://dongda.hanoi.gov.vn" in texts, texts


def test_a_broken_feed_is_refused_in_plain_words_before_any_window_opens(tmp_path):
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "feed.yaml").write_text("format: 1\nversion: 1\nexpires: 2027-02-30\n", encoding="utf-8")
    result = run_kiosk("run", str(feed), "--windowed", tmp_path=tmp_path, timeout=30)
    assert result.returncode == 1
    assert "feed.yaml:3:10: `2027-02-30` không phải ngày có thật" in result.stderr
    assert "Traceback" not in result.stderr and "[Window" not in result.stderr, "no window was opened"
