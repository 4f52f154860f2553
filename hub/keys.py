"""Ed25519 keys: the hub's own signing key, and member key helpers.

Raw keys travel as base64url without padding (32 bytes -> 43 characters).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from connectors.b64url import decode as unb64url
from connectors.b64url import encode as b64url
from hub.journal import write_all
from hub.key_dir import writing_keys

_RAW = serialization.Encoding.Raw
_RAW_PUB = serialization.PublicFormat.Raw
_RAW_PRIV = serialization.PrivateFormat.Raw


def public_key_text(key: Ed25519PublicKey) -> str:
    return b64url(key.public_bytes(_RAW, _RAW_PUB))


def private_key_text(key: Ed25519PrivateKey) -> str:
    return b64url(key.private_bytes(_RAW, _RAW_PRIV, serialization.NoEncryption()))


def load_public_key(data: str | bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from base64url of the raw 32 bytes, or from PEM
    (SubjectPublicKeyInfo); ValueError otherwise."""
    raw = data.encode("ascii") if isinstance(data, str) else data
    raw = raw.strip()
    try:
        if raw.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(raw)
        else:
            key = Ed25519PublicKey.from_public_bytes(unb64url(raw.decode("ascii")))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("not an Ed25519 public key (PEM or base64url raw)") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key (PEM or base64url raw)")
    return key


def verify(public_key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short stable id for a public key (first 16 hex of its SHA-256)."""
    return hashlib.sha256(public_key.public_bytes(_RAW, _RAW_PUB)).hexdigest()[:16]


class HubKey:
    """The hub's own Ed25519 key, kept as a 0600 PEM file in the key directory."""

    FILE = "hub_ed25519.pem"

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    @classmethod
    def load_or_create(cls, key_dir: Path) -> HubKey:
        path = key_dir / cls.FILE
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            assert isinstance(key, Ed25519PrivateKey)
            return cls(key)
        key_dir.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        with writing_keys(key_dir):
            create_whole(path, pem)
            (key_dir / "hub_ed25519.pub.pem").write_bytes(public_pem)
        return cls(key)


def load_or_create_secret(key_dir: Path, name: str, size: int = 32) -> bytes:
    """A random secret kept as a 0600 file (e.g. the audit pseudonymisation key)."""
    path = key_dir / name
    if path.exists():
        return path.read_bytes()
    key_dir.mkdir(parents=True, exist_ok=True)
    secret = os.urandom(size)
    try:
        with writing_keys(key_dir):
            create_whole(path, secret)
    except FileExistsError:
        return path.read_bytes()  # created meanwhile by another process
    return secret


def create_whole(path: Path, content: bytes) -> None:
    """`path` created with `content` (0600), whole or not at all: a write refused (a full
    volume) leaves no empty or cut key file that every later start would read as the key.
    FileExistsError when another process created it first."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            write_all(fd, content)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.link(temporary, path)  # atomic, and refuses a path that exists
    finally:
        temporary.unlink(missing_ok=True)
