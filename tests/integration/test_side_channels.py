"""Side channels an outside sweep of a running hub found open: what a member could learn
of others (their activity, their notices, the network's volume) or receive beyond its
territory. Each test checks the class, through real HTTP against the app."""

from __future__ import annotations

import pytest

from tests.integration.contract_world import NETWORK, OWNER, RECIPIENT

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("communes", [["43048"], ["63003", "43048"]])
def test_a_member_with_a_territory_cannot_subscribe_beyond_it(contract, communes):
    """A commune (territory 63003) subscribing to another territory's communes received
    every fiche of those porteurs: refused, naming the communes outside, and nothing
    changes."""
    response = contract.call(OWNER, "PUT", "/v1/subscriptions",
                             {"abonnements": [{"besoins": ["financement"]},
                                              {"communes": communes}]})
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "outside_territory"
    assert "43048" in error["message_fr"] and "63003" not in error["message_fr"]
    assert "territoire" in error["message_fr"] and "territory" in error["message_en"]
    kept = contract.call(OWNER, "GET", "/v1/subscriptions").json()
    assert kept["abonnements"] == [{"communes": ["63003"]}]


def test_a_member_subscribes_within_its_territory_and_the_network_wide_ones_anywhere(contract):
    """The territory bounds communes only; a member without a declared territory (a
    CCI, a chamber: network-wide) and the coordination subscribe to any commune."""
    within = {"abonnements": [{"communes": ["63003"], "besoins": ["financement"]},
                              {"stades": ["idee"]}]}
    assert contract.call(OWNER, "PUT", "/v1/subscriptions", within).status_code == 200
    anywhere = {"abonnements": [{"communes": ["43048", "63003"]}]}
    for member in (RECIPIENT, NETWORK):
        response = contract.call(member, "PUT", "/v1/subscriptions", anywhere)
        assert response.status_code == 200, response.text


def _push_from_the_cci(contract, fiche_id: str, commune: str) -> None:
    from hub.services.accounts.auth import Caller
    from hub.services.ingest import accept as ingest
    from hub.services.ingest import processing
    from tests.factories import make_fiche, record_consents

    fiche = make_fiche(member=RECIPIENT, fiche_id=fiche_id)
    fiche["projet"]["commune_implantation"]["code_insee"] = commune
    fiche["porteur"]["adresse"]["code_insee"] = commune
    record_consents(contract.hub, [fiche])
    caller = Caller(RECIPIENT, "", "cci", "accompagnement")
    assert ingest.push_batch(contract.hub, caller, [fiche])["accepted"] == 1
    processing.process_outbox(contract.hub, contract.hub.publisher.published[-1])


@pytest.mark.parametrize("subscription", [{"besoins": ["financement"]},
                                          {"communes": [], "besoins": ["financement"]}])
def test_a_subscription_naming_no_commune_stays_within_the_member_s_territory(
        contract, subscription):
    """A subscription naming no commune matched every commune: a commune (territory
    63003) subscribing to a need received the fiches of another territory. It now means
    "my territory": the fiche in Ambert comes, the one in 43048 does not."""
    answer = contract.call(OWNER, "PUT", "/v1/subscriptions", {"abonnements": [subscription]})
    assert answer.status_code == 200, answer.text
    _push_from_the_cci(contract, "F-LOIN", "43048")
    _push_from_the_cci(contract, "F-ICI", "63003")
    feed = contract.call(OWNER, "GET", "/v1/feed?after=0").json()["deliveries"]
    assert [d["fiche"]["fiche_id"] for d in feed] == ["F-ICI"]


def test_subscriptions_stored_before_the_bound_are_bounded_too(contract):
    """The bound is applied when routing, not only when subscribing: a subscription
    stored without communes (before this release) matches only the member's territory."""
    with contract.hub.uow() as uow:
        uow.deliveries.replace_subscriptions(OWNER, [{"besoins": ["financement"]}], "api",
                                             contract.hub.clock())
        uow.commit()
    _push_from_the_cci(contract, "F-LOIN", "43048")
    assert contract.call(OWNER, "GET", "/v1/feed?after=0").json()["deliveries"] == []


