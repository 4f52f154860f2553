"""An Excel serial date written with a decimal (`30746.0`) is read as the serial it is.

A CSV written from a spreadsheet read as floats (pandas, a script) gives a date cell that
lost its format as `30746.0`: before, it was refused with advice about the Unix time of an
API, which a spreadsheet's member cannot follow.
"""

import pytest

from connectors.mapping import Mapping


def _born(value: str) -> tuple[dict, list]:
    mapping = Mapping.from_dict({"version": 1, "identifiant": {"source": "N°"}, "champs": {
        "porteur.date_naissance": {"source": "Né(e) le", "type": "date"}}})
    return mapping.apply({"N°": "1", "Né(e) le": value})


@pytest.mark.parametrize("value", ["30746", "30746.0", "30746,0", "30746.00", "30746.5"])
def test_a_serial_date_with_a_decimal_is_the_same_day(value):
    fiche, problems = _born(value)
    assert problems == [] and fiche["porteur"]["date_naissance"] == "1984-03-05"


def test_another_number_is_refused_without_advice_for_an_api_only():
    _, [problem] = _born("3074.5")
    assert problem.code == "date_invalide"
    assert "tableur" in problem.message_fr and "numéro de série" in problem.message_fr
