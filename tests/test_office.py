"""The office console over HTTP (Starlette's TestClient): sign-in, sessions, CSRF, roles, saving
forms through the validator, concurrent saves, uploads, spreadsheets, publishing."""

from __future__ import annotations

import csv
import io
import re
import shutil
import warnings
from pathlib import Path

import pytest
from argon2 import PasswordHasher
import yaml

warnings.filterwarnings("ignore", message=".*httpx.*")
from starlette.testclient import TestClient  # noqa: E402

from kiosk.delivery import signing  # noqa: E402
from kiosk.delivery.manifest import MANIFEST_FILE, parse  # noqa: E402
from office.app import build_app  # noqa: E402
from office.state import store_key  # noqa: E402
from office.web import Console  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
# Real argon2id, with a small cost so that each test's accounts take milliseconds, not seconds.
QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORDS = {"lan": "lan-mat-khau-1", "hung": "hung-mat-khau-2"}
PASSPHRASE = "cum mat khau cua khoa ky"
SMALL_PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
             b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def console(tmp_path):
    shutil.copytree(REPO / "config", tmp_path / "feed", ignore=shutil.ignore_patterns("display.yaml"))
    made = Console(tmp_path / "feed", tmp_path / "out", tmp_path / "state", hasher=QUICK_HASHER)
    made.users.add("lan", "editor", PASSWORDS["lan"])
    made.users.add("hung", "approver", PASSWORDS["hung"])
    return made


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]


def _base(html: str) -> str:
    return re.search(r'name="base" value="([^"]+)"', html)[1]


def client(console, name: str | None = None) -> TestClient:
    web = TestClient(build_app(console))
    if name:
        page = web.get("/login")
        done = web.post("/login", data={"csrf": _csrf(page.text), "name": name, "password": PASSWORDS[name]})
        assert done.status_code == 200 and "Tổng quan" in done.text
    return web


def _form(html: str, action: str) -> dict:
    """The fields of the form posting to action, as a browser would send them unchanged."""
    start = html.index(f'action="{action}"')
    body = html[start:html.index("</form>", start)]
    fields = {}
    for tag in re.finditer(r"<(input|textarea|select)\b([^>]*)>(.*?)(?=<)", body, re.S):
        kind, attrs, text = tag.groups()
        name = re.search(r'name="([^"]+)"', attrs)
        if not name:
            continue
        if kind == "textarea":
            fields[name[1]] = text
        elif kind == "select":
            options = body[tag.end():body.index("</select>", tag.end())]
            chosen = re.search(r'<option value="([^"]*)" selected', options) or re.search(r'<option value="([^"]*)"', options)
            fields[name[1]] = chosen[1] if chosen else ""  # a browser sends the first option when none is chosen
        elif 'type="checkbox"' in attrs:
            if "checked" in attrs:
                fields.setdefault(name[1], []).append(re.search(r'value="([^"]*)"', attrs)[1])
        else:
            value = re.search(r'value="([^"]*)"', attrs)
            value = value[1] if value else ""
            if name[1] in fields:  # one name several times (kept check boxes): all are sent
                before = fields[name[1]]
                fields[name[1]] = (before if isinstance(before, list) else [before]) + [value]
            else:
                fields[name[1]] = value
    import html as html_module
    return {k: [html_module.unescape(x) for x in v] if isinstance(v, list) else html_module.unescape(v)
            for k, v in fields.items()}


def _feed(console) -> dict:
    return yaml.safe_load((console.feed / "feed.yaml").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ security


GETS = ["/", "/slides/0", "/slides/new/text", "/ward", "/faq", "/media", "/media/file/media/logo.png",
        "/media/thumb/media/logo.png", "/import", "/review", "/preview", "/preview/part", "/audit", "/changed"]
POSTS = ["/slides/0", "/slides/0/action", "/slides/new/text", "/ward", "/faq", "/media", "/import",
         "/review/submit", "/review/publish", "/preview", "/logout", "/undo/abc"]


def test_every_page_but_login_refuses_a_request_without_a_session(console):
    web = client(console)
    before = (console.feed / "feed.yaml").read_bytes()
    for path in GETS:
        answer = web.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), path
    for path in POSTS:
        answer = web.post(path, data={"name": "x", "action": "delete"}, follow_redirects=False)
        assert answer.status_code == 401, path
        assert "Phường Đống Đa" not in answer.text, path
    assert (console.feed / "feed.yaml").read_bytes() == before
    assert web.get("/login").status_code == 200
    assert not (console.out / MANIFEST_FILE).exists()


