"""A recipient's webhook line with a real worker and a real HTTP recipient, on both
stores (SQLite with the embedded broker; PostgreSQL with Redis): one fiche the recipient
keeps refusing with a 500 no longer holds back its other fiches (it stays pending, held
with the later versions of its fiche, until its own give-up delay); a recipient merely
unwell (503 at random, a flaky 500, an outage) gets every delivery in the end, nothing
dead-lettered, in per-fiche order, and a probe's failure is never counted against it."""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from capactif_demo.processes import free_port, running, start_worker
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.delivery import webhooks
from hub.services.ingest import accept as ingest
from hub.services.ops.admin import initialise
from hub.services.privacy import erasure
from hub.store.delivery_tables import deliveries
from hub.store.tables import fiches
from tests.factories import Credentials, make_fiche, other_porteur, record_consents, stage_of
from tests.integration.scale import scale_store, wait_until
from tests.receiver import Recipient

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OWNER = Caller("commune-ambert", "Mairie", "commune", "accueil")
RECIPIENT = "cci-thiers"
WAIT_S = 120  # a loaded machine's worst; the rules tested are counts and orders, never speed


@pytest.fixture(params=["sqlite", "postgresql"])
def line(request, tmp_path) -> Iterator[tuple[dict[str, str], Hub, Recipient, Any]]:
    """(worker environment, hub, recipient, log folder): the recipient member's webhook on
    a real HTTP recipient, retries short (0.2 s, at most 0.5 s)."""
    port = free_port()
    with _store(request, tmp_path) as store, Recipient(port) as recipient:
        env = {
            **store,
            "HUB_DATA_DIR": str(tmp_path / "data"),
            "HUB_LOG_LEVEL": "WARNING",
            "HUB_DISPATCH_INTERVAL_S": "0.3",
            "HUB_WEBHOOK_TIMEOUT_S": "2",
            "HUB_WEBHOOK_RETRY_BASE_S": "0.2",
            "HUB_WEBHOOK_RETRY_MAX_S": "0.5",
        }
        if request.param == "sqlite":
            initialise(Settings.from_env(env))
        hub = Hub.from_settings(Settings.from_env(env))
        load_network(hub, _network(tmp_path, recipient.url), tmp_path / "creds")
        yield env, hub, recipient, tmp_path / "logs"
        hub.close()


@contextlib.contextmanager
def _store(request: Any, tmp_path: Any) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {}
        return
    with scale_store(request.getfixturevalue("postgres_url")) as store:
        yield store


def _network(tmp_path: Any, url: str) -> Any:
    members = [
        {
            "id": OWNER.member_id,
            "nom": "Mairie",
            "nature": "commune",
            "role": "accueil",
            "contact": {"courriel": "mairie@exemple.fr"},
        },
        {
            "id": RECIPIENT,
            "nom": "CCI",
            "nature": "cci",
            "role": "accompagnement",
            "contact": {"courriel": "cci@exemple.fr"},
            "webhook": url,
            "abonnements": [{"communes": ["63003"]}],
        },
    ]
    path = tmp_path / "network.json"
    path.write_text(json.dumps({"reseau": "t", "membres": members}))
    return path


def push(hub: Hub, numbers: range | list[int], version: int = 1) -> None:
    batch = [
        make_fiche(member=OWNER.member_id, fiche_id=f"F-{n}", version=version, porteur=other_porteur(n))
        for n in numbers
    ]
    for document in batch:  # a version the recipient sees change
        document["projet"]["stade"] = stage_of(version)
    record_consents(hub, batch)
    assert ingest.push_batch(hub, OWNER, batch)["accepted"] == len(batch)


def rows(hub: Hub) -> list[dict[str, Any]]:
    """The recipient's deliveries in feed order, with their fiche's id."""
    query = (
        sa.select(
            fiches.c.fiche_id,
            deliveries.c.fiche_version,
            deliveries.c.status,
            deliveries.c.attempts,
            deliveries.c.last_error,
            deliveries.c.passed_at,
            deliveries.c.idempotency_key,
            deliveries.c.position,
        )
        .join(fiches, fiches.c.id == deliveries.c.fiche_pk)
        .where(deliveries.c.recipient_id == RECIPIENT)
        .order_by(deliveries.c.position)
    )
    with hub.uow() as uow:
        return [dict(row._mapping) for row in uow.connection.execute(query)]


