"""The fleet page and the residents' interest report in the office console (Starlette's TestClient
over the real SQLite store; the buttons against the real Mosquitto from tests/fleet_servers.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import queue
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import yaml
from PIL import Image

from fleet_servers import Mosquitto
from feed_servers import free_port
from test_office import PASSPHRASE, PASSWORDS, QUICK_HASHER, REPO, _csrf, _form, client
from kiosk.fleet import topics
from kiosk.fleet.broker import BrokerAccount
from kiosk.delivery import signing
from kiosk.fleet.office import SqliteFleetStore
from office.fleet_link import FleetOffice
from office.state import store_key
from office.web import Console

HOSTILE = '<script>alert("x")</script>&amp;'
BROKER_PASSWORDS = {"office": "office-secret", "mot-cua": "display-mot-cua", "to-5": "display-to-5"}
TODAY = dt.date(2026, 12, 1)


def jpeg_of(picture: Path | None = None, size=(960, 540), colour=(11, 61, 46)) -> bytes:
    image = Image.open(picture).convert("RGB") if picture else Image.new("RGB", size, colour)
    image.thumbnail((960, 960))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _at(day: dt.date, hour: int, minute: int = 0) -> str:
    """A moment on the office's clock (UTC), as the store keeps it."""
    return dt.datetime.combine(day, dt.time(hour, minute), dt.timezone.utc).isoformat(timespec="seconds")


def fill_sample(store: SqliteFleetStore, hostile: bool = False, today: dt.date = TODAY) -> None:
    """Three displays of a ward as the office's store has them after a week, with a week of counts."""
    seen = _at(today, 2)
    store.save_status("mot-cua", {"online": True, "tags": ["mot-cua"], "mode": "counter", "feed_version": 14,
                                  "last_sync": _at(today, 1, 55), "last_error": None, "warnings": [],
                                  "app_version": "0.9.0"}, _at(today - dt.timedelta(days=3), 0, 30))
    store.save_status("mot-cua", {"online": True, "tags": ["mot-cua"], "mode": "counter", "feed_version": 14,
                                  "last_sync": _at(today, 1, 55), "last_error": None, "warnings": [],
                                  "app_version": "0.9.0"}, seen)
    store.save_screenshot("mot-cua", jpeg_of(REPO / "docs" / "screenshots" / "counter-loop.png"), _at(today, 1, 58))
    store.save_status("nha-van-hoa-to-5", {"online": True, "tags": ["nha-van-hoa"], "mode": "loop",
                                           "feed_version": 12, "last_sync": _at(today - dt.timedelta(days=2), 3),
                                           "last_error": "không tải được manifest.json: hết thời gian chờ (30 giây)",
                                           "warnings": ["Bản tin đang chiếu hết hạn sau 2 ngày nữa."],
                                           "app_version": "0.9.0"}, _at(today - dt.timedelta(days=2), 3))
    store.save_status("nha-van-hoa-to-5", {"online": False}, _at(today - dt.timedelta(days=2), 4, 10))
    store.save_status("cong-ubnd", {"online": True, "tags": ["ngoai-troi"], "mode": "loop", "feed_version": 14,
                                    "last_sync": _at(today, 1, 50), "last_error": None,
                                    "warnings": ["Đã 2 ngày chưa đồng bộ được bản tin mới."], "app_version": "0.9.0"},
                      seen)
    if hostile:
        store.save_status(HOSTILE, {"online": True, "feed_version": 3, "last_sync": seen, "last_error": HOSTILE,
                                    "warnings": [HOSTILE], "tags": [HOSTILE], "app_version": HOSTILE}, seen)
        store.save_screenshot(HOSTILE, jpeg_of(colour=(200, 0, 0)), seen)
    topics_by_day = [("Hộ tịch", 9), ("Đất đai, xây dựng", 5), ("Bảo hiểm xã hội", 4), ("Chứng thực", 2)]
    for back in range(7):
        day = (today - dt.timedelta(days=back)).isoformat()
        for display, share in (("mot-cua", 3), ("nha-van-hoa-to-5", 1)):
            report = {
                "display": display, "day": day, "made_at": f"{day}T23:59:00+07:00", "final": True,
                "topics": {name: count * share + back % 3 for name, count in topics_by_day},
                "questions": [["Hộ tịch", "Đăng ký khai sinh cần giấy tờ gì?", 4 * share],
                              ["Hộ tịch", "Trích lục bản sao giấy khai sinh ở đâu?", 2 * share],
                              ["Đất đai, xây dựng", "Xin giấy phép xây dựng nhà ở riêng lẻ thế nào?", 3 * share],
                              ["Bảo hiểm xã hội", "Gia hạn thẻ bảo hiểm y tế hộ gia đình?", share]],
                "searches": 12 * share, "not_found": {"giay phep nuoi cho": 2, "lam can cuoc cho tre em": share,
                                                       **({HOSTILE: 1, "=HYPERLINK(\"http://x\")": 1} if hostile else {})},
                "menu": {"Hỏi đáp chính sách": 10 * share, "Lịch tiếp công dân": 4 * share, "Tìm kiếm": 6 * share,
                         "Thủ tục hành chính": 3 * share},
                # The counter's "Góp ý": "Bình thường" is a face of an older feed (config/feed.yaml has four others).
                "helpful": {"Có ích": 5 * share, "Chưa giúp được": share, "Bình thường": 1},
                "wanted": {"Hộ tịch": 3 * share, "Điều khác": 1, **({HOSTILE: 2} if hostile else {})},
                "plays": {"lich-tiep-dan": [40, 480.0], "dai-bieu-hdnd-phuong": [38, 456.0],
                          "anh-ket-qua-bau-cu": [20, 300.0], **({HOSTILE: [5, 10.0]} if hostile else {})},
            }
            store.save_report(display, day, report, f"{day}T17:00:00+00:00")


