"""The compact form the blocking index keeps of a normalised record reads back to that
very record, and says which normalisation wrote it."""

from __future__ import annotations

import hashlib

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.matching import normalise as norm
from hub.domain.matching import phonetic
from hub.domain.matching.record import NormalisedRecord, normalise_record
from hub.domain.matching.record_form import FORM_VERSION, read_form, record_form

IDENTITIES = [
    {},
    {"nom": "de la Fontaine-Dupont", "nom_naissance": "Le Gall", "prenom": "J.-M.",
     "date_naissance": "1980-05-12", "courriel": "Jean.Marc+pro@GoogleMail.com",
     "telephone": "+33 6 12 34 56 78",
     "adresse": {"ligne": "12 bis av. Jean Jaurès", "code_postal": "3000",
                 "commune": "Saint-Étienne CEDEX"}},
    {"nom": "Dupont", "nom_naissance": "Dupont", "prenom": "Manu", "date_naissance": "12/05/1980",
     "telephone": "0033 4 73 82 01 99", "adresse": {"ligne": "23"}},
    {"nom": "N'Diaye", "prenom": "Marie Hélène", "date_naissance": "19800512",
     "courriel": "pas une adresse", "telephone": "06 00 00 00 00",
     "adresse": {"code_postal": "63600", "commune": "Ambert"}},
    {"nom_naissance": "Œuvray", "prenom": "Jean-Baptiste", "date_naissance": "1901-01-01",
     "telephone": "+44 20 7946 0958", "adresse": {"ligne": "rue sans numéro"}},
    {"prenom": "JB", "date_naissance": "1985-02-30", "courriel": "jb@exemple.fr"},
    {"prenom": "Kiera", "date_naissance": "19763121"},
    {"nom": "St Pierre", "prenom": "Ève", "date_naissance": "2003-11-04 10:22",
     "adresse": {"ligne": "4 ter, chemin des Vignes", "commune": "Le Puy-en-Velay"}},
    {"nom": "???", "prenom": "-", "date_naissance": "NC", "telephone": "12"},
]

# One sample per rule of the normalisation, so that changing any of them changes the
# digest below: surnames (particles, saints, ligatures, apostrophes; each rule of the
# phonetic key), first names (every nickname, initials), birth dates (every writing,
# placeholders, bounds), e-mails, phones (the French fast path, the general parser,
# placeholders), street lines (every abbreviation, house numbers), postcodes, communes,
# the flat shape of the batch and values that are not text.
SURNAMES = [
    "du Bois", "des Champs", "D'Artagnan", "L'Hermite", "Les Hauts", "La Salle", "Di Maggio",
    "von Trapp", "van Damme", "Le", "Ste Marie", "Ægidius", "Müller", "Dumas", "Lacroix",
    "Rousseau", "Leroy", "Schmitt", "Chevalier", "Philippe", "Thomas", "Maxime", "Lucie",
    "Roger", "Guillaume", "Guy", "Jacques", "Lecocq", "Champagne", "Lefebvre", "Wagner",
    "Zola", "Hugo", "Rosier", "Faure", "Moulin", "Lebrun", "Lemaire", "Seignol", "Durand",
    "Lambert", "Henri", "Simon", "Dombasle", "Aubert", "Ozanne", "Rosette", "Lemoine",
    "Montgolfiervilliers", "Xavier", "Sheppard", "Bouvier", "Ginette", "Cyrano",
    "Quentin", "Seine", "Grange", "Dupond", "Ponsard", "Ladouceur", "Bellegarde", "Gillettes",
    "Ounbrik",
]
FIRST_NAMES = [
    "Manu", "Fred", "Seb", "Nico", "Alex", "Steph", "Cathy", "Isa", "Val", "Chris", "Max",
    "Flo", "Dom", "Phil", "Bea", "Jeannot", "Gégé", "Dédé", "Mimi", "Jojo", "Sandy", "Nath",
    "Caro", "Patou", "Tom", "Ben", "Guigui", "JB", "Matt", "Mathieu", "Anto", "Titou",
    "Fanfan", "Doudou", "Lolo", "Zaza", "Jean-Manu", "Anne Marie Claude", "J", "JM", "J. M.",
]
OTHER_SCRIPTS = ["Иванов", "Γιώργος", "محمد", "יוסף", "王小明", "Łukasz", "Søren", "Marie 🌸",
                 "Zoé ★ n° 3", "김민준"]
