"""A record linking two porteurs or more: may they be one person without a human saying so?

A record arriving after two fiches of one person that share too little to link (one
by its e-mail and birth date, one by its phone and address) links to both: the bridge
came last. The batch (`capactif dedup`) keeps such a linked component whole when it
holds at most `max_group_size` records and every pair of them may be one person
(`compatible`: no veto, no lines saying two people, enough evidence; `cluster`); the
online path asks the same of the fiches a new one links together, first of those it
read under its keys (`porteurs_to_join`), then of every fiche of the porteurs
(`may_be_one`) before it joins them. Where they may not be one person, the batch splits
the component by complete linkage and the record goes with its strongest part, unless
it could be either (`cluster._ambiguous`); the online path links it to the best porteur
it fits, on the same condition (`porteur_to_link`).

Example:
    >>> from hub.domain.matching.decision import Candidate, match_one
    >>> from hub.domain.matching.model import default_model
    >>> model = default_model()
    >>> by_mail = {"nom": "Kerbrat", "prenom": "Anne", "date_naissance": "1980-05-12",
    ...            "courriel": "anne.kerbrat@exemple.fr"}
    >>> by_phone = {"nom": "Kerbrat", "prenom": "Anne", "telephone": "0611223344",
    ...             "adresse": {"ligne": "9 avenue Foch", "code_postal": "15000"}}
    >>> both, read = {**by_mail, **by_phone}, [Candidate("a", by_mail), Candidate("b", by_phone)]
    >>> decision = match_one(both, read, model)
    >>> decision.kind, porteurs_to_join(both, decision, read, model)
    ('review', ('a',))
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from hub.domain.matching.cluster import one_cluster
from hub.domain.matching.cross_member import names_move_between
from hub.domain.matching.decision import (
    CandidateLike,
    Decision,
    RecordLike,
    as_record,
    compatible,
    pair_kind,
    short_of_evidence,
    unknown_between,
)
from hub.domain.matching.model import MatchModel


def may_be_one(records: Sequence[RecordLike], model: MatchModel,
               members: Sequence[str | None] = ()) -> bool:
    """One person without a human saying so, as the batch keeps a linked component whole:
    at most `max_group_size` records, every pair of them compatible. `members`, the
    member of each record (as many as the records, or none: one member's): two members'
    fiches are never kept together by a move their names alone outweigh (`compatible`
    without `names_move`: `cross_member.names_move_between`), else a fiche bridging them
    would make one member follow the other's porteur on a name and an old home; one
    member's pairs as before. A pair short of evidence only, of one member, is held
    together by a third record compatible with both (`cluster.one_cluster`), as the batch
    holds it."""
    settings = model.decision
    normalised = [as_record(record) for record in records]
    if len(normalised) > settings.max_group_size:
        return False
    owners = list(members) or [None] * len(normalised)
    together: dict[tuple[int, int], bool] = {}
    weak: set[tuple[int, int]] = set()
    for i, j in itertools.combinations(range(len(normalised)), 2):
        explanation = model.score(normalised[i], normalised[j])
        move = names_move_between(owners[i], owners[j])
        together[(i, j)] = together[(j, i)] = compatible(explanation, settings, names_move=move)
        if move and short_of_evidence(explanation, settings):
            weak |= {(i, j), (j, i)}
    return one_cluster(range(len(normalised)), lambda i, j: together[(i, j)],
                       lambda i, j: (i, j) in weak)


def porteurs_to_join(record: RecordLike, decision: Decision,
                     candidates: Sequence[CandidateLike], model: MatchModel,
                     member: str | None = None,
                     member_of: Callable[[Sequence[CandidateLike]], Sequence[str | None]]
                     | None = None) -> tuple[str, ...]:
    """The other porteurs a record in review for linking to several (`match_one`'s
    conflicts) may join its best one, as far as its candidates show them: its best pair
    a link, and the record with the candidates of all those porteurs one person
    (`may_be_one`; `member`, the record's member, and `member_of`, the members of the
    candidates it weighs, if known). Empty when they may not, or when the decision is no
    such review."""
    top, explanation = decision.porteur_id, decision.explanation
    if decision.kind != "review" or not decision.conflicts or top is None or \
            explanation is None or pair_kind(explanation, model.decision) != "link":
        return ()
    linked = {top, *decision.conflicts}
    read = [c for c in candidates if c.porteur_id in linked]
    members = [member, *member_of(read)] if member_of is not None else ()
    held = [as_record(c.record) for c in read]
    return decision.conflicts if may_be_one([as_record(record), *held], model, members) else ()


def porteur_to_link(record: RecordLike, decision: Decision,
                    candidates: Sequence[CandidateLike], model: MatchModel) -> str | None:
    """For a record in review for linking to porteurs that may not be one person together
    (`porteurs_to_join` empty): the porteur the batch's complete linkage puts it with,
    the best one it links to and may be one person with (every fiche of it the record
    read, or held to it by another, `cluster.outvoted`); None,
    it stays in review, if none fits or if it fits two that a veto field it lacks tells
    apart (a son's fiche without a birth date between his father's porteur and his own:
    `unknown_between`, as `cluster._ambiguous`). A record in review against one porteur
    only, linking one of its fiches and short of evidence only with another that a third
    one vouches for (`cluster.outvoted`), is linked to it as the batch keeps it in that
    cluster."""
    settings = model.decision
    if decision.kind != "review" or decision.porteur_id is None:
        return None
    new = as_record(record)
    read: dict[str, list[RecordLike]] = {}
    for candidate in candidates:
        read.setdefault(candidate.porteur_id, []).append(candidate.record)

    def fits(porteur: str) -> bool:
        others = [as_record(other) for other in read.get(porteur, ())]
        pairs = [model.score(new, other) for other in others]
        fine = [compatible(e, settings) for e in pairs]
        return any(pair_kind(e, settings) == "link" for e in pairs) and all(
            fine[k] or (short_of_evidence(pairs[k], settings) and any(
                fine[z] and z != k and compatible(model.score(others[z], others[k]), settings)
                for z in range(len(others))))
            for k in range(len(others)))

    fitting = [p for p in (decision.porteur_id, *decision.conflicts) if fits(p)]
    ambiguous = any(
        unknown_between(model.score(new, as_record(a)), model.score(as_record(a), as_record(b)),
                        settings)
        for p, q in itertools.combinations(fitting, 2) for a in read[p] for b in read[q])
    return fitting[0] if fitting and not ambiguous else None
