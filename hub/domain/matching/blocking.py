"""Blocking keys: two records are compared only if they share at least one key.

Every rule is built by one helper, `_key(rule, *parts)`, which gives no key when
a part is missing. The keys are plain strings, so the store can keep them in a
persistent index table (key -> porteur) and fetch candidates by key.

Example:
    >>> from hub.domain.matching.record import normalise_record
    >>> r = normalise_record({"id": "1", "nom": "Dupond", "prenom": "Jean",
    ...                       "date_naissance": "1980-05-12"})
    >>> "nom_annee:DP2:1980" in blocking_keys(r)
    True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence

from hub.domain.matching.record import NormalisedRecord

KeyRule = Callable[[NormalisedRecord], list[str | None]]


def _key(rule: str, *parts: object) -> str | None:
    if any(part is None or part == "" for part in parts):
        return None
    return ":".join((rule, *(str(part) for part in parts)))


def _year(r: NormalisedRecord) -> int | None:
    return r.date_naissance.year if r.date_naissance else None


def _day_month(r: NormalisedRecord) -> str | None:
    """Day and month in sorted order, so a day/month swap gives the same key."""
    if r.date_naissance is None:
        return None
    low, high = sorted((r.date_naissance.day, r.date_naissance.month))
    return f"{r.date_naissance.year}-{low:02d}-{high:02d}"


def _surname_sounds(r: NormalisedRecord) -> list[str]:
    """Phonetic keys of the usage name and of the birth name (married names meet maiden ones)."""
    return [s for s in dict.fromkeys((r.phon_nom, r.phon_nom_naissance)) if s]


def _first_sound(r: NormalisedRecord) -> str:
    return r.phon_prenom


RULES: dict[str, KeyRule] = {
    "nom_annee": lambda r: [_key("nom_annee", s, _year(r)) for s in _surname_sounds(r)],
    "courriel": lambda r: [_key("courriel", r.courriel)],
    "telephone": lambda r: [_key("telephone", r.telephone)],
    "prenom_date": lambda r: [_key("prenom_date", _first_sound(r), _day_month(r))],
    "noms_inverses": lambda r: [
        _key("noms_inverses", *sorted((s, _first_sound(r))), _year(r)) for s in _surname_sounds(r)
    ],
    "noms_sans_date": lambda r: [
        _key("noms_sans_date", *sorted((s, _first_sound(r)))) for s in _surname_sounds(r)
    ],
    # A common name without a date (MARTIN Marie) makes a block too large to use at a
    # million records; the same names in one place, or with the year and the first
    # initial, stay small and still bring the duplicates whose date is missing or mistyped.
    "noms_lieu": lambda r: [
        _key("noms_lieu", *sorted((s, _first_sound(r))), r.code_postal or r.commune)
        for s in _surname_sounds(r)
    ],
    "nom_initiale_annee": lambda r: [
        _key("nom_initiale_annee", s, (r.prenom or "")[:1], _year(r)) for s in _surname_sounds(r)
    ],
    "nom_code_postal": lambda r: [
        _key("nom_code_postal", s, r.code_postal) for s in _surname_sounds(r)
    ],
    "prenom_code_postal": lambda r: [_key("prenom_code_postal", _first_sound(r), r.code_postal)],
    # Keys that leave the names out, or keep only their first letters, so that a typo in
    # a name (or names exchanged) still meets its duplicate; each survives a typo in any
    # field it does not use, and together they leave no field that all of them need.
    "date": lambda r: [_key("date", _day_month(r))],
    "lieu_nom": lambda r: [
        _key("lieu_nom", place, name[:2]) for place in _places(r) for name in r.surname_values()
    ],
    "numero_lieu": lambda r: [_key("numero_lieu", r.numero, place) for place in _places(r)],
    # The street alone (number and its longest word) when the place is not written,
    # and the e-mail's user when the domain is mistyped or another provider's.
    "numero_rue": lambda r: [_key("numero_rue", r.numero, _street_word(r))],
    "courriel_utilisateur": lambda r: [
        _key("courriel_utilisateur", r.courriel.split("@")[0] if r.courriel else None)
    ],
}


def _street_word(r: NormalisedRecord) -> str | None:
    words = (r.adresse or "").split()
    return max(words, key=len)[:6] if words else None


def _places(r: NormalisedRecord) -> list[str]:
    """The postcode and the commune, each alone (a typo in one leaves the other)."""
    return [p for p in (r.code_postal, r.commune and "C" + r.commune) if p]


def blocking_keys(record: NormalisedRecord, rules: Sequence[str] = tuple(RULES)) -> list[str]:
    """Every blocking key of a record, without duplicates, in rule order."""
    keys: dict[str, None] = {}
    for rule in rules:
        for key in RULES[rule](record):
            if key is not None:
                keys[key] = None
    return list(keys)


def candidate_pairs(
    records: Sequence[NormalisedRecord], rules: Sequence[str], max_block_size: int,
    window: int = 0,
) -> Iterator[tuple[int, int]]:
    """Index pairs (i < j) sharing a key, each once.

    A block larger than `max_block_size` (a key that says too little: a common name
    with no date) is not compared whole: its records are sorted by name and date and
    each is compared with the `window` records that follow it (sorted neighbourhood),
    so the duplicates inside a big block that no other key brings, mostly spelt
    alike, are still found; `window=0` skips big blocks. A pair is given by the
    first small-block key its two records share, so no set of every pair seen is
    needed (a million records make tens of millions of pairs); only pairs met in
    big blocks are remembered, at most `window` per record and big key.
    """
    keys = [blocking_keys(record, rules) for record in records]
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, record_keys in enumerate(keys):
        for key in record_keys:
            blocks[key].append(index)
    usable = {key for key, members in blocks.items() if 1 < len(members) <= max_block_size}
    for key, members in blocks.items():
        if key not in usable:
            continue
        for i, j in _pairs(members):
            if _first_shared(keys[i], keys[j], usable) == key:
                yield i, j
    if window <= 0:
        return
    seen: set[tuple[int, int]] = set()
    for members in big_blocks(blocks, max_block_size):
        for i, j in _neighbours(members, records, window):
            if (i, j) not in seen and _first_shared(keys[i], keys[j], usable) is None:
                seen.add((i, j))
                yield i, j


def big_blocks(blocks: dict[str, list[int]], max_block_size: int) -> Iterator[list[int]]:
    return (members for members in blocks.values() if len(members) > max_block_size)


def _neighbours(
    members: list[int], records: Sequence[NormalisedRecord], window: int
) -> Iterator[tuple[int, int]]:
    ordered = sorted(members, key=lambda index: _sort_value(records[index]))
    for position, i in enumerate(ordered):
        for j in ordered[position + 1 : position + 1 + window]:
            yield min(i, j), max(i, j)


def _sort_value(r: NormalisedRecord) -> tuple[str, str, str]:
    born = r.date_naissance.isoformat() if r.date_naissance else ""
    return r.nom or r.nom_naissance or "", r.prenom or "", born


def _first_shared(left: list[str], right: list[str], usable: set[str]) -> str | None:
    return next((key for key in left if key in usable and key in right), None)


def _pairs(members: list[int]) -> Iterator[tuple[int, int]]:
    """Members are in index order already (appended while enumerating the records)."""
    for position, i in enumerate(members):
        for j in members[position + 1 :]:
            yield i, j
