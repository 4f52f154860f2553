"""A name and a birth date alone never disclose one member's data to another (H2): the
worker's identity rule (`decision.lien_par_identite`, with a model whose training saw
no namesakes) would link a member's fiche holding only surname, first name and birth
date to another member's porteur, the member then following that porteur and reading
its fields. Such a link goes to a coordinator; within one member's fiches it stands.
On both databases."""

from __future__ import annotations

import dataclasses

import pytest

from hub.domain.matching import default_model
from hub.domain.matching.decision import compatible, moved
from hub.domain.matching.model import IDENTITY_ONLY_KEY, NAMESAKE_SHARE
from hub.domain.matching.record import normalise_record
from hub.services.delivery.feed import read_feed
from hub.services.ingest import processing
from hub.services.matching import duplicates
from tests.integration.dedup_world import CCI, COMMUNE, PFIL, fiche_of, hub_for, porteur_of, push

pytestmark = pytest.mark.integration

JEAN = {"nom": "Martin", "prenom": "Jean", "date_naissance": "1980-06-01",
        "courriel": "jean.martin@exemple.fr", "telephone": "06 12 34 56 78",
        "adresse": {"ligne": "4 place de l'Hôtel de Ville", "code_postal": "63600",
                    "commune": "Ambert"}}
NAME_AND_BIRTH = {"nom": "Martin", "prenom": "Jean", "date_naissance": "1980-06-01"}


@pytest.fixture
def world(db_url, tmp_path):
    """The shipped model, trained (as far as the rule reads) on a file without namesakes:
    the identity rule on."""
    model = default_model()
    assert model.settings.decision.identity_link
    rule_on = dataclasses.replace(model, training={**model.training, NAMESAKE_SHARE: 0.0})
    assert rule_on.decision.identity_link
    path = tmp_path / "no_namesakes.json"
    path.write_text(rule_on.to_json(), encoding="utf-8")
    yield from hub_for(db_url, tmp_path, matching_model_file=path)


def _commune_s_own(fiche_id: str, porteur: dict) -> dict:
    """The commune's fiche, followed by the commune alone (the factory's names the CCI a
    referent: it would read the fiche whatever the matching)."""
    fiche = fiche_of(COMMUNE, fiche_id, porteur)
    fiche["accompagnement"] = [{**fiche["accompagnement"][0], "structure": COMMUNE.member_id}]
    return fiche


def test_a_name_and_a_birth_date_alone_never_make_another_member_follow_a_porteur(world):
    hub, _clock = world
    push(hub, COMMUNE, _commune_s_own("A-1", JEAN))
    assert read_feed(hub, CCI, 0, 100)["deliveries"] == []
    push(hub, CCI, fiche_of(CCI, "C-1", NAME_AND_BIRTH))
    assert porteur_of(hub, CCI, "C-1") != porteur_of(hub, COMMUNE, "A-1")
    fed = read_feed(hub, CCI, 0, 100)["deliveries"]
    assert all(d.get("porteur_id") != porteur_of(hub, COMMUNE, "A-1") for d in fed)
    assert "jean.martin@exemple.fr" not in str(fed) and "Hôtel de Ville" not in str(fed)
    [item] = duplicates.list_review_items(hub, actor="pnr-livradois-forez")["items"]
    assert [side["porteur_id"] for side in item["cotes"]] == [
        porteur_of(hub, CCI, "C-1"), porteur_of(hub, COMMUNE, "A-1")]
    assert IDENTITY_ONLY_KEY in str(item)


def test_within_one_member_s_fiches_a_name_and_a_birth_date_link(world):
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", JEAN))
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-2", NAME_AND_BIRTH))
    assert porteur_of(hub, COMMUNE, "A-2") == porteur_of(hub, COMMUNE, "A-1")
    assert duplicates.list_review_items(hub, actor="pnr-livradois-forez")["items"] == []


GUESSABLE_PLACES = {
    "commune_and_postcode": {"ligne": "9 rue du Château", "code_postal": "63600",
                             "commune": "Ambert"},
    "commune": {"ligne": "9 rue du Château", "commune": "Ambert"},
    "postcode": {"code_postal": "63600"},
}


