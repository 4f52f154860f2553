"""The demo's connected members: a commune's tracking workbook (.ods, read directly by the
`tableur` connector) and a CCI's CRM (REST connector), both simulated, both pushing
through `connectors/`."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from capactif_demo.scenario import consent_submission
from capactif_demo.sim.crm_server import CrmServer
from capactif_demo.sim.french_data import PeopleFactory
from capactif_demo.sim.spreadsheet import write_workbook
from connectors.client import HubClient
from connectors.config import ConnectorConfig

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "connectors"
CSV_MEMBER, REST_MEMBER = "commune-thiers", "cci-puy-de-dome"
CSV_ROWS, CRM_CONTACTS, BAD_LINE = 60, 40, 12
WORKBOOK = "suivi-porteurs.ods"
_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")


def run_connectors(data_dir: Path, clients: dict[str, HubClient],
                   notice: tuple[int, str]) -> dict[str, Any]:
    """Record consents as the members' agents would, then run each connector twice
    (the second run must send nothing: checkpoints and idempotency). Between the two
    runs one contact is deleted in the CRM: the second run removes its fiche from the
    hub (erased, its recipients notified)."""
    folder = data_dir / "connecteurs"
    csv_config = _csv_member(folder / CSV_MEMBER, data_dir, clients[CSV_MEMBER], notice)
    with CrmServer(CRM_CONTACTS, token="jeton-crm-demo") as crm:
        rest_config = _rest_member(folder / REST_MEMBER, data_dir, clients[REST_MEMBER],
                                   notice, crm)
        os.environ["CCI_CRM_TOKEN"] = crm.token
        configs = {CSV_MEMBER: csv_config, REST_MEMBER: rest_config}
        runs = {member: [ConnectorConfig.load(config).build_runner().run()]
                for member, config in configs.items()}
        crm.delete(min(crm.contacts))
        for member, config in configs.items():
            runs[member].append(ConnectorConfig.load(config).build_runner().run())
    rejects = (folder / CSV_MEMBER / "etat" / "rejets.csv")
    return {"runs": runs, "rejects": rejects,
            "rejected_lines": rejects.read_text("utf-8").count("\n") - 1 if rejects.exists() else 0}


def _csv_member(folder: Path, data_dir: Path, client: HubClient,
                notice: tuple[int, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    people = PeopleFactory(seed=63).people(CSV_ROWS)
    write_workbook(folder / WORKBOOK, CSV_ROWS, people=people, bad_lines={BAD_LINE: "date"})
    for person in people:
        dossier = f"2025-{person.number:05d}"
        _consent(client, notice, CSV_MEMBER, "COM-" + dossier, "CST-" + dossier)
    return _config(folder, data_dir, "commune-tableur", CSV_MEMBER,
                   {"chemin": WORKBOOK, "feuille": "Porteurs"}, kind="tableur")


def _rest_member(folder: Path, data_dir: Path, client: HubClient, notice: tuple[int, str],
                 crm: CrmServer) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for contact_id in crm.contacts:
        _consent(client, notice, REST_MEMBER, f"CCI-{contact_id}", f"CST-CCI-{contact_id}")
    return _config(folder, data_dir, "cci-crm", REST_MEMBER,
                   {"url": f"{crm.url}/api/contacts"})


def _consent(client: HubClient, notice: tuple[int, str], member: str, fiche_id: str,
             reference: str) -> None:
    fiche = {"membre": member, "fiche_id": _UNSAFE.sub("-", fiche_id),
             "consentement": {"reference": _UNSAFE.sub("-", reference)}}
    client.record_consent(consent_submission(notice, fiche))


def _config(folder: Path, data_dir: Path, example: str, member: str,
            source_changes: dict[str, Any], kind: str | None = None) -> Path:
    config = json.loads((EXAMPLES / example / "connecteur.json").read_text("utf-8"))
    if kind == "tableur":  # the same spreadsheet, read from the workbook itself
        config["type"], config["source"] = kind, {"suivi": config["source"].get("suivi", "auto")}
    config["source"].update(source_changes)
    shutil.copy(EXAMPLES / example / "correspondance.json", folder / "correspondance.json")
    shutil.copy(data_dir / "credentials" / f"{member}.json", folder / config["identifiants"])
    path = folder / "connecteur.json"
    path.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
