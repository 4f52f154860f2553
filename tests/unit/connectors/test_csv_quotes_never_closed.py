"""A quote opened in a CSV cell and never closed is told from a genuine multi-line note:
the swallowed rows are named doubtful and their text never leaves in a fiche, while a
note quoted by the spreadsheet (prose with separators, on several lines) is read."""

import csv
import io

import pytest

from connectors.csv_source import CsvSource
from connectors.errors import RecordRejected
from connectors.mapping import Mapping

MAPPING = Mapping.from_dict({
    "version": 1, "identifiant": {"source": "N° dossier", "prefixe": "X-"},
    "champs": {"porteur.nom": {"source": "Nom"}, "porteur.prenom": {"source": "Prénom"},
               "porteur.courriel": {"source": "Courriel", "type": "courriel"},
               "projet.intitule": {"source": "Projet"},
               "projet.description": {"source": "Notes"},
               "projet.type": {"constante": "creation"}}})
HEADER = ["N° dossier", "Nom", "Prénom", "Courriel", "Projet", "Notes"]
NOTE = ("Premier rendez-vous le 12 mars, projet de boulangerie bio, très motivée, local "
        "repéré, bail à négocier, apport personnel 15 000 €, prêt d'honneur envisagé,\n"
        "Deuxième rendez-vous : prévisionnel revu, chiffre d'affaires prudent, marge "
        "correcte, besoin de formation, contact chambre des métiers, à relancer.")


def read(tmp_path, text, separator=";", known=()):
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8", newline="")
    source = CsvSource(MAPPING, path, separator=separator)
    source.known_keys = set(known)
    return source, list(source.changes(None))


def test_a_quote_closing_inside_the_next_rows_title_is_caught(tmp_path):
    text = ("N° dossier;Nom;Prénom;Courriel;Projet;Notes\r\n"
            "1;Petit;Jean;jean@example.fr;Garage;\r\n"
            '2;Martin;Léa;lea@example.fr;Le Fournil;"Suivi en cours\r\n'
            '3;Durand;Paul;paul@example.fr;Boulangerie "Au bon pain";\r\n'
            "4;Roux;Anne;anne@example.fr;Fleuriste;\r\n")
    source, records = read(tmp_path, text)
    second = next(r for r in records if r.key == "2")
    assert [p.code for p in second.problems] == ["guillemet_non_ferme"]
    assert source.doubtful_lines() == [3]
    with pytest.raises(RecordRejected):
        source.to_fiche(second)


def test_a_quote_closing_before_a_separator_is_caught_by_the_key_it_swallowed(tmp_path):
    text = ("N° dossier;Nom;Prénom;Courriel;Projet;Notes\r\n"
            '1;Petit;Jean;jean@example.fr;"Garage;\r\n'
            '2;Martin;Léa;lea@example.fr;Le Fournil 12";\r\n'
            "3;Roux;Anne;anne@example.fr;Fleuriste;\r\n")
    for known in ((), {"1", "2", "3"}):
        source, records = read(tmp_path, text, known=known)
        assert source.doubtful_lines() == [2]
        assert [r.key for r in records] == ["1", "3"]


def export(rows, separator):
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=separator, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


@pytest.mark.parametrize("separator", [",", ";"])
def test_a_genuine_multi_line_note_with_separators_is_read(tmp_path, separator):
    note = NOTE.replace(",", separator)
    rows = [HEADER, ["1", "Martin", "Léa", "lea@example.fr", "Le Fournil", note],
            ["2", "Durand", "Paul", "paul@example.fr", "Garage", "RAS"]]
    source, records = read(tmp_path, export(rows, separator), separator, known={"1", "2"})
    assert source.doubtful_lines() == []
    assert [r.problems for r in records] == [(), ()]
    assert source.to_fiche(records[0])["projet"]["description"] == note


def test_a_note_in_a_narrow_export_is_read(tmp_path):
    mapping = Mapping.from_dict({"version": 1, "identifiant": {"source": "N° dossier"},
                                 "champs": {"projet.description": {"source": "Notes"},
                                            "projet.type": {"constante": "creation"}}})
    path = tmp_path / "export.csv"
    path.write_text(export([["N° dossier", "Notes"], ["7", "Vu le 3, suite\nà voir, en mai"],
                            ["8", "RAS"]], ","), encoding="utf-8", newline="")
    source = CsvSource(mapping, path, separator=",")
    source.known_keys = {"7", "8"}
    assert [r.problems for r in source.changes(None)] == [(), ()]
    assert source.doubtful_lines() == []


def test_a_note_line_opening_on_a_number_like_the_keys_is_read(tmp_path):
    """« 75, avenue … » in a comma export whose dossier numbers are two digits: the number
    is shaped like a key and on no row, but the line is no row of the file."""
    note = "Rencontré le 12 mars.\n75, avenue de la République, local repéré"
    rows = [HEADER, *[[str(n), "Nom", "Prénom", f"p{n}@example.fr", "Projet", "RAS"]
                      for n in range(10, 40)]]
    rows[3][5] = note
    source, records = read(tmp_path, export(rows, ","), ",")
    assert source.doubtful_lines() == []
    assert all(r.problems == () for r in records)
