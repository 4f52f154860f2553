"""Crypto-shredding: erase a porteur by destroying the keys of their personal data.

Each fiche (a porteur as one member knows them) has a 256-bit data key: the porteur
is only resolved after the fiche is stored, and porteurs are merged and unmerged, so
a key per fiche never has to be re-encrypted. The fiche's versions and every
delivery disclosing its fields are sealed with it (AES-256-GCM, a fresh 96-bit nonce
per value, the subject bound as associated data so a ciphertext cannot be moved).
The data key is kept only wrapped by the hub master key (AES key wrap, RFC 3394).
Erasing a porteur destroys the wrapped keys of all its fiches: every copy of the
ciphertexts, in history tables or backups, becomes unreadable, while pseudonymous
ids and the audit trail remain (the versions' statistics are set to NULL).

Limit: a database backup taken *before* erasure still holds the wrapped keys; keep
`fiche_keys` backups on a retention shorter than the erasure deadline, or rotate the
master key after restoring such a backup.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from connectors import b64url
from hub.errors import ConfigurationError, UnreadableData

KEY_BYTES = 32
_PREFIX = "v1."


def new_key() -> bytes:
    """A fresh random 256-bit key (data key or master key)."""
    return AESGCM.generate_key(bit_length=256)


def check_master_key(master_key: bytes) -> bytes:
    if len(master_key) != KEY_BYTES:
        raise ConfigurationError("La clé maîtresse doit faire 32 octets.",
                                 "The master key must be 32 bytes long.")
    return master_key


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


def cipher(data_key: bytes) -> AESGCM:
    """The data key's AES-256-GCM cipher, for `seal` and `unseal` of many values under
    one key (building it works out the key schedule: four times the cost of sealing a
    small value)."""
    return AESGCM(data_key)


def seal(data_key: bytes | AESGCM, plaintext: bytes, context: str) -> str:
    """AES-256-GCM with a fresh 96-bit nonce, `context` bound as associated data:
    "v1.<base64url(nonce|ciphertext|tag)>". `data_key`: the key, or its `cipher`."""
    nonce = os.urandom(12)
    aead = AESGCM(data_key) if isinstance(data_key, bytes) else data_key
    sealed = aead.encrypt(nonce, plaintext, context.encode())
    return _PREFIX + b64url.encode_padded(nonce + sealed)


def unseal(data_key: bytes | AESGCM, token: str, context: str) -> bytes:
    """What `seal` sealed; UnreadableData if the key or context differs, or on tampering.
    `data_key`: the key, or its `cipher`."""
    try:
        raw = b64url.decode(token.removeprefix(_PREFIX))
        aead = AESGCM(data_key) if isinstance(data_key, bytes) else data_key
        return aead.decrypt(raw[:12], raw[12:], context.encode())
    except (InvalidTag, ValueError) as exc:
        raise UnreadableData(
            "Une donnée chiffrée ne se déchiffre pas avec la clé de ce porteur.",
            "Encrypted data does not decrypt with this porteur's key.",
        ) from exc


def is_sealed(text: str) -> bool:
    return text.startswith(_PREFIX)


def encrypt_fields(data_key: bytes, fields: Mapping[str, Any],
                   context: str = "") -> dict[str, str]:
    """Each value (any JSON value) sealed on its own; the field name is bound with
    `context` so a ciphertext cannot be moved to another field or subject."""
    return {name: seal(data_key, json.dumps(value, ensure_ascii=False,
                                            separators=(",", ":")).encode(),
                       _associated(name, context))
            for name, value in fields.items()}


def decrypt_fields(data_key: bytes, encrypted: Mapping[str, str],
                   context: str = "") -> dict[str, Any]:
    """The values `encrypt_fields` sealed; UnreadableData if a key, field or context differs."""
    return {name: json.loads(unseal(data_key, token, _associated(name, context)))
            for name, token in encrypted.items()}


def _associated(name: str, context: str) -> str:
    return json.dumps([context, name])
