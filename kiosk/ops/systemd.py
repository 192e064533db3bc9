"""systemd's notify protocol (sd_notify(3)) without libsystemd: READY, WATCHDOG, STATUS, STOPPING.

    notifier = SystemdNotifier()     # reads NOTIFY_SOCKET and WATCHDOG_USEC; one per display process,
    notifier.ready()                 # owned by whoever runs the display (screens' composition root)
    notifier.watchdog()              # every notifier.ping_interval seconds

A no-op when NOTIFY_SOCKET is unset (a developer's window). Under the unit in deploy/ the app is a
grandchild of the service's main process (the session script execs xinit, which starts X and then
the app), so the unit sets NotifyAccess=all and WATCHDOG_PID is deliberately not compared with our
own pid (libsystemd's sd_watchdog_enabled would say "not you")."""

from __future__ import annotations

import errno
import logging
import os
import socket

from kiosk.words import os_error_text

log = logging.getLogger(__name__)

PING_DEFAULT = 15.0  # seconds between watchdog pings when systemd does not say (no WatchdogSec)


def _notify_address(value: str) -> str | None:
    """A NOTIFY_SOCKET value as an AF_UNIX address: '@name' is Linux's abstract namespace."""
    if value.startswith("@"):
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    return None  # unset, or a kind we do not speak (vsock:...)


class SystemdNotifier:
    """sd_notify(3) in a few lines: datagrams to $NOTIFY_SOCKET. Never raises, never blocks."""

    def __init__(self, environ: dict | None = None):
        env = os.environ if environ is None else environ
        raw = env.get("NOTIFY_SOCKET", "")
        self.address = _notify_address(raw)
        if raw and self.address is None:
            log.warning("NOTIFY_SOCKET=%s: loại địa chỉ này không dùng được; không báo cho systemd", raw)
        try:
            usec = int(env.get("WATCHDOG_USEC", ""))
        except ValueError:
            usec = 0
        self.watchdog_seconds = usec / 1_000_000 if usec > 0 else None
        self._socket: socket.socket | None = None
        self._failing = False

    @property
    def enabled(self) -> bool:
        return self.address is not None

    @property
    def ping_interval(self) -> float:
        """How often to ping: half of systemd's WatchdogSec, as sd_watchdog_enabled(3) advises."""
        if self.watchdog_seconds:
            return max(0.5, min(PING_DEFAULT, self.watchdog_seconds / 2))
        return PING_DEFAULT

    def send(self, *assignments: str) -> bool:
        """Send 'KEY=value' lines in one datagram; True when it went (False: no systemd, or failed)."""
        if self.address is None:
            return False
        data = ("\n".join(assignments) + "\n").encode("utf-8")
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._socket.setblocking(False)  # a full queue drops a ping; the UI never waits
            self._socket.sendto(data, self.address)
        except OSError as error:
            if not self._failing:  # once per outage, not once per ping
                log.warning("không báo được cho systemd qua %s: %s", self.address.replace("\0", "@"),
                            os_error_text(error))
            self._failing = True
            if error.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
                self.close()
            return False
        if self._failing:
            log.info("báo được cho systemd trở lại")
            self._failing = False
        return True

    def ready(self, status: str | None = None) -> bool:
        return self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={text}")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