BIRTH_DATES = [
    "1980/05/12", "1980.05.12", "1980-5-2T00:00:00", "12-05-1980", "12.05.80", "12 05 1980",
    "2/5/1980 10:22", "19800512 08:00", "1899-12-31", "1900-01-01", "1970-01-01",
    "2030-12-31", "2031-01-01", "1980-13-01", "29/02/1981", "29/02/1980", " 1980-05-12 ",
    "19761161", "1g761121", "32/13/1980", "00/00/0000", "1980-00-00", "31/02/1980",
    "99/99/9999", "9999-12-31", "1850-01-01", "13051980", "13131980", "13o51980",
]
EMAILS = [
    "a.b.c@gmail.com", "ＦＵＬＬ@exemple.fr", "+tag@exemple.fr", "x@y.z", "o'neil@exemple.fr",
    "Prenom.Nom@Exemple.FR", "a+b+c@exemple.fr", "deux@@exemple.fr",
    "a.b.c@gmial.com", "anne.roux@wanadoo.f", "anne.roux@orage.fr", "anne@mail.com",
]
PHONES = [
    "06.12.34.56.78", "06-12-34-56-78", "(06) 12 34 56 78", "+33612345678", "01 11 11 11 11",
    "06 12 34 56 7", "+33 (0)6 12 34 56 78", "+44 7777 777777", "+1 415 555 2671",
    "00 49 30 1234567", "0012345678", "08 00 00 00 01", "ABCDEF123456",
    "0692 12 34 56", "+33 692 12 34 56", "0590 27 12 34", "+269 639 01 23 45",
    "0692 00 00 00", "+262 692 00 00 00", "0269 60 12 34", "05 96 61 23 45",
    "+33 (0)2 69 60 12 34",
]
STREET_LINES = [
    "3 av Foch", "3 ave Foch", "3 bd Foch", "3 bld Foch", "3 r Foch", "3 ch Foch",
    "3 che Foch", "3 pl Foch", "3 imp Foch", "3 rte Foch", "3 all Foch", "3 lot Foch",
    "3 ld Foch", "3 ham Foch", "3 fg Foch", "3 st Foch", "3 ste Foch", "3 qu Foch",
    "3 crs Foch", "3 sq Foch", "12bis rue Haute", "12B rue Haute", "12 r. Pasteur",
    "007 rue Basse", "5 quater rue Basse", "123456 rue Longue", "12 H", "12 I rue",
    "  8, Grand'Rue", "Lieu-dit Le Bourg",
]
POSTCODES = ["63 600", "636000", "1000", "F-63600", "", "2A004"]
COMMUNES = ["Saint-Étienne CEDEX 2", "Ste-Foy-lès-Lyon", "ST GERMAIN", "L'Isle-d'Abeau"]

RULE_SAMPLES = [
    *({"nom": name, "prenom": name} for name in SURNAMES),
    *({"prenom": name, "nom_naissance": name} for name in FIRST_NAMES),
    *({"nom": name, "prenom": name, "adresse": {"commune": name}} for name in OTHER_SCRIPTS),
    *({"date_naissance": date} for date in BIRTH_DATES),
    *({"courriel": email} for email in EMAILS),
    *({"telephone": phone} for phone in PHONES),
    *({"adresse": {"ligne": line}} for line in STREET_LINES),
    *({"adresse": {"code_postal": code}} for code in POSTCODES),
    *({"adresse": {"commune": commune}} for commune in COMMUNES),
    {"nom": "Martin", "adresse_ligne": "3 av Foch", "code_postal": "3000",
     "commune": "Ste Foy", "id": "ligne-7"},
    {"nom": 42, "prenom": 7, "date_naissance": 19800512, "telephone": 612345678,
     "adresse": {"ligne": 12, "code_postal": 63600, "commune": None}},
    {"adresse": "12 rue Haute"},
]

# What `normalise_record` answers on IDENTITIES and RULE_SAMPLES, as written by
# FORM_VERSION. A change of normalisation changes it: then raise FORM_VERSION (the index
# rewrites its forms at `capactif init`) and write the new digest here.
NORMALISATION_DIGEST = {1: "afc46648ab0e5640", 2: "afc46648ab0e5640", 3: "afc46648ab0e5640",
                        4: "afc46648ab0e5640", 5: "afc46648ab0e5640",
                        6: "5108eca27d2570ee", 7: "5108eca27d2570ee",  # 6: the script of each name
                        8: "27aac8a51259728c", 9: "27aac8a51259728c",  # 8: the digits of
                        10: "27aac8a51259728c"}  # an impossible birth date
RULES_DIGEST = {1: "ec4d11adb5e23d45", 2: "6afb701fce872b30",  # 2: overseas numbers read
                3: "11d71ff1593a833e",  # 3: overseas placeholders missing
                4: "f7b54211b96ed120",  # 4: 0269 and 0596 numbers overseas
                5: "2ad43b9e12f24110",  # 5: names in other scripts read (samples OTHER_SCRIPTS)
                6: "4c7634b957498865",  # 6: the script of each name; symbols fold to nothing
                7: "f947bc3192097a1a",  # 7: +33 (0)2 69 ... overseas (samples PHONES)
                8: "0bef33ebac477511",  # 8: a birth date's digits (samples BIRTH_DATES)
                9: "42a4a2536b3b83cb",  # 9: no digits for placeholders; JJMMAAAA read
                10: "963af3d6043bacee"}  # 10: a provider's domain mistyped (samples EMAILS)


