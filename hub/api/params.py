"""Parameter types shared by the routes: what the store can hold, declared up front.

A value outside these bounds is answered 422 `invalid_parameter` before any route
runs (integers beyond 64 bits would otherwise overflow the store's integers; a
date-time without an offset cannot be compared with the log's UTC times).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, AwareDatetime

MAX_INT64 = 2**63 - 1
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def _in_range(value: dt.datetime) -> dt.datetime:
    if not EARLIEST <= value <= LATEST:
        raise ValueError("date-time outside 1970..9000")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_in_range)]
"""An RFC 3339 date-time with an offset, between 1970 and 9000."""

Cursor = Annotated[int, Query(ge=0, le=MAX_INT64)]
OptionalCursor = Annotated[int | None, Query(ge=0, le=MAX_INT64)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_INT64)]
PathId = Annotated[int, Path(ge=1, le=MAX_INT64)]
PathSeq = Annotated[int, Path(ge=0, le=MAX_INT64)]
TreeSize = Annotated[int, Query(ge=0, le=MAX_INT64)]
OptionalTreeSize = Annotated[int | None, Query(ge=0, le=MAX_INT64)]
