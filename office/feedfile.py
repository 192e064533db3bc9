"""The feed folder's feed.yaml as the console reads and writes it.

Read and written round-trip (ruamel.yaml), so that staff who also edit the file by hand keep their
comments, order and quoting. Every write is checked first by kiosk.feed.validate on the candidate text
(against the feed folder's media, which the check only reads) and written atomically; a file that
changed since the form was opened is never overwritten (the version token is the file's hash)."""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from kiosk.feed.problems import Problem
from kiosk.delivery.store import atomic_write
from kiosk.feed.validate import FEED_FILE, LoadResult, check_document
from kiosk.feed.yamlsource import Document, load_yaml

SEEN_VERSIONS = 50
SHOWN_NAME = FEED_FILE  # problems name the file as staff know it


def _yaml() -> YAML:
    # The sample feed's layout (keys indented 2, list items "  - "); width high so lines are not re-wrapped.
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.preserve_quotes = True
    return yaml


def token_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:20]


def dump(data: Any) -> bytes:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue().encode("utf-8")


def load_round_trip(raw: bytes) -> Any:
    return _yaml().load(raw)


@dataclass
class Checked:
    """A feed text with what kiosk.feed.validate says of it, each problem placed at its data path."""

    raw: bytes
    result: LoadResult
    doc: Document | None
    placed: list[tuple[tuple | None, Problem]] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return self.result.errors

    def by_path(self) -> dict[str, list[Problem]]:
        """Problems keyed by dotted path ("slides.3.title"), for showing next to form fields."""
        found: dict[str, list[Problem]] = {}
        for path, problem in self.placed:
            found.setdefault(dotted(path) if path is not None else "", []).append(problem)
        return found


def dotted(path: tuple) -> str:
    return ".".join(str(part) for part in path)


def check(raw: bytes, folder: Path) -> Checked:
    doc, problems = load_yaml(raw, SHOWN_NAME)
    if doc is None:
        result = LoadResult(None, problems)
        return Checked(raw, result, None, [(None, p) for p in problems])
    result = check_document(doc, folder, problems)
    return Checked(raw, result, doc, _place(doc, result.problems))


def _place(doc: Document, problems: list[Problem]) -> list[tuple[tuple | None, Problem]]:
    """The data path each problem points at, found from where the validator says it stands."""
    at: dict[tuple[int, int], tuple] = {}
    for spots in (doc.keys, doc.values):
        for path, spot in spots.items():
            known = at.get((spot.line, spot.column))
            if known is None or len(path) > len(known):
                at[(spot.line, spot.column)] = path
    placed = []
    for problem in problems:
        path = at.get((problem.line, problem.column))
        missing = _missing_field(problem.message)
        if path is not None and missing:
            path = path + (missing,)
        placed.append((path, problem))
    return placed


def _missing_field(message: str) -> str | None:
    prefix = "thiếu trường bắt buộc `"
    if message.startswith(prefix) and message.endswith("`"):
        return message[len(prefix):-1]
    return None


class Conflict(Exception):
    """The file changed since the form was opened."""


class Refused(Exception):
    """The candidate feed has errors; nothing was written."""

    def __init__(self, checked: Checked):
        super().__init__("; ".join(str(p) for p in checked.errors))
        self.checked = checked


@dataclass
class Snapshot:
    raw: bytes
    token: str
    data: Any  # round-trip data, or None when the file is not YAML at all
    checked: Checked


class FeedFile:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / FEED_FILE
        self._lock = threading.Lock()
        self._cache: tuple[tuple, Snapshot] | None = None
        self._seen: dict[str, bytes] = {}  # recent versions by token: the base of forms still open

    def _stamp(self) -> tuple:
        stat = self.path.stat()
        return stat.st_mtime_ns, stat.st_size, stat.st_ino

    def read(self) -> Snapshot:
        """The file as it is on disk now: a hand edit is seen on the next request."""
        stamp = self._stamp()
        if self._cache and self._cache[0] == stamp:
            return self._cache[1]
        raw = self.path.read_bytes()
        try:
            data = load_round_trip(raw)
        except YAMLError:
            data = None
        return self._remember(stamp, Snapshot(raw, token_of(raw), data, check(raw, self.folder)))

    def _remember(self, stamp: tuple, snapshot: Snapshot) -> Snapshot:
        self._cache = (stamp, snapshot)
        self._seen[snapshot.token] = snapshot.raw
        while len(self._seen) > SEEN_VERSIONS:
            self._seen.pop(next(iter(self._seen)))
        return snapshot

    def version(self, token: str) -> Any:
        """The round-trip data of a version read recently, or None."""
        raw = self._seen.get(token)
        return load_round_trip(raw) if raw is not None else None

    def token(self) -> str:
        return token_of(self.path.read_bytes())

    def save(self, data: Any, base_token: str) -> Snapshot:
        """Write data if the file is still the one the form was made from and the result is valid."""
        candidate = dump(data)
        checked = check(candidate, self.folder)
        with self._lock:
            if token_of(self.path.read_bytes()) != base_token:
                raise Conflict()
            if checked.errors:
                raise Refused(checked)
            atomic_write(self.path, candidate)
            # What was written is what was checked: no second read of a large file.
            return self._remember(self._stamp(), Snapshot(candidate, token_of(candidate), data, checked))


def merge(base: Any, mine: Any, theirs: Any) -> Any:
    """Theirs (the file now) with my changes to base applied: what neither changed stays theirs,
    what only I changed becomes mine; where both changed one value, mine wins (and the staff
    member sees it before saving)."""
    if mine == base:
        return theirs
    if theirs == base:
        return mine
    if isinstance(base, dict) and isinstance(mine, dict) and isinstance(theirs, dict):
        for key in list(dict.fromkeys([*theirs, *mine])):
            if key not in mine and key in base:
                if theirs.get(key) == base[key]:
                    theirs.pop(key, None)
                continue
            if key in mine:
                theirs[key] = merge(base.get(key), mine[key], theirs.get(key))
        return theirs
    if isinstance(base, list) and isinstance(mine, list) and isinstance(theirs, list) \
            and len(base) == len(mine) == len(theirs):
        for index in range(len(theirs)):
            theirs[index] = merge(base[index], mine[index], theirs[index])
        return theirs
    return mine
