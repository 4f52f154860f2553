"""Password hashing and the server-drawn charts."""

from hub.services.passwords import hash_password, password_matches
from hub.web.charts import grouped_bars, grouped_columns


def test_a_password_verifies_against_its_scrypt_hash_and_nothing_else():
    stored = hash_password("une phrase de passe")
    assert stored.startswith("scrypt$16384$8$1$")
    assert password_matches("une phrase de passe", stored)
    assert not password_matches("une phrase de passe!", stored)


def test_each_hash_has_its_own_salt():
    assert hash_password("même mot de passe") != hash_password("même mot de passe")


def test_a_malformed_stored_hash_never_matches():
    assert not password_matches("x", "md5$abc")
    assert not password_matches("x", "scrypt$not$a$hash")


def test_charts_are_described_images_that_escape_their_labels():
    svg = grouped_bars("c", "Titre", ["<membre>"], [("Suivis", [3])])
    assert 'role="img"' in svg and "<title id=\"c-t\">Titre</title>" in svg
    assert "&lt;membre&gt;" in svg and "<membre>" not in svg
    assert "Suivis 3" in grouped_columns("m", "Par mois", ["novembre 2026"], [("Suivis", [3])])
