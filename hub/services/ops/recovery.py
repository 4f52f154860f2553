"""Backup and restore that keep erasures, withdrawals and the decisions that took
something away.

`backup` writes a consistent copy of the database and a manifest; the key directory is
never in it (a copy of the keys beside an old database would undo erasures). `restore`
loads a copy, migrates it, then replays the recovery journal (hub.journal) before the
hub serves again: data keys of surviving fiches move to today's KEKs, erased fiches lose
theirs and leave the match index, erasures and withdrawals made since are recorded
again and their notices queued, and the decisions made since (a member's departure, a
credential revoked, a merge, a pair judged different, a separation, a refusal to
erase...) are made again, each once. The access log is appended to, never rewritten: it
verifies across the restore from the copy's last signed head.

Limits (docs/deploy.md, "Backups"): access events and fiches received after the copy
are gone with it (partners push them again: receipts they hold name what the hub had
accepted); heads signed after the copy describe a history the restored log no longer
has, and the restore is itself logged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from consent.api import NoticeKind
from hub.bootstrap import Hub
from hub.config import Settings
from hub.errors import ConfigurationError, HubError, KeyDirectoryReadOnly
from hub.journal import (
    DECISIONS,
    RecoveryJournal,
    fiche_digest,
    fiche_keys_named,
    uncommitted_decisions,
)
from hub.services.accounts import standing, users
from hub.services.audit import trail as audit
from hub.services.delivery import consent_journal
from hub.services.matching import duplicates, referent_answers, review_reopenings
from hub.services.ops.admin import one_at_a_time
from hub.services.ops.heartbeat import live_processes
from hub.services.privacy import erasure_requests, owner_requests
from hub.services.privacy.erasure import ErasureRecord, record_erasure
from hub.services.privacy.key_rotation import destroy_old_keks
from hub.store import backup as copies
from hub.store import set_aside
from hub.store.migrate import upgrade
from hub.store.purge import purge_freed_space
from hub.store.statistics import gather_statistics
from hub.store.uow import UnitOfWork

MANIFEST = "manifest.json"


def backup(hub: Hub, folder: Path) -> dict[str, Any]:
    """A consistent copy of the store in `folder` (created, 0700), with its manifest."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=False)
    except FileExistsError:
        raise ConfigurationError(
            f"{folder} existe déjà : une sauvegarde s'écrit dans un dossier nouveau (rien "
            "n'a été écrit dans celui-ci).",
            f"{folder} already exists: a backup goes into a new folder (nothing was written "
            "into this one).") from None
    except OSError as exc:
        raise ConfigurationError(
            f"Dossier de sauvegarde {folder} impossible à créer ({exc.strerror}).",
            f"Cannot create the backup folder {folder} ({exc.strerror}).") from exc
    started = hub.clock()
    head = audit.latest_head(hub)
    name = "hub.sqlite3" if hub.settings.is_sqlite else "hub.pgdump"
    copies.dump(hub.settings.database_url.reveal(), folder / name)
    manifest = {"format": 1, "fichier": name, "base": "sqlite" if hub.settings.is_sqlite else "postgresql",
                "commence_le": started.isoformat(), "sha256": _sha256(folder / name),
                "tete_journal_acces": head, "cles": "absentes (répertoire de clés à part)"}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    audit.record(hub, [audit.event(hub, "backup", "hub")])
    return manifest


@dataclasses.dataclass
class Restored:
    buckets_advanced: int
    keys_restored: int
    fiches_erased_again: int
    keys_unrecoverable: int
    erasures_replayed: list[str]
    withdrawals_replayed: list[str]
    # the decisions made since the copy (hub.journal, DECISIONS), put back: members that
    # left again, came back, had their credentials put back (a rotation, a revocation),
    # or any part of their standing (hub.services.accounts.standing); members the copy
    # does not know (load the network file again); separations (the porteurs separated);
    # answers to erasure requests ("erasure:owner"); console accounts
    departures_replayed: list[str] = dataclasses.field(default_factory=list)
    readmissions_replayed: list[str] = dataclasses.field(default_factory=list)
    credentials_replayed: list[str] = dataclasses.field(default_factory=list)
    members_replayed: list[str] = dataclasses.field(default_factory=list)
    members_missing: list[str] = dataclasses.field(default_factory=list)
    separations_replayed: list[str] = dataclasses.field(default_factory=list)
    erasure_answers_replayed: list[str] = dataclasses.field(default_factory=list)
    accounts_replayed: list[str] = dataclasses.field(default_factory=list)
    # the consents in force that took something away, made so again (their ids)
    consents_narrowed_replayed: list[str] = dataclasses.field(default_factory=list)
    # decisions journaled but never committed (the store replaced did not hold them)
    decisions_never_committed: int = 0
    # the review items decided again (same: merged, different, unknown), by number
    review_decisions_replayed: list[int] = dataclasses.field(default_factory=list)
    # the review items reopened again (« reprendre »: back in the queue), by number
    review_reopenings_replayed: list[int] = dataclasses.field(default_factory=list)
    # the answers to referent proposals given again (the proposals' numbers)
    referent_answers_replayed: list[int] = dataclasses.field(default_factory=list)
    # False when the purge of the erased fiches' freed pages (VACUUM, the SQLite WAL's
    # truncation) or the ANALYZE could not finish (a lock, a deadline): the store is whole
    # and served, but what is left to do is said (`capactif restore` warns on stderr)
    freed_space_purged: bool = True
    statistics_gathered: bool = True


