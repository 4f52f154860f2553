"""The version of each fiche whose date the coordination's console shows: the newest that
changed something the coordination may see (`fiches.coordination_version`). A version
changing only fields hidden from it (the referent's notes) reaches its feed by nothing;
nor may it move the console's « Dernières nouvelles », first contact, « sans nouvelles »
flag or the steering committee's months, which read the dated version's `mis_a_jour_le`
(docs/privacy.md, "Side channels").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hub.bootstrap import Hub
from hub.domain.projection import changed_fields
from hub.services.accounts.sessions import console_member
from hub.services.delivery.deliveries import FicheDisclosures, ProcessedVersion, routing_network
from hub.store.uow import UnitOfWork

ROLE = "coordination"


def coordination_news(hub: Hub, uow: UnitOfWork, versions: Sequence[ProcessedVersion],
                      now: dt.datetime) -> dict[int, int]:
    """By fiche pk, the newest of these processed versions that the console may date
    itself by: a fiche's first version, or one changing a content path the console's
    member may see as role `coordination` (the deliveries' comparison: `changed_fields`,
    where `version` and `mis_a_jour_le` never count). A version it may not see at all
    dates nothing (the console shows nothing of the fiche)."""
    if not versions:
        return {}
    members, _network, _subscriptions = hub.network.get(
        uow.deliveries.routing_token(), lambda: routing_network(uow))
    member = console_member(hub, ((m.id, m.role) for m in members.values()))
    news: dict[int, int] = {}
    for version in versions:
        if _tells_the_coordination(hub, version, member, now):
            news[version.fiche_pk] = max(version.version, news.get(version.fiche_pk, 0))
    return news


def _tells_the_coordination(hub: Hub, version: ProcessedVersion, member: str,
                            now: dt.datetime) -> bool:
    found = FicheDisclosures(hub, version.owner, version.fiche, now).allowed(member, ROLE, False)
    if found is None:
        return False
    _purpose, allowed = found
    return version.previous is None or bool(
        changed_fields(version.previous, version.fiche, allowed.paths))