@pytest.mark.parametrize("place", sorted(GUESSABLE_PLACES))
def test_a_commune_or_postcode_agreeing_besides_the_identity_goes_to_a_coordinator(world, place):
    """In a territory of 170 communes the commune (or its postcode) is as easy to guess as
    the birth date: the CCI's fiche giving another street of Ambert and no contact never
    links to the commune's porteur, nor reads its e-mail, phone or address."""
    hub, _clock = world
    push(hub, COMMUNE, _commune_s_own("A-1", JEAN))
    push(hub, CCI, fiche_of(CCI, "C-1", {**NAME_AND_BIRTH, "adresse": GUESSABLE_PLACES[place]}))
    assert porteur_of(hub, CCI, "C-1") != porteur_of(hub, COMMUNE, "A-1")
    fed = read_feed(hub, CCI, 0, 100)["deliveries"]
    assert "jean.martin@exemple.fr" not in str(fed) and "Hôtel de Ville" not in str(fed)
    [item] = duplicates.list_review_items(hub, actor="pnr-livradois-forez")["items"]
    assert IDENTITY_ONLY_KEY in str(item)


UNGUESSABLE = {
    "street": {"adresse": {"ligne": "4 place de l'Hôtel de Ville", "code_postal": "63600",
                           "commune": "Ambert"}},
    "email": {"courriel": "jean.martin@exemple.fr"},
    "phone": {"telephone": "06 12 34 56 78"},
}


@pytest.mark.parametrize("known", sorted(UNGUESSABLE))
def test_a_street_or_a_contact_agreeing_besides_the_identity_links_across_members(world, known):
    """The CCI knows the person's street, e-mail or phone: the link stands."""
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", JEAN))
    push(hub, CCI, fiche_of(CCI, "C-1", {**NAME_AND_BIRTH, **UNGUESSABLE[known]}))
    assert porteur_of(hub, CCI, "C-1") == porteur_of(hub, COMMUNE, "A-1")


LYON_JEAN = {**JEAN, "adresse": {"ligne": "4 place Bellecour", "code_postal": "69002",
                                 "commune": "Lyon"}}
AMBERT = {"ligne": "9 rue du Château", "code_postal": "63600", "commune": "Ambert"}
# The CCI's fiches, in order: its own porteur first, then one bridging it to the
# commune's by a name and a birth date (the reviewer's chains, review 16).
CHAINS = {
    "home_then_birth": [{"nom": "Martin", "prenom": "Jean", "adresse": AMBERT},
                        {**NAME_AND_BIRTH, "adresse": AMBERT}],
    "town_then_birth": [
        {"nom": "Martin", "prenom": "Jean", "adresse": {"code_postal": "63600",
                                                        "commune": "Ambert"}},
        {**NAME_AND_BIRTH, "adresse": {"code_postal": "63600", "commune": "Ambert"}}],
    "birth_then_home": [NAME_AND_BIRTH, {"nom": "Martin", "prenom": "Jean", "adresse": AMBERT}],
}


@pytest.mark.parametrize("chain", sorted(CHAINS))
def test_a_chain_through_the_member_s_own_porteur_never_joins_another_s_on_identity_alone(
        world, chain):
    """The move rule (`decision.moved`) and the chain join (`services.matching.chains`)
    must not carry a link of identity alone past the guard: the CCI's fiches at Ambert
    never join the commune's porteur at Lyon, whose e-mail and address it never reads."""
    hub, _clock = world
    push(hub, COMMUNE, _commune_s_own("V-1", LYON_JEAN))
    victim = porteur_of(hub, COMMUNE, "V-1")
    for n, porteur in enumerate(CHAINS[chain], 1):
        push(hub, CCI, fiche_of(CCI, f"X-{n}", porteur))
    victim = porteur_of(hub, COMMUNE, "V-1")
    assert victim not in {porteur_of(hub, CCI, f"X-{n}") for n in range(1, len(CHAINS[chain]) + 1)}
    fed = str(read_feed(hub, CCI, 0, 100)["deliveries"])
    assert "jean.martin@exemple.fr" not in fed and "Bellecour" not in fed and victim not in fed
    items = duplicates.list_review_items(hub, actor="pnr-livradois-forez")["items"]
    if chain != "birth_then_home":  # there the name and birth date came first: H2's case
        assert any(IDENTITY_ONLY_KEY in str(item) and victim in str(item) for item in items)


@pytest.fixture
def shipped(db_url, tmp_path):
    """The shipped model as it is: no identity rule, the probability alone decides."""
    assert not default_model().decision.identity_link
    yield from hub_for(db_url, tmp_path)