def restore(settings: Settings, folder: Path, *, force: bool = False) -> Restored:
    """Replace the store by the copy in `folder`, then replay the journal. Every hub process
    must be stopped; a worker heartbeat younger than three intervals stops the restore
    (unless `force`), before anything is changed. The copy stays marked unfinished (init
    refuses it) until every replay is done: a restore stopped midway is run again."""
    manifest = _manifest(folder)
    kind = "sqlite" if settings.is_sqlite else "postgresql"
    if manifest.get("base") != kind:
        raise ConfigurationError(
            f"Cette sauvegarde est celle d'une base {manifest.get('base')} ; la base de ce hub "
            f"est {kind} : restaurez une sauvegarde faite par ce mode. Rien n'a été changé.",
            f"This backup is of a {manifest.get('base')} store; this hub's store is {kind}: "
            "restore a backup made in this mode. Nothing was changed.")
    url = settings.database_url.reveal()
    with _offline_hub(settings) as hub:  # before anything is changed
        _refuse_if_alive(hub, force)
        _settle_keys(hub)
        _settle_decisions(hub)
    with one_at_a_time(settings):  # an earlier release's restore cut short: its store back
        set_aside.put_back(url, beside_a_store="wait")
    # a store still set aside beside `public` is dropped by the load, in its transaction
    # marked unfinished in the load's transaction: `init` refuses the copy until the
    # journal is replayed (a restore killed from here on is run again)
    copies.load(url, folder / manifest["fichier"], manifest["sha256"])
    with one_at_a_time(settings):  # an `init` starting meanwhile waits, then finds it current
        upgrade(settings.database_url.reveal())
    with _offline_hub(settings) as hub:
        result = _replay(hub)
        purged = purge_freed_space(hub.engine)  # the erased fiches' freed pages
        analysed = gather_statistics(hub.engine)  # pg_restore leaves the planner none
        # the copy's log is shorter than the head kept outside the store: taking it back
        # is this restore's act, recorded beside the kept head and in the log
        hub.audit.take_back_kept_head("restore")
        audit.record(hub, [audit.event(hub, "restore", "hub")])
        audit.publish_head(hub)
        # the last step: a restore killed before it is run again, never served without
        # its access event and signed head, nor without its purge and statistics tried
        # (either may give up on a lock or a deadline: the answer says so, see Restored)
        with hub.engine.begin() as conn:
            copies.finish_restore(conn)
    return dataclasses.replace(result, freed_space_purged=purged, statistics_gathered=analysed)


# More positions than any member is handed between a backup and its restore (2^32; the
# positions are 64-bit: two billion restores before they run out); the meeting's numbers
# skip as many.
FEED_POSITIONS_GAP = 1 << 32


@dataclasses.dataclass
class _Decided:
    """The decisions a restore replayed (hub.journal, DECISIONS)."""

    members: standing.Replayed = dataclasses.field(default_factory=standing.Replayed)
    separations: list[str] = dataclasses.field(default_factory=list)
    reviews: list[int] = dataclasses.field(default_factory=list)
    reopenings: list[int] = dataclasses.field(default_factory=list)
    referent_answers: list[int] = dataclasses.field(default_factory=list)
    answers: list[str] = dataclasses.field(default_factory=list)
    accounts: list[str] = dataclasses.field(default_factory=list)
    consents: list[consent_journal.Narrowed] = dataclasses.field(default_factory=list)
    never_committed: int = 0


