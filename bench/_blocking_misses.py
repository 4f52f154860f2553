"""What blocking leaves: the recall ceiling through clusters, and the true pairs it misses.

A cluster joins two records that no key brings together when each is brought to a third
of the same person, so a true pair missed by the blocking is lost only when no chain of
true candidate pairs joins its two records (`reachable`). The missed pairs are counted
by how many identifying fields differ between their two records (`fields_apart`): a pair
whose seven fields all differ can meet by no key built on exact values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence

from hub.domain.matching.record import NormalisedRecord

FIELDS = ("nom", "prenom", "date_naissance", "numero", "adresse", "code_postal", "commune")


def merged(labels: Sequence[Hashable], links: Iterable[tuple[Hashable, Hashable]],
           ) -> list[Hashable]:
    """Each label replaced by one label of its group once the `links` join labels."""
    parent = {label: label for label in labels}

    def root(label: Hashable) -> Hashable:
        while parent[label] != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    for a, b in links:
        parent[root(a)] = root(b)
    return [root(label) for label in labels]


def reachable(size: int, found: Iterable[tuple[int, int]],
              wanted: Iterable[tuple[int, int]]) -> int:
    """How many `wanted` pairs a chain of `found` pairs joins."""
    group = merged(range(size), found)
    return sum(group[i] == group[j] for i, j in wanted)


def fields_apart(records: Sequence[NormalisedRecord],
                 missed: Iterable[tuple[int, int]]) -> Counter[int]:
    """Missed pairs by the number of `FIELDS` whose normalised values differ."""
    return Counter(sum(getattr(records[i], f) != getattr(records[j], f) for f in FIELDS)
                   for i, j in missed)
