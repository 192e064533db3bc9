"""Delegates' meetings with residents: which are still to come (judged with the display's trusted
time, never the feed's age), which an area is invited to, and each as an iCalendar event small
enough for a QR code a phone reads at arm's length."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Sequence
from urllib.parse import urlsplit

from kiosk.feed.model import BODIES, FEED_ZONE, Area, Meeting, Ward, area_lists, coming_meetings, match_key

# What a QR code of version 14 holds at error correction M (73 modules a side): past it the code
# gets dense for an old phone's camera, so the description gives way first.
ICS_MAX_BYTES = 362
LINE_OCTETS = 75  # RFC 5545 3.1: lines longer than this are folded


def wall_time(moment: datetime) -> datetime:
    """A moment as the feed's naive Hanoi wall time (the display clock gives that already)."""
    return moment.astimezone(FEED_ZONE).replace(tzinfo=None) if moment.tzinfo else moment


def invites(meeting: Meeting, area: Area, slides=()) -> bool:
    """Whether the meeting invites the area: by its name, by a constituency the area votes in (the
    one it names, or the one its delegates' list stands for), or because it invites the whole ward."""
    if meeting.open_to_all or match_key(area.name) in {match_key(name) for name in meeting.areas}:
        return True
    for body in BODIES:
        invited = {match_key(name) for name in meeting.constituencies.of(body)}
        if not invited:
            continue
        own = {match_key(slide.constituency) for slide in area_lists(area, body, slides) if slide.constituency}
        named = area.constituencies.of(body)
        if named:
            own.add(match_key(named))
        if own & invited:
            return True
    return False


def upcoming_meetings(meetings: Sequence[Meeting], now: datetime, area: Area | None = None, slides=(),
                      limit: int | None = None) -> list[Meeting]:
    """Meetings not yet over at `now`, soonest first: those the area is invited to, or all of them
    (the loop's "next N meetings"); a meeting under way is still listed until it ends."""
    coming = [meeting for meeting in coming_meetings(meetings, wall_time(now))
              if area is None or invites(meeting, area, slides)]
    return coming[:limit] if limit is not None else coming


def next_change(meetings: Sequence[Meeting], now: datetime) -> datetime | None:
    """When the list of upcoming meetings next loses one: the soonest end still ahead."""
    now = wall_time(now)
    return min((meeting.ends_at for meeting in meetings if meeting.ends_at > now), default=None)


# ------------------------------------------------------------------------------ iCalendar (RFC 5545)

def _utc(moment: datetime) -> str:
    return wall_time(moment).replace(tzinfo=FEED_ZONE).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def escape_text(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, newlines as \\n."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold_line(line: str) -> str:
    """One content line folded so no line exceeds 75 octets of UTF-8, never inside a character; a
    continuation starts with a space, which counts."""
    pieces, current, size = [], "", 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        room = LINE_OCTETS - (1 if pieces else 0)
        if size + width > room:
            pieces.append(current)
            current, size = "", 0
        current += ch
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def meeting_uid(meeting: Meeting, ward: Ward) -> str:
    """The same meeting keeps one UID from one feed to the next, so a phone updates, not doubles, it."""
    host = urlsplit(ward.website.url).hostname or "kiosk"
    what = "\n".join([meeting.kind, meeting.date.isoformat(), meeting.start.isoformat(), match_key(meeting.place)])
    return f"{hashlib.sha256(what.encode('utf-8')).hexdigest()[:10]}@{host}"


def _descriptions(meeting: Meeting) -> list[str]:
    """The description, fullest first: delegates and note, delegates alone, nothing (a name cut
    short would read as a delegate missing)."""
    delegates = "Đại biểu: " + ", ".join(meeting.delegates) + "." if meeting.delegates else ""
    fullest = " ".join(filter(None, [delegates, meeting.note]))
    return list(dict.fromkeys([fullest, delegates, ""]))


def calendar_event(meeting: Meeting, ward: Ward, stamp: datetime) -> str:
    """An iCalendar object with one VEVENT for the meeting, CRLF line endings, times in UTC (Hanoi
    keeps +07:00 all year, and a TZID would need a VTIMEZONE block as long as the event). `stamp`
    is the display's trusted time, for DTSTAMP. The description gives way, the note first, to keep
    the whole within ICS_MAX_BYTES; the title, time and place always stay."""
    for description in _descriptions(meeting):
        text = _calendar_text(meeting, ward, stamp, description)
        if len(text.encode("utf-8")) <= ICS_MAX_BYTES:
            break
    return text


def _calendar_text(meeting: Meeting, ward: Ward, stamp: datetime, description: str) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//ward-kiosk//VI",
        "BEGIN:VEVENT",
        f"UID:{meeting_uid(meeting, ward)}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(meeting.starts_at)}",
        f"DTEND:{_utc(meeting.ends_at)}",
        f"SUMMARY:{escape_text(meeting.heading)}",
        f"LOCATION:{escape_text(meeting.place)}",
    ]
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold_line(line) + "\r\n" for line in lines)
