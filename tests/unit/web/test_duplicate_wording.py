"""The duplicate page's words for a coordinator: why a pair waits, points with a French
decimal comma, "different" rather than "written differently" when values differ."""

from hub.services.console.duplicates_console import _row, waiting_reason
from hub.web.pages import french_points


def _explanation(**levels: str) -> dict:
    return {"champs": [{"champ": f, "niveau": level} for f, level in levels.items()]}


def test_a_sure_looking_pair_says_why_it_waits():
    assert "date de naissance" in waiting_reason(_explanation(
        nom="exact", prenom="exact", date_naissance="different", courriel="exact"))
    assert "Trop peu" in waiting_reason(_explanation(nom="exact", prenom="exact"))
    assert "seuil" in waiting_reason(_explanation(nom="exact", prenom="exact",
                                                  date_naissance="exact"))


def test_points_use_a_french_decimal_comma_and_a_true_minus():
    assert french_points(2.5) == "+2,5"
    assert french_points(-1.5) == "−1,5"


def test_two_stages_are_different_not_written_differently():
    stage = _row("Étape du projet", "projet.stade", None, {"projet": {"stade": "idee"}},
                 {"projet": {"stade": "montage"}})
    name = _row("Prénom", "porteur.prenom", {"niveau": "exact", "poids": 3.0},
                {"porteur": {"prenom": "Gaelle"}}, {"porteur": {"prenom": "Gaëlle"}})
    assert stage["ecart"] == "≠ différent" and name["ecart"] == "≈ écrit autrement"
