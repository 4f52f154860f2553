"""Keys next to each other on the keyboards names are typed on (QWERTY, AZERTY).

A finger landing on a neighbouring key is the commonest slip of typed data (Febrl's data
set generator makes its substitutions so: a key of the same row or of the row above or
below). Two letters are neighbours where, on one of the layouts, their keys are side by
side on a row or touch across two rows (the rows staggered as on a real keyboard).

Example:
    >>> [neighbours(*p) for p in [("A", "Z"), ("M", "N"), ("R", "L"), ("E", "A")]]
    [True, True, False, False]
"""

from __future__ import annotations

# The letter rows of each layout, with each row's offset from the one above (in keys).
LAYOUTS = {
    "qwerty": (("QWERTYUIOP", 0.0), ("ASDFGHJKL", 0.25), ("ZXCVBNM", 0.75)),
    "azerty": (("AZERTYUIOP", 0.0), ("QSDFGHJKLM", 0.25), ("WXCVBN", 0.75)),
}


def _pairs() -> frozenset[frozenset[str]]:
    pairs = set()
    for rows in LAYOUTS.values():
        keys = [(letter, r, offset + i) for r, (row, offset) in enumerate(rows)
                for i, letter in enumerate(row)]
        for a, row_a, x_a in keys:
            for b, row_b, x_b in keys:
                across = abs(row_a - row_b) == 1 and abs(x_a - x_b) < 1
                if a != b and ((row_a == row_b and abs(x_a - x_b) == 1) or across):
                    pairs.add(frozenset((a, b)))
    return frozenset(pairs)


# Every pair of neighbouring letters of `LAYOUTS` (a few dozen, worked out once).
NEIGHBOURS = _pairs()


def neighbours(a: str, b: str) -> bool:
    """Whether two upper-case letters are neighbouring keys on one of `LAYOUTS`."""
    return frozenset((a, b)) in NEIGHBOURS