KERBIRIOU = {"nom": "Kerbiriou", "prenom": "Maëlys", "date_naissance": "1980-06-01",
             "courriel": "maelys.k@exemple.fr", "telephone": "06 98 76 54 32",
             "adresse": {"ligne": "4 place Bellecour", "code_postal": "69002",
                         "commune": "Lyon"}}


@pytest.mark.parametrize("guess", [
    {"nom": "Kerbiriou", "prenom": "Maëlys", "date_naissance": "1980-06-01"},
    {"nom": "Kerbiriou", "prenom": "Maëlys", "date_naissance": "1980-06-01",
     "adresse": {"ligne": "2 rue du Pont", "code_postal": "63600", "commune": "Ambert"}},
    {"nom": "Kerbiriou", "prenom": "Maëlys", "date_naissance": "1980-06-01",
     "adresse": {"ligne": "place", "code_postal": "69002", "commune": "Lyon"}},
    {"nom": "Kerbiriou", "prenom": "Maëlys", "date_naissance": "1980-06-01",
     "courriel": "maelys.k@exemple.com"},
], ids=["name_and_birth", "and_another_home", "and_a_word_of_the_street_and_the_town",
        "and_the_e_mail_user_at_another_domain"])
def test_on_the_shipped_model_a_rare_name_and_a_birth_date_never_disclose(shipped, guess):
    """The probability alone links a rare surname and first name with one birth date
    (0.99 and more, whatever the places): the CCI's agent, guessing them, followed the
    commune's porteur and read its e-mail, phone and address."""
    hub, _clock = shipped
    push(hub, COMMUNE, _commune_s_own("K-1", KERBIRIOU))
    push(hub, CCI, fiche_of(CCI, "G-1", guess))
    victim = porteur_of(hub, COMMUNE, "K-1")
    assert porteur_of(hub, CCI, "G-1") != victim
    version_2 = _commune_s_own("K-1", KERBIRIOU)
    version_2["version"] = 2
    push(hub, COMMUNE, version_2)
    fed = read_feed(hub, CCI, 0, 100)["deliveries"]
    assert all(d.get("porteur_id") != victim for d in fed)
    assert "maelys.k@exemple.fr" not in str(fed) and "Bellecour" not in str(fed)
    [item] = duplicates.list_review_items(hub, actor="pnr-livradois-forez")["items"]
    assert victim in [side["porteur_id"] for side in item["cotes"]]
    assert IDENTITY_ONLY_KEY in str(item)


@pytest.mark.parametrize("guess", [
    {"nom": "Kerbiriou", "prenom": "Maëlys", "date_naissance": "1980-06-01"},
    {"nom": "Kerbiriou", "prenom": "Maëlys", "date_naissance": "1980-06-01",
     "adresse": {"ligne": "2 rue du Pont", "code_postal": "63600", "commune": "Ambert"}},
], ids=["name_and_birth", "and_another_home"])
def test_a_new_version_reaching_another_member_s_porteur_on_identity_alone_is_flagged(
        shipped, guess):
    """A fiche's new version (`OnlineMatcher.refresh`) opens its review items by the rule a
    new fiche's follow (`decision.identity_alone`): the CCI's fiche, first of someone else,
    now names the commune's porteur by a name and a birth date alone; the item says so, so
    that a coordinator's « same » is not given on what anyone may guess, and nothing links."""
    hub, _clock = shipped
    push(hub, COMMUNE, _commune_s_own("K-1", KERBIRIOU))
    victim = porteur_of(hub, COMMUNE, "K-1")
    push(hub, CCI, fiche_of(CCI, "G-1", {"nom": "Durand", "prenom": "Paul",
                                         "date_naissance": "1975-02-03"}))
    assert duplicates.list_review_items(hub, actor="pnr-livradois-forez")["items"] == []
    push(hub, CCI, fiche_of(CCI, "G-1", guess, version=2))
    assert porteur_of(hub, CCI, "G-1") != victim
    fed = read_feed(hub, CCI, 0, 100)["deliveries"]
    assert all(d.get("porteur_id") != victim for d in fed)
    assert "maelys.k@exemple.fr" not in str(fed) and "Bellecour" not in str(fed)
    [item] = duplicates.list_review_items(hub, actor="pnr-livradois-forez")["items"]
    assert [side["porteur_id"] for side in item["cotes"]] == [porteur_of(hub, CCI, "G-1"), victim]
    assert IDENTITY_ONLY_KEY in str(item)


