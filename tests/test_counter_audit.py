"""Every page of touch mode, the staff's PIN pad and panel, and the loop's invitation to touch,
through the layout audit (tests/layout_audit.py) at each supported size: one window per size walks
them all as a resident would, one touch after another (tests/kiosk_harness.py `steps`)."""

import shutil
from pathlib import Path

import pytest
import yaml

from kiosk.play.areas import my_delegates, sorted_areas
from kiosk.play.search import FaqIndex
from kiosk.settings import load_settings
from kiosk.feed.validate import load_feed
from test_display_loop import run_display

REPO = Path(__file__).resolve().parents[1]
FEED = load_feed(REPO / "config").feed
SIZES = [(1920, 1080), (1080, 1920), (1280, 720), (3840, 2160)]
TOUCH_TARGET = 110  # not the default: every button follows the display's setting
LARGEST_TOUCH_TARGET = 160  # the settings accept no more: tried at 1280x720, the smallest screen
PIN = "2468"
MENU = ["Hỏi đáp chính sách", "Tìm kiếm", "Đại biểu của bạn", "Nghị quyết", "Liên kết", "Góp ý"]
INVITATION = "Chạm vào màn hình để tra cứu"
KEYS = set("abcdeghiklmnopqrstuvxyfjwz1234567890") | {"Dấu cách", "Xóa", "Xóa hết"}

TOPIC = next(t for t in FEED.faq if t.topic == "Hỏi đáp, góp ý")
QUESTION = TOPIC.questions[1]
FOUND = FaqIndex(FEED.faq).search("nghi quyet")
NOT_FOUND = FaqIndex(FEED.faq).search("nghi quyt")
DELEGATES = next(s for s in FEED.slides if s.type == "delegates" and s.body == "hdnd-phuong")
DELEGATES_ROW = f"{DELEGATES.titled_list} · {DELEGATES.constituency}"
RESOLUTION = next(s for s in FEED.slides if s.type == "resolution")
RESOLUTION_ROW = f"{RESOLUTION.number} · {RESOLUTION.title}"
LINKS = [FEED.ward.website, *FEED.ward.links]
HOME = "Về màn hình chính"
SUGGESTION = f"Có phải bạn muốn tìm: “{NOT_FOUND.did_you_mean}”?"
ALL_LISTS = "Xem mọi danh sách đại biểu của phường"
AREA = next(area for area in sorted_areas(FEED.areas) if all(level.people for level in my_delegates(FEED, area)))
MINE = [text for level in my_delegates(FEED, AREA) for text in (
    level.lists[0].titled_list, *(p.name for p in level.people), *(p.position or "" for p in level.people))]
RATING, MORE_ABOUT = FEED.feedback.rating, FEED.feedback.more_about


def typed(word):
    return {"tap_texts": ["Dấu cách" if key == " " else key for key in word]}


def audited(name, expect=(), **action):
    return {**action, "audit": name, "expect": [*expect]}


def walk():
    """Every page a resident can reach, each audited with the words it must show whole; the staff's
    first, from the loop (the touch mode ends on its last page when the run ends). The menu comes
    back as it was laid out, so one step goes to it and on to its next choice."""
    answer = [QUESTION.question, QUESTION.answer, QUESTION.link.label if QUESTION.link else ""]
    return [
        audited("loop", [INVITATION], look=True),
        audited("PIN pad", ["Nhập mã PIN của cán bộ"], tap=[0.02, 0.98], times=5),
        audited("staff panel", ["Dành cho cán bộ", "Quay lại màn hình", "Thoát ứng dụng"], tap_texts=[*PIN, "OK"]),
        {"tap_text": "Quay lại màn hình"},
        audited("menu", [FEED.ward.name, *MENU], tap=[0.5, 0.5]),
        audited("topics", ["Hỏi đáp chính sách", *(t.topic for t in FEED.faq)], tap_text="Hỏi đáp chính sách"),
        audited("questions", [TOPIC.topic, *(q.question for q in TOPIC.questions)], tap_text=TOPIC.topic),
        audited("answer", answer, tap_text=QUESTION.question),
        audited("answer A+", answer, tap_text="A+"),  # and the reading pages after it
        audited("search", ["Tìm kiếm"], tap_texts=[HOME, "Tìm kiếm"]),
        audited("search with results", [hit.question for hit in FOUND.hits], **typed("nghi quyet")),
        audited("search, nothing found", [SUGGESTION, *(t.topic for t in NOT_FOUND.topics)],
                tap_texts=["Xóa hết", *typed("nghi quyt")["tap_texts"]]),
        audited("search, the suggestion", [hit.question for hit in FOUND.hits], tap_text=SUGGESTION),
        audited("areas", ["Bà con ở tổ dân phố nào?", *(area.name for area in FEED.areas)],
                tap_texts=[HOME, "Đại biểu của bạn"]),
        audited("my delegates", MINE, tap_text=AREA.name),
        audited("areas found", [area.name for area in FEED.areas if "Trung Liệt" in " ".join(area.streets)],
                tap_texts=["Quay lại", *typed("trung liet")["tap_texts"]]),
        {"tap_texts": [HOME, "Đại biểu của bạn"]},  # a new page: laid out before its buttons are tapped
        audited("delegate lists", [DELEGATES_ROW], tap_text=ALL_LISTS),
        audited("delegates A+", [DELEGATES.titled_list, *(p.name for p in DELEGATES.people),
                                 *(p.position or "" for p in DELEGATES.people)], tap_text=DELEGATES_ROW),
        audited("resolutions", [RESOLUTION_ROW], tap_texts=[HOME, "Nghị quyết"]),
        audited("resolution A+", [RESOLUTION.number, RESOLUTION.title, *RESOLUTION.points], tap_text=RESOLUTION_ROW),
        audited("links", [link.label for link in LINKS], tap_texts=[HOME, "Liên kết"]),
        audited("feedback", [RATING.question, *RATING.faces], tap_texts=[HOME, "Góp ý"]),
        audited("feedback, more about", [MORE_ABOUT.question, *MORE_ABOUT.choices(FEED.faq)], tap_text=RATING.faces[-1]),
        audited("feedback, thanks", [FEED.feedback.thanks, *(link.label for link in FEED.feedback.channel_links(FEED.ward))],
                tap_text=MORE_ABOUT.choices(FEED.faq)[0]),
    ]


