"""The French phonetic key groups spellings that sound alike."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.matching.phonetic import phonetic_key


@pytest.mark.parametrize(
    ("left", "right"),
    [("Dupont", "Dupond"), ("Lefebvre", "Lefèvre"), ("Rousseau", "Russo"),
     ("Martin", "Martain"), ("Philippe", "Filipe"), ("Thomas", "Tomas"),
     ("Bonnet", "Bonet"), ("Roux", "Rous"), ("Gauthier", "Gautier"), ("Céline", "Seline"),
     ("Haubert", "Aubert"), ("Chevalier", "Chevallier"), ("Legrand", "Le Grand")],
)
def test_names_that_sound_alike_share_a_key(left, right):
    assert phonetic_key(left) == phonetic_key(right)


@pytest.mark.parametrize(("left", "right"), [("Martin", "Bernard"), ("Dupont", "Durand"),
                                             ("Petit", "Moreau"), ("Simon", "Michel")])
def test_names_that_sound_different_keep_different_keys(left, right):
    assert phonetic_key(left) != phonetic_key(right)


def test_empty_or_letterless_text_has_no_key():
    assert phonetic_key("") == phonetic_key(None) == phonetic_key("--'") == ""


_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèêàçôî", min_size=1, max_size=15)


@given(_NAME)
def test_case_accents_and_hyphens_do_not_change_the_key(name):
    plain = name.translate(str.maketrans("éèêàçôî", "eeeacoi"))
    assert phonetic_key(name) == phonetic_key(name.upper()) == phonetic_key(plain)
    assert phonetic_key(name + "-" + name) == phonetic_key(name + name)


@given(_NAME)
def test_keys_are_short_and_plain(name):
    key = phonetic_key(name)
    assert len(key) <= 8
    assert set(key) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ#123")
