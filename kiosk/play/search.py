"""FAQ search for residents: tone-free, any word order, prefixes while typing, ranked.

The index is built once per feed. Every text is folded (case, tones, đ) into words; each word of
the vocabulary lists the entries holding it in their question, topic and answer, and each pair of
neighbouring words in a question or topic the entries holding that phrase. A query word matches
every vocabulary word it begins, found with bisect over the sorted vocabulary, so a keystroke costs
a few set operations on entry numbers rather than a scan of every answer."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from kiosk.feed.model import Topic
from kiosk.vietnamese import fold_words, nfc

# Where a word was found, best first: the question says what an entry is about, the topic less so.
FIELDS = ("question", "topic", "answer")
QUESTION, TOPIC, ANSWER = range(len(FIELDS))
RESULTS_SHOWN = 50  # no resident scrolls further; `total` still counts every match
SUGGESTED_TOPICS = 6
MAX_EDITS = 2  # the most letters a suggested correction changes
_PAST_EVERY_WORD = "\U0010ffff"  # sorts after any word, so bisect finds the end of a prefix's range
_ORIGINAL_WORD = re.compile(r"\w+")
_NONE = frozenset()


def plain_text(text: str) -> str:
    """Feed text without its **bold** markers."""
    return text.replace("**", "")


@dataclass(frozen=True)
class Hit:
    """One FAQ entry that matches: where it is in the feed, and how it matched.

    `field` is the weakest field the query needed: "question" when every word is in the question,
    "topic" when some are only in the topic, "answer" when some are only in the answer."""

    topic_index: int
    question_index: int
    topic: str
    question: str
    field: str
    whole_words: bool  # every query word matched a whole word, not only the start of one


@dataclass(frozen=True)
class SuggestedTopic:
    topic_index: int
    topic: str


@dataclass(frozen=True)
class SearchResult:
    words: tuple[str, ...]  # the query's folded words; empty when nothing searchable was typed
    hits: tuple[Hit, ...]  # best first, at most the limit asked for
    total: int  # every matching entry, shown or not
    # Only when nothing matched: a corrected query (with its tones) that does find entries, and
    # topics to browse instead, those sharing words with the query first.
    did_you_mean: str | None = None
    topics: tuple[SuggestedTopic, ...] = ()


@dataclass(frozen=True)
class _Entry:
    topic_index: int
    question_index: int
    topic: str
    question: str


@dataclass(frozen=True)
class _WordMatch:
    """The entries a query word matches, by the best field it is found in (disjoint sets), and
    those where it is a whole word in that field."""

    best: tuple[frozenset, frozenset, frozenset]
    whole: frozenset
    entries: frozenset


class FaqIndex:
    """Search over a feed's FAQ (`feed.faq`). Build it once per feed; `search` per keystroke."""

    def __init__(self, faq: Sequence[Topic]):
        self._topics = [topic.topic for topic in faq]
        self._entries: list[_Entry] = []
        postings: dict[str, tuple[set, set, set]] = {}
        pairs: dict[tuple[str, str], set] = {}
        originals: Counter = Counter()
        folded_of: dict[str, list[str]] = {}  # the same words recur across entries: fold each once

        def words_of(text: str) -> list[str]:
            words = []
            for original in _ORIGINAL_WORD.findall(nfc(text).lower()):
                folded = folded_of.get(original)
                if folded is None:
                    folded = folded_of[original] = fold_words(original)
                originals[original] += 1
                words += folded
            return words

        for topic_index, topic in enumerate(faq):
            topic_words = words_of(topic.topic)
            for question_index, item in enumerate(topic.questions):
                entry = len(self._entries)
                texts = (words_of(item.question), topic_words, words_of(plain_text(item.answer)))
                for field, words in enumerate(texts):
                    for word in set(words):
                        postings.setdefault(word, (set(), set(), set()))[field].add(entry)
                    if field != ANSWER:  # the lines a resident reads in the list; answers would cost megabytes
                        for pair in set(zip(words, words[1:])):
                            pairs.setdefault(pair, set()).add(entry)
                self._entries.append(_Entry(topic_index, question_index, topic.topic, item.question))
        self._vocabulary = sorted(postings)
        self._postings = {word: tuple(map(frozenset, sets)) for word, sets in postings.items()}
        # "word next" strings, so that bisect finds a word followed by any word a prefix begins
        self._pairs = {f"{first} {second}": frozenset(entries) for (first, second), entries in pairs.items()}
        self._pair_list = sorted(self._pairs)
        # The accented spelling most used for each folded word, to show a correction as residents write it.
        self._spelling: dict[str, str] = {}
        for original, _ in originals.most_common():
            for word in folded_of[original]:
                self._spelling.setdefault(word, original)
        # Each word with up to two letters left out -> the vocabulary words it comes from: two words
        # within an edit or two share such a form, so near words are found without a scan.
        self._left_out: dict[str, set[str]] = {}
        for word in self._vocabulary:
            for form in _with_letters_left_out(word, MAX_EDITS):
                self._left_out.setdefault(form, set()).add(word)

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, query: str, limit: int | None = RESULTS_SHOWN) -> SearchResult:
        """Entries holding every word of the query (each as a word or the start of one), best first."""
        words = tuple(dict.fromkeys(fold_words(query)))
        if not words:
            return SearchResult((), (), 0)
        matches = [self._match(word) for word in words]
        total, hits = self._ranked(words, matches, limit)
        if total:
            return SearchResult(words, tuple(hits), total)
        return SearchResult(words, (), 0, self._correction(words, matches), self._related_topics(matches))

    def _match(self, word: str) -> _WordMatch:
        found = [self._postings[w] for w in _starting_with(self._vocabulary, word)]
        question, topic, answer = (_NONE.union(*(sets[field] for sets in found)) for field in range(len(FIELDS)))
        best = (question, topic - question, answer - question - topic)
        exact = self._postings.get(word, (_NONE,) * len(FIELDS))
        whole = _NONE.union(*(exact[field] & best[field] for field in range(len(FIELDS))))
        return _WordMatch(best, whole, question | topic | answer)

    def _ranked(self, words: tuple[str, ...], matches: list[_WordMatch], limit: int | None) -> tuple[int, list[Hit]]:
        """How many entries match, and the best `limit` of them.

        An entry that needs its answer to match comes after every entry matched by question and
        topic alone, and one that needs its topic after those matched by the question alone; then
        more query words in the question, more whole words, more query words side by side as typed
        (in the question or topic); then feed order."""
        candidates = frozenset.intersection(*sorted((match.entries for match in matches), key=len))
        if not candidates:
            return 0, []

        def per_entry(sets) -> Counter:
            counts = Counter(dict.fromkeys(candidates, 0))  # every candidate present: lookups stay in C
            for entries in sets:
                counts.update(entries & candidates)
            return counts

        in_question = per_entry(match.best[QUESTION] for match in matches)
        whole = per_entry(match.whole for match in matches)
        phrase = per_entry(self._side_by_side(first, second) for first, second in zip(words, words[1:]))
        all_in_question = candidates.intersection(*(match.best[QUESTION] for match in matches))
        all_in_question_or_topic = candidates.intersection(*(match.best[QUESTION] | match.best[TOPIC] for match in matches))
        hits: list[Hit] = []
        tiers = (all_in_question, all_in_question_or_topic - all_in_question, candidates - all_in_question_or_topic)
        for field, tier in enumerate(tiers):
            room = None if limit is None else limit - len(hits)
            if room == 0:
                break
            ranked = sorted(tier)  # feed order, kept among equals by the stable sorts below
            for counts in (phrase, whole, in_question):  # least telling first
                ranked.sort(key=counts.__getitem__, reverse=True)
            for entry_id in ranked[:room]:
                entry = self._entries[entry_id]
                hits.append(Hit(entry.topic_index, entry.question_index, entry.topic, entry.question,
                                FIELDS[field], whole[entry_id] == len(words)))
        return len(candidates), hits

    def _side_by_side(self, first: str, second: str) -> set:
        """Entries whose question or topic has a word begun by `first` followed by one begun by `second`."""
        found = set()
        for word in _starting_with(self._vocabulary, first):
            found.update(*(self._pairs[pair] for pair in _starting_with(self._pair_list, f"{word} {second}")))
        return found

    def _correction(self, words: tuple[str, ...], matches: list[_WordMatch]) -> str | None:
        """The query with each word found nowhere replaced by a near vocabulary word, if it then finds entries.

        Of the near words, the nearest wins; then the longer, as a missed letter is a likelier slip
        than an extra one; then the one found with most of the rest of the query."""
        corrected = list(words)
        entries = [match.entries for match in matches]
        for i, found in enumerate(entries):
            if found:
                continue
            others = [other for other in entries if other]  # words still found nowhere narrow nothing
            options = []
            for distance, candidate in self._near(words[i]):
                candidate_entries = _NONE.union(*self._postings[candidate])
                together = len(candidate_entries.intersection(*others))
                if together:
                    options.append(((distance, -len(candidate), -together, candidate), candidate_entries))
            if not options:
                return None
            rank, entries[i] = min(options, key=lambda option: option[0])
            corrected[i] = rank[-1]
        if not frozenset.intersection(*entries):
            return None
        return " ".join(self._spelling.get(word, word) for word in corrected)

    def _near(self, word: str) -> list[tuple[int, str]]:
        """(edit distance, word) for vocabulary words at most 1 edit away (2 for words over 4 letters)."""
        limit = 1 if len(word) <= 4 else MAX_EDITS
        candidates = set().union(*(self._left_out.get(form, ()) for form in _with_letters_left_out(word, limit)))
        near = [(_edit_distance(word, candidate, limit), candidate) for candidate in candidates]
        return [(distance, candidate) for distance, candidate in near if distance <= limit]

    def _related_topics(self, matches: list[_WordMatch]) -> tuple[SuggestedTopic, ...]:
        """Topics whose entries hold the most query words (each alone), then the rest in feed order."""
        shared = Counter()
        for match in matches:
            shared.update({self._entries[entry].topic_index for entry in match.entries})
        order = sorted(range(len(self._topics)), key=lambda index: (-shared[index], index))
        return tuple(SuggestedTopic(index, self._topics[index]) for index in order[:SUGGESTED_TOPICS])


def _starting_with(items: list[str], prefix: str) -> list[str]:
    """The items of a sorted list that begin with `prefix`."""
    start = bisect_left(items, prefix)
    return items[start:bisect_left(items, prefix + _PAST_EVERY_WORD, start)]


def _with_letters_left_out(word: str, most: int) -> set[str]:
    """The word, and every form of it with up to `most` letters left out."""
    forms = frontier = {word}
    for _ in range(most):
        frontier = {form[:i] + form[i + 1:] for form in frontier for i in range(len(form))}
        forms = forms | frontier
    return forms


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once it must exceed limit."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]
