"""Usage counts and proof of play: what is written (and what is not), power cuts, rotation, disk
errors, and `kiosk stats` on a scripted visit."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from kiosk.ops.stats import PLAY_FILE, USAGE_FILE, JsonLinesLog, PlayLog, UsageLog, summarise

REPO = Path(__file__).resolve().parents[1]
DAY = date(2026, 12, 1)


def usage(state: Path) -> UsageLog:
    return UsageLog(state, today=lambda: DAY)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def kiosk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], cwd=REPO, capture_output=True, text=True)


def scripted_visit(state: Path) -> None:
    """Three residents at the counter, and a morning of the loop."""
    log = usage(state)
    log.record("menu", item="Hỏi đáp chính sách")
    log.record("topic", topic="Bầu cử năm 2026")
    log.record("question", topic="Bầu cử năm 2026", question="Năm 2026 có cuộc bầu cử nào?")
    log.record("question", topic="Bầu cử năm 2026", question="Năm 2026 có cuộc bầu cử nào?")
    log.record("menu", item="Tìm kiếm")
    log.record("search", query="nghị quyết", hits=2)
    log.record("search", query="Thuế nhà đất", hits=0)
    log.record("search", query="THUẾ NHÀ ĐẤT", hits=0)
    log.record("menu", item="Tìm kiếm")
    log.record("menu", item="Đại biểu của bạn")
    plays = PlayLog(state, display="mot-cua-1")
    for minute in range(0, 60, 2):
        plays.record("nq-05", datetime(2026, 12, 1, 7, minute), 25)
    plays.record("video-nhiem-ky-moi", datetime(2026, 12, 1, 8, 0, 30), 42.5)


def test_kiosk_stats_shows_the_counts_of_a_scripted_visit(tmp_path):
    scripted_visit(tmp_path)
    run = kiosk("stats", "--state", str(tmp_path))
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Số liệu sử dụng từ 01/12/2026 đến 01/12/2026" in out
    assert "\n       2  Tìm kiếm\n" in out and "\n       1  Hỏi đáp chính sách\n" in out
    assert "\n       1  Bầu cử năm 2026\n" in out
    assert "\n       2  Bầu cử năm 2026 › Năm 2026 có cuộc bầu cử nào?\n" in out
    assert "Tìm kiếm: 3 lượt, 2 lượt không tìm thấy." in out
    assert "\n       2  “thue nha dat”\n" in out
    assert "nghi quyet" not in out, "a search that found something keeps no words"
    assert "(màn hình: mot-cua-1)" in out
    assert "\n      30 lượt         12 phút  nq-05\n" in out
    assert "\n       1 lượt         42 giây  video-nhiem-ky-moi\n" in out


def test_kiosk_stats_on_a_display_with_nothing_recorded(tmp_path):
    run = kiosk("stats", "--state", str(tmp_path / "none"))
    assert run.returncode == 0, run.stderr
    assert "Chưa có lượt sử dụng màn hình cảm ứng nào được ghi." in run.stdout
    assert "Lượt chiếu" not in run.stdout


def test_kiosk_stats_finds_the_state_folder_in_the_display_settings(tmp_path):
    usage(tmp_path / "state").record("menu", item="Liên kết")
    config = tmp_path / "display.yaml"
    config.write_text(f"state_dir: {tmp_path / 'state'}\n", encoding="utf-8")
    run = kiosk("stats", "--config", str(config))
    assert run.returncode == 0, run.stderr
    assert "\n       1  Liên kết\n" in run.stdout


def test_what_is_written_names_no_one(tmp_path):
    log = usage(tmp_path)
    log.record("search", query="Nguyễn Văn An 0912 345 678 số nhà 12 ngõ 34 phố Tây Sơn", hits=0)
    log.record("search", query="nghị quyết", hits=3)
    log.record("search", query=" ", hits=0)
    written = lines(tmp_path / USAGE_FILE)
    assert written[0] == {"day": "2026-12-01", "event": "search", "hits": 0,
                          "term": "nguyen van an 0912 345 678 so nha 12 ngo"}
    assert written[1:] == [{"day": "2026-12-01", "event": "search", "hits": 3}]
    assert all(set(record) <= {"day", "event", "hits", "term"} for record in written)


def test_unknown_events_and_fields_are_refused(tmp_path):
    with pytest.raises(ValueError):
        usage(tmp_path).record("phone", number="0912345678")
    with pytest.raises(ValueError):
        usage(tmp_path).record("topic", topic="Bầu cử", name="Nguyễn Văn An")
    assert not (tmp_path / USAGE_FILE).exists()


def test_a_torn_last_line_is_skipped_and_the_next_event_starts_a_new_line(tmp_path):
    usage(tmp_path).record("menu", item="Tìm kiếm")
    with (tmp_path / USAGE_FILE).open("ab") as out:
        out.write('{"day":"2026-12-01","event":"top'.encode())  # the power went while writing
    assert summarise(tmp_path).damaged == 1
    usage(tmp_path).record("menu", item="Tìm kiếm")  # the display after the restart
    summary = summarise(tmp_path)
    assert summary.menu["Tìm kiếm"] == 2 and summary.damaged == 1


def test_a_zero_filled_tail_and_lines_not_ours_are_skipped(tmp_path):
    usage(tmp_path).record("menu", item="Tìm kiếm")
    with (tmp_path / USAGE_FILE).open("ab") as out:
        out.write(b"\0" * 300)  # what ext4 can leave after a power cut
    usage(tmp_path).record("topic", topic="Bầu cử")
    with (tmp_path / USAGE_FILE).open("ab") as out:
        out.write(b'{"day":"2026-12-01","event":"menu","item":"\xff\xfe"}\n[1, 2]\n')
        out.write(b'{"day":"2026-12-01","event":"menu","item":["x"]}\n{"event":"topic"}\n')
    summary = summarise(tmp_path)
    assert summary.menu == {"Tìm kiếm": 1} and summary.topics == {"Bầu cử": 1}
    assert summary.damaged == 5


def test_files_are_rotated_by_size_keeping_the_last_two(tmp_path):
    log = UsageLog(tmp_path, max_bytes=1000, today=lambda: DAY)
    for number in range(100):
        log.record("topic", topic=f"Chủ đề {number}")
    files = sorted(path.name for path in tmp_path.iterdir())
    assert files == ["usage.1.jsonl", "usage.jsonl"]
    assert all(path.stat().st_size <= 1000 for path in tmp_path.iterdir())
    kept = [int(record["topic"].split()[-1]) for record in JsonLinesLog(tmp_path / USAGE_FILE, 1000).read()[0]]
    assert kept == list(range(100 - len(kept), 100)) and len(kept) > 10, "the newest, oldest first"


def test_disk_errors_do_not_raise_and_are_said_once(tmp_path, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    log = usage(blocked)
    with caplog.at_level(logging.WARNING, logger="kiosk.ops.stats"):
        for _ in range(5):
            log.record("menu", item="Tìm kiếm")
    assert len(caplog.records) == 1 and "không ghi được" in caplog.records[0].getMessage()


def test_proof_of_play_is_summarised_per_slide(tmp_path):
    plays = PlayLog(tmp_path, display="nha-van-hoa-1")
    plays.record("nq-05", datetime(2026, 12, 1, 7, 30), 25)
    plays.record("nq-05", datetime(2026, 12, 1, 7, 40, 5), 25.04)
    plays.record("anh-bau-cu", datetime(2026, 12, 1, 7, 35), 12)
    assert lines(tmp_path / PLAY_FILE)[1] == {"slide": "nq-05", "start": "2026-12-01T07:40:05", "seconds": 25.0,
                                               "display": "nha-van-hoa-1"}
    summary = summarise(tmp_path)
    assert summary.plays == {"nq-05": 2, "anh-bau-cu": 1}
    assert summary.play_seconds["nq-05"] == pytest.approx(50)
    assert summary.play_starts == ["2026-12-01T07:30:00", "2026-12-01T07:40:05"]
    assert summary.displays == {"nha-van-hoa-1"}
