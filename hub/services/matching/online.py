"""Online deduplication, in the worker's transaction: resolve a new fiche's porteur.

For each new fiche: normalise the porteur's identity, compute its blocking keys,
fetch candidates from the persistent index (bounded per key), score them with the
trained model (`match_one`), then link to an existing porteur (method "auto", the
explanation as evidence), or create a porteur, provisional with a review item when
the match is uncertain.

A batch is resolved with a constant number of round trips: the candidates of every key
of the batch are read in one go, fiches are resolved in order against that read plus
the batch's earlier fiches (an in-memory index, so a later fiche of the same batch sees
an earlier one), and porteurs, links, index entries and review items are written in bulk
by `flush`, which the caller runs before anything reads them back.

The race: before reading candidates, the worker locks the blocking keys of the
whole batch (PostgreSQL row locks on key stripes, rows of `match_lock_stripes` taken in
sorted order, which the server's shared lock table does not hold however many a
transaction takes; on SQLite the BEGIN IMMEDIATE write lock already serialises
workers). A second worker holding a fiche of the same person waits, then sees the
first fiche and links.
A key held by more fiches than the candidate cap is never a source of candidates, so
the workers that know it as such (`Hub.common_keys`) lock it in shared mode and do
not exclude each other over it; the batch's reading of the index, under that lock,
checks that it is still over the cap (a fiche under a key found back under it is put
back, and the key is locked alone next time).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from hub.bootstrap import Hub
from hub.domain.matching import (
    Explanation,
    MatchModel,
    NormalisedRecord,
    default_model,
)
from hub.domain.matching.chains import porteur_to_link, porteurs_to_join
from hub.domain.matching.cross_member import discloses_identity, shows_other_home
from hub.domain.matching.decision import Decision, RecordLike, pair_kind, record_blocking_keys
from hub.domain.matching.disclosed import UNMATCHED_STATUS
from hub.domain.matching.settings import InvalidSetting
from hub.errors import InvalidMatchingModel
from hub.services.matching.dedup_batch import model_notices
from hub.services.matching.index_markers import ensure_current
from hub.store.matching_repository import APART, FICHE_MATCHED
from hub.store.uow import UnitOfWork

log = logging.getLogger(__name__)
IDENTITY_FIELDS = ("nom", "nom_naissance", "prenom", "date_naissance", "courriel", "telephone")
ADDRESS_FIELDS = ("ligne", "code_postal", "commune")


@dataclasses.dataclass(frozen=True)
class Resolution:
    """The porteur a new fiche was given, and how."""

    porteur_id: str
    method: str  # auto | new
    created: bool


def identity_of(porteur: Mapping[str, Any] | None) -> dict[str, Any]:
    """The fields the matcher reads, and nothing else (no situation, no INSEE code)."""
    porteur = porteur if isinstance(porteur, Mapping) else {}
    identity = {f: porteur[f] for f in IDENTITY_FIELDS if porteur.get(f) is not None}
    address = porteur.get("adresse")
    if isinstance(address, Mapping):
        kept = {f: address[f] for f in ADDRESS_FIELDS if address.get(f) is not None}
        if kept:
            identity["adresse"] = kept
    return identity


def matching_model(hub: Hub) -> MatchModel:
    """The model of HUB_MATCHING_MODEL_FILE (else the shipped one), read once per hub."""
    return hub.matching_model.get()


def load_matching_model(path: Path | None) -> MatchModel:
    if path is None:
        return default_model()
    try:
        model = MatchModel.from_json(path.read_text(encoding="utf-8"))
    except InvalidSetting as exc:
        raise InvalidMatchingModel(
            f"Réglage invalide du modèle HUB_MATCHING_MODEL_FILE : {exc.message_fr}.",
            f"A setting of the HUB_MATCHING_MODEL_FILE model is invalid: {exc}.") from exc
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise InvalidMatchingModel(
            "HUB_MATCHING_MODEL_FILE ne désigne pas un modèle lisible : réentraînez-le "
            "(`capactif dedup --model-out`).",
            "HUB_MATCHING_MODEL_FILE is not a readable model: train it again "
            "(`capactif dedup --model-out`).") from exc
    for notice in model_notices(model, path):
        log.warning("HUB_MATCHING_MODEL_FILE: %s", notice)
    return model


class IndexedFiche(NamedTuple):
    """A fiche of the batch, resolved but not written yet, as a candidate sees it (as
    the index's `IndexedRecord`)."""

    fiche_pk: int
    porteur_id: str
    record: NormalisedRecord


class _BatchIndex:
    """The index as the batch sees it: what the store held under the batch's keys when
    the batch began (at most cap + 1 fiches per key) plus the batch's own fiches."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.fetched: set[int] = set()
        self.held: dict[int, list[int]] = {}
        self.records: dict[int, Any] = {}

    def load(self, read: Iterable[int], held: Mapping[int, list[int]],
             records: Mapping[int, Any]) -> None:
        """One reading of the index under the keys `read`: `held`, the fiches of those
        holding some (most of a batch's keys hold none, and are only noted as read)."""
        for key, pks in held.items():  # the store's fiches come before the batch's
            mine = self.held.get(key)
            self.held[key] = [*pks, *mine] if mine else pks
        self.fetched.update(read)
        self.records.update(records)

    def candidates(self, digests: Iterable[int], skip_fiche: int) -> list[Any]:
        """As `Matching.candidates`: a key held by more than `cap` fiches is skipped."""
        wanted: set[int] = set()
        cap, held = self.cap, self.held
        for digest in digests:  # each key's fiches read once (some twenty keys a fiche)
            pks = held.get(digest)
            if pks is not None and len(pks) <= cap:
                wanted.update(pks)
        wanted.discard(skip_fiche)
        records = self.records
        return [records[pk] for pk in sorted(wanted) if pk in records]

    def add(self, fiche: IndexedFiche, digests: Iterable[int]) -> None:
        self.records[fiche.fiche_pk] = fiche
        held, pk = self.held, fiche.fiche_pk
        for digest in dict.fromkeys(digests):
            pks = held.get(digest)
            if pks is None:
                held[digest] = [pk]
            else:
                pks.append(pk)


def new_porteur_id() -> str:
    return "prt_" + secrets.token_hex(12)


def index_digests(uow: UnitOfWork, record: RecordLike, model: MatchModel) -> list[int]:
    """The key digests (as numbers: `Matching.digest`) a fiche of this identity is indexed
    and looked up under, with the model's blocking rules (the keys come without repeats)."""
    return [uow.matching.digest(k) for k in record_blocking_keys(record, model)]


class OnlineMatcher:
    """Resolves the porteurs of one batch inside the worker's unit of work."""

    def __init__(self, hub: Hub, uow: UnitOfWork) -> None:
        self.uow = uow
        self.model = matching_model(hub)
        ensure_current(uow, self.model.settings.blocking.rules)
        self.records = hub.records
        self.cap = hub.settings.match_candidates_per_key
        self.stripes = hub.settings.match_lock_stripes
        self.common = hub.common_keys
        # A candidate whose consent ended by the time of the read is no candidate, even
        # before the expiry sweep takes it out of the index (`Matching.candidates`).
        self._clock = hub.clock
        # When the consent each fiche's version being indexed cites ends (microseconds
        # since the epoch), written with its index row (`consent_gate.consent_ends`).
        self.consent_ends: dict[int, int | None] = {}
        self._digests: dict[bytes, list[int]] = {}
        # Each identity's canonical JSON by the identity object (kept, so that its id is
        # never another's): the batch asks it some eight times a fiche.
        self._canonical: dict[int, tuple[Mapping[str, Any], bytes]] = {}
        self._stripes: dict[int, int] = {}
        self._moves_held = False  # `Porteurs.hold_moves` taken in this transaction
        self._reset_batch()

    def _reset_batch(self) -> None:
        """The state of one batch: the keys it locked, its view of the index, and what it
        resolved and has not written yet (`flush`) or has to join (`chains`)."""
        self._locked: list[int] = []
        self._batch: _BatchIndex | None = None
        self._porteurs: dict[str, list[str]] = {}
        self._links: list[dict[str, Any]] = []
        self._indexed: list[tuple[int, str, dict[str, Any], list[int], NormalisedRecord]] = []
        self._reviews: list[dict[str, Any]] = []
        # The members of the fiches this batch gave each porteur (`_discloses`).
        self._members: dict[str, set[str]] = {}
        self._resolved_at: dt.datetime | None = None
        self.chains: list[int] = []  # fiches linked to several porteurs, to join (`resolve_new`)

    def again(self) -> OnlineMatcher:
        """A matcher for another batch of the same transaction (fiches this one left for
        later, tried again): it reads the index afresh under its own keys (this one's
        writes flushed are there), and keeps the digests and stripes worked out, and the
        moves held."""
        self.flush()
        other = copy.copy(self)
        other._reset_batch()
        return other

    def digests(self, identity: Mapping[str, Any]) -> list[int]:
        """The identity's blocking-key digests (computed once per identity in a batch: the
        lock and the match both need them)."""
        memo = self._canonical_json(identity)
        if memo not in self._digests:
            self._digests[memo] = index_digests(self.uow, self._record(identity, memo), self.model)
        return self._digests[memo]

    def _record(self, identity: Mapping[str, Any], memo: bytes | None = None) -> NormalisedRecord:
        """The identity normalised once per process (`Hub.records`, a `RecordMemo`)."""
        return self.records(memo or self._canonical_json(identity))

    def _canonical_json(self, identity: Mapping[str, Any]) -> bytes:
        """The identity as canonical JSON (sorted keys), written once per identity object
        in a batch (identities are values: the matcher never changes one it is given)."""
        known = self._canonical.get(id(identity))
        if known is not None and known[0] is identity:
            return known[1]
        text = orjson.dumps(identity, option=orjson.OPT_SORT_KEYS)
        self._canonical[id(identity)] = (identity, text)
        return text

    def lock(self, identities: Iterable[Mapping[str, Any]], fiches: Iterable[int] = ()) -> None:
        """Lock every key of the batch, and the stripe of each of its `fiches`
        (`_fiche_stripe`), before the first candidate is read (waiting for the
        transactions that hold some)."""
        self._locked = list(dict.fromkeys(d for i in identities for d in self.digests(i)))
        self.uow.matching.lock_keys({self._stripe(d) for d in self._locked}
                                    | {self._fiche_stripe(pk) for pk in fiches})

    def lock_free(self, groups: Mapping[Any, Iterable[Mapping[str, Any]]], *,
                  share_common: bool = False, wait: bool = False, fiches: bool = False,
                  keep: Callable[[set[Any]], set[Any]] | None = None) -> set[Any]:
        """Lock, without waiting, the keys of each group of identities (a fiche's
        versions); returns the groups whose keys were all free and are now locked. A
        group sharing a key with another worker's transaction is left for later, so two
        workers never wait for each other's whole transaction over one common key (with
        `wait`: every key is waited for, and only the checks below leave a group for later).
        With `fiches`, the groups are fiche pks, and each locks its fiche's stripe too
        (`_fiche_stripe`): a fiche whose other version another transaction processes is
        left for later as one whose keys it holds.

        With `share_common` (a batch of new fiches only: nothing in it leaves the index),
        the keys known to be over the cap are locked in shared mode, and a group under
        one that the index, read under the locks, no longer holds over the cap is left
        for later too; so is a group that `keep`, called under the locks, leaves out (a
        fiche another transaction processed meanwhile). The locks are taken in a
        savepoint: when a check leaves a group out after locking, they are all given back
        and those of the groups kept taken again, so no group left for later keeps its
        keys locked until the commit."""
        savepoint = self.uow.matching.savepoint()
        locked, free = self._lock_groups(groups, share_common, wait, fiches)
        if savepoint is None:  # SQLite: no key lock to give back, no other writer meanwhile
            return free
        if free and keep is not None and len(locked) == len(groups):
            free = keep(free)
        if len(free) == len(groups):
            savepoint.commit()
            return free
        # Some group left out (its keys refused, or a check): the keys this savepoint took
        # of it are given back with those of every group, then the others taken again.
        savepoint.rollback()  # gives back the porteurs held since too
        self._batch, self._moves_held = None, False  # read again, under the locks taken again
        return self.lock_free({group: groups[group] for group in free},
                              share_common=share_common, wait=wait, fiches=fiches,
                              keep=keep) if free else set()

    def _lock_groups(self, groups: Mapping[Any, Iterable[Mapping[str, Any]]],
                     share_common: bool, wait: bool,
                     fiches: bool = False) -> tuple[set[Any], set[Any]]:
        """The groups locked, and of those the groups whose shared keys are still over the
        cap (`lock_free`)."""
        # Each key's stripe worked out once, in one pass (some twenty keys a fiche).
        keys = {group: {d for i in identities for d in self.digests(i)}
                for group, identities in groups.items()}
        stripe_of = self._stripes_of(keys.values())
        shared: set[int] = set()
        stripes: dict[Any, set[int]] = {}
        exclusive: set[int] = set()
        sharing: set[int] = set()
        for group, digests in keys.items():
            own = stripes[group] = set(map(stripe_of, digests))
            if share_common and (held := self.common.among(digests)):
                shared |= held
                sharing.update(map(stripe_of, held))
                exclusive.update(map(stripe_of, digests - held))
            else:
                exclusive |= own
            if fiches:
                own.add(self._fiche_stripe(group))
                exclusive.add(self._fiche_stripe(group))
        if wait:
            self.uow.matching.lock_keys(exclusive, sharing)
            locked = set(stripes)
        else:  # a group refused some key: `lock_free` gives back the others it took
            taken = self.uow.matching.try_lock_keys(exclusive, sharing - exclusive)
            locked = {group for group, needed in stripes.items() if needed <= taken}
        self._locked = list(dict.fromkeys(d for group in locked for d in keys[group]))
        if not (locked and shared) or len(locked) < len(groups):
            return locked, locked
        batch = self._batch_for([])  # read now, under the locks: are shared keys still common?
        fallen = {d for d in shared.intersection(self._locked)
                  if len(batch.held.get(d, ())) <= self.cap}
        self.common.forget(fallen)
        return locked, {group for group in locked if not keys[group] & fallen}

    def _stripe(self, digest: int) -> int:
        """The lock stripe of a key (worked out once per key in a batch: the lock, its
        groups and their shared part each ask it again, some forty times a fiche): the
        digest's first 32 bits modulo the stripes (a row of `match_lock_stripes`)."""
        stripe = self._stripes.get(digest)
        if stripe is None:
            stripe = ((digest >> 32) & 0xFFFF_FFFF) % self.stripes
            self._stripes[digest] = stripe
        return stripe

    def _stripes_of(self, digest_sets: Iterable[set[int]]) -> Callable[[int], int]:
        """`_stripe` of every digest of these sets worked out at once, as a lookup (the
        groups of a batch ask some forty a fiche: a method call each cost more)."""
        known, count = self._stripes, self.stripes
        for digests in digest_sets:
            for digest in digests:
                if digest not in known:
                    known[digest] = ((digest >> 32) & 0xFFFF_FFFF) % count
        return known.__getitem__

    def _fiche_stripe(self, fiche_pk: int) -> int:
        """The lock stripe of a fiche, among the keys' stripes (`_stripe`): two versions of
        one fiche whose identities share no key (a member corrected a wrong porteur) are
        never processed by two transactions at once (both would read the fiche as new and
        resolve it: the second commit breaks the fiche's one match record). Taken as its
        keys are, in the same order, so a transaction refused it puts the fiche back and
        none waits for a row another holds (two holding versions of each other's fiches
        would deadlock)."""
        return fiche_pk % self.stripes

    def match(self, identity: Mapping[str, Any], *, skip_fiche: int | None = None,
              skip_porteur: str | None = None) -> tuple[Decision, list[Any], list[int]]:
        """Read-only: the decision for `identity`, the candidates scored, its key digests."""
        digests = self.digests(identity)
        self.hold_moves()
        rows = [r for r in self.uow.matching.candidates(digests, self.cap,
                                                        in_force_at=self._clock())
                if r.fiche_pk != skip_fiche and r.porteur_id != skip_porteur]
        return self._decide(identity, rows), rows, digests

    def resolve_new(self, fiche_pk: int, identity: dict[str, Any],
                    now: dt.datetime, member_id: str | None = None) -> Resolution:
        """Resolve a fiche never processed before; nothing is written until `flush`.

        A fiche linking to several porteurs that may all be one person with it (`_to_join`)
        is linked to the best, with a review item against each other one, and listed in
        `chains`: the caller joins them once this transaction is committed (`join_chains`),
        as the batch keeps them one cluster; the items wait for a coordinator otherwise.
        One linking porteurs that may not be one person together is linked to the best it
        fits, as the batch's complete linkage does, unless it could be either (`_best_fit`),
        with a review item against each other one. A link of identity alone to a porteur
        none of whose fiches is `member_id`'s (`_discloses`) is a review item instead, and
        so is every porteur it would join or link reached so (`_exposed`): no chain
        through the member's own porteur joins another member's on a name and a birth
        date."""
        digests = self.digests(identity)
        batch = self._batch_for(digests)
        rows = batch.candidates(digests, skip_fiche=fiche_pk)
        decision = self._decide(identity, rows)
        asked = decision if decision.kind == "review" else None
        guarded = self._exposed(identity, decision, rows, member_id)
        if not guarded and self._to_join(identity, decision, rows, member_id) and not self._moved_into(
                identity, rows, (decision.porteur_id, *decision.conflicts), member_id):
            self.chains.append(fiche_pk)
            asked = dataclasses.replace(decision, porteur_id=None)  # the others only
            decision = dataclasses.replace(decision, kind="link", conflicts=())
        elif best := self._best_fit(identity, decision, rows):
            asked, decision = best
        if decision.porteur_id is not None and (
                self._discloses(decision, member_id) or (
                    decision.kind == "link" and self._moved_into(
                        identity, rows, (decision.porteur_id,), member_id))):
            if self.chains and self.chains[-1] == fiche_pk:
                self.chains.pop()  # nothing linked, nothing to join
            others = () if asked is None else tuple(
                p for p in (asked.porteur_id, *asked.conflicts) if p and p != decision.porteur_id)
            decision = asked = Decision("review", decision.porteur_id, decision.score,
                                        decision.explanation, others)
        if decision.kind == "link" and decision.porteur_id and decision.explanation:
            porteur_id, method, created = decision.porteur_id, "auto", False
            evidence = {"probabilite": round(decision.score, 6),
                        "explication": decision.explanation.to_dict(),
                        **self._matched_fiche(identity, rows, porteur_id)}
        else:
            porteur_id, method, created, evidence = new_porteur_id(), "new", True, {}
            status = "provisional" if decision.kind == "review" else "active"
            self._porteurs.setdefault(status, []).append(porteur_id)
        self._links.append({"fiche_pk": fiche_pk, "porteur_id": porteur_id,
                            "method": method, "evidence": evidence, "linked_at": now})
        record = self._record(identity)
        self._indexed.append((fiche_pk, porteur_id, identity, digests, record))
        self._resolved_at = now
        batch.add(IndexedFiche(fiche_pk, porteur_id, record), digests)
        if member_id is not None:
            self._members.setdefault(porteur_id, set()).add(member_id)
        if asked is not None:
            self._reviews.extend(self._review_rows(fiche_pk, porteur_id, identity, rows, asked,
                                                   now, member_id))
        return Resolution(porteur_id, method, created)

    def resolve_apart(self, fiche_pk: int, now: dt.datetime) -> Resolution:
        """A porteur of its own for a fiche never processed whose consent ended before it
        was: linked to nobody's, never indexed, in no review item (`ended_consents`)."""
        porteur_id = new_porteur_id()
        self._porteurs.setdefault("active", []).append(porteur_id)
        self._links.append({"fiche_pk": fiche_pk, "porteur_id": porteur_id, "method": "new",
                            "evidence": APART, "linked_at": now})
        self._resolved_at = now
        return Resolution(porteur_id, "new", True)

    def _exposed(self, identity: Mapping[str, Any], decision: Decision, rows: list[Any],
                 member_id: str | None) -> frozenset[str]:
        """The porteurs of a decision (its best and its conflicts: those it would link or
        join) that `member_id` holds no fiche of and that the record reaches with identity
        alone (`cross_member.identity_alone`, its closest fiche of each): each a review item
        flagged `identite_seule_a_verifier`, never joined."""
        if member_id is None or decision.kind != "review":
            return frozenset()
        record = self._record(identity)
        return frozenset(p for p in (decision.porteur_id, *decision.conflicts)
                         if p is not None and self._unknown_to(
                             member_id, p, self._closest(record, rows, p)[0]))

    def _unknown_to(self, member_id: str | None, porteur_id: str,
                    explanation: Explanation) -> bool:
        """The pair shares names and a birth date alone and the porteur holds no fiche of
        `member_id` (`cross_member.discloses_identity`): whatever path opens its review
        item (a new fiche, a new version), the item is flagged `identite_seule_a_verifier`,
        never joined."""
        return member_id is not None and discloses_identity(
            explanation, lambda: self._holds(member_id, porteur_id))

    def _moved_into(self, identity: Mapping[str, Any], rows: list[Any],
                    porteurs: Iterable[str | None], member_id: str | None) -> bool:
        """One of `porteurs` is `_moved_away` for `member_id`: linking there would show the
        member where the person lives now, on what it could have guessed (the names, a
        birth date, an old street: a guessed rarer name and the person's old home linked
        to the porteur another member holds at her new home and read its e-mail, phone
        and address). Such a link or join is a review item instead, flagged
        `autre_domicile_a_verifier`; within the member's own porteurs nothing changes."""
        record = self._record(identity)
        return any(self._moved_away(member_id, record, rows, p)
                   for p in {p for p in porteurs if p is not None})

    def _moved_away(self, member_id: str | None, record: NormalisedRecord, rows: list[Any],
                    porteur_id: str) -> bool:
        """Linking the record to the porteur would show `member_id` where the person lives
        now (`cross_member.shows_other_home`), weighed against every fiche of the porteur,
        those the record's keys read and those stored. Whatever path opens its review
        item, the item is flagged so, never joined."""
        if member_id is None or self._holds(member_id, porteur_id):
            return False
        held = {row.fiche_pk: row.record for row in rows if row.porteur_id == porteur_id}
        for stored in self.uow.matching.records_of_porteurs([porteur_id]):
            held.setdefault(stored.fiche_pk, stored.record)
        return shows_other_home(record, held.values(), self.model)

    def _holds(self, member_id: str, porteur_id: str) -> bool:
        """Whether one of the porteur's fiches (stored or of this batch) is the member's."""
        return member_id in self._members.get(porteur_id, ()) or any(
            self.uow.fiches.of_porteur(porteur_id, member_id))

    def _discloses(self, decision: Decision, member_id: str | None) -> bool:
        """A link of identity alone to a porteur none of whose fiches is `member_id`'s
        (`cross_member.discloses_identity`): the member would follow the porteur and read
        the other members' fiches of it on a name and a birth date. Within one member's
        fiches it links (nothing disclosed)."""
        porteur_id = decision.porteur_id
        if member_id is None or decision.kind != "link" or porteur_id is None \
                or decision.explanation is None:
            return False
        return discloses_identity(decision.explanation, lambda: self._holds(member_id, porteur_id))

    def _best_fit(self, identity: Mapping[str, Any], decision: Decision,
                  rows: list[Any]) -> tuple[Decision, Decision] | None:
        """A fiche linking porteurs that may not be one person together, linked to the best
        it fits as the batch's complete linkage does (`porteur_to_link`): that link, and
        the review of the other porteurs against it (those a coordinator judged apart
        from it, or already queued against it, left out). None: it stays in review."""
        chosen = porteur_to_link(self._record(identity), decision, rows, self.model)
        if chosen is None:
            return None
        explanation, _row = self._closest(self._record(identity), rows, chosen)
        others = tuple(p for p in (decision.porteur_id, *decision.conflicts)
                       if p and p != chosen and not self._already_known(chosen, p))
        return (Decision("review", None, decision.score, decision.explanation, others),
                Decision("link", chosen, explanation.probability, explanation))

    def _to_join(self, identity: Mapping[str, Any], decision: Decision,
                 rows: list[Any], member_id: str | None = None) -> bool:
        """The fiche links to several porteurs that may be one person with it, as far as
        its candidates show them (`porteurs_to_join`, two members' fiches not kept
        together by their names alone), and no coordinator judged one of them apart from
        the best nor has an item between them waiting."""
        def members(read: Sequence[Any]) -> list[str | None]:
            known = self.uow.matching.members_of(row.fiche_pk for row in read)
            return [known.get(row.fiche_pk) for row in read]

        others = porteurs_to_join(self._record(identity), decision, rows, self.model,
                                  member_id, members)
        return bool(others) and decision.porteur_id is not None and not any(
            self._already_known(decision.porteur_id, other) for other in others)

    def flush(self) -> None:
        """Write what `resolve_new` decided: porteurs first (links and index refer to them),
        then links, index entries and the review items not already known."""
        if self._resolved_at is None:
            return
        for status, porteur_ids in self._porteurs.items():
            self.uow.porteurs.create_many(porteur_ids, self._resolved_at, status=status)
        self.uow.porteurs.link_many(self._links)
        self.uow.matching.index_fresh(self._indexed, self._resolved_at,
                                      consent_ends=self.consent_ends)
        self.uow.matching.open_reviews(self._new_reviews(self._reviews))
        self._porteurs, self._links, self._indexed, self._reviews = {}, [], [], []
        self._resolved_at = None

    def _batch_for(self, digests: list[int]) -> _BatchIndex:
        """The batch's view of the index, read for all the locked keys at the first fiche
        (and for any key not read yet, should a caller resolve a fiche it did not lock)."""
        if self._batch is None:  # the locked keys once, not at every fiche (O(batch²))
            self._batch = _BatchIndex(self.cap)
            missing = list(dict.fromkeys([*self._locked, *digests]))
        else:
            missing = [d for d in dict.fromkeys(digests) if d not in self._batch.fetched]
        if missing:
            self.hold_moves()
            held, records = self.uow.matching.indexed_under(missing, self.cap,
                                                            in_force_at=self._clock())
            self.common.learn(held, self.cap, read=missing)
            self._batch.load(missing, held, records)
        return self._batch

    def hold_moves(self) -> None:
        """Before the transaction's first read of the index or of its fiches' porteurs: no
        coordinator's merge or separation moves fiches until it commits, so none empties
        a porteur this batch read and may link a fiche to (`Porteurs.hold_moves`)."""
        if not self._moves_held:
            self.uow.porteurs.hold_moves()
            self._moves_held = True

    def _new_reviews(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Pair memory for new fiches: their porteur is new, so no item is queued for it
        yet; only a judgement on the fiche itself (normally none) can hold an item back."""
        judged = self.uow.matching.judged_different_from(r["fiche_pk"] for r in rows) \
            if rows else {}
        if not judged:
            return rows
        fiches = self.uow.matching.fiches_of({r["candidate_porteur_id"] for r in rows})
        return [r for r in rows
                if not judged.get(r["fiche_pk"], set()) & set(fiches[r["candidate_porteur_id"]])]

    def refresh(self, fiche_pk: int, porteur_id: str, identity: dict[str, Any],
                now: dt.datetime, member_id: str | None) -> tuple[int, ...]:
        """A new version: re-index if the identity changed, and re-match. An update never
        moves a fiche by itself; a likely match opens a review item, unless the pair was
        already judged different or is already waiting in the queue; one reaching a
        porteur none of `member_id`'s fiches with identity alone is flagged so
        (`_unknown_to`), as a new fiche's is."""
        self.flush()  # it reads the store: the batch's earlier fiches must be there
        if self.uow.matching.identity_of(fiche_pk) == identity:
            if fiche_pk in self.consent_ends:  # the version may cite another consent
                self.uow.matching.set_consent_end(fiche_pk, self.consent_ends[fiche_pk])
            return ()
        self._batch = None  # the index changes under the batch: read it again
        decision, rows, digests = self.match(identity, skip_porteur=porteur_id)
        self.uow.matching.index(fiche_pk, porteur_id, identity, digests,
                                self._record(identity), now, consent_ends=self.consent_ends)
        self._rescore(fiche_pk, self._record(identity), now)
        if decision.kind == "new":
            return ()
        return self._open_items(fiche_pk, porteur_id, identity, rows, decision, now, member_id)

    def _rescore(self, fiche_pk: int, record: NormalisedRecord, now: dt.datetime) -> None:
        """The open items the fiche is a side of, scored again on its new identity (else a
        coordinator would judge, and merge, on the evidence of a version that is gone):
        each pair as the matcher weighs one now (`pair_kind`), its flags as a new item's
        (`_review_rows`); a pair no longer a candidate closes as `UNMATCHED_STATUS`. Either
        way the item's revision goes up, so a decision made on what was shown before is
        refused (`duplicates.decide`)."""
        items = self.uow.matching.open_items_touching(fiche_pk)
        if not items:
            return
        others = self.uow.matching.records_of_fiches(
            item.candidate_fiche_pk if item.fiche_pk == fiche_pk else item.fiche_pk
            for item in items)
        members = self.uow.matching.members_of(item.fiche_pk for item in items)
        for item in items:
            new_side = item.fiche_pk == fiche_pk
            other = others.get(item.candidate_fiche_pk if new_side else item.fiche_pk)
            if other is None:  # out of the index: its items closed with it (`withdraw`)
                continue
            left, right = (record, other.record) if new_side else (other.record, record)
            candidate = IndexedFiche(item.candidate_fiche_pk, item.candidate_porteur_id, right)
            explanation = self.model.score(left, right)
            if pair_kind(explanation, self.model.decision) == "new":
                self.uow.matching.rescore_review(item.id, explanation.probability,
                                                 explanation.to_dict(), UNMATCHED_STATUS, now)
                continue
            member_id = members.get(item.fiche_pk)
            if self._unknown_to(member_id, item.candidate_porteur_id, explanation):
                explanation = dataclasses.replace(explanation, identity_only=True)
            if self._moved_away(member_id, left, [candidate], item.candidate_porteur_id):
                explanation = dataclasses.replace(explanation, moved_away=True)
            self.uow.matching.rescore_review(item.id, explanation.probability,
                                             explanation.to_dict(), None, now)

    def _decide(self, identity: Mapping[str, Any], rows: list[Any]) -> Decision:
        """Link, review or new; a new porteur without its closest pair, which nothing
        keeps (its links carry no evidence, no review item is opened)."""
        return self.model.pattern_scorer.match_one(self._record(identity), rows, best_new=False)

    def _open_items(self, fiche_pk: int, porteur_id: str, identity: Mapping[str, Any],
                    rows: list[Any], decision: Decision, now: dt.datetime,
                    member_id: str | None) -> tuple[int, ...]:
        return tuple(self.uow.matching.open_review(row) for row in self._review_rows(
            fiche_pk, porteur_id, identity, rows, decision, now, member_id)
            if not self._already_known(porteur_id, row["candidate_porteur_id"]))

    def _review_rows(self, fiche_pk: int, porteur_id: str, identity: Mapping[str, Any],
                     rows: list[Any], decision: Decision, now: dt.datetime,
                     member_id: str | None) -> list[dict[str, Any]]:
        """One review item per likely porteur, against its closest fiche, flagged where a
        link would rest on identity alone across members (`_unknown_to`: the best porteur
        `_discloses` held back, those `_exposed` keeps from a join, those a new version
        reaches) or would show the member the person's other home (`_moved_away`)."""
        record = self._record(identity)
        items = []
        for candidate in (decision.porteur_id, *decision.conflicts):
            if candidate is None:
                continue
            explanation, best = self._closest(record, rows, candidate)
            if self._unknown_to(member_id, candidate, explanation):
                explanation = dataclasses.replace(explanation, identity_only=True)
            if self._moved_away(member_id, record, rows, candidate):
                explanation = dataclasses.replace(explanation, moved_away=True)
            items.append({
                "fiche_pk": fiche_pk, "porteur_id": porteur_id,
                "candidate_fiche_pk": best.fiche_pk, "candidate_porteur_id": candidate,
                "probability": explanation.probability, "explanation": explanation.to_dict(),
                "opened_at": now})
        return items

    def _closest(self, record: NormalisedRecord, rows: list[Any],
                 porteur_id: str) -> tuple[Explanation, Any]:
        """The porteur's fiche among `rows` closest to the record, and their pair."""
        scored = [(self.model.score(record, r.record), r)
                  for r in rows if r.porteur_id == porteur_id]
        return max(scored, key=lambda pair: pair[0].probability)

    def _matched_fiche(self, identity: Mapping[str, Any], rows: list[Any],
                       porteur_id: str) -> dict[str, list[int]]:
        """`fiches_proches`: the porteur's fiches closest to the record (of the best
        probability, then weight: a probability reaches 1 well before the evidence ends),
        those a link was made on; a separation of the porteur leaves the fiche with their
        side (`merges.split`)."""
        own = [r for r in rows if r.porteur_id == porteur_id]
        if len(own) == 1:  # the pair the link was made on: no other to weigh it against
            return {FICHE_MATCHED: [int(own[0].fiche_pk)]}
        record = self._record(identity)
        scored = [((e.probability, e.total_weight), int(r.fiche_pk)) for r in own
                  for e in (self.model.score(record, r.record),)]
        best = max((score for score, _pk in scored), default=None)
        return {} if best is None else {
            FICHE_MATCHED: sorted(pk for score, pk in scored if score == best)}

    def _already_known(self, porteur_id: str, candidate: str) -> bool:
        """Judged different before (at the fiche level, so it follows merges), or queued."""
        fiches = self.uow.matching.fiches_of([porteur_id, candidate])
        return self.uow.matching.open_items_between(porteur_id, candidate) > 0 or \
            self.uow.matching.judged_different(fiches[porteur_id], fiches[candidate])
