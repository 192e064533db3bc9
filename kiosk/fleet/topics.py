"""Topic names (the ACL in deploy/mosquitto/acl is written for these) and the JSON payloads."""

from __future__ import annotations

import json

ROOT = "ward"
STATUS = "status"  # retained; the last will says offline
REPORT = "report"  # one day's counts
SCREENSHOT = "screenshot"  # a JPEG
REPLY = "reply"  # a command the display did not carry out, and why
ALL = "all"
LATEST = f"{ROOT}/to/{ALL}/latest"  # retained: the newest published version
ANNOUNCE_SPREAD = 5.0  # seconds over which the displays sync after a publish, so not all at once

SYNC_NOW = "sync-now"
TAKE_SCREENSHOT = "screenshot"
SEND_REPORT = "report"
COMMANDS = (SYNC_NOW, TAKE_SCREENSHOT, SEND_REPORT)


def display_topic(display: str, kind: str) -> str:
    """Where display `display` publishes `kind`."""
    return f"{ROOT}/display/{display}/{kind}"


def command_topic(target: str) -> str:
    """Commands for one display, or for every display when target is ALL."""
    return f"{ROOT}/to/{target}/command"


def split_display_topic(topic: str) -> tuple[str, str] | None:
    """(display, kind) of a topic under ward/display/, else None."""
    parts = topic.split("/")
    if len(parts) == 4 and parts[0] == ROOT and parts[1] == "display" and parts[2]:
        return parts[2], parts[3]
    return None


def encode(message: dict) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode(payload: bytes) -> dict | None:
    """A JSON object, or None for anything else (a message is never trusted to be well formed)."""
    try:
        message = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    return message if isinstance(message, dict) else None


def whole_number(value) -> bool:
    """A count or version from a message: an int of 0 or more, not a bool (which Python counts as one)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
