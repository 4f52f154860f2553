"""Key upkeep around erasures: rotate and destroy key-encryption keys, purge freed space,
and upgrade a store written before bucketed KEKs and keyed digests.

An erasure runs within `final_erasure(hub)`: the key file is locked for the whole
rotation, the unit of work destroys the erased fiches' wrapped keys and re-wraps their
buckets under fresh KEKs, and only after the commit are the old KEKs destroyed and the
freed space purged; the erasure is reported done after that.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from hub.bootstrap import LEGACY_MASTER_KEY, Hub
from hub.errors import KeyDirectoryReadOnly
from hub.keyring import BUCKETS, destroy_file
from hub.services.matching.reindex import rebuild_digests
from hub.store.purge import purge_freed_space

_CHUNK = 1000
DIGESTS_MARKER, DIGESTS_SCHEME = "blocking_digests", "hmac-sha256"


@dataclasses.dataclass
class Finish:
    """What is left of an erasure committed: its old KEKs, when the key directory refused
    the write that destroys them (a full volume); the next erasure or rotation, `capactif
    init` or the same request again (`finish_erasure`) destroys them."""

    old_keys_left: bool = False


@contextlib.contextmanager
def final_erasure(hub: Hub) -> Iterator[Finish]:
    """Around the unit of work that calls `uow.keys.destroy`: afterwards no KEK that
    wrapped a destroyed key is left in the key directory, or `old_keys_left` says so
    (the erasure committed whatever the key directory does after)."""
    finish = Finish()
    with hub.keyring.locked():
        yield finish
        finish.old_keys_left = not _destroyed_old_keks(hub)
    purge_freed_space(hub.engine)


def finish_erasure(hub: Hub) -> bool:
    """The old KEKs an erasure left destroyed now: whether they are (none left)."""
    with hub.keyring.locked():
        return _destroyed_old_keks(hub)


def _destroyed_old_keks(hub: Hub) -> bool:
    try:
        destroy_old_keks(hub)  # the refusal is logged naming the key directory
    except KeyDirectoryReadOnly:
        return False
    return True


ROTATION_MARKER = "data_key_rotation_next_bucket"
_BUCKETS_PER_STEP = 16


def rotate_data_keys(hub: Hub) -> int:
    """Replace every key-encryption key while the hub runs, a few buckets per transaction:
    their live data keys re-wrapped under fresh KEKs, the old KEKs destroyed at once.
    Resumable: the next bucket is kept in the store, so an interrupted rotation goes on
    where it stopped when run again. Answers the number of buckets rotated by this run."""
    rotated = 0
    while True:
        with hub.keyring.locked():
            with hub.uow() as uow:
                bucket = int(uow.markers.get(ROTATION_MARKER) or 0)
                if bucket >= BUCKETS:
                    uow.markers.set(ROTATION_MARKER, "0")
                    uow.commit()
                    return rotated
                step = range(bucket, min(bucket + _BUCKETS_PER_STEP, BUCKETS))
                uow.keys.rotate(step, hub.clock())
                uow.markers.set(ROTATION_MARKER, str(step.stop))
                uow.commit()
            destroy_old_keks(hub)
        rotated += len(step)


def upgrade_keys(hub: Hub) -> dict[str, int]:
    """Resumable: re-wrap keys still under the former master key (then delete it),
    recompute unkeyed blocking digests as HMAC, seal meeting notes written in clear,
    destroy KEKs left by an interrupted erasure. Run by `capactif init` (and so by
    `serve` and `worker`)."""
    with hub.keyring.locked():  # one process at a time (several start together)
        rewrapped = _rewrap_legacy(hub)
        return {"cles_reemballees": rewrapped, "digests_recalcules": _rekey_digests(hub),
                "notes_scellees": _seal_meeting_notes(hub),
                "cles_detruites": destroy_old_keks(hub)}


def _seal_meeting_notes(hub: Hub) -> int:
    return _in_chunks(hub, lambda uow: uow.meeting.seal_legacy(_CHUNK))


def _in_chunks(hub: Hub, step: Callable[[Any], int]) -> int:
    """`step` in transactions of up to _CHUNK rows until one does fewer; how many in all."""
    total = 0
    while True:
        with hub.uow() as uow:
            done = step(uow)
            uow.commit()
        total += done
        if done < _CHUNK:
            return total


def _rewrap_legacy(hub: Hub) -> int:
    rewrapped = _in_chunks(hub, lambda uow: uow.keys.rewrap_legacy(_CHUNK))
    legacy = hub.settings.key_folder / LEGACY_MASTER_KEY
    if legacy.exists():
        destroy_file(legacy)
        hub.store_keys.legacy_master = None
    return rewrapped


def destroy_old_keks(hub: Hub) -> int:
    """Every KEK older than its bucket's generation in the store destroyed (within
    `hub.keyring.locked()`); answers how many. The answers kept for the requests of
    erasures left unfinished (hub.services.privacy.erasure_retries) stay: the same request
    again answers its erasure, finished now."""
    with hub.uow() as uow:
        current = uow.keys.generations()
    return hub.keyring.keep_only(current)


def _rekey_digests(hub: Hub) -> int:
    """Blocking digests recomputed from the sealed identities, in chunks of fiches (the
    progress is kept, so an interrupted run resumes where it stopped)."""
    return rebuild_digests(hub, DIGESTS_MARKER, DIGESTS_SCHEME, _CHUNK)
