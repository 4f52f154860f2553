"""`/v1/schemas`: the JSON Schemas, public (they hold no data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

import schemas
from hub.errors import NotFound

router = APIRouter(prefix="/v1/schemas", tags=["schemas"])


@router.get("")
def list_schemas() -> dict[str, list[str]]:
    return {"schemas": schemas.schema_names()}


@router.get("/{name}")
def get_schema(name: str) -> Any:
    if name not in schemas.schema_names():
        raise NotFound("Schéma inconnu.", "Unknown schema.")
    return schemas.load_schema(name)
