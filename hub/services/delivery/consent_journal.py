"""A consent in force that takes something away, kept in the recovery journal.

A fiche's new version citing a consent that lets less move than the consent in force
before it (a purpose or a role left out, recipients named, an earlier end: `takes_away`)
narrows what every version of the fiche serves (docs/privacy.md, "The consent in
force"). The consent and the version citing it are in the store only: a backup taken
before them, restored, would serve the wider consent again. So the change is journaled
before the push commits (`CONSENT`, hub.journal's DECISIONS): the fiche by key and
keyed digest, the consent's record sealed with the fiche's data key (its reference,
agent and proof are the member's; the fiche's erasure destroys the key), and a restore
whose copy lacks it records the consent again and makes it the fiche's consent in force
(`replay_narrowing`). A consent that widens is not journaled: losing it only shares
less, until the member pushes the fiche again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from consent.api import ConsentRecord, as_stored, from_stored, takes_away
from hub.bootstrap import Hub
from hub.domain.matching.consent_end import epoch_us
from hub.journal import fiche_digest
from hub.services.delivery.deliveries import routing_network, store_deliveries
from hub.services.delivery.narrowing import narrowed_notices
from hub.store.uow import UnitOfWork

CONSENT = "consent_narrowed"

# (fiche_pk, member, fiche id, the consent in force before, the one its new version cites,
# that version's number)
Change = tuple[int, str, str, str | None, str, int]


@dataclasses.dataclass(frozen=True)
class Narrowed:
    """A narrowing a restore made again: the version whose consent narrowed the fiche's
    (gone with the copy: its number names its notices)."""

    fiche_pk: int
    version: int
    porteur_id: str | None
    owner: str
    fiche_id: str
    consent_id: str


def journal_narrowings(hub: Hub, uow: UnitOfWork, changes: Iterable[Change],
                       now: dt.datetime) -> None:
    """Journal, in the push's transaction before it commits, each change of a fiche's
    consent in force to one that takes something away from the one before."""
    for fiche_pk, member_id, fiche_id, before_id, after_id, version in changes:
        if not before_id or before_id == after_id:
            continue  # a fiche pushed before 0053, or the same consent
        before, after = hub.consents.in_force(before_id), hub.consents.in_force(after_id)
        if before is None or after is None or not takes_away(before, after):
            continue
        uow.decisions.journal(CONSENT, {
            "fiche_pk": fiche_pk, "fiche": fiche_digest(hub.pseudonym_key, member_id, fiche_id),
            "consent_id": after.id, "version": version,
            "consent": uow.keys.seal(fiche_pk, _context(fiche_pk, after.id), _text(after))}, now)


def replay_narrowing(hub: Hub, uow: UnitOfWork, entry: dict[str, Any]) -> Narrowed | None:
    """A restore: the entry's consent recorded again (the copy may lack it) and made the
    fiche's consent in force; None when the fiche is not the copy's (a key another fiche
    holds, a fiche erased since: its key is gone)."""
    fiche_pk = int(entry["fiche_pk"])
    refs = uow.key_replays.fiche_refs([fiche_pk])
    if not refs or fiche_digest(hub.pseudonym_key, refs[0].member_id,
                                refs[0].fiche_id) != entry["fiche"]:
        return None
    if uow.keys.erased([fiche_pk]):
        return None
    text = uow.keys.open(fiche_pk, _context(fiche_pk, entry["consent_id"]), entry["consent"])
    if text is None:
        return None
    consent = from_stored(json.loads(text))
    hub.consents.put_back_within(uow.connection, consent)
    uow.fiches.set_consent_in_force(fiche_pk, consent.id)
    uow.matching.set_consent_end(fiche_pk, epoch_us(consent.expires_at))
    ref = refs[0]
    return Narrowed(fiche_pk, int(entry["version"]), ref.porteur_id, ref.member_id,
                    ref.fiche_id, consent.id)


def send_narrowed_notices(hub: Hub, replayed: list[Narrowed], now: dt.datetime) -> int:
    """Once the replay committed (the consents it recorded again readable): each member
    whose earlier deliveries the consent in force no longer serves whole is sent the
    `narrowed` notice it was sent before the restore (the same delivery id), and those
    deliveries are marked asked to delete (never served again, whatever consent comes
    later). Returns how many notices."""
    if not replayed:
        return 0
    with hub.uow() as uow:
        members = routing_network(uow)[0]
        planned: dict[str, list[dict[str, Any]]] = {}
        for version in replayed:
            if uow.keys.erased([version.fiche_pk]):
                continue
            for member_id, row in narrowed_notices(hub, uow, version, members, now).items():
                planned.setdefault(member_id, []).append(row)
        sent = store_deliveries(uow, planned)
        uow.commit()
    if sent:
        hub.publisher.request_dispatch_safely()
    return sent


def _text(consent: ConsentRecord) -> str:
    return json.dumps(as_stored(consent), sort_keys=True, separators=(",", ":"))


def _context(fiche_pk: int, consent_id: str) -> str:
    return f"consent_narrowed:{fiche_pk}:{consent_id}"
