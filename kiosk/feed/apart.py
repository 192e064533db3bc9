"""A running display reads and checks a new feed in a child process at the lowest priority, and
takes back the checked result (pickled: a feed of 10,000 delegates is read back in some 50 ms).

Why not a thread: the check is a second or more of Python (the YAML, the schema, the media), and a
thread of the display competes with its window for the cores (a board without a GPU draws with
both of them) and for the interpreter; a thread at low priority holds the interpreter while it waits
for a core. A child at the lowest priority runs only on what the window leaves, and holds nothing
the window needs. Elsewhere (`kiosk validate`, `publish`, the office) load_feed runs where it is.

The child runs this module: `python -m kiosk.feed.apart FOLDER [DISPLAY_NAME]`, the result on its
standard output."""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
from pathlib import Path

from kiosk.feed.validate import LoadResult, load_feed

log = logging.getLogger(__name__)

LOWEST_PRIORITY = 19
CHILD_SECONDS = 600  # a feed at its size limit on a slow board, with every core busy drawing
ROOT = Path(__file__).resolve().parents[2]  # where `kiosk` is imported from, for the child


def load_feed_apart(folder: Path | str, display_name: str | None = None) -> LoadResult:
    """load_feed(folder, display_name) in a child process at the lowest priority. If the child
    cannot run or gives no result (no memory for a process, killed), the feed is read here instead,
    said in the log: a feed that is there is never left unread."""
    command = [sys.executable, "-m", __name__, str(folder)] + ([display_name] if display_name else [])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    try:
        child = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, env=env,
                               timeout=CHILD_SECONDS, check=False)
        if child.returncode == 0:
            return pickle.loads(child.stdout)  # our own child's bytes, not the feed's
        why = f"mã thoát {child.returncode}: {child.stderr.decode(errors='replace').strip()[-300:]}"
    except (OSError, subprocess.SubprocessError, pickle.UnpicklingError, EOFError) as error:
        why = str(error) or type(error).__name__
    log.warning("không kiểm tra được bản tin %s ở tiến trình riêng (%s); kiểm tra ngay tại đây", folder, why)
    return load_feed(folder, display_name=display_name)


def main(argv: list[str]) -> int:
    if hasattr(os, "nice"):
        os.nice(LOWEST_PRIORITY)
    folder, display_name = argv[0], (argv[1] if len(argv) > 1 else None)
    result = load_feed(folder, display_name=display_name)
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
