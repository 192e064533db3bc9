"""The README's Layout section names every module where it lives, so a newcomer finds a thing
from the tree alone (and a new module that is not named there fails here)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ("kiosk", "kiosk/feed", "kiosk/play", "kiosk/delivery", "kiosk/ops", "kiosk/fleet", "screens", "screens/slides", "office")


def layout_rows() -> dict[str, str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return {m["folder"]: m["what"] for m in re.finditer(r"^\| `(?P<folder>[^`]+)/` \| (?P<what>.*) \|$", section, re.M)}


def test_every_module_is_named_in_its_folders_row():
    rows = layout_rows()
    unnamed = []
    for folder in FOLDERS:
        # a package inside a folder is described in its parent's row (screens/slides/ in screens/)
        row = rows.get(folder) or rows.get(folder.rsplit("/", 1)[0], "")
        for module in sorted((REPO / folder).glob("*.py")):
            if module.name not in ("__init__.py", "__main__.py") and f"`{module.name}`" not in row:
                unnamed.append(f"{folder}/{module.name}")
    assert unnamed == [], f"modules the README's Layout section does not name: {unnamed}"


def test_every_folder_named_in_the_layout_exists():
    assert [folder for folder in layout_rows() if not (REPO / folder).is_dir()] == []
