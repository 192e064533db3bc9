"""Reports waiting for the broker: a JSON-lines file in the state folder, oldest first, bounded.

The link appends a report here before it tries to send it, and removes it only once the broker has
acknowledged it (QoS 1), so a report survives a broker that is down, a network that is gone and a
restart of the display; when there are more than MAX_ENTRIES the oldest are dropped."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)

SPOOL_FILE = "fleet-outbox.jsonl"
MAX_ENTRIES = 400  # more than a year of daily reports


class Spool:
    def __init__(self, state_dir: Path, max_entries: int = MAX_ENTRIES):
        self.path = Path(state_dir) / SPOOL_FILE
        self.max_entries = max_entries
        self._lock = threading.Lock()

    def entries(self) -> list[dict]:
        try:
            lines = self.path.read_bytes().split(b"\n")
        except FileNotFoundError:
            return []
        except OSError as error:
            log.warning("không đọc được %s: %s", self.path, error)
            return []
        found = []
        for line in lines:
            try:
                entry = json.loads(line) if line.strip() else None
            except ValueError:
                entry = None  # a line torn by a power cut
            if isinstance(entry, dict) and isinstance(entry.get("topic"), str) and "payload" in entry:
                found.append(entry)
        return found

    def append(self, topic: str, payload: dict) -> None:
        with self._lock:
            entries = self.entries() + [{"topic": topic, "payload": payload}]
            dropped = len(entries) - self.max_entries
            if dropped > 0:
                log.warning("hàng chờ gửi về văn phòng đầy: bỏ %d báo cáo cũ nhất", dropped)
                entries = entries[dropped:]
            self._write(entries)

    def first(self) -> dict | None:
        with self._lock:
            entries = self.entries()
        return entries[0] if entries else None

    def remove_first(self, entry: dict) -> None:
        """Drop the oldest entry if it is still `entry` (sent and acknowledged)."""
        with self._lock:
            entries = self.entries()
            if entries and entries[0] == entry:
                self._write(entries[1:])

    def _write(self, entries: list[dict]) -> None:
        """All of it at once, through a temporary file and a rename: never half a spool."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            with temporary.open("wb") as out:
                for entry in entries:
                    out.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
                out.flush()
                os.fsync(out.fileno())
            temporary.replace(self.path)
        except OSError as error:
            log.warning("không ghi được %s: %s", self.path, error)
