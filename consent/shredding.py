"""Crypto-shredding: erase a porteur by destroying the key of their personal data.

Each porteur has a 256-bit data key. Personal fields are stored encrypted with
it (AES-256-GCM, a fresh 96-bit nonce per value, the field name and porteur id
bound as associated data so a ciphertext cannot be moved to another field or
porteur). The data key is kept only wrapped by the hub master key (AES key wrap,
RFC 3394). Erasure deletes the wrapped key: every copy of the ciphertexts, in
history tables or backups, becomes unreadable, while pseudonymous ids, the
audit trail and non-personal statistics remain.

Limit: a database backup taken *before* erasure still holds the wrapped key; keep
`porteur_keys` backups on a retention shorter than the erasure deadline, or
rotate the master key after restoring such a backup.
"""

from __future__ import annotations

import abc
import base64
import datetime as dt
import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from hub.errors import ConfigurationError, DataErased, UnreadableData

KEY_BYTES = 32
_PREFIX = "v1."


def new_key() -> bytes:
    """A fresh random 256-bit key (data key or master key)."""
    return AESGCM.generate_key(bit_length=256)


def wrap_key(master_key: bytes, data_key: bytes) -> bytes:
    return aes_key_wrap(master_key, data_key)


def unwrap_key(master_key: bytes, wrapped: bytes) -> bytes:
    try:
        return aes_key_unwrap(master_key, wrapped)
    except InvalidUnwrap as exc:
        raise ConfigurationError(
            "La clé maîtresse du hub ne déchiffre pas les clés des porteurs : vérifiez-la.",
            "The hub master key does not unwrap the porteurs' keys: check it.",
        ) from exc


def encrypt_fields(porteur_key: bytes, fields: Mapping[str, Any],
                   context: str = "") -> dict[str, str]:
    """Each value (any JSON value) encrypted on its own, as "v1.<base64url(nonce|ct)>".

    `context` (e.g. the porteur id) is bound to every ciphertext with the field name.
    """
    aead = AESGCM(porteur_key)
    encrypted = {}
    for name, value in fields.items():
        nonce = os.urandom(12)
        plaintext = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        sealed = aead.encrypt(nonce, plaintext, _associated(name, context))
        encrypted[name] = _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
    return encrypted


def decrypt_fields(porteur_key: bytes, encrypted: Mapping[str, str],
                   context: str = "") -> dict[str, Any]:
    """The values `encrypt_fields` sealed; UnreadableData if a key, field or context differs."""
    aead = AESGCM(porteur_key)
    fields = {}
    for name, token in encrypted.items():
        try:
            raw = base64.urlsafe_b64decode(token.removeprefix(_PREFIX))
            plaintext = aead.decrypt(raw[:12], raw[12:], _associated(name, context))
        except (InvalidTag, ValueError) as exc:
            raise UnreadableData(
                "Une donnée chiffrée ne se déchiffre pas avec la clé de ce porteur.",
                "Encrypted data does not decrypt with this porteur's key.",
            ) from exc
        fields[name] = json.loads(plaintext)
    return fields


def _associated(name: str, context: str) -> bytes:
    return json.dumps([context, name]).encode()


class PorteurKeys(abc.ABC):
    """The store of wrapped per-porteur data keys (port; see consent.sql_keys)."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != KEY_BYTES:
            raise ConfigurationError("La clé maîtresse doit faire 32 octets.",
                                     "The master key must be 32 bytes long.")
        self._master_key = master_key

    def key_for(self, porteur_id: str, at: dt.datetime) -> bytes:
        """The porteur's data key, created on first use; DataErased after `destroy`."""
        found, wrapped = self._load(porteur_id)
        if not found:
            wrapped = self._create(porteur_id, wrap_key(self._master_key, new_key()), at)
        if wrapped is None:
            raise DataErased(
                "Les données de ce porteur ont été effacées (clé détruite).",
                "This porteur's data was erased (key destroyed).",
            )
        return unwrap_key(self._master_key, wrapped)

    def destroy(self, porteur_id: str, at: dt.datetime) -> None:
        """Erase: forget the wrapped key for good (idempotent; also for unknown porteurs,
        so that no key is created for them later)."""
        self._destroy(porteur_id, at)

    def is_erased(self, porteur_id: str) -> bool:
        found, wrapped = self._load(porteur_id)
        return found and wrapped is None

    @abc.abstractmethod
    def _load(self, porteur_id: str) -> tuple[bool, bytes | None]:
        """(row exists, wrapped key or None once destroyed)."""

    @abc.abstractmethod
    def _create(self, porteur_id: str, wrapped: bytes, at: dt.datetime) -> bytes | None:
        """Store `wrapped` unless a row exists; return the stored wrapped key (or None)."""

    @abc.abstractmethod
    def _destroy(self, porteur_id: str, at: dt.datetime) -> None: ...

