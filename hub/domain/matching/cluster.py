"""Clustering of linked pairs that resists chaining.

Links are joined into connected components. A component of three or more
records is kept whole only if no pair inside it contradicts the others (every
pair scores at least the review threshold). Otherwise A~B, B~C but A!~C: the
component is not merged silently. It becomes a review group, and is split by
complete linkage (two parts join only if every pair across them is compatible),
strongest links first. Large components go to review the same way. A pair short of
evidence only (`weak`: no veto, nothing contradicting) does not split what a third record
compatible with both holds together (`outvoted`).

Example:
    >>> def compatible(i, j):
    ...     return {i, j} != {0, 2}
    >>> result = cluster(3, [(0, 1, 0.9999), (1, 2, 0.9999)], compatible, 30)
    >>> result.labels, result.review_groups
    ([0, 0, 2], [(0, 1, 2)])
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence

Link = tuple[int, int, float]


@dataclasses.dataclass(frozen=True)
class Clustering:
    """labels[i] is the smallest index of i's cluster; review groups hold record indexes."""

    labels: list[int]
    review_groups: list[tuple[int, ...]]


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


# (x, p, q): p and q are two people by a field x does not hold
TellsApart = Callable[[int, int, int], bool]


def cluster(
    size: int,
    links: Sequence[Link],
    compatible: Callable[[int, int], bool],
    max_group_size: int,
    unknown_between: TellsApart | None = None,
    weak: Callable[[int, int], bool] | None = None,
) -> Clustering:
    """Cluster `size` records from their auto-links.

    `compatible(i, j)` says whether two records may be the same person (for the
    batch service: probability at least the review threshold and no veto field
    different); it is asked only inside components of three records or more.
    `unknown_between(x, p, q)` says whether p and q are two people by a field x does not
    hold (`_split`). `weak(i, j)`, asked of pairs not compatible, says whether only too
    little evidence keeps them apart (`outvoted`): a third record of the group compatible
    with both then holds them together.
    """
    components = _UnionFind(size)
    for i, j, _p in links:
        components.union(i, j)
    members: dict[int, list[int]] = defaultdict(list)
    for index in range(size):
        members[components.find(index)].append(index)
    labels = list(range(size))
    review_groups: list[tuple[int, ...]] = []
    links_by_root: dict[int, list[Link]] = defaultdict(list)
    for link in links:
        links_by_root[components.find(link[0])].append(link)
    for root, group in members.items():
        if len(group) == 1:
            continue
        if len(group) <= 2 or (
            len(group) <= max_group_size and one_cluster(group, compatible, weak)
        ):
            for index in group:
                labels[index] = group[0]
            continue
        review_groups.append(tuple(group))
        _split(links_by_root[root], compatible, labels, unknown_between, weak)
    return Clustering(labels, review_groups)


def one_cluster(group: Sequence[int], compatible: Callable[[int, int], bool],
                weak: Callable[[int, int], bool] | None = None) -> bool:
    """May these records be one cluster: every pair of them compatible, or the pairs that
    are not only short of evidence (`outvoted`)."""
    return outvoted([(i, j) for i, j in itertools.combinations(group, 2)
                     if not compatible(i, j)], group, compatible, weak)


def outvoted(apart: Sequence[tuple[int, int]], group: Sequence[int],
             compatible: Callable[[int, int], bool],
             weak: Callable[[int, int], bool] | None) -> bool:
    """The pairs of `group` that are not compatible (`apart`) do not keep it from one
    cluster: none, or each of them a weak edge (`weak`: short of evidence only, no veto
    field different, no household rule, no lines contradicting) with a third record of
    the group compatible with both. Married Amélie ROUGUE's fiche with her birth date and
    her phone, and one as Amélie PETIT with her e-mail, share her first name and her town
    only; her fiche with the phone and the e-mail is one person with each: two fiches of
    one person that share too little are not two people. Twins, a hostel's 01/01, a
    father and his son of one name are never a weak edge (a veto field, the household
    rule, their own mobiles), so no third fiche outvotes what tells them apart."""
    return all(
        weak is not None and weak(x, y)
        and any(z not in (x, y) and compatible(x, z) and compatible(z, y) for z in group)
        for x, y in apart)


def _split(
    links: Sequence[Link],
    compatible: Callable[[int, int], bool],
    labels: list[int],
    unknown_between: TellsApart | None = None,
    weak: Callable[[int, int], bool] | None = None,
) -> None:
    """Complete linkage over the component's links, strongest first; writes labels.
    Two parts join where every pair across them is compatible, or the pairs that are not
    are weak edges each outvoted by a record of the two parts (`outvoted`).

    A record linked to two parts told apart by a field it does not hold, and that could
    join either alone (`_ambiguous`), is one of them or the other: a fiche without a
    birth date between a father and his son of one name, one without a first name
    between twins.
    The strongest link does not choose for it; it stays on its own, in review, as the
    online decision leaves a fiche linked to two porteurs. The parts are then built
    again without it, so it holds no other records together either.
    """
    parts = _complete_linkage(links, compatible, weak)
    undecided = _ambiguous(links, compatible, parts, unknown_between) if unknown_between else set()
    if undecided:
        parts = _complete_linkage(
            [link for link in links if link[0] not in undecided and link[1] not in undecided],
            compatible, weak)
    for part in {id(part): part for part in parts.values()}.values():
        for index in part:
            labels[index] = part[0]


def _complete_linkage(links: Sequence[Link],
                      compatible: Callable[[int, int], bool],
                      weak: Callable[[int, int], bool] | None = None) -> dict[int, list[int]]:
    part_of: dict[int, list[int]] = {}
    for i, j, _p in sorted(links, key=lambda link: -link[2]):
        left, right = part_of.setdefault(i, [i]), part_of.setdefault(j, [j])
        if left is right:
            continue
        apart = [(x, y) for x in left for y in right if not compatible(x, y)]
        if not outvoted(apart, left + right, compatible, weak):
            continue
        joined = sorted(left + right)
        for index in joined:
            part_of[index] = joined
    return part_of


def _ambiguous(links: Sequence[Link], compatible: Callable[[int, int], bool],
               parts: dict[int, list[int]], unknown_between: TellsApart) -> set[int]:
    """Records linked into a part they are not in, compatible with all of it, which their
    own part's other records tell apart by a field these records do not hold. Each
    record is weighed once against each part it is linked into, however many links it
    has there (else a component's size to the fourth)."""
    undecided: set[int] = set()
    weighed: set[tuple[int, int]] = set()
    for i, j, _p in links:
        for record, other in ((i, j), (j, i)):
            own, part = parts[record], parts[other]
            if own is part or record in undecided or (record, part[0]) in weighed:
                continue
            weighed.add((record, part[0]))
            if all(compatible(record, x) for x in part) and any(
                    unknown_between(record, p, q) for p in own if p != record for q in part):
                undecided.add(record)
    return undecided
