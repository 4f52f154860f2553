"""The words a porteur can be found by, and the words of a coordinator's search, in
one comparable form: names folded (no case, no accents, letters of every script kept:
an Arabic, Greek, Hebrew or Cyrillic name is found as typed, Ø and Ł as O and L),
e-mails normalised, birth dates as ISO dates. A search finds the porteurs holding every
one of its terms. `TERMS_VERSION` changes with the form: the index is then rebuilt.

Examples:
    >>> porteur_terms({"nom": "Chanteloubière", "prenom": "Gaëlle",
    ...                "date_naissance": "1986-09-21"})
    ['mot:CHANTELOUBIERE', 'mot:GAELLE', 'naissance:1986-09-21']
    >>> query_terms("gaelle 21/09/1986")
    ['mot:GAELLE', 'naissance:1986-09-21']
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from hub.domain.matching.normalise import normalise_email

TERMS_VERSION = 3  # 3: an e-mail's domain typed a letter off a provider's is the provider's
NAME_FIELDS = ("nom", "nom_naissance", "prenom")
# Latin letters with no decomposition into a base letter and an accent
_UNDECOMPOSED = str.maketrans({"Ø": "O", "Ł": "L", "Đ": "D", "Ð": "D", "Þ": "TH", "Ħ": "H",
                               "Ŧ": "T", "Œ": "OE", "Æ": "AE"})
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\Z", re.ASCII)
MAX_TERMS = 8


def porteur_terms(identity: Mapping[str, Any]) -> list[str]:
    """The search terms of one fiche's `porteur` block (only the fields it holds)."""
    terms = {f"mot:{word}" for field in NAME_FIELDS
             for word in name_words(_text(identity.get(field)))}
    email = normalise_email(_text(identity.get("courriel")))
    if email:
        terms.add(f"courriel:{email}")
    born = _iso_date(_text(identity.get("date_naissance")))
    if born:
        terms.add(f"naissance:{born}")
    return sorted(terms)


def query_terms(query: str) -> list[str]:
    """The terms of what a coordinator typed: words of a name, an e-mail address, a
    birth date (JJ/MM/AAAA or AAAA-MM-JJ). Empty when nothing searchable was typed."""
    terms: list[str] = []
    for part in query.split()[:MAX_TERMS]:
        email = normalise_email(part) if "@" in part else None
        born = _iso_date(part)
        found = [f"courriel:{email}"] if email else [f"naissance:{born}"] if born else \
            [f"mot:{word}" for word in name_words(part)]
        terms.extend(term for term in found if term not in terms)
    return terms


def name_words(text: str) -> list[str]:
    """The words of a name, upper case, without accents or marks (Greek tonos, Arabic
    and Hebrew vowel points), in any script; format characters (a Persian joiner) are
    dropped, anything else not a letter separates words.

    >>> name_words("Wróblewski-Żółć"), name_words("Παπαδόπουλος")
    (['WROBLEWSKI', 'ZOLC'], ['ΠΑΠΑΔΟΠΟΥΛΟΣ'])
    """
    if text.isascii():
        return re.sub(r"[^A-Z]+", " ", text.upper()).split()
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed
                   if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    upper = bare.upper().translate(_UNDECOMPOSED)
    return "".join(c if c.isalpha() else " " for c in upper).split()


def searched_fields(terms: list[str]) -> list[str]:
    """The fiche fields a search looked into (for the access log: never the values)."""
    fields = {"mot": ["porteur.nom", "porteur.nom_naissance", "porteur.prenom"],
              "courriel": ["porteur.courriel"], "naissance": ["porteur.date_naissance"]}
    return sorted({f for term in terms for f in fields[term.split(":", 1)[0]]})


def _iso_date(text: str) -> str | None:
    match = _DATE.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day).isoformat()
        return dt.date.fromisoformat(text).isoformat() if len(text) == 10 else None
    except ValueError:
        return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