@pytest.fixture
def console(tmp_path):
    shutil.copytree(REPO / "config", tmp_path / "feed", ignore=shutil.ignore_patterns("display.yaml"))
    made = Console(tmp_path / "feed", tmp_path / "out", tmp_path / "state", hasher=QUICK_HASHER,
                   fleet=FleetOffice(tmp_path / "fleet.sqlite"))
    made.users.add("lan", "editor", PASSWORDS["lan"])
    made.users.add("hung", "approver", PASSWORDS["hung"])
    yield made
    made.fleet.close()


def _main(html: str) -> str:
    return html[html.index('<main id="noi-dung">'):]


def _rows(html: str, section: str) -> list[list[str]]:
    """The table rows of one part of the report, as text."""
    part = html[html.index(f'id="{section}"'):]
    part = part[:part.index("</section>")]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr><td.*?</tr>", part, re.S)]


# ------------------------------------------------------------------ the fleet page, from the store


def test_the_fleet_page_shows_every_display_from_the_store_and_says_the_buttons_need_the_broker(console):
    fill_sample(console.fleet.store)
    web = client(console, "lan")
    page = web.get("/fleet")
    assert page.status_code == 200
    main = _main(page.text)
    assert "3 màn hình đã báo về văn phòng" in main and "<strong>2</strong> đang chạy" in main
    assert "1</strong> mất kết nối" in main
    cards = re.findall(r'<li class="display-card.*?</li>', main, re.S)
    # Those that need someone first: offline, then with a warning.
    assert [re.search(r"<h2>(\S+)", card)[1] for card in cards] == ["nha-van-hoa-to-5", "cong-ubnd", "mot-cua"]
    offline = cards[0]
    assert "display-card offline" in offline and "Mất kết nối từ</dt><dd>29/11/2026 11:10" in offline  # Hanoi time
    assert "phiên bản 12" in offline and "Đồng bộ được lần cuối</dt><dd>29/11/2026 10:00" in offline
    assert "Lỗi gần nhất: không tải được manifest.json" in offline and "Cảnh báo: Bản tin đang chiếu hết hạn" in offline
    assert "Chưa có ảnh chụp" in offline
    counter = cards[2]
    assert "Đang chạy từ</dt><dd>28/11/2026 07:30" in counter and "phiên bản 14" in counter
    assert "Ảnh chụp lúc 01/12/2026 08:58" in counter and 'src="/fleet/screenshot?display=mot-cua"' in counter
    assert "Cảnh báo: Đã 2 ngày chưa đồng bộ" in cards[1]
    # No broker given: what the store has, and why the buttons cannot work.
    assert "chưa được nối với máy chủ MQTT" in main and "cần máy chủ" in main
    buttons = re.findall(r'<button type="submit" name="command" value="[^"]+"[^>]*>', main)
    assert len(buttons) == 6 and all("disabled" in button for button in buttons)
    said = web.post("/fleet/command", data={"csrf": _csrf(page.text), "display": "mot-cua", "command": "sync-now"})
    assert said.status_code == 200 and "Chưa gửi được yêu cầu" in said.text and "--fleet-broker" in said.text


