""""Nghe": the words a page says (kiosk.play.reading), the speech engine's WAV for them (espeak-ng,
for real), and the button in the real window with SDL's disk audio driver, which writes what is
played to a file: what the resident would have heard."""

import array
import os
import re
import subprocess
import threading
import time
import wave
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from kiosk.feed.validate import load_feed
from kiosk.play.areas import my_delegates, sorted_areas
from kiosk.play.meetings import upcoming_meetings
from kiosk.play.reading import (ABBREVIATIONS, answer_reading, delegates_reading, my_delegates_reading,
                                resolution_reading, roman, speakable)
from kiosk.play.speech import KEPT_FILES, PROGRAM, VOICE, WORDS_PER_MINUTE, SpeechCancelled, Synthesis
from kiosk.settings import DisplaySettings
from test_display_loop import run_display
from test_residents_counter import ALL_LISTS, BEFORE_THE_MEETINGS

REPO = Path(__file__).resolve().parents[1]
FEED = load_feed(REPO / "config").feed
SILENCE_RMS = 300  # of 32767: espeak-ng's speech is around 3000, a silent stretch 0


# --- the words

@pytest.mark.parametrize("written, said", [
    ("Nghị quyết số 03/NQ-HĐND", "nghị quyết số 3 của Hội đồng nhân dân"),
    ("theo 15/2026/QĐ-UBND", "theo quyết định số 15 năm 2026 của Ủy ban nhân dân"),
    ("Kế hoạch 112/KH-UBND ngày 5/3/2026", "kế hoạch số 112 của Ủy ban nhân dân ngày 5 tháng 3 năm 2026"),
    ("từ ngày **01/4/2026**.", "từ ngày 1 tháng 4 năm 2026."),
    ("hạn chót 31/12", "hạn chót ngày 31 tháng 12"),
    ("ngày 32/13/2026", "ngày 32/13/2026"),  # not a date: left as written
    ("từ 7h30 đến 11h", "từ 7 giờ 30 đến 11 giờ"),
    ("mở cửa 13:30", "mở cửa 13 giờ 30"),
    ("nhiệm kỳ 2026 - 2031", "nhiệm kỳ 2026 đến 2031"),
    ("giai đoạn 2026–2030", "giai đoạn 2026 đến 2030"),
    ("Quốc hội khóa XVI", "Quốc hội khóa 16"),
    ("HĐND Thành phố khoá XVII", "Hội đồng nhân dân Thành phố khoá 17"),
    ("kỳ họp thứ IV", "kỳ họp thứ 4"),
    ("khóa IIII", "khóa IIII"),  # not a Roman numeral written the usual way
    ("Chủ tịch UBND phường", "Chủ tịch Ủy ban nhân dân phường"),
    ("Ủy ban MTTQ Việt Nam", "Ủy ban Mặt trận Tổ quốc Việt Nam"),
    ("mang CCCD và thẻ BHYT", "mang căn cước công dân và thẻ bảo hiểm y tế"),
    ("tăng 12% so với", "tăng 12 phần trăm so với"),
    ("nhóm Zalo của phường, ứng dụng iHanoi", "nhóm Da lô của phường, ứng dụng ai Hà Nội"),
    ("Xem tại https://dongda.hanoi.gov.vn/gop-y nhé", "Xem tại nhé"),
    ("•  Ý thứ nhất", "Ý thứ nhất"),
    ("Dữ liệu mẫu — không phải", "Dữ liệu mẫu, không phải"),
    ("UBNDX và XUBND", "UBNDX và XUBND"),  # inside a longer word: not an abbreviation
])
def test_text_is_said_the_way_a_listener_expects(written, said):
    assert speakable(written) == said


