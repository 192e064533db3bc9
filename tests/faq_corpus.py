"""A generated FAQ of realistic Vietnamese policy questions, and a naive search to check the index by.

Used by tests/test_search.py (the index must agree with the naive search) and by bench/search.py
(the naive search is the baseline the index is timed against). Deterministic for a given seed."""

from __future__ import annotations

import random

from kiosk.feed.model import Topic
from kiosk.play.search import FIELDS, plain_text
from kiosk.vietnamese import fold_words

TOPICS = [
    "Hộ tịch, cư trú", "Đất đai, nhà ở", "Thuế, phí, lệ phí", "Bảo hiểm xã hội", "Bảo hiểm y tế",
    "Giáo dục, tuyển sinh", "Giao thông, trật tự đô thị", "Môi trường, rác thải", "Dịch vụ công trực tuyến",
    "Người cao tuổi", "Người có công", "Hộ kinh doanh", "Xây dựng, sửa chữa nhà", "An toàn thực phẩm",
    "Phòng cháy, chữa cháy", "Bầu cử, đại biểu", "Nghị quyết của HĐND Thành phố", "Việc làm, học nghề",
]
PROCEDURES = [
    "đăng ký khai sinh", "đăng ký thường trú", "đăng ký tạm trú", "đăng ký kết hôn", "cấp đổi căn cước",
    "xác nhận tình trạng hôn nhân", "chứng thực bản sao", "cấp giấy phép xây dựng", "cấp sổ đỏ",
    "chuyển mục đích sử dụng đất", "đăng ký hộ kinh doanh", "cấp thẻ bảo hiểm y tế", "nhận lương hưu",
    "hưởng trợ cấp xã hội", "tuyển sinh lớp 1", "miễn giảm học phí", "thu gom rác thải", "cải tạo vỉa hè",
    "đăng ký học nghề", "trích lục hộ tịch", "cấp giấy chứng nhận an toàn thực phẩm", "khai tử",
]
PEOPLE = [
    "người cao tuổi", "hộ nghèo", "người khuyết tật", "trẻ em dưới 6 tuổi", "cựu chiến binh", "học sinh",
    "người lao động tự do", "gia đình chính sách", "người có công với cách mạng", "hộ cận nghèo",
]
QUESTIONS = [
    "Thủ tục {procedure} cần những giấy tờ gì?",
    "{Person} có được hỗ trợ khi {procedure} không?",
    "Làm thủ tục {procedure} ở đâu, mất bao lâu?",
    "Lệ phí {procedure} năm 2026 là bao nhiêu?",
    "Nghị quyết số {number}/NQ-HĐND quy định gì về {procedure}?",
    "Có thể {procedure} trực tuyến không?",
    "Chính sách mới về {procedure} cho {person} là gì?",
]
SENTENCES = [
    "Bà con chuẩn bị đơn theo mẫu, bản sao căn cước và nộp tại bộ phận **Một cửa** của phường.",
    "Thời gian giải quyết là {days} ngày làm việc kể từ khi nhận đủ hồ sơ hợp lệ.",
    "Bà con có thể nộp hồ sơ trực tuyến trên Cổng dịch vụ công quốc gia hoặc ứng dụng VNeID.",
    "Mức hỗ trợ thực hiện theo **Nghị quyết số {number}/NQ-HĐND** của HĐND Thành phố.",
    "{Person} được ưu tiên giải quyết và miễn lệ phí theo quy định.",
    "Cán bộ phường sẽ hướng dẫn, giải đáp nếu bà con còn vướng mắc.",
    "Kết quả được trả tại phường hoặc gửi qua đường bưu điện theo yêu cầu.",
    "Chính sách này áp dụng từ ngày 01/7/2026 trên địa bàn Thành phố Hà Nội.",
    "Hồ sơ thiếu giấy tờ sẽ được hướng dẫn bổ sung một lần, bằng văn bản.",
    "Thông tin chi tiết được niêm yết tại bảng tin phường và nhà văn hóa tổ dân phố.",
]


def generated_faq(entries: int = 2000, seed: int = 2026) -> list[Topic]:
    """`entries` questions spread over the topics, with answers of two to four sentences."""
    rng = random.Random(seed)
    topics: dict[str, list[dict]] = {topic: [] for topic in TOPICS}
    for _ in range(entries):
        person = rng.choice(PEOPLE)
        values = {"procedure": rng.choice(PROCEDURES), "person": person, "Person": person[0].upper() + person[1:],
                  "number": rng.randint(1, 40), "days": rng.choice([3, 5, 7, 10, 15])}
        question = rng.choice(QUESTIONS).format(**values)
        answer = " ".join(sentence.format(**values) for sentence in rng.sample(SENTENCES, rng.randint(2, 4)))
        topics[rng.choice(TOPICS)].append({"question": question, "answer": answer})
    return [Topic(topic=topic, questions=questions) for topic, questions in topics.items() if questions]


class NaiveSearch:
    """The search's rules applied by scanning every entry's folded text: the obvious way, kept as
    the reference the index must agree with and the baseline its speed is measured against."""

    def __init__(self, faq: list[Topic]):
        self.entries = []
        for topic_index, topic in enumerate(faq):
            for question_index, item in enumerate(topic.questions):
                texts = (item.question, topic.topic, plain_text(item.answer))
                folded = tuple(" " + " ".join(fold_words(text)) + " " for text in texts)
                self.entries.append(((topic_index, question_index), folded))

    def search(self, query: str) -> list[tuple[tuple[int, int], str, bool, tuple]]:
        """((topic index, question index), weakest field, all words whole, rank key) for every entry
        holding every word, best first."""
        words = list(dict.fromkeys(fold_words(query)))
        if not words:
            return []
        found = []
        for place, fields in self.entries:
            weakest, whole, in_question = 0, 0, 0
            for word in words:
                field = next((f for f, text in enumerate(fields) if " " + word in text), None)
                if field is None:
                    break
                weakest = max(weakest, field)
                in_question += field == 0
                whole += " " + word + " " in fields[field]
            else:
                found.append(((weakest, -in_question, -whole), place, FIELDS[weakest], whole == len(words)))
        found.sort(key=lambda item: item[0])  # stable: feed order within equal keys
        return [(place, field, all_whole, key) for key, place, field, all_whole in found]
