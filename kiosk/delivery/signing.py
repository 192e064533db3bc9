"""Ed25519 keys and detached signatures over a feed manifest, with the `cryptography` library.

The signed bytes are a fixed label followed by the file's raw bytes (CONTEXT for a manifest; the
key files of kiosk.delivery.trust have their own), so a signature made for one kind of file cannot be passed
off as a signature over anything else the same key might sign."""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.feed.yamlsource import UnreadableFile, read_regular_file

CONTEXT = b"ward-kiosk feed manifest v1\n"
PRIVATE_KEY_FILE = "kiosk-private-key.pem"
PUBLIC_KEY_FILE = "kiosk-public-key.txt"
SIGNATURE_BYTES = 64
MAX_KEY_FILE_BYTES = 16 * 1024  # an Ed25519 PEM is 119 bytes


class KeyProblem(ValueError):
    """A key that cannot be read or used; the message is for staff."""


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as the short string a display's settings hold (base64 of 32 bytes)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def parse_public_key(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise KeyProblem("khóa công khai không đúng dạng: cần chuỗi 44 ký tự mà `kiosk keygen` in ra")
    return Ed25519PublicKey.from_public_bytes(raw)


def write_key_pair(folder: Path, private_name: str = PRIVATE_KEY_FILE,
                   public_name: str = PUBLIC_KEY_FILE) -> tuple[Path, Path, str]:
    """Write a new key pair into folder: the private key readable by its owner only (0600)."""
    folder.mkdir(parents=True, exist_ok=True)
    private_path, public_path = folder / private_name, folder / public_name
    for path in (private_path, public_path):
        if path.exists() or path.is_symlink():
            raise KeyProblem(f"`{path}` đã có; không ghi đè khóa cũ (hãy chọn thư mục khác hoặc tự xóa khóa cũ)")
    key = new_private_key()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    os.chmod(private_path, 0o600)  # whatever the umask was
    text = public_key_text(key)
    public_path.write_text(text + "\n", encoding="ascii")
    return private_path, public_path, text


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        data = read_regular_file(path, MAX_KEY_FILE_BYTES)
    except UnreadableFile as problem:
        raise KeyProblem(f"không đọc được khóa bí mật: {problem}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem(f"`{path}` không phải khóa bí mật do `kiosk keygen` tạo")
    return key


def sign(key: Ed25519PrivateKey, data: bytes, context: bytes = CONTEXT) -> bytes:
    """The detached signature file's content: base64 of the 64-byte signature, one line."""
    return base64.b64encode(key.sign(context + data)) + b"\n"


def verify(public_key: Ed25519PublicKey, data: bytes, signature_file: bytes, context: bytes = CONTEXT) -> bool:
    """True when signature_file holds a valid signature of context + data by public_key."""
    try:
        signature = base64.b64decode(signature_file.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(signature) != SIGNATURE_BYTES:
        return False
    try:
        public_key.verify(signature, context + data)
    except InvalidSignature:
        return False
    return True