def test_an_empty_store_says_so(console):
    page = client(console, "hung").get("/fleet")
    assert page.status_code == 200 and "Chưa có màn hình nào báo về" in page.text


def test_the_screenshot_comes_from_the_store_as_a_jpeg_and_nothing_else_is_served(console):
    fill_sample(console.fleet.store)
    web = client(console, "lan")
    shot = web.get("/fleet/screenshot", params={"display": "mot-cua"})
    assert shot.status_code == 200 and shot.headers["content-type"] == "image/jpeg"
    assert shot.headers["x-content-type-options"] == "nosniff" and shot.content == console.fleet.store.screenshot("mot-cua")[0]
    assert Image.open(io.BytesIO(shot.content)).size[0] <= 960
    console.fleet.store.save_screenshot("cong-ubnd", b"<html><script>alert(1)</script></html>", _at(TODAY, 2))
    for display in ("cong-ubnd", "nha-van-hoa-to-5", "khong-co", ""):
        answer = web.get("/fleet/screenshot", params={"display": display})
        assert answer.status_code == 404 and "<script>alert(1)" not in answer.text, display
    assert client(console).get("/fleet/screenshot", params={"display": "mot-cua"},
                               follow_redirects=False).status_code == 303  # signed out: to the login


def test_a_hostile_display_id_and_hostile_words_are_escaped_everywhere(console):
    fill_sample(console.fleet.store, hostile=True)
    web = client(console, "lan")
    for path in ("/fleet", "/interest", f"/interest?display={HOSTILE}"):
        page = web.get(path, params={"display": HOSTILE} if "?" in path else None)
        assert page.status_code == 200, path
        assert "<script>" not in page.text, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;amp;" in page.text, path
    fleet = web.get("/fleet").text
    assert 'src="/fleet/screenshot?display=%3Cscript%3Ealert%28%22x%22%29%3C/script%3E%26amp%3B"' in fleet
    shot = web.get("/fleet/screenshot", params={"display": HOSTILE})
    assert shot.status_code == 200 and shot.headers["content-type"] == "image/jpeg"
    # The FAQ link for a hostile search: the words go in the address encoded, and the FAQ page shows them escaped.
    report = web.get("/interest").text
    link = re.search(r'href="(/faq\?hoi=%3Cscript[^"]*)"', report)[1]
    assert "<" not in link and '"' not in link
    faq = web.get(link.replace("&amp;", "&"))
    assert faq.status_code == 200 and "<script>" not in faq.text
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;amp;"' in faq.text
    # A spreadsheet formula typed at the counter stays text in Excel.
    rows = list(csv.reader(io.StringIO(web.get("/interest.csv").content.decode("utf-8-sig"))))
    assert ["Tìm không thấy", "", "'=HYPERLINK(\"http://x\")", "14"] in rows
    assert ["Góp ý: muốn biết thêm về", "", HOSTILE, "28"] in rows
    assert ["&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;amp;", "28"] in _rows(report, "muon-biet")


