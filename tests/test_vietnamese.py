"""Vietnamese text: folding, NFC, and the sort order of official lists checked against ICU.

kiosk.vietnamese sorts in pure Python so that a Raspberry Pi needs no ICU; ICU's Vietnamese
collation is the reference. ICU is reached through Debian's python3-icu, installed for the
system Python (/usr/bin/python3), not for the test environment: each comparison runs a small
script there that reads a JSON list of strings on stdin and prints it sorted."""

from __future__ import annotations

import json
import random
import subprocess
import unicodedata

import pytest

from kiosk.vietnamese import fold, fold_words, name_sort_key, nfc, sort_key

SYSTEM_PYTHON = "/usr/bin/python3"
INSTALL_HINT = ("ICU is the reference for the Vietnamese sort order and must be available to the system "
                f"Python: install it with `sudo apt-get install python3-icu` (then `{SYSTEM_PYTHON} -c 'import icu'` "
                "must work)")

ICU_SORT = r"""
import json, sys
import icu

collator = icu.Collator.createInstance(icu.Locale("vi"))
key = collator.getSortKey

def name_key(full_name):
    # official lists: given name (last word), family name (first word), then the middle names
    words = full_name.split()
    if not words:
        return (b"", b"", b"")
    return (key(words[-1]), key(words[0]), key(" ".join(words[1:-1])))

items = json.loads(sys.stdin.buffer.read().decode("utf-8"))
ordered = sorted(items, key=name_key if sys.argv[1] == "names" else key)
sys.stdout.buffer.write(json.dumps(ordered, ensure_ascii=True).encode("ascii"))
"""