NOTICE = {"texte": "Vos données servent à vous orienter vers les membres du réseau.",
          "langue": "fr", "finalites": ["orientation"]}


@pytest.mark.parametrize("terms", [{}, {"langue": "en"}, {"finalites": ["accompagnement"]}])
def test_a_member_registering_another_member_s_notice_text_gets_its_own(contract, terms):
    """The same text registered by a member answered that member's notice (its version,
    its date, its name) with 200, or a 409 naming its version when the terms differed:
    whether another member registered a text, and when. Each member gets its own notice,
    created (201) under its own terms."""
    theirs = contract.call(RECIPIENT, "POST", "/v1/notices", NOTICE).json()
    mine = contract.call(OWNER, "POST", "/v1/notices", NOTICE | terms)
    assert mine.status_code == 201, mine.text
    assert mine.json()["membre"] == OWNER and mine.json()["version"] != theirs["version"]
    assert mine.json()["empreinte"] == theirs["empreinte"]  # the text's SHA-256, as cited
    again = contract.call(OWNER, "POST", "/v1/notices", NOTICE | terms)
    assert (again.status_code, again.json()) == (200, mine.json())
    listed = contract.call(OWNER, "GET", "/v1/notices").json()["notices"]
    assert [n["version"] for n in listed] == [mine.json()["version"]]


def test_reading_another_member_s_notice_by_version_shows_the_text_not_who_registered_it(contract):
    """Any member reads a notice by version (a consent it received data under cites it):
    the text, language, purposes and SHA-256, never who registered it nor when."""
    theirs = contract.call(RECIPIENT, "POST", "/v1/notices", NOTICE).json()
    read = contract.call(OWNER, "GET", f"/v1/notices/{theirs['version']}")
    assert read.status_code == 200, read.text
    shown = read.json()
    assert {k: shown[k] for k in ("version", "empreinte", "texte", "langue", "finalites")} == {
        k: theirs[k] for k in ("version", "empreinte", "texte", "langue", "finalites")}
    assert shown.get("membre") is None and shown.get("enregistree_le") is None
    own = contract.call(RECIPIENT, "GET", f"/v1/notices/{theirs['version']}").json()
    assert own == theirs


class _Api:
    """The app over `network`'s hub, each request signed with the member's credentials."""

    def __init__(self, hub, folder):
        from fastapi.testclient import TestClient

        from hub.api.app import create_app

        self.client = TestClient(create_app(hub=hub), raise_server_exceptions=False)
        self.folder = folder

    def call(self, name: str, method: str, target: str):
        from tests.factories import Credentials

        headers = Credentials(self.folder / f"{name}.json").rfc9421_headers(method, target, b"")
        return self.client.request(method, target, content=b"", headers=headers)


@pytest.fixture
def dead_world(network, tmp_path):
    """Three fiches dead-lettered at the CCI and at the PFIL (both answer 410)."""
    from hub.services.delivery import webhooks
    from tests.integration.world import fiche, push_and_process

    hub, _clock, cci, pfil = network
    cci.status = pfil.status = 410
    push_and_process(hub, *[fiche(f"F-{i}") for i in range(3)])
    assert webhooks.dispatch_webhooks(hub).dead == 6
    with _Api(hub, tmp_path / "creds") as api:
        yield hub, api


_Api.__enter__ = lambda self: self  # type: ignore[attr-defined]
_Api.__exit__ = lambda self, *exc: self.client.close()  # type: ignore[attr-defined]
CCI, PFIL, COORDINATION = "cci-thiers", "pfil-livradois", "pnr-livradois"


