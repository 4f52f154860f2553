"""Each member edits its own subscriptions (the same format as in the network file).

Who may subscribe to what: a member whose territory the network file declares
(`territoire`: a commune, an EPCI, a PFIL) subscribes only to communes within it, or
it would receive the fiches of porteurs of other territories; the coordination and a
member without a declared territory (network-wide: a CCI, a chamber, the ADIE) to any
commune. Stages, needs, kinds of project and NAF sectors are not bounded. The network
file is held to the same rule when it is loaded (hub.services.accounts.members).

What a member reads is what routing applies (`routing.in_force`): subscriptions stored
before the bound (by a network file an earlier release loaded) are shown within the
territory, so what is read can always be written back as it is."""

from __future__ import annotations

import functools
from typing import Any

import schemas
from hub.bootstrap import Hub
from hub.domain import routing
from hub.errors import BadRequest, OutsideTerritory
from hub.services.accounts import standing
from hub.services.accounts.auth import Caller
from schemas.loader import SchemaValidator


@functools.cache
def _validator() -> SchemaValidator:
    member = schemas.load_schema("network")["properties"]["membres"]["items"]
    return SchemaValidator(member["properties"]["abonnements"])


def read_subscriptions(hub: Hub, caller: Caller) -> list[dict[str, Any]]:
    """The caller's subscriptions as routing applies them (the module's docstring)."""
    with hub.uow() as uow:
        bound = _bound(uow.members.get(caller.member_id))
        return routing.in_force([row.criteria for row in uow.deliveries.subscriptions()
                                 if row.member_id == caller.member_id], bound)


def replace_subscriptions(hub: Hub, caller: Caller, criteria: Any) -> list[dict[str, Any]]:
    """Replace the caller's subscriptions; fiches processed from now on are routed by them."""
    errors = _validator().errors(criteria)
    if errors:
        details, details_en = schemas.summary(errors)
        raise BadRequest(f"Abonnements non conformes : {details}",
                         f"Subscriptions do not match their schema: {details_en}")
    with hub.uow() as uow:
        _check_territory(uow.members.get(caller.member_id), criteria)
        now = hub.clock()
        uow.deliveries.replace_subscriptions(caller.member_id, criteria, "api", now)
        # a restore from an older copy routes by these, not by those they replaced
        standing.journal(uow, [caller.member_id], now, by=caller.member_id,
                         actor=caller.member_id)
        uow.commit()
    return criteria


def _bound(member: Any) -> frozenset[str]:
    return frozenset() if member is None else routing.bound_of(member.role, member.territory or ())


def _check_territory(member: Any, criteria: list[dict[str, Any]]) -> None:
    outside = routing.outside(criteria, _bound(member))
    if outside:
        listed = ", ".join(outside[:10]) + (" …" if len(outside) > 10 else "")
        raise OutsideTerritory(
            f"Communes hors de votre territoire : {listed}. Abonnez-vous aux communes de "
            "votre territoire (celui que le réseau vous a déclaré), ou demandez à "
            "l'animation du réseau de l'étendre.",
            f"Communes outside your territory: {listed}. Subscribe to communes of your "
            "territory (the one the network declared for you), or ask the network's "
            "coordination to extend it.")
