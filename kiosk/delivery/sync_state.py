"""Sync's own files in the state folder, read as hostile: sync.json (the server's validators,
the clock offset) and status.json (what `kiosk status` and the metrics report). Every field used
is checked; a damaged one is dropped and said, never trusted to decide anything."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

from kiosk.delivery import manifest as manifests
from kiosk.delivery.manifest import parse_moment
from kiosk.delivery.store import Store, read_json

MAX_OFFSET_SECONDS = (manifests.LATEST_MOMENT - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds()


def _text(value) -> bool:
    return isinstance(value, str) and len(value) <= 2000


def header_value(value) -> bool:  # sent back to the server: printable ASCII only, no line breaks
    return isinstance(value, str) and len(value) <= 300 and all(" " <= c <= "~" for c in value)


def _offset(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and abs(value) <= MAX_OFFSET_SECONDS)


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= manifests.MAX_VERSION


def _moment(value) -> bool:  # within what the tools can show in Hanoi time (year 9999 cannot be)
    moment = parse_moment(value)
    return moment is not None and manifests.EARLIEST_MOMENT <= moment < manifests.LATEST_MOMENT


def _counts(value) -> bool:
    return isinstance(value, dict) and all(_text(k) and _count(v) for k, v in value.items())


def _lines(value) -> bool:
    return isinstance(value, list) and all(_text(line) for line in value)


SYNC_FIELDS = {"url": _text, "manifest_sha256": _text, "etag": header_value, "last_modified": header_value,
               "clock_offset": _offset}
STATUS_FIELDS = {"feed_url": _text, "installed_version": _count, "installed_issued": _moment,
                 "installed_expires": _moment, "installed_at": _moment, "last_attempt": _moment,
                 "last_outcome": _text, "last_message": _text, "last_success": _moment, "last_error": _text,
                 "last_error_at": _moment, "last_error_kind": _text, "errors_total": _count,
                 "errors_by_kind": _counts, "clock_offset_seconds": _offset, "repaired": _lines}


def read_state(path: Path, fields: dict, problems: list[str] | None = None) -> dict:
    """A state file with every field we use checked: a damaged file or field is dropped and said
    in problems (the next write replaces it), never trusted to decide anything."""
    problems = [] if problems is None else problems
    data = read_json(path, problems)
    bad = sorted(key for key, check in fields.items() if data.get(key) is not None and not check(data[key]))
    if bad:
        problems.append(f"tệp trạng thái {path} có giá trị hỏng ({', '.join(bad)}); đã bỏ và ghi lại")
    return {key: value for key, value in data.items() if key not in bad}


def read_status(state_dir: Path, problems: list[str] | None = None) -> dict:
    """The status file's content ({} before the first cycle), damaged fields left out."""
    return read_state(Store(state_dir).status_file, STATUS_FIELDS, problems)
