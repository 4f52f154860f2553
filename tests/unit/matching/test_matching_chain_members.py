"""A chain join never keeps two members' fiches together on their names alone: a member's
fiche holding a rarer name and an old home, another member's holding the person at her
new home with her e-mail and phone, a third's bridging both (review rev-online of
4936fb4). Within one member's fiches the move the names outweigh still counts
(`decision.moved_on_names`)."""

from __future__ import annotations

from hub.domain.matching import Candidate, default_model, match_one, normalise_record
from hub.domain.matching.chains import may_be_one, porteurs_to_join
from hub.domain.matching.decision import compatible

NAMES = {"nom": "Vidal", "prenom": "Constance"}
CONTACT = {**NAMES, "courriel": "constance.v@exemple.fr", "telephone": "06 61 00 75 29"}
BELLECOUR = {"adresse_ligne": "4 place Bellecour", "code_postal": "69002", "commune": "Lyon"}
PONT = {"adresse_ligne": "3 rue du Pont", "code_postal": "63600", "commune": "Ambert"}
OLD_HOME = normalise_record({**NAMES, **BELLECOUR}, "old-home")
NEW_HOME = normalise_record({**CONTACT, **PONT}, "new-home")
BRIDGE = normalise_record({**CONTACT, **BELLECOUR}, "bridge")
MEMBERS = {"old-home": "cci", "new-home": "commune", "bridge": "pfil"}


def test_the_old_home_and_the_new_are_one_person_only_by_the_names_move():
    model = default_model()
    pair = model.score(OLD_HOME, NEW_HOME)
    assert compatible(pair, model.decision)
    assert not compatible(pair, model.decision, names_move=False)


def test_two_members_fiches_are_not_one_person_on_the_names_move():
    model = default_model()
    records = [BRIDGE, OLD_HOME, NEW_HOME]
    assert may_be_one(records, model)  # one member's fiches: as before
    assert may_be_one(records, model, ["cci", "cci", "cci"])
    assert not may_be_one(records, model, [MEMBERS[r.id] for r in records])
    assert may_be_one(records, model, ["pfil", "cci", "cci"])  # the moved pair one member's


def test_a_bridge_does_not_join_two_members_porteurs_on_the_names_move():
    model = default_model()
    read = [Candidate("cci-s", OLD_HOME), Candidate("commune-s", NEW_HOME)]
    decision = match_one(BRIDGE, read, model)
    assert porteurs_to_join(BRIDGE, decision, read, model)  # one member's: joined
    assert porteurs_to_join(BRIDGE, decision, read, model, "pfil",
                            lambda held: [MEMBERS[c.record.id] for c in held]) == ()