def test_the_buttons_need_a_session_and_the_forms_csrf_token(console):
    fill_sample(console.fleet.store)
    outside = client(console)
    assert outside.post("/fleet/command", data={"display": "mot-cua", "command": "sync-now"}).status_code == 401
    for path in ("/fleet", "/interest", "/interest.csv"):
        answer = outside.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), path
    web = client(console, "lan")
    page = web.get("/fleet")
    for csrf in (None, "sai-ma"):
        sent = {"display": "mot-cua", "command": "sync-now"} | ({"csrf": csrf} if csrf else {})
        answer = web.post("/fleet/command", data=sent)
        assert answer.status_code == 403 and "chống giả mạo" in answer.text
    for display, command in (("khong-co", "sync-now"), ("all", "screenshot"), ("mot-cua", "xoa-het"),
                             ("ward/#", "sync-now")):
        answer = web.post("/fleet/command", data={"csrf": _csrf(page.text), "display": display, "command": command})
        assert answer.status_code == 400 and "Không có màn hình này" in answer.text, (display, command)


# ------------------------------------------------------------------ the interest report


def test_the_report_adds_up_every_display_and_day_and_filters_by_display_and_dates(console):
    fill_sample(console.fleet.store)
    web = client(console, "hung")
    page = web.get("/interest")
    assert page.status_code == 200
    html = page.text
    assert "Từ <strong>25/11/2026</strong> đến <strong>01/12/2026</strong> (7 ngày có số liệu)" in html
    assert "2 màn hình (mot-cua, nha-van-hoa-to-5)" in html
    searches = 7 * (12 * 3 + 12)
    assert f'<span class="big">{searches}</span> lượt tìm kiếm' in html
    topics_rows = _rows(html, "chu-de")
    assert topics_rows[0] == ["Hộ tịch", str(sum(9 * 3 + b % 3 + 9 + b % 3 for b in range(7)))]
    assert [row[0] for row in topics_rows] == ["Hộ tịch", "Đất đai, xây dựng", "Bảo hiểm xã hội", "Chứng thực"]
    assert _rows(html, "cau-hoi")[0] == ["Hộ tịch › Đăng ký khai sinh cần giấy tờ gì?", str(7 * 16)]
    not_found = _rows(html, "khong-thay")
    assert not_found == [["giay phep nuoi cho", "28", "Viết câu hỏi"], ["lam can cuoc cho tre em", "28", "Viết câu hỏi"]]
    assert 'href="/faq?hoi=giay%20phep%20nuoi%20cho#chu-de-moi"' in html
    assert _rows(html, "nut")[0] == ["Hỏi đáp chính sách", str(7 * 40)]
    # "Góp ý": the faces as the feed orders them (one nobody chose at 0), then a face it no longer has.
    assert _rows(html, "giup-ich") == [["Chưa giúp được", str(7 * 4)], ["Giúp được một phần", "0"],
                                       ["Có ích", str(7 * 20)], ["Rất có ích", "0"], ["Bình thường", str(7 * 2)]]
    assert _rows(html, "muon-biet") == [["Hộ tịch", str(7 * 12)], ["Điều khác", str(7 * 2)]]
    faces = html[html.index('id="giup-ich"'):]
    faces = faces[faces.index("<svg"):faces.index("</svg>")]
    assert re.findall(r'<rect x="430" y="[\d.]+" width="([\d.]+)"', faces) == ["120.0", "2", "600.0", "2", "60.0"]
    # Slides by their title in the feed as it is now; one since removed by its id only.
    assert _rows(html, "chieu-mot-cua")[:2] == [["lich-tiep-dan", str(7 * 40)],
                                            ["Đại biểu HĐND phường · Đơn vị bầu cử số 1 đến số 5 (dai-bieu-hdnd-phuong)",
                                             str(7 * 38)]]
    assert _rows(html, "chieu-mot-cua")[2][0].startswith("Bầu cử đại biểu Quốc hội khóa XVI")
    assert 'id="chieu-nha-van-hoa-to-5"' in html
    # Charts: one bar a row, the largest full width, the count beside it.
    chart = html[html.index('id="chu-de"'):]
    chart = chart[chart.index("<svg"):chart.index("</svg>")]
    widths = [float(w) for w in re.findall(r'<rect x="430" y="[\d.]+" width="([\d.]+)"', chart)]
    assert len(widths) == 4 and widths[0] == 600 and widths == sorted(widths, reverse=True)
    # One display, a few days, typed either way.
    one = web.get("/interest", params={"display": "nha-van-hoa-to-5", "from": "2026-11-30", "to": "1/12/2026"}).text
    assert "Từ <strong>30/11/2026</strong> đến <strong>01/12/2026</strong> (2 ngày có số liệu)" in one
    assert "1 màn hình (nha-van-hoa-to-5)" in one and 'id="chieu-mot-cua"' not in one
    assert _rows(one, "nut")[0] == ["Hỏi đáp chính sách", "20"]
    assert _rows(one, "giup-ich")[:3] == [["Chưa giúp được", "2"], ["Giúp được một phần", "0"], ["Có ích", "10"]]
    assert _rows(one, "muon-biet") == [["Hộ tịch", "6"], ["Điều khác", "2"]]
    assert '<option value="nha-van-hoa-to-5" selected>' in one and 'value="2026-11-30"' in one
    empty = web.get("/interest", params={"from": "2027-01-01"})
    assert empty.status_code == 200 and "Chưa có số liệu nào" in empty.text