@pytest.fixture(scope="module")
def icu_available():
    try:
        proc = subprocess.run([SYSTEM_PYTHON, "-c", "import icu; print(icu.ICU_VERSION)"],
                              capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        pytest.fail(f"{SYSTEM_PYTHON} not found. {INSTALL_HINT}")
    if proc.returncode != 0:
        pytest.fail(f"{SYSTEM_PYTHON} cannot import icu:\n{proc.stderr.strip()}\n{INSTALL_HINT}")
    return proc.stdout.strip()


def icu_sorted(items: list[str], mode: str) -> list[str]:
    proc = subprocess.run([SYSTEM_PYTHON, "-c", ICU_SORT, mode], input=json.dumps(items).encode("ascii"),
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, f"ICU helper failed:\n{proc.stderr.decode('utf-8', 'replace')}\n{INSTALL_HINT}"
    ordered = json.loads(proc.stdout.decode("ascii"))
    assert sorted(ordered) == sorted(items), "the ICU helper lost or changed items"
    return ordered


def assert_same_order(items: list[str], mode: str, key, key_name: str) -> None:
    expected = icu_sorted(items, mode)
    ours = sorted(items, key=key)
    if ours == expected:
        return
    i = next(i for i, (a, b) in enumerate(zip(expected, ours)) if a != b)
    a, b = expected[i], ours[i]
    context = "\n".join(f"  {n:4} ICU: {x!r:32} ours: {y!r}"
                        for n, (x, y) in enumerate(zip(expected, ours)) if i - 3 <= n <= i + 3)
    pytest.fail(
        f"{key_name} disagrees with ICU (vi) at position {i} of {len(items)}: "
        f"ICU puts {a!r} before {b!r}, {key_name} puts {b!r} before {a!r}\n"
        f"  {key_name}({a!r}) = {key(a)}\n  {key_name}({b!r}) = {key(b)}\n{context}"
    )


# ---------------------------------------------------------------------------------- fold, nfc


@pytest.mark.parametrize("text, folded", [
    ("Nghị Quyết", "nghi quyet"),
    ("ĐỐNG ĐA", "dong da"),
    ("Đống Đa", "dong da"),
    ("đường Giải Phóng", "duong giai phong"),
    ("Ă Â Ê Ô Ơ Ư ă â ê ô ơ ư", "a a e o o u a a e o o u"),
    ("Ắ Ằ Ẳ Ẵ Ặ ắ ằ ẳ ẵ ặ", "a a a a a a a a a a"),
    ("HĐND Thành phố Hà Nội", "hdnd thanh pho ha noi"),
    ("Thủy Thuỷ Hòa Hoà", "thuy thuy hoa hoa"),
    ("01/NQ-HĐND", "01/nq-hdnd"),
    ("nghi quyet", "nghi quyet"),
    ("", ""),
])
def test_fold(text, folded):
    assert fold(text) == folded
    assert fold(unicodedata.normalize("NFD", text)) == folded  # typed decomposed: same result


def test_fold_words():
    assert fold_words("Nghị quyết số 01/NQ-HĐND, Thành phố Hà Nội") == [
        "nghi", "quyet", "so", "01", "nq", "hdnd", "thanh", "pho", "ha", "noi"]


@pytest.mark.parametrize("text", ["Nghị quyết", "Phường Đống Đa", "Nguyễn Thị Thuỷ", "Hoà Hòa", "ĐỨC", "abc", ""])
def test_nfc(text):
    composed = unicodedata.normalize("NFC", text)
    decomposed = unicodedata.normalize("NFD", text)
    assert nfc(decomposed) == composed
    assert nfc(composed) == composed
    assert unicodedata.is_normalized("NFC", nfc(decomposed))
    if text.isascii():
        assert nfc(text) == text
    else:
        assert decomposed != composed  # the test does test something
    assert len(nfc(unicodedata.normalize("NFD", "Nghị quyết"))) == len("Nghị quyết") == 10


def test_sort_key_ignores_the_normal_form():
    for word in ["Nghị quyết", "Đống Đa", "Thuỷ", "Ưng"]:
        assert sort_key(unicodedata.normalize("NFD", word)) == sort_key(word)
        assert name_sort_key(unicodedata.normalize("NFD", f"Nguyễn Văn {word}")) == name_sort_key(f"Nguyễn Văn {word}")


# ---------------------------------------------------------------------------------- against ICU

TONES = ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]  # none, huyền, hỏi, ngã, sắc, nặng
TONE_MARKS = set(TONES[1:])


def every_tone(syllable: str) -> list[str]:
    """The syllable with each of the six tones, on the vowel that carries it (or the first vowel)."""
    decomposed = unicodedata.normalize("NFD", syllable)
    bare = [ch for ch in decomposed if ch not in TONE_MARKS]
    had = next((i for i, ch in enumerate(decomposed) if ch in TONE_MARKS), None)
    if had is not None:
        at = had - sum(1 for ch in decomposed[:had] if ch in TONE_MARKS)
    else:
        at = next(i for i, ch in enumerate(bare) if ch.lower() in "aeiouy") + 1
        while at < len(bare) and unicodedata.combining(bare[at]):
            at += 1
    return [unicodedata.normalize("NFC", "".join(bare[:at]) + tone + "".join(bare[at:])) for tone in TONES]


TRICKY_WORDS = sorted(set(
    # a ă â, d đ, e ê, o ô ơ, u ư, with their capitals
    "a ă â A Ă Â b d đ D Đ e ê E Ê o ô ơ O Ô Ơ u ư U Ư y Y i I".split()
    # every tone on one syllable, on plain and marked vowels, lower and upper case
    + every_tone("ma") + every_tone("MA") + every_tone("Ma") + every_tone("mă") + every_tone("mâ")
    + every_tone("me") + every_tone("mê") + every_tone("mo") + every_tone("mô") + every_tone("mơ")
    + every_tone("mu") + every_tone("mư") + every_tone("mi") + every_tone("my")
    + every_tone("Hoa") + every_tone("Thuy") + every_tone("Nguyen") + every_tone("Ưng") + every_tone("Đăng")
    # the same letters in other places, prefixes, and one letter apart
    + "An Anh Ánh Ân Ấn Ẩn Ăn Ăng An-Anh Ai Ao Au Ay Âu Ấy an anh ANH AN ăn ân".split()
    + "Da Đa Dà Đà Dương Đương Duong Dung Dũng Đông Đồng Đống Đỗ Đô Do Dô Dơ Đơ".split()
    + "Hòa Hoà Hóa Hoá Thủy Thuỷ Thụy Thuý Thúy Khoa Khỏa Khoả Qua Quá Quạ Gia Già Giã".split()
    + "Ngọc Ngoc Ngô Ngỗ Ngộ Ng Nga Ngà Ngh Nghi Nghĩ Nghị Nghĩa Nh Nha Nhà Nhạ Nhã".split()
    + "Tú Tư Từ Tử Tữ Tứ Tự Tu Tù Tủ Tũ Tụ Tuấn Tuân Tuần Tuyết Tuyến Tùng Từng".split()
    + "Yến Yên Yêu Ý Ỷ Ỳ Ỹ Ỵ".split()
    + ["Nguyễn Văn An", "Nguyễn Văn Anh", "Nguyễn văn an", "NGUYỄN VĂN AN", "Nguyễn An", "Nguyễn Ân"]
    + ["Tổ 1", "Tổ 2", "Tổ 10", "Tổ dân phố 1", "tổ dân phố", "Tổ", "Tổ 1-2", "Tổ 1/2", "Tổ 12"]
    # punctuation and symbols come before digits and letters
    + ["H'Hen", "H\u2019Hen", "Hà", "Hy", "Kim-Ngân", "Kim Ngân", "KimNgân", "Kim.Ngân", "Kim_Ngân"]
    + ["a.b", "a,b", "a_b", "a-b", "a b", "a1", "ab", "(a)", "\"a\"", "a\u2013b", "a/b", "a&b", "a%", "a+b", "a$"]
    + ["01/NQ-HĐND", "01/NQ-UBND", "1/NQ-HĐND", "Nghị quyết số 01", "Nghị quyết số 1", "Nghị quyết, số 1"]
))

# Names as they appear in real lists, including the apostrophes and hyphens of ethnic-minority
# names (Ê Đê, Gia Rai...) that the National Assembly lists carry.
TRICKY_NAMES = [
    "Nguyễn Văn An", "Nguyễn Văn Anh", "Nguyễn Văn Ánh", "Nguyễn Văn Ân", "Nguyễn Văn Ăn",
    "Trần Thị An", "Trần An", "Lê Anh", "Lê Thị Ánh", "Đỗ Văn Đức", "Đỗ Văn Dũng", "Dương Văn Đức",
    "Đặng Thị Hoà", "Đặng Thị Hòa", "Phạm Thị Thuỷ", "Phạm Thị Thủy", "Phạm Thị Thụy",
    "Ông Văn Ơn", "Ông Văn On", "Ông Văn Ôn", "Ưng Văn Út", "Ưng Văn Ut", "Ưng Văn Ưu",
    "nguyễn văn an", "NGUYỄN VĂN AN", "Nguyễn văn An",
    "Hà Linh", "Hạ Linh", "Hà Thị Linh", "Hà Thị Mỹ Linh", "Hà Thị Mỹ Lĩnh", "Hà Mỹ Linh",
    "Lò Văn Á", "Lò Văn A", "Lò Văn À",
    "Ksor H'Bơ Khăp", "Y Thanh Hà Niê Kđăm", "H'Hen Niê", "Nguyễn Thị Kim-Ngân", "Nguyễn Thị Kim Ngân",
    "Ksor H'Bơ", "Rơ Mah H\u2019Lan", "Nguyễn Thị Hà", "Lê Thị Hy", "Trần Hà", "Y-Moan Niê", "Y Moan Niê",
    "Siu Y-Thông", "Lê Văn Y", "Nguyễn Kim-Ngân Thị Hà", "Nguyễn Kim Ngân Thị Hà",
]

FAMILY = [  # with rough frequencies: Nguyễn is about four in ten
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4), ("Phan", 4),
    ("Vũ", 4), ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2), ("Ngô", 2), ("Dương", 2),
    ("Lý", 1), ("Đào", 1), ("Đoàn", 1), ("Vương", 1), ("Trịnh", 1), ("Trương", 1), ("Lâm", 1),
    ("Phùng", 1), ("Mai", 1), ("Tô", 1), ("Hà", 1), ("Tạ", 1), ("Cao", 1), ("Châu", 1), ("Lương", 1),
    ("Kiều", 1), ("Âu", 1), ("Ông", 1), ("Ưng", 1), ("Đinh", 1), ("Lại", 1), ("Chu", 1), ("Quách", 1),
    ("Khuất", 1), ("Nghiêm", 1), ("Lưu", 1), ("Thái", 1), ("Triệu", 1), ("Doãn", 1), ("Giang", 1),
]
MIDDLE = [
    "Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang", "Xuân", "Thu", "Hồng", "Kim", "Bảo",
    "Gia", "Anh", "Thành", "Công", "Đình", "Mạnh", "Phương", "Tuấn", "Thùy", "Thuỳ", "Mỹ", "Diệu",
    "Hoài", "Khánh", "Việt", "Trung", "Tiến", "Như", "Quốc", "Bích", "Ánh", "Hải", "Thế", "Duy",
]
GIVEN = [
    "An", "Anh", "Ánh", "Ân", "Bình", "Bích", "Cường", "Chi", "Châu", "Dũng", "Dung", "Duy", "Đạt",
    "Đức", "Giang", "Hà", "Hạ", "Hải", "Hằng", "Hạnh", "Hiền", "Hiển", "Hiến", "Hiếu", "Hoa", "Hòa",
    "Hoà", "Huệ", "Hùng", "Hưng", "Hương", "Hường", "Khánh", "Khoa", "Lan", "Lân", "Liên", "Linh",
    "Loan", "Long", "Lợi", "Mai", "Mạnh", "My", "Mỹ", "Nam", "Ngân", "Ngọc", "Nhung", "Oanh", "Phúc",
    "Phương", "Quân", "Quang", "Quyên", "Sơn", "Tâm", "Thắng", "Thảo", "Thu", "Thư", "Thủy", "Thuỷ",
    "Trang", "Trung", "Tú", "Tuấn", "Tùng", "Uyên", "Út", "Vân", "Vi", "Việt", "Vinh", "Vĩnh", "Xuân",
    "Yến", "Ý", "Ơn", "Ưng", "Ẩn", "Ấn", "Ân", "Đông", "Đồng", "Dương", "Đương", "Khải", "Khai",
]


