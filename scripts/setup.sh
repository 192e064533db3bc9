#!/usr/bin/env bash
# Make .venv and fill it on first use (and again when pyproject.toml changes).
# Usage: scripts/setup.sh [app|test]. System packages are installed with apt-get when run as root
# (or with password-less sudo); otherwise the missing ones are named and the script stops.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PURPOSE=${1:-app}
VENV="$ROOT/.venv"

apt_packages=()
want() { dpkg -s "$1" >/dev/null 2>&1 || apt_packages+=("$1"); }

python3 -c 'import ensurepip, venv' 2>/dev/null || want python3-venv
want libgl1            # OpenGL for Kivy's window
want libegl1
want libmtdev1         # touch screens
want espeak-ng         # "Nghe" at the counter: reads a page aloud in Vietnamese, offline
# ALSA for a video's sound (SDL opens an audio device even for a muted video); Debian 13 renamed it.
if ! ldconfig -p | grep -q 'libasound\.so\.2'; then
    if apt-cache show libasound2t64 >/dev/null 2>&1; then want libasound2t64; else want libasound2; fi
fi
if [ "$PURPOSE" = test ]; then
    want xvfb          # a virtual screen for the tests
    want xauth
    want libgl1-mesa-dri
    want nginx         # the feed server the sync tests publish to (started by the tests, as this user)
    /usr/bin/python3 -c 'import icu' 2>/dev/null || want python3-icu  # the reference for sorting
    command -v systemd-analyze >/dev/null 2>&1 || want systemd  # `systemd-analyze verify` of deploy/'s units
    want mosquitto     # the fleet tests' MQTT broker (started by the tests on a free port, as this user)
    want xinit         # deploy/kiosk-session.sh, run with Xvfb by tests/test_deploy.py
    want chromium      # the office console's browser test (tests/test_office_browser.py)
    want chromium-driver
fi

if [ ${#apt_packages[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
        echo "Cần cài các gói hệ thống: ${apt_packages[*]}" >&2
        echo "Hãy chạy: sudo apt-get install -y ${apt_packages[*]}" >&2
        exit 1
    fi
    echo "Cài gói hệ thống: ${apt_packages[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

stamp="$VENV/.installed-$PURPOSE"
wanted=$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "Cài thư viện Python vào .venv (lần đầu mất vài phút)..."
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    extras=""
    [ "$PURPOSE" = test ] && extras="[test]"
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT$extras"
    echo "$wanted" > "$stamp"
fi
