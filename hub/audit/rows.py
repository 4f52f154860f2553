"""Conversions between access events and `audit_entries` rows."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

from hub.audit.events import AccessEvent, canonical_json, format_time


def row_document(row: Any) -> dict[str, Any]:
    """The event document of a stored row, exactly as hashed; no validation, so that an
    export of a tampered store still goes through and the verifier can name the fault."""
    return {
        "seq": row.seq,
        "at": format_time(as_utc(row.at)),
        "actor_member": row.actor_member,
        "actor_user": row.actor_user,
        "action": row.action,
        "porteur_ref": row.porteur_ref,
        "fiche_refs": list(row.fiche_refs),
        "fields": list(row.fields),
        "purpose": row.purpose,
        "policy_version": row.policy_version,
        "outcome": row.outcome,
        "request_id": row.request_id,
        **({} if row.salt is None else {"salt": row.salt}),
    }


def content_leaf(row: Any) -> bytes:
    """The leaf hash of a stored row's content, as `numbered` computed it at append time
    (orjson's compact sorted output, which is the canonical form of what the hub wrote;
    anything else is encoded again by the reference `canonical_json` before it is
    called modified)."""
    try:
        document = row_document(row)
    except (TypeError, ValueError, AttributeError):  # a column rewritten out of its type
        return b""
    leaf = _sha256(b"\x00" + orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).digest()
    if leaf != bytes(row.leaf_hash):
        leaf = _sha256(b"\x00" + canonical_json(document)).digest()
    return leaf


# The columns `stored_leaf` reads, in this order (the time and lists as the driver gives them).
HASHED_COLUMNS = ("seq", "leaf_hash", "at", "actor_member", "actor_user", "action", "porteur_ref",
                  "fiche_refs", "fields", "purpose", "policy_version", "outcome", "request_id",
                  "salt")


def stored_leaf(values: tuple[Any, ...]) -> bytes:
    """`content_leaf` of a row read as driver values (HASHED_COLUMNS), without SQLAlchemy's
    per-value processing: the hot path of a restart reading the whole log. Exact for
    what the hub wrote; a row it did not write may hash otherwise here (`content_leaf`
    then decides)."""
    (seq, _leaf, at, member, user, action, porteur, fiches, fields, purpose, policy, outcome,
     request, salt) = values
    # SQLite: SQLAlchemy's "YYYY-MM-DD HH:MM:SS.ffffff", in UTC; PostgreSQL: a datetime
    at = at.replace(" ", "T", 1) + "Z" if isinstance(at, str) else format_time(as_utc(at))
    document = {  # keys in sorted order: orjson keeps them so
        "action": action, "actor_member": member, "actor_user": user, "at": at,
        "fiche_refs": orjson.loads(fiches) if isinstance(fiches, str | bytes) else fiches,
        "fields": orjson.loads(fields) if isinstance(fields, str | bytes) else fields,
        "outcome": outcome, "policy_version": policy, "porteur_ref": porteur,
        "purpose": purpose, "request_id": request, **({} if salt is None else {"salt": salt}),
        "seq": seq,
    }
    try:
        return _sha256(b"\x00" + orjson.dumps(document)).digest()
    except (TypeError, orjson.JSONEncodeError):
        return b""


def row_event(row: Any) -> AccessEvent:
    document = row_document(row)
    document["at"] = as_utc(row.at)
    return AccessEvent(**document)


def as_utc(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; every stored time is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


INSERT_COLUMNS = (
    "seq", "at", "actor_member", "actor_user", "action", "porteur_ref", "fiche_refs", "fields",
    "purpose", "policy_version", "outcome", "request_id", "salt", "leaf_hash",
)
_sha256 = hashlib.sha256
_JSON_COLUMNS = frozenset({"fiche_refs", "fields"})


def insert_statement(dialect: str) -> str:
    """A driver-level INSERT: appends skip SQLAlchemy's per-value processing (the hot path)."""
    if dialect == "postgresql":
        marks = ["%s::json" if c in _JSON_COLUMNS else "%s" for c in INSERT_COLUMNS]
    else:
        marks = ["?"] * len(INSERT_COLUMNS)
    return f"INSERT INTO audit_entries ({', '.join(INSERT_COLUMNS)}) VALUES ({', '.join(marks)})"


def prepare(event: AccessEvent, dialect: str) -> tuple[bytes, tuple[Any, ...]]:
    """What appending `event` needs before its seq is known (done outside the log lock):
    its canonical encoding without the closing `,"seq":N}` and its other INSERT values.

    "seq" sorts last among the keys, so `numbered` only appends it. The result equals
    `event.with_seq(seq).canonical()` byte for byte: events hold only ASCII text that
    JSON never escapes, so orjson's compact output in sorted key order is the canonical
    form (a unit test holds the two together)."""
    naive = event.at.replace(tzinfo=None)  # AccessEvent keeps its time in UTC
    document = {
        "action": event.action, "actor_member": event.actor_member, "actor_user": event.actor_user,
        "at": naive.isoformat(timespec="microseconds") + "Z",  # = format_time(event.at)
        "fiche_refs": event.fiche_refs, "fields": event.fields,
        "outcome": event.outcome, "policy_version": event.policy_version,
        "porteur_ref": event.porteur_ref, "purpose": event.purpose, "request_id": event.request_id,
        **({} if event.salt is None else {"salt": event.salt}),  # "salt" < "seq"
    }
    at: Any = event.at if dialect == "postgresql" else naive.isoformat(" ", "microseconds")
    values = (
        at, event.actor_member, event.actor_user, event.action, event.porteur_ref,
        orjson.dumps(event.fiche_refs).decode("ascii"), orjson.dumps(event.fields).decode("ascii"),
        event.purpose, event.policy_version, event.outcome, event.request_id, event.salt,
    )
    return b"\x00" + orjson.dumps(document)[:-1], values


def numbered(prepared: tuple[bytes, tuple[Any, ...]], seq: int) -> tuple[bytes, tuple[Any, ...]]:
    """The leaf hash and the full INSERT values of a prepared event numbered `seq`."""
    prefix, values = prepared
    leaf = _sha256(prefix + b',"seq":%d}' % seq).digest()
    return leaf, (seq, *values, leaf)


def insert_params(event: AccessEvent, leaf: bytes, dialect: str) -> tuple[Any, ...]:
    """The values of `event` (which has its seq) as the driver takes them, in
    INSERT_COLUMNS order: times stay datetimes for PostgreSQL and become SQLAlchemy's
    SQLite text form (UTC), lists become JSON text."""
    at: Any = event.at
    if dialect != "postgresql":
        at = at.replace(tzinfo=None).isoformat(" ", "microseconds")  # event.at is UTC
    return (
        event.seq, at, event.actor_member, event.actor_user, event.action, event.porteur_ref,
        orjson.dumps(event.fiche_refs).decode("utf-8"), orjson.dumps(event.fields).decode("utf-8"),
        event.purpose, event.policy_version, event.outcome, event.request_id, event.salt, leaf,
    )
