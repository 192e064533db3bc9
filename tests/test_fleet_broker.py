"""deploy/mosquitto/ on the real Mosquitto: TLS only, accounts only, and the ACL keeps each display
to its own topics (MQTT 5 clients, so the broker's refusals come back as reason codes)."""

from __future__ import annotations

import queue
import shutil
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from fleet_servers import DEPLOY, Mosquitto

NOT_AUTHORIZED = 135
NO_SUBSCRIBERS = 16  # accepted, nobody listens yet
BROKER_PASSWORDS = {"office": "office-secret", "nha-van-hoa-1": "display-one", "mot-cua": "display-two"}


class Client:
    """A plain paho client on the broker, logged in as `name`; what it receives queues up."""

    def __init__(self, broker: Mosquitto, name: str, password: str | None = None, tls: bool = True):
        self.received: queue.Queue = queue.Queue()
        self.acks: queue.Queue = queue.Queue()
        self.connected: queue.Queue = queue.Queue()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-{name}", protocol=mqtt.MQTTv5)
        self.client.username_pw_set(name, BROKER_PASSWORDS[name] if password is None else password)
        if tls:
            self.client.tls_set(ca_certs=str(broker.ca))
        self.client.on_connect = lambda c, u, flags, code, props: self.connected.put(code.value)
        self.client.on_message = lambda c, u, message: self.received.put((message.topic, message.payload))
        self.client.on_subscribe = lambda c, u, mid, codes, props: self.acks.put([code.value for code in codes])
        self.client.on_publish = lambda c, u, mid, code, props: self.acks.put(code.value)
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()

    def subscribe(self, topic: str) -> int:
        self.client.subscribe(topic, qos=1)
        return self.acks.get(timeout=5)[0]

    def publish(self, topic: str, payload: bytes) -> int:
        self.client.publish(topic, payload, qos=1)
        return self.acks.get(timeout=5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def clients(broker):
    made = []

    def make(name, **kwargs):
        made.append(Client(broker, name, **kwargs))
        assert made[-1].connected.get(timeout=5) == 0
        return made[-1]

    yield make
    for client in made:
        client.close()


def test_a_display_publishes_only_under_its_own_name(clients):
    office = clients("office")
    assert office.subscribe("ward/display/#") == 1
    display = clients("nha-van-hoa-1")
    assert display.publish("ward/display/mot-cua/status", b'{"online": true}') == NOT_AUTHORIZED
    assert display.publish("ward/to/all/latest", b'{"version": 99}') == NOT_AUTHORIZED
    assert display.publish("ward/to/mot-cua/command", b'{"command": "screenshot"}') == NOT_AUTHORIZED
    assert display.publish("ward/display/nha-van-hoa-1/status", b'{"online": true}') == 0
    assert office.received.get(timeout=5) == ("ward/display/nha-van-hoa-1/status", b'{"online": true}')
    with pytest.raises(queue.Empty):  # the forged status never reached the office
        office.received.get(timeout=0.5)


def test_a_display_reads_only_what_is_addressed_to_it_or_to_all(clients):
    # Mosquitto 2.0 grants a subscription to any filter and checks each message as it is delivered.
    display = clients("nha-van-hoa-1")
    for topic in ("ward/#", "ward/display/mot-cua/#", "ward/to/mot-cua/#", "ward/to/nha-van-hoa-1/#",
                  "ward/to/all/#"):
        display.subscribe(topic)
    other = clients("mot-cua")
    assert other.publish("ward/display/mot-cua/status", b"other display") == 0
    office = clients("office")
    assert office.publish("ward/to/mot-cua/command", b"other") == 0
    assert office.publish("ward/to/nha-van-hoa-1/command", b"mine") == 0
    assert office.publish("ward/to/all/command", b"everyone") == 0
    got = set()
    while True:
        try:
            got.add(display.received.get(timeout=0.5))
        except queue.Empty:
            break
    assert got == {("ward/to/nha-van-hoa-1/command", b"mine"), ("ward/to/all/command", b"everyone")}
    # The office cannot pose as a display either.
    assert office.publish("ward/display/mot-cua/status", b"forged") == NOT_AUTHORIZED


def test_no_account_no_connection(broker):
    wrong = Client(broker, "mot-cua", password="guess")
    try:
        assert wrong.connected.get(timeout=5) in (NOT_AUTHORIZED, 134)  # not authorized, bad name or password
    finally:
        wrong.close()


def test_tls_only(broker):
    with socket.create_connection(("127.0.0.1", broker.port), timeout=2) as raw:
        # An MQTT CONNECT in the clear: the TLS listener answers nothing an MQTT client could use.
        raw.sendall(bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 0]))
        raw.settimeout(2)
        try:
            answer = raw.recv(4)
        except (ConnectionResetError, socket.timeout):
            answer = b""
        assert not answer.startswith(b"\x20")  # no CONNACK
    context = ssl.create_default_context()  # the system's CAs do not know the ward's CA
    with socket.create_connection(("127.0.0.1", broker.port), timeout=2) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            context.wrap_socket(raw, server_hostname="127.0.0.1")


