"""The ingest and processing services on real databases (SQLite and PostgreSQL)."""

import pytest

from hub.errors import Forbidden, InvalidBatch
from hub.services.accounts.auth import Caller
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.ingest.fiches import read_own_fiche
from tests.factories import make_fiche, other_porteur, record_consents
from tests.integration.statements import statements_sent, texts

pytestmark = pytest.mark.integration

CCI = Caller("cci-puy-de-dome", "CCI", "cci", "accompagnement")


def push_batch(hub, caller, fiches):
    """Push after recording a consent for each fiche of the caller's (as members do)."""
    if isinstance(fiches, list):
        record_consents(hub, [f for f in fiches if isinstance(f, dict)
                              and f.get("membre") == caller.member_id])
    return ingest.push_batch(hub, caller, fiches)


def test_accepted_fiches_are_stored_with_their_outbox_rows_before_the_answer(hub):
    answer = push_batch(hub, CCI, [make_fiche(fiche_id="F-1"), make_fiche(fiche_id="F-2")])
    assert answer["accepted"] == 2 and answer["rejected"] == 0
    assert processing.pipeline_status(hub)["fiches"] == 2
    assert processing.pipeline_status(hub)["outbox_pending"] == 2
    assert len(hub.publisher.published) == 1 and len(hub.publisher.published[0]) == 2


def test_a_push_looks_for_a_nul_character_once(hub, monkeypatch):
    """The batch is searched for a NUL character before validation (ingest.accept); the
    validator does not walk every fiche for one again."""
    import schemas.loader

    walks = []
    walk = schemas.loader.nul_path

    def counted(node, path=()):
        walks.extend([path] if path == () else [])
        return walk(node, path)

    fiches = [make_fiche(fiche_id="F-1"), make_fiche(fiche_id="F-2")]
    record_consents(hub, fiches)
    monkeypatch.setattr(schemas.loader, "nul_path", counted)
    answer = ingest.push_batch(hub, CCI, fiches)
    assert answer["accepted"] == 2 and walks == []


def test_rejected_fiches_store_nothing_and_say_where_and_why(hub):
    bad = make_fiche(fiche_id="F-bad")
    bad["porteur"]["courriel"] = "pas-un-courriel"
    answer = push_batch(hub, CCI, [make_fiche(fiche_id="F-ok"), bad])
    assert [r["status"] for r in answer["results"]] == ["accepted", "rejected"]
    assert answer["results"][1]["errors"][0]["path"] == "$.porteur.courriel"
    assert answer["results"][1]["fiche_id"] == "F-bad"
    assert processing.pipeline_status(hub)["fiches"] == 1


def test_the_same_version_pushed_twice_is_one_version_with_the_same_receipt(hub):
    first = push_batch(hub, CCI, [make_fiche(fiche_id="F-1")])["results"][0]
    again = push_batch(hub, CCI, [make_fiche(fiche_id="F-1")])["results"][0]
    assert again["receipt"] == first["receipt"]
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    assert processing.pipeline_status(hub)["versions"] == 1


def test_a_duplicate_inside_one_batch_is_stored_once(hub):
    answer = push_batch(hub, CCI, [make_fiche(fiche_id="F-1"), make_fiche(fiche_id="F-1")])
    assert [r["duplicate"] for r in answer["results"]] == [False, True]
    assert answer["results"][0]["receipt"] == answer["results"][1]["receipt"]
    assert processing.pipeline_status(hub)["versions"] == 1


def test_the_same_version_with_other_content_is_a_conflict(hub):
    push_batch(hub, CCI, [make_fiche(fiche_id="F-1")])
    changed = make_fiche(fiche_id="F-1", projet={"intitule": "Autre projet"})
    result = push_batch(hub, CCI, [changed])["results"][0]
    assert result["status"] == "rejected"
    assert result["errors"][0]["code"] == "version_conflict"


