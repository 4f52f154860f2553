"""A name or an address damaged by an encoding mix-up (`NGUY?N`, `GARÃ‡ON`, `FranÃ§ois`)
rejects its row, naming the column and the fix, never the value; real names pass."""

import pytest

from connectors.mapping import Mapping

MAPPING = {"version": 1, "identifiant": {"source": "Id"},
           "champs": {"porteur.nom": {"source": "Nom"}, "porteur.prenom": {"source": "Prénom"},
                      "porteur.adresse.ligne": {"source": "Adresse"},
                      "projet.intitule": {"source": "Projet"}}}


def mapped(**cells):
    mapping = Mapping.from_dict(MAPPING)
    mapping.bind(["Id", "Nom", "Prénom", "Adresse", "Projet"])
    return mapping.apply({"Id": "A-1", **cells})


@pytest.mark.parametrize(("column", "written"), [
    ("Nom", "NGUY?N"), ("Nom", "GARÃ‡ON"), ("Prénom", "FranÃ§ois"), ("Prénom", "HÃ©lÃ¨ne"),
    ("Adresse", "3 rue de l'Ã‰glise"), ("Nom", "CÅ“UR"), ("Prénom", "Ren?e")])
def test_a_damaged_name_or_address_rejects_the_row_naming_its_column(column, written):
    _, problems = mapped(**{column: written})
    assert [(p.code, p.colonne) for p in problems] == [("encodage_abime", column)]
    assert "UTF-8" in problems[0].message_fr and written not in problems[0].message_fr


@pytest.mark.parametrize("written", ["João", "Åsa", "Ågren", "N'Guessan", "Müller", "Ãngel",
                                     "Nguyễn", "Œuvray", "Ðorđević", "Ève-Marie", "ÂGE"])
def test_real_names_pass(written):
    fiche, problems = mapped(Nom=written, Prénom=written)
    assert problems == [] and fiche["porteur"]["nom"] == written


def test_a_title_may_ask_a_question():
    fiche, problems = mapped(Nom="Martin", Projet="Pourquoi pas ?")
    assert problems == [] and fiche["projet"]["intitule"] == "Pourquoi pas ?"
