"""One way to write equal JSON numbers, shared by the hub's content hash of a fiche and
a connector's skip-unchanged hash (docs/protocol.md, "Idempotency")."""

from __future__ import annotations

from typing import Any

# Integers a float holds exactly (RFC 7493, I-JSON): beyond, a whole float is kept as it is.
EXACT_INTEGERS = 2**53


class OutOfRange:
    """A JSON number no double holds: too large (1e400, read as infinity), or not zero yet
    too small (1e-400, read as 0). The hub's body reader puts it in the number's place so
    that what holds it is refused, naming where (`schemas.loader.out_of_range_path`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "OUT_OF_RANGE"


OUT_OF_RANGE = OutOfRange()


def same_numbers(document: Any) -> Any:
    """`document` with each whole float of at most 2**53 in magnitude as an integer
    (8000.0, 8e3 -> 8000; -0.0 -> 0). Larger floats (1e300) stay floats: an integer of
    300 digits is no cheaper to hash, and I-JSON numbers are exact only up to 2**53.

    >>> same_numbers({"a": [8000.0, -0.0, 0.5]})
    {'a': [8000, 0, 0.5]}
    """
    if isinstance(document, float):
        exact = document.is_integer() and abs(document) <= EXACT_INTEGERS
        return int(document) if exact else document
    if isinstance(document, dict):
        return {key: same_numbers(value) for key, value in document.items()}
    if isinstance(document, list):
        return [same_numbers(value) for value in document]
    return document
