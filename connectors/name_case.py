"""`casse: titre`: a name typed in capitals written as a name is (« ÇELİK » → « Çelik »).

`str.title()` is not made for names: it lowers « İ » (Turkish capital I with a dot, common
in surnames in France) into « i » followed by a combining dot above (« Çeli̇k »), and it
capitalises every word and every letter after an apostrophe alike. Here each word, and each
part of a compound (« JEAN-PIERRE » → « Jean-Pierre », « O'NEILL » → « O'Neill »), takes a
capital then small letters, « İ » lowering to a plain « i »; and what the member typed with
care is kept as typed: a particle typed in small letters (« de », « du », « le », « la »,
« d' »: « Jean de la Fontaine », « d'Arc ») and a Scottish or Irish name with its inner
capital (« McDonald », « MacArthur »). A name typed all in capitals cannot tell them apart:
« DE LA FONTAINE » becomes « De La Fontaine ».
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"(\s+|[-\u2010\u2011'\u2019])")
_PARTICLES = frozenset({"de", "du", "des", "le", "la", "les", "d", "l", "van", "von", "der",
                        "den", "di", "da", "del", "dos"})
_MC = re.compile(r"(?:Mc|Mac)[^\W\d_]\w*", re.UNICODE)


def title_case(text: str) -> str:
    """`text` with each word capitalised as a name (see the module's docstring)."""
    return "".join(part if not part or _SEPARATORS.fullmatch(part) else _word(part)
                   for part in _SEPARATORS.split(text))


def _word(word: str) -> str:
    if (word.islower() and word in _PARTICLES) or _typed_mc(word):
        return word
    return _upper(word[0]) + "".join(_lower(c) for c in word[1:])


def _typed_mc(word: str) -> bool:
    """« McDonald », « MacArthur »: the prefix, a capital, then small letters somewhere."""
    prefix = 2 if word.startswith("Mc") else 3
    return bool(_MC.fullmatch(word)) and word[prefix].isupper() and \
        any(c.islower() for c in word[prefix + 1:])


def _lower(letter: str) -> str:
    return "i" if letter == "\u0130" else letter.lower()  # İ: never i + U+0307


def _upper(letter: str) -> str:
    upper = letter.upper()
    return upper if len(upper) == 1 else letter  # « ß » has no one-letter capital
