"""Password hashing and the server-drawn charts."""

import pytest

from hub.services.accounts.passwords import hash_password, needs_rehash, password_matches
from hub.web.charts import grouped_bars, grouped_columns, text_boxes


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


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("months", [1, 6, 12, 36])
@pytest.mark.parametrize("peak", [3, 274, 27474])
def test_no_two_labels_of_the_monthly_chart_overlap(months, peak):
    """"27474" was two value labels run together; month names ran into each other."""
    names = [f"{['janvier', 'septembre', 'décembre'][m % 3]} {2024 + m // 12}"
             for m in range(months)]
    values = [[(peak * (m + s)) % (peak + 1) for m in range(months)] for s in range(4)]
    svg = str(grouped_columns("m", "Par mois", names,
                              [(f"Série {s}", values[s]) for s in range(4)]))
    boxes = text_boxes(svg)
    assert len(boxes) == 4 + months * 5  # legend, values, month names: all found
    width = float(svg.split('viewBox="0 0 ')[1].split()[0])
    height = float(svg.split('viewBox="0 0 ')[1].split()[1].rstrip('"'))
    for i, box in enumerate(boxes):
        assert box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height, box
        assert not any(_overlap(box, other) for other in boxes[i + 1:]), box


def test_a_long_history_keeps_its_size_in_a_box_that_scrolls_and_can_be_focused():
    svg = str(grouped_columns("m", "Par mois", [f"mois {m}" for m in range(60)],
                              [("a", [1] * 60), ("b", [2] * 60)]))
    assert svg.startswith('<div class="chart-scroll" role="region" tabindex="0"')
    assert 'aria-label="Par mois (défilement horizontal)"' in svg
