"""A stress feed of long real texts, the way a ward writes them: the sample feed with, after its
own slides, resolution titles of 250 characters, 10 points of 100 characters, 30 people with
two-line positions, a 2,000-character story, and the longest Vietnamese words with stacked tone
marks. tests/test_layout_audit.py and tests/test_preview.py show it. And large_feed: thousands of
delegates and FAQ entries, for the benchmarks and the live swap."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import yaml

from kiosk.feed.validate import load_feed

REPO = Path(__file__).resolve().parents[1]

# Words of the real language at their tallest and longest: stacked tone marks over a circumflex or horn.
LONG_WORDS = "nghiêng khuỷu Nguyễn Trường huyễn nghiễm khuyếch chuyển nghiệp thuyền ngoằn ngoèo"


def cut(text: str, length: int) -> str:
    """The text cut after a whole word so that it is at most `length` characters; it must be longer."""
    assert len(text) > length, f"write a longer text: {len(text)} < {length}"
    return text[:length + 1].rsplit(" ", 1)[0].rstrip(",;")


TITLE_250 = cut(
    "Về việc thông qua Đề án phát triển hệ thống giao thông công cộng, cải tạo chỉnh trang đô thị, chống "
    "ngập úng và nâng cao chất lượng môi trường không khí trên địa bàn Thành phố Hà Nội giai đoạn 2027 - "
    "2030, tầm nhìn đến năm 2045, cùng các giải pháp huy động nguồn lực và tổ chức thực hiện", 250)
POINTS = [cut(f"{n}. {text}", 100) for n, text in enumerate([
    "Ưu tiên bố trí vốn đầu tư công cho các tuyến đường sắt đô thị, xe buýt điện và các bãi đỗ xe ngầm tại nội đô",
    "Hoàn thành cải tạo hệ thống thoát nước các lưu vực sông Tô Lịch, sông Nhuệ, sông Kim Ngưu trước mùa mưa bão",
    "Kiểm soát nguồn phát thải từ giao thông, xây dựng và sản xuất; công khai chỉ số chất lượng không khí hằng giờ",
    "Chỉnh trang vỉa hè, hệ thống chiếu sáng và cây xanh trên các tuyến phố chính của các phường trong nội đô lịch sử",
    "Huy động nguồn lực xã hội hóa, hợp tác công tư công khai, minh bạch, đúng quy định của pháp luật về đầu tư",
    "Người dân được lấy ý kiến về phương án bồi thường, giải phóng mặt bằng và tái định cư tại chỗ khi có dự án đi qua",
    "Ứng dụng dữ liệu số trong quản lý giao thông, cấp phép xây dựng và tiếp nhận, trả lời phản ánh của người dân",
    "Ủy ban nhân dân các phường, xã tổ chức tuyên truyền, vận động Nhân dân đồng thuận và cùng tham gia thực hiện",
    "Giao Thường trực HĐND, các Ban của HĐND, các Tổ đại biểu và đại biểu HĐND Thành phố giám sát việc thực hiện",
    "Nghị quyết có hiệu lực từ ngày ký; các quy định trước đây của Thành phố trái với Nghị quyết này đều bị bãi bỏ",
], start=1)]
STORY = "\n\n".join(cut(text, 400) for text in [
    "Ông Nguyễn Văn Trường năm nay tám mươi hai tuổi, là cựu chiến binh ở tổ dân phố số 7. Đã ba mươi năm nay, "
    "sáng nào ông cũng dậy từ lúc trời còn tối, quét con ngõ trước nhà, nhặt rác ở bãi đất trống đầu ngõ và tưới "
    "cho hàng cây bàng, cây sấu mà chính tay ông trồng từ những năm tám mươi. Hàng xóm quen nhìn thấy dáng ông "
    "lom khom bên chiếc chổi tre, quen cả tiếng ông hỏi thăm từng người đi chợ sớm, đi làm sớm ngang qua.",
    "Những ngày mưa lớn, khi nước ngập ngang đầu gối, ông cùng các cháu đoàn viên thanh niên đi khơi thông cống "
    "rãnh, kê đồ đạc lên cao giúp các cụ già neo đơn, rồi đi từng nhà hỏi han xem ai cần giúp đỡ điều gì. Có "
    "năm nước rút chậm, ông nấu cháo mang đến cho những nhà không đi chợ được, và nhờ tổ trưởng tổ dân phố báo "
    "lên phường để được hỗ trợ kịp thời. Bà con gọi ông là người giữ ngõ, ông chỉ cười, bảo ai ở đây cũng thế.",
    "Năm nay ông vận động được mười hai hộ gia đình góp tiền, góp công làm lại hệ thống đèn chiếu sáng cho con "
    "ngõ ngoằn ngoèo dài gần ba trăm mét, để các cháu học sinh đi học thêm buổi tối về nhà được an toàn hơn. "
    "Ông tự tay ghi sổ từng khoản thu, khoản chi, dán công khai ở bảng tin nhà văn hóa, ai cũng đọc được. Khi "
    "đèn sáng lên lần đầu, cả ngõ ra xem, các cụ bảo lâu lắm rồi mới thấy ngõ mình sáng sủa, sạch đẹp như vậy.",
    "Bà con trong tổ dân phố nói rằng nhờ có ông mà con ngõ sạch sẽ, khang trang, ai đi qua cũng khen. Các cháu "
    "nhỏ thì học được ở ông thói quen bỏ rác đúng chỗ, chào hỏi người lớn tuổi và giúp đỡ hàng xóm lúc khó khăn. "
    "Ông chỉ bảo đó là việc nhỏ thôi, ai cũng làm được, miễn là mình chịu khó, kiên trì và biết thương nhau. "
    "Mỗi dịp Tết đến, ông lại cùng chi hội cựu chiến binh đi thăm các gia đình chính sách trong tổ dân phố.",
    "Ủy ban nhân dân phường đã tặng Giấy khen cho ông vì những đóng góp bền bỉ cho cộng đồng dân cư, và mong "
    "rằng tấm gương của ông sẽ lan tỏa đến mọi tổ dân phố trên địa bàn phường trong nhiệm kỳ mới. Phường cũng "
    "mời bà con gửi những câu chuyện người tốt, việc tốt có thật ở khu phố mình qua tổ trưởng tổ dân phố hoặc "
    "qua mục Góp ý, phản ánh trên Trang thông tin điện tử của phường, để cùng chia sẻ trên màn hình này.",
])
POSITION = "Phó Trưởng phòng Quản lý đô thị, Ủy ban nhân dân phường, kiêm Tổ trưởng tổ dân phố số {n}"
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
GIVEN = ["Thị Phương Thảo", "Văn Trường", "Đức Khuyến", "Thị Huyền Trang", "Quốc Nghiệp", "Minh Tuấn"]


def stress_slides() -> list[dict]:
    people = [{"name": f"{SURNAMES[n % 10]} {GIVEN[n % 6]}", "position": POSITION.format(n=n + 1),
               "votes": 40000 + n * 317, "percent": 60 + n % 30} for n in range(30)]
    leaders = [{"name": f"{SURNAMES[n]} {GIVEN[n % 6]}",
                "position": "Phó Bí thư Thường trực Thành ủy, Chủ tịch Hội đồng nhân dân Thành phố Hà Nội khóa XVII"}
               for n in range(8)]
    link = {"label": "Toàn văn nghị quyết", "url": "https://dongda.hanoi.gov.vn/nq/de-an-2045"}
    return [
        {"type": "resolution", "id": "nq-dai", "number": "15/NQ-HĐND", "date": "2026-07-10",
         "title": TITLE_250, "points": POINTS, "link": link},
        # The cases: a 250-character title over 8 points, and a 150-character one over 10.
        {"type": "resolution", "id": "nq-8-diem", "number": "17/NQ-HĐND", "date": "2026-07-10",
         "title": TITLE_250, "points": POINTS[:8], "link": link},
        {"type": "resolution", "id": "nq-150", "number": "18/NQ-HĐND", "date": "2026-07-10",
         "title": cut(TITLE_250, 150), "points": POINTS, "link": link},
        {"type": "resolution", "id": "nq-dai-khong-ma", "number": "16/NQ-HĐND", "date": "2026-07-10",
         "title": TITLE_250, "points": POINTS[:3]},
        {"type": "text", "id": "tin-dai", "category": "Người tốt, việc tốt", "title": TITLE_250, "body": STORY,
         "picture": "media/nguoi-tot-viec-tot.png"},
        {"type": "text", "id": "tin-dai-khong-anh", "category": "Thông báo", "title": TITLE_250, "body": STORY},
        {"type": "text", "id": "chu-dai", "title": LONG_WORDS, "body": " ".join([LONG_WORDS] * 6)},
        {"type": "delegates", "id": "dai-bieu-30", "body": "hdnd-phuong", "term": "nhiệm kỳ 2026 - 2031",
         "constituency": "Đơn vị bầu cử số 1 gồm các tổ dân phố từ số 1 đến số 12 và khu tập thể Trung Tự",
         "note": "Dữ liệu mẫu – họ tên là giả định", "order": "as-written", "people": people},
        {"type": "leaders", "id": "lanh-dao-dai", "title": cut("Lãnh đạo chủ chốt " + TITLE_250, 200),
         "note": "Dữ liệu mẫu – họ tên là giả định", "people": leaders},
        {"type": "image", "id": "anh-chu-thich-dai", "file": "media/infographic-3-tru-cot.png",
         "caption": TITLE_250},
    ]


def drop_residents_sections(data: dict) -> None:
    """A feed that keeps only some of the sample's slides leaves out its areas and meetings: they name
    the sample's delegate lists, which it may not keep."""
    for section in ("areas", "meetings"):
        data.pop(section, None)