def test_dead_letters_number_each_member_s_own_deliveries_not_the_network_s(dead_world):
    """The ids were the hub's global delivery numbers: the gaps between a member's told
    how many deliveries others got meanwhile. Each member's are its own feed positions."""
    _hub, api = dead_world
    pages = {m: api.call(m, "GET", "/v1/deliveries/dead").json() for m in (CCI, PFIL)}
    ids = {m: [line["id"] for line in page["livraisons"]] for m, page in pages.items()}
    assert ids[CCI] == ids[PFIL] and len(ids[CCI]) == 3
    replayed = api.call(CCI, "POST", f"/v1/deliveries/replay?delivery_id={ids[CCI][0]}")
    assert replayed.json() == {"rejouees": 1, "remplacees": 0, "effacees": 0}
    left = api.call(PFIL, "GET", "/v1/deliveries/dead").json()["livraisons"]
    assert [line["id"] for line in left] == ids[PFIL]  # the PFIL's were not touched


def test_a_replay_of_a_position_past_the_member_s_last_is_a_clear_400(dead_world):
    """A client still sending the hub's old global delivery numbers (`id` before this
    release) replayed nothing and was answered 200 `rejouees: 0`: a number past the
    member's own last position is now refused, saying what the id is."""
    _hub, api = dead_world
    last = max(line["id"] for line in api.call(CCI, "GET", "/v1/deliveries/dead").json()[
        "livraisons"])
    for target in (f"/v1/deliveries/replay?delivery_id={last + 1}",
                   f"/v1/deliveries/replay?membre={CCI}&delivery_id={last + 1}"):
        caller = CCI if "membre" not in target else COORDINATION
        refused = api.call(caller, "POST", target)
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert "position" in error["message_fr"] and "position" in error["message_en"]
        assert str(last) not in error["message_fr"]
    assert api.call(CCI, "POST", f"/v1/deliveries/replay?delivery_id={last}").json() == {
        "rejouees": 1, "remplacees": 0, "effacees": 0}


def test_a_delivery_id_does_not_give_away_the_hub_s_version_numbers(dead_world):
    """The delivery id (webhook-id, `delivery_id`) was SHA-256 of the recipient, the
    fiche version's global number and the event: a recipient found the number by trying
    them all, hence the network's volume. It is keyed by a secret of the hub."""
    import hashlib

    _hub, api = dead_world
    ids = {line["delivery_id"] for line in api.call(CCI, "GET", "/v1/deliveries/dead").json()[
        "livraisons"]}
    assert len(ids) == 3
    guesses = {hashlib.sha256(f"{CCI}|{number}|{event}".encode()).hexdigest()[:40]
               for number in range(1, 2000) for event in ("created", "updated")}
    assert not ids & guesses


def test_the_coordination_sees_which_members_fail_not_whom_their_deliveries_were_about(
        dead_world):
    """It names a member to read its dead letters (the counts per member tell it whom
    to call) and replays them; never the porteur of another member's delivery."""
    _hub, api = dead_world
    own = api.call(COORDINATION, "GET", "/v1/deliveries/dead").json()
    assert own["total"] == 0 and own["par_membre"] == {CCI: 3, PFIL: 3}
    page = api.call(COORDINATION, "GET", f"/v1/deliveries/dead?membre={CCI}").json()
    assert page["total"] == 3 and {line["destinataire"] for line in page["livraisons"]} == {CCI}
    assert all(line["porteur_id"] is None for line in page["livraisons"])
    first = page["livraisons"][0]["id"]
    replayed = api.call(COORDINATION, "POST",
                        f"/v1/deliveries/replay?membre={CCI}&delivery_id={first}")
    assert replayed.json() == {"rejouees": 1, "remplacees": 0, "effacees": 0}
    refused = api.call(PFIL, "GET", f"/v1/deliveries/dead?membre={CCI}")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    refused = api.call(PFIL, "POST", f"/v1/deliveries/replay?membre={CCI}")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
