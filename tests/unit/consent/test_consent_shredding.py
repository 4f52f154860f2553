"""Crypto-shredding primitives: sealing bound to key and subject, key wrapping."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consent.shredding import (
    check_master_key,
    decrypt_fields,
    encrypt_fields,
    is_sealed,
    new_key,
    seal,
    unseal,
    unwrap_key,
    wrap_key,
)
from hub.errors import ConfigurationError, UnreadableData

PERSONAL = {"nom": "Durand", "prenom": "Léa", "telephone": "06 12 34 56 78",
            "adresse": {"commune": "Saint-Flour"}}


def test_fields_round_trip_and_ciphertexts_hide_values():
    key = new_key()
    sealed = encrypt_fields(key, PERSONAL, "por_1")
    assert "Durand" not in str(sealed)
    assert decrypt_fields(key, sealed, "por_1") == PERSONAL


def test_sealed_bytes_are_bound_to_their_key_and_context():
    key = new_key()
    token = seal(key, b'{"nom":"Durand"}', "fiche:1:v1")
    assert is_sealed(token) and "Durand" not in token
    assert unseal(key, token, "fiche:1:v1") == b'{"nom":"Durand"}'
    with pytest.raises(UnreadableData):
        unseal(key, token, "fiche:2:v1")
    with pytest.raises(UnreadableData):
        unseal(new_key(), token, "fiche:1:v1")
    raw = bytearray(base64.urlsafe_b64decode(token.removeprefix("v1.")))
    raw[20] ^= 0x01  # one bit of the ciphertext
    tampered = "v1." + base64.urlsafe_b64encode(bytes(raw)).decode("ascii")
    with pytest.raises(UnreadableData):
        unseal(key, tampered, "fiche:1:v1")


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
        check_master_key(b"short")


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
