"""Servers and feeds for the publishing and sync tests.

- Nginx: the real nginx (Debian package `nginx`, installed by scripts/setup.sh test), started on a
  free 127.0.0.1 port as the current user, everything (config, pid, logs, temp) in a test folder;
  it serves published folders exactly as staff would upload them, and its access log says what
  every request cost.
- MisbehavingServer: a small, programmable http.server for what nginx will not do: stall mid-body,
  lie about Content-Length, send an endless body, answer 500, drop a connection once, omit or fake
  Date, drip headers or body a byte at a time, send oversized headers or an HTML page, redirect;
  or run any function of the test's for one path.
- make_feed(): a valid feed folder with real PNG pictures, its expiry a year from today."""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import threading
import time
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def stop_process(process: subprocess.Popen) -> None:
    """Ask a test's server to end; kill it when it does not within 5 s."""
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def closed_port() -> int:
    """A port nothing listens on (connection refused)."""
    return free_port()


def _wait_for_port(port: int, process: subprocess.Popen | None, log: Path | None, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"nginx exited: {log.read_text() if log and log.exists() else ''}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listens on port {port}")


# ---------------------------------------------------------------------------------- nginx

NGINX_CONF = """\
daemon off;
master_process off;
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 64; }}
http {{
    log_format kiosk '$request_method $uri $status $body_bytes_sent "$http_range" "$http_if_none_match"';
    access_log {run}/access.log kiosk;
    client_body_temp_path {run}/client_body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    types {{ application/json json; text/yaml yaml; image/png png; video/mp4 mp4; }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ }}
    }}
}}
"""

ACCESS_LINE = re.compile(r'^(\S+) (\S+) (\d+) (\d+) "(.*)" "(.*)"$')


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    status: int
    body_bytes: int
    range: str