def events(hub: Hub, action: str) -> int:
    return len(hub.audit.search(action=action, member=RECIPIENT, limit=100_000))


def accepted(recipient: Recipient) -> list[tuple[str, int]]:
    """The data deliveries the recipient accepted (fiche id, version), in order."""
    return [(d["source"]["fiche_id"], d["source"]["version"]) for d in recipient.documents()
            if "source" in d]


def failing_on(fiche_id: str, version: int | None = None) -> Callable[[dict[str, Any]], int]:
    """A recipient whose handler raises on one fiche (on one version of it, if given)."""

    def choose(document: dict[str, Any]) -> int:
        source = document.get("source") or {}
        poisoned = source.get("fiche_id") == fiche_id and version in (None, source.get("version"))
        return 500 if poisoned else 200

    return choose


def test_a_fiche_the_recipient_keeps_refusing_holds_back_none_of_the_others(line):
    """Before, the poison held the whole line: none of the 29 others arrived (they would
    have waited for the give-up delay, a day, then been dead-lettered untried)."""
    env, hub, recipient, logs = line
    recipient.choose = failing_on("F-3")
    with running([start_worker(env, logs)]):
        push(hub, range(30))
        wait_until(lambda: any(r["fiche_id"] == "F-3" for r in rows(hub)), WAIT_S, "F-3 planned")
        push(hub, [3], version=2)  # a later version of the poison, behind it in line
        others = {(f"F-{n}", 1) for n in range(30) if n != 3}
        wait_until(lambda: others <= set(accepted(recipient)), WAIT_S, "the 29 others")
        wait_until(lambda: len(rows(hub)) == 31, WAIT_S, "the poison's later version planned")
        later = {(f"F-{n}", 1) for n in range(31, 40)}
        push(hub, range(31, 40))  # pushed while the poison is passed: they flow too
        wait_until(lambda: later <= set(accepted(recipient)), WAIT_S, "the later fiches")
        wait_until(
            lambda: recipient.tried.count(("F-3", 1)) >= 6,
            WAIT_S,
            "the poison tried again on its own backoff",
        )
    assert ("F-3", 2) not in recipient.tried  # per-fiche order: never ahead of its head
    assert ("F-3", 1) not in accepted(recipient)
    poison = [(r["fiche_version"], r["status"]) for r in rows(hub) if r["fiche_id"] == "F-3"]
    assert poison == [(1, "pending"), (2, "pending")]  # not dead before its give-up delay
    head = next(r for r in rows(hub) if r["fiche_id"] == "F-3")
    assert head["passed_at"] is not None and head["last_error"] == "http_500"
    assert [r for r in rows(hub) if r["status"] not in ("sent", "pending")] == []
    assert events(hub, "webhook_delivery") == len(accepted(recipient)) == 38
    assert events(hub, "webhook_attempt") == recipient.tried.count(("F-3", 1))


def test_a_poison_is_dead_lettered_alone_and_its_replay_never_sends_it_after_its_next_version(line):
    """Before, the replay put version 1 back in line and sent it after version 2: the
    recipient's copy went back to version 1. It is settled as superseded instead, and
    the replay says so; a poison without a later version is replayed as before."""
    env, hub, recipient, logs = line
    recipient.choose = failing_on("F-1", version=1)  # its next version is fine
    with running([start_worker({**env, "HUB_WEBHOOK_GIVE_UP_AFTER_S": "10"}, logs)]):
        push(hub, range(6))
        wait_until(lambda: any(r["fiche_id"] == "F-1" for r in rows(hub)), WAIT_S, "F-1 planned")
        push(hub, [1], version=2)
        wait_until(lambda: len(accepted(recipient)) == 6, WAIT_S, "5 others and F-1's version 2")
        assert [
            (r["fiche_id"], r["fiche_version"], r["status"], r["last_error"])
            for r in rows(hub)
            if r["status"] != "sent"
        ] == [("F-1", 1, "dead", "http_500")]
        tried = recipient.tried
        assert tried.index(("F-1", 2)) > len(tried) - 1 - tried[::-1].index(("F-1", 1))
        recipient.choose = failing_on("F-7")  # a poison with no later version
        push(hub, [7])
        wait_until(
            lambda: ("F-7", "dead") in [(r["fiche_id"], r["status"]) for r in rows(hub)],
            WAIT_S,
            "F-7 dead-lettered",
        )
        recipient.choose = None  # the recipient fixed its handler
        assert webhooks.replay_dead(hub, member_id=RECIPIENT) == webhooks.Replay(replayed=1, superseded=1)
        wait_until(lambda: ("F-7", 1) in accepted(recipient), WAIT_S, "the replayed F-7")
        push(hub, [8])
        wait_until(lambda: ("F-8", 1) in accepted(recipient), WAIT_S, "a fiche pushed after")
    assert [a for a in accepted(recipient) if a[0] == "F-1"] == [("F-1", 2)]
    assert recipient.tried[recipient.tried.index(("F-1", 2)) :].count(("F-1", 1)) == 0
    statuses = {(r["fiche_id"], r["fiche_version"]): (r["status"], r["last_error"]) for r in rows(hub)}
    assert statuses.pop(("F-1", 1)) == ("cancelled", "superseded_by_later_version")
    assert {status for status, _ in statuses.values()} == {"sent"}
    assert events(hub, "webhook_delivery") == 8


