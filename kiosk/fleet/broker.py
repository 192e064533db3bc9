"""One paho-mqtt client for the ward's broker: MQTT 5 over TLS with an account. Both sides use it;
a city moving to a clustered broker (EMQX, VerneMQ, HiveMQ) changes only the address."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt

from kiosk.words import os_error_text

DEFAULT_PORT = {"mqtts": 8883, "mqtt": 1883}
KEEPALIVE = 30  # seconds: a display whose network died silently is marked offline within ~45 s


class BrokerProblem(Exception):
    """A setting that keeps the link from starting; one line for staff."""


@dataclass(frozen=True)
class BrokerAccount:
    url: str  # mqtts://host:port (checked by kiosk.settings.check_fleet_url)
    user: str
    password: str
    ca_file: str = ""  # empty: the system's CAs

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or DEFAULT_PORT.get(parts.scheme, 8883)


def read_password(password: str, password_file: str) -> str:
    """The password itself, or the first line of its file."""
    if password or not password_file:
        return password
    try:
        return Path(password_file).expanduser().read_text(encoding="utf-8").splitlines()[0].strip()
    except (OSError, UnicodeDecodeError, IndexError) as error:
        reason = os_error_text(error) if isinstance(error, OSError) else "tệp trống hoặc không phải chữ UTF-8"
        raise BrokerProblem(f"không đọc được mật khẩu MQTT trong `{password_file}`: {reason}") from None


def new_client(account: BrokerAccount, client_id: str) -> mqtt.Client:
    """A client that is configured but not yet connected."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.username_pw_set(account.user, account.password)
    if urlsplit(account.url).scheme == "mqtts":
        if account.ca_file and not Path(account.ca_file).expanduser().is_file():
            raise BrokerProblem(f"không thấy tệp chứng chỉ CA `{account.ca_file}` (`fleet_ca_file`)")
        try:
            client.tls_set(ca_certs=str(Path(account.ca_file).expanduser()) if account.ca_file else None)
        except ssl.SSLError:  # an OSError too, with OpenSSL's English words
            raise BrokerProblem(f"tệp chứng chỉ CA `{account.ca_file}` (`fleet_ca_file`) không có chứng chỉ PEM "
                                f"nào đọc được: hãy chép đúng tệp .crt/.pem của máy chủ") from None
        except OSError as error:
            raise BrokerProblem(f"không đọc được tệp chứng chỉ CA `{account.ca_file}` (`fleet_ca_file`): "
                                f"{os_error_text(error)}") from None
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client