@given(st.text(alphabet=st.sampled_from(list("0123456789/-–:h.,%* IVXLCNQĐHDUBkhóa ngàyZalo")), max_size=60) | st.text())
def test_any_text_is_said_without_an_error_and_keeps_its_words(text):
    said = speakable(text)
    assert isinstance(said, str)
    # Every lower-case word stays (abbreviations are upper case), but for web addresses, left to the QR code.
    kept = [w for w in re.findall(r"[^\W\d_]{3,}", text) if w not in ABBREVIATIONS and w.lower() == w
            and "://" not in text]
    assert all(word in said for word in kept), (text, said)


def test_roman_numerals_of_terms():
    assert [roman(n) for n in ("I", "IV", "IX", "XIV", "XVI", "XVII", "XL", "XC")] == [1, 4, 9, 14, 16, 17, 40, 90]
    assert [roman(n) for n in ("IIII", "VV", "IC", "XXXX")] == [None] * 4


def readings():
    """Every page of the sample feed that has a "Nghe" button, with its words."""
    for topic in FEED.faq:
        for question in topic.questions:
            yield "answer", question.question, answer_reading(question)
    for slide in FEED.slides:
        if slide.type == "resolution":
            yield "resolution", slide.title, resolution_reading(slide)
        if slide.type == "delegates":
            yield "delegates", slide.titled_list, delegates_reading(slide)


@pytest.mark.parametrize("kind, name, words", list(readings()), ids=lambda v: v if isinstance(v, str) and len(v) < 12 else None)
def test_every_page_of_the_sample_feed_is_said_without_codes_or_symbols(kind, name, words):
    assert words.strip()
    leftovers = [a for a in ABBREVIATIONS if re.search(rf"(?<![\w-]){re.escape(a)}(?![\w-])", words)]
    assert not leftovers, (name, leftovers)
    assert not re.search(r"\d/\d|\d\s*-\s*\d|https?://|\*\*|\b[IVX]{2,}\b|%", words), (name, words)
    assert all(line.rstrip()[-1] in ".!?:;" for line in words.splitlines()), "every part ends as a sentence: a pause"


def test_pages_say_what_they_show():
    resolution = next(s for s in FEED.slides if s.type == "resolution")
    said = resolution_reading(resolution)
    assert said.startswith(f"Nghị quyết số {int(resolution.number.split('/')[0])}, "
                           f"ngày {resolution.date.day} tháng {resolution.date.month} năm {resolution.date.year}")
    assert all(speakable(point).rstrip(".") in said for point in resolution.points)
    delegates = next(s for s in FEED.slides if s.type == "delegates")
    said = delegates_reading(delegates)
    assert all(person.name in said for person in delegates.people)
    assert speakable(delegates.constituency) in said
    question = FEED.faq[0].questions[0]
    assert answer_reading(question).startswith(question.question)


@pytest.mark.parametrize("area", sorted_areas(FEED.areas), ids=lambda area: area.name)
def test_my_delegates_says_every_level_and_the_next_meeting_in_words(area):
    levels = my_delegates(FEED, area)
    meetings = upcoming_meetings(FEED.meetings, BEFORE_THE_MEETINGS, area, FEED.slides)
    said = my_delegates_reading(levels, meetings[0] if meetings else None)
    lines = said.splitlines()
    for level in levels:
        assert speakable(level.heading) + "." in lines
        assert all(any(line.startswith(f"{i}. {person.name}") for line in lines)
                   for i, person in enumerate(level.people, start=1)) if level.people else \
            "Chưa có danh sách đại biểu cho tổ dân phố này." in lines
    if meetings:
        meeting = meetings[0]
        day = f"ngày {meeting.date.day} tháng {meeting.date.month} năm {meeting.date.year}"
        assert lines[-3] == f"Lịch gặp đại biểu sắp tới: {speakable(meeting.heading)}."
        assert day in lines[-2] and lines[-2].startswith("Thứ ") and f"từ {meeting.start.hour} giờ" in lines[-2]
        assert lines[-1] == f"Tại {speakable(meeting.place)}."
    assert not re.search(r"\d:\d|\d/\d", said), said
    assert all(line.rstrip()[-1] in ".!?:;" for line in lines)


# --- the engine

