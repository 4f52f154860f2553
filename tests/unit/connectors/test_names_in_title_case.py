"""`casse: titre` writes a name typed in capitals as the name it is.

`str.title()` turned « ÇELİK » into « Çeli̇k » (an « i » followed by a combining dot above,
U+0307: another name to every search and to the hub's matching), and capitalised the
particles and the Scottish names the member had typed with care.
"""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.mapping import Mapping
from connectors.name_case import title_case


def _named(value: str) -> str:
    mapping = Mapping.from_dict({"version": 1, "identifiant": {"source": "N°"}, "champs": {
        "porteur.nom": {"source": "Nom", "casse": "titre"}}})
    return mapping.apply({"N°": "1", "Nom": value})[0]["porteur"]["nom"]


@pytest.mark.parametrize(("typed", "written"), [
    ("ÇELİK", "Çelik"), ("ERDOĞAN", "Erdoğan"), ("İSMAİL YILDIZ", "İsmail Yildiz"),
    ("JEAN-PIERRE", "Jean-Pierre"), ("O'NEILL", "O'Neill"), ("LEFÈVRE", "Lefèvre"),
    ("jean de la fontaine", "Jean de la Fontaine"), ("jeanne d'arc", "Jeanne d'Arc"),
    ("Charles du Bois", "Charles du Bois"), ("Anne le Roux", "Anne le Roux"),
    ("McDonald", "McDonald"), ("MacArthur", "MacArthur"), ("MACHIN", "Machin"),
    ("DE GAULLE", "De Gaulle")])
def test_a_name_typed_in_capitals_is_written_as_a_name(typed, written):
    assert _named(typed) == written


@given(st.text(alphabet=st.characters(categories=["Lu", "Ll", "Zs"], include_characters="-'"),
               max_size=30))
def test_title_case_changes_letters_one_for_one_and_adds_no_combining_mark(text):
    written = title_case(text)
    assert len(written) == len(text)
    assert [c for c in written if unicodedata.combining(c)] == \
        [c for c in text if unicodedata.combining(c)]