def test_a_form_without_the_csrf_token_is_refused(console):
    web = client(console, "lan")
    page = web.get("/ward")
    fields = _form(page.text, "/ward")
    fields["ward.name"] = "Phường Giả Mạo"
    before = (console.feed / "feed.yaml").read_bytes()
    for csrf in (None, "sai-ma"):
        sent = {k: v for k, v in fields.items() if k != "csrf"} | ({"csrf": csrf} if csrf else {})
        answer = web.post("/ward", data=sent)
        assert answer.status_code == 403 and "chống giả mạo" in answer.text
    upload = web.post("/media", files={"file": ("anh.png", SMALL_PNG, "image/png")})
    assert upload.status_code == 403
    assert (console.feed / "feed.yaml").read_bytes() == before
    assert not (console.feed / "media" / "anh.png").exists()


def test_session_cookie_is_signed_and_http_only(console):
    web = client(console, "lan")
    cookie = next(c for c in web.cookies.jar if c.name == "office_session")
    assert cookie.has_nonstandard_attr("HttpOnly") or "httponly" in str(cookie._rest).lower()
    forged = client(console)
    forged.cookies.set("office_session", cookie.value[:-4] + "AAAA")
    assert forged.get("/", follow_redirects=False).status_code == 303
    page = web.get("/")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"


def test_an_account_removed_or_changed_counts_at_once(console):
    web = client(console, "hung")
    console.users.add("hung", "editor", PASSWORDS["hung"])
    assert "Chỉ người duyệt mới xuất bản được" in web.get("/review").text
    users = console.users.all()
    del users["hung"]
    (console.state / "users.json").write_text(__import__("json").dumps(users))
    assert web.get("/", follow_redirects=False).status_code == 303


def test_wrong_passwords_slow_the_login_down(console):
    web = client(console)
    token = _csrf(web.get("/login").text)
    for _ in range(3):
        assert web.post("/login", data={"csrf": token, "name": "lan", "password": "sai"}).status_code == 401
    right = web.post("/login", data={"csrf": token, "name": "lan", "password": PASSWORDS["lan"]})
    assert right.status_code == 429 and "Hãy chờ" in right.text
    assert web.get("/", follow_redirects=False).status_code == 303


def test_an_editor_cannot_publish(console):
    store_key(console.state, signing.new_private_key(), PASSPHRASE)
    web = client(console, "lan")
    page = web.get("/review")
    assert "Chỉ người duyệt mới xuất bản được" in page.text and 'action="/review/publish"' not in page.text
    token = re.search(r"[0-9a-f]{20}", console.file.token())[0]
    answer = web.post("/review/publish", data={"csrf": _csrf(page.text), "token": token, "passphrase": PASSPHRASE})
    assert answer.status_code == 403
    assert not (console.out / MANIFEST_FILE).exists()


def test_an_approver_publishes_with_the_passphrase_and_the_key_stays_encrypted(console):
    key = signing.new_private_key()
    store_key(console.state, key, PASSPHRASE)
    assert b"ENCRYPTED" in (console.state / "office-key.pem").read_bytes()
    web = client(console, "hung")
    page = web.get("/review")
    fields = _form(page.text, "/review/publish")
    wrong = web.post("/review/publish", data=fields | {"passphrase": "khong dung"})
    assert "cụm mật khẩu của khóa ký không đúng" in wrong.text
    assert not (console.out / MANIFEST_FILE).exists()
    done = web.post("/review/publish", data=fields | {"passphrase": PASSPHRASE})
    assert "Đã xuất bản phiên bản 1" in done.text
    raw = (console.out / MANIFEST_FILE).read_bytes()
    assert signing.verify(key.public_key(), raw, (console.out / "manifest.json.sig").read_bytes())
    assert parse(raw).version == 1
    entries = console.audit.entries()
    assert [e.action for e in entries][-1] == "xuất bản" and entries[-1].user == "hung" and entries[-1].version == 1
    assert PASSPHRASE not in "".join(p.read_text(errors="replace") for p in console.state.rglob("*") if p.is_file())
    assert "Không có gì thay đổi" in web.get("/review").text


