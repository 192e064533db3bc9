"""The fleet link in the real `kiosk run` under Xvfb: a screenshot of the loop arrives at the office,
is refused while a resident uses touch mode or a clerk the staff panel, and the broker down at start or going away mid-run
leaves the screen running."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import pytest
import yaml
from PIL import Image, ImageStat

from feed_servers import make_feed
from test_fleet_link import BROKER_PASSWORDS, REPO, Display, fleet_cli, office, row, wait_until  # noqa: F401

pytestmark = pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a screen: run under xvfb-run (./test.sh)")


def loop_keeps_running(driver, process) -> bool:
    """Kivy's clock ticks on, twice a second, for three seconds."""
    ticks = []
    for _ in range(6):
        time.sleep(0.5)
        ticks.append(float((driver / "ticks").read_text() or 0))
    return process.poll() is None and time.time() - ticks[-1] < 1.5 and len(set(ticks)) >= 4


def test_screenshot_of_the_loop_refused_in_touch_mode_and_the_broker_going_changes_nothing(
        tmp_path, broker, nginx, key, office):
    display = Display(tmp_path, "to-5", broker, nginx, key)
    settings = yaml.safe_load(display.config.read_text())
    settings.update(mode="counter", feed=str(make_feed(tmp_path / "feed")), feed_url="", public_key="")
    display.config.write_text(yaml.safe_dump(settings))
    driver = tmp_path / "driver"
    driver.mkdir()
    broker.stop()  # down when the display starts: it starts and shows its loop all the same
    process = subprocess.Popen([sys.executable, str(REPO / "tests" / "fleet_servers.py"), "--window",
                                str(display.config), str(driver)], stdout=display.log.open("wb"),
                               stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(REPO / "tests")})
    try:
        try:
            assert wait_until(lambda: (driver / "ticks").exists(), 30), display.log.read_text()[-3000:]
            assert loop_keeps_running(driver, process)
        finally:
            broker.start()
        assert wait_until(lambda: (r := row(office, "to-5")) and r.online and r.status.get("mode") == "counter", 30), \
            display.log.read_text()[-3000:]
        out = tmp_path / "shot.jpg"
        taken = fleet_cli(broker, office, "screenshot", "to-5", "--out", str(out))
        assert taken.returncode == 0, taken.stderr + display.log.read_text()[-3000:]
        image = Image.open(io.BytesIO(out.read_bytes()))
        assert image.format == "JPEG" and image.size == (960, 540)
        assert max(ImageStat.Stat(image.convert("L")).stddev) > 10  # the loop's slide, not a blank frame
        red, green, _ = ImageStat.Stat(image.crop((0, 0, 960, 30))).mean  # the ward's red header on top
        assert red > 150 and green < 90, (red, green)
        assert office.store.screenshot("to-5")[0] == out.read_bytes()
        assert "ảnh chụp màn hình" in fleet_cli(broker, office, "list").stdout

        (driver / "staff").write_text("yes")  # a clerk opens the staff panel: its status is not the office's to see
        assert wait_until(lambda: (driver / "staffed").exists(), 10)
        time.sleep(0.5)
        refused = fleet_cli(broker, office, "screenshot", "to-5", "--out", str(tmp_path / "staff.jpg"))
        assert refused.returncode == 1 and "không chụp" in refused.stderr and "bảng của nhân viên đang mở" in refused.stderr
        assert not (tmp_path / "staff.jpg").exists()
        (driver / "back").write_text("yes")
        assert wait_until(lambda: (driver / "closed").exists(), 10)
        time.sleep(0.5)
        assert fleet_cli(broker, office, "screenshot", "to-5", "--out", str(tmp_path / "again.jpg")).returncode == 0

        (driver / "tap").write_text("yes")  # a resident touches the counter's screen: touch mode opens
        assert wait_until(lambda: (driver / "tapped").exists(), 10)
        time.sleep(0.5)
        refused = fleet_cli(broker, office, "screenshot", "to-5", "--out", str(tmp_path / "touch.jpg"))
        assert refused.returncode == 1 and "không chụp" in refused.stderr and "chế độ cảm ứng đang mở" in refused.stderr
        assert not (tmp_path / "touch.jpg").exists()

        broker.stop()  # the broker goes away mid-day: Kivy's loop does not wait for it
        try:
            assert loop_keeps_running(driver, process)
        finally:
            broker.start()
        assert wait_until(lambda: (r := row(office, "to-5")) and r.online, 40)
    finally:
        process.terminate()
        process.wait(15)
    assert process.returncode == 0
    assert wait_until(lambda: not row(office, "to-5").online, 5)  # a clean stop says offline
