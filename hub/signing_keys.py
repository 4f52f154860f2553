"""The hub's signing keys over time: rotation without downtime, history for verifiers.

The hub signs access-log heads, consent receipts and webhooks with its Ed25519 key.
Rotation has two steps, so that members and DPOs learn the new key before it is used:

1. `announce`: a next key is created (`hub_ed25519.next.pem`) and published in the
   history (state `annoncee`); webhooks carry a signature by both keys from then on;
2. `activate`: the next key becomes the current one (`hub_ed25519.pem`, replaced
   atomically); the former key's private half is scrubbed, its public half stays in the
   history (state `retiree`) so that heads and receipts it signed still verify.

Every process re-reads the key files when they change (checked at most every few
seconds), so a rotation needs no restart. The history (`hub_signing_keys.json`) holds
public keys only; it is served at `GET /v1/hub-keys` and read by the offline verifier.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hub.errors import Conflict
from hub.key_dir import writing_keys
from hub.keyring import write_atomically
from hub.keys import HubKey, load_public_key, public_key_text

CURRENT, NEXT, PUBLIC = "hub_ed25519.pem", "hub_ed25519.next.pem", "hub_ed25519.pub.pem"
HISTORY = "hub_signing_keys.json"
ACTIVE, ANNOUNCED, RETIRED = "active", "annoncee", "retiree"


class HubKeys:
    """The current signing key, the announced next one, and the public history."""

    def __init__(self, key_dir: Path, check_every_s: float = 2.0) -> None:
        self.key_dir = key_dir
        self._every = check_every_s
        self._next_check = 0.0  # set by `_reload`
        self._mutex = threading.Lock()
        with self._locked():
            HubKey.load_or_create(key_dir)
            if not (key_dir / HISTORY).exists():
                self._write_history([_entry(self._load(CURRENT), ACTIVE, _mtime(key_dir / CURRENT))])
        self._reload()

    @property
    def current(self) -> HubKey:
        self._maybe_reload()
        return self._current

    @property
    def next(self) -> HubKey | None:
        self._maybe_reload()
        return self._next

    def signing_keys(self) -> list[HubKey]:
        """The keys a webhook is signed with: the current one, and the next once announced."""
        self._maybe_reload()
        return [self._current] + ([self._next] if self._next else [])

    def history(self) -> list[dict[str, Any]]:
        return json.loads((self.key_dir / HISTORY).read_text())["cles"]

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        """Every key the hub ever signed with, by key id (for verifiers)."""
        return {entry["key_id"]: load_public_key(entry["cle_publique"]) for entry in self.history()}

    def announce(self, now: dt.datetime) -> HubKey:
        with self._locked():
            if (self.key_dir / NEXT).exists():
                raise Conflict("Une clé suivante est déjà annoncée : activez-la d'abord.",
                               "A next key is already announced: activate it first.")
            key = Ed25519PrivateKey.generate()
            write_atomically(self.key_dir / NEXT, _pem(key))
            announced = HubKey(key)
            self._write_history([*self.history(), _entry(announced, ANNOUNCED, now)])
        self._reload()
        return announced

    def activate(self, now: dt.datetime) -> HubKey:
        with self._locked():
            if not (self.key_dir / NEXT).exists():
                raise Conflict("Aucune clé suivante annoncée : annoncez-en une d'abord.",
                               "No next key announced: announce one first.")
            new, old = self._load(NEXT), self._load(CURRENT)
            write_atomically(self.key_dir / CURRENT, (self.key_dir / NEXT).read_bytes())
            write_atomically(self.key_dir / PUBLIC, new.public_key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
            write_atomically(self.key_dir / NEXT, b"")  # scrubs the file's former blocks
            (self.key_dir / NEXT).unlink()
            self._write_history([_retire(entry, old.key_id, new.key_id, now)
                                 for entry in self.history()])
        self._reload()
        return new

    def _maybe_reload(self) -> None:
        if time.monotonic() >= self._next_check:
            stamp = self._stamp()
            if stamp != self._seen:
                self._reload()
            self._next_check = time.monotonic() + self._every

    def _reload(self) -> None:
        with self._mutex:
            self._seen = self._stamp()
            self._current = self._load(CURRENT)
            self._next = self._load(NEXT) if (self.key_dir / NEXT).exists() else None
            self._next_check = time.monotonic() + self._every

    def _stamp(self) -> tuple[float, ...]:
        return tuple(_mtime(self.key_dir / name) for name in (CURRENT, NEXT, HISTORY))

    def _load(self, name: str) -> HubKey:
        key = serialization.load_pem_private_key((self.key_dir / name).read_bytes(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
        return HubKey(key)

    def _write_history(self, entries: list[dict[str, Any]]) -> None:
        write_atomically(self.key_dir / HISTORY,
                         json.dumps({"format": 1, "cles": entries}, indent=2).encode())

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with writing_keys(self.key_dir):
            self.key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.key_dir / ".signing.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _entry(key: HubKey, state: str, since: dt.datetime | float) -> dict[str, Any]:
    when = since if isinstance(since, dt.datetime) else dt.datetime.fromtimestamp(since, dt.UTC)
    return {"key_id": key.key_id, "cle_publique": public_key_text(key.public_key), "etat": state,
            "depuis": when.isoformat(), "jusqu_a": None}


def _retire(entry: dict[str, Any], old_id: str, new_id: str, now: dt.datetime) -> dict[str, Any]:
    if entry["key_id"] == old_id:
        return {**entry, "etat": RETIRED, "jusqu_a": now.isoformat()}
    if entry["key_id"] == new_id:
        return {**entry, "etat": ACTIVE, "depuis": now.isoformat()}
    return entry


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime_ns / 1e9
    except FileNotFoundError:
        return 0.0