def test_a_delegated_key_imported_into_the_console_publishes_its_delegation(console, tmp_path):
    """Displays that trust only the root accept a feed only with the keys.json naming its key."""
    import subprocess
    import sys

    from kiosk.delivery import trust

    def kiosk(*args, stdin=""):
        done = subprocess.run([sys.executable, "-m", "kiosk", *map(str, args)], cwd=REPO, input=stdin,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done

    usb, laptop = tmp_path / "usb", tmp_path / "laptop"
    kiosk("keygen", "--root", "--out", usb)
    kiosk("keygen", "--delegate", "--root-key", usb / trust.ROOT_PRIVATE_KEY_FILE, "--out", laptop)
    kiosk("office", "key", "import", laptop / signing.PRIVATE_KEY_FILE, "--passphrase-stdin",
          "--feed", console.feed, "--state", console.state, stdin=PASSPHRASE + "\n")
    web = client(console, "hung")
    fields = _form(web.get("/review").text, "/review/publish")
    done = web.post("/review/publish", data=fields | {"passphrase": PASSPHRASE})
    assert "Đã xuất bản phiên bản 1" in done.text, done.text
    assert (console.out / trust.KEYS_FILE).read_bytes() == (laptop / trust.KEYS_FILE).read_bytes()
    assert (console.out / trust.KEYS_SIGNATURE).read_bytes() == (laptop / trust.KEYS_SIGNATURE).read_bytes()


# ------------------------------------------------------------------ saving through the validator


def test_script_in_a_title_is_shown_as_text(console):
    web = client(console, "lan")
    page = web.get("/slides/new/text")
    fields = _form(page.text, "/slides/new/text")
    fields |= {"title": "<script>alert('x')</script> Lịch tiếp dân", "body": "Thứ Ba <b>và</b> Thứ Năm."}
    saved = web.post("/slides/new/text", data=fields)
    assert saved.status_code == 200 and "Đã lưu" in saved.text
    assert "<script>alert" not in saved.text and "&lt;script&gt;alert(" in saved.text
    assert _feed(console)["slides"][-1]["title"].startswith("<script>")
    for path in ("/review", f"/slides/{len(_feed(console)['slides']) - 1}"):
        assert "<script>alert" not in web.get(path).text, path


def test_the_validators_message_stands_next_to_the_field_and_nothing_invalid_is_written(console):
    web = client(console, "lan")
    before = (console.feed / "feed.yaml").read_bytes()
    index = next(i for i, s in enumerate(_feed(console)["slides"]) if s["type"] == "resolution")
    fields = _form(web.get(f"/slides/{index}").text, f"/slides/{index}")
    fields |= {"date": "30/02/2026", "duration": "hai mươi", "link.url": "http://dongda.hanoi.gov.vn"}
    answer = web.post(f"/slides/{index}", data=fields)
    assert answer.status_code == 422 and "Chưa lưu" in answer.text
    for field, words in (("date", "không phải ngày có thật"), ("duration", "cần là một con số"),
                         ("link.url", "phải bắt đầu bằng https://")):
        problem = re.search(rf'id="loi-slides.{index}.{re.escape(field)}">([^<]*)<', answer.text)
        assert problem and words in problem[1], field
    assert 'value="hai mươi"' in answer.text  # what was typed is still there
    assert (console.feed / "feed.yaml").read_bytes() == before


def test_a_save_keeps_the_files_comments_and_order(console):
    web = client(console, "lan")
    before = (console.feed / "feed.yaml").read_text(encoding="utf-8")
    fields = _form(web.get("/ward").text, "/ward")
    fields["ticker"] += "\nDòng mới:\tcó “ngoặc kép” và  hai dấu cách"
    assert "Đã lưu" in web.post("/ward", data=fields).text
    after = (console.feed / "feed.yaml").read_text(encoding="utf-8")
    assert _feed(console)["ticker"][-1] == "Dòng mới: có “ngoặc kép” và hai dấu cách"
    assert [line for line in after.splitlines() if line.lstrip().startswith("#")] == \
           [line for line in before.splitlines() if line.lstrip().startswith("#")]
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert len(changed) == 1, changed


def test_two_staff_saving_at_once_the_second_is_refused_and_keeps_its_text(console):
    first, second = client(console, "lan"), client(console, "hung")
    page_one, page_two = first.get("/ward"), second.get("/ward")
    one, two = _form(page_one.text, "/ward"), _form(page_two.text, "/ward")
    one["ward.name"] = "Phường Đống Đa (sửa lần một)"
    two["ticker"] += "\nThông báo của người thứ hai"
    assert "Đã lưu" in first.post("/ward", data=one).text
    refused = second.post("/ward", data=two)
    assert refused.status_code == 409 and "Chưa lưu gì của bạn" in refused.text
    assert "Thông báo của người thứ hai" in refused.text
    assert "Thông báo của người thứ hai" not in (console.feed / "feed.yaml").read_text(encoding="utf-8")
    again = second.post("/ward", data=_form(refused.text, "/ward"))  # saving again, knowingly
    assert "Đã lưu" in again.text
    feed = _feed(console)
    assert feed["ward"]["name"] == "Phường Đống Đa (sửa lần một)"
    assert feed["ticker"][-1] == "Thông báo của người thứ hai"


def test_a_hand_edit_is_seen_and_an_open_form_is_told(console):
    web = client(console, "lan")
    page = web.get("/ward")
    base = _base(page.text)
    assert web.get(f"/changed?base={base}").text == ""
    path = console.feed / "feed.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("name: Phường Đống Đa", "name: Phường Sửa Tay", 1),
                    encoding="utf-8")
    assert "vừa được lưu ở nơi khác" in web.get(f"/changed?base={base}").text
    assert "Phường Sửa Tay" in web.get("/ward").text