@pytest.mark.parametrize("field, value, said", [
    ("from", "31/02/2026", "Từ ngày: Ngày “31/02/2026” không đúng"),
    ("to", "hôm qua", "Đến ngày: Ngày “hôm qua” không đúng"),
    ("from", "2026-13-01", "cần dạng 01/12/2026 hoặc 2026-12-01"),
    ("to", "<script>", "Ngày “&lt;script&gt;” không đúng"),
])
def test_a_bad_date_is_told_in_words_not_a_server_error(console, field, value, said):
    fill_sample(console.fleet.store)
    web = client(console, "lan")
    for path in ("/interest", "/interest.csv"):
        answer = web.get(path, params={field: value})
        assert answer.status_code == 400 and said in answer.text and "<script>" not in _main(answer.text), path
        assert 'aria-invalid="true"' in answer.text


def test_a_range_that_ends_before_it_starts_is_told(console):
    answer = client(console, "lan").get("/interest", params={"from": "2026-12-05", "to": "2026-12-01"})
    assert answer.status_code == 400 and "Ngày bắt đầu 05/12/2026 sau ngày kết thúc 01/12/2026" in answer.text


def test_the_csv_is_utf8_with_a_bom_one_table_with_a_section_column_and_follows_the_filters(console):
    fill_sample(console.fleet.store)
    web = client(console, "lan")
    page = web.get("/interest", params={"display": "mot-cua", "from": "2026-12-01"})
    link = re.search(r'href="(/interest\.csv[^"]*)"', page.text)[1].replace("&amp;", "&")
    assert link == "/interest.csv?display=mot-cua&from=2026-12-01"
    answer = web.get(link)
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="quan-tam-2026-12-01.csv"'
    assert answer.content.startswith(b"\xef\xbb\xbf")  # Excel on Windows reads UTF-8 only with it
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["Mục", "Màn hình", "Nội dung", "Số lần"]
    assert ["Chủ đề hỏi đáp", "", "Hộ tịch", str(9 * 3 + 0)] in rows
    assert ["Câu hỏi", "", "Hộ tịch › Đăng ký khai sinh cần giấy tờ gì?", "12"] in rows
    assert ["Lượt tìm kiếm", "", "", "36"] in rows and ["Tìm không thấy", "", "giay phep nuoi cho", "2"] in rows
    assert ["Nút màn hình chính", "", "Hỏi đáp chính sách", "30"] in rows
    assert ["Lượt chiếu", "mot-cua", "lich-tiep-dan", "40"] in rows
    assert [row for row in rows if row[0].startswith("Góp ý")] == [
        ["Góp ý: có giúp ích không", "", "Có ích", "15"], ["Góp ý: có giúp ích không", "", "Chưa giúp được", "3"],
        ["Góp ý: có giúp ích không", "", "Bình thường", "1"],
        ["Góp ý: muốn biết thêm về", "", "Hộ tịch", "9"], ["Góp ý: muốn biết thêm về", "", "Điều khác", "1"]]
    assert not any(row[1] == "nha-van-hoa-to-5" for row in rows)
    assert len({len(row) for row in rows}) == 1
    whole = list(csv.reader(io.StringIO(web.get("/interest.csv").content.decode("utf-8-sig"))))
    assert ["Lượt tìm kiếm", "", "", str(7 * 48)] in whole and ["Lượt chiếu", "nha-van-hoa-to-5", "lich-tiep-dan", "280"] in whole


