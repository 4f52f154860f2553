"""Accept a batch of fiches: validate each, store accepted versions and their outbox
rows in one transaction, then publish the work. Nothing rejected is stored."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError

import schemas
from consent.api import ConsentRecord, usable
from hub.audit.events import AccessEvent
from hub.bootstrap import Hub
from hub.domain.fiches import (
    OUTCOME_MESSAGES,
    Held,
    Outcome,
    canonical_hash,
    content_hash,
    decide,
    receipt_id,
)
from hub.domain.projection import project
from hub.domain.purposes import ORIENTATION, STATISTICS_VIEW
from hub.errors import (
    ConsentOfAnotherPorteur,
    Forbidden,
    InvalidBatch,
    UnknownConsentReference,
)
from hub.services.accounts.auth import Caller, PendingNonce
from hub.services.audit import trail as audit
from hub.services.delivery.consent_journal import Change, journal_narrowings
from hub.services.delivery.superseded import superseded_error, superseding
from hub.store.records import Receipt
from hub.store.uow import UnitOfWork
from schemas.loader import (
    FieldError,
    nul_error,
    nul_path,
    out_of_range_error,
    out_of_range_path,
    shown_key,
)

TOPIC_FICHE_VERSION = "fiche_version"
_RACE_RETRIES = 3


@dataclasses.dataclass
class _Item:
    index: int
    fiche: dict[str, Any]
    canonical: bytes  # as sent (numbers as written): what is stored
    digest: str  # of the canonical form (equal numbers written one way)
    as_sent: str | None  # the hash of `canonical` when it differs from `digest`
    statistics: dict[str, Any] | None
    consent_id: str  # the consent it cites (`fiches.consent_id` while it is current)
    outcome: Outcome | None = None
    fiche_pk: int | None = None
    receipt_id: str = ""  # of a version this push stores


def push_batch(hub: Hub, caller: Caller, fiches: Any,
               nonce: PendingNonce | None = None) -> dict[str, Any]:
    """Validate and store a batch; the answer has one result per item, in order. The
    request's `nonce` (when the API deferred it), the accepted versions, their outbox rows
    and the push's access event are written in one transaction: a replay stores nothing,
    and the event commits with what it records."""
    if isinstance(fiches, list):  # another member's fiche: 403 whatever else is wrong
        _check_ownership(caller, fiches)
    _check_envelope(fiches, hub.settings.max_batch_items)
    results: list[dict[str, Any] | None] = [None] * len(fiches)
    items = []
    cited: dict[int, ConsentRecord] = {}
    validator = schemas.validator("fiche")
    unreadable = _unreadable(fiches)
    hub.consents.prefetch((caller.member_id, f["fiche_id"]) for i, f in enumerate(fiches)
                          if isinstance(f, dict) and isinstance(f.get("fiche_id"), str)
                          and i not in unreadable)
    for index, fiche in enumerate(fiches):
        if index in unreadable:  # no store can hold or look it up, nor read it back as sent
            results[index] = _rejected(index, fiche, [unreadable[index].to_dict()])
            continue
        errors = [e.to_dict() for e in validator.errors(fiche, nul_checked=True)]
        consent = None
        if not errors:
            errors, consent = _consent_errors(hub, caller, fiche)
        if errors:
            results[index] = _rejected(index, fiche, errors)
            continue
        if isinstance(fiche["version"], float):  # 3.0 is the integer 3 (the schema says so)
            fiche["version"] = int(fiche["version"])
        canonical = orjson.dumps(fiche, option=orjson.OPT_SORT_KEYS)
        digest = canonical_hash(fiche, canonical)
        as_sent = content_hash(canonical) if b".0" in canonical else None
        items.append(_Item(index, fiche, canonical, digest, as_sent if as_sent != digest else None,
                           _statistics(hub, fiche, consent), consent.id if consent else ""))
        if consent is not None:
            cited[index] = consent
    items = _without_superseded(hub, caller, items, cited, results)
    outbox_ids = _store_with_retries(hub, caller, items, results, nonce)
    hub.publisher.publish_outbox_safely(outbox_ids)
    accepted = sum(1 for r in results if r and r["status"] == "accepted")
    return {"accepted": accepted, "rejected": len(fiches) - accepted, "results": results}


def _without_superseded(hub: Hub, caller: Caller, items: list[_Item],
                        cited: dict[int, ConsentRecord],
                        results: list[dict[str, Any] | None]) -> list[_Item]:
    """The items, less those citing a consent the fiche's current version superseded
    (rejected `consent_superseded`: hub.services.delivery.superseded)."""
    newer = superseding(hub, caller.member_id, cited.values())
    kept = []
    for item in items:
        replaced = newer.get(item.consent_id)
        if replaced is None:
            kept.append(item)
            continue
        results[item.index] = _rejected(item.index, item.fiche, [
            {"path": "$.consentement.reference", **superseded_error(replaced)}])
    return kept


def _push_event(hub: Hub, caller: Caller, results: list[dict[str, Any] | None]) -> AccessEvent:
    accepted = [(caller.member_id, r["fiche_id"]) for r in results
                if r and r["status"] == "accepted"]
    return audit.event(hub, "fiche_push", caller.member_id,
                       outcome="allowed" if accepted else "denied", fiches=accepted)


def _unreadable(fiches: list[Any]) -> dict[int, FieldError]:
    """Items holding a NUL character or a number no double holds, with the error naming
    where (one serialisation of the batch tells whether any does: walking every fiche
    costs more than validating it; such a number cannot be serialised)."""
    try:
        if b"\\u0000" not in orjson.dumps(fiches):
            return {}
    except orjson.JSONEncodeError:
        pass  # not from a JSON body, or a number out of range: walk it
    found = {}
    for index, fiche in enumerate(fiches):
        if path := nul_path(fiche):
            found[index] = nul_error(path)
        elif path := out_of_range_path(fiche):
            found[index] = out_of_range_error(path)
    return found


def _consent_errors(hub: Hub, caller: Caller,
                    fiche: dict[str, Any]) -> tuple[list[dict[str, str]], ConsentRecord | None]:
    """Refuse a fiche whose consent is missing, unknown, foreign, withdrawn, expired, or
    does not cover orientation in the network (the purpose of sending it to the hub)."""
    reference = (fiche.get("consentement") or {}).get("reference")
    path = "$.consentement.reference"
    try:
        consent = (hub.consents.consent_for_fiche(caller.member_id, fiche["fiche_id"], reference)
                   if reference else None)
    except (UnknownConsentReference, ConsentOfAnotherPorteur) as exc:
        return [{"path": path, "code": exc.code, "message_fr": exc.message_fr,
                 "message_en": exc.message_en}], None
    decision = usable(consent, hub.clock(), ORIENTATION)
    if decision.allowed:
        return [], consent
    return [{"path": path if reference else "$.consentement", "code": decision.code,
             "message_fr": decision.message_fr, "message_en": decision.message_en}], None


def _statistics(hub: Hub, fiche: dict[str, Any],
                consent: ConsentRecord | None) -> dict[str, Any] | None:
    """The projection kept in clear until an erasure (which sets it to NULL): the
    policy's coordination × statistiques fields, and only when the porteur consented
    to statistics."""
    role, purpose = STATISTICS_VIEW
    if consent is None or purpose not in consent.purposes:
        return None
    paths = hub.policy.current.role_policy(role, purpose).allowed(is_referent=False)
    return project(fiche, paths)


def fiches_of(document: Any) -> Any:
    """The list of a batch body, `{"fiches": [...]}` and no other key: an option the hub
    does not know (`dry_run`) would be ignored while the fiches went out for real."""
    if not isinstance(document, dict):
        return None
    others = sorted(shown_key(str(key)) for key in document if key != "fiches")
    if others:
        names = ", ".join(dict.fromkeys(others))
        raise InvalidBatch(
            f"Le corps doit être {{\"fiches\": [...]}} sans autre clé ({names}) : retirez-la.",
            f"The body must be {{\"fiches\": [...]}} with no other key ({names}): remove it.")
    return document.get("fiches")


def require_own_fiches(caller: Caller, document: Any) -> None:
    """403 when a fiche of the batch body `document` is in another member's name, decided
    from the body as sent, before its envelope and its items are checked (the API's gate,
    hub.api.auth.authenticated_by_body)."""
    fiches = document.get("fiches") if isinstance(document, dict) else None
    if isinstance(fiches, list):
        _check_ownership(caller, fiches)


def _check_envelope(fiches: Any, max_items: int) -> None:
    if not isinstance(fiches, list) or not 1 <= len(fiches) <= max_items:
        raise InvalidBatch(
            f"Le corps doit être {{\"fiches\": [...]}} avec 1 à {max_items} fiches.",
            f"The body must be {{\"fiches\": [...]}} with 1 to {max_items} fiches.",
        )


def _check_ownership(caller: Caller, fiches: list[Any]) -> None:
    for index, fiche in enumerate(fiches):
        # Only a member id of another member is a 403; a `membre` that is not a text
        # (number, null, list) is a schema error of that one item.
        member = fiche.get("membre") if isinstance(fiche, dict) else None
        if isinstance(member, str) and "\x00" not in member and member != caller.member_id:
            raise Forbidden(
                f"La fiche n° {index} est au nom d'un autre membre : un membre ne pousse que ses "
                "propres fiches (« membre » doit être votre identifiant).",
                f"Fiche #{index} is in another member's name: a member pushes only its own fiches "
                "('membre' must be your id).",
            )


def _store_with_retries(
    hub: Hub, caller: Caller, items: list[_Item], results: list[dict[str, Any] | None],
    nonce: PendingNonce | None,
) -> list[int]:
    for attempt in range(_RACE_RETRIES):
        try:
            with hub.uow() as uow:
                if nonce is not None:
                    nonce.remember_within(uow)
                outbox_ids = _store(uow, hub, caller, items, results)
                hub.audit.append_within(uow.connection, [_push_event(hub, caller, results)])
                uow.commit()
                return outbox_ids
        except IntegrityError:
            # A concurrent push created the same fiche or version first: read again.
            if attempt == _RACE_RETRIES - 1:
                raise
    return []


def _store(
    uow: UnitOfWork, hub: Hub, caller: Caller, items: list[_Item],
    results: list[dict[str, Any] | None],
) -> list[int]:
    now = hub.clock()
    held, receipts = uow.fiches.held(caller.member_id, [item.fiche["fiche_id"] for item in items])
    in_batch: dict[str, tuple[int | None, Held]] = dict(held)
    new_fiches, new_versions = [], []
    for item in items:
        fiche_id, version = item.fiche["fiche_id"], item.fiche["version"]
        pk, state = in_batch.get(fiche_id, (None, None))
        item.fiche_pk = pk
        item.outcome = decide(state, version, item.digest, item.as_sent)
        if not item.outcome.stores:
            continue
        if item.outcome is Outcome.NEW_FICHE:
            new_fiches.append({"member_id": caller.member_id, "fiche_id": fiche_id,
                               "current_version": version, "created_at": now, "updated_at": now,
                               "consent_id": item.consent_id})
            state = Held(version, {})
        else:
            assert state is not None
            state = Held(max(state.current_version, version), dict(state.version_hashes))
        state.version_hashes[version] = item.digest
        in_batch[fiche_id] = (pk, state)
        new_versions.append(item)
    pks = uow.fiches.insert_fiches(new_fiches)
    for item in items:
        if item.fiche_pk is None and item.outcome is not None and item.outcome.accepted:
            item.fiche_pk = pks[item.fiche["fiche_id"]]
    # A new fiche's row holds its version already; a later version of it in the batch
    # (NEW_VERSION) raises it like any held fiche's.
    raised = [item for item in new_versions if item.outcome is not Outcome.NEW_FICHE]
    journal_narrowings(hub, uow, _consent_changes(uow, caller, raised, held), now)
    uow.fiches.set_current_versions([
        {"pk": item.fiche_pk, "version": item.fiche["version"], "at": now,
         "consent_id": item.consent_id} for item in raised])
    version_ids = uow.fiches.insert_versions(
        [_version_row(caller, item, now) for item in _by_place(new_versions)])
    outbox_ids = uow.outbox.add_many(TOPIC_FICHE_VERSION, version_ids, now)
    _fill_results(caller, items, results, receipts, now)
    return outbox_ids


def _consent_changes(uow: UnitOfWork, caller: Caller, raised: list[_Item],
                     held: dict[str, tuple[int, Held]]) -> list[Change]:
    """The fiches whose current version this push raises, with the consent in force
    before and the one the new current version cites (consent_journal)."""
    highest: dict[str, _Item] = {}
    for item in raised:
        fiche_id = item.fiche["fiche_id"]
        if fiche_id not in held:
            continue  # new in this batch: no consent was in force before
        top = highest[fiche_id].fiche["version"] if fiche_id in highest else 0
        if item.fiche["version"] > max(held[fiche_id][1].current_version, top):
            highest[fiche_id] = item
    if not highest:
        return []
    before = uow.fiches.consents_in_force(caller.member_id, list(highest))
    return [(item.fiche_pk, caller.member_id, fiche_id, before[fiche_id][1], item.consent_id,
             item.fiche["version"]) for fiche_id, item in highest.items()
            if item.fiche_pk is not None]


def _by_place(versions: list[_Item]) -> list[_Item]:
    """A batch's new versions in the order of their porteurs' postcodes, each fiche's
    versions together and in the batch's order, at the place of its first. The outbox
    rows follow this order, and workers claim consecutive rows: two workers' transactions
    then hold fiches of different places, which seldom share a matching key. In the
    batch's order, four in ten fiches of a transaction of 250 met a key of the other
    worker's and were put back, four in five of them through a key naming a place
    (postcode or commune with a name); by place, one in thirteen
    (bench/_key_conflicts.py)."""
    first: dict[str, tuple[str, int]] = {}
    for item in versions:
        first.setdefault(item.fiche["fiche_id"], (_postcode(item.fiche), item.index))
    return sorted(versions, key=lambda item: (first[item.fiche["fiche_id"]], item.index))


def _postcode(fiche: dict[str, Any]) -> str:
    porteur = fiche.get("porteur")
    address = porteur.get("adresse") if isinstance(porteur, dict) else None
    postcode = address.get("code_postal") if isinstance(address, dict) else None
    return postcode if isinstance(postcode, str) else ""


def _version_row(caller: Caller, item: _Item, now: Any) -> dict[str, Any]:
    fiche = item.fiche
    item.receipt_id = receipt_id(caller.member_id, fiche["fiche_id"], fiche["version"], item.digest)
    return {
        "fiche_pk": item.fiche_pk,
        "version": fiche["version"],
        "content_hash": item.digest,
        "receipt_id": item.receipt_id,
        "payload": item.canonical.decode("utf-8"),
        "statistics": item.statistics,
        "schema_id": schemas.validator("fiche").schema_id,
        "received_at": now,
    }


def _fill_results(
    caller: Caller, items: list[_Item], results: list[dict[str, Any] | None],
    receipts: dict[tuple[int, int], Receipt], now: dt.datetime,
) -> None:
    """Each item's result: a version stored by this push answered from what was written,
    a duplicate with its version's receipt as stored (long ago maybe, its hash in a
    former form), or as written earlier in this batch."""
    received = _iso(now)
    written = {(item.fiche_pk, item.fiche["version"]): (item.receipt_id, item.digest, received)
               for item in items if item.outcome is not None and item.outcome.stores}
    for item in items:
        assert item.outcome is not None
        key = (item.fiche_pk, item.fiche["version"])
        stored = receipts.get(key) if item.outcome is Outcome.DUPLICATE else None  # type: ignore[arg-type]
        if stored is not None and not stored.content_hash:  # erased: no receipt names it any more
            item.outcome = Outcome.ERASED
        if not item.outcome.accepted:
            fr, en = OUTCOME_MESSAGES[item.outcome]
            path = "$.fiche_id" if item.outcome is Outcome.ERASED else "$.version"
            error = {"path": path, "code": item.outcome.value, "message_fr": fr,
                     "message_en": en}
            results[item.index] = _rejected(item.index, item.fiche, [error])
            continue
        # An accepted item has its fiche_pk (set when the fiches were written above).
        receipt, digest, at = written[key] if stored is None else (
            stored.receipt_id, stored.content_hash, _iso(stored.received_at))
        results[item.index] = {
            "index": item.index,
            "fiche_id": item.fiche["fiche_id"],
            "version": item.fiche["version"],
            "status": "accepted",
            "duplicate": item.outcome is Outcome.DUPLICATE,
            "receipt": {
                "receipt_id": receipt,
                "membre": caller.member_id,
                "fiche_id": item.fiche["fiche_id"],
                "version": item.fiche["version"],
                "content_hash": digest,
                "received_at": at,
            },
        }


def _iso(value: dt.datetime) -> str:
    """In UTC, as answered when the version was stored, whatever the time zone of the
    session reading it back (SQLite drops the offset: its times are UTC)."""
    return (value.replace(tzinfo=dt.UTC) if value.tzinfo is None
            else value.astimezone(dt.UTC)).isoformat()


def _rejected(index: int, fiche: Any, errors: list[dict[str, str]]) -> dict[str, Any]:
    """A rejected item, known by its index; its fiche_id repeated only when the schema
    takes it for one (a name typed into the id column is never sent back)."""
    fiche_id = fiche.get("fiche_id") if isinstance(fiche, dict) else None
    result: dict[str, Any] = {"index": index, "status": "rejected", "errors": errors}
    if isinstance(fiche_id, str) and _FICHE_ID.fullmatch(fiche_id):
        result["fiche_id"] = fiche_id
    return result


_FICHE_ID = re.compile(schemas.load_schema("fiche")["properties"]["fiche_id"]["pattern"], re.ASCII)
