"""A CSV member's fiches flow to the hub: no loss, no duplicates, resumable."""

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest

from capactif_demo.sim.french_data import PeopleFactory
from capactif_demo.sim.spreadsheet import write_export
from connectors.checkpoint import Checkpoint
from connectors.csv_source import CsvSource
from connectors.errors import HubAuthError
from connectors.mapping import Mapping
from connectors.rejects import RejectsFile, read_rejects
from connectors.runner import Runner

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "connectors"


@pytest.fixture
def mapping():
    return Mapping.load(EXAMPLES / "commune-tableur" / "correspondance.json")


@pytest.fixture
def export(tmp_path):
    return write_export(tmp_path / "export.csv", 400, encoding="cp1252",
                        bad_lines={312: "date"})


def make_runner(tmp_path, mapping, client, path, batch_size=100):
    return Runner(CsvSource(mapping, path), client, Checkpoint(tmp_path / "reprise.json"),
                  RejectsFile(tmp_path / "rejets.jsonl"), batch_size=batch_size)


def test_a_first_run_sends_every_good_line_and_rejects_line_312(tmp_path, mapping, client,
                                                                 hub, export):
    summary = make_runner(tmp_path, mapping, client, export).run()
    assert summary.complete and summary.read == 400
    assert summary.accepted == 399 and summary.batches == 4
    assert len(hub.accepted_versions("commune-ambert")) == 399
    [reject] = read_rejects(tmp_path / "rejets.jsonl")
    assert reject["ligne"] == 312 and reject["erreurs"][0]["code"] == "date_invalide"


def test_a_second_run_on_the_same_export_sends_nothing(tmp_path, mapping, client, hub, export):
    make_runner(tmp_path, mapping, client, export).run()
    pushes = len(hub.log)
    summary = make_runner(tmp_path, mapping, client, export).run()
    assert summary.sent == 0 and summary.accepted == 0
    assert len(hub.log) == pushes


def test_the_checkpoint_is_saved_only_after_the_hub_accepted(tmp_path, mapping, client, hub,
                                                            export):
    hub.fail_next(503, 50)
    summary = make_runner(tmp_path, mapping, client, export).run()
    assert summary.stopped == "hub_unavailable" and summary.accepted == 0
    state = Checkpoint(tmp_path / "reprise.json").load()
    assert state.known == {} and state.cursor is None


def test_a_503_mid_run_stops_cleanly_and_the_next_run_resumes_without_loss_or_double(
        tmp_path, mapping, client, hub, export):
    hub.fail_next(503, 50, after=1)  # the first batch goes through, then the hub is down
    first = make_runner(tmp_path, mapping, client, export).run()
    assert first.stopped == "hub_unavailable" and first.accepted == 100
    assert len(Checkpoint(tmp_path / "reprise.json").load().known) == 100
    hub.clear_faults()
    second = make_runner(tmp_path, mapping, client, export).run()
    assert second.complete and second.unchanged == 100 and second.accepted == 299
    accepted = Counter(fid for fid, _, status, _ in hub.log if status == "accepted")
    assert len(accepted) == 399 and set(accepted.values()) == {1}


def test_a_hub_down_mid_run_costs_one_failing_call_not_one_per_batch_ready(
        tmp_path, mapping, client, hub, export):
    hub.fail_next(503, 50, after=1)
    summary = make_runner(tmp_path, mapping, client, export).run()
    assert summary.stopped == "hub_unavailable" and summary.batches == 1
    assert hub.requests == 1 + 3  # the second batch, tried 3 times; the next ones never


def test_batches_are_sent_in_the_order_of_the_export_and_settled_in_that_order(
        tmp_path, mapping, client, hub, export):
    summary = make_runner(tmp_path, mapping, client, export, batch_size=50).run()
    sent = [fid for fid, _, status, _ in hub.log if status == "accepted"]
    acknowledged = list(Checkpoint(tmp_path / "reprise.json").load().known)
    assert summary.batches == 8 and sent == sorted(sent)
    assert acknowledged == sorted(acknowledged)


def test_a_lost_acknowledgement_is_a_harmless_duplicate(tmp_path, mapping, client, hub, export):
    make_runner(tmp_path, mapping, client, export).run()
    (tmp_path / "reprise.json").unlink()  # as if the process died before acknowledging
    summary = make_runner(tmp_path, mapping, client, export).run()
    assert summary.accepted == 399 and summary.duplicates == 399
    assert all(v == 1 for v in hub.accepted_versions("commune-ambert").values())


def test_a_changed_line_is_sent_again_as_the_next_version(tmp_path, mapping, client, hub):
    people = PeopleFactory(7).people(20)
    path = write_export(tmp_path / "export.csv", 0, people=people)
    make_runner(tmp_path, mapping, client, path).run()
    people[3].rue = "1 place de la Mairie"
    people[3].modifie = dt.datetime.now(dt.UTC)
    path = write_export(tmp_path / "export.csv", 0, people=people)
    summary = make_runner(tmp_path, mapping, client, path).run()
    assert summary.accepted == 1 and summary.sent == 1
    assert hub.accepted_versions("commune-ambert")["COM-2025-00004"] == 2


