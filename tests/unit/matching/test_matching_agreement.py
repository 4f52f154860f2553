"""Online and batch decisions agree on the same data: the worker's path (each record in
turn against an index of the records before it, keys over the cap skipped, `match_one`)
and `capactif dedup` (blocking, pattern scoring, clustering) put the same records
together, with the shipped model."""

from __future__ import annotations

import csv
import dataclasses
import itertools

import pytest

from capactif_demo.population import Population, retyped, sparse
from hub.domain.matching import (
    Candidate,
    ceilings,
    cluster,
    default_model,
    match_one,
    normalise_record,
    pair_kind,
    scoring,
)
from hub.domain.matching import record_blocking_keys as keys_of
from hub.domain.matching.chains import may_be_one, porteur_to_link, porteurs_to_join
from hub.domain.matching.decision import compatible, unknown_between
from hub.domain.matching.model import DEFAULT_MODEL_FILE, MatchModel
from hub.domain.matching.record import RECORD_FIELDS, NormalisedRecord
from hub.domain.matching.scoring import PatternScorer
from hub.services.matching.dedup_batch import run_batch

CAP = 50


def _rows(persons: int) -> list[dict[str, str]]:
    """Each person typed once, twice (retyped) or three times (and a sparse note)."""
    population, rows = Population(seed=3), []
    for n in range(persons):
        person = population.porteur()
        for k, typed in enumerate((person, retyped(person), sparse(person))[: 1 + n % 3]):
            address = typed.get("adresse") or {}
            rows.append({"id": f"{n}-{k}", **{f: typed.get(f, "") for f in (
                "nom", "nom_naissance", "prenom", "date_naissance", "courriel", "telephone")},
                "adresse_ligne": address.get("ligne", ""),
                "code_postal": address.get("code_postal", ""), "commune": address.get("commune", "")})
    return rows


def _typo_heavy() -> MatchModel:
    """The shipped model as trained on typo-heavy data would be: every veto lifted, so
    records of one linked component stay together down to `poids_min_groupe_sans_veto`."""
    model = default_model()
    decision = dataclasses.replace(model.settings.decision, veto_max_m=1e-9)  # > 0: schema
    lifted = dataclasses.replace(model, settings=dataclasses.replace(model.settings,
                                                                     decision=decision))
    assert lifted.decision.cluster_evidence() == -12.0
    return lifted


def _online(rows: list[dict[str, str]], model: MatchModel | None = None) -> dict[str, str]:
    model, index, porteur_of = model or default_model(), {}, {}
    for row in rows:
        record = normalise_record(row, row["id"])
        keys = keys_of(record, model)
        candidates = {r.id: Candidate(pid, r) for key in keys if len(index.get(key, ())) <= CAP
                      for pid, r in index.get(key, ())}
        decision = model.pattern_scorer.match_one(record, list(candidates.values()))
        porteur_of[row["id"]] = decision.porteur_id if decision.kind == "link" else row["id"]
        for key in keys:
            index.setdefault(key, []).append((porteur_of[row["id"]], record))
    return porteur_of


def _retyped_apart() -> list[dict[str, str]]:
    """One person typed three times: the second shares the first's e-mail and the third's
    phone and address; the first and the third (another surname, day and month exchanged,
    nothing else shared) weigh a few bits against one person (`_weighs_a_little_against`)."""
    anne = {"nom": "Kerbrat", "prenom": "Anne", "date_naissance": "1980-05-12",
            "adresse_ligne": "3 rue Haute", "code_postal": "63000", "commune": "Riom",
            "courriel": "anne.kerbrat@example.org"}
    moved = {**anne, "adresse_ligne": "9 avenue Foch", "code_postal": "15100",
             "commune": "Aurillac", "telephone": "0611223344"}
    retyped = {**moved, "nom": "Kerbrat-Dupont", "date_naissance": "1980-12-05", "courriel": ""}
    return [{f: "" for f in RECORD_FIELDS} | row | {"id": f"A-{n}"}
            for n, row in enumerate((anne, moved, retyped))]


def _weighs_a_little_against(model: MatchModel, rows: list[dict[str, str]]) -> bool:
    first, third = (normalise_record(row, row["id"]) for row in (rows[0], rows[2]))
    explanation = model.score(first, third)
    return -12 < explanation.total_weight - explanation.prior_weight < 0


