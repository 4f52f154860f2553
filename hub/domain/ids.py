"""The range of the hub's ids and cursors: 64-bit signed integers in both databases."""

from __future__ import annotations

MAX_INT64 = 2**63 - 1


def whole_number(text: str, max_digits: int = 18) -> int | None:
    """`text` as a whole number written in 0-9 only, at most `max_digits` long, else None
    (`str.isdigit` is also true of « ² » or « 𝟏 », which `int` refuses)."""
    if text.isascii() and text.isdigit() and len(text) <= max_digits:
        return int(text)
    return None