def touch_target_at(size):
    return LARGEST_TOUCH_TARGET if size == (1280, 720) else TOUCH_TARGET


@pytest.fixture(scope="module", params=SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def walked(request, tmp_path_factory):
    size = request.param
    shown = run_display(tmp_path_factory.mktemp(f"{size[0]}x{size[1]}"), REPO / "config", size=size, speed=1.0,
                        seconds=150, steps=walk(), settings={"mode": "counter", "idle_seconds": 600,
                                                             "touch_target": touch_target_at(size), "pin": PIN})
    assert shown["stopped_by"] == "harness", "the walk ended before its last step"
    return size, shown["actions"]


def test_a_touch_target_the_counter_cannot_keep_is_refused_in_plain_words(tmp_path):
    settings_file = tmp_path / "display.yaml"
    settings_file.write_text(f"mode: counter\ntouch_target: {LARGEST_TOUCH_TARGET + 1}\n", encoding="utf-8")
    settings, problems = load_settings(settings_file)
    assert settings is None
    assert [str(p) for p in problems] == [
        f"{settings_file}:2:15: `touch_target` cần nhiều nhất là {LARGEST_TOUCH_TARGET} (đang là `161`)"]


def test_every_counter_page_passes_the_layout_audit(walked):
    size, actions = walked
    missing = [a["did"] for a in actions if a["did"].startswith("not found")]
    assert not missing, missing
    assert not [a["did"] for a in actions if a.get("stale")]
    audits = [a for a in actions if "audit" in a]
    assert len(audits) == sum(1 for step in walk() if "audit" in step)
    problems = [problem for a in audits for problem in a["audit"]]
    assert not problems, "\n".join(problems)
    assert [a["overlay"] for a in audits[1:3]] == ["PinPad", "StaffPanel"]


def steps_named(actions):
    names = [step.get("audit") for step in walk()]
    return {name: action for name, action in zip(names, actions) if name}


def test_titles_and_buttons_are_drawn_whole(walked):
    size, actions = walked
    for action in actions:
        assert not action.get("cut"), (size, action["did"], action["cut"])
    assert {a["title"] for a in actions if a.get("page")} >= {
        "Nghị quyết", "Hỏi đáp chính sách", TOPIC.topic, "Liên kết của phường", "Tìm kiếm", FEED.ward.name}


def test_the_keyboard_sits_under_the_results_in_portrait_beside_them_in_landscape(walked):
    size, actions = walked
    page = steps_named(actions)["search with results"]
    keys = [t for t in page["targets"] if t["kind"] == "button" and t["text"] in KEYS]
    assert len(keys) == 39, keys
    scale = min(size) / 1080
    assert min(k["h"] for k in keys) >= touch_target_at(size) * scale - 0.5, sorted({(k["w"], k["h"]) for k in keys})
    results = next(t for t in page["targets"] if t["kind"] == "scroll")
    if size[0] < size[1]:
        assert max(k["y"] + k["h"] for k in keys) <= results["y"], ("under the results", results)
        assert min(k["y"] for k in keys) < size[1] * 0.1, "at the bottom, within reach"
        assert results["h"] > size[1] * 0.3, ("the results fill what the keyboard leaves", results)
    else:
        assert min(k["x"] for k in keys) >= results["x"] + results["w"], ("beside the results", results)


def test_the_did_you_mean_suggestion_runs_that_search(walked):
    _, actions = walked
    after = steps_named(actions)["search, the suggestion"]
    assert f"{NOT_FOUND.did_you_mean}|" in after["texts"], after["texts"]
    expected = FaqIndex(FEED.faq).search(NOT_FOUND.did_you_mean)
    assert expected.total and expected.hits[0].question in after["texts"]


def test_the_home_menu_has_no_button_to_itself_and_every_other_page_has_it(walked):
    _, actions = walked
    for action in (a for a in actions if a.get("page")):
        labels = {t["text"] for t in action["targets"] if t["kind"] == "button"}
        assert "Quay lại" in labels
        assert ("Về màn hình chính" in labels) == (action["page"] != "HomePage"), (action["did"], labels)


def test_the_loop_invites_a_touch_under_the_slides_and_the_code(walked):
    size, actions = walked
    parts = steps_named(actions)["loop"]["parts"]
    invitation = parts["TouchInvitation"]
    assert [" ".join(text.split()) for text in invitation["texts"]] == [INVITATION]
    assert invitation["font"] >= round(62 * min(size) / 1080), "read from two metres: the title size"
    ticker = parts["ticker"]
    assert invitation["y"] == ticker["y"] + ticker["h"] and invitation["w"] == size[0], "a band above the ticker"


LONG_TOPIC = ("Thủ tục hành chính về đất đai, xây dựng, hộ tịch, cư trú và bảo trợ xã hội mà bà con thường hỏi "
              "tại bộ phận Một cửa của phường theo quy định mới của Thành phố Hà Nội từ năm 2026")
LONG_QUESTION = ("Tôi là người cao tuổi, sống một mình, muốn đăng ký thường trú cho cháu nội về ở cùng để chăm sóc "
                 "thì cần những giấy tờ gì, nộp ở đâu và mất bao lâu thì xong?")
LONG_ANSWER = "\n\n".join([
    "Bà con mang **căn cước** của mình và của cháu, giấy tờ chứng minh quan hệ ông bà - cháu (giấy khai sinh "
    "của cháu và của bố hoặc mẹ cháu), và văn bản đồng ý cho đăng ký thường trú của chủ hộ.",
    "Hồ sơ nộp tại bộ phận Một cửa của phường hoặc trên Cổng dịch vụ công quốc gia. Cán bộ kiểm tra ngay; "
    "hồ sơ đủ thì trong bảy ngày làm việc có kết quả, nhắn qua điện thoại và ứng dụng định danh điện tử.",
    "Người khuyết tật, người nghiêng ngả khó đi lại, người trên tám mươi tuổi được cán bộ đến tận nhà hướng dẫn "
    "khi gọi trước cho tổ trưởng tổ dân phố hoặc Ban công tác Mặt trận khu dân cư.",
])


@pytest.fixture(scope="module")
def long_feed(tmp_path_factory):
    """The sample feed with a topic as long as the ward's real ones, and a long question and answer."""
    folder = tmp_path_factory.mktemp("long") / "feed"
    shutil.copytree(REPO / "config", folder)
    data = yaml.safe_load((folder / "feed.yaml").read_text(encoding="utf-8"))
    data["faq"].insert(0, {"topic": LONG_TOPIC, "questions": [{"question": LONG_QUESTION, "answer": LONG_ANSWER}]})
    (folder / "feed.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert load_feed(folder).feed is not None
    return folder


@pytest.mark.parametrize("size", [(1280, 720), (1080, 1920)], ids=lambda size: f"{size[0]}x{size[1]}")
def test_a_long_title_wraps_whole_and_the_page_still_passes_the_audit(size, long_feed, tmp_path):
    answer = [LONG_TOPIC, LONG_QUESTION, LONG_ANSWER]
    steps = [
        {"tap": [0.5, 0.5]},
        {"tap_text": "Hỏi đáp chính sách"},
        audited("long topic", [LONG_TOPIC, LONG_QUESTION], tap_text=LONG_TOPIC),
        audited("long answer", answer, tap_text=LONG_QUESTION),
        audited("long answer A+", answer, tap_text="A+"),
    ]
    shown = run_display(tmp_path, long_feed, size=size, speed=1.0, seconds=60, steps=steps,
                        settings={"mode": "counter", "idle_seconds": 600, "touch_target": TOUCH_TARGET})
    actions = shown["actions"]
    assert [a["title"] for a in actions[2:]] == [LONG_TOPIC] * 3, [a["did"] for a in actions]
    problems = [problem for a in actions[2:] for problem in a["audit"]]
    assert not problems, "\n".join(problems)
    assert not [a["cut"] for a in actions if a.get("cut")]