def test_reorder_duplicate_delete_and_undo(console):
    web = client(console, "lan")
    ids = [s["id"] for s in _feed(console)["slides"]]
    page = web.get("/")

    def act(index, action):
        fields = {"csrf": _csrf(page.text), "base": console.file.token(), "action": action}
        return web.post(f"/slides/{index}/action", data=fields)

    act(1, "up")
    assert [s["id"] for s in _feed(console)["slides"]][:2] == [ids[1], ids[0]]
    act(0, "duplicate")
    assert [s["id"] for s in _feed(console)["slides"]][:2] == [ids[1], f"{ids[1]}-ban-sao"]
    deleted = act(1, "delete")
    assert "Đã xóa" in deleted.text and len(_feed(console)["slides"]) == len(ids)
    undo = re.search(r'action="(/undo/[^"]+)"', deleted.text)[1]
    restored = web.post(undo, data={"csrf": _csrf(deleted.text)})
    assert "Đã khôi phục" in restored.text
    assert [s["id"] for s in _feed(console)["slides"]][:2] == [ids[1], f"{ids[1]}-ban-sao"]
    stale = web.post("/slides/0/action", data={"csrf": _csrf(page.text), "base": page.text and _base_of(page),
                                               "action": "down"})
    assert "bản tin vừa được lưu ở nơi khác" in stale.text


def _base_of(page) -> str:
    return re.search(r'name="base" value="([^"]+)"', page.text)[1]


def test_an_expired_session_keeps_the_typed_text(console):
    web = client(console, "lan")
    fields = _form(web.get("/ward").text, "/ward")
    fields["ward.name"] = "Phường Đống Đa mới"
    web.cookies.clear()
    answer = web.post("/ward", data=fields)
    assert answer.status_code == 401 and "chữ bạn vừa gõ vẫn được giữ" in answer.text
    login = _form(answer.text, "/login") | {"name": "lan", "password": PASSWORDS["lan"]}
    resumed = web.post("/login", data=login)
    assert "Phường Đống Đa mới" in resumed.text and "hãy xem lại rồi bấm Lưu" in resumed.text
    assert "Đã lưu" in web.post("/ward", data=_form(resumed.text, "/ward")).text
    assert _feed(console)["ward"]["name"] == "Phường Đống Đa mới"