def together(rows: list[dict[str, str]], model: MatchModel, tmp_path
             ) -> tuple[dict[str, str], set[tuple[str, str]], set[tuple[str, str]]]:
    """`capactif dedup` of the rows under the model (the shipped file, or the model
    written beside them) and the online matcher (each row against the rows before it):
    the batch's cluster of each row, the pairs the batch puts together, those the
    online matcher does."""
    with (tmp_path / "people.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, RECORD_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    model_file = DEFAULT_MODEL_FILE
    if model is not default_model():
        model_file = tmp_path / "model.json"
        model_file.write_text(model.to_json(), encoding="utf-8")
    run_batch(tmp_path / "people.csv", tmp_path / "clusters.csv", model_path=model_file)
    with (tmp_path / "clusters.csv").open(encoding="utf-8") as result:
        batch = {row["id"]: row["cluster_id"] for row in csv.DictReader(result)}
    online = _online(rows, model)
    pairs = list(itertools.combinations([row["id"] for row in rows], 2))
    return (batch, {(a, b) for a, b in pairs if batch[a] == batch[b]},
            {(a, b) for a, b in pairs if online[a] == online[b]})


@pytest.mark.parametrize("typo_heavy", [False, True], ids=["shipped", "every-veto-lifted"])
def test_online_and_batch_put_the_same_records_together(tmp_path, typo_heavy):
    """With every veto lifted, a component holds a pair held to `poids_min_groupe_sans_veto`
    (-12 bits) rather than `poids_min_groupe` (0): both paths keep it together."""
    apart = _retyped_apart()
    rows = _rows(120) + (apart if typo_heavy else [])
    model = _typo_heavy() if typo_heavy else default_model()
    batch, together_batch, together_online = together(rows, model, tmp_path)
    assert together_batch == together_online
    assert len(together_batch) >= 60  # the retyped fiches are linked, not only left apart
    if typo_heavy:
        assert _weighs_a_little_against(model, apart)
        assert len({batch[row["id"]] for row in apart}) == 1


def _candidates(index: dict, keys: list[str]) -> list[Candidate]:
    """The records the index holds under the keys within the cap, each once."""
    return list({r.id: Candidate(pid, r) for key in keys if len(index.get(key, ())) <= CAP
                 for pid, r in index.get(key, ())}.values())


def _both_paths_agree(persons: int, model: MatchModel | None = None) -> int:
    """Each record of a population against the records before it (as the index holds
    them), by `match_one` and by the pattern path: the same decision, explanation
    included. Answers how many candidates were given."""
    model, index, given = model or default_model(), {}, 0
    for row in _rows(persons):
        record = normalise_record(row, row["id"])
        keys = keys_of(record, model)
        candidates = _candidates(index, keys)
        expected = match_one(record, candidates, model)
        assert PatternScorer(model).match_one(record, candidates) == expected
        given += len(candidates)
        porteur = expected.porteur_id if expected.kind == "link" else row["id"]
        for key in keys:
            index.setdefault(key, []).append((porteur, record))
    return given


def test_the_pattern_path_decides_as_match_one_to_the_last_bit():
    """The online matcher's path (`PatternScorer.match_one`: each pair judged by its
    pattern, only the best explained) gives `match_one`'s decision, explanation included,
    on every record of a population against the records before it."""
    assert _both_paths_agree(150) > 300
    assert _both_paths_agree(150, _typo_heavy()) > 300


def test_the_pattern_path_compares_in_full_only_the_pairs_that_may_decide(monkeypatch):
    """A candidate whose fields other than the names leave it below every threshold, even
    with the names at their best, is not compared in full (unless it could still be the
    best of a record matching no one: the decision names the best pair's probability);
    the decisions stay `match_one`'s, explanation and probability included."""
    compared = []
    full = scoring.compare_records
    monkeypatch.setattr(scoring, "compare_records",
                        lambda *args: compared.append(1) or full(*args))
    given = _both_paths_agree(1000)
    assert given > 5000
    assert len(compared) < given * 0.7


def test_a_porteur_found_new_is_decided_without_its_best_pair_when_not_asked(monkeypatch):
    """The worker keeps nothing of a new porteur's closest pair: asked without
    `best_new`, the pattern path compares in full only the pairs that may link or go to
    review, and its decisions are `match_one`'s (link and review whole: probability,
    explanation, conflicts; a new porteur by its kind)."""
    compared = []
    full = scoring.compare_records
    monkeypatch.setattr(scoring, "compare_records",
                        lambda *args: compared.append(1) or full(*args))
    shipped = default_model()
    # the sparse notes (names and a place) go to review under the shipped settings and
    # link under a thin link bound: both models, so that every kind is met
    thin_linked = dataclasses.replace(shipped, settings=dataclasses.replace(
        shipped.settings, decision=dataclasses.replace(
            shipped.settings.decision, thin_link_probability=0.99)))
    given, kinds = 0, set()
    for model in (shipped, thin_linked):
        index: dict[str, list[tuple[str, NormalisedRecord]]] = {}
        for row in _rows(1000):
            record = normalise_record(row, row["id"])
            keys = keys_of(record, model)
            candidates = _candidates(index, keys)
            expected = PatternScorer(model).match_one(record, candidates)
            decision = model.pattern_scorer.match_one(record, candidates, best_new=False)
            assert decision == expected if expected.kind != "new" else decision.kind == "new"
            given, kinds = given + len(candidates), kinds | {expected.kind}
            porteur = expected.porteur_id if expected.kind == "link" else row["id"]
            for key in keys:
                index.setdefault(key, []).append((porteur, record))
    model = shipped
    compared.clear()
    for row in _rows(300)[:300]:  # records matching no one: nothing to compare in full
        record = normalise_record({**row, "id": "x"}, "x")
        stranger = normalise_record({"nom": "Zyx", "prenom": "Qwv", "date_naissance": "1901-01-01",
                                     "code_postal": "97133"}, "y")
        model.pattern_scorer.match_one(record, [Candidate("p", stranger)], best_new=False)
    assert kinds == {"link", "review", "new"} and given > 5000
    assert compared == []


_BY_MAIL = {"nom": "Kerbrat", "prenom": "Anne", "date_naissance": "1980-05-12",
            "courriel": "anne.kerbrat@exemple.fr"}
_BY_PHONE = {"nom": "Kerbrat", "prenom": "Anne", "telephone": "0611223344",
             "adresse": {"ligne": "9 avenue Foch", "code_postal": "15000", "commune": "Aurillac"}}
_FATHER = {**_BY_MAIL, "telephone": "0611223344", "adresse": _BY_PHONE["adresse"]}
_SON = {**_BY_PHONE, "telephone": "0699887766"}


@pytest.mark.parametrize("first, second, bridge", [
    (_BY_MAIL, _BY_PHONE, {**_BY_MAIL, **_BY_PHONE}),  # one person: joined
    (_FATHER, _SON, {**_BY_MAIL, "adresse": _BY_PHONE["adresse"]}),  # with the father
    (_BY_MAIL, {**_BY_PHONE, "nom": "Kerbart"}, {**_BY_MAIL, **_BY_PHONE}),
    ({**_FATHER, "date_naissance": "1955-02-03", "courriel": "jm.kerbrat@exemple.fr"},
     {**_SON, "date_naissance": "1985-07-08"},
     {"nom": "Kerbrat", "prenom": "Anne", "adresse": _BY_PHONE["adresse"]}),  # either one
], ids=["one-person", "father-and-son", "a-surname-typed", "either-person"])
def test_a_bridge_arriving_last_goes_where_the_batch_clusters_it(first, second, bridge):
    """Two records that do not link, then one linking to both: the online path (the two
    porteurs joined: `porteurs_to_join` on what the fiche read, `may_be_one` on every fiche;
    else linked to the best it fits: `porteur_to_link`; else review) puts the three where
    the batch's clustering does (one cluster; the bridge with its strongest part; the
    bridge alone, either person)."""
    model = default_model()
    records = [normalise_record(r, str(n)) for n, r in enumerate((first, second, bridge))]
    explained = {(i, j): model.score(records[i], records[j])
                 for i, j in itertools.permutations(range(3), 2)}
    links = [(i, j, e.probability) for (i, j), e in explained.items()
             if i < j and pair_kind(e, model.decision) == "link"]
    assert [(i, j) for i, j, _p in links] == [(0, 2), (1, 2)]  # the bridge, and only it

    def may_be_same(i: int, j: int) -> bool:
        return compatible(explained[i, j], model.decision)

    def either_person(x: int, p: int, q: int) -> bool:
        return unknown_between(explained[x, p], explained[p, q], model.decision)

    batch = cluster(3, links, may_be_same, model.settings.decision.max_group_size,
                    either_person).labels
    read = [Candidate("0", records[0]), Candidate("1", records[1])]
    decision = match_one(records[2], read, model)
    if porteurs_to_join(records[2], decision, read, model) and may_be_one(records, model):
        online = ["0", "0", "0"]
    else:
        online = ["0", "1", porteur_to_link(records[2], decision, read, model) or "2"]
    assert decision.kind == "review"
    assert _partition(online) == _partition(batch)


def _partition(labels: list) -> set[frozenset[int]]:
    groups: dict[object, set[int]] = {}
    for position, label in enumerate(labels):
        groups.setdefault(label, set()).add(position)
    return {frozenset(group) for group in groups.values()}


def test_without_best_new_a_pair_below_the_thresholds_goes_on_only_for_a_linked_porteur(
        monkeypatch):
    """Whether two records may stay in one cluster (the cluster bound, the evidence that
    keeps them together) is read only of the porteur a record links to
    (`decide_among`): asked without `best_new`, the pattern path stops comparing a pair
    once it falls below the link and review thresholds, unless some pair links to its
    porteur, and decides as before (link and review whole; a new porteur by its kind)."""
    stages = {True: 0, False: 0}
    asked = [True]
    advance = ceilings.Ceilings.advance

    def counted(self, pair, *args, **kwargs):  # type: ignore[no-untyped-def]
        compared = pair.stage
        try:
            return advance(self, pair, *args, **kwargs)
        finally:
            stages[asked[0]] += pair.stage - compared  # the stages this call compared

    monkeypatch.setattr(ceilings.Ceilings, "advance", counted)
    model, index = default_model(), {}
    for row in _rows(1000):
        record = normalise_record(row, row["id"])
        keys = keys_of(record, model)
        candidates = _candidates(index, keys)
        asked[0] = True
        expected = model.pattern_scorer.match_one(record, candidates)
        asked[0] = False
        decision = model.pattern_scorer.match_one(record, candidates, best_new=False)
        assert decision == expected if expected.kind != "new" else decision.kind == "new"
        porteur = expected.porteur_id if expected.kind == "link" else row["id"]
        for key in keys:
            index.setdefault(key, []).append((porteur, record))
    assert stages[True] > 20_000
    assert stages[False] < 0.85 * stages[True]  # 0.95 when the evidence was read of all
