"""JSON numbers no double holds, found in a request body instead of read as 0 or refused
with the whole body.

orjson reads `1e-400` as 0.0 (a fiche would store an amount of zero that was not sent)
and refuses `1e400` (infinity) with the whole body, naming only a line and a column.
A body that may hold either is read again by the standard library, each such number
put in its place as `OUT_OF_RANGE`, so that the document or the item holding it is
refused naming the field. The search is on bytes: a number read as 0 though not zero
has an exponent of at least 3 digits or at least 100 zeros after its point."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

from schemas.numbers import OUT_OF_RANGE

_SMALL = (re.compile(rb"e-0*[1-9][0-9]{2}"), re.compile(rb"E-0*[1-9][0-9]{2}"))  # literal prefixes: fast
_ZEROS = b"0" * 100
_INT64 = range(-(2**63), 2**64)  # orjson reads these as integers, longer ones as floats
_NONZERO_DIGITS = re.compile(r"[1-9]")


def may_be_read_as_zero(raw: bytes) -> bool:
    """Whether `raw` may hold a number that is not zero and reads as 0.0."""
    return _ZEROS in raw or any(pattern.search(raw) for pattern in _SMALL)


def read_exactly(raw: bytes) -> Any | None:
    """`raw` parsed with each number no double holds as `OUT_OF_RANGE`; None when the
    standard library reads it where orjson would not (NaN, a lone surrogate, nesting it
    cannot follow): the caller keeps orjson's answer."""
    try:
        document = json.loads(raw.decode("utf-8"), parse_float=_float, parse_int=_integer,
                              parse_constant=_refused)
        orjson.dumps(document, default=_as_null)  # refuses what orjson would not read
    except (ValueError, RecursionError, orjson.JSONEncodeError):
        return None
    return document


def _float(text: str) -> Any:
    value = float(text)
    mantissa = text.partition("e")[0].partition("E")[0]
    if math.isinf(value) or (value == 0 and _NONZERO_DIGITS.search(mantissa)):
        return OUT_OF_RANGE
    return value


def _integer(text: str) -> Any:
    if len(text) <= 20 and int(text) in _INT64:
        return int(text)
    return _float(text)  # as orjson reads it: a float, infinity past 309 digits


def _refused(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


def _as_null(value: Any) -> None:
    if value is OUT_OF_RANGE:
        return None
    raise TypeError(type(value).__name__)
