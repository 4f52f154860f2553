"""Password hashing and the server-drawn charts."""

from hub.services.passwords import hash_password, needs_rehash, password_matches
from hub.web.charts import grouped_bars, grouped_columns


def test_a_password_verifies_against_its_argon2id_hash_and_nothing_else():
    stored = hash_password("une phrase de passe")
    assert stored.startswith("$argon2id$v=19$m=47104,t=1,p=1$")
    assert password_matches("une phrase de passe", stored)
    assert not password_matches("une phrase de passe!", stored)
    assert not needs_rehash(stored)


def test_scrypt_and_weaker_argon2_hashes_are_to_be_rehashed():
    from argon2 import PasswordHasher

    weak = PasswordHasher(memory_cost=8192, time_cost=1, parallelism=1).hash("mot de passe")
    assert password_matches("mot de passe", weak) and needs_rehash(weak)
    assert needs_rehash("scrypt$16384$8$1$c2FsdA$aGFzaA")


def test_each_hash_has_its_own_salt():
    assert hash_password("même mot de passe") != hash_password("même mot de passe")


def test_a_malformed_stored_hash_never_matches():
    assert not password_matches("x", "md5$abc")
    assert not password_matches("x", "scrypt$not$a$hash")
    assert not password_matches("x", "$argon2id$v=19$broken")


def test_charts_are_described_images_that_escape_their_labels():
    svg = grouped_bars("c", "Titre", ["<membre>"], [("Suivis", [3])])
    assert 'role="img"' in svg and "<title id=\"c-t\">Titre</title>" in svg
    assert "&lt;membre&gt;" in svg and "<membre>" not in svg
    assert "Suivis 3" in grouped_columns("m", "Par mois", ["novembre 2026"], [("Suivis", [3])])
