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

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence

from hub.domain.matching.record import NormalisedRecord

KeyRule = Callable[[NormalisedRecord], list[str | None]]
SPLIT_MARK = "/"  # between a key and its secondary value (`_split`)


def _key(rule: str, *parts: object) -> str | None:
    for part in parts:  # a plain loop: some twenty keys a fiche, a generator each cost more
        if part is None or part == "":
            return None
    return ":".join((rule, *map(str, parts)))


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


def _surname_sounds_of(r: NormalisedRecord) -> list[tuple[str, str]]:
    """Each of `surname_values` with its phonetic key (usage name, then birth name)."""
    named = [(name, sound) for name, sound in ((r.nom, r.phon_nom),
                                               (r.nom_naissance, r.phon_nom_naissance)) if name]
    return named[:1] if len(named) == 2 and named[0][0] == named[1][0] else named


def _split(key: str | None, secondary: str | None) -> list[str | None]:
    """A key and its sub-key: the key's block split by a secondary value (`SPLIT_MARK`).

    Where the key's block stays under its cap the sub-block's pairs are among its own;
    past the cap the block is searched by sorted neighbourhood only, and the sub-blocks
    bring whole the pairs that agree on the secondary value, however large the block."""
    if key is None:
        return [None]
    return [key, f"{key}{SPLIT_MARK}{secondary}" if secondary else None]


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
    # The first name with the commune (a typo in the postcode and the surname), and with
    # the year and month of birth (a typo in the day and the surname).
    "prenom_commune": lambda r: [_key("prenom_commune", _first_sound(r), r.commune)],
    "prenom_annee_mois": lambda r: [
        _key("prenom_annee_mois", _first_sound(r), _year(r),
             r.date_naissance.month if r.date_naissance else None)
    ],
    # Keys that leave the names out, or keep only their first letters, so that a typo in
    # a name (or names exchanged) still meets its duplicate; each survives a typo in any
    # field it does not use, and together they leave no field that all of them need.
    # A birth date is shared by some 45 people in a million: past the weak cap its block
    # is split by the place (the postcode, else the commune: `_places`), where names
    # exchanged and mistyped still meet.
    "date": lambda r: [
        key for key in _split(_key("date", _day_month(r)), next(iter(_places(r)), None))
    ],
    # Its blocks grow with the file (every MARTIN, MARIE and MAILLARD of a postcode): past
    # the weak cap a block is split by the surname's sound (`_split`), so that a surname
    # typed alike with the first name and the date missing or mistyped on one side still
    # meets its duplicate in a block of its own, whatever the block's size.
    "lieu_nom": lambda r: [
        key for place in _places(r, sort=False) for name, sound in _surname_sounds_of(r)
        for key in _split(_key("lieu_nom", place, name[:2]), sound)
    ],
    # The place with the first two letters of surname and first name, in sorted order:
    # names exchanged, with a typo past the first letters in one of them, still meet.
    "lieu_initiales": lambda r: [
        _key("lieu_initiales", place, *sorted((name[:2], (r.prenom or "")[:2])))
        for place in _places(r) for name in r.surname_values()
    ],
    "numero_lieu": lambda r: [
        _key("numero_lieu", r.numero, place) for place in _places(r, sort=False)
    ],
    # The street alone (number and its own longest word, `_street_word`) when the place
    # is not written, and the e-mail's user when the domain is mistyped or another
    # provider's.
    "numero_rue": lambda r: [_key("numero_rue", r.numero, _street_word(r))],
    "courriel_utilisateur": lambda r: [
        _key("courriel_utilisateur", r.courriel.split("@")[0] if r.courriel else None)
    ],
    # Records typed wrong in four fields or more (the FEBRL family: up to ten typos, names
    # exchanged): the street's own longest word with the postcode, when both names, the date
    # and the number are wrong. Its pairs are scored, not learnt from (the settings'
    # `regles_hors_apprentissage`): neighbours fed to EM moved every other pair's weight.
    "rue_code_postal": lambda r: [_key("rue_code_postal", _street_word(r), _postcode(r))],
    # Both names' first three letters in sorted order, when the date and the place are
    # wrong (names exchanged, each mistyped past its third letter). Not in the shipped
    # settings: on FEBRL-family files it adds ~0.5 point of recall to rue_code_postal's,
    # for one more key a fiche and ~12 % more online candidates (docs/measurements.md, matching); beside
    # bouts_noms and rue_commune, 0.1-0.2 point for 1.7 more candidates a record on a
    # French file of 100,000 (a first-letter block is large).
    "initiales_noms": lambda r: [
        _key("initiales_noms", *sorted((name[:3], (r.prenom or "")[:3])))
        for name in r.surname_values()
    ],
    # Both names by their ends (`_ends`: first two and last two letters), in sorted order,
    # with nothing else: a typo inside each name (where most fall), names exchanged, and
    # the date, the number, the street and the place all mistyped. Not in the shipped
    # settings: on FEBRL-family files it brings 0.5-0.7 % more true pairs and 0.15-0.3
    # point of recall after scoring, for one more index row a fiche and ~5 % more online
    # candidates (68.9 against 65.3 a probe at 200,000 fiches), where the 1M online median
    # has ~2 % to spare under its 5 ms goal.
    "bouts_noms": lambda r: [
        _key("bouts_noms", *sorted((_ends(name), _ends(r.prenom)))) for name in r.surname_values()
    ],
    # A name's sound with the street's own word (`_street_word`): the date missing or
    # mistyped, the number, the postcode and the commune all typed wrong, and the other name
    # mistyped or replaced. Not in the shipped settings: on the hard FEBRL-family presets
    # (dsgen zipf-heavy, zipf-swaps, seeds 1 to 3) each brings 0.2-1.0 % more true pairs,
    # and the two 0.1-0.5 point of recall at the same precision, but next to nothing on
    # files modified as Febrl 0.2.2 did (febrl3-shipped F1 +0.0001-0.0002), for 1.9 more
    # index rows a fiche (~+12 %) and 0.65 (nom_rue) and 0.87 (prenom_rue) more candidate
    # pairs a record on a French file of 100,000 (+3.7 %, +4.9 %), where the 1M online
    # median has ~2 % to spare (docs/measurements.md, matching).
    "nom_rue": lambda r: [_key("nom_rue", s, _street_word(r)) for s in _surname_sounds(r)],
    "prenom_rue": lambda r: [_key("prenom_rue", _first_sound(r), _street_word(r))],
    # The street's own word with the commune: rue_code_postal when the postcode is mistyped.
    # Not in the shipped settings: beside bouts_noms and the sorted postcode it brought
    # 0.3-0.6 % more true pairs on FEBRL-family files and not one more link after scoring,
    # for 0.64 more index rows a fiche.
    "rue_commune": lambda r: [_key("rue_commune", _street_word(r), r.commune)],
}


