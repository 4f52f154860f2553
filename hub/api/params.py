"""Typed path and query parameters: a malformed id (a NUL, a space, 300 characters…) is
refused with a 4xx before any lookup, and the OpenAPI document states each pattern.
Fiche and member ids follow `schemas/fiche.v1.json`; the hub's own ids (`cns_…`, `prt_…`,
`eff_…`) are opaque tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

import schemas

_FICHE = schemas.load_schema("fiche")
FICHE_ID = _FICHE["properties"]["fiche_id"]["pattern"]
MEMBER_ID = _FICHE["$defs"]["identifiant_membre"]["pattern"]
OPAQUE_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
ACTION = r"^[a-z_]{1,40}$"

MemberIdPath = Annotated[str, Path(pattern=MEMBER_ID)]
FicheIdPath = Annotated[str, Path(pattern=FICHE_ID)]
IdPath = Annotated[str, Path(pattern=OPAQUE_ID)]
IdQuery = Annotated[str | None, Query(pattern=OPAQUE_ID)]
MemberQuery = Annotated[str | None, Query(pattern=MEMBER_ID)]
ActionQuery = Annotated[str | None, Query(pattern=ACTION)]
