"""The words a counter page says aloud ("Nghe"): its text as a Vietnamese listener expects to hear
it, for a speech engine that reads numbers well but not official abbreviations, document numbers,
dates written with slashes or Roman numerals (espeak-ng says "XVII" in English)."""

from __future__ import annotations

import re
from datetime import date

from kiosk.play.areas import NO_LIST
from kiosk.vietnamese import nfc
from kiosk.words import WEEKDAY_NAMES

# Official abbreviations as said aloud, and a few names; only whole words, in their own case, are replaced.
ABBREVIATIONS = {
    "HĐND": "Hội đồng nhân dân",
    "UBND": "Ủy ban nhân dân",
    "UBMTTQ": "Ủy ban Mặt trận Tổ quốc",
    "MTTQ": "Mặt trận Tổ quốc",
    "ĐBQH": "đại biểu Quốc hội",
    "NQ": "nghị quyết",
    "QĐ": "quyết định",
    "TP": "thành phố",
    "TDP": "tổ dân phố",
    "CCCD": "căn cước công dân",
    "CMND": "chứng minh nhân dân",
    "BHYT": "bảo hiểm y tế",
    "BHXH": "bảo hiểm xã hội",
    "THCS": "trung học cơ sở",
    "THPT": "trung học phổ thông",
    "VNeID": "vê en ê ai đi",
    # Names the engine would say in English, as Hà Nội says them
    "Zalo": "Da lô",
    "iHanoi": "ai Hà Nội",
}
# Kinds of document and issuers that appear only inside a document's number (12/KH-UBND).
DOCUMENT_PARTS = {**ABBREVIATIONS, "KH": "kế hoạch", "TB": "thông báo", "CT": "chỉ thị", "TTg": "Thủ tướng"}
_ABBREVIATION = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, ABBREVIATIONS), key=len, reverse=True))
                           + r")(?![\w-])")
_CODE_PART = r"[A-ZĐ][A-Za-zĐ]*"
# A document's number: 03/NQ-HĐND, 15/2026/QĐ-UBND, with what a writer may have put before it.
_DOCUMENT = re.compile(r"(?:(?:nghị quyết|quyết định|kế hoạch)\s+)?(?:số\s+)?"
                       rf"\b0*(\d+)/(?:(\d{{4}})/)?({_CODE_PART}(?:-{_CODE_PART})*)\b", re.IGNORECASE)
_DAY_MONTH_YEAR = re.compile(r"(?:\bngày\s+)?\b(\d{1,2})/(\d{1,2})/(\d{4})\b", re.IGNORECASE)
_DAY_MONTH = re.compile(r"(?:\bngày\s+)?\b(\d{1,2})/(\d{1,2})\b(?!/)", re.IGNORECASE)
_CLOCK = re.compile(r"\b(\d{1,2})(?:h(\d{2})?|:(\d{2}))\b(?!:)")
_RANGE = re.compile(r"(?<![\d-])(\d{1,4})\s*[-–—]\s*(\d{1,4})(?![\d-])")
_ROMAN_AFTER = re.compile(r"\b((?i:khóa|khoá|lần thứ|kỳ họp thứ|đại hội))\s+([IVXLC]+)\b")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_URL = re.compile(r"\bhttps?://\S+")
_MARKS = re.compile(r"\s*[•·▪–—]\s+")


def roman(numeral: str) -> int | None:
    """The value of a Roman numeral (XVII: 17), None when it is not one written the usual way."""
    values = [_ROMAN_VALUES[ch] for ch in numeral.upper()]
    total = sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))
    return total if total > 0 and _to_roman(total) == numeral.upper() else None


