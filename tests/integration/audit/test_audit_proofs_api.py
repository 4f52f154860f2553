"""The access log's proofs, served over HTTP through the audit service, verify offline
against the hub's signed tree heads (RFC 9162), and a wrong leaf or root does not."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from hub.bootstrap import Hub
from hub.config import Settings
from hub.keys import unb64url
from hub.services.accounts.members import load_network
from hub.services.audit import trail as audit
from tests.factories import Credentials
from tests.fakes.publisher import RecordingPublisher
from tests.integration.audit.dpo_http import NETWORK, OWNER, network_document

pytestmark = pytest.mark.integration


@pytest.fixture
def world(db_url, tmp_path):
    path = tmp_path / "network.json"
    path.write_text(json.dumps(network_document()))
    hub = Hub.from_settings(Settings(data_dir=tmp_path / "d", database_url=db_url),
                            publisher=RecordingPublisher())
    load_network(hub, path, tmp_path / "creds")
    with TestClient(create_app(hub=hub)) as client:
        yield hub, client, Credentials(tmp_path / "creds" / f"{NETWORK}.dpo.json")
    hub.close()


def _get(client: TestClient, creds: Credentials, path: str) -> dict:
    answer = client.get(path, headers=creds.headers("GET", path))
    assert answer.status_code == 200, answer.text
    return answer.json()


def _views(hub: Hub, count: int) -> None:
    audit.record(hub, [audit.event(hub, "console_view", NETWORK) for _ in range(count)])


def test_inclusion_and_consistency_proofs_over_http_verify_against_signed_heads(world) -> None:
    hub, client, dpo = world
    _views(hub, 3)
    first = audit.publish_head(hub)
    _views(hub, 4)
    second = audit.publish_head(hub)
    assert 0 < first["size"] < second["size"]
    first_root, second_root = bytes.fromhex(first["root_hash"]), bytes.fromhex(second["root_hash"])

    exported = client.get("/v1/audit/export", headers=dpo.headers("GET", "/v1/audit/export"))
    leaves = {line["seq"]: bytes.fromhex(line["leaf_hash"])
              for line in map(json.loads, exported.text.splitlines()) if line["type"] == "entry"}
    assert len(leaves) >= second["size"]

    size = second["size"]
    for seq in range(size):
        answer = _get(client, dpo, f"/v1/audit/proofs/inclusion/{seq}?size={size}")
        proof = [unb64url(node) for node in answer["preuve"]]
        assert (answer["seq"], answer["taille"]) == (seq, size)
        assert verify_inclusion(seq, size, leaves[seq], proof, second_root)
        assert not verify_inclusion(seq, size, leaves[(seq + 1) % size], proof, second_root)

    answer = _get(client, dpo, f"/v1/audit/proofs/consistency?first={first['size']}&second={size}")
    proof = [unb64url(node) for node in answer["preuve"]]
    assert (answer["premiere"], answer["seconde"]) == (first["size"], size)
    assert verify_consistency(first["size"], size, proof, first_root, second_root)
    assert not verify_consistency(first["size"], size, proof, second_root, first_root)


def _answer(client: TestClient, creds: Credentials, path: str) -> tuple[int, dict]:
    answer = client.get(path, headers=creds.headers("GET", path))
    return answer.status_code, answer.json()


def test_proofs_tell_a_member_nothing_of_the_log_beyond_its_latest_signed_head(world, tmp_path) -> None:
    """The live size of the log counts every access, deliveries to other members included:
    a proof's answer depends only on the published head, never on what was appended since."""
    hub, client, dpo = world
    member = Credentials(tmp_path / "creds" / f"{OWNER}.json")
    _views(hub, 3)
    signed = audit.publish_head(hub)["size"]
    _views(hub, 5)  # appended after the head: unsigned, other members' business
    beyond = [_answer(client, member, f"/v1/audit/proofs/consistency?first={signed + n}")
              for n in (1, 5, 10**6)]
    assert beyond[0][0] == 400 and beyond[0] == beyond[1] == beyond[2]
    status, latest = _answer(client, member, f"/v1/audit/proofs/consistency?first={signed}")
    assert status == 200 and latest["seconde"] == signed and latest["preuve"] == []
    status, _ = _answer(client, member, f"/v1/audit/proofs/consistency?first=1&second={signed + 1}")
    assert status == 400
    inclusion = [_answer(client, dpo, f"/v1/audit/proofs/inclusion/{signed + n}") for n in (0, 1, 10**6)]
    assert inclusion[0][0] == 404 and inclusion[0] == inclusion[1] == inclusion[2]


def test_a_member_s_dpo_is_given_proofs_of_its_own_member_s_entries_only(db_url, tmp_path) -> None:
    """A proof's first node is the leaf hash of the entry beside it: given the proof of any
    entry, a member's DPO collected a fingerprint of every other member's access (to match
    against a guess) and learnt whose each entry was. It is now given those of its
    member's entries, as its search reads them; another is answered as a seq that does not
    exist. The network's DPO is given any."""
    path = tmp_path / "network.json"
    path.write_text(json.dumps(network_document({"portee": "membre"})))
    hub = Hub.from_settings(Settings(data_dir=tmp_path / "d", database_url=db_url),
                            publisher=RecordingPublisher())
    try:
        load_network(hub, path, tmp_path / "creds")
        audit.record(hub, [audit.event(hub, "console_view", actor)
                           for actor in (OWNER, NETWORK, NETWORK, OWNER, NETWORK)])
        head = audit.publish_head(hub)
        size, root = head["size"], bytes.fromhex(head["root_hash"])
        whose = {e.seq: e.actor_member for e in hub.audit.search(limit=1000) if e.seq < size}
        member_dpo, network_dpo = (Credentials(tmp_path / "creds" / f"{m}.dpo.json")
                                   for m in (OWNER, NETWORK))
        with TestClient(create_app(hub=hub)) as client:
            unknown = _answer(client, member_dpo, f"/v1/audit/proofs/inclusion/{size}")
            assert unknown[0] == 404
            proved = set()
            for seq, actor in sorted(whose.items()):
                path = f"/v1/audit/proofs/inclusion/{seq}"
                status, answer = _answer(client, member_dpo, path)
                if actor != OWNER:
                    assert (status, answer) == unknown
                else:
                    proof = [unb64url(node) for node in answer["preuve"]]
                    leaf = leaf_hash(hub.audit.by_seqs([seq])[0].canonical())
                    assert verify_inclusion(seq, size, leaf, proof, root)
                    proved.add(seq)
                assert _answer(client, network_dpo, path)[0] == 200
        assert len(proved) == 2 and len(whose) > 2
    finally:
        hub.close()