@pytest.mark.parametrize("status, share", [(503, 0.4), (500, 0.3)])
def test_a_flaky_recipient_gets_everything_in_the_end_nothing_dead(line, status, share):
    """A load balancer with one bad backend (503, no Retry-After), or an app failing now
    and then (500): nothing is dead-lettered, every delivery arrives, in per-fiche order;
    with 503s not one POST goes past the head of the line."""
    env, hub, recipient, logs = line
    dice, answers = random.Random(15), []

    def choose(document: dict[str, Any]) -> int:
        answer = status if dice.random() < share else 200
        answers.append((document["source"]["fiche_id"], document["source"]["version"], answer))
        return answer

    recipient.choose = choose
    with running([start_worker(env, logs)]):
        push(hub, range(24))
        wait_until(lambda: len(rows(hub)) == 24, WAIT_S, "24 planned")
        push(hub, range(8), version=2)
        wait_until(lambda: len(rows(hub)) == 32, WAIT_S, "32 planned")
        wait_until(lambda: {r["status"] for r in rows(hub)} == {"sent"}, 4 * WAIT_S, "every delivery sent")
    assert len(answers) > 32  # some were refused and tried again
    accepted_up_to: dict[str, int] = {}
    for fiche_id, version, answer in answers:  # never tried before the version before it
        assert version == accepted_up_to.get(fiche_id, 0) + 1, (fiche_id, version)
        if answer == 200:
            accepted_up_to[fiche_id] = version
    assert sorted(accepted(recipient)) == sorted((r["fiche_id"], r["fiche_version"]) for r in rows(hub))
    position = {r["idempotency_key"]: r["position"] for r in rows(hub)}
    if status == 503:  # the line waits: the POSTs go in feed order, each until accepted
        order = [position[d["delivery_id"]] for d in recipient.documents()]
        assert order == sorted(order)
        assert _collapsed(recipient.tried) == accepted(recipient)
    assert events(hub, "webhook_delivery") == 32


def _collapsed(tried: list[Any]) -> list[Any]:
    """The POSTs, a delivery tried again at once counted once."""
    return [item for index, item in enumerate(tried) if index == 0 or tried[index - 1] != item]


def test_an_outage_then_recovery_loses_nothing_and_counts_no_probe_against_a_delivery(line):
    """A deploy gone wrong (500 to everything: the head is refused, then probes fail too),
    then the recipient down (connection refused), then back: every delivery arrives,
    none dead, and each delivery tried as a probe counts only its own accepted attempt."""
    env, hub, recipient, logs = line
    recipient.status = 500
    with running([start_worker(env, logs)]):
        push(hub, range(8))
        wait_until(
            lambda: recipient.tried and recipient.tried.count(recipient.tried[0]) >= 6,
            WAIT_S,
            "the head refused six times",
        )
        port = recipient.server.server_port
        recipient.__exit__(None, None, None)  # down: connection refused
        refused = len(recipient.tried)
        wait_until(
            lambda: any((r["last_error"] or "").startswith("network_") for r in rows(hub)),
            WAIT_S,
            "a refused connection recorded",
        )
        with Recipient(port) as back:
            wait_until(
                lambda: {r["status"] for r in rows(hub)} == {"sent"},
                WAIT_S,
                "every delivery sent once the recipient is back",
            )
    assert len(back.documents()) == 8
    head, *others = rows(hub)
    assert head["attempts"] > 1
    assert [r["attempts"] for r in others] == [1] * 7  # a failed probe is not its attempt
    assert events(hub, "webhook_delivery") == 8
    # every POST that went out and failed (one cut by the shutdown may have gone out too)
    assert refused <= events(hub, "webhook_attempt") <= refused + 1


