"""Soak: the display loop on an accelerated clock through many slide changes of every type while new
feeds are installed underneath it, as the syncer installs them (a complete version folder, then the
`current` pointer swapped by kiosk.delivery.store), a broken one now and then. No crash, never an empty
screen, every new feed taken up, and no growth in threads, open files or textures; resident memory
bounded. The run lasts SOAK_SECONDS (default 40, for the quick suite); SOAK_SECONDS=3600 soaks an
hour, thousands of changes."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import statistics
import threading
from pathlib import Path
from types import SimpleNamespace

import yaml

from kiosk.delivery.store import Store
from kiosk.feed.validate import load_feed
from stress_feed import drop_residents_sections
from test_display_loop import run_display

REPO = Path(__file__).resolve().parents[1]
SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "40"))
SPEED = 20.0
PAGE_SECONDS = 10  # feed seconds: half a real second
SWAP_SECONDS = 2.5  # real seconds between two installs
ANCHOR = "moc"  # resources are written down at each of its appearances; the slide before it never changes
KEPT = ("video-nhiem-ky-moi", "anh-ket-qua-bau-cu", "dai-bieu-quoc-hoi", "lanh-dao-phuong", "nq-quy-che-ky-hop",
        "di-tich-go-dong-da")  # one slide of each type from the sample feed
WINDOW = 3  # appearances of the anchor whose median is compared


def variant(folder: Path, number: int) -> Path:
    """A feed of every slide type, one page each, its text and ticker different for each number."""
    shutil.copytree(REPO / "config", folder)
    data = yaml.safe_load((folder / "feed.yaml").read_text(encoding="utf-8"))
    slides = {slide["id"]: slide for slide in data["slides"]}
    marker = {"type": "text", "title": f"Bản tin số {number}", "body": "Thông báo của phường.", "duration": PAGE_SECONDS}
    data["version"] = number
    data["slides"] = [dict(marker, id="truoc-moc"), dict(marker, id=ANCHOR)] + [
        dict(slides[slide_id], max_seconds=1) if slides[slide_id]["type"] == "video"
        else dict(slides[slide_id], duration=PAGE_SECONDS) for slide_id in KEPT]
    for slide in data["slides"]:  # one page each: the anchor comes round every few seconds
        if "points" in slide:
            slide["points"] = slide["points"][:2]
        if "body" in slide:
            slide["body"] = slide["body"].split("\n\n")[0][:200]
    data["ticker"] = data["ticker"][: number % 3]
    drop_residents_sections(data)
    (folder / "feed.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert load_feed(folder).feed is not None
    return folder


class Installer(threading.Thread):
    """Installs a new version every SWAP_SECONDS the way sync does (media linked, the pointer swapped
    by kiosk.delivery.store), and removes the versions before the one it replaced; the feed's version is the
    install's number, and every fifth one is broken (sync would refuse it; the app must too)."""

    def __init__(self, state: Path, sources: list[Path]):
        super().__init__(daemon=True)
        self.store = Store(state)
        self.sources = sources
        self.stopping = threading.Event()
        self.installed: list[int] = []

    def run(self):
        number = 1
        while not self.stopping.wait(SWAP_SECONDS):
            number += 1
            digest = hashlib.sha256(str(number).encode()).hexdigest()
            folder = self.store.versions / Store.version_name(SimpleNamespace(version=number), digest)
            source = self.sources[number % len(self.sources)]
            shutil.copytree(source / "media", folder / "media", copy_function=os.link)
            text = re.sub(r"(?m)^version: .*$", f"version: {number}", (source / "feed.yaml").read_text(encoding="utf-8"))
            (folder / "feed.yaml").write_text("slides: [unclosed\n" if number % 5 == 0 else text, encoding="utf-8")
            (folder / ".manifest.json").write_text("{}", encoding="utf-8")  # the app reads only the feed
            replaced = self.store.current_folder()
            self.store.switch_to(folder)
            for old in self.store.versions.iterdir():
                if old not in (folder, replaced):
                    shutil.rmtree(old)
            self.installed.append(number)


def medians(samples: list[dict]) -> dict:
    return {key: statistics.median(s[key] for s in samples) for key in ("rss_mb", "threads", "files", "textures")}


def test_the_loop_runs_on_while_feeds_are_swapped_underneath(tmp_path):
    sources = [variant(tmp_path / f"variant-{n}", n) for n in range(3)]
    state = tmp_path / "display-state"
    for folder in (state / "feed" / "versions", state / "feed" / "objects", state / "feed" / "partial"):
        folder.mkdir(parents=True)
    installer = Installer(state, sources)
    installer.start()
    try:
        shown = run_display(tmp_path, sources[1], speed=SPEED, seconds=SOAK_SECONDS,
                            settings={"state_dir": str(state)}, record="light", sample_slide=ANCHOR)
    finally:
        installer.stopping.set()
        installer.join()

    assert shown["stopped_by"] == "harness"
    ids = [event["id"] for event in shown["events"]]
    assert "welcome" not in ids, "never an empty screen"
    assert len(ids) >= SOAK_SECONDS, f"only {len(ids)} pages in {SOAK_SECONDS:g} s"
    assert {"video", "image", "delegates", "leaders", "resolution", "text"} <= set(shown["shown"])
    # Installs can come faster than slide changes: the newest is taken, never an older or a broken one.
    taken = [int(line.rsplit(" ", 1)[1]) for line in shown["log"] if "chuyển sang bản tin phiên bản" in line]
    good = [n for n in installer.installed if n % 5]
    assert taken == sorted(set(taken)) and set(taken) <= set(good), (taken, installer.installed)
    assert len(taken) >= len(good) / 2 and taken[-1] in good[-2:], (taken, installer.installed)
    if len(good) < len(installer.installed):
        assert any("không đọc được" in line for line in shown["log"]), "a broken install is refused"

    samples = shown["samples"][1:]  # the first appearance is before anything was swapped or played
    assert len(samples) >= 2 * WINDOW, shown["samples"]
    first, last = medians(samples[:WINDOW]), medians(samples[-WINDOW:])
    assert last["threads"] <= first["threads"], shown["samples"]
    assert last["files"] <= first["files"], shown["samples"]
    assert last["textures"] <= max(s["textures"] for s in samples[:WINDOW]), shown["samples"]
    assert last["rss_mb"] < first["rss_mb"] * 1.25, shown["samples"]
