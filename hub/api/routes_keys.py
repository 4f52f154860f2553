"""`/v1/hub-keys`: the hub's public signing keys (webhooks, receipts, tree heads), public."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Request

from hub.api.auth import hub_of
from hub.api.models import HubKeys
from hub.api.openapi import answer
from hub.keys import unb64url

router = APIRouter(prefix="/v1", tags=["schemas"])


@router.get("/hub-keys", responses=answer(HubKeys))
def hub_keys(request: Request) -> Any:
    """The public keys that verify the hub's webhook signatures (Standard Webhooks `v1a`),
    consent receipts and signed tree heads: raw 32 bytes in base64url, and `whpk_…`; every
    key the hub ever signed with (state `active`, `annoncee` before a rotation, `retiree`
    after one, with its dates), so heads signed before a rotation still verify."""
    return {"cles": [{**entry, "algorithme": "ed25519",
                      "whpk": "whpk_" + base64.b64encode(unb64url(entry["cle_publique"])).decode()}
                     for entry in hub_of(request).hub_keys.history()]}
