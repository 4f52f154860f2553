"""A row the hub refuses under a dossier number never sent holds a full export's withdrawals.

A dossier number retyped in the spreadsheet (« 2026-001 » become « 2026-01 », « s-003 »,
« S - 005 ») makes the row look like a new record and the old fiche look deleted. The
connector cannot tell a retyped number from a record really gone; the hub refuses the new
number (no consent registered under it) and the row lands in the rejects file. Before, only
the connector's own refusals held the withdrawals: the hub's refusal let the run withdraw the
old fiche from the network (its recipients told to delete it).
"""

import pytest

from connectors.cli import main
from connectors.rejects import read_rejects
from tests.integration.connectors.test_agent_exports import HEADER, MEMBER, ROWS, configure, write

EXIT_HELD = 5


def _retyped(number: str) -> list[list[str]]:
    return [HEADER, [number, *ROWS[0][1:]], *ROWS[1:]]


@pytest.mark.parametrize("code", ["unknown_consent_reference", "consent_withdrawn",
                                  "schema_invalid"])
@pytest.mark.parametrize("number", ["2026-01", "2026 - 001", "2026-001b"])
def test_a_retyped_number_the_hub_refuses_withdraws_nothing(
        tmp_path, credentials, hub, capsys, code, number):
    write(tmp_path / "export.csv", [HEADER, *ROWS])
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 0, capsys.readouterr().err
    capsys.readouterr()
    write(tmp_path / "export.csv", _retyped(number))
    retyped_id = "COM-" + number.replace(" ", "-")
    hub.refuse(retyped_id, code)
    assert main(["run", config]) == EXIT_HELD
    said = capsys.readouterr().err
    assert "jamais envoyé" in said and "2" in said
    assert (MEMBER, "COM-2026-001") in hub.fiches and not hub.erased
    assert [(r["ligne"], r["origine"], r["code"])
            for r in read_rejects(tmp_path / "etat" / "rejets.csv")] == [("2", "hub", code)]
    write(tmp_path / "export.csv", [HEADER, *ROWS])  # the number typed back: nothing lost
    assert main(["run", config]) == 0, capsys.readouterr().err
    assert not hub.erased and len(hub.accepted_versions(MEMBER)) == len(ROWS)


def test_a_retyped_number_in_a_batch_the_hub_refuses_whole_withdraws_nothing(
        tmp_path, credentials, hub, capsys):
    write(tmp_path / "export.csv", [HEADER, *ROWS])
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 0, capsys.readouterr().err
    write(tmp_path / "export.csv", _retyped("2026-01"))
    hub.fail_next(422)  # the request itself refused (4xx): the fiche stands alone, refused
    assert main(["run", config]) == EXIT_HELD
    assert (MEMBER, "COM-2026-001") in hub.fiches and not hub.erased
