"""Each member edits its own subscriptions (the same format as in the network file)."""

from __future__ import annotations

import functools
from typing import Any

import schemas
from hub.bootstrap import Hub
from hub.errors import BadRequest
from hub.services.accounts.auth import Caller
from schemas.loader import SchemaValidator


@functools.cache
def _validator() -> SchemaValidator:
    member = schemas.load_schema("network")["properties"]["membres"]["items"]
    return SchemaValidator(member["properties"]["abonnements"])


def read_subscriptions(hub: Hub, caller: Caller) -> list[dict[str, Any]]:
    with hub.uow() as uow:
        return [row.criteria for row in uow.deliveries.subscriptions()
                if row.member_id == caller.member_id]


def replace_subscriptions(hub: Hub, caller: Caller, criteria: Any) -> list[dict[str, Any]]:
    """Replace the caller's subscriptions; fiches processed from now on are routed by them."""
    errors = _validator().errors(criteria)
    if errors:
        details, details_en = schemas.summary(errors)
        raise BadRequest(f"Abonnements non conformes : {details}",
                         f"Subscriptions do not match their schema: {details_en}")
    with hub.uow() as uow:
        uow.deliveries.replace_subscriptions(caller.member_id, criteria, "api", hub.clock())
        uow.commit()
    return criteria