def random_names(count: int = 2000, seed: int = 20260401) -> list[str]:
    rng = random.Random(seed)
    families, weights = zip(*FAMILY)
    names: list[str] = []
    while len(names) < count:
        family = rng.choices(families, weights)[0]
        middle = rng.sample(MIDDLE, rng.choices([0, 1, 2, 3], [10, 60, 28, 2])[0])
        name = " ".join([family, *middle, rng.choice(GIVEN)])
        names.append(name)
        twist = rng.random()
        if twist < 0.10:  # the same person typed with another tone on the given name
            words = name.split()
            words[-1] = rng.choice([w for w in every_tone(words[-1]) if w != words[-1]])
            names.append(" ".join(words))
        elif twist < 0.14:  # typed in capitals, in small letters, or with a small middle name
            names.append(rng.choice([name.upper(), name.lower(), name.replace(" Văn ", " văn ")]))
        elif twist < 0.16:  # the very same name twice
            names.append(name)
    return names[:count]


def test_random_names_are_what_the_test_means():
    names = random_names()
    assert len(names) == 2000 and len(set(names)) > 1500
    folded = {}
    for name in names:
        folded.setdefault(fold(name), set()).add(name)
    assert sum(1 for variants in folded.values() if len(variants) > 1) > 100  # tone or case twins
    assert any(name.isupper() for name in names) and any(name.islower() for name in names)
    assert random_names() == names  # the seed is fixed