class Nginx:
    def __init__(self, folder: Path):
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(binary):
            raise RuntimeError("nginx is not installed: run scripts/setup.sh test (apt-get install nginx)")
        self.root = folder / "www"
        self.run = folder / "run"
        self.root.mkdir()
        self.run.mkdir()
        self.port = free_port()
        conf = self.run / "nginx.conf"
        conf.write_text(NGINX_CONF.format(run=self.run, root=self.root, port=self.port))
        self.access_log = self.run / "access.log"
        self.process = subprocess.Popen([binary, "-p", str(self.run), "-c", str(conf), "-e", str(self.run / "error.log")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_for_port(self.port, self.process, self.run / "error.log")

    def site(self, name: str) -> tuple[Path, str]:
        """A folder to upload a published feed into, and its URL."""
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder, f"http://127.0.0.1:{self.port}/{name}/"

    def requests(self, prefix: str = "/") -> list[Request]:
        found = []
        for line in self.access_log.read_text().splitlines() if self.access_log.exists() else []:
            match = ACCESS_LINE.match(line)
            if match and match[2].startswith(prefix):
                found.append(Request(match[1], match[2], int(match[3]), int(match[4]), match[5]))
        return found

    def stop(self) -> None:
        stop_process(self.process)


# ---------------------------------------------------------------------------------- the misbehaving server


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that hangs up on a misbehaving answer is what the tests want


class MisbehavingServer:
    """Serves a folder; `faults[path]` makes one file misbehave:
    "stall" (half the body, then silence), "truncate" (Content-Length of the whole, half the body,
    then close), "endless" (bytes forever, no length), "500", "break-once" (first request like
    truncate, then normal with Range), "short-no-length" (half the body, no length, clean close),
    "drip-headers" / "drip-body" (one byte every `drip` seconds, Content-Length honest), "huge-headers"
    (a 100 KB header line), "many-headers" (200 headers), "html" (a 200 with a login page),
    "redirect:URL" (302 to URL); or a function(handler, data) that answers itself.
    `date` sets the Date header ("" to send none). Every request is recorded."""

    def __init__(self, root: Path, tls=None):
        self.root = root
        self.faults: dict[str, object] = {}
        self.date: str | None = None
        self.drip = 0.3
        self.log: list[tuple[str, str, int]] = []  # path, Range header, body bytes sent
        self.stopping = threading.Event()
        self._seen: set[str] = set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def date_time_string(self, timestamp=None):
                return server.date if server.date is not None else super().date_time_string(timestamp)

            def send_header(self, keyword, value):
                if keyword == "Date" and server.date == "":
                    return
                super().send_header(keyword, value)

            def do_GET(self):
                server._serve(self)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:  # an ssl.SSLContext for the server side: https://
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?")[0].lstrip("/")
        fault = self.faults.get(path)
        if fault == "break-once":
            fault = None if path in self._seen else "truncate"
            self._seen.add(path)
        range_header = handler.headers.get("Range", "")
        sent = 0
        try:
            if callable(fault):
                target = self.root / path
                fault(handler, target.read_bytes() if target.is_file() else b"")
                return
            if isinstance(fault, str) and fault.startswith("redirect:"):
                handler.send_response(302)
                handler.send_header("Location", fault.split(":", 1)[1])
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return
            if fault == "html":
                body = b"<!DOCTYPE html><html><body><h1>Dang nhap Wi-Fi</h1></body></html>"
                handler.send_response(200)
                handler.send_header("Content-Type", "text/html; charset=utf-8")
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)
                sent = len(body)
                return
            if fault in ("huge-headers", "many-headers"):
                handler.send_response(200)
                for i in range(200 if fault == "many-headers" else 1):
                    handler.send_header(f"X-Filler-{i}", "x" * (100_000 if fault == "huge-headers" else 10))
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return
            if fault == "drip-headers":
                handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for byte in b"X-Slow: " + b"s" * 10_000:
                    if self.stopping.wait(self.drip):
                        return
                    handler.wfile.write(bytes([byte]))
                    handler.wfile.flush()
                return
            if fault == "500":
                body = b"server error"
                handler.send_response(500)
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)
                sent = len(body)
                return
            target = self.root / path
            if not target.is_file():
                handler.send_response(404)
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return
            data = target.read_bytes()
            if fault == "endless":
                handler.send_response(200)
                handler.send_header("Connection", "close")
                handler.end_headers()
                block = b"\0" * 65536
                while not self.stopping.is_set():
                    handler.wfile.write(block)
                    sent += len(block)
                return
            start = 0
            match = re.match(r"bytes=(\d+)-$", range_header)
            if match and fault is None and int(match[1]) < len(data):
                start = int(match[1])
                handler.send_response(206)
                handler.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                handler.send_response(200)
            body = data[start:]
            if fault == "short-no-length":
                handler.send_header("Connection", "close")
            else:
                handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if fault == "drip-body":
                for byte in body:
                    if self.stopping.wait(self.drip):
                        return
                    handler.wfile.write(bytes([byte]))
                    handler.wfile.flush()
                    sent += 1
                return
            if fault in ("stall", "truncate", "short-no-length"):
                half = body[: len(body) // 2]
                handler.wfile.write(half)
                handler.wfile.flush()
                sent = len(half)
                if fault == "stall":
                    self.stopping.wait(30)
                handler.close_connection = True
                return
            handler.wfile.write(body)
            sent = len(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            self.log.append((path, range_header, sent))

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def self_signed_tls(folder: Path):
    """(server context, client context trusting it) for a certificate of 127.0.0.1 made now."""
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    return server, ssl.create_default_context(cafile=str(cert_file))


# ---------------------------------------------------------------------------------- feeds


def png(seed: int, side: int = 64) -> bytes:
    """A real PNG of noise (so it does not compress): about 3 * side * side bytes."""
    rng = random.Random(seed)
    rows = b"".join(b"\0" + rng.randbytes(side * 3) for _ in range(side))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 0)) + chunk(b"IEND", b"")


def feed_text(version: int, pictures: list[str], *, expires: dt.date | None = None, title: str = "Lịch tiếp công dân") -> str:
    expires = expires or dt.date.today() + dt.timedelta(days=365)
    slides = "".join(f"""
  - type: image
    file: {name}
    caption: Ảnh số {i + 1}
""" for i, name in enumerate(pictures))
    return f"""# Bản tin kiểm thử
format: 1
version: {version}
expires: {expires.isoformat()}
ward:
  name: Phường Đống Đa
  city: Thành phố Hà Nội
  logo: {pictures[0]}
  website:
    label: Trang thông tin điện tử phường
    url: https://dongda.hanoi.gov.vn
slides:
  - type: text
    title: {title}
    body: Thứ Ba và Thứ Năm hằng tuần, tại Bộ phận Một cửa của phường.
{slides}"""


def make_feed(folder: Path, pictures: int = 3, *, version: int = 1, seeds: dict[int, int] | None = None,
              side: int = 64, expires: dt.date | None = None, title: str = "Lịch tiếp công dân") -> Path:
    """A feed folder with `pictures` PNGs (media/anh-N.png); seeds[i] changes picture i's content."""
    (folder / "media").mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(pictures):
        name = f"media/anh-{i + 1}.png"
        (folder / name).write_bytes(png((seeds or {}).get(i, i), side))
        names.append(name)
    (folder / "feed.yaml").write_text(feed_text(version, names, expires=expires, title=title), encoding="utf-8")
    return folder
