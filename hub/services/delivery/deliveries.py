"""Plan deliveries for processed fiche versions: route, check consent, project.

Every disclosure of fiche data goes through `disclosure_for`: the consent check
(`may member M receive fiche F for purpose P now?`) and then the projection of
`role policy ∩ consent scope` for that purpose.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from consent.api import ConsentRecord
from consent.api import scope as consent_scope
from hub.audit.events import pseudonymise
from hub.bootstrap import Hub
from hub.domain.events import FicheCreated, FicheUpdated
from hub.domain.projection import AllowedSet, ConsentScope, allowed_fields, changed_fields, project
from hub.domain.purposes import purposes_for_role
from hub.domain.routing import NetworkMember, Recipient, Subscription, bound_of, recipients
from hub.services.delivery.narrowing import narrowing_notices
from hub.services.delivery.notices import ask_deletion
from hub.store.delivery_repository import FEED, PENDING
from hub.store.uow import UnitOfWork


@dataclasses.dataclass(frozen=True)
class Disclosure:
    """What one member may see of one fiche, and why."""

    purpose: str
    allowed: AllowedSet
    document: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class ProcessedVersion:
    """A fiche version the worker just processed, with what routing needs."""

    version_id: int
    fiche_pk: int
    owner: str
    fiche_id: str
    version: int
    porteur_id: str
    fiche: dict[str, Any]
    previous: dict[str, Any] | None
    # The consent `fiche` cites, read under the fiche's locks (None: no consent known);
    # planning decides on it without reading the fiches' consents again.
    consent: ConsentRecord | None = None


def disclosure_for(hub: Hub, owner: str, fiche: Mapping[str, Any], member: str, role: str,
                   is_referent: bool, now: dt.datetime | None = None,
                   purposes: Sequence[str] = ()) -> Disclosure | None:
    """The projected fiche member `member` may receive now, or None: nothing at all.
    `purposes` (default: those of the role, most useful first) are tried in order."""
    return FicheDisclosures(hub, owner, fiche, now).to(member, role, is_referent, purposes)


class FicheDisclosures:
    """`disclosure_for` for the recipients of one fiche: its consent looked up once, and
    each projection built once (recipients of one role, or roles allowed the same fields,
    see the same document). Each recipient still gets its own consent decision and its own
    allowed set; the projected documents are shared, so nothing may change them."""

    def __init__(self, hub: Hub, owner: str, fiche: Mapping[str, Any],
                 now: dt.datetime | None = None) -> None:
        self.hub, self.fiche = hub, fiche
        self.now = now or hub.consents.clock()
        reference = (fiche.get("consentement") or {}).get("reference")
        self.consent = hub.consents.cited_consent(owner, fiche["fiche_id"], reference)
        self._scope: ConsentScope | None = None
        self._projected: dict[frozenset[str], dict[str, Any]] = {}
        self._changed: dict[frozenset[str], list[str]] = {}

    def to(self, member: str, role: str, is_referent: bool,
           purposes: Sequence[str] = ()) -> Disclosure | None:
        found = self.allowed(member, role, is_referent, purposes)
        if found is None:
            return None
        purpose, allowed = found
        return Disclosure(purpose, allowed, self.projected(allowed.paths))

    def allowed(self, member: str, role: str, is_referent: bool,
                purposes: Sequence[str] = ()) -> tuple[str, AllowedSet] | None:
        """The purpose and fields `to` would disclose, without projecting the fiche."""
        for purpose in purposes or purposes_for_role(role):
            if not self.hub.consents.decide_on(self.consent, member, role, purpose,
                                               self.now).allowed:
                continue
            allowed = allowed_fields(self.hub.policy.current, role, purpose, self.scope,
                                     is_referent, member=member)
            if not allowed.empty:
                return purpose, allowed
        return None

    @property
    def scope(self) -> ConsentScope:
        if self._scope is None:  # only asked once a decision allowed: a consent is there
            terms = consent_scope(self.consent)  # type: ignore[arg-type]
            self._scope = ConsentScope.from_terms(terms.purposes, terms.roles, terms.members,
                                                  version=self.consent.id)  # type: ignore[union-attr]
        return self._scope

    def projected(self, paths: frozenset[str]) -> dict[str, Any]:
        if paths not in self._projected:
            self._projected[paths] = project(self.fiche, paths)
        return self._projected[paths]

    def changed(self, previous: Mapping[str, Any], paths: frozenset[str]) -> list[str]:
        """`changed_fields` from `previous` (one previous version a fiche), once per set."""
        if paths not in self._changed:
            self._changed[paths] = changed_fields(previous, self.fiche, paths)
        return self._changed[paths]


def discloses_to(hub: Hub, heads: Iterable[Any], member_id: str, role: str,
                 now: dt.datetime) -> bool:
    """Some of these fiches (heads) discloses something to `member_id` in `role` now."""
    return any(disclosure_for(hub, head.member_id, orjson.loads(head.payload), member_id,
                              role, False, now) is not None
               for head in heads if head.payload is not None)  # erased fiches disclose nothing


@dataclasses.dataclass(frozen=True)
class RoutedMember:
    """A member as routing and its delivery rows read it: what a worker keeps between its
    transactions, without the member's credentials (token hashes, keys) or contact."""

    id: str
    role: str
    territory: tuple[str, ...]
    webhook_url: str | None


