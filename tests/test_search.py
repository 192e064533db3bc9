"""FAQ search: folding, word order, prefixes while typing, ranking, suggestions, and `kiosk faq`.

Checked over the sample feed's FAQ, over small FAQs made for one rule each, and over a generated
2,000-entry FAQ against a naive scan that applies the same rules to every entry."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from faq_corpus import NaiveSearch, generated_faq
from kiosk.feed.model import Topic
from kiosk.play.search import FaqIndex
from kiosk.feed.validate import load_feed

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample():
    return FaqIndex(load_feed(REPO / "config").feed.faq)


@pytest.fixture(scope="module")
def generated():
    faq = generated_faq(2000)
    return FaqIndex(faq), NaiveSearch(faq)


def faq(*topics: tuple[str, list[tuple[str, str]]]) -> list[Topic]:
    return [Topic(topic=topic, questions=[{"question": q, "answer": a} for q, a in items]) for topic, items in topics]


def questions(result) -> list[str]:
    return [hit.question for hit in result.hits]


def places(result) -> list[tuple[int, int]]:
    return [(hit.topic_index, hit.question_index) for hit in result.hits]


def typed(text: str) -> list[str]:
    """What the search box holds after each key."""
    return [text[:end] for end in range(1, len(text) + 1)]


# Folding and word order

def test_tones_case_and_d_fold_to_the_same_results(sample):
    forms = ["nghi quyet", "NGHỊ QUYẾT", "nghị quyết", "Nghị Quyết", unicodedata.normalize("NFD", "nghị quyết")]
    results = [places(sample.search(form)) for form in forms]
    assert results[0], "the sample FAQ speaks of nghị quyết"
    assert all(result == results[0] for result in results)
    assert places(sample.search("dong da")) == places(sample.search("ĐỐNG ĐA")) != []


def test_words_match_in_any_order(sample):
    assert set(places(sample.search("quyet nghi"))) == set(places(sample.search("nghi quyet")))
    assert set(places(sample.search("cu bau"))) == set(places(sample.search("bau cu"))) != set()


def test_every_word_must_match(sample):
    assert sample.search("bau cu").hits
    assert not sample.search("bau cu xylophone").hits


def test_punctuation_and_repeats_do_not_change_the_query(sample):
    assert places(sample.search("  bầu, cử!! bầu ")) == places(sample.search("bau cu"))


def test_nothing_typed_finds_nothing_and_suggests_nothing(sample):
    for query in ("", "   ", "?!"):
        result = sample.search(query)
        assert (result.words, result.hits, result.total, result.did_you_mean, result.topics) == ((), (), 0, None, ())


# Prefixes while typing

def test_start_of_words_finds_the_accented_question():
    index = FaqIndex(faq(("Nghị quyết", [("Nghị quyết số 05 nói gì?", "Về kế hoạch 5 năm.")])))
    for query in ("ngh qu", "NGH QU", "qu ngh", "nghi quy", "n q"):
        assert questions(index.search(query)) == ["Nghị quyết số 05 nói gì?"], query


def test_each_key_typed_keeps_what_the_finished_query_finds(sample):
    final = set(places(sample.search("nghị quyết", limit=None)))
    for query in typed("nghi quyet"):
        assert final <= set(places(sample.search(query, limit=None))), query


# Ranking

def test_question_ranks_above_topic_above_answer():
    index = FaqIndex(faq(
        ("Hỏi đáp chung", [("Phường ở đâu?", "Theo nghị quyết số 01, phường mới ở phố Tôn Đức Thắng.")]),
        ("Nghị quyết", [("Số 05 nói gì?", "Về kế hoạch 5 năm.")]),
        ("Hỏi đáp chung", [("Nghị quyết số 05 nói gì?", "Về kế hoạch 5 năm.")]),
    ))
    result = index.search("nghi quyet")
    assert questions(result) == ["Nghị quyết số 05 nói gì?", "Số 05 nói gì?", "Phường ở đâu?"]
    assert [hit.field for hit in result.hits] == ["question", "topic", "answer"]


def test_whole_words_rank_above_prefixes():
    index = FaqIndex(faq(("Chung", [("Danh sách cử tri ở đâu?", "Ở phường."), ("Người dân hỏi ở đâu?", "Ở phường.")])))
    result = index.search("dan")
    assert questions(result) == ["Người dân hỏi ở đâu?", "Danh sách cử tri ở đâu?"]
    assert [hit.whole_words for hit in result.hits] == [True, False]


def test_more_words_in_the_question_rank_higher():
    index = FaqIndex(faq(("Chung", [("Xe buýt có miễn phí không?", "Có, cho người cao tuổi."),
                                    ("Người cao tuổi được gì?", "Được đi xe buýt miễn phí.")])))
    expected = ["Người cao tuổi được gì?", "Xe buýt có miễn phí không?"]
    assert questions(index.search("nguoi cao tuoi xe buyt")) == expected
    assert questions(index.search("xe buyt nguoi cao tuoi")) == expected


def test_words_side_by_side_rank_above_words_apart():
    index = FaqIndex(faq(("Chung", [("Hộ cận nghèo được gì?", "."), ("Hộ nghèo được gì?", ".")])))
    assert questions(index.search("ho ngheo")) == ["Hộ nghèo được gì?", "Hộ cận nghèo được gì?"]
    assert questions(index.search("ho ng")) == ["Hộ nghèo được gì?", "Hộ cận nghèo được gì?"]


def test_equal_matches_keep_the_feed_order():
    index = FaqIndex(faq(("A", [("Lệ phí là bao nhiêu?", "."), ("Lệ phí nộp ở đâu?", ".")]),
                         ("B", [("Lệ phí có được miễn không?", ".")])))
    assert places(index.search("le phi")) == [(0, 0), (0, 1), (1, 0)]


def test_sample_ranking(sample):
    result = sample.search("bau cu", limit=None)
    assert result.hits[0].question == "Năm 2026 có cuộc bầu cử nào?"
    fields = [hit.field for hit in result.hits]
    assert fields == sorted(fields, key=["question", "topic", "answer"].index)
    assert "answer" in fields and "question" in fields
    assert sample.search("tin don").hits[0].question == "Thấy tin đồn trên mạng về bầu cử, nhân sự thì nên làm gì?"


def test_bold_markers_are_not_part_of_words():
    index = FaqIndex(faq(("Chung", [("Làm ở đâu?", "Tại bộ phận **Một cửa**.")])))
    assert index.search("mot cua").hits and index.search("cua").hits[0].whole_words


def test_hits_name_their_place_in_the_feed(sample):
    feed = load_feed(REPO / "config").feed
    for hit in sample.search("phuong", limit=None).hits:
        topic = feed.faq[hit.topic_index]
        assert (hit.topic, hit.question) == (topic.topic, topic.questions[hit.question_index].question)


def test_limit_keeps_the_best_and_counts_them_all(sample):
    everything = sample.search("phuong", limit=None)
    first = sample.search("phuong", limit=3)
    assert first.hits == everything.hits[:3] and first.total == everything.total == len(everything.hits) > 3


# The generated 2,000-entry FAQ, against the naive scan

GENERATED_QUERIES = ["dang ky khai sinh", "nghi quyet", "ho ngheo", "bao hiem y te", "thu tuc giay to",
                     "mot cua", "truc tuyen", "le phi nam 2026", "nguoi cao tuoi", "can cuoc", "so do",
                     "hoc phi mien giam", "vneid", "khai tu", "buu dien", "xyz abc"]


def test_generated_faq_finds_what_a_scan_of_every_entry_finds(generated):
    index, naive = generated
    assert len(index) == 2000
    for query in [prefix for text in GENERATED_QUERIES for prefix in typed(text)]:
        found = [((hit.topic_index, hit.question_index), hit.field, hit.whole_words)
                 for hit in index.search(query, limit=None).hits]
        expected = naive.search(query)
        assert sorted(found) == sorted(hit[:3] for hit in expected), query
        # the index refines the naive order (adding words side by side), never contradicts it
        key_of = {place: key for place, _, _, key in expected}
        keys = [key_of[place] for place, _, _ in found]
        assert keys == sorted(keys), query


def test_generated_faq_folds_and_ranks(generated):
    index, _ = generated
    plain, accented = index.search("dang ky khai sinh"), index.search("Đăng ký khai sinh")
    assert plain.hits and places(plain) == places(accented)
    assert all(hit.field == "question" and hit.whole_words for hit in plain.hits)
    assert plain.total > len(plain.hits) == 50


# Nothing found

def test_nothing_found_suggests_a_correction_and_topics(sample):
    result = sample.search("nghi quyt")
    assert not result.hits and result.total == 0
    assert result.did_you_mean == "nghị quyết"
    assert sample.search(result.did_you_mean).hits
    assert len(result.topics) == 6
    assert result.topics[0].topic in {"Nhiệm kỳ mới 2026 - 2031", "Kỳ họp thứ Nhất HĐND Thành phố"}


def test_nothing_near_still_offers_the_topics(sample):
    result = sample.search("xylophone")
    assert result.did_you_mean is None
    assert [topic.topic_index for topic in result.topics] == list(range(6))


def test_topics_holding_the_words_are_offered_first():
    index = FaqIndex(faq(("Hộ tịch", [("Khai sinh ở đâu?", "Ở phường.")]),
                         ("Bảo hiểm y tế", [("Thẻ hết hạn thì sao?", "Gia hạn ở phường.")]),
                         ("Bảo hiểm xã hội", [("Lương hưu nhận ở đâu?", "Ở bưu điện.")])))
    result = index.search("the bao hiem xylophone")
    assert not result.hits
    assert [topic.topic for topic in result.topics] == ["Bảo hiểm y tế", "Bảo hiểm xã hội", "Hộ tịch"]


def test_generated_faq_corrects_a_slip(generated):
    index, _ = generated
    assert index.search("dang ky khai sih").did_you_mean == "đăng ký khai sinh"


# The command staff use

def kiosk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], cwd=REPO, capture_output=True, text=True)


def test_kiosk_faq_prints_accented_matches():
    run = kiosk("faq", "config", "nghi quyet")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("2 câu hỏi cho “nghi quyet”:")
    assert "Kỳ họp thứ Nhất HĐND Thành phố › Kỳ họp thứ Nhất đã thông qua những nội dung gì?" in run.stdout
    assert "[khớp ở câu trả lời]" in run.stdout
    assert "Các nghị quyết" in run.stdout  # the answer's first line, with its tones


def test_kiosk_faq_nothing_found_is_not_a_failure():
    run = kiosk("faq", "config", "nghi quyt")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[:2] == ["Không tìm thấy “nghi quyt”.", "Có phải ý bạn là: nghị quyết"]
    assert "Gợi ý chủ đề: Nhiệm kỳ mới 2026 - 2031;" in run.stdout


def test_kiosk_faq_refuses_an_invalid_feed():
    run = kiosk("faq", "tests/feeds/broken/unknown-field", "nghi quyet")
    assert run.returncode == 1
    assert "feed.yaml:33:5: trường `titel` không có trong mẫu bản tin" in run.stderr
    assert "Traceback" not in run.stderr
