"""Anonymous usage counts and proof of play, kept on the display itself and summarised for staff.

Nothing here leaves the machine and nothing names a resident: a usage event carries the day (not
the time, which could be matched with the counter's queue), what was opened (a menu button, an FAQ
topic or question, all feed text), and for a search how many entries it found and, only when it
found none, its folded words cut to 40 characters; for the counter's "Góp ý", which of the
feed's answers was chosen (a face, a topic), never anything typed.

Storage: one append-only JSON-lines file per kind in the state folder, rotated by size (the file
and one older file are kept). Each event is one short append, so a power cut can at worst tear or
zero-fill the last line: the reader skips such lines and the writer starts on a fresh line. SQLite
would add locking between the app and `kiosk stats`, and journal writes wearing an SD card, for
counts that a text file a clerk can open in any editor holds as well."""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable

from kiosk.delivery.store import read_small
from kiosk.vietnamese import fold_words
from kiosk.words import duration_text, iso_day_text, moment_text

log = logging.getLogger(__name__)

USAGE_FILE = "usage.jsonl"
PLAY_FILE = "play.jsonl"
USAGE_FILE_BYTES = 1_000_000  # about 10,000 events: months at one counter
PLAY_FILE_BYTES = 4_000_000  # about 40,000 slides shown: some weeks of a busy loop
TERM_CHARS = 40
TEXT_CHARS = 200  # a topic or question as the feed has it; longer is cut

# What each usage event may carry; nothing else is written.
USAGE_FIELDS = {
    "menu": ("item",),  # a button of the home menu, as labelled
    "topic": ("topic",),  # an FAQ topic opened
    "question": ("topic", "question"),  # an FAQ answer opened
    "search": ("query", "hits"),  # one finished search: what was typed, how many entries it found
    "helpful": ("answer",),  # "Góp ý": the face chosen for "did the information here help?"
    "wanted": ("topic",),  # "Góp ý": what the resident wants to know more about (an FAQ topic or "other")
}


