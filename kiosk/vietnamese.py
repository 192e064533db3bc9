"""Vietnamese text: NFC normalisation, tone-free folding for search, and the sort order of
official lists (the Vietnamese alphabet, then tones), in pure Python so that a Raspberry Pi
needs no ICU."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters in Vietnamese alphabetical order; f j w z (foreign words) sit where ICU puts them.
_ALPHABET = [
    "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m",
    "n", "o", "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z",
]
# Punctuation and symbols sort after the space and before digits and letters, as in ICU (its order
# for the common ones: the apostrophe of H'Hen Niê or the hyphen of Kim-Ngân comes before any letter).
_PUNCTUATION = "_-\u2013\u2014,;:!?.\u2026\u00b7'\u2018\u2019\"\u201c\u201d\u00ab\u00bb()[]{}\u00a7@*/\\&#%\u2022`^\u00b0+<=>|~$\u2116"
_PUNCTUATION_RANK = {ch: 1 + i for i, ch in enumerate(_PUNCTUATION)}
_SYMBOL_RANK_BASE = 1 + len(_PUNCTUATION)  # other symbols, after the known ones, by code point
_DIGIT_RANK_BASE = _SYMBOL_RANK_BASE + 0x110000  # after the space (0) and symbols, before every letter
_LETTER_RANK_BASE = _DIGIT_RANK_BASE + 10
_LETTER_RANK = {letter: _LETTER_RANK_BASE + i for i, letter in enumerate(_ALPHABET)}
_OTHER_RANK_BASE = _LETTER_RANK_BASE + len(_ALPHABET)  # letters of other alphabets, by code point

# Tones in the order of official lists: none, huyền, hỏi, ngã, sắc, nặng.
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# Marks that make a different letter (ă â ê ô ơ ư), not a tone.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}


def nfc(text: str) -> str:
    """Text as Unicode NFC: what Word or a Mac pasted decomposed becomes one code point a letter."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower case without tones or marks, đ as d: 'Nghị Quyết' and 'nghi quyet' fold alike."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_WORD = re.compile(r"\w+")


def fold_words(text: str) -> list[str]:
    """The folded words of a text, for matching in any order."""
    return _WORD.findall(fold(text))


@lru_cache(maxsize=4096)
def _character_key(ch: str) -> tuple[int, int, int]:
    """(primary rank of the base letter with its letter marks, tone rank, is upper) of one character.
    Cached: a list of 10,000 names has a few dozen distinct characters."""
    parts = unicodedata.normalize("NFD", ch)
    base, marks = parts[0], parts[1:]
    tone = 0
    kept = ""
    for mark in marks:
        if mark in _TONE_RANK:
            tone = _TONE_RANK[mark]
        elif mark in _LETTER_MARKS:
            kept += mark
    letter = unicodedata.normalize("NFC", base + kept)
    return _primary(letter.lower()), tone, int(letter != letter.lower())


def _primary(letter: str) -> int:
    if letter in _LETTER_RANK:
        return _LETTER_RANK[letter]
    if letter.isspace():
        return 0
    if letter.isdigit():
        return _DIGIT_RANK_BASE + unicodedata.digit(letter, 0)
    if letter in _PUNCTUATION_RANK:
        return _PUNCTUATION_RANK[letter]
    if not letter.isalnum():
        return _SYMBOL_RANK_BASE + ord(letter)
    return _OTHER_RANK_BASE + ord(letter)


def sort_key(text: str) -> tuple:
    """Key that orders like ICU's Vietnamese collation: letters first, then tones, then case."""
    keys = [_character_key(ch) for ch in unicodedata.normalize("NFC", text)]
    return tuple(key[0] for key in keys), tuple(key[1] for key in keys), tuple(key[2] for key in keys)


def name_sort_key(full_name: str) -> tuple:
    """Official list order: given name (last word), then family name (first), then middle names."""
    words = full_name.split()
    if not words:
        return ((), (), ())
    given, family, middle = words[-1], words[0], " ".join(words[1:-1])
    return (sort_key(given), sort_key(family), sort_key(middle))