def _replay(hub: Hub) -> Restored:
    journal = RecoveryJournal(hub.settings.key_folder)
    entries = list(journal.entries())
    now = hub.clock()
    decided = _Decided()
    with hub.keyring.locked():
        with hub.uow() as uow:
            keys = uow.key_replays.replay_rotations(hub.keyring, entries, now)
            if keys.keys_destroyed:
                uow.matching.forget(keys.keys_destroyed, now)
                uow.deliveries.cancel_pending(keys.keys_destroyed, "data_erased")
            # partners hold cursors up to what they were given after the copy: new
            # deliveries (the replays' notices too) take positions past them all, never at
            # or under one (never skipped)
            uow.deliveries.resume_positions_after(FEED_POSITIONS_GAP)
            # the referent proposals made since the copy hold their numbers (`prp_…` ids,
            # notices, maybe answered by the member): a new one never takes one of them
            uow.meeting.resume_numbers_after(FEED_POSITIONS_GAP)
            erasures = _replay_in_order(hub, uow, entries, keys.never_committed, decided, now)
            _keys_past_the_journal(uow, entries)
            # the copy's console sessions include those ended since (a sign-out, an account
            # disabled, a password reset): every console user signs in again
            uow.sessions.delete_all()
            uow.commit()
        # an erasure killed after its commit, before its old KEKs went, left them: the
        # copy's wrapped keys of the fiches it erased would open under them
        destroy_old_keks(hub)
    for erasure_id, notified, named, asked, erased in filter(None, erasures):
        for member_id in notified:  # whether the requester is told of it, as decided then
            hub.consents.notice_sent(erasure_id, member_id, now, NoticeKind.ERASURE,
                                     named=None if named is None else member_id in named)
        for member_id in asked:
            hub.consents.notice_sent(erasure_id, member_id, now, NoticeKind.ERASURE_REQUEST)
        hub.consents.forget_proofs(erased)  # the copy holds the text proofs again
    erasure_requests.acknowledge_replayed(hub, decided.answers)
    consent_journal.send_narrowed_notices(hub, decided.consents, now)
    withdrawals = [_replay_withdrawal(hub, entry) for entry in entries
                   if entry.get("type") == "withdrawal"]
    members = decided.members
    return Restored(keys.buckets_advanced, keys.keys_restored, len(keys.keys_destroyed),
                    keys.keys_unrecoverable, [e[0] for e in erasures if e],
                    [w for w in withdrawals if w], members.departures, members.readmissions,
                    members.credentials, members.members, members.missing,
                    decided.separations, decided.answers, decided.accounts,
                    list(dict.fromkeys(n.consent_id for n in decided.consents)),
                    decided.never_committed,
                    review_decisions_replayed=decided.reviews,
                    review_reopenings_replayed=decided.reopenings,
                    referent_answers_replayed=decided.referent_answers)


_Erasure = tuple[str, list[str], set[str] | None, list[str], list[tuple[str, str]]]


def _replay_in_order(hub: Hub, uow: UnitOfWork, entries: list[dict[str, Any]],
                     never: set[tuple[int, int]], decided: _Decided, now: dt.datetime
                     ) -> list[_Erasure | None]:
    """The erasures and the decisions, in the order they were made (a separation before
    an erasure of the porteur, an answer to a request after the erasure asking it): each
    decision the copy does not hold (`journal_decisions`), once, unless judged never
    committed (an `uncommitted` line); then held, so a later restore of this store
    replays it no more."""
    undone = uncommitted_decisions(entries)
    held = uow.decisions.held(e["id"] for e in entries if e.get("type") in DECISIONS)
    erasures: list[_Erasure | None] = []
    for entry in entries:
        kind = entry.get("type")
        if kind == "erasure" and not _rotation_never_committed(entry, never):
            erasures.append(_replay_erasure(hub, uow, entry, now))
        elif kind in DECISIONS and entry["id"] in undone:
            decided.never_committed += 1
        elif kind in DECISIONS and entry["id"] not in held:
            _replay_decision(hub, uow, entry, decided, now)
            uow.decisions.hold(entry["id"], str(kind), dt.datetime.fromisoformat(entry["at"]))
    return erasures