# ------------------------------------------------------------------ uploads


def test_an_uploaded_name_with_dot_dot_stays_inside_the_feed_folder(console, tmp_path):
    web = client(console, "lan")
    token = _csrf(web.get("/media").text)
    for name in ("../../thoat.png", "..\\..\\thoat.png", "/etc/thoat.png", "....png"):
        answer = web.post(f"/media?csrf={token}", files={"file": (name, SMALL_PNG, "image/png")})
        assert answer.status_code == 200, (name, answer.text[-500:])
    outside = [p for p in tmp_path.rglob("*thoat*") if not p.is_relative_to(console.feed / "media")]
    assert outside == [] and not Path("/etc/thoat.png").exists()
    assert (console.feed / "media" / "thoat.png").read_bytes() == SMALL_PNG
    assert web.get("/media/file/../feed.yaml").status_code == 404
    assert web.get("/media/thumb/media/thoat.png").headers["content-type"] == "image/png"


def test_an_upload_that_is_not_a_picture_is_refused(console):
    web = client(console, "lan")
    token = _csrf(web.get("/media").text)
    answer = web.post(f"/media?csrf={token}", files={"file": ("anh.png", b"MZ not a picture", "image/png")})
    assert answer.status_code == 422 and "không phải ảnh PNG" in answer.text
    answer = web.post(f"/media?csrf={token}", files={"file": ("bai.docx", b"PK..", "application/zip")})
    assert answer.status_code == 422 and "chỉ nhận" in answer.text
    assert not (console.feed / "media" / "anh.png").exists()


# ------------------------------------------------------------------ spreadsheets


def test_a_csv_delegate_list_is_imported_in_official_order(console):
    rows = [["DANH SÁCH NGƯỜI TRÚNG CỬ"], [], ["STT", "Họ và tên", "Ngày sinh", "Nghề nghiệp, chức vụ",
                                                "Nơi công tác", "Số phiếu", "Tỷ lệ"],
            ["1", "Trần\tVăn  Bình", "01/02/1970", "Kỹ sư", "Công ty “Sông Hồng”", "12.345", "80,5%"],
            ["2", "Nguyễn Thị An", "03/04/1980", "Giáo viên", "Trường THCS", "11.000", "71,2%"],
            ["", "Tổng cộng", "", "", "", "23.345", ""]]
    data = io.StringIO()
    csv.writer(data, delimiter=";").writerows(rows)
    web = client(console, "lan")
    token = _csrf(web.get("/import").text)
    read = web.post(f"/import?csrf={token}", files={"file": ("ds.csv", data.getvalue().encode("utf-8-sig"), "text/csv")})
    assert "2 người" in read.text and "lan · Biên tập" in read.text
    names = re.findall(r"<tr><td>\d+</td><td>([^<]+)</td>", read.text)
    assert names == ["Nguyễn Thị An", "Trần Văn Bình"]
    fields = _form(read.text, read.url.path) | {"do": "add", "body": "hdnd-phuong", "term": "nhiệm kỳ 2026 - 2031"}
    added = web.post(read.url.path, data=fields)
    assert "Đã thêm trang" in added.text
    slide = _feed(console)["slides"][-1]
    assert slide["type"] == "delegates" and slide["body"] == "hdnd-phuong"
    assert slide["people"][1] == {"name": "Trần Văn Bình", "position": "Kỹ sư, Công ty “Sông Hồng”",
                                  "votes": 12345, "percent": 80.5}


def test_a_spreadsheet_without_a_name_column_says_so(console):
    web = client(console, "lan")
    token = _csrf(web.get("/import").text)
    sheet = "STT,Ngày sinh\n1,01/01/1970\n".encode()
    read = web.post(f"/import?csrf={token}", files={"file": ("ds.csv", sheet, "text/csv")})
    assert "không thấy cột họ tên" in read.text
    before = (console.feed / "feed.yaml").read_bytes()
    web.post(read.url.path, data=_form(read.text, read.url.path) | {"do": "add"})
    assert (console.feed / "feed.yaml").read_bytes() == before


