"""`/v1/hub-keys`: the hub's public signing keys (webhooks, receipts, tree heads), public."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Request

from hub.api.auth import hub_of
from hub.api.models import HubKeys
from hub.api.openapi import answer
from hub.keys import public_key_text, unb64url

router = APIRouter(prefix="/v1", tags=["schemas"])


@router.get("/hub-keys", responses=answer(HubKeys))
def hub_keys(request: Request) -> Any:
    """The public keys that verify the hub's webhook signatures (Standard Webhooks `v1a`),
    consent receipts and signed tree heads: raw 32 bytes in base64url, and `whpk_…`."""
    key = hub_of(request).hub_key
    raw = public_key_text(key.public_key)
    whpk = "whpk_" + base64.b64encode(unb64url(raw)).decode("ascii")
    return {"cles": [{"key_id": key.key_id, "algorithme": "ed25519", "cle_publique": raw,
                      "whpk": whpk}]}
