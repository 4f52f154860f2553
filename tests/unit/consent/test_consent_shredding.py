"""Crypto-shredding: destroying a porteur's key makes every copy of their data unreadable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consent.examples import EXAMPLE_TIME
from consent.fake import InMemoryPorteurKeys
from consent.shredding import (
    decrypt_fields,
    encrypt_fields,
    new_key,
    unwrap_key,
    wrap_key,
)
from hub.errors import ConfigurationError, DataErased, UnreadableData

PERSONAL = {"nom": "Durand", "prenom": "Léa", "telephone": "06 12 34 56 78",
            "adresse": {"commune": "Saint-Flour"}}


def test_fields_round_trip_and_ciphertexts_hide_values():
    key = new_key()
    sealed = encrypt_fields(key, PERSONAL, "por_1")
    assert "Durand" not in str(sealed)
    assert decrypt_fields(key, sealed, "por_1") == PERSONAL


def test_destroying_the_key_makes_backed_up_ciphertexts_unreadable():
    keys = InMemoryPorteurKeys(new_key())
    backup = encrypt_fields(keys.key_for("por_1", EXAMPLE_TIME), PERSONAL, "por_1")
    keys.destroy("por_1", EXAMPLE_TIME)
    assert keys.is_erased("por_1")
    with pytest.raises(DataErased) as caught:
        keys.key_for("por_1", EXAMPLE_TIME)
    assert caught.value.status == 410
    assert keys.rows["por_1"] is None  # nothing left to unwrap
    with pytest.raises(UnreadableData):
        decrypt_fields(keys.key_for("por_2", EXAMPLE_TIME), backup, "por_1")


def test_a_porteur_erased_before_having_a_key_never_gets_one():
    keys = InMemoryPorteurKeys(new_key())
    keys.destroy("por_9", EXAMPLE_TIME)
    with pytest.raises(DataErased):
        keys.key_for("por_9", EXAMPLE_TIME)


def test_the_key_is_stable_per_porteur_and_distinct_between_porteurs():
    keys = InMemoryPorteurKeys(new_key())
    assert keys.key_for("por_1", EXAMPLE_TIME) == keys.key_for("por_1", EXAMPLE_TIME)
    assert keys.key_for("por_1", EXAMPLE_TIME) != keys.key_for("por_2", EXAMPLE_TIME)


def test_ciphertext_moved_to_another_field_or_porteur_is_refused():
    key = new_key()
    sealed = encrypt_fields(key, {"nom": "Durand", "prenom": "Léa"}, "por_1")
    swapped = {"nom": sealed["prenom"], "prenom": sealed["nom"]}
    with pytest.raises(UnreadableData):
        decrypt_fields(key, swapped, "por_1")
    with pytest.raises(UnreadableData):
        decrypt_fields(key, sealed, "por_2")


def test_wrong_master_key_is_a_configuration_error():
    wrapped = wrap_key(new_key(), new_key())
    with pytest.raises(ConfigurationError):
        unwrap_key(new_key(), wrapped)
    with pytest.raises(ConfigurationError):
        InMemoryPorteurKeys(b"short")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=8,
)


@given(fields=st.dictionaries(st.text(min_size=1, max_size=10), json_values, max_size=5))
def test_any_json_fields_round_trip(fields):
    key = new_key()
    assert decrypt_fields(key, encrypt_fields(key, fields, "p"), "p") == fields