@pytest.mark.parametrize("withdrawn", [["F-2", "F-3"], ["F-2"]])
def test_new_data_under_a_withdrawn_fiche_id_never_goes_past_its_erasure_notice(line, tmp_path, withdrawn):
    """The recipient refuses erasure notices (500) for a while; the member withdraws F-2
    (alone, or in a batch with F-3 of another porteur) and pushes F-2 again: a new fiche
    for the hub, the same (member, fiche id) for the recipient. Before, the new F-2 was
    the probe, accepted, and the notice arrived after it: the recipient erased new data."""
    env, hub, recipient, logs = line
    notices_fail, order = [True], []

    def choose(document: dict[str, Any]) -> int:
        if "effacement" in document:
            status = 500 if notices_fail[0] else 200
            order.append(("erased", tuple(s["fiche_id"] for s in document["sources"]), status))
            return status
        order.append(("data", (document["source"]["fiche_id"], document["source"]["version"]), 200))
        return 200

    recipient.choose = choose
    creds = Credentials(tmp_path / "creds" / f"{OWNER.member_id}.json")
    path = f"/v1/fiches/{OWNER.member_id}/withdrawals"
    with running([start_worker(env, logs)]), TestClient(create_app(hub=hub)) as client:
        push(hub, range(1, 5))
        wait_until(lambda: len(order) >= 4, WAIT_S, "four delivered")
        content = json.dumps({"fiche_ids": withdrawn}).encode()
        answer = client.post(path, content=content, headers=creds.rfc9421_headers("POST", path, content))
        assert answer.status_code == 200 and answer.json()["effacees"] == len(withdrawn), answer.text
        wait_until(lambda: sum(o[0] == "erased" for o in order) >= 4, WAIT_S, "the notice refused 4 times")
        push(hub, [2, 5])  # F-2 again (version 1, new data), and another fiche
        wait_until(lambda: ("data", ("F-5", 1), 200) in order, WAIT_S, "F-5 past the notice")
        notices_fail[0] = False
        wait_until(lambda: ("data", ("F-2", 1), 200) in order[4:], WAIT_S, "the new F-2")
    after = order[4:]
    notice_taken = next(i for i, o in enumerate(after) if o[0] == "erased" and o[2] == 200)
    assert notice_taken < after.index(("data", ("F-2", 1), 200)), after


def test_versions_held_behind_a_poison_start_their_give_up_clock_when_released(line):
    """F-1 v2 and v3 wait behind the poison F-1 v1 for its whole give-up delay; once it
    is dead-lettered, v2 is the head and the recipient, merely flaky, refuses its first
    try. Before, the time held counted as time failing: v2 was dead-lettered on that one
    500 and v3 with it, untried (given_up_with_line)."""
    env, hub, recipient, logs = line
    flaked: list[tuple[str, int]] = []

    def choose(document: dict[str, Any]) -> int:
        key = (document["source"]["fiche_id"], document["source"]["version"])
        if key == ("F-1", 1):
            return 500  # the poison
        if key == ("F-1", 2) and not flaked:
            flaked.append(key)
            return 500  # one flaky 500 on a fine document
        return 200

    recipient.choose = choose
    give_up = {"HUB_WEBHOOK_GIVE_UP_AFTER_S": "8", "HUB_WEBHOOK_RETRY_MAX_S": "3"}
    with running([start_worker({**env, **give_up}, logs)]):
        push(hub, range(6))
        wait_until(lambda: any(r["fiche_id"] == "F-1" for r in rows(hub)), WAIT_S, "F-1 planned")
        push(hub, [1], version=2)
        push(hub, [1], version=3)
        wait_until(
            lambda: {(1, "dead")} <= {(r["fiche_version"], r["status"]) for r in rows(hub)},
            WAIT_S,
            "the poison dead-lettered",
        )
        wait_until(
            lambda: len(rows(hub)) == 8 and "pending" not in {r["status"] for r in rows(hub)},
            WAIT_S,
            "nothing pending",
        )
    assert flaked == [("F-1", 2)]
    final = [(r["fiche_id"], r["fiche_version"], r["status"]) for r in rows(hub) if r["status"] != "sent"]
    assert final == [("F-1", 1, "dead")]
    assert [a for a in accepted(recipient) if a[0] == "F-1"] == [("F-1", 2), ("F-1", 3)]


