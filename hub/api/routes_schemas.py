"""`/v1/schemas`: the JSON Schemas, public (they hold no data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

import schemas
from hub.api.models import SchemaList
from hub.api.openapi import answer, errors
from hub.api.params import SchemaName
from hub.errors import NotFound

router = APIRouter(prefix="/v1/schemas", tags=["schemas"])


@router.get("", responses=answer(SchemaList))
def list_schemas() -> Any:
    return {"schemas": schemas.schema_names()}


@router.get("/{name}", responses={200: {"description": "Le JSON Schema (2020-12)", "content": {
    "application/json": {"schema": {"type": "object"}}}}, **errors(404)})
def get_schema(name: SchemaName) -> Any:
    if name not in schemas.schema_names():
        raise NotFound("Schéma inconnu.", "Unknown schema.")
    return schemas.load_schema(name)