RoutingNetwork = tuple[Mapping[str, RoutedMember], Mapping[str, NetworkMember],
                       tuple[Subscription, ...]]


def routing_network(uow: UnitOfWork) -> RoutingNetwork:
    """The active members by id (one that left receives nothing), as routing sees them,
    and their bounded subscriptions: what a worker keeps while the routing token stays."""
    members = {m.id: RoutedMember(m.id, m.role, tuple(m.territory or ()), m.webhook_url)
               for m in uow.members.active()}
    network = {m.id: NetworkMember(m.id, m.role) for m in members.values()}
    return members, network, tuple(bounded_subscriptions(uow, members))


def fold_routing_changes(hub: Hub) -> int:
    """The beat's housekeeping of the routing token's rows (`Deliveries.fold_routing_changes`:
    the token, and so every worker's kept network, stays); returns the rows removed."""
    with hub.uow() as uow:
        folded = uow.deliveries.fold_routing_changes()
        uow.commit()
        return folded


def planned_deliveries(hub: Hub, uow: UnitOfWork, versions: list[ProcessedVersion],
                       now: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    """The delivery rows of these processed versions by recipient, without their feed
    positions (nothing is written or locked: `store_deliveries` does that, last)."""
    planned: dict[str, list[dict[str, Any]]] = {}
    if not versions:
        return planned
    members, network, subscriptions = hub.network.get(
        uow.deliveries.routing_token(), lambda: routing_network(uow))
    followers = uow.deliveries.followers_of_porteurs(sorted({v.porteur_id for v in versions}))
    # who was sent a fiche already: a member's first delivery of it is `created`
    sent = uow.deliveries.data_recipients(sorted({v.fiche_pk for v in versions}))
    hub.consents.remember(v.consent for v in versions if v.consent is not None)
    for version in versions:
        event = _event(version, now)
        linked = followers[version.porteur_id]
        found = recipients(event, version.fiche, linked, network, subscriptions)
        if not found:
            continue
        disclosures = FicheDisclosures(hub, version.owner, version.fiche, now)
        for recipient in found:
            first = recipient.member not in sent[version.fiche_pk]
            row = _delivery_row(hub, version, recipient, members[recipient.member], now,
                                disclosures, first)
            if row is not None:
                planned.setdefault(recipient.member, []).append(row)
                sent[version.fiche_pk].add(recipient.member)
    for member_id, notices in narrowing_notices(hub, uow, versions, members, now).items():
        planned[member_id] = notices + planned.get(member_id, [])  # the deletion first
    return planned


def store_deliveries(uow: UnitOfWork, planned: Mapping[str, list[dict[str, Any]]]) -> int:
    """Give planned rows their feed positions and insert them; returns how many. The
    recipients' counters stay locked until commit (a feed reader never skips a position
    committed later), so the caller runs this last, just before its commit: two workers
    then wait for each other only for this insert, not for their whole transaction."""
    firsts = uow.deliveries.reserve_positions({m: len(rows) for m, rows in planned.items()})
    for member_id, rows in planned.items():
        for offset, row in enumerate(rows):
            row["position"] = firsts[member_id] + offset
    uow.deliveries.add_many([row for rows in planned.values() for row in rows])
    ask_deletion(uow, (row for rows in planned.values() for row in rows))
    return sum(len(rows) for rows in planned.values())


def _event(version: ProcessedVersion, now: dt.datetime) -> FicheCreated | FicheUpdated:
    common: dict[str, Any] = {"membre": version.owner, "fiche_id": version.fiche_id,
              "porteur_id": version.porteur_id, "occurred_at": now, "version": version.version}
    if version.previous is None:
        return FicheCreated(**common)
    return FicheUpdated(**common, changed_fields=())


def delivery_key(hub: Hub, recipient: str, version_id: int, kind: str) -> str:
    """The delivery's id, the same each time the version is planned (idempotent), keyed
    by a secret of the hub: unkeyed, its recipient found the fiche version's global
    number by trying them all, hence how many versions the network had pushed."""
    return pseudonymise(f"delivery|{recipient}|{version_id}|{kind}", hub.pseudonym_key)[:40]


def _delivery_row(hub: Hub, version: ProcessedVersion, recipient: Recipient,
                  member: RoutedMember, now: dt.datetime,
                  disclosures: FicheDisclosures, first: bool) -> dict[str, Any] | None:
    """The recipient's delivery of the version: `created` when it is the first of the
    fiche sent to it (`first`), with no changed fields (they would tell of a version it
    was never sent); else `updated`, none when nothing it may see changed."""
    disclosure = disclosures.to(recipient.member, recipient.role, recipient.is_referent)
    if disclosure is None:
        return None
    kind = "created" if version.previous is None or first else "updated"
    changed: list[str] = []
    if kind == "updated" and version.previous is not None:
        changed = disclosures.changed(version.previous, disclosure.allowed.paths)
        if not changed:
            return None  # nothing this recipient may see has changed
    fields = sorted(disclosure.allowed.paths)
    key = delivery_key(hub, recipient.member, version.version_id, kind)
    document = {
        "delivery_id": key,
        "evenement": kind,
        "porteur_id": version.porteur_id,
        "source": {"membre": version.owner, "fiche_id": version.fiche_id,
                   "version": version.version},
        "finalite": disclosure.purpose,
        "politique": disclosure.allowed.policy_version,
        "champs": fields,
        "champs_modifies": changed,
        "motifs": sorted(recipient.reasons),
        "fiche": disclosure.document,
    }
    return {
        "recipient_id": recipient.member,
        "event": kind,
        "porteur_id": version.porteur_id,
        "fiche_pk": version.fiche_pk,
        "fiche_version": version.version,
        "purpose": disclosure.purpose,
        "policy_version": disclosure.allowed.policy_version,
        "fields": fields,
        "payload": orjson.dumps(document).decode(),
        "idempotency_key": key,
        "channel": "webhook" if member.webhook_url else "feed",
        "status": PENDING if member.webhook_url else FEED,
        "attempts": 0,
        "next_attempt_at": now if member.webhook_url else None,
        "created_at": now,
    }


def bounded_subscriptions(uow: UnitOfWork, members: Mapping[str, Any],
                          only: Iterable[str] | None = None) -> list[Subscription]:
    """The stored subscriptions of these active `members` (of `only` those, if given),
    each bounded by its member's declared territory (none for the coordination, nor for a
    network-wide member): subscriptions stored before the bound are bounded too."""
    wanted = None if only is None else set(only)
    return [subscription_of(row.member_id, row.criteria, _territory(members[row.member_id]))
            for row in uow.deliveries.subscriptions()
            if row.member_id in members and (wanted is None or row.member_id in wanted)]


def _territory(member: Any) -> frozenset[str]:
    return bound_of(member.role, member.territory or ())


def subscription_of(member_id: str, criteria: Mapping[str, Any],
                    territory: Iterable[str] = ()) -> Subscription:
    """A stored subscription as routing reads it, bounded by `territory` if not empty."""
    return Subscription.create(
        member_id,
        communes=criteria.get("communes", ()),
        stages=criteria.get("stades", ()),
        needs=criteria.get("besoins", ()),
        project_kinds=criteria.get("types_projet", ()),
        naf_prefixes=criteria.get("naf", ()),
        territory=territory,
    )