def test_the_faq_page_takes_the_words_residents_did_not_find(console):
    web = client(console, "lan")
    page = web.get("/faq", params={"hoi": "  giay phep   nuoi cho "})
    assert page.status_code == 200
    new_topic = page.text[page.text.index('id="chu-de-moi"'):]
    first = re.search(r'name="(faq\.\d+\.questions\.0\.question)" value="([^"]*)"', new_topic)
    assert first[2] == "giay phep nuoi cho"
    assert "Bà con đã tìm “giay phep nuoi cho” mà không thấy câu trả lời" in new_topic
    assert page.text.count('value="giay phep nuoi cho"') == 1  # one question, in the new topic only
    assert "Bà con đã tìm" not in web.get("/faq").text


# ------------------------------------------------------------------ the buttons on the real broker


class DisplayClient:
    """A display's account on the broker, listening to its commands; it answers a screenshot
    request with `answer` (a JPEG, or a refusal's reason)."""

    def __init__(self, broker: Mosquitto, name: str, answer: bytes | str = b""):
        self.name, self.answer = name, answer
        self.commands: queue.Queue = queue.Queue()
        subscribed = queue.Queue()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-{name}", protocol=mqtt.MQTTv5)
        self.client.username_pw_set(name, BROKER_PASSWORDS[name])
        self.client.tls_set(ca_certs=str(broker.ca))
        self.client.on_connect = lambda c, u, f, code, p: c.subscribe(
            [(topics.command_topic(name), 1), (topics.command_topic(topics.ALL), 1), (topics.LATEST, 1)])
        self.client.on_subscribe = lambda c, u, mid, codes, p: subscribed.put(codes)
        self.client.on_message = self._received
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()
        assert all(not code.is_failure for code in subscribed.get(timeout=10))
        self.client.publish(topics.display_topic(name, topics.STATUS),
                            topics.encode({"display": name, "online": True, "feed_version": 7}), qos=1,
                            retain=True).wait_for_publish(5)

    def _received(self, client, userdata, message) -> None:
        if message.retain:  # kept on the broker from an earlier test: not sent to this one
            return
        body = topics.decode(message.payload)
        self.commands.put((message.topic, body))
        if body and body.get("command") == topics.TAKE_SCREENSHOT:
            if isinstance(self.answer, str):
                client.publish(topics.display_topic(self.name, topics.REPLY),
                               topics.encode({"command": topics.TAKE_SCREENSHOT, "done": False, "reason": self.answer}),
                               qos=1)
            else:
                client.publish(topics.display_topic(self.name, topics.SCREENSHOT), self.answer, qos=1)

    def close(self) -> None:
        self.client.publish(topics.display_topic(self.name, topics.STATUS), b"", qos=1, retain=True).wait_for_publish(5)
        self.client.disconnect()
        self.client.loop_stop()


