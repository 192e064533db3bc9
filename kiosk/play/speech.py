"""Text to speech with espeak-ng (Debian's package, offline): a WAV file per text, kept in the
display's cache folder so that "Nghe lại" and the next resident on the same page wait for nothing.

Debian has no better Vietnamese voice to install (no MBROLA, RHVoice, Festival or Pico voice for
Vietnamese); espeak-ng's Northern voice is the one closest to how Hà Nội speaks."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

PROGRAM = "espeak-ng"
VOICE = "vi"  # Northern Vietnamese; espeak-ng also has vi-vn-x-central and vi-vn-x-south
WORDS_PER_MINUTE = 140  # espeak-ng's 175 is too fast for many older residents
KEPT_FILES = 64  # the cache holds about this many pages' speech (each under a megabyte a minute)
STALE_PART_SECONDS = 600  # a partial file this old was left by an app stopped while it spoke


class SpeechFailed(Exception):
    """espeak-ng could not speak the text (in words for the log)."""


class SpeechCancelled(Exception):
    """The synthesis was stopped before it finished."""


def engine_available() -> bool:
    return shutil.which(PROGRAM) is not None


class Synthesis:
    """One text being made into a WAV file, in a worker thread; cancel() from any thread kills its
    espeak-ng process at once, or keeps it from starting."""

    def __init__(self, text: str, cache: Path):
        self.text = text
        self.target = Path(cache) / f"{hashlib.sha256(f'{VOICE} {WORDS_PER_MINUTE} {text}'.encode()).hexdigest()[:24]}.wav"
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._cancelled = False

    def run(self) -> Path:
        """The WAV file of the text (made now, or found in the cache). Blocks; never on Kivy's thread."""
        if self.target.exists():
            os.utime(self.target)  # recently heard: kept longest
            return self.target
        self.target.parent.mkdir(parents=True, exist_ok=True)
        partial = self.target.with_suffix(f".{threading.get_ident()}.part")
        with self._lock:
            if self._cancelled:
                raise SpeechCancelled
            # The text on standard input: no length limit, and a text starting with "-" is not an option.
            self._process = subprocess.Popen([PROGRAM, "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-b", "1",
                                              "--stdin", "-w", str(partial)], stdin=subprocess.PIPE,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _, errors = self._process.communicate(self.text.encode("utf-8"))
        finally:
            with self._lock:
                code, self._process = self._process.returncode, None
        if self._cancelled or code != 0:
            partial.unlink(missing_ok=True)
            if self._cancelled:
                raise SpeechCancelled
            raise SpeechFailed(f"{PROGRAM} dừng với mã {code}: {errors.decode(errors='replace').strip()[:200]}")
        partial.replace(self.target)  # whole or not at all: a killed run leaves no half file to play
        _prune(self.target.parent)
        return self.target

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._process is not None and self._process.poll() is None:
                self._process.kill()

    @property
    def running(self) -> bool:
        with self._lock:
            return self._process is not None


def _prune(cache: Path) -> None:
    """Keep the most recently heard KEPT_FILES files; remove partial files left behind."""
    heard = []
    for wav in cache.glob("*.wav"):
        try:
            heard.append((wav.stat().st_mtime, wav))
        except FileNotFoundError:  # pruned meanwhile by another page's synthesis
            continue
    for _, old in sorted(heard, reverse=True)[KEPT_FILES:]:
        old.unlink(missing_ok=True)
    now = time.time()
    for part in cache.glob("*.part"):
        try:
            if now - part.stat().st_mtime > STALE_PART_SECONDS:
                part.unlink()
        except FileNotFoundError:
            continue
