"""Consistency proofs between signed heads only. Between sizes k and k + 1 of its choosing,
any member's credential was handed entry k's leaf hash (a fingerprint of another member's
access), whatever seq it picked, while the inclusion proof of that entry was refused it.
Now a size no head was signed at is refused (400 `not_a_signed_head_size`, saying which
sizes are allowed and where to find them); between signed heads the proof verifies with
the offline verifier's code and holds no leaf hash but those of the entries at the heads'
edges (docs/protocol.md, "Consistency proofs between signed heads only"), on both stores."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.audit.merkle import leaf_hash, verify_consistency
from hub.bootstrap import Hub
from hub.config import Settings
from hub.keys import unb64url
from hub.services.accounts.members import load_network
from hub.services.audit import trail as audit
from tests.factories import Credentials
from tests.fakes.publisher import RecordingPublisher
from tests.integration.audit.dpo_http import NETWORK, OWNER, RECIPIENT, network_document

pytestmark = pytest.mark.integration

# The log's size at each head: odd and even, two heads one entry apart.
HEAD_SIZES_AFTER = (5, 6, 9, 16, 17)


@pytest.fixture
def world(db_url, tmp_path):
    path = tmp_path / "network.json"
    path.write_text(json.dumps(network_document({"portee": "membre"})))
    hub = Hub.from_settings(
        Settings(data_dir=tmp_path / "d", database_url=db_url), publisher=RecordingPublisher()
    )
    load_network(hub, path, tmp_path / "creds")
    heads = []
    start = _log_size(hub)
    for size in HEAD_SIZES_AFTER:
        missing = start + size - _log_size(hub)
        audit.record(hub, [audit.event(hub, "console_view", (NETWORK, OWNER)[n % 2]) for n in range(missing)])
        heads.append(audit.publish_head(hub))
        assert heads[-1]["size"] == start + size
    with TestClient(create_app(hub=hub)) as client:
        yield hub, client, heads, (lambda name: Credentials(tmp_path / "creds" / f"{name}.json"))
    hub.close()


def _log_size(hub: Hub) -> int:
    return len(list(hub.audit.search(limit=10_000)))


def _answer(client: TestClient, creds: Credentials, path: str) -> tuple[int, dict]:
    answer = client.get(path, headers=creds.headers("GET", path))
    return answer.status_code, answer.json()


def _leaves(hub: Hub, size: int) -> dict[bytes, int]:
    return {leaf_hash(e.canonical()): e.seq for e in hub.audit.search(limit=10_000) if e.seq < size}


def test_a_member_is_refused_proofs_between_sizes_no_head_was_signed_at(world) -> None:
    hub, client, heads, creds = world
    member = creds(RECIPIENT)  # an ordinary credential: no DPO, no fiche
    signed = {head["size"] for head in heads}
    latest = heads[-1]["size"]
    leaves = _leaves(hub, latest)
    refused = []
    for first in range(0, latest):
        for second in (first + 1, None):
            query = f"first={first}" + ("" if second is None else f"&second={second}")
            status, answer = _answer(client, member, f"/v1/audit/proofs/consistency?{query}")
            if {first, second or latest} <= signed:
                assert status == 200, (query, answer)
                continue
            refused.append((status, answer["error"]["code"]))
            assert "GET /v1/audit/tree-head" in answer["error"]["message_en"]
            assert "GET /v1/audit/tree-head" in answer["error"]["message_fr"]
    assert set(refused) == {(400, "not_a_signed_head_size")}
    assert len(refused) > latest  # sizes one apart were leaf hashes: entry k's for (k, k+1)
    # the inclusion route stops at signed heads' sizes too, for the network's DPO itself
    network = creds(f"{NETWORK}.dpo")
    for size in range(2, latest):
        status, _ = _answer(client, network, f"/v1/audit/proofs/inclusion/0?size={size}")
        assert status == (200 if size in signed else 404), size
    assert {leaves_of_sizes for leaves_of_sizes in leaves.values()} == set(range(latest))


def test_proofs_between_signed_heads_verify_and_hold_only_their_edges_leaf_hashes(world) -> None:
    """RFC 9162: the proof from size m to size n holds subtree hashes; a subtree of one
    leaf is the last entry under either head (m - 1 when m is odd, n - 1) or the first
    after the older one (m): a member learns those, at places the hub's head timer picks,
    never an entry of its choosing."""
    hub, client, heads, creds = world
    member = creds(OWNER)
    leaves = _leaves(hub, heads[-1]["size"])
    for older in heads:
        for newer in heads:
            m, n = older["size"], newer["size"]
            if m > n:
                continue
            status, answer = _answer(client, member, f"/v1/audit/proofs/consistency?first={m}&second={n}")
            assert status == 200, answer
            proof = [unb64url(node) for node in answer["preuve"]]
            assert verify_consistency(
                m, n, proof, bytes.fromhex(older["root_hash"]), bytes.fromhex(newer["root_hash"])
            )
            seen = {leaves[node] for node in proof if node in leaves}
            assert seen <= {m - 1, m, n - 1}, (m, n, seen)
