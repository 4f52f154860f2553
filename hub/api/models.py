"""Pydantic models of the answers that have no JSON Schema in `schemas/` (OpenAPI only:
they document the contract; the routes build their answers in the services)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class HubKey(_Open):
    key_id: str
    algorithme: Literal["ed25519"]
    cle_publique: str
    whpk: str


class HubKeys(_Open):
    cles: list[HubKey]