def _digest(identities=tuple(IDENTITIES)) -> str:
    records = [tuple(normalise_record(identity)) for identity in identities]
    return hashlib.sha256(orjson.dumps(records, default=str)).hexdigest()[:16]


def test_every_sample_reads_back_to_its_record():
    for identity in IDENTITIES:
        record = normalise_record(identity)
        assert read_form(record_form(record)) == record


def test_a_changed_normalisation_changes_the_form_version():
    assert NORMALISATION_DIGEST.get(FORM_VERSION) == _digest(), (
        "normalise_record answers otherwise than when FORM_VERSION was set: raise "
        "FORM_VERSION and pin the new digest")
    assert RULES_DIGEST.get(FORM_VERSION) == _digest(tuple(RULE_SAMPLES)), (
        "normalise_record answers otherwise than when FORM_VERSION was set: raise "
        "FORM_VERSION and pin the new digest")


def _without(table, key):
    """`table` (a dict, set or tuple of the normaliser) without one of its entries."""
    if isinstance(table, dict):
        return {k: v for k, v in table.items() if k != key}
    if isinstance(table, tuple):
        return table[:key] + table[key + 1:]
    return type(table)(table - {key})


# Phonetic rules that change no key (found by comparing the keys of random words with and
# without each rule): TH -> T (the H is dropped later anyway) and GU before E, I, Y -> G
# (the U is a vowel after the head, dropped with the others).
_NO_EFFECT = {("_RULES", 6), ("_RULES", 10)}


def _tables():
    return [(norm, "_STREET_WORDS"), (norm, "NICKNAMES"), (norm, "_PARTICLES"),
            (norm, "_SAINT"), (norm, "_GMAIL"), (norm, "PLACEHOLDER_DATES"),
            (phonetic, "_RULES")]


def _forget_memos() -> None:
    for memoised in (norm.surname_forms, norm.first_name_tokens, norm.parse_birth_date,
                     norm.normalise_commune, phonetic.phonetic_key):
        memoised.cache_clear()


def test_every_entry_of_every_normalisation_table_moves_the_pinned_digest(monkeypatch):
    """The samples exercise each entry of the normaliser's tables (abbreviations,
    nicknames, particles, gmail domains, placeholder dates, phonetic rules): with any
    one left out, the digest changes, so the test above would ask for a new FORM_VERSION."""
    samples = (*IDENTITIES, *RULE_SAMPLES)
    pinned = _digest(samples)
    unnoticed = []
    for module, name in _tables():
        table = getattr(module, name)
        for key in (range(len(table)) if isinstance(table, tuple) else list(table)):
            with monkeypatch.context() as patched:
                patched.setattr(module, name, _without(table, key))
                _forget_memos()
                if _digest(samples) == pinned and (name, key) not in _NO_EFFECT:
                    unnoticed.append((name, key))
            _forget_memos()
    assert unnoticed == [], unnoticed


def test_a_form_of_another_version_reads_as_none():
    form = orjson.loads(record_form(normalise_record(IDENTITIES[1])))
    assert read_form(orjson.dumps([FORM_VERSION + 1, *form[1:]])) is None
    assert read_form(orjson.dumps([FORM_VERSION - 1, *form[1:]])) is None


def test_the_form_names_no_id_and_reads_back_with_the_one_given():
    record = normalise_record(IDENTITIES[1], "porteur-7")
    assert "porteur-7" not in record_form(record)
    assert read_form(record_form(record), "porteur-7") == record


_text = st.one_of(st.none(), st.text(max_size=30),
                  st.sampled_from(["de la Fontaine", "J.-M.", "Le Gall", "Manu", "  "]))


@settings(max_examples=300, deadline=None)
@given(nom=_text, naissance=_text, prenom=_text, date=_text, courriel=_text, telephone=_text,
       ligne=_text, code_postal=_text, commune=_text)
def test_any_identity_reads_back_to_its_record(nom, naissance, prenom, date, courriel,
                                              telephone, ligne, code_postal, commune):
    record = normalise_record({
        "nom": nom, "nom_naissance": naissance, "prenom": prenom, "date_naissance": date,
        "courriel": courriel, "telephone": telephone,
        "adresse": {"ligne": ligne, "code_postal": code_postal, "commune": commune}})
    assert read_form(record_form(record)) == record


def test_the_form_holds_every_field_of_the_record():
    """A field added to NormalisedRecord must reach the form (and FORM_VERSION change)."""
    record = normalise_record(IDENTITIES[1])
    fields = [name for name in NormalisedRecord._fields if name != "id"]
    assert len(orjson.loads(record_form(record))) == 1 + len(fields)
