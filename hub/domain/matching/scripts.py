"""The script a name was typed in, and names of two scripts compared.

`normalise.fold` reads a name in any script in Latin letters ("Иванов" IVANOV, "محمد"
MHMD, "김" GIM, "山田" SHANTIAN), so a name typed in its script and the same name typed
in Latin letters by another member may agree. A reading is one among several (Arabic
and Hebrew write few vowels, Korean and Chinese have several romanisations, Japanese
reads its characters otherwise than Mandarin): across scripts, a spelling that agrees is
a name alike, one that does not says nothing either way (missing: not comparable),
never a name plainly different, which would veto the pair. A name read from Arabic or
Hebrew is compared by its consonants. Two names of one script compare by spelling.

The script is read from the characters typed (`script_of`), never guessed from the
folded letters: Lynn, Bryn or Sky have no vowel and are Latin names.

Example:
    >>> script_of("Lynn"), script_of("محمد"), script_of("Иванов"), script_of("Zoé")
    ('', 'abjad', 'other', '')
    >>> spelling = lambda x, y: "different"
    >>> across_scripts("MHMD", ABJAD, "MOHAMED", LATIN, spelling)
    'fuzzy'
    >>> across_scripts("MHMD", ABJAD, "KARIM", LATIN, spelling)
    'missing'
    >>> across_scripts("LYNN", LATIN, "EMMA", LATIN, spelling) is None
    True
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

LATIN, ABJAD, OTHER = "", "abjad", "other"
# Letters that stand for a long vowel or nothing in a transliteration (alif, waw, ya, he).
_NOT_CONSONANTS = re.compile(r"[AEIOUYWH]")
_REPEATED = re.compile(r"(.)\1+")
_LETTERS = frozenset({"Lu", "Ll", "Lt", "Lo"})  # not modifier letters (ʼ, ー)


def script_of(text: str | None) -> str:
    """LATIN (also for no letter at all), ABJAD for a name with a letter of Arabic or
    Hebrew, OTHER for one with a letter of any other script. (Not memoised: a few
    letters to read, and most names are plain ASCII.)"""
    if not text or text.isascii():
        return LATIN
    script = LATIN
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.category(char) not in _LETTERS:
            continue
        name = unicodedata.name(char, "")
        if name.startswith(("ARABIC", "HEBREW")):
            return ABJAD
        if "LATIN" not in name:
            script = OTHER
    return script


def skeleton(name: str) -> str:
    """The consonants of a compact folded name, each repeated one once: MOHAMMED -> MD."""
    return _REPEATED.sub(r"\1", _NOT_CONSONANTS.sub("", name))


def across_scripts(x: str, script_x: str, y: str, script_y: str,
                   spelling: Callable[[str, str], str]) -> str | None:
    """The level of two folded names typed in two scripts: by their consonants when
    exactly one is read from Arabic or Hebrew, else the level their spellings give
    (`spelling`); missing, never different, when they do not agree. None for two names
    of one script (compared as usual)."""
    if script_x == script_y:
        return None
    if x == y:
        return "exact"
    if ABJAD in (script_x, script_y):
        return "fuzzy" if skeleton(x) == skeleton(y) else "missing"
    level = spelling(x, y)
    return "missing" if level == "different" else level