def _replay_decision(hub: Hub, uow: UnitOfWork, entry: dict[str, Any], decided: _Decided,
                     now: dt.datetime) -> None:
    kind = entry["type"]
    if kind == standing.KIND:
        standing.replay(hub, uow, entry, decided.members)
    elif kind == duplicates.REVIEW:
        _numbered(decided.reviews, duplicates.replay_decision(hub, uow, entry))
    elif kind == review_reopenings.KIND:
        _numbered(decided.reopenings, review_reopenings.replay_reopening(hub, uow, entry))
    elif kind == referent_answers.KIND:
        _numbered(decided.referent_answers, referent_answers.replay_answer(uow, entry))
    elif kind == duplicates.UNMERGE:
        _listed(decided.separations, duplicates.replay_unmerge(hub, uow, entry))
    elif kind == "erasure_answer":
        _listed(decided.answers, erasure_requests.replay_answer(uow, entry))
    elif kind == users.ACCOUNT:
        _listed(decided.accounts, users.replay_account(uow, entry, now))
    elif kind == consent_journal.CONSENT:
        narrowed = consent_journal.replay_narrowing(hub, uow, entry)
        if narrowed is not None:
            decided.consents.append(narrowed)


def _listed(listed: list[str], replayed: str | None) -> None:
    if replayed is not None and replayed not in listed:
        listed.append(replayed)


def _numbered(numbers: list[int], replayed: int | None) -> None:
    if replayed is not None and replayed not in numbers:
        numbers.append(replayed)


def _keys_past_the_journal(uow: UnitOfWork, entries: list[dict[str, Any]]) -> None:
    """The copy hands out fiche keys from where it stood: a fiche pushed since would take
    the key of one the journal names (made, then erased, after the copy), and a later
    restore would replay that erasure onto it. The next key is past every one named."""
    uow.fiches.resume_keys_after(max(fiche_keys_named(entries), default=0))


def _rotation_never_committed(entry: dict[str, Any], never: set[tuple[int, int]]) -> bool:
    """An erasure killed before its commit (its rotation's entry judged never committed):
    its fiches were never erased, its owners never asked, nobody notified; a later
    erasure of the same fiches would otherwise let it be replayed as if it had been. An
    entry of an earlier release names no rotation: judged by its keys alone, as before."""
    return any((int(bucket), generation) in never
               for bucket, generation in entry.get("rotation", {}).items())


def _same_fiches(hub: Hub, uow: UnitOfWork, entry: dict[str, Any]) -> list[int]:
    """The entry's fiche keys but those the store holds under another fiche than the one
    erased (its owner and id, by their keyed digest): a store restored by an earlier
    release handed such a key out again. A key the copy lacks stays (the erasure then is
    not replayed, as before); an entry of an earlier release has no digests."""
    pks = [int(pk) for pk in entry["fiche_pks"]]
    digests = entry.get("fiches")
    if digests is None:
        return pks
    held = {ref.id: fiche_digest(hub.pseudonym_key, ref.member_id, ref.fiche_id)
            for ref in uow.key_replays.fiche_refs(pks)}
    return [pk for pk in pks if held.get(pk, digests.get(str(pk))) == digests.get(str(pk))]


def _replay_erasure(hub: Hub, uow: UnitOfWork, entry: dict[str, Any], now: dt.datetime
                    ) -> _Erasure | None:
    pks = _same_fiches(hub, uow, entry)
    if not pks:
        return None  # each of its keys is another fiche's now
    if uow.erasures.get(entry["id"]) is not None or set(uow.keys.erased(pks)) != set(pks):
        return None  # in the copy already, or never committed (its keys were not destroyed)
    erasure = ErasureRecord(entry["id"], entry["scope"], entry.get("porteur_id"),
                            entry["requested_by"], dt.datetime.fromisoformat(entry["at"]),
                            entry.get("reference_sha256"), entry.get("fiches_told"))
    # the meeting's notes sealed under the destroyed keys go; an art. 17 erasure of the
    # porteur's last fiches takes every note about the porteur
    porteur_id = entry.get("porteur_id") if entry["scope"] == "porteur" else None
    if porteur_id is not None:
        left = {f.id for f in uow.fiches.of_porteur(porteur_id)}
        whole = left <= set(uow.keys.erased(left))
    uow.meeting.forget(porteur_id if porteur_id is not None and whole else None, pks)
    refs = uow.key_replays.fiche_refs(pks)
    # the same notices as before the restore: same key (the hub's), same delivery ids
    done = record_erasure(uow, erasure, refs, now, secret=hub.pseudonym_key, replayed=True,
                          owner_told=entry.get("owner_told", False))
    asked = owner_requests.replay(uow, erasure, entry, now, hub.pseudonym_key)
    owner_requests.settle_erased(uow, pks, erasure.id, erasure.requested_by, now)
    named = set(entry["named"]) if "named" in entry else None  # journaled before: undecided
    return (entry["id"], done.notified, named, asked,
            [(ref.member_id, ref.fiche_id) for ref in refs])