KERBRAT = {"nom": "Kerbrat", "prenom": "Anne"}
FOCH = {"ligne": "9 avenue Foch", "code_postal": "15000", "commune": "Aurillac"}


def test_a_chain_join_refuses_an_item_of_its_fiche_flagged_identity_alone(shipped):
    """The chain join (`services.matching.chains`) decides every open item of a fiche that
    linked two porteurs, those its later version opened in the same transaction too: the
    CCI's fiche joins its two porteurs of Anne Kerbrat (e-mail; phone and home), and its
    second version, processed with the first, names the commune's Anne Kerbrat by her
    name and birth date alone. Every fiche of the three may be one person, so only the
    item's flag keeps the join from giving the CCI the commune's porteur."""
    hub, _clock = shipped
    push(hub, CCI, fiche_of(CCI, "A-1", {**KERBRAT, "courriel": "anne.kerbrat@exemple.fr"}))
    push(hub, CCI, fiche_of(CCI, "B-1", {**KERBRAT, "telephone": "06 11 22 33 44",
                                         "adresse": FOCH}))
    push(hub, COMMUNE, _commune_s_own("V-1", {**KERBRAT, "date_naissance": "1980-05-12"}))
    victim = porteur_of(hub, COMMUNE, "V-1")
    assert len({porteur_of(hub, CCI, "A-1"), porteur_of(hub, CCI, "B-1"), victim}) == 3
    assert duplicates.list_review_items(hub, actor="pnr-livradois-forez")["items"] == []
    first = push(hub, CCI, fiche_of(CCI, "X-1", {**KERBRAT, "courriel": "anne.kerbrat@exemple.fr",
                                                 "telephone": "06 11 22 33 44",
                                                 "adresse": FOCH}), process=False)
    second = push(hub, CCI, fiche_of(CCI, "X-1", {**KERBRAT, "date_naissance": "1980-05-12",
                                                  "courriel": "anne.kerbrat@exemple.fr"},
                                     version=2), process=False)
    processing.process_outbox(hub, first + second)  # one transaction: both versions
    joined = porteur_of(hub, CCI, "X-1")
    assert porteur_of(hub, CCI, "A-1") == porteur_of(hub, CCI, "B-1") == joined  # the chain
    assert porteur_of(hub, COMMUNE, "V-1") == victim != joined
    assert victim not in str(read_feed(hub, CCI, 0, 100)["deliveries"])
    [item] = duplicates.list_review_items(hub, actor="pnr-livradois-forez")["items"]
    assert [side["porteur_id"] for side in item["cotes"]] == [joined, victim]
    assert item["statut"] == "open" and IDENTITY_ONLY_KEY in str(item)


VIDAL = {"nom": "Vidal", "prenom": "Constance", "date_naissance": "1956-10-01",
         "courriel": "constance.v@exemple.fr", "telephone": "06 61 00 75 29",
         "adresse": {"ligne": "4 place Bellecour", "code_postal": "69002", "commune": "Lyon"}}
VIDAL_NAMES = {"nom": "Vidal", "prenom": "Constance"}
VIDAL_BIRTH = {**VIDAL_NAMES, "date_naissance": "1956-10-01"}
# The CCI's fiches, in order, guessing a rarer name and a birth date (+ a commune): its
# names-only fiche at Ambert and the commune's porteur at Lyon may share a cluster, the
# move counted once (`decision.moved_on_names`), as the chains' bridge did (review 16).
RARE_CHAINS = {
    "home_then_birth": [{**VIDAL_NAMES, "adresse": AMBERT}, {**VIDAL_BIRTH, "adresse": AMBERT}],
    "town_then_birth": [
        {**VIDAL_NAMES, "adresse": {"code_postal": "63600", "commune": "Ambert"}},
        {**VIDAL_BIRTH, "adresse": {"code_postal": "63600", "commune": "Ambert"}}],
    "birth_then_home": [VIDAL_BIRTH, {**VIDAL_NAMES, "adresse": AMBERT}],
    "birth_and_town": [{**VIDAL_NAMES, "adresse": AMBERT},
                       {**VIDAL_BIRTH, "adresse": {"code_postal": "63600", "commune": "Ambert"}}],
}


