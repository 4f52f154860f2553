import json

import jsonschema
import pytest

import schemas
from schemas.formats import is_date, is_insee_code, is_naf_code, is_postal_code, is_siret
from schemas.loader import schema_files
from tests.factories import make_fiche


@pytest.mark.parametrize("path", schema_files(), ids=lambda p: p.name)
def test_every_schema_file_is_a_valid_2020_12_schema_with_an_id(path):
    document = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"].startswith("https://")


def test_the_factory_fiche_is_valid():
    assert schemas.validator("fiche").errors(make_fiche()) == []


def test_validators_are_cached():
    assert schemas.validator("fiche") is schemas.validator("fiche")


@pytest.mark.parametrize(
    ("value", "valid"),
    [("73282932000074", True), ("73282932000075", False), ("35600000049837", True), ("35600000049838", False),
     ("7328293200007", False), ("7328293200007A", False)],
)
def test_siret_checks_the_luhn_key_and_la_poste_exception(value, valid):
    assert is_siret(value) is valid


@pytest.mark.parametrize(("value", "valid"), [("63600", True), ("43160", True), ("00100", False),
                                              ("99000", False), ("6360", False)])
def test_french_postal_codes(value, valid):
    assert is_postal_code(value) is valid


@pytest.mark.parametrize(("value", "valid"), [("63003", True), ("2A004", True), ("97411", True),
                                              ("2C004", False), ("6300", False), ("99100", False)])
def test_insee_commune_codes(value, valid):
    assert is_insee_code(value) is valid


@pytest.mark.parametrize(("value", "valid"), [("56.10A", True), ("01.11Z", True), ("5610A", False),
                                              ("56.10a", False)])
def test_naf_codes(value, valid):
    assert is_naf_code(value) is valid


@pytest.mark.parametrize(("value", "valid"), [("1988-04-12", True), ("1988-02-30", False),
                                              ("12/04/1988", False), ("1788-04-12", False)])
def test_dates_are_real_calendar_dates(value, valid):
    assert is_date(value) is valid


def test_errors_name_the_path_and_rule_but_never_echo_the_value():
    fiche = make_fiche()
    fiche["porteur"]["courriel"] = "secret-marker@@nowhere"
    fiche["projet"]["siret"] = "12345678901234"
    fiche["porteur"]["date_naissance"] = "31/12/1990"
    errors = schemas.validator("fiche").errors(fiche)
    assert {(e.path, e.code) for e in errors} == {
        ("$.porteur.courriel", "format"),
        ("$.porteur.date_naissance", "format"),
        ("$.projet.siret", "format"),
    }
    text = json.dumps([e.to_dict() for e in errors], ensure_ascii=False)
    for value in ("secret-marker", "12345678901234", "31/12/1990"):
        assert value not in text


def test_missing_required_fields_are_named_with_their_path():
    fiche = make_fiche()
    del fiche["porteur"]["nom"]
    del fiche["version"]
    errors = schemas.validator("fiche").errors(fiche)
    assert {(e.path, e.code) for e in errors} == {("$.porteur.nom", "required"),
                                                 ("$.version", "required")}
    assert all(e.message_fr and e.message_en for e in errors)
