"""`capactif connector check` against a real hub process (`capactif serve`, embedded
store): the consents the export's rows cite are looked up at the hub, with the references
the mapping derives (`prefixe`, a `/` in the dossier number), and nothing is sent."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from capactif_demo.processes import free_port, running, start_api
from connectors.cli import main
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from hub.services.ops.admin import initialise
from tests.factories import make_network, record_consents
from tests.fakes.publisher import RecordingPublisher
from tests.office_export import MAPPING, OfficeExport

pytestmark = pytest.mark.integration
MEMBER, OTHER = "commune-ambert", "commune-thiers"


@pytest.fixture(scope="module")
def real_hub(tmp_path_factory):
    """A hub process with two members; an observer Hub on the same store to set it up."""
    base = tmp_path_factory.mktemp("hub-check")
    port = free_port()
    env = {"HUB_DATA_DIR": str(base / "data"), "HUB_PORT": str(port), "HUB_LOG_LEVEL": "WARNING",
           "HUB_DATABASE_URL": "", "HUB_BROKER_URL": ""}
    settings = Settings.from_env(env)
    initialise(settings)
    observer = Hub.from_settings(settings, publisher=RecordingPublisher())
    load_network(observer, make_network(base / "network.json", [MEMBER, OTHER], role="accueil"),
                 base / "creds")
    with running([start_api(env, base / "logs", port)]):
        yield observer, base / "creds", f"http://127.0.0.1:{port}"
    observer.close()


def consent_for(member, fiche_id, reference):
    return {"membre": member, "fiche_id": fiche_id, "consentement": {"reference": reference}}


def check(tmp_path, real_hub, export, capsys):
    _observer, creds, url = real_hub
    credentials = json.loads((creds / f"{MEMBER}.json").read_text())
    (tmp_path / "identifiants.json").write_text(json.dumps({**credentials, "hub_url": url}))
    (tmp_path / "correspondance.json").write_text(json.dumps(MAPPING))
    export.write_csv(tmp_path / "export.csv")
    (tmp_path / "connecteur.json").write_text(json.dumps({
        "version": 1, "type": "csv", "source": {"chemin": "export.csv"},
        "correspondance": "correspondance.json", "identifiants": "identifiants.json",
        "reprise": "etat/reprise.json", "rejets": "etat/rejets.csv"}))
    code = main(["check", str(tmp_path / "connecteur.json")])
    out, err = capsys.readouterr()
    return code, json.loads(out)["consentements"], err


def test_check_names_each_row_whose_consent_the_hub_lacks_or_would_refuse(tmp_path, real_hub,
                                                                           capsys):
    hub = real_hub[0]
    export = OfficeExport(12, seed=41)
    rows = export.rows
    assert any("/" in r.dossier for r in rows)  # references derived through the transform
    assert any("multiligne" in r.styles for r in rows[:-4])  # rows are the sheet's, not lines
    reference = {r.fiche_id: r.expected()["consentement"]["reference"] for r in rows}
    missing, foreign, withdrawn, elsewhere = rows[-4:]
    recorded = record_consents(hub, [consent_for(MEMBER, r.fiche_id, reference[r.fiche_id])
                                     for r in [withdrawn, *rows[:-4]]])
    # another member holds the same reference: it is not this member's consent
    record_consents(hub, [consent_for(OTHER, foreign.fiche_id, reference[foreign.fiche_id])])
    record_consents(hub, [consent_for(MEMBER, "MAIRIE-AUTRE", reference[elsewhere.fiche_id])])
    hub.consents.withdraw(recorded[0].id, MEMBER, dt.datetime.now(dt.UTC))

    code, consents, err = check(tmp_path, real_hub, export, capsys)

    assert code == 1 and consents["code"] == "manquants" and consents["verifiees"] == 12
    found = {(p["ligne"], p["reference"], p["code"]) for p in consents["problemes"]}
    assert found == {
        (rows.index(missing) + 2, reference[missing.fiche_id], "unknown_consent_reference"),
        (rows.index(foreign) + 2, reference[foreign.fiche_id], "unknown_consent_reference"),
        (rows.index(withdrawn) + 2, reference[withdrawn.fiche_id], "consent_withdrawn"),
        (rows.index(elsewhere) + 2, reference[elsewhere.fiche_id], "consent_of_another_porteur")}
    assert "4 ligne(s) sur 12" in err and "dont 2 introuvable(s)" in err
    assert all(p["message"].startswith(f"Ligne {p['ligne']}, consentement ")
               for p in consents["problemes"])
    with hub.uow() as uow:  # a check sends nothing
        assert all(uow.fiches.porteur_of(MEMBER, r.fiche_id) is None for r in rows)
    assert not (tmp_path / "etat").exists()


def test_check_passes_once_every_cited_consent_is_recorded(tmp_path, real_hub, capsys):
    hub = real_hub[0]
    export = OfficeExport(6, seed=42)
    for row in export.rows:  # dossiers of their own on the module's hub
        row.dossier = "B" + row.dossier
    record_consents(hub, [consent_for(MEMBER, r.fiche_id, r.expected()["consentement"]["reference"])
                          for r in export.rows[1:]])
    code, consents, _err = check(tmp_path, real_hub, export, capsys)
    assert code == 1 and [p["ligne"] for p in consents["problemes"]] == [2]
    record_consents(hub, [consent_for(MEMBER, export.rows[0].fiche_id,
                                      export.rows[0].expected()["consentement"]["reference"])])
    code, consents, _err = check(tmp_path, real_hub, export, capsys)
    assert code == 0 and consents == {
        "code": "ok", "verifiees": 6, "problemes": [],
        "message": "Les 6 consentements cités sont enregistrés au hub et utilisables."}