def _flat(porteur: dict) -> dict:
    home = porteur.get("adresse", {})
    return {**{k: v for k, v in porteur.items() if k != "adresse"},
            "adresse_ligne": home.get("ligne", ""), "code_postal": home.get("code_postal", ""),
            "commune": home.get("commune", "")}


def test_the_rarer_name_s_move_counted_once_may_share_a_cluster_on_the_shipped_model():
    """What the chains below lean on: names alone at Ambert and the person at Lyon are
    compatible (before, only one of the person's own identifiers agreeing made a move)."""
    model = default_model()
    pair = model.score(normalise_record(_flat({**VIDAL_NAMES, "adresse": AMBERT}), "a"),
                       normalise_record(_flat(VIDAL), "b"))
    assert not moved({t.field: t.level for t in pair.terms})
    assert compatible(pair, model.decision)


@pytest.mark.parametrize("chain", sorted(RARE_CHAINS))
def test_on_the_shipped_model_a_rarer_name_moved_once_never_bridges_a_chain(shipped, chain):
    """A member's agent guessing a rarer name and a birth date, with a commune of its own,
    never joins the commune's porteur at Lyon nor reads its e-mail, phone or address,
    however the names-only fiche now shares a cluster across the move."""
    _never_bridged(shipped, RARE_CHAINS[chain])


@pytest.mark.parametrize("chain", sorted(RARE_CHAINS))
def test_with_the_identity_rule_a_rarer_name_moved_once_never_bridges_a_chain(world, chain):
    _never_bridged(world, RARE_CHAINS[chain])


def _never_bridged(world, chain: list[dict]) -> None:
    hub, _clock = world
    push(hub, COMMUNE, _commune_s_own("V-1", VIDAL))
    for n, porteur in enumerate(chain, 1):
        push(hub, CCI, fiche_of(CCI, f"X-{n}", porteur))
    victim = porteur_of(hub, COMMUNE, "V-1")
    assert victim not in {porteur_of(hub, CCI, f"X-{n}") for n in range(1, len(chain) + 1)}
    fed = str(read_feed(hub, CCI, 0, 100)["deliveries"])
    for value in ("constance.v@exemple.fr", "Bellecour", "61 00 75 29", "0661007529", victim):
        assert value not in fed


PONT = {"ligne": "3 rue du Pont", "code_postal": "63600", "commune": "Ambert"}
VIDAL_AT_LYON = {k: v for k, v in VIDAL.items() if k != "date_naissance"}
VIDAL_AT_AMBERT = {**VIDAL, "adresse": PONT}


def _pfil_s_own(fiche_id: str, porteur: dict) -> dict:
    """The PFIL's fiche, followed by the PFIL alone."""
    fiche = fiche_of(PFIL, fiche_id, porteur)
    fiche["accompagnement"] = [{**fiche["accompagnement"][0], "structure": PFIL.member_id}]
    return fiche


def _names_only_move_world(hub, at_lyon: dict = VIDAL_AT_LYON) -> str:
    """The commune holds the person at Lyon (no birth date), the PFIL at Ambert with her
    birth date, e-mail and phone: one porteur, the victim's (returned)."""
    push(hub, COMMUNE, _commune_s_own("V-1", at_lyon))
    push(hub, PFIL, _pfil_s_own("V-2", VIDAL_AT_AMBERT))
    assert porteur_of(hub, PFIL, "V-2") == porteur_of(hub, COMMUNE, "V-1")
    return porteur_of(hub, COMMUNE, "V-1")


def _fed_after_the_guess(hub, victim: str, guess: dict, at_lyon: dict = VIDAL_AT_LYON) -> str:
    """The CCI pushes its guess (never linked to the victim's porteur), then the commune a
    new version of its Lyon fiche: what the CCI's feed holds then."""
    push(hub, CCI, fiche_of(CCI, "X-1", guess))
    assert porteur_of(hub, CCI, "X-1") != victim
    version_2 = _commune_s_own("V-1", at_lyon)
    version_2["version"] = 2
    push(hub, COMMUNE, version_2)
    return str(read_feed(hub, CCI, 0, 100)["deliveries"])


