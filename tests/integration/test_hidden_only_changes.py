"""A version that changes only fields a recipient may not see reaches it by nothing: no
`updated` delivery, no feed entry; a version changing a field it may see still does, its
`champs_modifies` naming only what it may see, never `version` nor `mis_a_jour_le` (which
change with every version: listed, they told a recipient that, and when, its owner
edited a field hidden from it). On the example network and policy, every recipient role,
both stores (docs/privacy.md, "Side channels")."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from hub.bootstrap import Hub
from hub.config import Settings
from hub.domain.projection import project
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.delivery import feed
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from tests.factories import Clock, make_fiche, record_consents
from tests.fakes.publisher import RecordingPublisher

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
OWNER = Caller("commune-ambert", "Mairie d'Ambert", "commune", "accueil")
REFERENT = "cci-puy-de-dome"  # the structure of the fiche's referent: it sees the notes

# Each version after the first changes one field (and the version and its date).
CHANGES = [
    ("accompagnement[].notes", lambda f: f["accompagnement"][0].update(notes="Note revue")),
    ("financement.pret_honneur", lambda f: f["financement"].update(pret_honneur=12000)),
    ("financement.besoin_total", lambda f: f["financement"].update(besoin_total=45000)),
    ("accompagnement[].notes", lambda f: f["accompagnement"][0].update(notes="Note 3")),
    ("projet.intitule", lambda f: f["projet"].update(intitule="Papeterie et reliure")),
]


@pytest.fixture
def example_hub(db_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher(), clock=Clock())
    load_network(hub, ROOT / "examples" / "network.json", tmp_path / "creds")
    yield hub
    hub.close()


def _versions():
    """The owner's fiche, version 1 then one version per change of `CHANGES`."""
    first = make_fiche(member=OWNER.member_id, fiche_id="AMB-1")
    first["projet"] = {**first["projet"], "code_naf": "01.13Z"}  # the chamber subscribes
    first["accompagnement"][0]["notes"] = "Note libre"
    versions = [first]
    for number, (_path, change) in enumerate(CHANGES, start=2):
        document = copy.deepcopy(versions[-1])
        change(document)
        document["version"] = number
        document["mis_a_jour_le"] = f"2026-11-2{number}T09:30:00+01:00"
        versions.append(document)
    return versions


def _push_all(hub, versions):
    record_consents(hub, versions[:1])
    for document in versions:
        assert ingest.push_batch(hub, OWNER, [document])["accepted"] == 1
        processing.process_outbox(hub, hub.publisher.published[-1])


def _feeds(hub):
    """Each member's feed entries (as read: all about the one fiche), by member id."""
    with hub.uow() as uow:
        members = list(uow.members.active())
    found = {}
    for member in members:
        caller = Caller(member.id, member.id, "membre", member.role)
        entries = feed.read_feed(hub, caller, 0, 500)["deliveries"]
        assert all(e.get("retire") or e["source"]["fiche_id"] == "AMB-1" for e in entries)
        if entries:
            found[member.id] = (member.role, entries)
    return found


def test_a_version_changing_only_hidden_fields_reaches_no_recipient_that_may_not_see_them(example_hub):
    hub = example_hub
    versions = _versions()
    _push_all(hub, versions)
    feeds = _feeds(hub)
    assert {role for role, _ in feeds.values()} == {
        "accueil",
        "accompagnement",
        "financement",
        "coordination",
    }
    hidden_only = set()  # (role, path) a version changed while hiding it from the recipient
    for member_id, (role, entries) in feeds.items():
        assert not any(e.get("retire") for e in entries), (member_id, entries)
        created, *updates = entries
        assert (created["evenement"], created["source"]["version"]) == ("created", 1)
        allowed = frozenset(created["champs"])
        expected = [(number, [path]) for number, (path, _) in enumerate(CHANGES, start=2) if path in allowed]
        hidden_only |= {(role, path) for path, _ in CHANGES if path not in allowed}
        told = [(e["source"]["version"], e["champs_modifies"]) for e in updates]
        assert told == expected, member_id
        assert all(e["evenement"] == "updated" for e in updates)
        for entry in updates:  # each carries its own version's content, as allowed
            number = entry["source"]["version"]
            assert entry["fiche"] == project(versions[number - 1], allowed), member_id
    assert feeds[REFERENT][1][1]["champs_modifies"] == ["accompagnement[].notes"]
    # every role of the network had a version changing only what it may not see
    assert {role for role, path in hidden_only if path == "accompagnement[].notes"} == {
        "accueil",
        "accompagnement",
        "financement",
        "coordination",
    }
    assert {role for role, path in hidden_only if path == "financement.pret_honneur"} == {
        "accueil",
        "accompagnement",
        "coordination",
    }


def test_an_update_whose_changes_a_recipient_may_no_longer_see_reads_as_withdrawn(example_hub, tmp_path):
    """The rule at read time: the policy tightened since (the PFIL no longer sees the
    honour loan), its update that changed only the loan reads as withdrawn, not as an
    update naming nothing; its update of the total need still reads, narrowed."""
    hub = example_hub
    _push_all(hub, _versions())
    policy = json.loads((ROOT / "examples" / "policy.json").read_text(encoding="utf-8"))
    for rule in policy["regles"]:
        if (rule["role"], rule["finalite"]) == ("financement", "financement"):
            rule["autorise"] = [a for a in rule["autorise"] if a.get("categorie") != "financement"]
            rule["autorise"] += [{"chemin": "financement.besoin_total"}, {"chemin": "financement.apport"}]
    policy["version"] = "sans-pret-d-honneur"
    (tmp_path / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    hub.policy.reload(tmp_path / "policy.json")
    _role, entries = _feeds(hub)["pfil-livradois-forez"]
    read = [(e["evenement"], e.get("motif") or e["champs_modifies"]) for e in entries]
    assert read == [
        ("created", []),
        ("updated", "fields_no_longer_allowed"),
        ("updated", ["financement.besoin_total"]),
        ("updated", ["projet.intitule"]),
    ]
    assert all("pret_honneur" not in json.dumps(e) for e in entries)
