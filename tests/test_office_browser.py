"""The office console in a real browser (Debian's chromium, headless, through chromium-driver and
Selenium) against the real server (uvicorn on a free 127.0.0.1 port): from sign-in to a published
feed. Also the upload limit against the real server, where the body arrives as it is sent.

OFFICE_SCREENSHOTS=1 also writes the pages' screenshots (1366x768) to docs/screenshots/office-*.png."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import uvicorn
import yaml
from openpyxl import Workbook
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from feed_servers import Nginx, free_port
from test_office import PASSPHRASE, PASSWORDS, QUICK_HASHER
from kiosk.delivery import signing
from kiosk.delivery.manifest import MANIFEST_FILE
from kiosk.delivery.sync import installed_feed
from kiosk.feed.validate import load_feed
from office.app import build_app
from office.media import MAX_UPLOAD
from office.state import store_key
from office.web import Console

REPO = Path(__file__).resolve().parents[1]
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Quang", "Ngọc", "Thanh", "Hữu", "Kim"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Đạt", "Giang", "Hà", "Hải", "Hạnh", "Khánh", "Lan", "Long", "Mai",
         "Nam", "Oanh", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Uyên", "Vân", "Xuân", "Yến", "Ánh", "Ân"]
JOBS = ["Giáo viên", "Bác sĩ", "Kỹ sư xây dựng", "Cán bộ hưu trí", "Công chức UBND phường", "Kinh doanh"]
PLACES = ["Trường THCS Đống Đa", "Bệnh viện “Đống Đa”", "Công ty CP Sông Hồng", "Tổ dân phố số 7"]


def _delegates_xlsx(path: Path, count: int = 30) -> list[str]:
    """The committee's list as it comes: a title, a blank row, headers, tabs and curly quotes."""
    pick = random.Random(14)
    names = []
    while len(names) < count:
        name = f"{pick.choice(FAMILY)} {pick.choice(MIDDLE)} {pick.choice(GIVEN)}"
        if name not in names:
            names.append(name)
    book = Workbook()
    sheet = book.active
    sheet.append(["ỦY BAN BẦU CỬ PHƯỜNG ĐỐNG ĐA"])
    sheet.append(["DANH SÁCH NGƯỜI TRÚNG CỬ ĐẠI BIỂU HĐND PHƯỜNG NHIỆM KỲ 2026 - 2031"])
    sheet.append([])
    sheet.append(["STT", "Họ và tên", "Ngày sinh", "Nghề nghiệp/chức vụ", "Nơi công tác", "Số phiếu", "Tỷ lệ"])
    for number, name in enumerate(names, 1):
        shown = name.replace(" ", "\t", 1) if number % 7 == 0 else name + " "
        sheet.append([number, shown, f"{pick.randint(1, 28):02d}/{pick.randint(1, 12):02d}/19{pick.randint(55, 99)}",
                      pick.choice(JOBS), pick.choice(PLACES), pick.randint(4000, 9000), pick.randint(55, 95) / 100])
        sheet.cell(row=sheet.max_row, column=7).number_format = "0.00%"
    sheet.append(["", "Tổng cộng: 30 người"])
    book.save(path)
    return [" ".join(n.split()) for n in names]


@pytest.fixture
def nginx(tmp_path):
    (tmp_path / "nginx-server").mkdir()
    server = Nginx(tmp_path / "nginx-server")
    yield server
    server.stop()


@pytest.fixture
def console(tmp_path, nginx):
    feed = tmp_path / "feed"
    shutil.copytree(REPO / "config", feed, ignore=shutil.ignore_patterns("display.yaml"))
    text = (feed / "feed.yaml").read_text(encoding="utf-8")
    # The mistake the editor will be pointed at: an address that is not https.
    text = text.replace("url: https://dongda.hanoi.gov.vn/nq/quy-che-ky-hop", "url: http://dongda.hanoi.gov.vn/nq/quy-che-ky-hop")
    (feed / "feed.yaml").write_text(text, encoding="utf-8")
    # The console runs on the ward's web server: it publishes straight into the folder nginx serves.
    out, _ = nginx.site("ban-tin")
    made = Console(feed, out, tmp_path / "state", hasher=QUICK_HASHER)
    made.users.add("lan", "editor", PASSWORDS["lan"])
    made.users.add("hung", "approver", PASSWORDS["hung"])
    return made


