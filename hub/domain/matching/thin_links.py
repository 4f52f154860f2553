"""A link of names and a place alone attaches a fiche to one porteur, never bridges two.

`decision.names_and_place` links a pair from its own bound
(`probabilite_lien_sans_identifiant`) where the first name is the same, surname and place
agree and nothing else is compared (each other field missing on a side: a fiche with
the names and a postcode, or one with a birth date against one with a street). Alone that
bridged namesakes: Sophie LEFEBVRE of 1 place Jaude and Sophie LEFEBVRE of 22 rue Blatin,
two people of one postcode, each met "Sophie LEFEBVRE, 63000" and became one porteur
through it, and the outcome hung on the order the fiches came in. So such a link (a
names-only link) attaches, and never bridges:

- in the batch (`attach_thin`), the clusters are made without names-only links; then a
  record left alone joins the cluster its names-only links all go to, if they go to one
  only and it may be one person with every record of it; linked to two clusters it stays
  alone and its pairs go to review (a coordinator says whose fiche it is), and no one
  attaches to it: two records whose only link is to each other make a pair;
- online (`online_thin_decision`), a names-only link stands where the porteur holds that
  fiche alone, or where that fiche is held by more than names to another of the
  porteur's fiches (a record linking several porteurs is a review, never a join:
  `chains`); a fiche attached by names alone is no door for a third one: a review.

Across members nothing here adds to what such a link shows: it agrees on nothing a
guesser would not have (`decision.identity_alone`), so the online matcher's guards send
a link to another member's porteur to a coordinator (`online.OnlineMatcher._discloses`).

Example:
    >>> from hub.domain.matching.record import normalise_record
    >>> note = normalise_record({"nom": "Lefebvre", "prenom": "Sophie",
    ...                          "code_postal": "63000"}, "a")
    >>> born = normalise_record({"nom": "Lefebvre", "prenom": "Sophie",
    ...                          "date_naissance": "1990-03-14"}, "b")
    >>> may_be_names_only(note, born)
    True
    >>> attach_thin([0, 1, 1, 3], [(0, 1), (0, 2)], lambda i, j: True)  # one cluster
    [0, 0, 0, 3]
    >>> attach_thin([0, 1, 2, 3], [(0, 1), (0, 2)], lambda i, j: True)  # two: none
    [0, 1, 2, 3]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from hub.domain.matching.decision import (
    CandidateLike,
    Decision,
    as_record,
    names_and_place,
    pair_kind,
)
from hub.domain.matching.model import Explanation, MatchModel
from hub.domain.matching.record import NormalisedRecord
from hub.domain.matching.settings import DecisionSettings


def may_be_names_only(a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """Whether the pair may compare nothing but names and a place (each of birth date,
    e-mail, phone and street missing on a side): a test on the records alone, before
    the pair's levels are read (`names_and_place`)."""
    return not any((x is not None and y is not None) for x, y in (
        (a.date_naissance or a.date_digits, b.date_naissance or b.date_digits),
        (a.courriel, b.courriel), (a.telephone, b.telephone), (a.adresse, b.adresse)))


def names_only_link(explanation: Explanation, settings: DecisionSettings) -> bool:
    """A pair `pair_kind` links on names and a place alone (`decision.names_and_place`)."""
    return names_and_place(explanation, settings) and pair_kind(explanation, settings) == "link"


def attach_thin(labels: Sequence[int], names_only: Sequence[tuple[int, int]],
                compatible: Callable[[int, int], bool]) -> list[int]:
    """The batch's labels (each record's cluster: its smallest index), made without the
    `names_only` links, with each record alone in its cluster joined to the cluster its
    names-only links all go to, where they go to one only, that cluster is not a record
    alone linked to others besides (it would bridge them), and it may be one person with
    every record of it and with those attached before it (`compatible`). Decided on the
    labels given, so no attachment leans on another."""
    reached: dict[int, set[int]] = defaultdict(set)
    for i, j in names_only:
        reached[i].add(labels[j])
        reached[j].add(labels[i])
    members: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        members[label].append(index)
    groups: dict[int, list[int]] = {}
    for record in sorted(reached):
        if len(members[labels[record]]) != 1 or len(reached[record]) != 1:
            continue
        [target] = reached[record]
        if len(members[target]) == 1 and len(reached[target]) != 1:
            continue  # a record alone linked to two: joining it would bridge them
        group = groups.setdefault(target, list(members[target]))
        if record not in group and all(compatible(record, other) for other in group):
            group.append(record)
    return _joined(labels, groups.values())


def _joined(labels: Sequence[int], groups: Iterable[list[int]]) -> list[int]:
    """The labels with each group made one cluster (two records alone attached to each
    other are one group twice: a union-find), labelled by its smallest index."""
    groups = list(groups)
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent.setdefault(i, i) != i:
            i = parent[i]
        return i

    for group in groups:
        for index in group[1:]:
            a, b = root(group[0]), root(index)
            parent[max(a, b)] = min(a, b)
    smallest: dict[int, int] = {}
    for index in (i for group in groups for i in group):
        smallest[root(index)] = min(smallest.get(root(index), index), labels[index])
    joined = list(labels)
    for index in (i for group in groups for i in group):
        joined[index] = smallest[root(index)]
    return joined


def online_thin_decision(record: NormalisedRecord, decision: Decision,
                         candidates: Sequence[CandidateLike], model: MatchModel,
                         holds_alone: Callable[[str, CandidateLike], bool]) -> Decision:
    """The online decision with the names-only links' rule (module docstring): a link
    whose best pair is names and a place alone stands where another fiche of the porteur
    links to the record by more than names, where the porteur holds that fiche alone
    (`holds_alone(porteur, candidate)`), or where that fiche links by more than names to
    another of the porteur's fiches read; else it is a review."""
    explanation, settings = decision.explanation, model.decision
    if decision.kind != "link" or decision.porteur_id is None or explanation is None or (
            not names_and_place(explanation, settings)):
        return decision
    own = [(model.score(record, as_record(c.record)), c) for c in candidates
           if c.porteur_id == decision.porteur_id]
    if any(_strong_link(e, settings) for e, _c in own):
        return decision
    _best, fiche = max(own, key=lambda pair: pair[0].probability)
    held = as_record(fiche.record)
    if holds_alone(decision.porteur_id, fiche) or any(
            _strong_link(model.score(held, as_record(c.record)), settings)
            for _e, c in own if c is not fiche):
        return decision
    return Decision("review", decision.porteur_id, decision.score, explanation)


def _strong_link(explanation: Explanation, settings: DecisionSettings) -> bool:
    """A link by more than names and a place."""
    return pair_kind(explanation, settings) == "link" and not names_and_place(
        explanation, settings)