def _replay_withdrawal(hub: Hub, entry: dict[str, Any]) -> str | None:
    from hub.services.privacy.consents import replay_withdrawal

    return replay_withdrawal(hub, entry["consent_id"], entry["member_id"],
                             dt.datetime.fromisoformat(entry["at"]))


def _settle_keys(hub: Hub) -> None:
    """Before the store is replaced, while it still says which rotations committed: the
    KEKs older than its generations are destroyed (as `init` does after a process killed
    between a commit and that step), and the journal says so (`settled`), so the replay
    tells an entry written by a rotation or erasure killed before its commit (the KEK it
    replaced still kept) and leaves it undone. Nothing to settle against a store that
    cannot be read, or a copy whose restore was cut short (an earlier run settled)."""
    try:
        if copies.unfinished_restore(hub.engine) is not None:
            return
        with hub.keyring.locked():
            with hub.uow() as uow:
                current = uow.keys.generations()
            if current:
                hub.keyring.keep_only(current)
                RecoveryJournal(hub.settings.key_folder).settled(hub.clock().isoformat())
    except KeyDirectoryReadOnly:
        raise  # the key file or journal refused a write: the restore stops before any change
    except (sa.exc.SQLAlchemyError, HubError):
        return  # undecided entries count as committed: never a committed erasure lost


def _settle_decisions(hub: Hub) -> None:
    """Before the store is replaced, while it still says which decisions committed: one
    of the journal it does not hold, written before one it holds, was written by a
    process killed, or a transaction that failed, before its commit (a credential
    rotation whose file was never put in place, a refusal answered with an error); the
    journal says so (`uncommitted`) and no restore replays it. A decision written after
    the last one the store holds cannot be judged (the store may be older than it: a new
    empty store, a copy put back by hand), nor any against a store that cannot be read or
    a copy whose restore was cut short: it counts as made (a departure or a revocation
    is never lost)."""
    journal = RecoveryJournal(hub.settings.key_folder)
    entries = list(journal.entries())
    judged = uncommitted_decisions(entries)
    written = [e["id"] for e in entries if e.get("type") in DECISIONS and e["id"] not in judged]
    try:
        if not written or copies.unfinished_restore(hub.engine) is not None:
            return
        with hub.uow() as uow:
            held = uow.decisions.held(written)
    except (sa.exc.SQLAlchemyError, HubError):
        return
    last = max((i for i, entry_id in enumerate(written) if entry_id in held), default=-1)
    never = [entry_id for entry_id in written[:last] if entry_id not in held]
    if never:
        journal.uncommitted(hub.clock().isoformat(), never)


def _refuse_if_alive(hub: Hub, force: bool) -> None:
    """Stop if a hub process beat lately. A store without its heartbeats (`public` left
    missing or empty by an earlier release's interrupted restore) has no process serving
    on it: none could start."""
    if force:
        return
    alive = live_processes(hub.engine, hub.settings, hub.clock())
    if alive:
        raise ConfigurationError(
            f"{alive} processus du hub sont encore actifs : arrêtez l'API, les workers et "
            "le planificateur avant de restaurer (ou --force si le battement est périmé).",
            f"{alive} hub processes are still alive: stop the API, workers and scheduler "
            "before restoring (or --force if the heartbeat is stale).")


def _manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        copy = folder / manifest["fichier"]
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigurationError(f"{folder} n'est pas une sauvegarde du hub (manifest.json).",
                                 f"{folder} is not a hub backup (manifest.json).") from exc
    if _sha256(copy) != manifest["sha256"]:
        raise ConfigurationError("La sauvegarde est altérée (empreinte SHA-256 différente).",
                                 "The backup is damaged (SHA-256 differs).")
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def _offline_hub(settings: Settings) -> Iterator[Hub]:
    """A hub that publishes nothing (workers are stopped; they find the work on restart)."""
    from hub.services.delivery.publisher import NullPublisher

    hub = Hub.from_settings(settings, publisher=NullPublisher())
    try:
        yield hub
    finally:
        hub.close()
