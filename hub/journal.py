"""The recovery journal: what a restore must replay, kept apart from the database.

A backup of the database is a past state. Erasures, key rotations and consent
withdrawals made since must not be undone by restoring it, so each of them is also
appended here, in the key directory (never in the data directory, never in a database
backup), one JSON line per event, fsynced before the database commits:

- `rotation`: the buckets whose key-encryption keys changed, the generations the store
  named before (`from`) and the new ones, the survivors' data keys wrapped under the new
  KEKs, and the erased fiches;
- `erasure`: an erasure's id, scope, pseudonymous porteur and fiche ids, requester, time,
  a keyed digest of each fiche's owner and id (`fiche_digest`: a fiche key the store
  holds under another fiche is not that fiche), the same digests of the other owners'
  fiches it asked them to erase, how many of its fiches the coordination asking it is
  told of (`fiches_told`), whether the coordination made it in the owner's name
  (`owner_told`: a confirmation in its console; the owner is told), and the generations
  of its own rotation (`rotation`:
  an erasure whose rotation never committed never happened);
- `withdrawal`: a consent withdrawn or expired (consent id, member, time, kind);
- `settled`: the key file was brought to the database's generations (`capactif restore`,
  before it replaces the store): every KEK older than its bucket's committed generation
  destroyed. A rotation written before this line whose bucket still keeps an older KEK
  never committed (killed, or its database failed, between its entry and its commit);
- the decisions (`DECISIONS`), each with an id the store records in the decision's own
  transaction (`journal_decisions`), replayed by a restore when its copy lacks that id:
  `members`, the standing of members after a network load, a credential rotation or a
  change of subscriptions (status, role, webhook, territory, subscriptions, credential
  hashes and public keys, DPO credential; never a secret, a name nor a contact);
  `review`, a coordinator's decision on a review item (same: the merge, different,
  unknown; the item's number, each side by key and keyed digest); `unmerge`, a
  separation (the porteur, the fiche by key and keyed digest, the fiches the
  coordination saw); `erasure_answer`, an owner's answer to an erasure request
  given without erasing (its motif, its text sealed with a kept fiche's data key);
  `account`, a console account disabled, its role or password changed (the password's
  scrypt hash); `consent_narrowed`, a fiche's consent in force replaced by one that takes
  something away (the fiche by key and keyed digest, the consent's record sealed with the
  fiche's data key: hub.services.delivery.consent_journal); `referent_answer`, a member's
  answer to a referent proposal (the proposal's number, member, porteur and time, the
  answer, its note as stored: sealed with a porteur's fiche's data key);
- `uncommitted`: the decisions written before this line that the store being replaced
  (read by `capactif restore` before it loads the copy) does not hold: never committed
  (their process killed, or their transaction failed, after the entry), never replayed.

Replaying is idempotent (a generation already reached, an erasure already recorded, a
consent already withdrawn or a decision the store holds is skipped), so a restore replays
the whole journal. Nothing here is personal: ids, wrapped keys (useless without the KEKs
beside them, and the KEKs of an erasure are destroyed), hashes, times, and a refusal's
text and a narrowed consent's record sealed with a fiche's data key (which its erasure
destroys).
"""

from __future__ import annotations

import base64
import contextlib
import errno
import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from hub.key_dir import writing_keys

FILE = "recovery_journal.jsonl"
DECISIONS = frozenset({"members", "review", "review_reopen", "unmerge", "erasure_answer",
                       "account", "consent_narrowed", "referent_answer"})


class RecoveryJournal:
    def __init__(self, key_dir: Path) -> None:
        self.path = key_dir / FILE

    def rotation(self, generations: Mapping[int, int], wrapped: Mapping[int, bytes],
                 destroyed: list[int], at: str, previous: Mapping[int, int],
                 erasure: str | None = None) -> None:
        """`erasure`: the id of the erasure destroying `destroyed`, whose own entry follows
        (hub.store.key_replay: without it, the rotation never committed)."""
        self._append({"type": "rotation", "at": at, **({"erasure": erasure} if erasure else {}),
                      "from": {str(b): g for b, g in sorted(previous.items())},
                      "generations": {str(b): g for b, g in sorted(generations.items())},
                      "keys": {str(pk): base64.b64encode(w).decode("ascii")
                               for pk, w in sorted(wrapped.items())},
                      "destroyed": sorted(destroyed)})

    def erasure(self, record: Mapping[str, Any]) -> None:
        self._append({"type": "erasure", **record})

    def withdrawal(self, consent_id: str, member_id: str, at: str, kind: str) -> None:
        self._append({"type": "withdrawal", "consent_id": consent_id, "member_id": member_id,
                      "at": at, "kind": kind})

    def settled(self, at: str) -> None:
        self._append({"type": "settled", "at": at})

    def decision(self, kind: str, entry_id: str, at: str, record: Mapping[str, Any]) -> None:
        """A decision a restore replays unless the store holds `entry_id` (`DECISIONS`)."""
        assert kind in DECISIONS, kind
        self._append({**record, "type": kind, "id": entry_id, "at": at})

    def uncommitted(self, at: str, entry_ids: Iterable[str]) -> None:
        self._append({"type": "uncommitted", "at": at, "ids": sorted(entry_ids)})

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every complete entry, oldest first (a line torn by a crash is ignored)."""
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            for line in handle:
                try:
                    yield json.loads(line)
                except ValueError:
                    continue

    def _append(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, separators=(",", ":"), sort_keys=True).encode() + b"\n"
        with writing_keys(self.path.parent):  # a full volume: 503, the caller commits nothing
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line  # a line torn by a crash: this entry starts its own
                try:
                    write_all(fd, line)
                    os.fsync(fd)
                except OSError:
                    with contextlib.suppress(OSError):  # no torn entry left (readers skip one)
                        os.ftruncate(fd, size)
                    raise
            finally:
                os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """Every byte of `data`, however the system cuts the writes short; an error rather
    than a torn entry when it takes none (a full volume)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, f"no byte taken ({len(view)} left to write)")
        view = view[written:]


def decode_key(text: str) -> bytes:
    return base64.b64decode(text)


def fiche_digest(secret: bytes, member_id: str, fiche_id: str) -> str:
    """A fiche's owner and id, keyed (the journal holds no member's own fiche id in clear)."""
    text = f"{member_id}\n{fiche_id}".encode()
    return hmac.new(secret, text, hashlib.sha256).hexdigest()[:32]


def uncommitted_decisions(entries: Iterable[Mapping[str, Any]]) -> set[str]:
    """The decisions an `uncommitted` line judged never committed."""
    return {i for entry in entries if entry.get("type") == "uncommitted" for i in entry["ids"]}


def fiche_keys_named(entries: Iterable[Mapping[str, Any]]) -> set[int]:
    """Every fiche key the entries name (rotations: survivors and erased; erasures: the
    fiches erased and those of the other owners asked)."""
    named: set[int] = set()
    for entry in entries:
        if entry.get("type") == "rotation":
            named.update(int(pk) for pk in [*entry["keys"], *entry["destroyed"]])
        elif entry.get("type") == "erasure":
            named.update(int(pk) for pk in entry["fiche_pks"])
            named.update(int(pk) for asked in entry.get("asked", ()) for pk in asked["fiche_pks"])
    return named
