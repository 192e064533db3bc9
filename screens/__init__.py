"""The Kivy side: the app, its screens and widgets. Each screen's .kv file sits beside its .py.

Importing this package does nothing by itself: the composition root (screens/display.py) calls
pin_kivy_environment() before Kivy is first imported."""

import os
from pathlib import Path


def pin_kivy_environment(state_dir: Path | None = None) -> None:
    """Kivy's environment, fixed before Kivy is imported: our own KIVY_HOME in the display's state
    folder (so a stale ~/.kivy/config.ini cannot override our settings), no parsing of our command
    line, and SIGTERM left to us."""
    from kiosk.settings import default_state_dir

    kivy_home = Path(state_dir or default_state_dir()) / "kivy"
    kivy_home.mkdir(parents=True, exist_ok=True)
    os.environ["KIVY_HOME"] = str(kivy_home)
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    # SDL would turn SIGTERM into a window-close request, which a kiosk refuses; systemd's stop must work.
    os.environ["SDL_NO_SIGNAL_HANDLERS"] = "1"
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