@pytest.mark.parametrize("guess", [
    {**VIDAL_NAMES, "adresse": PONT},
    {**VIDAL_BIRTH, "adresse": {"code_postal": "63600", "commune": "Ambert"}},
    {**VIDAL_NAMES, "adresse": {"ligne": PONT["ligne"]}},
    {**VIDAL_BIRTH, "adresse": PONT},
    {**VIDAL_NAMES, "courriel": "constance.v@exemple.com", "adresse": PONT},
    {**VIDAL_BIRTH, "adresse": VIDAL["adresse"]},
], ids=["names_and_old_home", "names_birth_and_town", "names_and_old_street_alone",
        "names_birth_and_old_home", "names_user_at_another_domain_and_old_home",
        "names_birth_and_the_other_home"])
def test_a_names_only_move_never_makes_another_member_follow_a_porteur(shipped, guess):
    """The commune holds the person at Lyon (no birth date), the PFIL at Ambert with her
    birth date, e-mail and phone: one porteur. The CCI's agent guesses the rarer name and
    her old home: the fiche links to the Ambert fiche, and the Lyon fiche, sharing none of
    the person's own identifiers with it, was kept compatible by the names' weight alone
    (`decision.moved_on_names`, a rule for one member's clusters): the CCI followed the
    porteur and read its e-mail, phone and new address (review rev9)."""
    hub, _clock = shipped
    victim = _names_only_move_world(hub)
    fed = _fed_after_the_guess(hub, victim, guess)
    for value in ("constance.v@exemple.fr", "Bellecour", "61 00 75 29", "0661007529", victim):
        assert value not in fed


def test_a_chain_join_never_bridges_another_member_s_porteur_on_names_alone(shipped):
    """The CCI's agent pushes the rarer name at her old home (Lyon); the commune holds her
    at Ambert with her e-mail and phone; the PFIL's fiche at Lyon with her e-mail and
    phone links to both porteurs, and the chain join (`join_chains`) kept the CCI's fiche
    and the commune's together on the names' weight alone (`decision.moved_on_names`, a
    rule for one member's clusters): the commune's next version reached the CCI's feed
    with her new address (review rev-online of 4936fb4)."""
    hub, _clock = shipped
    contact = {**VIDAL_NAMES, "courriel": "constance.v@exemple.fr",
               "telephone": "06 61 00 75 29"}
    push(hub, CCI, fiche_of(CCI, "X-1", {**VIDAL_NAMES, "adresse": VIDAL["adresse"]}))
    push(hub, COMMUNE, _commune_s_own("V-1", {**contact, "adresse": PONT}))
    push(hub, PFIL, _pfil_s_own("V-2", {**contact, "adresse": VIDAL["adresse"]}))
    victim = porteur_of(hub, COMMUNE, "V-1")
    assert porteur_of(hub, CCI, "X-1") != victim
    version_2 = _commune_s_own("V-1", {**contact, "adresse": PONT})
    version_2["version"] = 2
    push(hub, COMMUNE, version_2)
    fed = str(read_feed(hub, CCI, 0, 100)["deliveries"])
    assert "Pont" not in fed and victim not in fed  # the PFIL's fiche shares its street




@pytest.mark.parametrize("guess", [
    {**VIDAL_NAMES, "adresse": PONT},
    {**VIDAL_BIRTH, "adresse": PONT},
    {**VIDAL_NAMES, "adresse": {"ligne": PONT["ligne"]}},
], ids=["names_and_old_home", "names_birth_and_old_home", "names_and_old_street_alone"])
def test_a_review_item_reaching_the_person_s_other_home_says_what_to_check(shipped, guess):
    """The item a names-only move opens (`OnlineMatcher._moved_away`) may agree
    street-exact on the old home: it carried no flag, and the coordinator saw a plain
    pair. It is flagged `autre_domicile_a_verifier`, with its line, in the API's item and
    in the console's reason for waiting."""
    from hub.domain.matching.model import MOVED_AWAY_FR, MOVED_AWAY_KEY
    from hub.services.console.duplicates_console import waiting_reason

    hub, _clock = shipped
    victim = _names_only_move_world(hub)
    push(hub, CCI, fiche_of(CCI, "X-1", guess))
    items = duplicates.list_review_items(hub, actor="pnr-livradois-forez")["items"]
    [item] = [i for i in items if victim in [side["porteur_id"] for side in i["cotes"]]]
    assert item["explication"][MOVED_AWAY_KEY] is True
    assert MOVED_AWAY_FR in item["explication"]["lignes"]
    assert "autre adresse" in waiting_reason(item["explication"])


