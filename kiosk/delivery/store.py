"""The display's copy of the feed on disk, laid out so that a crash or a power cut at any moment
leaves either the old or the new feed installed, complete.

    STATE/feed/current          symlink -> versions/<name>, replaced by rename: the installed feed
    STATE/feed/versions/<name>  one complete feed folder per version (feed.yaml, media/...),
                                with the signed manifest beside it (.manifest.json, .manifest.json.sig)
    STATE/feed/objects/<sha256> verified files, by hash: the download cache
    STATE/feed/partial/<sha256> downloads not finished yet (resumed with Range)
    STATE/feed/sync.json        what the syncer remembers (ETag, newest issue time, clock offset)
    STATE/status.json           what `kiosk status` prints
    STATE/trust.json            the root and publishing key the display follows (kiosk.delivery.trust)

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
import stat
import tempfile
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kiosk.delivery.manifest import FEED_FILE, MAX_MANIFEST_BYTES, MAX_VERSION, FileEntry, Manifest, parse

INSTALLED_MANIFEST = ".manifest.json"
INSTALLED_SIGNATURE = ".manifest.json.sig"
STATUS_FILE = "status.json"
TRUST_FILE = "trust.json"  # kiosk.delivery.trust's record of the root and delegation a display follows
_VERSION_DIGITS = len(str(MAX_VERSION))
_VERSION_NAME = re.compile(rf"^v[0-9]{{8,{_VERSION_DIGITS}}}-[0-9a-f]{{12}}$")
_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()

Checkpoint = Callable[[str], None]
log = logging.getLogger("kiosk.delivery.sync")


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


MAX_STATE_BYTES = 1024 * 1024


def read_small(path: Path, limit: int = MAX_STATE_BYTES) -> bytes:
    """A small regular file's bytes, never through a link, never blocking on a FIFO or a device,
    never more than limit. OSError (ELOOP for a link) when it is not such a file."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            raise OSError(errno.EINVAL, "không phải tệp thường, hoặc quá lớn", str(path))
        with os.fdopen(fd, "rb", closefd=False) as source:
            return source.read(limit + 1)[:limit]
    finally:
        os.close(fd)


def read_json(path: Path, problems: list[str] | None = None) -> dict:
    """A small JSON state file; a missing one counts as empty, and so does a damaged one (a link,
    bad JSON, not an object), which is then said in problems."""
    try:
        data = json.loads(read_small(path).decode("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, RecursionError) as error:
        data = error
    if isinstance(data, dict):
        return data
    if problems is not None:
        problems.append(f"tệp trạng thái {path} hỏng ({'liên kết' if os.path.islink(path) else 'không đọc được'}); "
                        f"đã bỏ và ghi lại")
    return {}


def write_json(path: Path, data: dict) -> None:
    atomic_write(path, (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8"))


def open_nofollow(path: Path, flags: int = os.O_RDONLY, mode: int = 0o644):
    """A file object for path opened without following a link (ELOOP when path is one)."""
    fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    return os.fdopen(fd, "rb" if flags == os.O_RDONLY else ("ab" if flags & os.O_APPEND else "wb"))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open_nofollow(path) as source:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _is_regular(path: Path, size: int | None = None) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and (size is None or info.st_size == size)


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
        """One sync at a time: across threads of this process and across processes. Inside, the
        folders are real folders (no planted links) and killed writes have left no temporary files."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._real_folder(self.root)
        key = self.root.resolve()
        with _locks_guard:
            thread_lock = _locks.setdefault(key, threading.Lock())
        with thread_lock:
            fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._tidy()
                yield self
            finally:
                os.close(fd)  # also releases the flock

    def _real_folder(self, folder: Path) -> None:
        """folder as a real folder: a link or a file in its place is removed (never what it points to)."""
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            log.warning("Thư mục trạng thái: `%s` là liên kết hoặc tệp lạ, không phải thư mục; đã gỡ", folder)
            folder.unlink()
        folder.mkdir(exist_ok=True)

    def _tidy(self) -> None:
        """Remove what must not be here: links planted among our files (they would send a download
        or a cleanup elsewhere) and the temporary files of writes that were killed."""
        for folder in (self.versions, self.objects, self.partial):
            self._real_folder(folder)
        for folder, of_folders in ((self.objects, False), (self.partial, False), (self.versions, True)):
            for item in folder.iterdir():
                if item.is_symlink() or (item.is_dir() != of_folders) or (not of_folders and not _is_regular(item)):
                    log.warning("Thư mục trạng thái: đã gỡ `%s` (liên kết hoặc tệp lạ)", item)
                    if item.is_dir() and not item.is_symlink():
                        shutil.rmtree(item, ignore_errors=True)
                    else:
                        item.unlink()
        for folder, name in ((self.state_dir, STATUS_FILE), (self.state_dir, TRUST_FILE),
                             (self.root, self.sync_file.name)):
            for temp in folder.glob(f".{name}.*.tmp"):
                with contextlib.suppress(OSError):
                    temp.unlink()

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
        if folder.is_symlink() or not (folder / INSTALLED_MANIFEST).is_file() or not (folder / FEED_FILE).is_file():
            return None
        return folder

    def installed(self) -> Installed | None:
        folder = self.current_folder()
        if folder is None:
            return None
        try:
            raw = read_small(folder / INSTALLED_MANIFEST, MAX_MANIFEST_BYTES)
            return Installed(folder, parse(raw), raw)
        except (OSError, ValueError):
            return None

    # ------------------------------------------------------------------ the download cache

    def object_path(self, entry: FileEntry) -> Path:
        return self.objects / entry.sha256

    def partial_path(self, entry: FileEntry) -> Path:
        return self.partial / entry.sha256

    def has_object(self, entry: FileEntry, installed: Installed | None) -> bool:
        """Whether the file is cached, its bytes checked against the signed hash (a damaged or
        swapped object is removed); a good file of the installed feed is taken back into the cache."""
        target = self.object_path(entry)
        if self._holds(target, entry):
            return True
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)
        if installed is None:
            return False
        for old in installed.manifest.files:
            source = installed.folder / old.path
            if old.sha256 == entry.sha256 and self._holds(source, entry):
                with contextlib.suppress(OSError):
                    self._link_or_copy(source, target)
                    return True
        return False

    @staticmethod
    def _holds(path: Path, entry: FileEntry) -> bool:
        try:
            return _is_regular(path, entry.size) and file_sha256(path) == entry.sha256
        except OSError:
            return False

    def open_partial(self, entry: FileEntry, append: bool):
        """The half download of entry, for writing (never through a link)."""
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        return open_nofollow(self.partial_path(entry), flags)

    def partial_size(self, entry: FileEntry) -> int:
        try:
            return os.lstat(self.partial_path(entry)).st_size
        except FileNotFoundError:
            return 0

    def adopt(self, entry: FileEntry, part: Path) -> None:
        """Move a verified download into the cache (fsync first: a cached object is always whole)."""
        with open_nofollow(part, os.O_WRONLY | os.O_APPEND) as data:
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
        if current is None:  # the pointer just made is not readable: remove nothing, the next cycle sees
            log.warning("Thư mục trạng thái: không đọc được `current` sau khi cài; không dọn phiên bản cũ")
            return
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
