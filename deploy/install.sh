#!/usr/bin/env bash
# Install the ward kiosk on a Debian 12 or Raspberry Pi OS (bookworm, 64-bit) machine, from a clone
# of the repository, as root. See docs/install.md. Safe to run again: after `git pull` it updates
# the program and the units, and keeps /etc/ward-kiosk/display.yaml.
#
#   sudo deploy/install.sh [--settings FILE] [--no-start]
#
#   --settings FILE   use FILE as this display's settings (copied to /etc/ward-kiosk/display.yaml)
#   --no-start        install and enable, but do not start now (the display starts at the next boot)
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=/opt/ward-kiosk
CONF_DIR=/etc/ward-kiosk
SETTINGS=$CONF_DIR/display.yaml
STATE=/var/lib/ward-kiosk
USER_NAME=kiosk
UNITS=(ward-kiosk.service ward-kiosk-health.service ward-kiosk-health.timer
       ward-kiosk-metrics.service ward-kiosk-metrics.timer)

say() { printf '==> %s\n' "$*"; }
die() { printf 'Lỗi: %s\n' "$*" >&2; exit 1; }

settings_from="" start=yes
while [ $# -gt 0 ]; do
    case "$1" in
        --settings) [ $# -ge 2 ] || die "--settings cần tên tệp"; settings_from=$(realpath "$2"); shift 2 ;;
        --no-start) start=no; shift ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) die "không hiểu tùy chọn \`$1\`; xem: $0 --help" ;;
    esac
done
[ "$(id -u)" -eq 0 ] || die "cần chạy với quyền root: sudo $0"
[ -z "$settings_from" ] || [ -f "$settings_from" ] || die "không thấy tệp cài đặt \`$settings_from\`"
[ -f "$SRC/pyproject.toml" ] && [ -d "$SRC/kiosk" ] || die "chạy tệp này từ bản sao của kho mã (thiếu $SRC/kiosk)"

# ---- 1. system packages: a bare X server (no desktop), OpenGL, touch input, Python
say "Cài các gói hệ thống"
packages=(
    python3 python3-venv ca-certificates
    xserver-xorg-core xserver-xorg-legacy xserver-xorg-input-libinput xinit x11-xserver-utils xinput
    matchbox-window-manager   # only so that the app's fullscreen request is honoured
    libgl1 libegl1 libgles2 libgl1-mesa-dri libmtdev1
    libasound2                # without it the video player's sound setup fails and the app stops
    dbus libpam-systemd
)
# The clock matters (slide dates and hours, feed expiry); keep whatever time daemon is there.
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
time_daemon=""
for candidate in systemd-timesyncd chrony ntp ntpsec openntpd; do
    if installed "$candidate"; then time_daemon=$candidate; fi
done
[ -n "$time_daemon" ] || packages+=(systemd-timesyncd)
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

# ---- 2. the display's own user: no password, no login shell
if ! id "$USER_NAME" >/dev/null 2>&1; then
    say "Tạo người dùng $USER_NAME"
    useradd --system --user-group --create-home --home-dir "/home/$USER_NAME" \
        --shell /usr/sbin/nologin --comment "Ward kiosk display" "$USER_NAME"
fi
for group in video render input audio; do  # the screen, the GPU, touch, sound
    if getent group "$group" >/dev/null; then usermod -a -G "$group" "$USER_NAME"; fi
done

# ---- 3. the program, in /opt/ward-kiosk (owned by root: the display cannot change its own code)
say "Chép chương trình vào $PREFIX"
mkdir -p "$PREFIX"
if [ "$SRC" != "$PREFIX" ]; then
    find "$PREFIX" -mindepth 1 -maxdepth 1 ! -name .venv -exec rm -rf {} +
    tar -C "$SRC" --exclude=./.venv --exclude=./.git --exclude=__pycache__ --exclude=./.pytest_cache \
        -cf - . | tar -C "$PREFIX" --no-same-owner -xf -
fi
chown -R root:root "$PREFIX"
chmod -R go-w "$PREFIX"
say "Cài thư viện Python vào $PREFIX/.venv (lần đầu mất vài phút)"
"$PREFIX/scripts/setup.sh" app
"$PREFIX/.venv/bin/python" -m compileall -q "$PREFIX/kiosk" "$PREFIX/screens" >/dev/null

cat > /usr/local/bin/kiosk <<EOF
#!/bin/sh
# From the ward kiosk's deploy/install.sh: the \`kiosk\` command, with this display's settings file.
export WARD_KIOSK_CONFIG="\${WARD_KIOSK_CONFIG:-$SETTINGS}"
# A sync writes into the state folder: as the display's user, or root-owned files would block it later.
if [ "\$(id -u)" = 0 ] && [ "\${1:-}" = sync ]; then
    exec runuser -u $USER_NAME -- $PREFIX/.venv/bin/kiosk "\$@"
