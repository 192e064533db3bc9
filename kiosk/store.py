"""The display's copy of the feed on disk, laid out so that a crash or a power cut at any moment
leaves either the old or the new feed installed, complete.

    STATE/feed/current          symlink -> versions/<name>, replaced by rename: the installed feed
    STATE/feed/versions/<name>  one complete feed folder per version (feed.yaml, media/...),
                                with the signed manifest beside it (.manifest.json, .manifest.json.sig)
    STATE/feed/objects/<sha256> verified files, by hash: the download cache
    STATE/feed/partial/<sha256> downloads not finished yet (resumed with Range)
    STATE/feed/sync.json        what the syncer remembers (ETag, newest issue time, clock offset)
    STATE/status.json           what `kiosk status` prints

Version folders are filled with hard links to the objects (a copy where links are impossible),
so installing costs no second copy and removing an object never touches an installed feed."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kiosk.manifest import FEED_FILE, FileEntry, Manifest, parse

INSTALLED_MANIFEST = ".manifest.json"
INSTALLED_SIGNATURE = ".manifest.json.sig"
STATUS_FILE = "status.json"
_VERSION_NAME = re.compile(r"^v[0-9]{8}-[0-9a-f]{12}$")
_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()

Checkpoint = Callable[[str], None]


def _nothing(step: str) -> None:
    pass


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write data to path through a temporary file, fsync, rename, fsync the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600; a web server must be able to read what publish writes
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_dir(path.parent)


def read_json(path: Path) -> dict:
    """A small JSON state file; an unreadable or damaged one counts as empty."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_json(path: Path, data: dict) -> None:
    atomic_write(path, (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8"))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Installed:
    folder: Path
    manifest: Manifest
    raw: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


class Store:
    def __init__(self, state_dir: Path, checkpoint: Checkpoint | None = None):
        self.state_dir = Path(state_dir)
        self.root = self.state_dir / "feed"
        self.current = self.root / "current"
        self.versions = self.root / "versions"
        self.objects = self.root / "objects"
        self.partial = self.root / "partial"
        self.sync_file = self.root / "sync.json"
        self.status_file = self.state_dir / STATUS_FILE
        self.checkpoint = checkpoint or _nothing

    # ------------------------------------------------------------------ locking

    @contextlib.contextmanager
    def locked(self):
        """One sync at a time: across threads of this process and across processes."""
        for folder in (self.versions, self.objects, self.partial):
            folder.mkdir(parents=True, exist_ok=True)
        key = self.root.resolve()
        with _locks_guard:
            thread_lock = _locks.setdefault(key, threading.Lock())
        with thread_lock:
            fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield self
            finally:
                os.close(fd)  # also releases the flock

    # ------------------------------------------------------------------ reading

    def current_folder(self) -> Path | None:
        """The installed version folder, read through the pointer; None when nothing is installed."""
        try:
            target = os.readlink(self.current)
        except OSError:
            return None
        parts = target.split("/")
        if len(parts) != 2 or parts[0] != "versions" or not _VERSION_NAME.match(parts[1]):
            return None
        folder = self.versions / parts[1]
        if not (folder / INSTALLED_MANIFEST).is_file() or not (folder / FEED_FILE).is_file():
            return None
        return folder

    def installed(self) -> Installed | None:
        folder = self.current_folder()
        if folder is None:
            return None
        try:
            raw = (folder / INSTALLED_MANIFEST).read_bytes()
            return Installed(folder, parse(raw), raw)
        except (OSError, ValueError):
            return None

    # ------------------------------------------------------------------ the download cache

    def object_path(self, entry: FileEntry) -> Path:
        return self.objects / entry.sha256

    def partial_path(self, entry: FileEntry) -> Path:
        return self.partial / entry.sha256

    def has_object(self, entry: FileEntry, installed: Installed | None) -> bool:
        """Whether the file is cached; a file of the installed feed is taken back into the cache."""
        target = self.object_path(entry)
        with contextlib.suppress(OSError):
            if target.stat().st_size == entry.size:
                return True
        if installed is None:
            return False
        for old in installed.manifest.files:
            if old.sha256 == entry.sha256 and old.size == entry.size:
                source = installed.folder / old.path
                with contextlib.suppress(OSError):
                    self._link_or_copy(source, target)
                    return True
        return False

    def adopt(self, entry: FileEntry, part: Path) -> None:
        """Move a verified download into the cache (fsync first: a cached object is always whole)."""
        with open(part, "rb+") as data:
            os.fsync(data.fileno())
        os.replace(part, self.object_path(entry))
        fsync_dir(self.objects)
        self.checkpoint("adopted")

    # ------------------------------------------------------------------ installing

    @staticmethod
    def version_name(manifest: Manifest, digest: str) -> str:
        return f"v{manifest.version:08d}-{digest[:12]}"

    def _link_or_copy(self, source: Path, target: Path) -> None:
        try:
            os.link(source, target)
        except FileExistsError:
            os.unlink(target)
            os.link(source, target)
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise
            shutil.copyfile(source, target)
            with open(target, "rb+") as copy:  # a link shares the fsynced data; a copy needs its own
                os.fsync(copy.fileno())

    def build_version(self, manifest: Manifest, raw: bytes, signature: bytes, digest: str) -> Path:
        """A complete, fsynced folder for the new version, not yet installed."""
        folder = self.versions / self.version_name(manifest, digest)
        if folder.exists():
            shutil.rmtree(folder)  # a leftover of an interrupted run; never the current one
        folder.mkdir()
        made = {folder}
        for entry in manifest.files:
            target = folder / entry.path
            if not target.resolve().is_relative_to(folder.resolve()):
                raise ValueError(entry.path)  # check_name already refused it; belt and braces
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
            self._link_or_copy(self.object_path(entry), target)
            self.checkpoint("linked")
        atomic_write(folder / INSTALLED_SIGNATURE, signature)
        atomic_write(folder / INSTALLED_MANIFEST, raw)
        for path in sorted(made, key=lambda p: len(p.parts), reverse=True):
            fsync_dir(path)
        fsync_dir(self.versions)
        self.checkpoint("built")
        return folder

    def discard(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    def switch_to(self, folder: Path) -> None:
        """Point `current` at folder in one atomic rename."""
        pointer = self.root / "current.new"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(pointer)
        os.symlink(f"versions/{folder.name}", pointer)
        self.checkpoint("pointer-made")
        os.replace(pointer, self.current)
        fsync_dir(self.root)
        self.checkpoint("switched")

    def collect_garbage(self, manifest: Manifest, keep: Path | None) -> None:
        """Remove what the installed feed no longer uses: cached objects and half downloads of
        other files, and every version folder but the installed one and `keep` (the one just
        replaced, which the running app may still be reading until its next slide)."""
        current = self.current_folder()
        wanted = {entry.sha256 for entry in manifest.files}
        for folder in self.versions.iterdir():
            if folder != current and folder != keep:
                shutil.rmtree(folder, ignore_errors=True)
                self.checkpoint("removed-version")
        for store in (self.objects, self.partial):
            for item in store.iterdir():
                if item.name not in wanted:
                    with contextlib.suppress(OSError):
                        item.unlink()
                    self.checkpoint("removed-object")