def _ends(name: str | None) -> str:
    """A name's first two and last two letters; a name of four letters or fewer whole."""
    if not name:
        return ""
    return name if len(name) <= 4 else name[:2] + name[-2:]


# Words most French street lines hold whatever the street (folded, abbreviations
# expanded: `normalise.normalise_street`): its type, a complement (the flat, the
# building) and the titles before a name (avenue du Général Leclerc). Keyed, they made
# blocks of every boulevard of a town (5,095 of 13,367 keyed records of a French file
# of 20,000 under BOULEV, CHEMIN or AVENUE) and twice the pairs for no duplicate more.
STREET_TYPE_WORDS = frozenset({
    "RUE", "RUELLE", "AVENUE", "BOULEVARD", "IMPASSE", "CHEMIN", "ROUTE", "ALLEE", "ALLEES",
    "PLACE", "QUAI", "COURS", "SQUARE", "PASSAGE", "VOIE", "SENTE", "SENTIER", "PROMENADE",
    "ESPLANADE", "PARVIS", "FAUBOURG", "RESIDENCE", "LOTISSEMENT", "LIEUDIT", "LIEU", "DIT",
    "HAMEAU", "QUARTIER", "CITE", "DOMAINE", "APPARTEMENT", "APPT", "APT", "BATIMENT", "BAT",
    "ESCALIER", "ETAGE", "LOGEMENT", "PORTE",
    "GENERAL", "MARECHAL", "DOCTEUR", "PRESIDENT", "PROFESSEUR", "COMMANDANT", "CAPITAINE",
    "COLONEL", "LIEUTENANT", "ABBE",
})


