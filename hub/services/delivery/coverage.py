"""What of a planned delivery may still be read or sent now (docs/privacy.md, "The consent
in force").

The consent in force for a fiche is the one its CURRENT version cites. Every read or send
of any version of the fiche goes through it and through the version's own consent: either
withdrawn, expired or no longer covering the recipient, nothing; otherwise only the fields
that both consents and the recipient's role policy as it is now allow, and never more than
the delivery held (a read-time projection: it narrows, never widens).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import orjson

from consent.api import ConsentRecord, Reason
from consent.api import scope as consent_scope
from hub.bootstrap import Hub
from hub.domain.projection import BOOKKEEPING_PATHS, ConsentScope, allowed_fields, project
from hub.domain.routing import REFERENT
from hub.store.records import Delivery, FicheSource

NOTICE_EVENTS = frozenset({"withdrawn", "erased", "merged", "unmerged", "narrowed",
                           "referent_propose", "erasure_requested"})
# The motif of a delivery whose consents still cover the recipient but that leaves it no
# field now (a narrower consent in force, or its role's policy tightened or changed).
NO_FIELD_LEFT = "fields_no_longer_allowed"
# The motif of a delivery a notice asked its recipient to delete (`deletion_asked`, by the
# notice's event): a narrowing or a withdrawal, or a separation of the porteur it reached
# the recipient through (the link was a mistake).
DELETION_ASKED = "deletion_asked"
LINK_UNDONE = "link_undone"
UPDATED = "updated"


@dataclasses.dataclass(frozen=True)
class Coverage:
    """A delivery as it may be disclosed now: `motif` set, nothing; `paths` None, whole."""

    motif: str | None = None
    paths: frozenset[str] | None = None

    @property
    def allowed(self) -> bool:
        return self.motif is None

    def narrowed(self, document: dict[str, Any]) -> dict[str, Any]:
        """The delivery's document projected to `paths` (the document itself when whole)."""
        if self.paths is None:
            return document
        fields = sorted(self.paths)
        return {**document, "fiche": project(document.get("fiche") or {}, self.paths),
                "champs": fields, "champs_modifies": told_changes(document, self.paths)}


WHOLE = Coverage()


def coverage(hub: Hub, delivery: Delivery, source: FicheSource | None, member_id: str,
             role: str, document: Mapping[str, Any] | None = None) -> Coverage:
    """The consent and policy checks again, when a planned delivery leaves or is read:
    consents, the fiche's current version and policies may have changed since. Notices
    carry no personal data and always go. `document`: the delivery's, if already parsed."""
    if delivery.event in NOTICE_EVENTS or delivery.fiche_pk is None:
        return WHOLE
    if delivery.payload is None or (source is not None and source.payload is None):
        return Coverage(Reason.ERASED.value)
    consents: list[ConsentRecord] = []
    for consent in _consents(hub, source):
        decision = hub.consents.decide_on(consent, member_id, role, delivery.purpose)
        if not decision.allowed:
            return Coverage(decision.code)
        if consent is None:  # `decide_on` refuses a missing consent: never served whole
            return Coverage(Reason.MISSING.value)
        consents.append(consent)
    if delivery.deletion_asked is not None:  # never served again, whatever consent came since
        return Coverage(LINK_UNDONE if delivery.deletion_asked == "unmerged" else DELETION_ASKED)
    held = frozenset(delivery.fields)
    paths = held
    document = document if document is not None else _loads(delivery.document)
    referent = REFERENT in (document.get("motifs") or ())
    for consent in consents:
        paths &= allowed_fields(hub.policy.current, role, delivery.purpose, _scope(consent),
                                referent, member=member_id).paths
    if not paths:
        return Coverage(NO_FIELD_LEFT)
    if delivery.event == UPDATED and not told_changes(document, paths):
        # Only fields it may no longer see changed (or, planned before bookkeeping was
        # left out, only the version and its date): an update it may not be told of.
        return Coverage(NO_FIELD_LEFT)
    return WHOLE if paths == held else Coverage(paths=paths)


def told_changes(document: Mapping[str, Any], paths: frozenset[str]) -> list[str]:
    """The changed fields of a delivery's document that a recipient allowed `paths` is
    told now: content paths only (`BOOKKEEPING_PATHS` never count as a change)."""
    return [f for f in document.get("champs_modifies") or ()
            if f in paths and f not in BOOKKEEPING_PATHS]


def _consents(hub: Hub, source: FicheSource | None) -> list[ConsentRecord | None]:
    """The consent the version cites, and the one in force if it is another."""
    if source is None:
        return [None]
    reference = (_loads(source.payload).get("consentement") or {}).get("reference")
    own = hub.consents.cited_consent(source.member_id, source.fiche_id, reference)
    if source.consent_in_force is None or (own is not None
                                           and source.consent_in_force == own.id):
        return [own]  # a fiche pushed before the consent in force was kept: its own
    return [own, hub.consents.in_force(source.consent_in_force)]


def _scope(consent: ConsentRecord) -> ConsentScope:
    terms = consent_scope(consent)
    return ConsentScope.from_terms(terms.purposes, terms.roles, terms.members,
                                   version=consent.id)


def _loads(text: str | None) -> dict[str, Any]:
    return orjson.loads(text) if text else {}
