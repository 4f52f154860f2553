"""Dead letters on both databases with real HTTP recipients: listed by pages with a total,
replayed with a new retry budget, and reached one at a time after a long outage."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from hub import cli
from hub.errors import BadRequest
from hub.services.delivery import webhook_sending, webhooks
from tests.integration.world import fiche, push_and_process

pytestmark = pytest.mark.integration

CCI = "cci-thiers"


def test_dead_letters_come_by_pages_with_a_total_and_a_cursor(network):
    hub, _clock, cci, _pfil = network
    cci.status = 410  # not retried: each delivery is dead-lettered at once
    push_and_process(hub, *[fiche(f"F-{i}") for i in range(7)])
    assert webhooks.dispatch_webhooks(hub).dead >= 7
    seen, after = [], 0
    while True:
        page = webhooks.dead_letter_page(hub, CCI, after=after, limit=3)
        assert page["total"] == 7 and len(page["livraisons"]) <= 3
        seen += [row["id"] for row in page["livraisons"]]
        if page["suivant"] is None:
            break
        after = page["suivant"]
    assert len(seen) == len(set(seen)) == 7
    with pytest.raises(BadRequest):
        webhooks.dead_letter_page(hub, CCI, limit=0)


@pytest.mark.parametrize("limit", [3, 6])
def test_dead_letters_filling_their_pages_exactly_end_on_the_last_full_page(network, limit):
    hub, _clock, cci, _pfil = network
    cci.status = 410
    push_and_process(hub, *[fiche(f"F-{i}") for i in range(6)])
    webhooks.dispatch_webhooks(hub)
    for member in (CCI, None):  # its own line, and the operator's view of everyone's
        total = webhooks.dead_letter_page(hub, member, limit=1000)["total"]
        assert total == 6 or member is None
        first = webhooks.dead_letter_page(hub, member, limit=total if member is None else limit)
        pages = [first]
        while pages[-1]["suivant"] is not None:
            pages.append(webhooks.dead_letter_page(hub, member, after=pages[-1]["suivant"],
                                                   limit=len(first["livraisons"])))
        assert [len(p["livraisons"]) for p in pages] == [len(first["livraisons"])] * len(pages)
        assert sum(len(p["livraisons"]) for p in pages) == total


def _dead_letters_for_the_cli(network, monkeypatch, count: int) -> None:
    """`count` dead letters to the CCI (its endpoint answering 410), and the CLI's
    environment pointing at the hub."""
    hub, _clock, cci, _pfil = network
    cci.status = 410
    push_and_process(hub, *[fiche(f"F-{i}") for i in range(count)])
    webhooks.dispatch_webhooks(hub)
    monkeypatch.setenv("HUB_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", hub.settings.database_url.reveal())


def test_the_dead_letter_command_at_a_page_boundary_offers_no_next_page(network, monkeypatch,
                                                                          capsys):
    _dead_letters_for_the_cli(network, monkeypatch, 4)
    assert cli.main(["deliveries", "dead", "--member", CCI, "--limit", "4"]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 4 and "4" in err and "--after" not in err, err
    last = json.loads(out.splitlines()[1])["id"]
    assert cli.main(["deliveries", "dead", "--member", CCI, "--limit", "2", "--after", str(last)]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 2 and "--after" not in err, err


def test_the_dead_letter_command_says_how_many_there_are_and_how_to_go_on(
        network, monkeypatch, capsys):
    _dead_letters_for_the_cli(network, monkeypatch, 5)
    assert cli.main(["deliveries", "dead", "--member", CCI, "--limit", "2"]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 2 and json.loads(out.splitlines()[0])["destinataire"] == CCI
    assert "5" in err and "--after" in err



def test_the_dead_letter_commands_refuse_an_id_past_the_database_range(network, monkeypatch, capsys):
    """An `--after` or `--id` past 64 bits ended in a traceback (OverflowError on SQLite)."""
    hub, _clock, _cci, _pfil = network
    monkeypatch.setenv("HUB_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", hub.settings.database_url.reveal())
    huge = str(2**64)
    assert cli.main(["deliveries", "dead", "--after", huge]) != 0
    assert cli.main(["deliveries", "replay", "--id", huge]) != 0
    assert "bad_request" in capsys.readouterr().err

def test_a_replayed_delivery_gets_a_whole_new_retry_budget(network):
    hub, clock, cci, _pfil = network
    cci.status = 503
    push_and_process(hub, fiche())
    webhooks.dispatch_webhooks(hub)
    clock.now += dt.timedelta(seconds=hub.settings.webhook_give_up_after_s + 1)
    webhooks.dispatch_webhooks(hub)
    assert len(webhooks.dead_letters(hub, CCI)) == 1
    assert webhooks.replay_dead(hub, member_id=CCI).replayed == 1
    clock.now += dt.timedelta(seconds=1)
    summary = webhooks.dispatch_webhooks(hub)
    assert (summary.failed, summary.dead) == (1, 0)  # retried later, not dead again at once
    assert webhooks.dead_letters(hub, CCI) == []
    cci.status = 200
    clock.now += dt.timedelta(seconds=hub.settings.webhook_retry_max_s)
    webhooks.dispatch_webhooks(hub)
    assert len(cci.documents()) == 1


def test_after_a_long_outage_every_delivery_past_its_give_up_delay_is_dead_lettered_at_once(
        network):
    """An outage (the head's last answer says the recipient is unwell): the deliveries
    queued behind the head past their give-up delay are dead-lettered with it, untried.
    Before, each was tried once more, one per backoff: about 30 minutes per 1,000. (Behind
    a document the recipient refuses, they are not: test_dead_letter_replay_settles.)"""
    hub, clock, cci, _pfil = network
    cci.status = 503
    push_and_process(hub, *[fiche(f"F-{i}") for i in range(5)])
    webhooks.dispatch_webhooks(hub)
    clock.now += dt.timedelta(seconds=hub.settings.webhook_give_up_after_s / 2)
    push_and_process(hub, *[fiche(f"G-{i}") for i in range(2)])  # half their budget left
    posts = len(cci.arrivals)
    events = disclosures(hub)
    clock.now += dt.timedelta(seconds=hub.settings.webhook_give_up_after_s / 2 + 1)
    summary = webhooks.dispatch_webhooks(hub)
    assert len(cci.arrivals) == posts + 1  # the head fails once more: the recipient is down
    assert summary.dead == 5
    dead = webhooks.dead_letters(hub, CCI)
    assert sorted(row["erreur"] for row in dead) == ["given_up_with_line_http_503"] * 4 + ["http_503"]
    assert disclosures(hub) == events  # nothing was disclosed: no access event
    webhooks.dispatch_webhooks(hub)
    assert len(cci.arrivals) == posts + 1  # the next in line waits the backoff, no burst
    cci.status = 200
    clock.now += dt.timedelta(seconds=hub.settings.webhook_retry_max_s)
    webhooks.dispatch_webhooks(hub)
    assert [doc["source"]["fiche_id"] for doc in cci.documents()] == ["G-0", "G-1"]
    assert len(webhooks.dead_letters(hub, CCI)) == 5


def disclosures(hub) -> int:
    return len(hub.audit.search(action="webhook_delivery", member=CCI, limit=100_000))


def test_a_recipient_back_after_an_outage_gets_its_backlog_at_the_capped_rate(network, monkeypatch):
    hub, clock, cci, _pfil = network
    hub = hub.with_settings(webhook_rate_per_recipient=4)
    pace = PaceClock()
    monkeypatch.setattr(webhook_sending, "_pace_clock", pace)
    cci.status = 503
    push_and_process(hub, *[fiche(f"F-{i}") for i in range(5)])
    webhooks.dispatch_webhooks(hub)
    cci.status = 200
    clock.now += dt.timedelta(seconds=hub.settings.webhook_retry_max_s)
    pace.sleeps.clear()
    webhooks.dispatch_webhooks(hub)
    assert len(cci.documents()) == 5
    # Four POSTs a second: after the first, each waits a quarter of a second.
    assert pace.sleeps == [0.25] * 4


def test_by_default_a_recipient_is_sent_its_backlog_as_fast_as_it_answers(network, monkeypatch):
    """Sending is one POST at a time per recipient, so its own answers pace it: no cap
    unless the operator sets one (a cap of 50 a second held every member to a
    twentieth of what a local receiver takes)."""
    hub, _clock, cci, _pfil = network
    pace = PaceClock()
    monkeypatch.setattr(webhook_sending, "_pace_clock", pace)
    push_and_process(hub, *[fiche(f"F-{i}") for i in range(5)])
    webhooks.dispatch_webhooks(hub)
    assert len(cci.documents()) == 5
    assert pace.sleeps == []


class PaceClock:
    """The senders' pacing clock, advanced only by their waits."""

    def __init__(self) -> None:
        self.time, self.sleeps = 1000.0, []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> bool:
        self.sleeps.append(seconds)
        self.time += seconds
        return False


def test_the_dead_letter_commands_name_an_unknown_member_instead_of_finding_nothing(
        network, monkeypatch, capsys):
    """A mistyped member id listed no dead letter and replayed none, both with exit 0: the
    operator read "nothing dead" for a recipient whose deliveries were all dead."""
    hub, _clock, cci, _pfil = network
    cci.status = 410
    push_and_process(hub, fiche("F-1"))
    webhooks.dispatch_webhooks(hub)
    monkeypatch.setenv("HUB_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", hub.settings.database_url.reveal())
    for command in (["dead"], ["replay"], ["replay", "--id", "1"]):
        capsys.readouterr()
        assert cli.main(["deliveries", *command, "--member", "cci-thier"]) == 1
        err = capsys.readouterr().err
        assert "error (unknown_member)" in err and "cci-thier" in err
    assert webhooks.dead_letter_page(hub, CCI)["total"] >= 1  # nothing was replayed


def test_replaying_an_id_that_is_no_dead_letter_names_it_and_fails(network, monkeypatch, capsys):
    """It said "0 put back" and exit 0: the operator could not tell a typo from done."""
    hub, _clock, _cci, _pfil = network
    monkeypatch.setenv("HUB_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", hub.settings.database_url.reveal())
    assert cli.main(["deliveries", "replay", "--id", "999999999"]) == 1
    err = capsys.readouterr().err
    assert "(not_found)" in err and "999999999" in err and "deliveries dead" in err
