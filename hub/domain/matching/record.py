"""A person record as the matcher sees it: every field normalised once.

`normalise_record` accepts the flat porteur fields used by the batch CSV
(`id, nom, nom_naissance, prenom, date_naissance, courriel, telephone,
adresse_ligne, code_postal, commune`) or a fiche's nested `porteur` object
(`adresse: {ligne, code_postal, commune}`). Anything missing or unusable is None.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson

from hub.domain.matching import normalise as norm
from hub.domain.matching.phonetic import phonetic_key
from hub.domain.matching.scripts import LATIN, script_of

RECORD_FIELDS = (
    "id", "nom", "nom_naissance", "prenom", "date_naissance", "courriel", "telephone",
    "adresse_ligne", "code_postal", "commune",
)


class NormalisedRecord(NamedTuple):
    """Canonical values of one record; None means missing.

    A named tuple (immutable, hashable): the online matcher reads some eighty of them
    back from the index for every new fiche, and a tuple is built at a fraction of the
    cost of a frozen dataclass, which sets each of its fields through `object.__setattr__`.
    """

    id: str
    nom: str | None = None  # compact, without particles
    nom_full: str | None = None  # compact, with particles
    nom_tokens: tuple[str, ...] = ()
    nom_naissance: str | None = None
    nom_naissance_full: str | None = None
    nom_naissance_tokens: tuple[str, ...] = ()
    prenom: str | None = None  # compact ("JEANMARC")
    prenom_tokens: tuple[str, ...] = ()
    prenom_initials: str = ""
    prenom_canonical: str | None = None  # nicknames expanded
    date_naissance: dt.date | None = None
    # A birth date made impossible by a digit typed wrong (month 13, day 61): its digits,
    # year, month and day (`normalise.birth_date_digits`); None where the date parses.
    date_digits: str | None = None
    courriel: str | None = None
    telephone: str | None = None
    adresse: str | None = None
    numero: str | None = None  # the street number of the address line ("12", "12B")
    code_postal: str | None = None
    commune: str | None = None
    phon_nom: str = ""
    phon_nom_naissance: str = ""
    phon_prenom: str = ""
    # The script each name was typed in (`scripts.script_of`): "" for Latin letters.
    nom_script: str = ""
    nom_naissance_script: str = ""
    prenom_script: str = ""

    def surname_values(self) -> tuple[str, ...]:
        """Usage name then birth name, compact, without duplicates."""
        if not self.nom_naissance or self.nom_naissance == self.nom:
            return (self.nom,) if self.nom else ()
        return (self.nom, self.nom_naissance) if self.nom else (self.nom_naissance,)

    def surname_scripts(self) -> tuple[str, ...]:
        """The script of each of `surname_values`, in its order."""
        if not self.nom_naissance or self.nom_naissance == self.nom:
            return (self.nom_script,) if self.nom else ()
        both = (self.nom_script, self.nom_naissance_script)
        return both if self.nom else (self.nom_naissance_script,)

    def present_fields(self) -> int:
        """How many identifying fields carry a value (used to spot thin records)."""
        return sum(
            value is not None
            for value in (
                self.nom or self.nom_naissance, self.prenom, self.date_naissance,
                self.courriel, self.telephone, self.adresse or self.code_postal,
            )
        )

    def with_names_swapped(self) -> NormalisedRecord:
        """The same record read with first and last names exchanged."""
        tokens = self.prenom_tokens
        forms = norm.surname_forms(" ".join(tokens)) if tokens else None
        return self._replace(
            nom=forms[0] if forms else None,
            nom_full=forms[1] if forms else None,
            nom_tokens=forms[2] if forms else (),
            prenom=self.nom_full,
            prenom_tokens=self.nom_tokens,
            prenom_initials=norm.first_name_initials(self.nom_tokens),
            prenom_canonical=self.nom_full,
            phon_nom=self.phon_prenom,
            phon_prenom=self.phon_nom,
            nom_script=self.prenom_script,
            prenom_script=self.nom_script,
        )


def normalise_record(raw: Mapping[str, Any], record_id: str | None = None) -> NormalisedRecord:
    """Normalise a flat or fiche-shaped porteur mapping; never raises on bad values."""
    address = raw.get("adresse")
    if isinstance(address, Mapping):
        line, postcode, town = address.get("ligne"), address.get("code_postal"), address.get(
            "commune"
        )
    else:
        line, postcode, town = raw.get("adresse_ligne"), raw.get("code_postal"), raw.get("commune")
    first_text = _text(raw.get("prenom"))
    first = norm.first_name_tokens(first_text)
    usage_text, birth_text = _text(raw.get("nom")), _text(raw.get("nom_naissance"))
    usage, birth = norm.surname_forms(usage_text), norm.surname_forms(birth_text)
    return NormalisedRecord(
        id=str(record_id if record_id is not None else raw.get("id", "")),
        nom=usage[0] if usage else None,
        nom_full=usage[1] if usage else None,
        nom_tokens=usage[2] if usage else (),
        nom_naissance=birth[0] if birth else None,
        nom_naissance_full=birth[1] if birth else None,
        nom_naissance_tokens=birth[2] if birth else (),
        prenom="".join(first) or None,
        prenom_tokens=first,
        prenom_initials=norm.first_name_initials(first) if first else "",
        prenom_canonical=norm.canonical_first_name(first) if first else None,
        date_naissance=norm.parse_birth_date(_text(raw.get("date_naissance"))),
        date_digits=norm.birth_date_digits(_text(raw.get("date_naissance"))),
        courriel=norm.normalise_email(_text(raw.get("courriel"))),
        telephone=norm.normalise_phone(_text(raw.get("telephone"))),
        adresse=norm.normalise_street(_text(line)),
        numero=norm.street_number(_text(line)),
        code_postal=norm.normalise_postcode(_text(postcode)),
        commune=norm.normalise_commune(_text(town)),
        phon_nom=phonetic_key(usage[0]) if usage else "",
        phon_nom_naissance=phonetic_key(birth[0]) if birth else "",
        phon_prenom=phonetic_key("".join(first)),
        nom_script=script_of(usage_text) if usage else LATIN,
        nom_naissance_script=script_of(birth_text) if birth else LATIN,
        prenom_script=script_of(first_text) if first else LATIN,
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


class RecordMemo:
    """Identities (canonical JSON) normalised once per process: a fiche's keys, its own
    match and every later match it is a candidate in all need its record, and phone and
    name normalisation dominate matching. Bounded (`size`, least recently used dropped);
    emptied by an erasure in the process that erases and in each worker when it learns of
    it (`hub.services.matching.forgetting`). One per `Hub`, the composition root, never
    module state."""

    def __init__(self, size: int = 20_000) -> None:
        self._normalised = functools.lru_cache(maxsize=size)(_normalise_json)

    def __call__(self, identity: bytes) -> NormalisedRecord:
        return self._normalised(identity)

    def __len__(self) -> int:
        return self._normalised.cache_info().currsize

    def clear(self) -> None:
        """An erasure (`hub.services.matching.forgetting`): every identity goes."""
        self._normalised.cache_clear()


def _normalise_json(identity: bytes) -> NormalisedRecord:
    return normalise_record(orjson.loads(identity))
