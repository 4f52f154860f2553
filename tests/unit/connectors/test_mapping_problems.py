"""Mapping problems: one value path for columns and JSON paths, codes from `Problem`."""

import pytest

from connectors.mapping import InvalidValue, Mapping, Problem

SPEC = {"version": 1, "identifiant": {"source": "N°"},
        "champs": {"financement.apport": {"source": "Apport", "type": "nombre"},
                   "porteur.telephone": {"source": "Tél", "type": "telephone"}}}
JSON_SPEC = {"version": 1, "identifiant": {"source": "$.id"},
             "champs": {"financement.apport": {"source": "$.apport", "type": "nombre"},
                        "porteur.telephone": {"source": "$.tel", "type": "telephone"}}}


@pytest.mark.parametrize("written", ["NC", "N C", "Néant", "néant.", "-", "Non communiqué"])
def test_no_value_reads_the_same_from_a_column_and_from_a_json_path(written):
    column = Mapping.from_dict(SPEC)
    column.bind(["N°", "Apport", "Tél"])
    by_column = column.apply({"N°": "1", "Apport": written, "Tél": "06 12 34 56 78"})
    by_path = Mapping.from_dict(JSON_SPEC).apply(
        {"id": "1", "apport": written, "tel": "06 12 34 56 78"})
    assert by_column == by_path == ({"porteur": {"telephone": "0612345678"}}, [])


def test_problem_codes_come_from_the_enum_and_name_the_file_column():
    mapping = Mapping.from_dict(SPEC)
    mapping.bind(["n° ", "APPORT", "tél"])
    _, problems = mapping.apply({"n° ": "1", "APPORT": "douze", "tél": "06 12"})
    assert [(p.code, p.colonne) for p in problems] == [
        (Problem.NOMBRE_INVALIDE, "APPORT"), (Problem.TELEPHONE_INVALIDE, "tél")]
    with pytest.raises(InvalidValue) as raised:
        mapping.rules[0].value({"APPORT": "douze"})
    assert raised.value.problem is Problem.NOMBRE_INVALIDE