def test_every_tone_helper():
    assert every_tone("ma") == ["ma", "mà", "mả", "mã", "má", "mạ"]
    assert every_tone("Hoa") == ["Hoa", "Hòa", "Hỏa", "Hõa", "Hóa", "Họa"]
    assert every_tone("Tuấn") == ["Tuân", "Tuần", "Tuẩn", "Tuẫn", "Tuấn", "Tuận"]


def test_tricky_words_sort_like_icu(icu_available):
    assert_same_order(TRICKY_WORDS, "text", sort_key, "sort_key")


def test_tricky_words_reversed_input_sort_like_icu(icu_available):
    # the input order must not matter (a stable sort could hide ties)
    assert_same_order(list(reversed(TRICKY_WORDS)), "text", sort_key, "sort_key")


def test_tricky_names_sort_like_icu(icu_available):
    assert_same_order(TRICKY_NAMES, "names", name_sort_key, "name_sort_key")


def test_random_names_sort_like_icu(icu_available):
    assert_same_order(random_names(), "names", name_sort_key, "name_sort_key")


def test_random_full_names_as_text_sort_like_icu(icu_available):
    assert_same_order(random_names(), "text", sort_key, "sort_key")


def test_official_order_examples():
    """A few orders a clerk can check by eye, independent of ICU."""
    assert sorted(["Trần Thị Bình", "Nguyễn Văn An", "Lê Văn An"], key=name_sort_key) == [
        "Lê Văn An", "Nguyễn Văn An", "Trần Thị Bình"]  # by given name, then family name
    assert sorted(["Đỗ Dũng", "Đỗ Đức", "Đỗ Dung"], key=name_sort_key) == ["Đỗ Dung", "Đỗ Dũng", "Đỗ Đức"]
    assert sorted(["Hạ", "Hà", "Hả", "Hã", "Há", "Ha"], key=sort_key) == ["Ha", "Hà", "Hả", "Hã", "Há", "Hạ"]
    assert sorted(["ư", "u", "ơ", "ô", "o", "đ", "d", "â", "ă", "a"], key=sort_key) == [
        "a", "ă", "â", "d", "đ", "o", "ô", "ơ", "u", "ư"]
    assert sorted(["An", "an", "Anh", "Ân"], key=sort_key) == ["an", "An", "Anh", "Ân"]