def _linked_console(tmp_path: Path, url: str, ca: Path) -> Console:
    account = BrokerAccount(url, "office", BROKER_PASSWORDS["office"], str(ca))
    made = Console(tmp_path / "feed", tmp_path / "out", tmp_path / "state", hasher=QUICK_HASHER,
                   fleet=FleetOffice(tmp_path / "fleet.sqlite", account))
    made.users.add("lan", "editor", PASSWORDS["lan"])
    made.users.add("hung", "approver", PASSWORDS["hung"])
    return made


@pytest.fixture
def linked(tmp_path, broker):
    shutil.copytree(REPO / "config", tmp_path / "feed", ignore=shutil.ignore_patterns("display.yaml"))
    made = _linked_console(tmp_path, broker.url, broker.ca)
    yield made
    made.fleet.close()


def _wait(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while not (value := predicate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return value


def test_sync_now_reaches_a_subscribed_display_through_the_broker(linked, broker):
    display = DisplayClient(broker, "mot-cua")
    try:
        web = client(linked, "lan")
        assert _wait(lambda: "mot-cua" in web.get("/fleet").text, 10)  # its retained status, through the console's link
        page = web.get("/fleet")
        assert f"Đã kết nối máy chủ MQTT của phường ({broker.url})" in page.text
        buttons = re.findall(r'<button type="submit" name="command" value="sync-now"[^>]*>', page.text)
        assert buttons and not any("disabled" in button for button in buttons)
        said = web.post("/fleet/command", data={"csrf": _csrf(page.text), "display": "mot-cua", "command": "sync-now"})
        assert said.status_code == 200 and "Đã yêu cầu màn hình mot-cua đồng bộ ngay" in said.text
        topic, body = display.commands.get(timeout=10)
        assert topic == "ward/to/mot-cua/command" and body["command"] == "sync-now"
        web.post("/fleet/command", data={"csrf": _csrf(page.text), "display": "all", "command": "sync-now"})
        topic, body = display.commands.get(timeout=10)
        assert topic == "ward/to/all/command" and body["command"] == "sync-now"
    finally:
        display.close()


def test_a_screenshot_asked_from_the_page_arrives_or_its_refusal_is_said(linked, broker):
    picture = jpeg_of(colour=(0, 80, 160))
    counter = DisplayClient(broker, "mot-cua", answer=picture)
    busy = DisplayClient(broker, "to-5", answer="đang có người dùng màn hình cảm ứng")
    try:
        web = client(linked, "lan")
        assert _wait(lambda: {"mot-cua", "to-5"} <= {r.display for r in linked.fleet.store.displays()}
                     if linked.fleet.link() else False, 10)
        csrf = _csrf(web.get("/fleet").text)
        said = web.post("/fleet/command", data={"csrf": csrf, "display": "mot-cua", "command": "screenshot"})
        assert "Đã nhận ảnh chụp màn hình mot-cua." in said.text
        assert "Ảnh chụp lúc" in said.text
        assert web.get("/fleet/screenshot", params={"display": "mot-cua"}).content == picture
        refused = web.post("/fleet/command", data={"csrf": csrf, "display": "to-5", "command": "screenshot"})
        assert "Màn hình to-5 không chụp: đang có người dùng màn hình cảm ứng" in refused.text
    finally:
        counter.close()
        busy.close()


def test_a_broker_out_of_reach_is_said_on_the_page_and_by_the_button(tmp_path, broker):
    shutil.copytree(REPO / "config", tmp_path / "feed", ignore=shutil.ignore_patterns("display.yaml"))
    console = _linked_console(tmp_path, f"mqtts://127.0.0.1:{free_port()}", broker.ca)
    try:
        fill_sample(console.fleet.store)
        web = client(console, "lan")
        page = web.get("/fleet")
        assert "Không kết nối được tới máy chủ MQTT" in page.text and "mot-cua" in page.text
        started = time.monotonic()
        said = web.post("/fleet/command", data={"csrf": _csrf(page.text), "display": "mot-cua", "command": "sync-now"})
        assert "Chưa gửi được yêu cầu. Không kết nối được tới máy chủ MQTT" in said.text
        assert time.monotonic() - started < 10
    finally:
        console.fleet.close()


def test_a_publication_from_the_console_tells_every_display_on_the_link(linked, broker):
    display = DisplayClient(broker, "to-5")
    try:
        store_key(linked.state, signing.new_private_key(), PASSPHRASE)
        web = client(linked, "hung")
        fields = _form(web.get("/review").text, "/review/publish")
        done = web.post("/review/publish", data=fields | {"passphrase": PASSPHRASE})
        assert "Đã xuất bản phiên bản" in done.text and "Đã báo các màn hình đang kết nối" in done.text
        topic, body = display.commands.get(timeout=10)
        version = yaml.safe_load((linked.feed / "feed.yaml").read_text(encoding="utf-8"))["version"]
        assert topic == topics.LATEST and body["version"] == version and body["spread_seconds"] == 5
    finally:
        display.close()


def test_kiosk_fleet_report_and_the_console_give_the_same_numbers(console, tmp_path):
    fill_sample(console.fleet.store, hostile=True)
    web = client(console, "lan")
    filters = {"display": "mot-cua", "from": "2026-11-28", "to": "2026-11-30"}
    from_console = web.get("/interest.csv", params=filters).content
    out = tmp_path / "bao-cao.csv"
    done = subprocess.run([sys.executable, "-m", "kiosk", "fleet", "report", "--db", str(console.fleet.db),
                           "--display", "mot-cua", "--from", "28/11/2026", "--to", "2026-11-30", "--csv", str(out)],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "Quan tâm của người dân từ 28/11/2026 đến 30/11/2026, 1 màn hình (mot-cua)" in done.stdout
    assert "Góp ý – thông tin ở đây có giúp ích cho bà con không?\n      45  Có ích\n       9  Chưa giúp được\n" in done.stdout
    assert "Góp ý – bà con muốn biết thêm về:\n      27  Hộ tịch\n       6  " in done.stdout
    assert out.read_bytes() == from_console
    for args, said in ((["--from", "2026-12-05", "--to", "2026-12-01"], "ngày bắt đầu 05/12/2026 sau ngày kết thúc"),
                       (["--from", "31/02/2026"], "ngày “31/02/2026” không đúng")):
        wrong = subprocess.run([sys.executable, "-m", "kiosk", "fleet", "report", "--db", str(console.fleet.db), *args],
                               capture_output=True, text=True, timeout=60, cwd=REPO)
        assert wrong.returncode != 0 and said in wrong.stderr and "Traceback" not in wrong.stderr, wrong.stderr


def test_kiosk_office_says_when_the_fleet_store_cannot_be_opened(tmp_path):
    shutil.copytree(REPO / "config", tmp_path / "feed", ignore=shutil.ignore_patterns("display.yaml"))
    (tmp_path / "a-file").write_text("not a folder")
    done = subprocess.run([sys.executable, "-m", "kiosk", "office", "--feed", str(tmp_path / "feed"), "--out",
                           str(tmp_path / "out"), "--fleet-db", str(tmp_path / "a-file" / "fleet.sqlite")],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 1 and "không mở được tệp số liệu các màn hình" in done.stderr
    assert "--fleet-db" in done.stderr and "Traceback" not in done.stderr
