"""Names read from a script that writes few vowels (Arabic, Hebrew) against names
typed in Latin letters.

`normalise.fold` reads "محمد" as MHMD and "יוסף" as YVSF: the short vowels are not
written. Against MOHAMED or YOSSEF, spelling similarity says two other names, which
would veto a duplicate typed once in its script and once in Latin letters. A name
without a vowel is compared by its consonants instead: the same consonants are a name
alike (fuzzy), other ones say nothing either way (missing: not comparable).

Example:
    >>> unwritten_vowels("MHMD", "MOHAMED"), unwritten_vowels("MHMD", "KARIM")
    ('fuzzy', 'missing')
    >>> unwritten_vowels("MARIE", "MAURICE") is None
    True
"""

from __future__ import annotations

import re

_VOWELS = frozenset("AEIOU")
# Letters that stand for a long vowel or nothing in a transliteration (alif, waw, ya, he).
_NOT_CONSONANTS = re.compile(r"[AEIOUYWH]")
_REPEATED = re.compile(r"(.)\1+")
# A vowel-less name shorter than this is initials (JM), not a name read from a script.
MIN_LETTERS = 3


def skeleton(name: str) -> str:
    """The consonants of a compact folded name, each repeated one once: MOHAMMED -> MD."""
    return _REPEATED.sub(r"\1", _NOT_CONSONANTS.sub("", name))


def unwritten_vowels(x: str, y: str) -> str | None:
    """fuzzy or missing for two names of which exactly one has no vowel and at least
    `MIN_LETTERS` letters; None for any other pair (compared by spelling)."""
    bare_x, bare_y = _VOWELS.isdisjoint(x), _VOWELS.isdisjoint(y)
    if bare_x == bare_y or len(x if bare_x else y) < MIN_LETTERS:
        return None
    return "fuzzy" if skeleton(x) == skeleton(y) else "missing"
