"""A weak edge: two fiches of one linked component kept apart only by too little evidence
(no veto field different, no household rule, no lines contradicting: `short_of_evidence`)
are held together by a third fiche one person with both (`cluster.outvoted`), in a batch
and online alike. What tells two people apart is never a weak edge: twins, a hostel's
01/01, a father and his son stay apart whatever fiche bridges them
(`test_matching_family_traps`)."""

from __future__ import annotations

import dataclasses
import itertools

from hub.domain.matching.chains import porteur_to_link
from hub.domain.matching.cluster import cluster, one_cluster
from hub.domain.matching.decision import Candidate, compatible, short_of_evidence
from hub.domain.matching.model import MatchModel, default_model
from hub.domain.matching.record import RECORD_FIELDS, normalise_record
from tests.unit.matching.test_matching_agreement import together

_LILAS = {"adresse_ligne": "3 rue des Lilas", "code_postal": "63000", "commune": "Clermont-Ferrand"}


def test_a_weak_edge_is_outvoted_by_a_record_compatible_with_both():
    weak_pair = {0, 2}
    result = cluster(3, [(0, 1, 0.999), (1, 2, 0.998)], lambda i, j: {i, j} != weak_pair, 30,
                     weak=lambda i, j: {i, j} == weak_pair)
    assert result.labels == [0, 0, 0] and result.review_groups == []


def test_a_pair_told_apart_is_never_outvoted():
    result = cluster(3, [(0, 1, 0.999), (1, 2, 0.998)], lambda i, j: {i, j} != {0, 2}, 30,
                     weak=lambda i, j: False)
    assert result.review_groups == [(0, 1, 2)] and result.labels == [0, 0, 2]


def test_a_weak_edge_no_record_vouches_for_splits_the_component():
    """0 is unlike 2 and 3, 1 unlike 3, all for want of evidence: no record is one person
    with both 0 and 3, so the strongest links part them."""
    weak = {frozenset(p) for p in ((0, 2), (0, 3), (1, 3))}
    result = cluster(4, [(0, 1, 0.999), (1, 2, 0.998), (2, 3, 0.997)],
                     lambda i, j: frozenset((i, j)) not in weak, 30,
                     weak=lambda i, j: frozenset((i, j)) in weak)
    assert result.labels[0] != result.labels[3] and result.review_groups
    assert one_cluster([0, 1, 2], lambda i, j: frozenset((i, j)) not in weak,
                       lambda i, j: frozenset((i, j)) in weak)


def _by_probability() -> MatchModel:
    """The shipped model keeping two fiches of one component on the probability alone
    (`poids_min_groupe` null), as a model trained on a French file weighs sparse pairs."""
    model = default_model()
    decision = dataclasses.replace(model.settings.decision, cluster_evidence_bits=None,
                                   cluster_probability=0.6)
    return dataclasses.replace(model, settings=dataclasses.replace(model.settings,
                                                                   decision=decision))


# Each a person's fiches: the first and the last share too little for one cluster alone,
# the middle one links with both.
ONE_PERSON = {
    "a date retyped, the e-mail of the later fiche": [
        {"nom": "Martin", "prenom": "Adélaïde", "date_naissance": "2004-06-02",
         "courriel": "adelaidemartin@gmail.com", "telephone": "0667083831", **_LILAS},
        {"nom": "Martin", "prenom": "Adélaïde", "date_naissance": "2004-02-06",
         "courriel": "adelaide.martin@laposte.net", "telephone": "0667083831", **_LILAS},
        {"nom": "Martin", "prenom": "Adélaïde", "date_naissance": "2004-02-07",
         "courriel": "adelaide.martin@laposte.net", **_LILAS},
    ],
    "a married name, no first name on one fiche": [
        {"nom": "Pinto", "prenom": "Antoinette", "date_naissance": "1980-02-28",
         "courriel": "antoinettepinto@gmail.com", "telephone": "0618500054", **_LILAS},
        {"nom": "Pinto", "prenom": "Antoinette", "date_naissance": "1980-02-19",
         "courriel": "antoinettepinto@gmail.com", "telephone": "0618500054", **_LILAS},
        {"nom": "Durand", "date_naissance": "1980-02-19", **_LILAS},
    ],
}


def _rows(fiches: list[dict[str, str]], group: str) -> list[dict[str, str]]:
    return [{f: "" for f in RECORD_FIELDS} | row | {"id": f"{group}-{k}"}
            for k, row in enumerate(fiches)]


def test_the_first_and_the_last_fiche_are_a_weak_edge():
    model = _by_probability()
    for fiches in ONE_PERSON.values():
        first, last = (normalise_record(fiches[k]) for k in (0, -1))
        explanation = model.score(first, last)
        assert not compatible(explanation, model.decision)
        assert short_of_evidence(explanation, model.decision)


def online_porteurs(rows: list[dict[str, str]], model: MatchModel) -> dict[str, str]:
    """Each row against the rows before it, as the online matcher decides: its link, or
    the porteur a record in review fits (`porteur_to_link`), else a porteur of its own."""
    porteur_of: dict[str, str] = {}
    read: list[Candidate] = []
    for row in rows:
        record = normalise_record(row, row["id"])
        decision = model.pattern_scorer.match_one(record, read)
        chosen = decision.porteur_id if decision.kind == "link" else porteur_to_link(
            record, decision, read, model)
        porteur_of[row["id"]] = chosen or row["id"]
        read.append(Candidate(porteur_of[row["id"]], record))
    return porteur_of


def test_one_persons_fiches_held_by_a_weak_edge_are_one_porteur_online_and_in_batch(tmp_path):
    """The batch keeps each person's three fiches one cluster; online, the last fiche,
    in review against the porteur of the first two (it contradicts none, links the
    second), is linked to it."""
    model = _by_probability()
    rows = [row for n, fiches in enumerate(ONE_PERSON.values()) for row in _rows(fiches, f"p{n}")]
    batch, in_batch, _online = together(rows, model, tmp_path)
    online = online_porteurs(rows, model)
    for n in range(len(ONE_PERSON)):
        assert len({batch[f"p{n}-{k}"] for k in range(3)}) == 1
        assert len({online[f"p{n}-{k}"] for k in range(3)}) == 1
    assert in_batch == {(a, b) for a, b in itertools.combinations(online, 2)
                        if online[a] == online[b]}