def _street_word(r: NormalisedRecord) -> str | None:
    """The longest word of the street line that is not a type, complement or title
    (`STREET_TYPE_WORDS`), cut to 6 letters; None when it holds no other word."""
    words = [w for w in (r.adresse or "").split() if w not in STREET_TYPE_WORDS]
    return max(words, key=len)[:6] if words else None


def _places(r: NormalisedRecord, sort: bool = True) -> list[str]:
    """The postcode (its digits sorted, `_postcode`, unless `sort` is false) and the
    commune, each alone (a typo in one leaves the other). lieu_nom and numero_lieu keep
    the postcode as typed: their blocks (two letters of a name, a house number) are large,
    and sorted they brought 0.2 more candidates a record on a French file of 100,000 and no
    link more on FEBRL-family ones."""
    return [p for p in (_postcode(r) if sort else r.code_postal, r.commune and "C" + r.commune)
            if p]


def _postcode(r: NormalisedRecord) -> str | None:
    """The postcode's digits in sorted order: two digits exchanged (63200 typed 63020, the
    commonest postcode typo) give the same key. The few codes that share their digits
    (75001 and 75010) share a block, which the names or the street in the key still split."""
    return "".join(sorted(r.code_postal)) if r.code_postal else None


# Raised whenever a rule's keys change while its name stays: stores rebuild their index.
KEYS_VERSION = 11  # 2: a phone key for an overseas number written the French way;
# 3: none for an overseas placeholder (0692 00 00 00); 4: 0269 ... and 0596 ... keyed as
# Mayotte's and Martinique's; 5: name keys for names in any script (`normalise.fold`);
# 6: a symbol in a name (an emoji, °) folds to nothing, not to its English name;
# 7: +33 (0)2 69 ... keyed as Mayotte's (the trunk 0 kept after +33); 8: the street's word
# (rue_code_postal, numero_rue) is not its type, a complement or a title
# (`STREET_TYPE_WORDS`); 9: the postcode of lieu_initiales and rue_code_postal by its
# digits in sorted order (`_postcode`); 10: lieu_nom's blocks split by the surname's
# sound and date's by the place (`_split`, `_places`); 11: the e-mail keys (courriel,
# courriel_utilisateur) of a domain typed a letter off a provider's are the provider's
# (`mail_providers`). A rule added or removed changes the fingerprint by itself (the
# rule set is in it).