fi
exec $PREFIX/.venv/bin/kiosk "\$@"
EOF
chmod 0755 /usr/local/bin/kiosk

# ---- 4. settings and state: /etc/ward-kiosk/display.yaml (kept when present), /var/lib/ward-kiosk
install -d -m 0755 "$CONF_DIR"
if [ -n "$settings_from" ]; then
    say "Dùng tệp cài đặt $settings_from"
    install -m 0640 -o root -g "$USER_NAME" "$settings_from" "$SETTINGS"
elif [ ! -f "$SETTINGS" ]; then
    say "Tạo $SETTINGS từ mẫu (hãy sửa id, pin, feed_url, public_key)"
    sed -e "s|^state_dir:.*|state_dir: $STATE     # bản tin đã tải, trạng thái, nhật ký chiếu|" \
        "$PREFIX/config/display.yaml" > "$SETTINGS.new"
    install -m 0640 -o root -g "$USER_NAME" "$SETTINGS.new" "$SETTINGS"
    rm -f "$SETTINGS.new"
else
    say "Giữ tệp cài đặt đang có: $SETTINGS"
fi
chgrp "$USER_NAME" "$SETTINGS"  # it holds the staff PIN: readable by root and the display only
chmod 0640 "$SETTINGS"
install -d -m 0755 -o "$USER_NAME" -g "$USER_NAME" "$STATE"

# ---- 5. the session: PAM, X without blanking or console switching, the units
say "Cài dịch vụ systemd"
install -m 0644 "$PREFIX/deploy/pam-ward-kiosk" /etc/pam.d/ward-kiosk
install -d -m 0755 /etc/X11/xorg.conf.d
install -m 0644 "$PREFIX/deploy/xorg-ward-kiosk.conf" /etc/X11/xorg.conf.d/50-ward-kiosk.conf
for unit in "${UNITS[@]}"; do
    install -m 0644 "$PREFIX/deploy/$unit" "/etc/systemd/system/$unit"
done

# ---- 6. the text console never blanks either (what shows for a moment between two runs of X)
cmdline=""
for candidate in /boot/firmware/cmdline.txt /boot/cmdline.txt; do
    if [ -f "$candidate" ] && ! grep -q "DO NOT EDIT" "$candidate"; then cmdline=$candidate; break; fi
done
if [ -n "$cmdline" ]; then  # Raspberry Pi: one line of kernel options
    grep -q 'consoleblank=' "$cmdline" || sed -i '1 s/$/ consoleblank=0/' "$cmdline"
    say "consoleblank=0 trong $cmdline"
elif [ -f /etc/default/grub ]; then
    if ! grep -q 'consoleblank=' /etc/default/grub; then
        sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT="/&consoleblank=0 /' /etc/default/grub
        if command -v update-grub >/dev/null 2>&1; then update-grub >/dev/null 2>&1 || say "update-grub không chạy được"; fi
    fi
    say "consoleblank=0 trong /etc/default/grub"
else
    say "không thấy cmdline.txt hay /etc/default/grub: hãy tự thêm consoleblank=0 vào dòng lệnh của nhân"
fi

# ---- 7. enable, and start when systemd runs this machine (not in a chroot or an image being built)
systemctl enable ward-kiosk.service ward-kiosk-health.timer >/dev/null 2>&1 \
    || systemctl enable ward-kiosk.service ward-kiosk-health.timer
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    if [ "$start" = yes ]; then
        say "Khởi động màn hình"
        systemctl restart ward-kiosk.service
        systemctl start ward-kiosk-health.timer
    fi
else
    say "systemd không chạy ở đây (chroot?): dịch vụ đã bật, sẽ chạy khi máy khởi động"
fi

# ---- 8. check what was installed, as the display's user
say "Kiểm tra"
runuser -u "$USER_NAME" -- /usr/local/bin/kiosk validate "$PREFIX/config" | tail -n 1
runuser -u "$USER_NAME" -- /usr/local/bin/kiosk status || true
cat <<EOF

Xong. Tiếp theo (docs/install.md):
  - sửa $SETTINGS (id, pin, feed_url, public_key, rotation): sudo nano $SETTINGS
  - rồi: sudo systemctl restart ward-kiosk      (hoặc khởi động lại máy)
  - xem tình trạng: sudo kiosk status ; nhật ký: journalctl -u ward-kiosk -b
EOF
