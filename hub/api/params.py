"""Parameter types shared by the routes: what the store can hold, declared up front.

A value outside these types is answered 422 `invalid_parameter` in the envelope before
any route runs, and the OpenAPI document states each pattern and bound:

- ids are strings matching a pattern (a NUL, a space, 300 characters… never reach a
  lookup). Fiche and member ids follow `schemas/fiche.v1.json`; the hub's own ids
  (`cns_…`, `prt_…`, `eff_…`) are opaque tokens;
- integers (cursors, sequence numbers, tree sizes) are bounded to 64 bits, which the
  store's integers hold, and written with the ASCII digits alone (no space, sign or `_`);
- date-times carry an offset (they are compared with the log's UTC times) and lie
  between 1970 and 9000.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, AwareDatetime, BeforeValidator
from pydantic_core import PydanticCustomError

import schemas
from hub.domain.ids import MAX_INT64
from schemas.formats import EARLIEST, LATEST

_FICHE = schemas.load_schema("fiche")
FICHE_ID = _FICHE["properties"]["fiche_id"]["pattern"]
MEMBER_ID = _FICHE["$defs"]["identifiant_membre"]["pattern"]
OPAQUE_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
ACTION = r"^[a-z_]{1,40}$"



_RFC3339_START = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _rfc3339(value: object) -> object:
    """A date-time written out: pydantic also reads a number (or a string of digits) as
    a Unix time, so `depuis=20261201` meant 23 August 1970, an answer without an error."""
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _RFC3339_START.match(value):
        raise PydanticCustomError("datetime_parsing",
                                  "an RFC 3339 date-time is expected (2026-12-01T00:00:00+01:00)")
    return value


def _digits(value: object) -> object:
    """An integer written with ASCII digits alone: pydantic also reads spaces around it, a
    plus sign, `_` between digits and other scripts' digits (`?after=5%20` was 5)."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise PydanticCustomError("int_parsing",
                                  "a whole number written with the digits 0-9 alone is expected")
    return value


DIGITS = BeforeValidator(_digits)
"""Put after an integer parameter's `Query`/`Path` (its bounds stay in the document)."""


def _in_range(value: dt.datetime) -> dt.datetime:
    if not EARLIEST <= value <= LATEST:
        raise PydanticCustomError("datetime_range", "date-time outside 1970..9000")
    return value


MemberIdPath = Annotated[str, Path(pattern=MEMBER_ID)]
FicheIdPath = Annotated[str, Path(pattern=FICHE_ID)]
IdPath = Annotated[str, Path(pattern=OPAQUE_ID)]
SchemaName = Annotated[str, Path(pattern=r"^[a-z_]{1,64}$")]  # schemas/loader.py's file names
IdQuery = Annotated[str | None, Query(pattern=OPAQUE_ID)]
MemberQuery = Annotated[str | None, Query(pattern=MEMBER_ID)]
ActionQuery = Annotated[str | None, Query(pattern=ACTION)]

Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_in_range)]
"""An RFC 3339 date-time with an offset, between 1970 and 9000."""

Cursor = Annotated[int, Query(ge=0, le=MAX_INT64), DIGITS]
OptionalCursor = Annotated[int | None, Query(ge=0, le=MAX_INT64), DIGITS]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_INT64), DIGITS]
OptionalPage = Annotated[int | None, Query(ge=1, le=MAX_INT64), DIGITS]
PathId = Annotated[int, Path(ge=1, le=MAX_INT64), DIGITS]
PathSeq = Annotated[int, Path(ge=0, le=MAX_INT64), DIGITS]
TreeSize = Annotated[int, Query(ge=0, le=MAX_INT64), DIGITS]
OptionalTreeSize = Annotated[int | None, Query(ge=0, le=MAX_INT64), DIGITS]
