"""The bundled sample feed: valid, wired to the committed schema, true to the ward's plan."""

import json
import subprocess
import sys
from pathlib import Path

from kiosk.feed.model import SLIDE_TYPES, json_schema
from kiosk.feed.validate import load_feed

REPO = Path(__file__).resolve().parents[1]


def test_sample_feed_validates_cleanly():
    result = subprocess.run([sys.executable, "-m", "kiosk", "validate", "config/"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Hợp lệ"), result.stdout
    assert "cảnh báo:" not in result.stdout


def test_committed_schema_is_the_one_the_model_exports():
    committed = json.loads((REPO / "schema" / "feed.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), "run: kiosk schema --out schema/feed.schema.json"


def test_sample_feed_points_editors_at_the_schema():
    first_line = (REPO / "config" / "feed.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../schema/feed.schema.json"
    assert (REPO / "config" / "../schema/feed.schema.json").resolve().is_file()


def test_sample_content_is_what_the_plan_asks_for():
    feed = load_feed(REPO / "config").feed
    kinds = [slide.type for slide in feed.slides]
    assert set(SLIDE_TYPES) <= set(kinds)
    assert 4 <= kinds.count("resolution") <= 6
    assert sum(len(topic.questions) for topic in feed.faq) >= 15
    assert feed.ward.name == "Phường Đống Đa"
    text = (REPO / "config" / "feed.yaml").read_text(encoding="utf-8")
    assert "Đông Đa" not in text  # the seed's misspelling of the ward's name
    for slide in feed.slides:
        if slide.type in ("delegates", "leaders"):
            assert "mẫu" in (slide.note or ""), f"{slide.label()}: sample names must say so"
