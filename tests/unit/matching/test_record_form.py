"""The compact form the blocking index keeps of a normalised record reads back to that
very record, and says which normalisation wrote it."""

from __future__ import annotations

import dataclasses
import hashlib

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

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
    {"nom": "St Pierre", "prenom": "Ève", "date_naissance": "2003-11-04 10:22",
     "adresse": {"ligne": "4 ter, chemin des Vignes", "commune": "Le Puy-en-Velay"}},
    {"nom": "???", "prenom": "-", "date_naissance": "NC", "telephone": "12"},
]

# What `normalise_record` answers on IDENTITIES, as written by FORM_VERSION. A change of
# normalisation changes it: then raise FORM_VERSION (the index rewrites its forms at
# `capactif init`) and write the new digest here.
NORMALISATION_DIGEST = {1: "afc46648ab0e5640"}


def _digest() -> str:
    records = [dataclasses.astuple(normalise_record(identity)) for identity in IDENTITIES]
    return hashlib.sha256(orjson.dumps(records, default=str)).hexdigest()[:16]


def test_every_sample_reads_back_to_its_record():
    for identity in IDENTITIES:
        record = normalise_record(identity)
        assert read_form(record_form(record)) == record


def test_a_changed_normalisation_changes_the_form_version():
    assert NORMALISATION_DIGEST.get(FORM_VERSION) == _digest(), (
        "normalise_record answers otherwise than when FORM_VERSION was set: raise "
        "FORM_VERSION and pin the new digest")


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
    fields = [f.name for f in dataclasses.fields(NormalisedRecord) if f.name != "id"]
    assert len(orjson.loads(record_form(record))) == 1 + len(fields)