class JsonLinesLog:
    """Append-only JSON lines at `path`, rotated to `path.1` past `max_bytes`; never raises on disk errors."""

    def __init__(self, path: Path, max_bytes: int):
        self.path = Path(path)
        self.older = self.path.with_suffix(".1" + self.path.suffix)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()  # the loop and the touch screen may write from different threads
        self._line_start_known = False  # whether the file is known to end with a whole line
        self._failing = False

    def append(self, record: dict) -> None:
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        with self._lock:
            try:
                self._append(line)
            except OSError as error:
                self._line_start_known = False  # a failed write may have left half a line
                if not self._failing:  # once per outage, not once per event
                    log.warning("không ghi được %s: %s; tạm bỏ qua việc ghi số liệu", self.path, error)
                self._failing = True
                return
        if self._failing:
            log.info("ghi được %s trở lại", self.path)
            self._failing = False

    def _append(self, line: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size and size + len(line) > self.max_bytes:
            self.path.replace(self.older)
            size = 0
        if size and not self._line_start_known:
            with self.path.open("rb") as existing:
                existing.seek(-1, 2)
                if existing.read(1) != b"\n":
                    line = b"\n" + line  # after a torn line, so that this one stays whole
        with self.path.open("ab") as out:
            out.write(line)
        self._line_start_known = True

    def read(self) -> tuple[list[dict], int]:
        """Every record, oldest first, and how many damaged lines were passed over."""
        records, damaged = [], 0
        for path in (self.older, self.path):
            try:  # never through a link, never waiting on a FIFO: the state folder is read as hostile
                data = read_small(path, 4 * self.max_bytes)
            except FileNotFoundError:
                continue
            except OSError as error:
                log.warning("không đọc được %s: %s", path, error)
                continue
            for line in data.split(b"\n"):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except (ValueError, RecursionError):  # RecursionError: a line nested thousands deep
                    record = None
                if isinstance(record, dict):
                    records.append(record)
                else:
                    damaged += 1
        return records, damaged


class UsageLog:
    """What residents look up, for `kiosk stats`. The touch screen calls `record`:

        usage = UsageLog(settings.state_path())
        usage.record("menu", item="Hỏi đáp chính sách")
        usage.record("topic", topic=topic.topic)
        usage.record("question", topic=topic.topic, question=item.question)
        usage.record("search", query=typed, hits=result.total)
        usage.record("helpful", answer="Có")
        usage.record("wanted", topic="Điều khác")

    Record a search once it is finished (a result opened, or the search screen left), not at
    every key; one left with nothing typed is not counted. An unknown event or field is a
    programming mistake and raises ValueError; a disk problem only logs a warning."""

    def __init__(self, state_dir: Path, max_bytes: int = USAGE_FILE_BYTES, today: Callable[[], date] = date.today):
        self.log = JsonLinesLog(Path(state_dir) / USAGE_FILE, max_bytes)
        self._today = today  # the display's own day (its time zone), when it passes its clock

    def record(self, event: str, **fields) -> None:
        allowed = USAGE_FIELDS.get(event)
        if allowed is None or set(fields) != set(allowed):
            raise ValueError(f"usage event {event!r} takes {allowed}, not {sorted(fields)}")
        record = {"day": self._today().isoformat(), "event": event}
        if event == "search":
            words = " ".join(fold_words(fields["query"]))
            if not words:
                return  # the search screen left before anything was typed: not a search
            record["hits"] = int(fields["hits"])
            if not record["hits"]:
                record["term"] = words[:TERM_CHARS].strip()
        else:
            record.update((name, str(value)[:TEXT_CHARS]) for name, value in fields.items())
        self.log.append(record)


class PlayLog:
    """Proof of play: one line per slide shown, with its id, start, seconds on screen and display."""

    def __init__(self, state_dir: Path, display: str, max_bytes: int = PLAY_FILE_BYTES):
        self.log = JsonLinesLog(Path(state_dir) / PLAY_FILE, max_bytes)
        self.display = display

    def record(self, slide_id: str, start: datetime, seconds: float) -> None:
        self.log.append({"slide": slide_id, "start": start.isoformat(timespec="seconds"),
                         "seconds": round(seconds, 1), "display": self.display})


@dataclass
class Summary:
    days: list[str] = field(default_factory=list)  # days with usage, ISO dates, in order
    menu: Counter = field(default_factory=Counter)
    topics: Counter = field(default_factory=Counter)
    questions: Counter = field(default_factory=Counter)  # (topic, question) -> times opened
    searches: int = 0
    not_found: Counter = field(default_factory=Counter)  # folded term -> searches that found nothing
    helpful: Counter = field(default_factory=Counter)  # the "Góp ý" face chosen -> residents
    wanted: Counter = field(default_factory=Counter)  # the "Góp ý" topic chosen -> residents
    plays: Counter = field(default_factory=Counter)  # slide id -> times shown
    play_seconds: Counter = field(default_factory=Counter)  # slide id -> seconds shown
    play_starts: list[str] = field(default_factory=list)  # first and last start, when any
    displays: set = field(default_factory=set)
    damaged: int = 0  # lines passed over: torn by a power cut, or not written by us


def read_logs(state_dir: Path) -> tuple[list[dict], list[dict], int]:
    """The usage and play records as stored, and how many lines were damaged."""
    usage, damaged = JsonLinesLog(Path(state_dir) / USAGE_FILE, USAGE_FILE_BYTES).read()
    plays, play_damaged = JsonLinesLog(Path(state_dir) / PLAY_FILE, PLAY_FILE_BYTES).read()
    return usage, plays, damaged + play_damaged


def summarise(state_dir: Path) -> Summary:
    return summarise_records(*read_logs(state_dir))


def summarise_records(usage: list[dict], plays: list[dict], damaged: int = 0) -> Summary:
    """The counts of these records (all of a display's, or one day's for the fleet link)."""
    summary = Summary()
    summary.damaged = damaged
    days = set()
    for record in usage:
        event = record.get("event")
        fields = USAGE_FIELDS.get(event, ()) if isinstance(event, str) else ()
        texts = [] if event == "search" else [record.get(name) for name in fields]  # a search stores no query
        if not fields or not all(isinstance(text, str) for text in texts + [record.get("day")]):
            summary.damaged += 1  # a line that parses but is not one of ours
            continue
        days.add(record["day"])
        if event == "menu":
            summary.menu[texts[0]] += 1
        elif event == "topic":
            summary.topics[texts[0]] += 1
        elif event == "question":
            summary.questions[tuple(texts)] += 1
        elif event == "helpful":
            summary.helpful[texts[0]] += 1
        elif event == "wanted":
            summary.wanted[texts[0]] += 1
        else:
            summary.searches += 1
            if not record.get("hits"):
                summary.not_found[str(record.get("term", ""))] += 1
    summary.days = sorted(days)
    starts = []
    for record in plays:
        slide, start, seconds = record.get("slide"), record.get("start"), record.get("seconds")
        if not (isinstance(slide, str) and isinstance(start, str) and isinstance(seconds, (int, float))):
            summary.damaged += 1
            continue
        summary.plays[slide] += 1
        summary.play_seconds[slide] += seconds
        starts.append(start)
        summary.displays.add(str(record.get("display", "")))
    if starts:
        summary.play_starts = [min(starts), max(starts)]
    return summary


def _moment(iso: str) -> str:  # the display's local time, as the play log writes it
    try:
        return moment_text(datetime.fromisoformat(iso))
    except ValueError:
        return iso


def in_order(counts: Counter, known=()) -> list[tuple]:
    """The counts with the `known` items first, in that order (a feed's "Góp ý" faces, from least
    to most pleased: the scale reads as residents saw it), those not chosen at 0; then the rest by count."""
    known = list(dict.fromkeys(known))
    return [(item, counts[item]) for item in known] + [pair for pair in counts.most_common() if pair[0] not in known]


def counted_lines(title: str, counts: Counter, top: int, shown=str, known=()) -> list[str]:
    """A table of `kiosk stats` and `kiosk fleet report`: the title, then count and item, the
    `known` items first (in_order), at most `top` rows."""
    lines = [title]
    lines += [f"  {count:6}  {shown(item)}" for item, count in in_order(counts, known)[:top]]
    if len(counts) > top:
        lines.append(f"          … và {len(counts) - top} mục khác")
    return lines + [""]


def usage_lines(counts, top: int = 10, faces=()) -> list[str]:
    """What residents used, for staff: the counts of a display's Summary or of the office's report
    across displays (kiosk.fleet.office), said the same way. `faces`: the feed's faces in order."""
    lines = []
    if counts.menu:
        lines += counted_lines("Nút trên màn hình chính:", counts.menu, top)
    if counts.topics:
        lines += counted_lines("Chủ đề hỏi đáp được mở nhiều nhất:", counts.topics, top)
    if counts.questions:
        lines += counted_lines("Câu hỏi được mở nhiều nhất:", counts.questions, top, lambda pair: " › ".join(pair))
    lines += [f"Tìm kiếm: {counts.searches} lượt, {sum(counts.not_found.values())} lượt không tìm thấy.", ""]
    if counts.not_found:
        lines += counted_lines("Từ khóa không tìm thấy (nên thêm câu hỏi về các việc này):", counts.not_found, top,
                               lambda term: f"“{term}”")
    if counts.helpful:
        lines += counted_lines("Góp ý – thông tin ở đây có giúp ích cho bà con không?", counts.helpful, top,
                               known=faces)
    if counts.wanted:
        lines += counted_lines("Góp ý – bà con muốn biết thêm về:", counts.wanted, top)
    return lines


def format_summary(summary: Summary, top: int = 10) -> str:
    """The summary as staff read it, in Vietnamese."""
    lines = []
    if summary.days:
        lines += [f"Số liệu sử dụng từ {iso_day_text(summary.days[0])} đến {iso_day_text(summary.days[-1])} "
                  f"({len(summary.days)} ngày có người dùng); không lưu thông tin cá nhân.", ""]
    else:
        lines += ["Chưa có lượt sử dụng màn hình cảm ứng nào được ghi.", ""]
    if summary.days:
        lines += usage_lines(summary, top)
    if summary.plays:
        displays = ", ".join(sorted(summary.displays))
        lines += [f"Lượt chiếu theo trang, từ {_moment(summary.play_starts[0])} đến {_moment(summary.play_starts[1])}"
                  f" (màn hình: {displays}):"]
        for slide, count in sorted(summary.plays.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {count:6} lượt  {duration_text(summary.play_seconds[slide]):>14}  {slide}")
        lines.append("")
    if summary.damaged:
        lines += [f"Đã bỏ qua {summary.damaged} dòng hỏng (thường do mất điện đúng lúc đang ghi).", ""]
    return "\n".join(lines).rstrip() + "\n"
