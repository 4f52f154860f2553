"""A normalised record in a compact text form, as the blocking index keeps it.

A candidate read from the index must be compared at once: normalising its identity again
(names folded, phone parsed, phonetic keys) cost a third of an online match at a
million indexed fiches. The index therefore keeps, beside the identity, its
`NormalisedRecord` in this form (a JSON array, values repeated elsewhere in it left
out), which reads back to the very record `normalise_record` gives, at a tenth of
the cost.

The form carries the version of the normalisation that wrote it (`FORM_VERSION`): a
form of another version reads back as None, so a changed normaliser never compares
stale values; the index then normalises the identity itself until the forms are
rewritten (`hub.services.matching.reindex.reindex_forms`, run by `capactif init`).
Change `FORM_VERSION` with any change of what `normalise_record` answers or of
`NormalisedRecord`'s fields (`tests/unit/matching/test_record_form.py` fails until it is).

Example:
    >>> from hub.domain.matching.record import normalise_record
    >>> record = normalise_record({"nom": "de la Fontaine", "prenom": "Jean-Marc",
    ...                            "date_naissance": "12/05/1980"})
    >>> read_form(record_form(record)) == record
    True
    >>> read_form('[0,"OLD"]') is None
    True
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from hub.domain.matching.record import NormalisedRecord

FORM_VERSION = 10  # 2: an overseas number written the French way is read (0692 ...);
# 3: an overseas placeholder (0692 00 00 00) is missing; 4: 0269 ... and 0596 ... are
# Mayotte's and Martinique's; 5: names in any script are read in Latin letters
# (`normalise.fold`); 6: the script each name was typed in, symbols folded to nothing;
# 7: +33 (0)2 69 ... (the trunk 0 kept after +33) is Mayotte's, as 0269 ... is;
# 8: the digits of a birth date made impossible by a typed digit (`date_digits`);
# 9: no digits for a placeholder (99/99/9999) or a year no typo makes; JJMMAAAA read;
# 10: an e-mail's domain typed a letter off a provider's read as the provider's
_from_ordinal = dt.date.fromordinal


def record_form(record: NormalisedRecord) -> str:
    """The compact form of `record` (its `id` left out: an indexed fiche is known by its
    key). A value equal to the one it usually repeats (the name with its particles,
    the canonical first name) is written as null."""
    r = record
    values: list[Any] = [
        FORM_VERSION, r.nom, _unless(r.nom_full, r.nom), " ".join(r.nom_tokens),
        r.nom_naissance, _unless(r.nom_naissance_full, r.nom_naissance),
        " ".join(r.nom_naissance_tokens), r.prenom, " ".join(r.prenom_tokens),
        r.prenom_initials, _unless(r.prenom_canonical, r.prenom),
        r.date_naissance.toordinal() if r.date_naissance else None, r.date_digits,
        r.courriel, r.telephone, r.adresse, r.numero, r.code_postal, r.commune,
        r.phon_nom, r.phon_nom_naissance, r.phon_prenom, r.nom_script,
        r.nom_naissance_script, r.prenom_script]
    return orjson.dumps(values).decode("utf-8")


def read_form(text: str | bytes, record_id: str = "") -> NormalisedRecord | None:
    """The record of a form; None for a form of another normalisation version."""
    values = orjson.loads(text)
    if not values or values[0] != FORM_VERSION:
        return None
    (_version, nom, nom_full, nom_tokens, nom_naissance, nom_naissance_full,
     nom_naissance_tokens, prenom, prenom_tokens, prenom_initials, prenom_canonical,
     date, *digits_contacts_and_keys) = values  # date_digits ... prenom_script, as held
    return NormalisedRecord._make((
        record_id, nom, nom if nom_full is None else nom_full, tuple(nom_tokens.split()),
        nom_naissance, nom_naissance if nom_naissance_full is None else nom_naissance_full,
        tuple(nom_naissance_tokens.split()), prenom, tuple(prenom_tokens.split()),
        prenom_initials, prenom if prenom_canonical is None else prenom_canonical,
        None if date is None else _from_ordinal(date), *digits_contacts_and_keys))


def _unless(value: str | None, usual: str | None) -> str | None:
    return None if value == usual else value
