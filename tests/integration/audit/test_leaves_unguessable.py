"""A leaf is random to anyone not allowed to read its entry: the proofs a member's DPO is
given carry neighbours' leaf hashes (a sibling in an inclusion proof, the last leaf in a
consistency proof), and nothing that DPO may read lets it recompute them from a guess of
their content, while the entries it may read still hash to their leaves."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.audit.events import AccessEvent
from hub.audit.log import _HASHED, next_seq
from hub.audit.merkle import leaf_hash
from hub.audit.rows import insert_params, insert_statement, stored_leaf
from hub.audit.verify import verify_file
from hub.bootstrap import Hub
from hub.config import Settings
from hub.keys import unb64url
from hub.services.accounts.members import load_network
from hub.services.audit import trail as audit
from tests.factories import Credentials
from tests.fakes.publisher import RecordingPublisher
from tests.integration.audit.dpo_http import NETWORK, OWNER, RECIPIENT, network_document

pytestmark = pytest.mark.integration

MEMBERS = (NETWORK, OWNER, RECIPIENT)


def _network_hub(db_url: str, tmp_path) -> Hub:
    path = tmp_path / "network.json"
    if not path.exists():
        path.write_text(json.dumps(network_document({"portee": "membre"})))
        hub = Hub.from_settings(Settings(data_dir=tmp_path / "d", database_url=db_url),
                                publisher=RecordingPublisher())
        load_network(hub, path, tmp_path / "creds")
        return hub
    return Hub.from_settings(Settings(data_dir=tmp_path / "d", database_url=db_url),
                             publisher=RecordingPublisher())


@pytest.fixture
def world(db_url, tmp_path):
    hub = _network_hub(db_url, tmp_path)
    with TestClient(create_app(hub=hub)) as client:
        yield hub, client, lambda name: Credentials(tmp_path / "creds" / f"{name}.json")
    hub.close()


def _get(client: TestClient, creds: Credentials, path: str) -> str:
    answer = client.get(path, headers=creds.headers("GET", path))
    assert answer.status_code == 200, answer.text
    return answer.text


def _nodes(client: TestClient, creds: Credentials, path: str) -> set[bytes]:
    return {unb64url(node) for node in json.loads(_get(client, creds, path))["preuve"]}


def _guesses(entry: AccessEvent) -> list[bytes]:
    """Every leaf an outsider may try for `entry`: its seq and action known, the actor one
    of the network's members, the time within 100 µs of the truth (a generous window:
    the true content is among the guesses)."""
    return [leaf_hash(AccessEvent(at=entry.at + timedelta(microseconds=shift), actor_member=actor,
                                  action=entry.action, outcome=entry.outcome).with_seq(seq)
                      .canonical())
            for actor, shift, seq in itertools.product(MEMBERS, range(-100, 101), [entry.seq])]


def test_a_member_dpo_cannot_recompute_a_neighbours_leaf_from_its_proofs(world) -> None:
    hub, client, creds = world
    audit.record(hub, [audit.event(hub, "console_view", MEMBERS[n % 3]) for n in range(12)])
    first = audit.publish_head(hub)
    audit.record(hub, [audit.event(hub, "console_view", RECIPIENT)])
    second = audit.publish_head(hub)
    dpo = creds(f"{OWNER}.dpo")

    exported = _get(client, dpo, f"/v1/audit/export?membre={OWNER}")
    own = [line for line in map(json.loads, exported.splitlines()) if line["type"] == "entry"]
    assert own and {line["event"]["actor_member"] for line in own} == {OWNER}
    for line in own:  # the entries it may read hash to their leaves
        assert leaf_hash(AccessEvent.from_dict(line["event"]).canonical()).hex() == line["leaf_hash"]

    given = _nodes(client, creds(OWNER), f"/v1/audit/proofs/consistency?first={first['size']}"
                                         f"&second={second['size']}")
    for line in own:
        if line["seq"] < second["size"]:  # not its export's own entry, under no head yet
            given |= _nodes(client, dpo, f"/v1/audit/proofs/inclusion/{line['seq']}")
    entries = hub.audit.search(limit=100)
    neighbours = [e for e in entries if e.actor_member != OWNER
                  and leaf_hash(e.canonical()) in given]
    assert len(neighbours) >= 2  # the sibling leaves of its own entries, the last entry's leaf

    for neighbour in neighbours:
        assert given.isdisjoint(_guesses(neighbour)), f"entry {neighbour.seq} recomputed"


def _append_unsalted(hub: Hub, count: int) -> None:
    """`count` entries as the hub appended them before entries had a salt (its column null)."""
    with hub.engine.begin() as conn:
        dialect, first = conn.dialect.name, next_seq(conn)
        for seq in range(first, first + count):
            event = audit.event(hub, "console_view", MEMBERS[seq % 3]).with_seq(seq)
            conn.exec_driver_sql(insert_statement(dialect),
                                 [insert_params(event, leaf_hash(event.canonical()), dialect)])


def test_entries_appended_before_the_salt_still_verify_beside_salted_ones(db_url, tmp_path) -> None:
    _network_hub(db_url, tmp_path).close()
    hub = _network_hub(db_url, tmp_path)
    _append_unsalted(hub, 5)
    hub.close()
    hub = _network_hub(db_url, tmp_path)  # reads the older entries at start-up
    old = audit.publish_head(hub)
    audit.record(hub, [audit.event(hub, "console_view", OWNER) for _ in range(3)])
    audit.publish_head(hub)
    hub.close()

    hub = _network_hub(db_url, tmp_path)
    try:
        assert hub.audit.matches_signed_head()
        audit.export_whole(hub, tmp_path / "journal.jsonl", "hub")
        report = verify_file(tmp_path / "journal.jsonl", hub.hub_keys.public_keys())
        assert report.ok, report.render()
        entries = [line["event"] for line in map(json.loads, (tmp_path / "journal.jsonl")
                                                 .read_text().splitlines())
                   if line["type"] == "entry"]
        salted = ["salt" in event for event in entries]
        assert salted[old["size"] - 5:old["size"]] == [False] * 5
        assert salted[old["size"]:] == [True] * (len(entries) - old["size"])
        with hub.engine.connect() as conn:  # the start-up's fast hashing of driver values
            rows = conn.execute(sa.select(*_HASHED).order_by("seq")).all()
        assert rows and all(stored_leaf(tuple(row)) == bytes(row[1]) for row in rows)
    finally:
        hub.close()