@pytest.mark.parametrize("guess", [
    {**VIDAL_NAMES, "prenom": "Constanse", "adresse": PONT},
    {**VIDAL_BIRTH, "prenom": "Constanse", "adresse": PONT},
    {**VIDAL_NAMES, "prenom": "Constance Marie", "adresse": PONT},
    {**VIDAL_NAMES, "nom": "Vidall", "adresse": PONT},
], ids=["first_name_a_letter_off", "first_name_off_with_birth", "compound_first_name",
        "surname_a_letter_off"])
def test_a_name_typed_a_letter_off_is_no_way_around_the_other_home(shipped, guess):
    """The other-home check (`OnlineMatcher._moved_away`) asked the names to agree exactly
    or closely (`decision.moved_home`): a guessed first name typed a letter off
    ("Constanse") or with a second name was only fuzzy, the check did not hold, and the
    guess at the person's old home linked to her porteur; the commune's next version
    brought the CCI her new address, e-mail and phone (review rev-mend11). Whatever the
    names' level, a fiche of the porteur at another home sharing no unguessable contact
    with the guess keeps it out."""
    hub, _clock = shipped
    victim = _names_only_move_world(hub)
    fed = _fed_after_the_guess(hub, victim, guess)
    for value in ("constance.v@exemple.fr", "Bellecour", "61 00 75 29", "0661007529", victim):
        assert value not in fed


LYON_IN_PART = {"postcode_and_town": {"code_postal": "69002", "commune": "Lyon"},
                "town_alone": {"commune": "Lyon"}, "postcode_alone": {"code_postal": "69002"}}
OLD_STREET_GUESSES = {
    "names_and_old_street": {**VIDAL_NAMES, "adresse": {"ligne": PONT["ligne"]}},
    "birth_and_old_street": {**VIDAL_BIRTH, "adresse": {"ligne": PONT["ligne"]}},
    "old_street_and_town": {**VIDAL_NAMES, "adresse": {"ligne": PONT["ligne"],
                                                       "commune": "Ambert"}},
    "old_street_and_postcode": {**VIDAL_BIRTH, "adresse": {"ligne": PONT["ligne"],
                                                           "code_postal": "63600"}},
}


@pytest.mark.parametrize("home", sorted(LYON_IN_PART))
@pytest.mark.parametrize("guess", sorted(OLD_STREET_GUESSES))
def test_a_home_given_in_part_is_another_home_all_the_same(shipped, home, guess):
    """The commune holds the person at Lyon with her e-mail and phone but no street line
    (a town, a postcode, or both), the PFIL at 3 rue du Pont, Ambert: one porteur. The
    CCI's guess of her names and old street (with no town, or the part of the town the
    Lyon fiche lacks) compared "missing" with the Lyon fiche, never "different": the
    other-home check did not hold, the guess linked on the old street, and the commune's
    next version brought the CCI her e-mail, phone and town (review of d2cfcb8)."""
    hub, _clock = shipped
    at_lyon = {**{k: v for k, v in VIDAL_AT_LYON.items() if k != "adresse"},
               "adresse": LYON_IN_PART[home]}
    victim = _names_only_move_world(hub, at_lyon)
    fed = _fed_after_the_guess(hub, victim, OLD_STREET_GUESSES[guess], at_lyon)
    for value in ("constance.v@exemple.fr", "61 00 75 29", "0661007529", "Lyon", "69002",
                  victim):
        assert value not in fed


def test_a_member_that_knows_the_person_s_e_mail_links_whatever_her_other_homes(shipped):
    """The guard is for guesses: a member whose fiche gives the person's e-mail as written
    (`contact_agrees_unguessed` with one of the porteur's fiches) knows her, and links to
    her porteur although another of its fiches is at another home and shares no contact
    with it."""
    hub, _clock = shipped
    victim = _names_only_move_world(hub)
    push(hub, PFIL, _pfil_s_own("V-3", {**VIDAL_BIRTH, "adresse": PONT}))
    assert porteur_of(hub, PFIL, "V-3") == victim
    push(hub, CCI, fiche_of(CCI, "X-1", VIDAL_AT_LYON))
    assert porteur_of(hub, CCI, "X-1") == victim
