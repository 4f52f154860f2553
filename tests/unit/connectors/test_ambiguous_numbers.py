"""A comma before exactly three digits (`1,000`, `25,000` from an English-speaking CRM's
comma-separated export) may be thousands or decimals: the row is rejected with how to
write it, never sent as 1 € (nor as 1000 €)."""

import pytest

from connectors.mapping import Mapping
from schemas.french_values import AmbiguousNumber, parse_number

MAPPING = {"version": 1, "identifiant": {"source": "Id"},
           "champs": {"financement.besoin_total": {"source": "Montant", "type": "nombre"}}}


@pytest.mark.parametrize("written", ["1,000", "25,000", "-1,500", "100,000 €"])
def test_a_comma_before_three_digits_is_refused_as_ambiguous(written):
    with pytest.raises(AmbiguousNumber):
        parse_number(written)


@pytest.mark.parametrize(("written", "value"), [
    ("1,5", 1.5), ("0,125", 0.125), ("1 000", 1000), ("15.000", 15000), ("1,000.50", 1000.5),
    ("12 500,50", 12500.5), ("1,0000", 1.0), ("1000,000", 1000)])
def test_unambiguous_writings_are_read_as_before(written, value):
    assert parse_number(written) == value


def test_the_rejected_row_says_how_to_write_the_number_without_quoting_it():
    mapping = Mapping.from_dict(MAPPING)
    mapping.bind(["Id", "Montant"])
    _, problems = mapping.apply({"Id": "A-1", "Montant": "25,000"})
    assert [(p.path, p.code, p.colonne) for p in problems] == [
        ("$.financement.besoin_total", "nombre_invalide", "Montant")]
    assert "Nombre ambigu" in problems[0].message_fr and "25" not in problems[0].message_fr