def test_without_modification_dates_the_content_hash_finds_the_changed_line(
        tmp_path, mapping, client, hub):
    people = PeopleFactory(7).people(20)
    path = write_export(tmp_path / "export.csv", 0, people=people)
    hashed = Mapping.from_dict({k: v for k, v in mapping.data.items() if k != "modification"})
    Runner(CsvSource(hashed, path, mode="empreinte"), client, Checkpoint(tmp_path / "r.json"),
           RejectsFile(tmp_path / "rejets.csv")).run()
    people[3].nom = "Nouveau-Nom"
    path = write_export(tmp_path / "export.csv", 0, people=people)
    summary = Runner(CsvSource(hashed, path, mode="empreinte"), client,
                     Checkpoint(tmp_path / "r.json"), RejectsFile(tmp_path / "rejets.csv")).run()
    assert (summary.read, summary.unchanged, summary.accepted) == (20, 19, 1)
    assert hub.accepted_versions("commune-ambert")["COM-2025-00004"] == 2


def test_a_version_the_hub_holds_but_the_checkpoint_lost_is_continued(tmp_path, mapping,
                                                                      client, hub):
    people = PeopleFactory(7).people(5)
    path = write_export(tmp_path / "export.csv", 0, people=people)
    make_runner(tmp_path, mapping, client, path).run()
    (tmp_path / "reprise.json").unlink()
    people[0].rue = "2 route de Thiers"
    people[0].modifie = dt.datetime.now(dt.UTC)
    path = write_export(tmp_path / "export.csv", 0, people=people)
    summary = make_runner(tmp_path, mapping, client, path).run()
    assert summary.rejected_hub == 0 and summary.accepted == 5
    assert hub.accepted_versions("commune-ambert")["COM-2025-00001"] == 2


def test_a_line_deleted_at_the_member_is_removed_from_the_hub_once(tmp_path, mapping, client,
                                                                   hub):
    people = PeopleFactory(7).people(10)
    make_runner(tmp_path, mapping, client,
                write_export(tmp_path / "export.csv", 0, people=people)).run()
    path = write_export(tmp_path / "export.csv", 0, people=people[:4] + people[5:])
    summary = make_runner(tmp_path, mapping, client, path).run()
    assert summary.withdrawals == ["COM-2025-00005"] and summary.sent == 0
    assert hub.erased == {("commune-ambert", "COM-2025-00005")}
    again = make_runner(tmp_path, mapping, client, path).run()
    assert again.withdrawals == [] and again.sent == 0  # forgotten once the hub erased it


def test_a_deletion_the_hub_cannot_take_now_is_sent_again_next_run(tmp_path, mapping, client,
                                                                   hub):
    people = PeopleFactory(7).people(10)
    make_runner(tmp_path, mapping, client,
                write_export(tmp_path / "export.csv", 0, people=people)).run()
    path = write_export(tmp_path / "export.csv", 0, people=people[:4] + people[5:])
    hub.fail_next(503, 10)
    summary = make_runner(tmp_path, mapping, client, path).run()
    assert summary.stopped == "hub_unavailable" and hub.erased == set()
    hub.clear_faults()
    retried = make_runner(tmp_path, mapping, client, path).run()
    assert retried.withdrawals == ["COM-2025-00005"]
    assert hub.erased == {("commune-ambert", "COM-2025-00005")}


def test_fiches_rejected_by_the_hub_land_in_the_rejects_file_and_are_not_checkpointed(
        tmp_path, mapping, client, hub):
    path = write_export(tmp_path / "export.csv", 0, people=PeopleFactory(7).people(3))
    hub.refuse("COM-2025-00002", "consent_missing")
    summary = make_runner(tmp_path, mapping, client, path).run()
    assert summary.accepted == 2 and summary.rejected_hub == 1
    [reject] = read_rejects(tmp_path / "rejets.jsonl")
    assert (reject["ligne"], reject["origine"], reject["fiche_id"]) == (3, "hub", "COM-2025-00002")
    assert reject["erreurs"][0]["code"] == "consent_missing"
    assert "2025-00002" not in Checkpoint(tmp_path / "reprise.json").load().known


def test_refused_credentials_stop_the_run_with_a_clear_error(tmp_path, mapping, hub,
                                                             credentials, export):
    from connectors.client import HubClient

    wrong = HubClient(hub.url, "commune-ambert", "commune-ambert.faux",
                      credentials["cle_privee"])
    with pytest.raises(HubAuthError):
        make_runner(tmp_path, mapping, wrong, export).run()
    assert hub.requests == 1


def test_the_summary_is_json_serialisable(tmp_path, mapping, client, export):
    summary = make_runner(tmp_path, mapping, client, export).run()
    assert json.loads(json.dumps(summary.to_dict()))["accepted"] == 399