def stress_feed_data(only: tuple[str, ...] = ()) -> str:
    """The sample feed with the stress slides after its own (one window per size checks both), or
    with only the stress slides of these ids."""
    data = yaml.safe_load((REPO / "config" / "feed.yaml").read_text(encoding="utf-8"))
    for slide in data["slides"]:  # every slide is checked, whatever its schedule
        for key in ("start", "end", "weekdays", "hours", "displays"):
            slide.pop(key, None)
    if only:
        data["slides"] = [slide for slide in stress_slides() if slide["id"] in only]
        drop_residents_sections(data)
    else:
        data["slides"] += stress_slides()
    return yaml.dump(data, Dumper=WrittenOut, allow_unicode=True, sort_keys=False)


class WrittenOut(yaml.SafeDumper):
    """Every value written out where it is used: feeds take no YAML anchors (the validator says so)."""

    def ignore_aliases(self, data):
        return True


def write_stress_feed(folder: Path, only: tuple[str, ...] = ()) -> Path:
    """The stress feed (or only some of its slides) in a new folder with the sample's media."""
    shutil.copytree(REPO / "config", folder)
    (folder / "feed.yaml").write_text(stress_feed_data(only), encoding="utf-8")
    result = load_feed(folder)
    assert result.feed is not None, "\n".join(map(str, result.problems))
    return folder