def wav_facts(path: Path) -> tuple[float, float, int]:
    """Duration (s), RMS of the 16-bit samples, sample rate."""
    with wave.open(str(path)) as wav:
        assert wav.getsampwidth() == 2 and wav.getnchannels() == 1
        samples = array.array("h", wav.readframes(wav.getnframes()))
        return wav.getnframes() / wav.getframerate(), rms(samples), wav.getframerate()


def rms(samples) -> float:
    return (sum(s * s for s in samples) / max(1, len(samples))) ** 0.5


def espeak(text: str, voice: str, target: Path) -> bytes:
    subprocess.run([PROGRAM, "-v", voice, "-s", str(WORDS_PER_MINUTE), "-b", "1", "-w", str(target), text], check=True)
    return target.read_bytes()


def test_the_wav_of_a_page_lasts_as_its_words_and_is_not_silent(tmp_path):
    pages = sorted({words for _, _, words in readings()}, key=len)
    chosen = [pages[0], pages[len(pages) // 2], pages[-1]]  # the shortest, a middling one, the longest
    seconds_per_char = []
    for words in chosen:
        wav = Synthesis(words, tmp_path / "cache").run()
        duration, loudness, rate = wav_facts(wav)
        assert rate == 22050
        assert loudness > SILENCE_RMS * 5, f"{loudness:.0f}: silent"
        seconds_per_char.append(duration / len(words))
    # At 140 words a minute a Vietnamese syllable of about 4.5 letters takes ~0.4 s: 0.06-0.12 s a character.
    assert all(0.04 < s < 0.15 for s in seconds_per_char), seconds_per_char
    assert max(seconds_per_char) / min(seconds_per_char) < 1.8, seconds_per_char
    assert len(pages[-1]) > 4 * len(pages[0]), "the family spans short and long pages"


def test_the_vietnamese_voice_speaks(tmp_path):
    words = answer_reading(FEED.faq[0].questions[0])
    made = Synthesis(words, tmp_path / "cache").run().read_bytes()
    assert made == espeak(words, VOICE, tmp_path / "vi.wav")
    assert made != espeak(words, "en", tmp_path / "en.wav")


def test_the_cache_answers_again_without_the_engine(tmp_path):
    words = "Xin chào bà con."
    first = Synthesis(words, tmp_path).run()
    stamp = first.stat().st_mtime_ns
    again = Synthesis(words, tmp_path)
    assert again.run() == first and first.stat().st_mtime_ns >= stamp and not again.running
    assert Synthesis("Một câu khác.", tmp_path).run() != first


def test_the_cache_keeps_the_latest_and_drops_what_a_stopped_app_left(tmp_path):
    old = time.time() - 3600
    for i in range(KEPT_FILES + 5):
        (tmp_path / f"heard-{i:03}.wav").write_bytes(b"")
        os.utime(tmp_path / f"heard-{i:03}.wav", (old + i, old + i))
    (tmp_path / "left.123.part").write_bytes(b"half")
    os.utime(tmp_path / "left.123.part", (old, old))
    (tmp_path / "running.456.part").write_bytes(b"being made now")
    newest = Synthesis("Xin chào.", tmp_path).run()
    kept = sorted(f.name for f in tmp_path.iterdir())
    assert newest.name in kept and "running.456.part" in kept and "left.123.part" not in kept
    assert len([k for k in kept if k.endswith(".wav")]) == KEPT_FILES
    assert "heard-000.wav" not in kept and f"heard-{KEPT_FILES + 4:03}.wav" in kept, "the oldest heard go first"


def espeak_children() -> list[int]:
    """espeak-ng processes started by this test process."""
    me = str(os.getpid())
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("Name", "").strip() == PROGRAM and fields.get("PPid", "").strip() == me:
            found.append(int(status.parent.name))
    return found


def test_cancel_kills_the_engine_and_leaves_no_half_file(tmp_path):
    words = " ".join(w for _, _, w in readings()) * 3  # minutes of speech: still being made when cancelled
    synthesis = Synthesis(words, tmp_path)
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(_run(synthesis)))
    worker.start()
    deadline = time.monotonic() + 10
    while not synthesis.running and time.monotonic() < deadline:
        time.sleep(0.005)
    assert espeak_children(), "espeak-ng is running"
    synthesis.cancel()
    worker.join(10)
    assert outcome == ["cancelled"]
    assert espeak_children() == []
    assert list(tmp_path.iterdir()) == []
    late = Synthesis("Xin chào.", tmp_path)
    late.cancel()  # stopped before it began: it never starts
    assert _run(late) == "cancelled" and list(tmp_path.iterdir()) == []


def _run(synthesis):
    try:
        return synthesis.run()
    except SpeechCancelled:
        return "cancelled"


def test_the_setting():
    assert DisplaySettings().speech is True and DisplaySettings().speech_volume == 80
    with pytest.raises(ValueError):
        DisplaySettings(speech_volume=101)


# --- in the real window

COUNTER = {"mode": "counter", "idle_seconds": 15}
QUESTION = FEED.faq[0].questions[0]
# SDL's disk driver writes the mixed output as it plays: 16-bit stereo at 44100 Hz (the mixer's default).
DISK_BYTES_PER_SECOND = 44100 * 2 * 2


def played(raw: Path) -> list[float]:
    """The RMS of each tenth of a second SDL played."""
    samples = array.array("h", raw.read_bytes()[: len(raw.read_bytes()) // 4 * 4])
    step = DISK_BYTES_PER_SECOND // 2 // 10
    return [rms(samples[i:i + step]) for i in range(0, len(samples), step)]


@pytest.fixture
def run_with_sound(tmp_path, monkeypatch):
    """run_display with SDL's disk audio driver; returns what was shown and the file of what was played."""
    raw = tmp_path / "played.raw"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(raw))

    def run(steps, size=(1920, 1080), settings=COUNTER, **options):
        return run_display(tmp_path, REPO / "config", size=size, speed=1.0, seconds=90, steps=steps,
                           settings=settings, **options), raw
    return run


def to_answer():
    return [{"tap": [0.5, 0.5]}, {"tap_text": "Hỏi đáp chính sách"}, {"tap_text": FEED.faq[0].topic},
            {"tap_text": QUESTION.question}]


def children_check():
    """A harness step listing the display process's espeak-ng children."""
    return {"run": ["sh", "-c", f"ps -o comm= --ppid $PPID | grep -c '^{PROGRAM}$' || true"]}


def test_nghe_plays_the_answer_and_stops_when_the_page_closes(tmp_path, run_with_sound):
    steps = [*to_answer(), {"tap_text": "Nghe", "wait": 3}, {"look": True}, {"tap_text": "Quay lại", "wait": 3},
             children_check()]
    shown, raw = run_with_sound(steps)
    by_did = {a["did"]: a for a in shown["actions"]}
    assert "Nghe" in shown["actions"][3]["texts"], "the answer page has the button"
    assert by_did["tap `Nghe`"]["listen"][-1]["phase"] == "preparing"
    heard_seconds = played_until_left(shown, raw, "ListPage")
    wav_seconds = wav_facts(next((tmp_path / "state").rglob("*.wav")))[0]  # the one page's speech, cached
    assert wav_seconds > 6 and 1 < heard_seconds < wav_seconds - 2, (heard_seconds, wav_seconds)


def played_until_left(shown, raw: Path, back_to: str) -> float:
    """Checks a run of: to the page, Nghe, look, Quay lại (to `back_to`), children_check(): it
    played, stopped and unloaded on leaving, the engine gone, silence after; the seconds heard."""
    by_did = {a["did"]: a for a in shown["actions"]}
    listening = by_did["look"]
    assert listening["listen"] == [{"phase": "playing", "sound": True}] and "Dừng" in listening["texts"]
    left = by_did["tap `Quay lại`"]
    assert left["page"] == back_to
    assert left["listen"] == [{"phase": "finished", "sound": False}], "stopped and unloaded on leaving"
    assert shown["actions"][-1]["did"].endswith(": 0"), shown["actions"][-1]["did"]
    loudness = played(raw)
    heard = [i for i, level in enumerate(loudness) if level > SILENCE_RMS]
    assert heard, "SDL played the speech"
    assert all(level <= SILENCE_RMS for level in loudness[heard[-1] + 1:]), "silent after the page closed"
    assert len(loudness) - heard[-1] > 20, "and stayed silent for the rest of the run (3 s waited)"
    return (heard[-1] - heard[0]) / 10


def keep_shots(shots, size) -> None:
    """To look at them: SPEECH_SHOTS=folder."""
    if os.environ.get("SPEECH_SHOTS"):
        for shot in shots:
            target = Path(os.environ["SPEECH_SHOTS"]) / f"{size[0]}x{size[1]}-{shot.name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(shot.read_bytes())


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
def test_nghe_reads_my_delegates_and_stops_when_the_page_closes(tmp_path, run_with_sound, size):
    area = next(a for a in sorted_areas(FEED.areas) if all(level.people for level in my_delegates(FEED, a)))
    shot = tmp_path / "shots" / "my-delegates.png"
    steps = [{"tap": [0.5, 0.5]}, {"tap_text": "Đại biểu của bạn"}, {"tap_text": area.name},
             {"tap_text": "Nghe", "wait": 3}, {"look": True}, {"screenshot": str(shot)},
             {"tap_text": "Quay lại", "wait": 3}, children_check()]
    shown, raw = run_with_sound(steps, size=size, start_at=BEFORE_THE_MEETINGS.isoformat())
    by_did = {a["did"]: a for a in shown["actions"]}
    assert shown["actions"][2]["page"] == "AreaDelegatesPage" and "Nghe" in shown["actions"][2]["texts"]
    assert by_did["look"]["page"] == "AreaDelegatesPage"
    assert by_did[f"screenshot {shot}"]["problems"] == [] and by_did[f"screenshot {shot}"]["cut"] == []
    keep_shots([shot], size)
    assert played_until_left(shown, raw, "AreaPickerPage") < 10, "stopped on leaving: the reading lasts minutes"


def test_stop_repeat_and_going_home_silences_it(tmp_path, run_with_sound):
    steps = [*to_answer(), {"tap_texts": ["Nghe", "Dừng"], "wait": 2}, {"tap_text": "Dừng", "wait": 0.6},
             {"tap_text": "Nghe lại", "wait": 2},
             {"look": True}, {"tap_text": "Về màn hình chính"}, {"tap_text": "Quay lại", "wait": 2}, children_check()]
    shown, raw = run_with_sound(steps)
    states = [(a["did"], a.get("page"), a.get("listen", [{}])[-1].get("phase")) for a in shown["actions"]]
    assert states[4:9] == [
        ("tap Nghe Dừng", "ReadingPage", "preparing"),  # a double tap is one press
        ("tap `Dừng`", "ReadingPage", "finished"),
        ("tap `Nghe lại`", "ReadingPage", "preparing"), ("look", "ReadingPage", "playing"),
        ("tap `Về màn hình chính`", "HomePage", "finished")], states
    assert shown["actions"][9]["overlay"] is None, "back to the loop"
    assert shown["actions"][-1]["did"].endswith(": 0")
    loudness = played(raw)
    heard = [i for i, level in enumerate(loudness) if level > SILENCE_RMS]
    assert heard and len(loudness) - heard[-1] > 15


def test_a_resident_listening_is_not_idle(tmp_path, run_with_sound):
    resolution = max((s for s in FEED.slides if s.type == "resolution"), key=lambda s: len(resolution_reading(s)))
    steps = [{"tap": [0.5, 0.5]}, {"tap_text": "Nghị quyết"}, {"tap_text": f"{resolution.number} · {resolution.title}"},
             {"tap_text": "Nghe", "wait": COUNTER["idle_seconds"] + 1}, {"look": True}]
    shown, _ = run_with_sound(steps)
    still = shown["actions"][-1]
    assert still["overlay"] == "CounterView" and still["page"] == "ReadingPage" and still["countdown"] == 0
    assert still["listen"][-1]["phase"] == "playing"


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
def test_nghe_on_answer_resolution_and_delegates_pages(tmp_path, run_with_sound, size):
    resolution = next(s for s in FEED.slides if s.type == "resolution")
    delegates = next(s for s in FEED.slides if s.type == "delegates")
    shots = tmp_path / "shots"
    steps = [*to_answer(), {"screenshot": str(shots / "answer.png")}, {"tap_text": "Về màn hình chính"},
             {"tap_text": "Nghị quyết"}, {"tap_text": f"{resolution.number} · {resolution.title}"},
             {"tap_text": "Nghe", "wait": 1}, {"screenshot": str(shots / "resolution.png")},
             {"tap_text": "Về màn hình chính"}, {"tap_text": "Đại biểu của bạn"},
             {"tap_text": ALL_LISTS}, {"tap_text": " · ".join(filter(None, [delegates.titled_list, delegates.constituency]))},
             {"screenshot": str(shots / "delegates.png")}]
    shown, _ = run_with_sound(steps, size=size)
    reading = [a for a in shown["actions"] if a.get("page") == "ReadingPage" and a["did"].startswith("screenshot")]
    assert len(reading) == 3
    for action in reading:
        button = [t for t in action["targets"] if t["text"] == "" and t["h"] >= 1.2 * 96 * min(size) / 1080 - 1]
        assert button, "a button a quarter taller than the touch target"
        assert action["problems"] == [] and action["cut"] == [], (action["problems"], action["cut"])
    assert "Dừng" in reading[1]["texts"]
    keep_shots(shots.iterdir(), size)


def test_speech_off_means_no_button(tmp_path, run_with_sound):
    shown, _ = run_with_sound(to_answer(), settings={**COUNTER, "speech": False})
    answer = shown["actions"][-1]
    assert answer["page"] == "ReadingPage" and "Nghe" not in answer["texts"] and "listen" not in answer


def test_when_speech_cannot_be_made_the_button_says_so(tmp_path, run_with_sound):
    blocked = tmp_path / "state" / "ward-kiosk" / "cache"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the cache folder should be")  # the WAV cannot be written
    shown, _ = run_with_sound([*to_answer(), {"tap_text": "Nghe", "wait": 2}, {"look": True}])
    answer = shown["actions"][-1]
    assert answer["listen"] == [{"phase": "failed", "sound": False}]
    assert "Máy chưa đọc được, bà con nhờ cán bộ giúp" in answer["texts"] and "Nghe" in answer["texts"]
    assert any("Không đọc được trang" in line for line in shown["log"]), shown["log"]


def test_every_reading_is_at_the_display_volume(tmp_path, run_with_sound):
    levels = {}
    for volume in (40, 80):
        shown, raw = run_with_sound([*to_answer(), {"tap_text": "Nghe", "wait": 2.5}],
                                    settings={**COUNTER, "speech_volume": volume})
        heard = sorted(level for level in played(raw) if level > SILENCE_RMS / 4)
        assert len(heard) > 10, "two seconds and more of speech"
        levels[volume] = heard[len(heard) // 2]
        raw.unlink()
    assert 0.4 < levels[40] / levels[80] < 0.6, levels  # SDL's volume is linear: half the setting, half the level


def test_without_espeak_ng_the_counter_works_on_without_the_button(tmp_path, run_with_sound, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
    shown, _ = run_with_sound(to_answer())
    answer = shown["actions"][-1]
    assert answer["page"] == "ReadingPage" and "Nghe" not in answer["texts"]
    assert any("Không có espeak-ng" in line for line in shown["log"]), shown["log"]
