"""A fiche's content hash, as the checkpoint keeps it to skip what the hub already has."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import orjson

from connectors.checkpoint import CheckpointState, KnownFiche
from schemas.numbers import same_numbers


def content_hash(fiche: dict[str, Any]) -> str:
    """The fiche's content, without version and update date (they change with no edit),
    its equal numbers written one way as in the hub's content hash (8000.0 is 8000)."""
    body = same_numbers({k: v for k, v in fiche.items() if k not in ("version", "mis_a_jour_le")})
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def previous_content_hash(fiche: dict[str, Any]) -> str:
    """`content_hash` as connectors wrote it before numbers were written one way (8000.0
    was not 8000): checkpoints written then still hold it."""
    body = {k: v for k, v in fiche.items() if k not in ("version", "mis_a_jour_le")}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def rehashed(state: CheckpointState, key: str, known: KnownFiche, fiche: dict[str, Any],
             digest: str) -> bool:
    """True when `known` holds the previous form of `fiche`'s hash: the fiche is unchanged,
    and the checkpoint takes the new form (written at the end of the run)."""
    if known.content_hash != previous_content_hash(fiche):
        return False
    state.known[key] = dataclasses.replace(known, content_hash=digest)
    return True