def test_an_older_version_is_refused_as_stale_and_newer_ones_become_current(hub):
    push_batch(hub, CCI, [make_fiche(fiche_id="F-1", version=3)])
    stale = push_batch(hub, CCI, [make_fiche(fiche_id="F-1", version=2)])["results"][0]
    assert stale["errors"][0]["code"] == "stale_version"
    push_batch(hub, CCI, [make_fiche(fiche_id="F-1", version=4, projet={"intitule": "V4"})])
    assert read_own_fiche(hub, CCI, CCI.member_id, "F-1")["version"] == 4


def test_versions_of_one_fiche_in_one_batch_leave_the_highest_current(hub):
    push_batch(hub, CCI, [make_fiche(fiche_id="F-1")])
    answer = push_batch(hub, CCI, [make_fiche(fiche_id="F-1", version=v, projet={"intitule": f"V{v}"})
                                   for v in (2, 3, 4)])
    assert [r["status"] for r in answer["results"]] == ["accepted"] * 3
    assert read_own_fiche(hub, CCI, CCI.member_id, "F-1")["version"] == 4
    assert processing.pipeline_status(hub)["versions"] == 4


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_push_sends_the_same_statements_whatever_its_size(hub):
    """The driver parses each new statement text: a text that grows with the batch (a
    multi-row VALUES, a long IN list) is parsed anew at every push."""
    def pushed(size: int, start: int) -> set[str]:
        fiches = [make_fiche(fiche_id=f"F-{n}", porteur=other_porteur(n))
                  for n in range(start, start + size)]
        record_consents(hub, fiches)
        # the consents cache's timed check left out
        with statements_sent(hub.engine, lambda text: "consent_changes" not in text) as sent:
            push_batch(hub, CCI, [make_fiche(fiche_id=f"F-{n}", version=2,
                                             porteur=other_porteur(n))
                                  for n in range(start)] + fiches)  # new versions, new fiches
        return set(texts(sent))

    pushed(2, 0)
    assert pushed(2, 2) == pushed(30, 4)


def test_a_member_cannot_push_in_another_members_name(hub):
    with pytest.raises(Forbidden):
        push_batch(hub, CCI, [make_fiche(member="pfil-livradois-forez")])
    assert processing.pipeline_status(hub)["fiches"] == 0


@pytest.mark.parametrize("fiches", [[], None, {"a": 1}, [{}] * 1001])
def test_a_batch_must_hold_one_to_a_thousand_fiches(hub, fiches):
    with pytest.raises(InvalidBatch):
        push_batch(hub, CCI, fiches)


def test_processing_gives_each_new_fiche_a_porteur_once_in_effect(hub):
    push_batch(hub, CCI, [make_fiche(fiche_id=f"F-{i}", porteur=other_porteur(i)) for i in range(5)])
    ids = hub.publisher.published[0]
    assert processing.process_outbox(hub, ids).claimed == 5
    assert processing.process_outbox(hub, ids).claimed == 0
    status = processing.pipeline_status(hub)
    assert status == {"fiches": 5, "processed": 5, "versions": 5, "porteurs": 5,
                      "outbox_pending": 0}


def test_a_new_version_keeps_the_fiches_porteur(hub):
    push_batch(hub, CCI, [make_fiche(fiche_id="F-1")])
    processing.process_outbox(hub, hub.publisher.published[-1])
    porteur = read_own_fiche(hub, CCI, CCI.member_id, "F-1")["porteur_id"]
    push_batch(hub, CCI, [make_fiche(fiche_id="F-1", version=2, projet={"intitule": "V2"})])
    processing.process_outbox(hub, hub.publisher.published[-1])
    fiche = read_own_fiche(hub, CCI, CCI.member_id, "F-1")
    assert (fiche["porteur_id"], fiche["processed"], fiche["version"]) == (porteur, True, 2)
    assert processing.pipeline_status(hub)["porteurs"] == 1


def test_the_sweep_republishes_rows_the_broker_lost(hub):
    push_batch(hub, CCI, [make_fiche(fiche_id="F-1")])
    lost = hub.publisher.published[-1]
    hub.publisher.sent.clear()
    zero_bound = hub.with_settings(outbox_republish_after_s=-1)
    assert processing.sweep_outbox(zero_bound) == 1
    assert hub.publisher.published == [lost]
    processing.process_outbox(hub, lost)
    assert processing.sweep_outbox(zero_bound) == 0
