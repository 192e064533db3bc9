"""The console's preview: `kiosk preview` run as a subprocess, one at a time, kept by content."""

from __future__ import annotations

import re
import shutil
import time

import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=".*httpx.*")
from starlette.testclient import TestClient  # noqa: E402

from office.app import build_app  # noqa: E402
from office.web import Console  # noqa: E402
from test_office import QUICK_HASHER  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def test_preview_renders_in_a_subprocess_once_per_content(tmp_path):
    feed = tmp_path / "feed"
    shutil.copytree(REPO / "tests" / "feeds" / "minimal", feed)
    text = (feed / "feed.yaml").read_text(encoding="utf-8")
    text = re.sub(r"    (start|end|weekdays|hours): .*\n", "", text)  # shown at any moment
    text = text.replace("title: Lịch tiếp công dân", "title: \"<script>alert(1)</script> Lịch tiếp công dân\"")
    (feed / "feed.yaml").write_text(text, encoding="utf-8")
    console = Console(feed, tmp_path / "out", tmp_path / "state", hasher=QUICK_HASHER)
    console.users.add("lan", "editor", "lan-mat-khau-1")
    web = TestClient(build_app(console))
    page = web.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
    web.post("/login", data={"csrf": token, "name": "lan", "password": "lan-mat-khau-1"})
    token = re.search(r'name="csrf" value="([^"]+)"', web.get("/preview").text)[1]

    started = web.post("/preview", data={"csrf": token, "size": "ngang"})
    assert "Đang vẽ" in started.text and 'hx-get="/preview/part"' in started.text
    assert web.post("/preview", data={"csrf": token, "size": "ngang"}).status_code == 200  # not a second render
    deadline = time.monotonic() + 150
    while "Đang vẽ" in (part := web.get("/preview/part").text) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "cả vòng chiếu khoảng" in part, part[-2000:]
    assert "<script>alert" not in part
    images = re.findall(r'src="(/preview/img/[^"]+)"', part)
    assert images
    for source in images:
        answer = web.get(source)
        assert answer.headers["content-type"] == "image/png" and answer.content.startswith(b"\x89PNG")
    rendered = [p for p in (console.state / "previews").iterdir() if p.is_dir() and "-ngang" in p.name]
    assert len(rendered) == 1
    assert web.get("/preview/img/../../users.json/x.png").status_code == 404
    assert images[0] in web.get("/review").text  # the approver sees the same pictures
