#!/bin/sh
# The ward kiosk's X session: ExecStart of ward-kiosk.service.
#
# Without arguments it starts a bare X server (no desktop, no window manager) on the service's
# virtual terminal, with this script as its only client. As that client (`kiosk-session.sh client`)
# it turns screen blanking off, rotates the screen (and touch input) as `rotation` in the display
# settings says, and runs the app. When the app exits, xinit stops X and the service ends; systemd
# starts it again. Everything said here goes to the journal: journalctl -u ward-kiosk
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${WARD_KIOSK_ROOT:-$(dirname "$HERE")}
KIOSK=${WARD_KIOSK_BIN:-$ROOT/.venv/bin/kiosk}
PYTHON=${WARD_KIOSK_PYTHON:-$ROOT/.venv/bin/python}
CONFIG=${WARD_KIOSK_CONFIG:-/etc/ward-kiosk/display.yaml}
say() { echo "kiosk-session: $*" >&2; }

if [ "${1:-}" != client ]; then
    # The server's options (a test may run Xvfb instead): no TCP, no cursor, no screen saver, no DPMS;
    # -keeptty and vtN because X runs without root in the logind session that systemd opened on tty7.
    server=${WARD_KIOSK_XSERVER:-/usr/bin/X}
    args=${WARD_KIOSK_XSERVER_ARGS:-"vt${XDG_VTNR:-7} -keeptty -nolisten tcp -nocursor -s 0 -dpms"}
    say "khởi động X ($server ${WARD_KIOSK_DISPLAY:-:0} $args)"
    # The app alone speaks to systemd: X would say READY=1 as soon as it listens (Debian builds it
    # with libsystemd), before any slide is on screen. So the socket skips the server.
    if [ -n "${NOTIFY_SOCKET:-}" ]; then
        export WARD_KIOSK_NOTIFY_SOCKET="$NOTIFY_SOCKET"
        unset NOTIFY_SOCKET
    fi
    # shellcheck disable=SC2086  # the options are words on purpose
    exec xinit "$HERE/kiosk-session.sh" client -- "$server" "${WARD_KIOSK_DISPLAY:-:0}" $args
fi

# ---- inside X: DISPLAY is set by xinit
if [ -n "${WARD_KIOSK_NOTIFY_SOCKET:-}" ]; then
    export NOTIFY_SOCKET="$WARD_KIOSK_NOTIFY_SOCKET"
fi
if command -v xset >/dev/null 2>&1; then
    xset s off s noblank -dpms || say "xset không tắt được chế độ tắt màn hình"
fi

# The rotation as the settings say (validated by the app's own loader); 0 when they cannot be read,
# and the app then says why in one line.
rotation=$("$PYTHON" -c 'import sys
from pathlib import Path
from kiosk.settings import load_settings
settings, _ = load_settings(Path(sys.argv[1]))
print(settings.rotation if settings else 0)' "$CONFIG" 2>/dev/null) || rotation=0
case "$rotation" in
    90) turn=right ;;  # clockwise, as the settings file says
    180) turn=inverted ;;
    270) turn=left ;;
    *) turn=normal ;;
esac
if command -v xrandr >/dev/null 2>&1; then
    outputs=$(xrandr --query 2>/dev/null | awk '$2 == "connected" { print $1 }') || outputs=""
    first=""
    for output in $outputs; do
        [ -n "$first" ] || first=$output
        xrandr --output "$output" --rotate "$turn" 2>/dev/null || say "xrandr không xoay được $output"
    done
    [ "$turn" = normal ] || say "xoay màn hình $rotation độ (xrandr --rotate $turn) trên: ${outputs:-không thấy màn hình}"
    # Touch screens follow the picture: map each one (libinput exposes a calibration matrix only on
    # absolute devices: touch screens, tablets) to the first screen, rotation included.
    if [ -n "$first" ] && command -v xinput >/dev/null 2>&1; then
        for id in $(xinput list --id-only 2>/dev/null); do
            if xinput list-props "$id" 2>/dev/null | grep -q "libinput Calibration Matrix"; then
                xinput map-to-output "$id" "$first" 2>/dev/null && say "cảm ứng $id theo màn hình $first" \
                    || say "không gắn được thiết bị cảm ứng $id với màn hình $first"
            fi
        done
    fi
fi

# A window manager, only so that the app's fullscreen request is honoured (without one, the app's
# window keeps its first size in the middle of the screen); no title bar, no cursor, no shortcuts.
# It ends with X.
if command -v matchbox-window-manager >/dev/null 2>&1; then
    matchbox-window-manager -use_titlebar no -use_cursor no -kbdconfig /dev/null &
else
    say "không có matchbox-window-manager: ứng dụng có thể không phủ kín màn hình"
fi

exec "$KIOSK" run --config "$CONFIG"