@pytest.mark.parametrize("poisons", [["F-3", "F-4"], ["F-3", "F-4", "F-5"]])
def test_poison_fiches_side_by_side_hold_back_none_of_the_others(line, poisons):
    """The recipient refuses two (three) fiches next to each other in its line with a 500.
    Before, the probe after the head's third 500 was the next poison, refused too: the
    line waited, and every later delivery was dead-lettered untried with the head
    (given_up_with_line). Each poison is now dead-lettered alone at its own give-up delay,
    every other fiche arrives, and a poison's later version never goes before it."""
    env, hub, recipient, logs = line

    def choose(document: dict[str, Any]) -> int:
        return 500 if document["source"]["fiche_id"] in poisons else 200

    recipient.choose = choose
    with running([start_worker({**env, "HUB_WEBHOOK_GIVE_UP_AFTER_S": "10"}, logs)]):
        push(hub, range(12))
        wait_until(lambda: len(rows(hub)) == 12, WAIT_S, "12 planned")
        push(hub, [4], version=2)  # behind the second poison in line: never before it
        wait_until(lambda: len(rows(hub)) == 13, WAIT_S, "13 planned")
        wait_until(lambda: "pending" not in {r["status"] for r in rows(hub)}, WAIT_S, "nothing pending")
    planned = [r["fiche_id"] for r in rows(hub)]
    first = planned.index(poisons[0])
    assert planned[first : first + len(poisons)] == poisons  # side by side in the line
    final = {(r["fiche_id"], r["fiche_version"]): (r["status"], r["last_error"]) for r in rows(hub)}
    dead = {key: value for key, value in final.items() if value[0] != "sent"}
    alone = {(fiche_id, 1): ("dead", "http_500") for fiche_id in poisons}  # never with the line
    assert dead == alone | {("F-4", 2): ("dead", "http_500")}
    assert sorted(accepted(recipient)) == sorted(k for k, (status, _) in final.items() if status == "sent")
    assert len(accepted(recipient)) == 12 - len(poisons)
    tried = recipient.tried
    assert tried.index(("F-4", 2)) > len(tried) - 1 - tried[::-1].index(("F-4", 1))
    assert events(hub, "webhook_delivery") == 12 - len(poisons)


@pytest.mark.parametrize("count", [4, 7])
def test_a_stretch_of_poisons_is_got_past_before_its_head_is_given_up(line, count):
    """The recipient refuses four (seven) fiches next to each other in its line with a
    500. Before, each try of the head probed the same next poisons, refused too: nothing
    went past before the head's give-up delay, a stretch of poisons holding the line a
    delay per three. The probes now go past those refused by an earlier try: every other
    fiche arrives while the poisons are pending still, each poison is dead-lettered alone
    at its own give-up delay, and a poison's later version never goes before it."""
    env, hub, recipient, logs = line
    poisons = {f"F-{n}" for n in range(3, 3 + count)}

    def choose(document: dict[str, Any]) -> int:
        return 500 if document["source"]["fiche_id"] in poisons else 200

    recipient.choose = choose
    healthy = {(f"F-{n}", 1) for n in range(count + 7)} - {(p, 1) for p in poisons}
    with running([start_worker({**env, "HUB_WEBHOOK_GIVE_UP_AFTER_S": "20"}, logs)]):
        push(hub, range(count + 7))
        wait_until(lambda: len(rows(hub)) == count + 7, WAIT_S, "all planned")
        push(hub, [5], version=2)  # behind a poison refused as a probe: never before it
        wait_until(lambda: healthy <= set(accepted(recipient)), WAIT_S, "every other fiche")
        waiting = {r["fiche_id"]: r["status"] for r in rows(hub) if r["fiche_version"] == 1}
        wait_until(lambda: "pending" not in {r["status"] for r in rows(hub)}, WAIT_S, "nothing pending")
    assert {fiche_id: waiting[fiche_id] for fiche_id in poisons} == dict.fromkeys(poisons, "pending")
    final = {(r["fiche_id"], r["fiche_version"]): (r["status"], r["last_error"]) for r in rows(hub)}
    dead = {key: value for key, value in final.items() if value[0] != "sent"}
    alone = {(fiche_id, 1): ("dead", "http_500") for fiche_id in poisons}  # never with the line
    assert dead == alone | {("F-5", 2): ("dead", "http_500")}
    assert sorted(accepted(recipient)) == sorted(healthy)
    tried = recipient.tried
    assert tried.index(("F-5", 2)) > len(tried) - 1 - tried[::-1].index(("F-5", 1))
    assert recipient.max_in_flight <= 1
    assert events(hub, "webhook_delivery") == len(healthy)