@pytest.mark.parametrize("ca", [b"", b"not a certificate\n", bytes(range(256)) * 4,
                                b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"],
                         ids=["empty", "text", "binary", "broken-pem"])
def test_a_ca_file_that_cannot_be_read_is_said_in_one_vietnamese_line(broker, tmp_path, ca):
    (tmp_path / "ca.pem").write_bytes(ca)
    (tmp_path / "password").mkdir()  # and a password "file" that is a folder
    repo = Path(__file__).resolve().parents[1]
    for options, said in ((["--ca", str(tmp_path / "ca.pem")], f"tệp chứng chỉ CA `{tmp_path / 'ca.pem'}`"),
                          (["--password-file", str(tmp_path / "password")], "đây là thư mục, không phải tệp")):
        done = subprocess.run([sys.executable, "-m", "kiosk", "fleet", "--broker", broker.url, "--db",
                               str(tmp_path / "fleet.sqlite"), *options, "list"],
                              capture_output=True, text=True, timeout=60, cwd=repo,
                              env={"PATH": "/usr/bin:/bin", "WARD_FLEET_PASSWORD": "" if "--password-file" in options
                                   else BROKER_PASSWORDS["office"]})
        assert done.returncode == 1 and said in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert not any(english in done.stderr for english in ("certificate", "No such", "Is a directory", "_ssl.c"))


def test_a_new_display_account_works_after_a_reload(broker, clients):
    broker.add_account("truong-hoc", "display-three")
    broker.reload()
    BROKER_PASSWORDS["truong-hoc"] = "display-three"
    display = clients("truong-hoc")
    assert display.publish("ward/display/truong-hoc/status", b"{}") == NO_SUBSCRIBERS
    assert display.publish("ward/display/mot-cua/status", b"{}") == NOT_AUTHORIZED


def test_the_office_receiver_unit_is_valid_and_runs_kiosk_fleet_listen(tmp_path):
    """deploy/mosquitto/ward-fleet-office.service through `systemd-analyze verify`, with the program's
    folder (/opt/ward-kiosk, made by deploy/install.sh) stood in for by a stub. (That verify catches a
    typo in a unit, tests/test_deploy.py shows.)"""
    assert shutil.which("systemd-analyze"), "systemd-analyze is missing: scripts/setup.sh test installs systemd"
    stub = tmp_path / "ward-kiosk" / ".venv" / "bin" / "kiosk"
    stub.parent.mkdir(parents=True)
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    text = (DEPLOY / "ward-fleet-office.service").read_text()
    assert "ExecStart=/opt/ward-kiosk/.venv/bin/kiosk fleet listen " in text
    unit = tmp_path / "ward-fleet-office.service"

    def verify(content: str) -> subprocess.CompletedProcess:
        unit.write_text(content.replace("/opt/ward-kiosk/.venv", str(tmp_path / "ward-kiosk" / ".venv")))
        return subprocess.run(["systemd-analyze", "verify", "--man=no", "--recursive-errors=no", str(unit)],
                              capture_output=True, text=True, timeout=60)

    checked = verify(text)
    assert checked.returncode == 0 and "ward-fleet-office" not in checked.stderr, checked.stderr
