"""Cells a tool marked as text with a leading apostrophe, as a spreadsheet does when one
types `'01000` to keep a zero, and as CRMs export numbers that must stay text (or escape a
cell that would start a formula): the apostrophe is the mark, not the value."""

from connectors.cli import main
from tests.integration.connectors.test_agent_exports import MEMBER, configure, rejects, write

HEADER = ["N° dossier", "Nom", "Prénom", "Né(e) le", "Téléphone", "CP", "Projet", "Besoin (€)"]


def test_a_leading_apostrophe_marking_a_number_as_text_is_not_read_as_part_of_it(
        tmp_path, credentials, hub):
    write(tmp_path / "export.csv", [
        HEADER,
        ["'2026-001", "N'Guyen", "Zoé", "'12/03/1985", "'0612345678", "'01000", "Boulangerie",
         "'12 500,50"],
        ["2026-002", "'t Hart", "Luc", "05/03/1979", "'+33 4 73 12 34 56", "'63600",
         "'=Gîte", "8000"],
    ])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 0, rejects(tmp_path)
    assert set(hub.accepted_versions(MEMBER)) == {"COM-2026-001", "COM-2026-002"}
    first = hub.fiches[(MEMBER, "COM-2026-001")]
    assert first["porteur"]["nom"] == "N'Guyen"
    assert first["porteur"]["date_naissance"] == "1985-03-12"
    assert first["porteur"]["telephone"] == "0612345678"
    assert first["porteur"]["adresse"]["code_postal"] == "01000"
    assert first["financement"]["besoin_total"] == 12500.5
    assert first["consentement"]["reference"] == "CST-2026-001"
    second = hub.fiches[(MEMBER, "COM-2026-002")]
    assert second["porteur"]["nom"] == "'t Hart"  # an apostrophe before a letter is the name's
    assert second["porteur"]["telephone"] == "0473123456"
    assert second["porteur"]["adresse"]["code_postal"] == "63600"
    assert second["projet"]["intitule"] == "=Gîte"


def test_a_marked_dossier_number_is_the_same_record_as_the_unmarked_one(tmp_path, credentials,
                                                                         hub):
    row = ["2026-001", "Béranger", "Zoé", "12/03/1985", "0612345678", "01000", "Boulangerie",
           "900"]
    write(tmp_path / "export.csv", [HEADER, row])
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 0, rejects(tmp_path)
    write(tmp_path / "export.csv", [HEADER, ["'2026-001", *row[1:]]])
    assert main(["run", config]) == 0, rejects(tmp_path)
    assert hub.accepted_versions(MEMBER) == {"COM-2026-001": 1}
    assert [entry[:2] for entry in hub.log] == [("COM-2026-001", 1)]
