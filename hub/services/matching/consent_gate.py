"""A fiche is a matching candidate while the consent its current version cites is in
force. A withdrawal or an expiry takes it out of the index (`stop_matching`) only when the
fiche's current version cites that consent: a version pushed since under another, valid
consent keeps it there. The worker checks the consent of each version it indexes, read
afresh under the fiche's locks (`ended_consents`), so that once a withdrawal has committed
no index row nor open review item of the fiche appears again. The index row keeps when
that consent ends (`consent_ends`): from then on the matcher compares the fiche with
nothing, before the expiry sweep (`expire_due`) has recorded the expiry.

The two sides take the same locks, the fiche's stripe and its keys' (`OnlineMatcher.lock`):
a withdrawal waits for a worker indexing the fiche, then removes what it wrote; a worker
waiting for a withdrawal reads the consent withdrawn."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from consent.api import ConsentRecord, usable
from hub.bootstrap import Hub
from hub.domain.matching.consent_end import epoch_us
from hub.services.matching.online import OnlineMatcher, identity_of
from hub.store.uow import UnitOfWork


def cited_reference(document: Mapping[str, Any] | None) -> str | None:
    """The consent reference a fiche document cites (`consentement.reference`)."""
    cited = (document or {}).get("consentement")
    return cited.get("reference") if isinstance(cited, Mapping) else None


def cited_consents(hub: Hub, versions: Iterable[tuple[str, Mapping[str, Any] | None]]
                   ) -> dict[tuple[str, str], ConsentRecord]:
    """The consents `versions` (member, document) cite, by (member, reference), read from
    the registry, not its cache (a withdrawal committed by another process an instant ago
    counts). A reference the registry does not know is left out."""
    wanted: dict[str, set[str]] = {}
    for member_id, document in versions:
        reference = cited_reference(document)
        if reference is not None:
            wanted.setdefault(member_id, set()).add(reference)
    return {(member_id, reference): record for member_id, references in wanted.items()
            for reference, record in hub.consents.of_references(
                member_id, sorted(references)).items()}


def ended_consents(hub: Hub, versions: Mapping[int, tuple[str, Mapping[str, Any]]],
                   now: dt.datetime,
                   cited: Mapping[tuple[str, str], ConsentRecord] | None = None) -> set[int]:
    """Of `versions` (fiche pk: its member and the document indexed), the fiches whose
    cited consent is withdrawn or expired at `now` (`cited`: as `cited_consents` read
    them under the fiches' locks; read afresh otherwise). A version citing no known
    consent is left as the push accepted it."""
    if cited is None:
        cited = cited_consents(hub, versions.values())
    return {pk for pk, (member_id, document) in versions.items()
            if (record := cited.get((member_id, cited_reference(document) or ""))) is not None
            and not usable(record, now).allowed}


def consent_ends(versions: Mapping[int, tuple[str, Mapping[str, Any]]],
                 cited: Mapping[tuple[str, str], ConsentRecord]) -> dict[int, int | None]:
    """When the consent each fiche's version cites ends, in microseconds since the epoch
    (`epoch_us`: the matcher leaves the fiche out from that very instant on, when `usable`
    stops allowing it; None: no consent known)."""
    ends: dict[int, int | None] = {}
    for pk, (member_id, document) in versions.items():
        record = cited.get((member_id, cited_reference(document) or ""))
        ends[pk] = epoch_us(record.expires_at) if record is not None else None
    return ends


def stop_matching(hub: Hub, uow: UnitOfWork, record: ConsentRecord, now: dt.datetime) -> None:
    """Processing for the network stops with the consent its fiche's current version
    cites: the fiche is no longer a matching candidate (no new review item or link
    against it), and its open review items close as `withdrawn`. The fiche stays its
    member's. The worker's locks of the fiche are taken first (see the module)."""
    stored = uow.fiches.get(record.member_id, record.fiche_id)
    if stored is None or stored.payload is None:
        return
    current = orjson.loads(stored.payload)
    if cited_reference(current) != record.reference:
        return  # the current version cites another consent: that one rules
    OnlineMatcher(hub, uow).lock(_identities(uow, stored.id, current, stored.processed_version),
                                 [stored.id])
    uow.matching.withdraw([stored.id], now)


def _identities(uow: UnitOfWork, pk: int, current: Mapping[str, Any],
                processed: int | None) -> Iterable[Mapping[str, Any]]:
    """The identities whose keys may index the fiche: its current version's and the
    version the index holds (the last processed)."""
    yield identity_of(current.get("porteur"))
    if processed:
        payload = uow.fiches.payloads([(pk, processed)]).get((pk, processed))
        if payload is not None:
            yield identity_of(orjson.loads(payload).get("porteur"))
