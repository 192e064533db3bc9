"""Publish -> sync -> the running display shows the new content at its next slide change, with no
restart and no blank screen; and the app's own sync thread installs a feed on a cold start."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from feed_servers import make_feed
from kiosk.delivery import signing
from kiosk.delivery.sync import installed_feed
from test_display_loop import run_display

REPO = Path(__file__).resolve().parents[1]
KIOSK = [sys.executable, "-m", "kiosk"]
TAKE_OVER_SECONDS = 4.0  # real seconds from the end of `kiosk sync` to the frame showing the new feed


@pytest.fixture
def ward(tmp_path, nginx):
    """A key pair, a published site on nginx and a display's settings file pointing at it."""
    private, _, public = signing.write_key_pair(tmp_path / "keys")
    site, url = nginx.site(tmp_path.name)
    state = tmp_path / "state" / "display"
    settings = {"id": "nha-van-hoa-to-5", "feed_url": url, "public_key": public, "state_dir": str(state),
                "poll_seconds": 30}
    settings_file = tmp_path / "display.yaml"
    settings_file.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return {"private": private, "site": site, "settings": settings, "settings_file": settings_file, "state": state}


def publish(tmp_path, ward, version, title):
    source = make_feed(tmp_path / f"source-{version}", pictures=2, version=version, title=title)
    return KIOSK + ["publish", str(source), "--out", str(ward["site"]), "--key", str(ward["private"])]


def test_a_feed_published_while_the_display_runs_appears_at_the_next_slide_change(tmp_path, ward):
    assert subprocess.run(publish(tmp_path, ward, 1, "Bản tin thứ nhất"), cwd=REPO).returncode == 0
    assert subprocess.run(KIOSK + ["sync", "--config", str(ward["settings_file"])], cwd=REPO).returncode == 0
    first = installed_feed(ward["state"])

    actions = [{"at": 2.0, "run": publish(tmp_path, ward, 2, "Bản tin thứ hai")},
               {"at": 3.0, "run": KIOSK + ["sync", "--config", str(ward["settings_file"])]}]
    shown = run_display(tmp_path, first, speed=10.0, seconds=9, actions=actions,
                        settings=ward["settings"])
    assert all(action["did"].startswith("run exit 0") for action in shown["actions"]), shown["actions"]
    synced_at = shown["actions"][1]["real"]
    titles = [(e["real"], " ".join(e.get("texts", []))) for e in shown["events"]]
    assert any("Bản tin thứ nhất" in text for real, text in titles if real < synced_at)
    later = [text for real, text in titles if real > synced_at]
    assert any("Bản tin thứ hai" in text for text in later), titles
    # The frame takes the new feed at the first slide change after the display has read it (a look
    # at the pointer each second, then the check in a child process), and the old feed is gone.
    assert [version for _, version in shown["feed_changes"]] == [2], shown["feed_changes"]
    took_over = shown["feed_changes"][0][0]
    assert took_over - synced_at <= TAKE_OVER_SECONDS, (synced_at, took_over)
    assert not any("Bản tin thứ nhất" in text for real, text in titles if real >= took_over), \
        "the old feed is gone after the swap"
    assert "welcome" not in [e["id"] for e in shown["events"]], "never an empty screen in between"
    assert shown["problems"] == []


def test_a_display_with_nothing_installed_fetches_the_feed_itself(tmp_path, ward):
    assert subprocess.run(publish(tmp_path, ward, 1, "Bản tin thứ nhất"), cwd=REPO).returncode == 0
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "xdg"))
    app = subprocess.Popen(KIOSK + ["run", "--windowed", "--size", "1280x720", "--config", str(ward["settings_file"])],
                           cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while installed_feed(ward["state"]) is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert installed_feed(ward["state"]) is not None, "the app's sync thread installed the feed"
        time.sleep(25)  # the next slide change (sample slides last 12-25 s) picks it up
    finally:
        app.terminate()
        output, _ = app.communicate(timeout=30)
    assert "chuyển sang bản tin phiên bản 1" in output, output[-3000:]
    assert "Traceback" not in output