def test_the_login_sends_nobody_to_another_site(console):
    web = client(console)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example/"):
        page = web.get("/login", params={"next": target})
        answer = web.post("/login", data={"csrf": _csrf(page.text), "name": "lan", "password": PASSWORDS["lan"],
                                          "next": target}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/", target


SLIDES_TYPED = {
    "text": {"category": "Thông báo", "title": "Lịch tiếp công dân", "body": "Thứ Ba và Thứ Năm.\r\n\r\nTại **Một cửa**."},
    "resolution": {"number": "09/NQ-HĐND", "date": "2026-03-28", "title": "Về việc thí điểm", "points": "Ý một\r\nÝ hai\r\n",
                   "link.label": "Toàn văn", "link.url": "https://dongda.hanoi.gov.vn/nq/09"},
    "image": {"file": "media/logo.png", "caption": "Biểu trưng", "background": "#0B3D2E"},
    "video": {"file": "media/video-nhiem-ky-moi.mp4", "sound": "1", "max_seconds": "30"},
    "delegates": {"body": "hdnd-phuong", "term": "nhiệm kỳ 2026 - 2031", "people.0.name": "Nguyễn Thị An",
                  "people.0.votes": "12.345", "people.0.percent": "80,5", "people.1.name": "Lê Văn Bình"},
    "leaders": {"title": "Lãnh đạo phường", "people.0.name": "Trần Văn Cường", "people.0.position": "Chủ tịch UBND"},
}


def test_every_slide_type_is_made_from_its_form_with_a_schedule(console):
    web = client(console, "lan")
    for kind, typed in SLIDES_TYPED.items():
        page = web.get(f"/slides/new/{kind}")
        fields = _form(page.text, f"/slides/new/{kind}") | typed
        fields |= {"start": "2026-12-01", "start_time": "07:30", "end": "31/12/2026", "weekdays": ["T3", "T5"],
                   "hours": "07:30-11:30, 13:30-17:00", "displays": "nha-van-hoa-to-5", "urgent": "1"}
        saved = web.post(f"/slides/new/{kind}", data=fields)
        assert "Đã lưu" in saved.text, (kind, re.findall(r'class="field-problem[^"]*"[^>]*>([^<]*)', saved.text))
        slide = _feed(console)["slides"][-1]
        assert slide["type"] == kind and slide["urgent"] is True
        assert slide["start"] == "2026-12-01 07:30" and str(slide["end"]) == "2026-12-31"
        assert slide["weekdays"] == ["T3", "T5"] and slide["hours"] == ["07:30-11:30", "13:30-17:00"]
    text = (console.feed / "feed.yaml").read_text(encoding="utf-8")
    assert "weekdays: [T3, T5]" in text and "body: |-\n" in text
    slides = _feed(console)["slides"]
    assert slides[-5]["points"] == ["Ý một", "Ý hai"] and slides[-5]["link"]["url"].endswith("/nq/09")
    assert slides[-3]["sound"] is True and slides[-3]["max_seconds"] == 30
    assert slides[-2]["people"][0] == {"name": "Nguyễn Thị An", "votes": 12345, "percent": 80.5}


def test_the_faq_form_edits_and_adds_questions(console):
    web = client(console, "lan")
    page = web.get("/faq")
    fields = _form(page.text, "/faq")
    topics = len(_feed(console)["faq"])
    fields["faq.0.questions.0.answer"] = "Câu trả lời **mới**."
    spare = max(int(m[1]) for m in re.finditer(r"faq\.0\.questions\.(\d+)\.question", page.text))
    fields[f"faq.0.questions.{spare}.question"] = "Câu hỏi thêm?"
    fields[f"faq.0.questions.{spare}.answer"] = "Trả lời thêm."
    fields[f"faq.{topics}.topic"] = "Chủ đề mới"
    fields[f"faq.{topics}.questions.0.question"] = "Hỏi?"
    fields[f"faq.{topics}.questions.0.answer"] = "Đáp."
    assert "Đã lưu" in web.post("/faq", data=fields).text
    faq = _feed(console)["faq"]
    assert faq[0]["questions"][0]["answer"] == "Câu trả lời **mới**."
    assert faq[0]["questions"][-1] == {"question": "Câu hỏi thêm?", "answer": "Trả lời thêm."}
    assert faq[-1] == {"topic": "Chủ đề mới", "questions": [{"question": "Hỏi?", "answer": "Đáp."}]}


def test_a_hand_broken_file_is_shown_not_overwritten(console):
    web = client(console, "lan")
    path = console.feed / "feed.yaml"
    broken = path.read_text(encoding="utf-8").replace("ticker:\n", "ticker:\n  - [chưa đóng\n", 1)
    path.write_text(broken, encoding="utf-8")
    page = web.get("/")
    assert "không đọc được" in page.text and "dòng" in page.text
    assert web.get("/ward", follow_redirects=False).status_code == 303
    assert path.read_text(encoding="utf-8") == broken


def test_a_list_of_400_delegates_is_imported_and_edited(console, tmp_path):
    from openpyxl import Workbook
    book = Workbook()
    book.active.append(["STT", "Họ và tên", "Nghề nghiệp, chức vụ", "Số phiếu", "Tỷ lệ"])
    for number in range(1, 401):
        book.active.append([number, f"Nguyễn Văn Người {number:03d}", "Tổ trưởng tổ dân phố", 1000 + number,
                            0.5 + number / 1000])
    book.save(tmp_path / "ds.xlsx")
    web = client(console, "lan")
    token = _csrf(web.get("/import").text)
    read = web.post(f"/import?csrf={token}", files={"file": ("ds.xlsx", (tmp_path / "ds.xlsx").read_bytes())})
    assert "400 người" in read.text
    added = web.post(read.url.path, data=_form(read.text, read.url.path) | {"do": "add"})
    assert "400 đại biểu" in added.text, re.findall(r"Chưa thêm[^<]*", added.text)
    index = len(_feed(console)["slides"]) - 1
    fields = _form(web.get(f"/slides/{index}").text, f"/slides/{index}")
    assert len([k for k in fields if k.startswith("people.")]) >= 1600
    fields["people.399.name"] = "Trần Thị Cuối"
    assert "Đã lưu" in web.post(f"/slides/{index}", data=fields).text
    people = _feed(console)["slides"][index]["people"]
    assert len(people) == 400 and people[399]["name"] == "Trần Thị Cuối" and people[0]["percent"] == 50.1


def test_a_form_is_checked_as_staff_type_without_saving(console):
    web = client(console, "lan")
    before = (console.feed / "feed.yaml").read_bytes()
    fields = _form(web.get("/ward").text, "/ward") | {"check": "1", "ward.website.url": "dongda.hanoi.gov.vn"}
    answer = web.post("/ward", data=fields, headers={"HX-Request": "true"})
    assert "Nếu lưu bây giờ sẽ chưa được" in answer.text and "không phải một địa chỉ web đầy đủ" in answer.text
    assert 'href="#o-ward-website-url"' in answer.text and "<html" not in answer.text
    fields["ward.website.url"] = "https://dongda.hanoi.gov.vn"
    assert "Chưa thấy lỗi nào" in web.post("/ward", data=fields).text
    assert (console.feed / "feed.yaml").read_bytes() == before


def test_an_expired_session_keeps_every_ticked_box(console):
    web = client(console, "lan")
    index = next(i for i, s in enumerate(_feed(console)["slides"]) if s["type"] == "text")
    fields = _form(web.get(f"/slides/{index}").text, f"/slides/{index}") | {"weekdays": ["T3", "T5", "CN"]}
    web.cookies.clear()
    answer = web.post(f"/slides/{index}", data=fields)
    login = _form(answer.text, "/login") | {"name": "lan", "password": PASSWORDS["lan"]}
    resumed = web.post("/login", data=login)
    assert _form(resumed.text, f"/slides/{index}")["weekdays"] == ["T3", "T5", "CN"]
