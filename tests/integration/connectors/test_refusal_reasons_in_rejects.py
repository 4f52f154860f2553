"""The rejects file gives a birth date out of the accepted ages and an e-mail address
with an accent their own reason, as the hub does, without the value."""

import json

from connectors.cli import main
from connectors.rejects import read_rejects
from tests.integration.connectors.test_agent_exports import MAPPING, configure, write

HEADER = ["N° dossier", "Nom", "Prénom", "Né(e) le", "Courriel", "Projet", "Modifié le"]


def test_a_birth_date_out_of_the_ages_and_an_accented_address_say_why(tmp_path,
                                                                      credentials, hub):
    rows = [["2026-001", "Béranger", "Zoé", "1/1/2030", "zoe@exemple.fr", "Gîte", "05/12/2026"],
            ["2026-002", "Martin", "Amélie", "12/03/1985", "amélie@exemple.fr", "Atelier",
             "05/12/2026"]]
    write(tmp_path / "export.csv", [HEADER, *rows])
    config = configure(tmp_path, credentials, "export.csv")
    mapping = json.loads(json.dumps(MAPPING))
    mapping["champs"]["porteur.courriel"] = {"source": "Courriel", "type": "courriel"}
    (tmp_path / "correspondance.json").write_text(json.dumps(mapping))
    assert main(["run", config]) == 1
    found = {r["ligne"]: r for r in read_rejects(tmp_path / "etat" / "rejets.csv")}
    born, address = found["2"], found["3"]
    assert born["chemin"] == "$.porteur.date_naissance" and born["colonne"] == "Né(e) le"
    assert "de 14 à 110 ans" in born["message_fr"] and "postérieure" in born["message_fr"]
    assert "14 to 110 years old" in born["message_en"]
    assert address["chemin"] == "$.porteur.courriel" and address["colonne"] == "Courriel"
    assert "avant « @ »" in address["message_fr"] and "before '@'" in address["message_en"]
    text = (tmp_path / "etat" / "rejets.csv").read_text(encoding="utf-8-sig")
    assert "2030" not in text and "amélie" not in text