def rules_fingerprint(rules: Sequence[str]) -> str:
    """What a blocking index was built with: the set of rules (their order changes no key)
    and `KEYS_VERSION`. A store whose index has another fingerprint re-indexes its fiches.

    Example:
        >>> rules_fingerprint(["courriel", "date"]) == rules_fingerprint(["date", "courriel"])
        True
    """
    text = f"{KEYS_VERSION}:" + ",".join(sorted(set(rules)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def blocking_keys(record: NormalisedRecord, rules: Sequence[str] = tuple(RULES)) -> list[str]:
    """Every blocking key of a record, without duplicates, in rule order."""
    keys: dict[str, None] = {}
    for rule in rules:
        for key in RULES[rule](record):
            if key is not None:
                keys[key] = None
    return list(keys)


# Keys that use no full name: each says little alone, so its blocks grow with the
# population (a birth date is shared by ~45 people in a million). They get their own,
# smaller cap, and a narrow window past it, so the pairs they bring per record stay
# about the same at 5,000 and at 1,000,000 records.
WEAK_RULES = frozenset({"date", "lieu_nom", "numero_lieu", "numero_rue", "courriel_utilisateur",
                        "prenom_code_postal", "prenom_commune", "prenom_annee_mois",
                        "lieu_initiales", "rue_code_postal", "initiales_noms", "bouts_noms",
                        "rue_commune", "prenom_rue"})


@dataclasses.dataclass(frozen=True)
class BlockLimits:
    """How far each block is searched: whole up to a cap, by sorted neighbourhood past it.

    `window=0` skips the blocks over the cap. Weak rules (`WEAK_RULES`) use
    `weak_block_size` and `weak_window` (the strong values when not given); their split
    keys (`_split`: a surname's sound or a place beside the weak key) the strong ones.
    """

    max_block_size: int
    window: int = 0
    weak_block_size: int | None = None
    weak_window: int | None = None

    def of(self, key: str) -> tuple[int, int]:
        """(cap, window) for a key, from the rule it names."""
        if key.split(":", 1)[0] in WEAK_RULES and SPLIT_MARK not in key:
            return (self.weak_block_size or self.max_block_size,
                    self.window if self.weak_window is None else self.weak_window)
        return self.max_block_size, self.window


def candidate_pairs(
    records: Sequence[NormalisedRecord], rules: Sequence[str], max_block_size: int | BlockLimits,
    window: int = 0,
) -> Iterator[tuple[int, int]]:
    """Index pairs (i < j) sharing a key, each once.

    A block larger than its cap (a key that says too little: a common name with no
    date, a birth date alone in a large file) is not compared whole: its records are
    sorted by name and date and each is compared with the records within the
    window around it (sorted neighbourhood), so the duplicates inside a big block that
    no other key brings, mostly spelt alike, are still found. A pair is given by the
    first small-block key its two records share; the big blocks' pairs are gathered
    per record (its neighbours of higher index in every big block), so no set of
    every pair seen is needed (a million records make tens of millions of pairs).
    """
    limits = max_block_size if isinstance(max_block_size, BlockLimits) else BlockLimits(
        max_block_size, window)
    keys = [blocking_keys(record, rules) for record in records]
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, record_keys in enumerate(keys):
        for key in record_keys:
            blocks[key].append(index)
    usable = {key for key, members in blocks.items() if 1 < len(members) <= limits.of(key)[0]}
    for key, members in blocks.items():
        if key not in usable:
            continue
        for i, j in _pairs(members):
            if _first_shared(keys[i], keys[j], usable) == key:
                yield i, j
    orders, slots = _sorted_big_blocks(blocks, records, limits)
    for i in sorted(slots):
        partners: set[int] = set()
        for order, position in slots[i]:
            ordered, reach = orders[order]
            partners.update(j for j in ordered[max(0, position - reach) : position + reach + 1]
                            if j > i)
        for j in sorted(partners):
            if _first_shared(keys[i], keys[j], usable) is None:
                yield i, j


def _sorted_big_blocks(
    blocks: dict[str, list[int]], records: Sequence[NormalisedRecord], limits: BlockLimits,
) -> tuple[list[tuple[list[int], int]], dict[int, list[tuple[int, int]]]]:
    """Each big block sorted, with its window; per record, (block, position) in each."""
    orders: list[tuple[list[int], int]] = []
    slots: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for key, members in blocks.items():
        cap, reach = limits.of(key)
        if len(members) <= cap or reach <= 0:
            continue
        for sort_value in _SORT_VALUES:
            ordered = sorted(members, key=lambda index: sort_value(records[index]))
            for position, index in enumerate(ordered):
                slots[index].append((len(orders), position))
            orders.append((ordered, reach))
    return orders, slots


def _by_name(r: NormalisedRecord) -> tuple[str, str, str]:
    return r.nom or r.nom_naissance or "", r.prenom or "", _born(r)


def _by_first_name(r: NormalisedRecord) -> tuple[str, str, str]:
    """The second order: a record whose surname is missing or mistyped at its start
    still sorts beside its duplicate by first name and birth date."""
    return r.prenom or "", _born(r), r.nom or r.nom_naissance or ""


def _born(r: NormalisedRecord) -> str:
    return r.date_naissance.isoformat() if r.date_naissance else ""


_SORT_VALUES = (_by_name, _by_first_name)


def _first_shared(left: list[str], right: list[str], usable: set[str]) -> str | None:
    return next((key for key in left if key in usable and key in right), None)


def _pairs(members: list[int]) -> Iterator[tuple[int, int]]:
    """Members are in index order already (appended while enumerating the records)."""
    for position, i in enumerate(members):
        for j in members[position + 1 :]:
            yield i, j
