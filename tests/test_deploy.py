"""The files in deploy/: systemd units checked by systemd itself, the install script's syntax and
list of units, and the X session script run for real with Xvfb in place of the display's X server.

(The whole install was followed by hand in a fresh Debian chroot and booted under systemd-nspawn;
that is too slow and needs too much of the machine for the test suite. See docs/install.md.)"""

from __future__ import annotations

import configparser
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
PREFIX = "/opt/ward-kiosk"  # where deploy/install.sh puts the program; the units name it
UNITS = sorted(p.name for p in DEPLOY.iterdir() if p.suffix in (".service", ".timer"))


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


# ---------------------------------------------------------------------------------- systemd-analyze


def _verify(folder: Path, names: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(["systemd-analyze", "verify", "--man=no", "--recursive-errors=no",
                           *(str(folder / name) for name in names)],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def units_here(tmp_path):
    """The units with /opt/ward-kiosk replaced by a folder of stub executables.

    `systemd-analyze verify` refuses a unit whose ExecStart= program does not exist or is not
    executable, and this machine has no /opt/ward-kiosk (deploy/install.sh makes it on a display).
    So the units are copied with their paths pointing into tmp_path, where a stub stands for each
    program they run; everything else in them is checked as written."""
    root = tmp_path / "ward-kiosk"
    for program in ("deploy/kiosk-session.sh", ".venv/bin/kiosk"):
        stub = root / program
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text("#!/bin/sh\nexit 0\n")
        stub.chmod(0o755)
    units = tmp_path / "units"
    units.mkdir()
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        (units / name).write_text(text.replace(PREFIX, str(root)), encoding="utf-8")
    return units


def test_systemd_analyze_verifies_every_unit(units_here):
    assert shutil.which("systemd-analyze"), "systemd-analyze missing: scripts/setup.sh test installs systemd"
    assert {"ward-kiosk.service", "ward-kiosk-health.service", "ward-kiosk-health.timer"} <= set(UNITS)
    result = _verify(units_here, UNITS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ward-kiosk" not in result.stdout + result.stderr, result.stdout + result.stderr


def test_systemd_analyze_would_catch_a_mistake(units_here):
    """The check above is a real one: a misspelt value and a missing program both fail it."""
    service = units_here / "ward-kiosk.service"
    service.write_text(service.read_text().replace("Restart=always", "Restart=allways"))
    result = _verify(units_here, ["ward-kiosk.service"])
    assert result.returncode != 0 and "allways" in result.stderr
    service.write_text(service.read_text().replace("Restart=allways", "Restart=always")
                       .replace("deploy/kiosk-session.sh", "deploy/not-there.sh"))
    result = _verify(units_here, ["ward-kiosk.service"])
    assert result.returncode != 0 and "not-there.sh" in result.stderr


def test_the_display_unit_restarts_forever_and_watches_the_app():
    service = unit("ward-kiosk.service")
    main = service["Service"]
    assert main["Type"] == "notify" and main["NotifyAccess"] == "all"  # the app is xinit's child
    assert int(main["WatchdogSec"]) >= 30 and main["Restart"] == "always" and int(main["RestartSec"]) >= 5
    assert service["Unit"]["StartLimitIntervalSec"] == "0"  # never gives up
    assert main["ExecStart"] == f"{PREFIX}/deploy/kiosk-session.sh"
    assert main["User"] == "kiosk" and main["PAMName"] == "ward-kiosk" and main["TTYPath"] == "/dev/tty7"
    assert main["StandardOutput"] == main["StandardError"] == "journal"
    assert "network-online" not in service["Unit"].get("After", "")  # starts on cached content, offline
    assert service["Install"]["WantedBy"] == "multi-user.target"  # also on Raspberry Pi OS Lite
    health = unit("ward-kiosk-health.service")["Service"]
    assert "kiosk health" in health["ExecStart"] and "try-restart ward-kiosk.service" in health["ExecStopPost"]
    assert '"$$EXIT_STATUS" = 7' in health["ExecStopPost"]
    from kiosk.ops.status import EXIT_NOT_ALIVE
    assert EXIT_NOT_ALIVE == 7


def test_install_script_is_valid_and_installs_every_unit():
    script = (DEPLOY / "install.sh").read_text(encoding="utf-8")
    assert subprocess.run(["bash", "-n", str(DEPLOY / "install.sh")]).returncode == 0
    assert subprocess.run(["sh", "-n", str(DEPLOY / "kiosk-session.sh")]).returncode == 0
    for name in ("install.sh", "kiosk-session.sh"):
        assert os.access(DEPLOY / name, os.X_OK), f"deploy/{name} is not executable"
    listed = re.search(r"^UNITS=\((.*?)\)", script, re.S | re.M)[1].split()
    assert sorted(listed) == UNITS
    for name in ("pam-ward-kiosk", "xorg-ward-kiosk.conf"):
        assert f"deploy/{name}" in script and (DEPLOY / name).is_file()
    for package in ("xinit", "xserver-xorg-core", "matchbox-window-manager", "libasound2", "libpam-systemd"):
        assert re.search(rf"\b{re.escape(package)}\b", script), package


# ---------------------------------------------------------------------------------- the X session


def _free_display() -> int:
    for _ in range(50):
        number = random.randint(300, 900)
        if not Path(f"/tmp/.X{number}-lock").exists() and not Path(f"/tmp/.X11-unix/X{number}").exists():
            return number
    raise RuntimeError("no free X display number")


@pytest.mark.skipif(not (shutil.which("xinit") and shutil.which("Xvfb")), reason="xinit or Xvfb missing "
                    "(scripts/setup.sh test installs them)")
def test_the_session_starts_x_and_the_app_and_only_the_app_tells_systemd(tmp_path):
    """kiosk-session.sh as the unit runs it: xinit, an X server (Xvfb here), the app (a stub that
    records how it was called and says READY=1 as the real app does). The X server gets no
    NOTIFY_SOCKET (it would say READY=1 before any slide is shown), the app does."""
    settings = tmp_path / "display.yaml"
    settings.write_text("rotation: 90\n", encoding="utf-8")
    record = tmp_path / "app-called.txt"
    stub = tmp_path / "kiosk"
    stub.write_text(f"""#!/bin/sh
echo "$@" > {record}
echo "DISPLAY=$DISPLAY" >> {record}
exec {sys.executable} -c 'from kiosk.ops.systemd import SystemdNotifier; SystemdNotifier().ready("stub")'
""")
    stub.chmod(0o755)
    name = f"ward-kiosk-test-{uuid.uuid4().hex}"
    number = _free_display()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind("\0" + name)
        listener.settimeout(0.5)
        env = {**os.environ, "NOTIFY_SOCKET": "@" + name, "WARD_KIOSK_BIN": str(stub),
               "WARD_KIOSK_PYTHON": sys.executable, "WARD_KIOSK_CONFIG": str(settings),
               "WARD_KIOSK_XSERVER": shutil.which("Xvfb"), "WARD_KIOSK_DISPLAY": f":{number}",
               "WARD_KIOSK_XSERVER_ARGS": "-screen 0 640x480x24 -nolisten tcp",
               "PYTHONPATH": str(REPO)}
        env.pop("DISPLAY", None)
        result = subprocess.run([str(DEPLOY / "kiosk-session.sh")], env=env, capture_output=True, text=True,
                                timeout=60, cwd=tmp_path)
        messages = []
        while True:
            try:
                messages.append(listener.recv(4096).decode())
            except socket.timeout:
                break
    assert "kiosk-session: khởi động X" in result.stderr, result.stderr
    assert record.read_text().splitlines() == [f"run --config {settings}", f"DISPLAY=:{number}"]
    assert "xoay màn hình 90 độ (xrandr --rotate right)" in result.stderr or not shutil.which("xrandr")
    assert messages == ["READY=1\nSTATUS=stub\n"]