@pytest.fixture
def server(console):
    port = free_port()
    config = uvicorn.Config(build_app(console), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


@pytest.fixture
def browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)):
        pytest.fail("chromium and chromium-driver are needed: ./scripts/setup.sh test installs them")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1366,768", "--lang=vi", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "vi-VN,vi"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    _viewport(driver, 1366, 768)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def _viewport(driver, width: int, height: int, mobile: bool = False) -> None:
    """The page's own size (the window's is larger by the browser's frame)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


class Shots:
    def __init__(self, driver, folder: Path):
        self.driver, self.folder = driver, folder
        self.docs = REPO / "docs" / "screenshots" if os.environ.get("OFFICE_SCREENSHOTS") else None

    def take(self, name: str) -> None:
        self.folder.mkdir(exist_ok=True)
        self.driver.save_screenshot(str(self.folder / f"office-{name}.png"))
        if self.docs:
            shutil.copy(self.folder / f"office-{name}.png", self.docs / f"office-{name}.png")


def _sign_in(driver, url: str, name: str) -> None:
    driver.get(url + "/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORDS[name])
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    _wait_for(driver, "Các trang chiếu")


def _text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "main").text


def _wait_for(driver, words: str, seconds: float = 10) -> None:
    """Until the page that a click loads says these words."""
    # While the old page goes, Chrome reports its <main> as "Node with given id does not belong to the
    # document" (a plain WebDriverException) rather than as stale.
    WebDriverWait(driver, seconds, ignored_exceptions=(StaleElementReferenceException, WebDriverException)).until(
        lambda d: words in d.find_element(By.TAG_NAME, "main").text)


def test_from_sign_in_to_a_published_feed(console, server, browser, nginx, tmp_path):
    shots = Shots(browser, tmp_path / "shots")
    key = signing.new_private_key()
    store_key(console.state, key, PASSPHRASE)
    names = _delegates_xlsx(tmp_path / "danh-sach-trung-cu.xlsx")
    Image.new("RGB", (5000, 2500), (11, 61, 46)).save(tmp_path / "Ảnh hội nghị.jpg", quality=80)

    browser.get(server + "/")
    assert "/login" in browser.current_url
    shots.take("dang-nhap")
    _sign_in(browser, server, "lan")

    # The console points at the mistake; the editor follows the link and fixes it.
    problem = browser.find_element(By.CSS_SELECTOR, "#loi-ban-tin a")
    assert "phải bắt đầu bằng https://" in problem.text
    shots.take("tong-quan-co-loi")
    problem.click()
    field = browser.find_element(By.ID, "o-link-url")
    assert field.get_attribute("aria-invalid") == "true"
    assert "https://" in browser.find_element(By.CSS_SELECTOR, ".has-problem .field-problem").text
    shots.take("sua-trang")
    field.clear()
    field.send_keys("dongda.hanoi.gov.vn/nq/quy-che-ky-hop\t")  # checked as the clerk leaves the field
    _wait_for(browser, "Nếu lưu bây giờ sẽ chưa được")
    field.clear()
    field.send_keys("https://dongda.hanoi.gov.vn/nq/quy-che-ky-hop\t")
    _wait_for(browser, "Chưa thấy lỗi nào")
    browser.find_element(By.CSS_SELECTOR, ".save button").click()
    _wait_for(browser, "Đã lưu")
    assert "Bản tin hợp lệ" in _text(browser)

    # A spreadsheet of 30 delegates, read, checked, added as a slide.
    browser.find_element(By.LINK_TEXT, "Nhập danh sách").click()
    browser.find_element(By.ID, "sheet").send_keys(str(tmp_path / "danh-sach-trung-cu.xlsx"))
    browser.find_element(By.CSS_SELECTOR, "form[action^='/import'] button").click()
    _wait_for(browser, "30 người")
    Select(browser.find_element(By.ID, "body")).select_by_value("hdnd-phuong")
    browser.find_element(By.ID, "term").send_keys("nhiệm kỳ 2026 - 2031")
    browser.find_element(By.ID, "constituency").send_keys("Đơn vị bầu cử số 6")
    browser.execute_script("document.getElementById('nguoi').scrollIntoView()")
    shots.take("nhap-danh-sach")
    browser.find_element(By.CSS_SELECTOR, "button[value='add']").click()
    _wait_for(browser, "30 đại biểu")

    # A picture larger than any screen: taken, made smaller, shown as a thumbnail.
    browser.find_element(By.LINK_TEXT, "Ảnh, video").click()
    browser.find_element(By.ID, "file").send_keys(str(tmp_path / "Ảnh hội nghị.jpg"))
    browser.find_element(By.CSS_SELECTOR, "form.upload button").click()
    _wait_for(browser, "Đã nhận media/anh-hoi-nghi.jpg")
    assert "3840x1920" in _text(browser)
    thumb = browser.find_element(By.CSS_SELECTOR, "img[src='/media/thumb/media/anh-hoi-nghi.jpg']")
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return arguments[0].complete", thumb))
    assert browser.execute_script("return arguments[0].naturalWidth", thumb) == 320
    shots.take("anh-video")

    # The new list moves up one place.
    browser.find_element(By.LINK_TEXT, "Tổng quan").click()
    slides = browser.find_elements(By.CSS_SELECTOR, "li.slide")
    last = len(slides)
    slides[-1].find_element(By.CSS_SELECTOR, "button[value='up']").click()
    _wait_for(browser, "Đã chuyển")
    moved = browser.find_element(By.ID, f"trang-{last - 1}")
    assert "Đơn vị bầu cử số 6" in moved.text
    shots.take("tong-quan")
    _viewport(browser, 390, 844, mobile=True)  # a phone
    browser.execute_script("window.scrollTo(0, 0)")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    shots.take("dien-thoai")
    _viewport(browser, 1366, 768)

    if shots.docs:  # only when refreshing the screenshots: a render of the whole feed takes a while
        browser.find_element(By.CSS_SELECTOR, f"#trang-{last - 1} a.title").click()
        _wait_for(browser, "Danh sách người")
        browser.execute_script("document.querySelector('fieldset.people').scrollIntoView()")
        shots.take("sua-danh-sach")
        browser.find_element(By.LINK_TEXT, "Phường, chữ chạy").click()
        _wait_for(browser, "Phường và dòng chữ chạy")
        shots.take("phuong")
        browser.find_element(By.LINK_TEXT, "Xem trước").click()
        browser.find_element(By.CSS_SELECTOR, "form[action='/preview'] button").click()
        _wait_for(browser, "cả vòng chiếu khoảng", 300)
        shots.take("xem-truoc")

    # The draft goes for approval.
    browser.find_element(By.LINK_TEXT, "Duyệt, xuất bản").click()
    browser.find_element(By.CSS_SELECTOR, "form[action='/review/submit'] button").click()
    _wait_for(browser, "Đã gửi duyệt")
    assert not browser.find_elements(By.ID, "passphrase")  # an editor has no publish form
    browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()

    # The approver sees the changes and publishes.
    _sign_in(browser, server, "hung")
    browser.find_element(By.LINK_TEXT, "Duyệt, xuất bản").click()
    changes = browser.find_element(By.ID, "thay-doi").text
    assert "Thêm · Danh sách đại biểu: Đại biểu HĐND phường · Đơn vị bầu cử số 6" in changes
    assert "Sửa · Nghị quyết: 03/NQ-HĐND" in changes and "https://dongda.hanoi.gov.vn/nq/quy-che-ky-hop" in changes
    assert browser.find_elements(By.CSS_SELECTOR, "#thay-doi del") and browser.find_elements(By.CSS_SELECTOR, "#thay-doi ins")
    assert names[0] in changes
    browser.find_element(By.ID, "passphrase").send_keys(PASSPHRASE)
    browser.execute_script("window.scrollTo(0, 0)")
    shots.take("duyet")
    browser.find_element(By.CSS_SELECTOR, "form[action='/review/publish'] button").click()
    _wait_for(browser, "Đã xuất bản phiên bản 1", 60)
    browser.find_element(By.LINK_TEXT, "Nhật ký").click()
    _wait_for(browser, "Nhật ký thay đổi")
    log = _text(browser)
    assert all(word in log for word in ("xuất bản", "gửi duyệt", "nhập danh sách", "tải lên", "sắp xếp"))
    shots.take("nhat-ky")

    raw = (console.out / MANIFEST_FILE).read_bytes()
    assert signing.verify(key.public_key(), raw, (console.out / "manifest.json.sig").read_bytes())
    published = load_feed(console.out).feed
    listed = next(s for s in published.slides if s.type == "delegates" and s.constituency == "Đơn vị bầu cử số 6")
    assert sorted(p.name for p in listed.people) == sorted(names) and len(listed.people) == 30
    assert published.slides.index(listed) == len(published.slides) - 2

    # No page broke a rule of its own security policy or failed a script.
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []

    # A display syncing from nginx installs the new list.
    settings = tmp_path / "display.yaml"
    settings.write_text(yaml.safe_dump({"id": "nha-van-hoa-to-5", "feed_url": nginx.site("ban-tin")[1],
                                        "public_key": signing.public_key_text(key),
                                        "state_dir": str(tmp_path / "display")}), encoding="utf-8")
    synced = subprocess.run([sys.executable, "-m", "kiosk", "sync", "--config", str(settings)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert synced.returncode == 0, synced.stderr
    shown = load_feed(installed_feed(tmp_path / "display")).feed
    on_display = next(s for s in shown.slides if s.type == "delegates" and s.constituency == "Đơn vị bầu cử số 6")
    assert [p.name for p in on_display.people] == [p.name for p in listed.people]


def _send_large(url: str, declared: bool, path: str, cookie: str) -> tuple[int, bytes]:
    """POST 200 MB to the upload; (bytes sent before the server answered, the answer)."""
    host, port = url.removeprefix("http://").split(":")
    size = 200 * 1024 * 1024
    head = b'--b0\r\nContent-Disposition: form-data; name="file"; filename="lon.mp4"\r\n\r\n'
    length = f"Content-Length: {size + len(head)}\r\n" if declared else "Transfer-Encoding: chunked\r\n"
    sent = 0
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall((f"POST {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n{length}"
                            f"Content-Type: multipart/form-data; boundary=b0\r\n\r\n").encode())
        chunk = b"\0" * (1 << 20)
        try:
            while sent < size:
                part = head + chunk if sent == 0 else chunk
                connection.sendall(part if declared else b"%x\r\n%s\r\n" % (len(part), part))
                sent += len(part)
        except (BrokenPipeError, ConnectionResetError):
            pass
        connection.settimeout(10)
        try:
            answer = connection.recv(4096)
        except (ConnectionResetError, TimeoutError):
            answer = b""
    return sent, answer


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_200_mb_upload_is_refused_at_the_limit(console, server, declared):
    import re

    import httpx

    web = httpx.Client()
    token = re.search(r'name="csrf" value="([^"]+)"', web.get(server + "/login").text)[1]
    web.post(server + "/login", data={"csrf": token, "name": "lan", "password": PASSWORDS["lan"]})
    token = re.search(r'name="csrf" value="([^"]+)"', web.get(server + "/media").text)[1]
    cookie = "; ".join(f"{name}={value}" for name, value in web.cookies.items())
    sent, answer = _send_large(server, declared, f"/media?csrf={token}", cookie)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert "Tệp quá lớn".encode() in answer or b"413" in answer
    assert sent <= MAX_UPLOAD + (8 << 20), sent  # stopped near the limit, not at 200 MB
    media = console.feed / "media"
    assert not list(media.glob(".upload-*")) and not (media / "lon.mp4").exists()
