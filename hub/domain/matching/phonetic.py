"""A French phonetic key, in the family of Soundex 2 and Phonex.

Spellings that sound alike in French get the same key: DUPONT / DUPOND,
LEFEBVRE / LEFEVRE, ROUSSEAU / RUSSO, MARTIN / MARTAIN, PHILIPPE / FILIPE,
THOMAS / TOMAS. The key keeps the first sound, then consonants and nasal
vowels only, so it is coarse on purpose: it is a blocking key, and the
comparisons decide.

Example:
    >>> phonetic_key("Dupond") == phonetic_key("du Pont") == phonetic_key("DUPONT")
    True
"""

from __future__ import annotations

import functools
import re

from hub.domain.matching.normalise import fold

# Rules applied in order; "#" stands for the sound CH, "1/2/3" for nasal vowels.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"[TDSPXZ]+$", ""),
        (r"E$", ""),
        (r"[TDSPXZ]+$", ""),
        (r"([A-Z])\1", r"\1"),
        (r"SCH|SH|CH", "#"),
        (r"PH", "F"),
        (r"TH", "T"),
        (r"X", "KS"),
        (r"C(?=[EIY])", "S"),
        (r"G(?=[EIY])", "J"),
        (r"GU(?=[EIY])", "G"),
        (r"QU|Q|CK|C", "K"),
        (r"GN", "NI"),
        (r"BV", "V"),
        (r"W", "V"),
        (r"Z", "S"),
        (r"H", ""),
        (r"Y", "I"),
        (r"(?<=[AEIOU])S(?=[AEIOU])", "Z"),
        (r"EAU|AU", "O"),
        (r"OU", "U"),
        (r"(?:AIN|EIN|IN|UN)(?=[^AEIOUN]|$)", "3"),
        (r"AI|EI|ER$", "E"),
        (r"[AE][NM](?=[^AEIOUNM]|$)", "1"),
        (r"O[NM](?=[^AEIOUNM]|$)", "2"),
    )
)
_VOWELS = re.compile(r"[AEIOU]")


@functools.lru_cache(maxsize=1 << 14)
def phonetic_key(text: str | None, max_length: int = 8) -> str:
    """The French phonetic key of a name; "" when there is no letter in it."""
    sound = fold(text).replace(" ", "")
    if not sound:
        return ""
    for pattern, replacement in _RULES:
        sound = pattern.sub(replacement, sound)
    if not sound:
        return ""
    head, tail = sound[0], _VOWELS.sub("", sound[1:])
    if head in "AEIOU":
        head = "A"
    return _squeeze(head + tail)[:max_length]


def _squeeze(text: str) -> str:
    """Collapse repeated letters (RR -> R)."""
    out: list[str] = []
    for char in text:
        if not out or out[-1] != char:
            out.append(char)
    return "".join(out)