# A ward's whole delegate register: bench/validation.py and the live swap (tests/test_live_swap.py).
FAMILY_NAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE_NAMES = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Hữu", "Thu", "Xuân", "Kim", "Hoài"]
GIVEN_NAMES = ["An", "Bảo", "Chi", "Dũng", "Đạt", "Giang", "Hà", "Hạnh", "Hiếu", "Hòa", "Khánh", "Lâm", "Linh", "Lộc",
               "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trung", "Tú", "Uyên", "Vân", "Yến", "Ánh"]
POSITIONS = ["Bí thư Chi bộ", "Tổ trưởng tổ dân phố", "Giáo viên", "Bác sĩ", "Kỹ sư xây dựng", "Cựu chiến binh",
             "Chủ tịch Hội Phụ nữ phường", "Công nhân", "Hộ kinh doanh", "Cán bộ hưu trí"]


def large_feed(folder: Path, delegates: int, faq_entries: int) -> Path:
    """The sample feed (its media too) with generated delegate lists and FAQ; returns the folder."""
    from faq_corpus import generated_faq

    shutil.copytree(REPO / "config", folder)
    data = yaml.safe_load((folder / "feed.yaml").read_text(encoding="utf-8"))
    names = itertools.cycle(itertools.product(FAMILY_NAMES, MIDDLE_NAMES, GIVEN_NAMES))
    people = [{"name": " ".join(next(names)), "position": f"{POSITIONS[i % len(POSITIONS)]} số {i % 60 + 1}",
               "votes": 1200 + (i * 37) % 5000, "percent": round(50 + (i * 7) % 4900 / 100, 2)}
              for i in range(delegates)]
    for number, start in enumerate(range(0, delegates, 100), start=1):
        data["slides"].append({"type": "delegates", "id": f"danh-sach-{number}", "body": "hdnd-phuong",
                               "constituency": f"Đơn vị bầu cử số {number}", "people": people[start:start + 100]})
    data["faq"] = [topic.model_dump(mode="json", exclude_none=True) for topic in generated_faq(faq_entries)]
    (folder / "feed.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000),
                                      encoding="utf-8")
    return folder
