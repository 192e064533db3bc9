"""The broker for the fleet tests and bench/fleet.py: the real Mosquitto (Debian package `mosquitto`,
installed by scripts/setup.sh test) with deploy/mosquitto/'s configuration and ACL, started on a free
127.0.0.1 port as the current user, its certificates (a CA made here with `cryptography`), password
file (made with `mosquitto_passwd`) and persistence in a test folder."""

from __future__ import annotations

import datetime as dt
import getpass
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

from feed_servers import free_port, stop_process

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy" / "mosquitto"
INSTALLED_AT = "/etc/mosquitto/ward-kiosk/"  # where deploy/mosquitto/ward-kiosk.conf expects its files


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it: (ca.crt, server.crt, server.key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Phuong Dong Da test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
              .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                          x509.DNSName("localhost")]), critical=False)
              .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.crt", folder / "server.crt", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    paths[2].chmod(0o600)
    return paths


def _tls_answers(port: int, ca: Path) -> bool:
    """Whether the listener is up and completes a TLS handshake (mosquitto's port opens first)."""
    context = ssl.create_default_context(cafile=str(ca))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as raw, \
                context.wrap_socket(raw, server_hostname="127.0.0.1"):
            return True
    except OSError:
        return False


class Mosquitto:
    """deploy/mosquitto/ward-kiosk.conf and acl, with only the file locations and the listener's
    address changed; accounts[name] = password. stop()/start() keep the port and persistence."""

    def __init__(self, folder: Path, accounts: dict[str, str]):
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not os.path.exists(binary):
            raise RuntimeError("mosquitto is not installed: run scripts/setup.sh test (apt-get install mosquitto)")
        self.binary = binary
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.ca, _, _ = make_certificates(folder)
        self.port = free_port()
        self.url = f"mqtts://127.0.0.1:{self.port}"
        self.passwords = folder / "passwd"
        for number, (name, password) in enumerate(accounts.items()):
            self.add_account(name, password, create=number == 0)
        shutil.copy(DEPLOY / "acl", folder / "acl")
        conf = (DEPLOY / "ward-kiosk.conf").read_text()
        for before, after in ((INSTALLED_AT, f"{folder}/"), ("\nlistener 8883\n", f"\nlistener {self.port} 127.0.0.1\n")):
            assert before in conf, f"deploy/mosquitto/ward-kiosk.conf no longer has {before!r}"
            conf = conf.replace(before, after)
        # What Debian's mosquitto.conf adds, kept in the test folder; as root, stay this user.
        conf += (f"\npersistence true\npersistence_location {folder}/\nuser {getpass.getuser()}\n"
                 f"log_dest file {folder}/mosquitto.log\nlog_type all\n")
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(conf)
        self.log = folder / "mosquitto.log"
        self.process: subprocess.Popen | None = None
        self.start()

    def add_account(self, name: str, password: str, create: bool = False) -> None:
        subprocess.run(["mosquitto_passwd", *(["-c"] if create else []), "-b", str(self.passwords), name, password],
                       check=True, capture_output=True)
        self.passwords.chmod(0o600)

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not _tls_answers(self.port, self.ca):
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.process.stderr.read().decode()} "
                                   f"{self.log.read_text() if self.log.exists() else ''}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"mosquitto does not answer on port {self.port}")
            time.sleep(0.05)

    def reload(self) -> None:
        """Read the password file and the ACL again, as `systemctl reload mosquitto` does."""
        self.process.send_signal(1)  # SIGHUP
        time.sleep(0.3)

    def publishes_received(self) -> int:
        """PUBLISH packets the broker received (its log, log_type all)."""
        return self.log.read_text(errors="replace").count("Received PUBLISH from") if self.log.exists() else 0

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        stop_process(self.process)


def run_display_without_window(config: Path) -> None:
    """A display's sync and fleet link as `kiosk run` starts them, without the window: for the
    tests and bench/fleet.py. Runs until SIGTERM."""
    import signal
    import sys
    import threading

    sys.path.insert(0, str(REPO))
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    import logging

    from kiosk.fleet.display import DisplayLink
    from kiosk.settings import load_settings
    from kiosk.delivery.sync import SyncLoop

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings, problems = load_settings(config)
    assert settings is not None, problems
    sync = SyncLoop(settings)  # the display's sync without its window (and without Kivy)
    link = DisplayLink(settings, on_sync_now=sync.wake.set, settings_file=config)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    threading.Thread(target=sync.run, name="sync", daemon=True).start()
    link.start()
    stopping.wait()
    link.stop()
    sync.stop()


def run_display_with_window(config: Path, driver: Path) -> int:
    """The real `kiosk run` (windowed, 1280x720) with a test's hand on it, through files in `driver`:
    Kivy's clock writes `ticks` (the time of its last tick, twice a second); when `staff` appears,
    opens the staff panel (as the right PIN does) and writes `staffed`; when `back` appears, closes
    what is open and writes `closed`; when `tap` appears, touches the middle of the screen once and
    writes `tapped`."""
    import sys
    import time as clock

    sys.path.insert(0, str(REPO))
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kiosk.cli import main

    def watch(_):
        from kivy.core.window import Window
        from kivy.tests.common import UnitTestTouch

        (driver / "ticks").write_text(str(clock.time()))
        app = App.get_running_app()
        for asked, done, act in (("staff", "staffed", lambda: app.open_staff_panel()),
                                 ("back", "closed", lambda: app.root_widget.close_overlay())):
            if (driver / asked).exists() and not (driver / done).exists():
                act()
                (driver / done).write_text("yes")
        if (driver / "tap").exists() and not (driver / "tapped").exists():
            touch = UnitTestTouch(Window.width / 2, Window.height / 2)
            touch.touch_down()
            touch.touch_up()
            (driver / "tapped").write_text("yes")

    from kivy.app import App
    from kivy.clock import Clock
    Clock.schedule_interval(watch, 0.5)
    return main(["run", "--windowed", "--size", "1280x720", "--config", str(config)])


if __name__ == "__main__":
    import sys

    if sys.argv[1] == "--window":
        sys.exit(run_display_with_window(Path(sys.argv[2]), Path(sys.argv[3])))
    run_display_without_window(Path(sys.argv[1]))
