"""Two record numbers giving one fiche_id (« 2026/001 » and « 2026-001 »: the characters
the hub refuses become "-") are two records, two people: the second one's fiche replaced
the first's at the hub, the run ending 0, the fiche then holding the second person's data
under the first one's consent."""

from pathlib import Path

from capactif_demo.sim.crm_server import CrmServer
from connectors.checkpoint import Checkpoint
from connectors.cli import main
from connectors.mapping import Mapping
from connectors.rejects import RejectsFile, read_rejects
from connectors.rest_source import RestSettings, RestSource
from connectors.runner import Runner
from tests.integration.connectors.test_agent_exports import HEADER, MEMBER, ROWS, configure
from tests.integration.connectors.test_connector_rest import EXAMPLES


def _csv(path: Path, rows: list[list[str]]) -> None:
    path.write_bytes("".join(";".join(cells) + "\r\n" for cells in rows).encode())


def _rejects(tmp_path: Path) -> list[tuple[str, str]]:
    return [(r["ligne"], r["code"]) for r in read_rejects(tmp_path / "etat" / "rejets.csv")]


def test_two_numbers_of_one_export_giving_one_fiche_id_are_both_refused(
        tmp_path, credentials, hub, capsys):
    rows = [list(r) for r in ROWS]
    rows[1][0] = "2026/001"  # N'Guyen's number; Béranger's is 2026-001
    _csv(tmp_path / "export.csv", [HEADER, *rows])
    code = main(["run", configure(tmp_path, credentials, "export.csv")])
    err = capsys.readouterr().err
    assert code == 1, err
    assert (MEMBER, "COM-2026-001") not in hub.fiches
    assert sorted(hub.accepted_versions(MEMBER)) == ["COM-2026-003", "COM-2026-004"]
    assert _rejects(tmp_path) == [("2", "identifiant_en_double"), ("3", "identifiant_en_double")]
    [message] = {r["message_fr"] for r in read_rejects(tmp_path / "etat" / "rejets.csv")
                 if r["ligne"] == "2"}
    assert "(lignes 3)" in message and "2026" not in message  # never the numbers


def test_a_number_giving_the_fiche_id_of_a_fiche_sent_before_is_refused_and_withdraws_it_not(
        tmp_path, credentials, hub, capsys):
    """Across runs: the number sent before is gone, another person's number gives its
    fiche_id. Moving the fiche to the new number put that person's data on the first one's
    fiche, under the first one's consent."""
    _csv(tmp_path / "export.csv", [HEADER, *ROWS])
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 0, capsys.readouterr().err
    sent = dict(hub.fiches[(MEMBER, "COM-2026-001")])
    rows = [list(r) for r in ROWS]
    rows[0] = ["2026/001", "Martin", "Luc", *rows[0][3:]]  # another person, on its line
    _csv(tmp_path / "export.csv", [HEADER, *rows])
    code = main(["run", config])
    err = capsys.readouterr().err
    assert code == 1, err
    assert hub.fiches[(MEMBER, "COM-2026-001")] == sent and not hub.erased
    assert _rejects(tmp_path) == [("2", "identifiant_en_double")]
    assert "une fiche déjà envoyée" in read_rejects(tmp_path / "etat" / "rejets.csv")[0][
        "message_fr"]


def test_a_crm_record_giving_the_fiche_id_of_another_is_refused(tmp_path, client, hub):
    """Through the runner's own check (a CRM is read by its changes, not whole)."""
    mapping = Mapping.load(EXAMPLES / "cci-crm" / "correspondance.json")

    class TwoNumbersOneId(CrmServer):
        def answer(self, path, query, auth):
            status, page = super().answer(path, query, auth)
            first, second = list(self.contacts)[:2]
            renamed = {first: "2026-001", second: "2026/001"}
            if status == 200:
                page["data"] = [{**c, "id": renamed.get(c["id"], c["id"])}
                                for c in page["data"]]
            return status, page

    with TwoNumbersOneId(6, token="jeton-crm") as crm:
        settings = RestSettings(url=crm.url + "/api/contacts", token="jeton-crm", page_size=10)
        summary = Runner(RestSource(mapping, settings, sleep=lambda s: None), client,
                         Checkpoint(tmp_path / "reprise.json"),
                         RejectsFile(tmp_path / "rejets.jsonl")).run()
    assert (summary.accepted, summary.rejected_local) == (5, 1)
    [reject] = read_rejects(tmp_path / "rejets.jsonl")
    assert [e["code"] for e in reject["erreurs"]] == ["identifiant_en_double"]
    known = Checkpoint(tmp_path / "reprise.json").load().known
    assert reject["dossier"] not in known and len({"2026-001", "2026/001"} & set(known)) == 1