def _to_roman(number: int) -> str:
    out = ""
    for value, letters in ((100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
                           (4, "IV"), (1, "I")):
        count, number = divmod(number, value)
        out += letters * count
    return out


def ordinal(number: int) -> str:
    """thứ nhất, thứ hai, thứ ba, thứ tư, thứ 5..."""
    return {1: "nhất", 4: "tư"}.get(number, str(number))


def spoken_date(day: date) -> str:
    return f"ngày {day.day} tháng {day.month} năm {day.year}"


def _document(match: re.Match) -> str:
    number, year, code = match.groups()
    kinds = [DOCUMENT_PARTS.get(part, part) for part in code.split("-")]
    said = f"{kinds[0]} số {int(number)}"
    if year:
        said += f" năm {year}"
    if len(kinds) > 1:
        said += " của " + " ".join(kinds[1:])
    return said


def _date(match: re.Match) -> str:
    day, month, *year = map(int, match.groups())
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return match.group(0)
    return f"ngày {day} tháng {month}" + (f" năm {year[0]}" if year else "")


def _clock(match: re.Match) -> str:
    hours, minutes = match.group(1), match.group(2) or match.group(3)
    if int(hours) > 24 or (minutes and int(minutes) > 59):
        return match.group(0)
    return f"{int(hours)} giờ" + (f" {int(minutes)}" if minutes and int(minutes) else "")


def _roman(match: re.Match) -> str:
    value = roman(match.group(2))
    return f"{match.group(1)} {value}" if value else match.group(0)


def speakable(text: str) -> str:
    """Text as it should be heard: document numbers, dates, times, ranges, Roman numerals of terms
    and abbreviations in words; bold marks, bullets and web addresses (read from the QR code) left out."""
    text = nfc(text).replace("**", "")
    text = _URL.sub("", text)
    text = _DOCUMENT.sub(_document, text)
    text = _DAY_MONTH_YEAR.sub(_date, text)
    text = _DAY_MONTH.sub(_date, text)
    text = _CLOCK.sub(_clock, text)
    text = _RANGE.sub(r"\1 đến \2", text)
    text = _MARKS.sub(", ", text)
    text = _ROMAN_AFTER.sub(_roman, text)
    text = _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m.group(1)], text)
    text = text.replace("%", " phần trăm")
    return re.sub(r"[ \t]+", " ", text).strip().lstrip(", ")


def sentences(*parts: str | None) -> str:
    """Parts one after another, each ending as a sentence (a pause), empty ones left out."""
    said = []
    for part in parts:
        part = speakable(part or "")
        if part:
            said.append(part if part[-1] in ".!?:;" else part + ".")
    return "\n".join(said)


QR_HINT = "Bà con quét mã QR trên màn hình để đọc thêm."


def answer_reading(question) -> str:
    """An FAQ answer page: the question, then the answer, then where to read more."""
    return sentences(question.question, *question.answer.split("\n\n"), QR_HINT if question.link else None)


def resolution_reading(slide) -> str:
    """A resolution page: which resolution (its number said as a number), its title, its points."""
    number = re.match(r"\s*0*(\d+)", slide.number)
    heading = f"Nghị quyết số {int(number.group(1))}" if number else f"Nghị quyết {slide.number}"
    heading += f", {spoken_date(slide.date)}, của {slide.issuer}"
    points = [f"Ý thứ {ordinal(i)}: {point}" for i, point in enumerate(slide.points, start=1)] if len(slide.points) > 1 \
        else list(slide.points)
    return sentences(heading, slide.title, *points, QR_HINT if slide.link else None)


def _people(people) -> list[str]:
    return [", ".join(filter(None, [f"{i}. {person.name}", person.position])) for i, person in enumerate(people, start=1)]


def delegates_reading(slide) -> str:
    """A list of delegates: the body and constituency, then each delegate's name and position."""
    return sentences(slide.titled_list, slide.constituency, slide.note, *_people(slide.people))


def my_delegates_reading(levels, meeting=None, note: str | None = None) -> str:
    """"Đại biểu của bạn" for one area (kiosk.play.areas.my_delegates): the area's note, each
    level's list and constituency and its delegates, then the next meeting for the area: what,
    which day, the hours, where."""
    parts = [note]
    for level in levels:
        parts += [level.heading, level.constituency, *(_people(level.people) or [NO_LIST])]
    if meeting is not None:
        parts += [f"Lịch gặp đại biểu sắp tới: {meeting.heading}",
                  f"{WEEKDAY_NAMES[meeting.date.weekday()]}, {spoken_date(meeting.date)}, "
                  f"từ {meeting.start:%H:%M} đến {meeting.end:%H:%M}", f"Tại {meeting.place}"]
    return sentences(*parts)
