"""What someone holding a copy of the hub's files would try: every key the hub holds against
every wrapped key and every sealed value found in the raw bytes of the store.

Sealed values (`v1.<base64url(nonce|ciphertext|tag)>`, AES-256-GCM) are opened as plain
AES-CTR, ignoring the tag and associated data: a data key is all an attacker needs.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap

WRAPPED_BYTES = 40  # AES key wrap of a 256-bit data key
_SEALED = re.compile(rb"v1\.([A-Za-z0-9_-]{40,}={0,2})")


def keys_held(*folders: Path) -> set[bytes]:
    """Every 256-bit secret in these folders: raw 32-byte files and base64 values of JSON files."""
    found: set[bytes] = set()
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if not path.is_file():
                continue
            content = path.read_bytes()
            if len(content) == 32:
                found.add(content)
            elif path.suffix == ".json":
                found.update(_json_keys(json.loads(content)))
    return found


def _json_keys(value: object) -> Iterable[bytes]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _json_keys(item)
    elif isinstance(value, str) and len(value) == 44:
        try:
            decoded = base64.b64decode(value, validate=True)
        except ValueError:
            return
        if len(decoded) == 32:
            yield decoded


def wrapped_candidates(blob: bytes, marker: bytes, offsets: range) -> set[bytes]:
    """40-byte windows at `offsets` after each `marker` byte: where a 40-byte blob starts
    in a SQLite record (serial type 0x5C in the header just before) or a PostgreSQL tuple
    (short varlena header 0x53)."""
    found = set()
    for match in re.finditer(re.escape(marker), blob):
        for offset in offsets:
            start = match.start() + offset
            window = blob[start:start + WRAPPED_BYTES]
            if len(window) == WRAPPED_BYTES:
                found.add(window)
    return found


def unwrapped(keks: Iterable[bytes], wrapped: Iterable[bytes]) -> set[bytes]:
    """Every data key some KEK unwraps from some candidate (AES-KW checks its own integrity)."""
    keys = set()
    keks = list(keks)
    for blob in wrapped:
        for kek in keks:
            try:
                keys.add(aes_key_unwrap(kek, blob))
            except InvalidUnwrap:
                continue
    return keys


def sealed_values(blob: bytes) -> set[bytes]:
    values = set()
    for match in _SEALED.finditer(blob):
        try:
            raw = base64.urlsafe_b64decode(match.group(1) + b"=" * (-len(match.group(1)) % 4))
        except ValueError:
            continue
        if len(raw) > 28:
            values.add(raw)
    return values


def opened(data_keys: Iterable[bytes], sealed: Iterable[bytes]) -> list[bytes]:
    """The plaintexts of every sealed value under every data key (garbage when the key is
    wrong: callers look for a marker)."""
    texts = []
    sealed = list(sealed)
    for key in data_keys:
        for raw in sealed:
            nonce, body = raw[:12], raw[12:-16]
            counter = nonce + (2).to_bytes(4, "big")
            decryptor = Cipher(algorithms.AES(key), modes.CTR(counter)).decryptor()
            texts.append(decryptor.update(body) + decryptor.finalize())
    return texts
