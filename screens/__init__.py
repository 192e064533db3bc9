"""The Kivy side: the app, its screens and widgets. Each screen's .kv file sits beside its .py.

Importing this package pins Kivy's environment before Kivy itself is imported: our own KIVY_HOME
(so a stale ~/.kivy/config.ini cannot override our settings), no parsing of our command line, and
SIGTERM left to us."""

import os
from pathlib import Path


def _state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "ward-kiosk"


_kivy_home = _state_dir() / "kivy"
_kivy_home.mkdir(parents=True, exist_ok=True)
os.environ["KIVY_HOME"] = str(_kivy_home)
os.environ.setdefault("KIVY_NO_ARGS", "1")
# SDL would turn SIGTERM into a window-close request, which a kiosk refuses; systemd's stop must work.
os.environ["SDL_NO_SIGNAL_HANDLERS"] = "1"
os.environ.setdefault("KIVY_NO_FILELOG", "1")