def test_a_probe_is_found_beyond_a_page_of_deliveries_about_the_refused_fiche(line):
    """60 versions of the fiche the recipient refuses stand between it and the next other
    fiche, more than a page of the line. Before, no probe was found in the head's page:
    the line waited, and F-2 was dead-lettered untried with the head."""
    env, hub, recipient, logs = line
    recipient.choose = failing_on("F-1")
    with running([start_worker({**env, "HUB_WEBHOOK_GIVE_UP_AFTER_S": "30"}, logs)]):
        push(hub, [1])
        wait_until(lambda: len(rows(hub)) == 1, WAIT_S, "F-1 planned")
        for version in range(2, 62):
            push(hub, [1], version=version)
        wait_until(lambda: len(rows(hub)) == 61, WAIT_S, "61 versions of F-1 planned")
        push(hub, [2])
        wait_until(
            lambda: [r["status"] for r in rows(hub) if r["fiche_id"] == "F-2"] not in ([], ["pending"]),
            WAIT_S,
            "F-2 settled",
        )
    assert [r["fiche_id"] for r in rows(hub)] == ["F-1"] * 61 + ["F-2"]
    assert [(r["status"], r["last_error"]) for r in rows(hub) if r["fiche_id"] == "F-2"] == [("sent", None)]
    assert accepted(recipient) == [("F-2", 1)]
    versions = [version for fiche_id, version in recipient.tried if fiche_id == "F-1"]
    assert versions == sorted(versions)  # a later version only once the one before is dead


def test_a_replayed_dead_letter_of_an_erased_fiche_never_wedges_the_line(line):
    """F-1 v1 sent, v2 refused for good (410), then the owner deletes F-1 and the
    recipient replays its dead letters. Before, the replay put the erased v2 back in line
    and the worker's every sending run to the recipient stopped on it (AssertionError,
    logged each second): nothing reached the recipient again. Now the replay settles it
    (`effacees`), and the worker's later deliveries arrive."""
    env, hub, recipient, logs = line
    recipient.choose = lambda document: 410 if (document.get("source") or {}).get("version") == 2 else 200
    with running([start_worker(env, logs)]):
        push(hub, [1])
        wait_until(lambda: ("F-1", 1) in accepted(recipient), WAIT_S, "F-1 v1")
        push(hub, [1], version=2)
        wait_until(lambda: [r["status"] for r in rows(hub)] == ["sent", "dead"], WAIT_S, "v2 dead")
        recipient.choose = None
        erasure.delete_fiche(hub, OWNER, OWNER.member_id, "F-1")
        wait_until(lambda: any(d["evenement"] == "erased" for d in recipient.documents()),
                   WAIT_S, "the erasure notice")
        assert webhooks.replay_dead(hub, member_id=RECIPIENT) == webhooks.Replay(0, 0, erased=1)
        push(hub, [9])
        wait_until(lambda: ("F-9", 1) in accepted(recipient), WAIT_S, "a later fiche")
    assert [(r["fiche_version"], r["status"], r["last_error"]) for r in rows(hub)] == [
        (1, "sent", None), (2, "cancelled", "data_erased"), (None, "sent", None), (1, "sent", None)]
