"""A postal or INSEE code a spreadsheet stored as a number lost its leading zero (01000 is
1000): when the mapping does not pad the field, the rejected row says how to fix it,
without quoting the value."""

import json

import openpyxl

from connectors.cli import main
from connectors.rejects import read_rejects
from tests.integration.connectors.test_agent_exports import MAPPING, MEMBER, tableur


def test_a_postal_code_that_lost_its_zero_is_rejected_saying_how_to_pad_it(tmp_path,
                                                                           credentials, hub):
    book = openpyxl.Workbook()
    book.active.append(["N° dossier", "Nom", "Prénom", "CP", "Projet"])
    book.active.append(["2026-001", "Béranger", "Zoé", 1250, "Boulangerie"])
    book.active.append(["2026-002", "Martin", "Luc", 63600, "Garage"])
    book.save(tmp_path / "suivi.xlsx")
    config = tableur(tmp_path, credentials, "suivi.xlsx")
    mapping = json.loads(json.dumps(MAPPING))
    del mapping["champs"]["porteur.adresse.code_postal"]["completer_zeros"]
    (tmp_path / "correspondance.json").write_text(json.dumps(mapping))
    assert main(["run", config]) == 1
    assert set(hub.accepted_versions(MEMBER)) == {"COM-2026-002"}
    [reject] = read_rejects(tmp_path / "etat" / "rejets.csv")
    assert (reject["ligne"], reject["colonne"], reject["code"]) == ("2", "CP", "format")
    assert '"completer_zeros": 5' in reject["message_fr"] and "1250" not in reject["message_fr"]
