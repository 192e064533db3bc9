"""The fleet page and the interest report in a real browser (Debian's chromium, headless) against
the real server, with a week of sample data: what a clerk sees at 1366x768 and 1920x1080, the
charts drawn, the filter used, a search that found nothing followed to the FAQ form.

OFFICE_SCREENSHOTS=1 also copies the screenshots to docs/screenshots/office-*.png."""

from __future__ import annotations

import base64
import os
import shutil

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from test_office_browser import REPO, _sign_in, _text, _viewport, _wait_for, browser, server  # noqa: F401 (fixtures)
from test_office_fleet import console, fill_sample  # noqa: F401 (fixture)


class PageShots:
    """Each page as the window shows it and from top to bottom (what is below the fold, too)."""

    def __init__(self, driver, folder: Path):
        self.driver, self.folder = driver, folder
        folder.mkdir(exist_ok=True)

    def take(self, name: str, whole: bool = False) -> None:
        self.driver.save_screenshot(str(self.folder / f"office-{name}.png"))
        if whole:
            shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "format": "png"})
            (self.folder / f"office-{name}-ca-trang.png").write_bytes(base64.b64decode(shot["data"]))


def test_a_clerk_reads_the_fleet_and_the_report(console, server, browser, tmp_path):
    fill_sample(console.fleet.store)
    shots = PageShots(browser, tmp_path / "shots")
    _sign_in(browser, server, "lan")
    for width, height in ((1366, 768), (1920, 1080)):
        _viewport(browser, width, height)
        browser.find_element(By.LINK_TEXT, "Các màn hình").click()
        _wait_for(browser, "Các màn hình")
        text = _text(browser)
        assert "3 màn hình đã báo về văn phòng" in text and "Mất kết nối từ" in text
        assert "cần máy chủ" in text
        picture = browser.find_element(By.CSS_SELECTOR, "img[alt^='Ảnh chụp màn hình mot-cua']")
        assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", picture) == 960
        shots.take(f"cac-man-hinh-{width}", whole=True)

        browser.find_element(By.LINK_TEXT, "Bà con quan tâm gì").click()
        _wait_for(browser, "lượt tìm kiếm")
        charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
        assert len(charts) == 8  # topics, questions, not found, buttons, the two "Góp ý", slides on two displays
        first = charts[0].find_elements(By.TAG_NAME, "rect")
        assert first[0].size["width"] > first[-1].size["width"] > 0  # the bars, drawn, longest first
        assert all(chart.size["width"] <= browser.execute_script("return innerWidth") for chart in charts)
        shots.take(f"ba-con-quan-tam-{width}", whole=True)
    if os.environ.get("OFFICE_SCREENSHOTS"):
        docs = REPO / "docs" / "screenshots"
        shutil.copy(shots.folder / "office-cac-man-hinh-1366.png", docs / "office-cac-man-hinh.png")
        shutil.copy(shots.folder / "office-ba-con-quan-tam-1366-ca-trang.png", docs / "office-ba-con-quan-tam.png")

    # The filter, as a clerk uses it: one display, from a day typed in the date picker.
    Select(browser.find_element(By.ID, "loc-man-hinh")).select_by_visible_text("nha-van-hoa-to-5")
    browser.execute_script("arguments[0].value = '2026-11-30'", browser.find_element(By.ID, "loc-tu"))
    browser.find_element(By.CSS_SELECTOR, ".filters button").click()
    _wait_for(browser, "(2 ngày có số liệu)")
    assert "1 màn hình (nha-van-hoa-to-5)" in _text(browser)

    # A search that found nothing, followed to the FAQ form with its words filled in.
    browser.find_element(By.CSS_SELECTOR, "a[aria-label='Viết câu hỏi cho “giay phep nuoi cho”']").click()
    _wait_for(browser, "Bà con đã tìm “giay phep nuoi cho”")
    field = browser.find_element(By.CSS_SELECTOR, "#chu-de-moi input[name$='questions.0.question']")
    assert field.get_attribute("value") == "giay phep nuoi cho"
    shots.take("hoi-dap-tu-tim-kiem")
