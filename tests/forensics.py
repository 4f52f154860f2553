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

import psycopg
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap

from hub.store.tables import fiches

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


# Where the bytes come from: a copy of the store's files, and how the tests arrange keys.


def next_fiche_shares_the_bucket_of(hub, fiche_id):
    """The next fiche's primary key is 256 more than this one's: same KEK bucket."""
    with hub.engine.begin() as conn:
        row = conn.execute(sa.select(fiches).where(fiches.c.fiche_id == fiche_id)).one()
        next_fiche_follows(conn, row, row.id + 255)


def next_fiche_follows(conn, row, target: int) -> None:
    """The next fiche's primary key is `target` + 1 (`row`: a fiche, copied on SQLite)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('fiches', 'id'), :n)"),
                     {"n": target})
    else:  # SQLite: the next rowid follows the largest one ever inserted
        conn.execute(sa.insert(fiches).values(
            {**row._mapping, "id": target, "fiche_id": "placeholder", "porteur_id": None}))
        conn.execute(sa.delete(fiches).where(fiches.c.id == target))


def store_lost(hub) -> None:
    """The live store gone (what a restore is for): SQLite's files, PostgreSQL's schema."""
    url = sa.engine.make_url(hub.settings.database_url.reveal())
    if url.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.database}{suffix}").unlink(missing_ok=True)
        return
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        engine.dispose()


def wal_position(hub):
    if hub.engine.dialect.name != "postgresql":
        return None
    with hub.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT pg_walfile_name(pg_current_wal_lsn())").scalar_one()


def store_bytes(hub, first_wal_file) -> tuple[bytes, bytes]:
    """The raw bytes an attacker would copy, (files, WAL): SQLite's three files, or
    PostgreSQL's relation files of this database and the WAL segments written since the
    test started."""
    if hub.engine.dialect.name == "sqlite":
        path = hub.engine.url.database
        return b"".join(_read(Path(f"{path}{suffix}")) for suffix in ("", "-wal", "-shm")), b""
    _checkpoint(hub)  # the relation files hold what the WAL holds
    with hub.engine.connect() as conn:
        cluster = Path(conn.exec_driver_sql("SHOW data_directory").scalar_one())
        oid = conn.exec_driver_sql(
            "SELECT oid FROM pg_database WHERE datname = current_database()").scalar_one()
        last = conn.exec_driver_sql("SELECT pg_walfile_name(pg_current_wal_lsn())").scalar_one()
    wal = [path for path in sorted((cluster / "pg_wal").iterdir())
           if len(path.name) == 24 and first_wal_file <= path.name <= last]
    return (b"".join(_read(path) for path in sorted((cluster / "base" / str(oid)).iterdir())),
            b"".join(_read(path) for path in wal))


def _checkpoint(hub) -> None:
    """A checkpoint on a connection of its own, outside the hub's deadlines (its statement
    timeout and its client-side silence deadline are for its own requests: a checkpoint on
    a loaded machine writes every dirty buffer of the shared cluster and may take longer)."""
    url = hub.engine.url.set(drivername="postgresql", query={})
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True,
                         options="-c statement_timeout=0") as raw:
        raw.execute("CHECKPOINT")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):  # a WAL segment recycled meanwhile
        return b""


def wrapped_found(hub, blob: bytes) -> set[bytes]:
    """40-byte blobs where a record would hold one: after SQLite's serial type 0x5C, or after
    PostgreSQL's short varlena header (0x53) in the key table's own file."""
    if hub.engine.dialect.name == "sqlite":
        return wrapped_candidates(blob, b"\x5c", range(1, 6))
    with hub.engine.connect() as conn:
        cluster = Path(conn.exec_driver_sql("SHOW data_directory").scalar_one())
        relation = conn.exec_driver_sql("SELECT pg_relation_filepath('fiche_keys')").scalar_one()
    return wrapped_candidates((cluster / relation).read_bytes(), b"\x53", range(1, 2))
