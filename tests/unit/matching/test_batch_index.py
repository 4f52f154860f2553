"""The online matcher's view of the index for one batch (`_BatchIndex`): the candidates a
fiche meets are those `Matching.candidates` would give."""

from __future__ import annotations

from hub.services.matching.online import IndexedFiche, _BatchIndex


def _fiche(pk: int) -> IndexedFiche:
    return IndexedFiche(pk, f"prt_{pk}", None)  # type: ignore[arg-type]


def test_a_key_held_by_more_fiches_than_the_cap_brings_no_candidate():
    batch = _BatchIndex(cap=2)
    batch.load({10, 20}, {10: [1, 2, 3], 20: [4]}, {pk: _fiche(pk) for pk in (1, 2, 3, 4)})
    assert [f.fiche_pk for f in batch.candidates([10, 20], skip_fiche=0)] == [4]


def test_candidates_come_once_in_fiche_order_without_the_fiche_itself_or_unread_ones():
    batch = _BatchIndex(cap=5)
    batch.load({10, 20}, {10: [3, 1], 20: [1, 7]}, {1: _fiche(1), 3: _fiche(3)})  # 7: erased, unread
    batch.add(_fiche(9), [10, 20, 10])
    batch.add(_fiche(5), [30])
    assert [f.fiche_pk for f in batch.candidates([20, 10, 30, 40, 10], skip_fiche=3)] == \
        [1, 5, 9]
    assert batch.held[10] == [3, 1, 9]  # a key repeated by the fiche is held once


def test_the_batch_own_fiches_count_toward_the_cap():
    batch = _BatchIndex(cap=2)
    batch.load({10}, {10: [1]}, {1: _fiche(1)})
    batch.add(_fiche(2), [10])
    assert [f.fiche_pk for f in batch.candidates([10], skip_fiche=0)] == [1, 2]
    batch.add(_fiche(3), [10])
    assert batch.candidates([10], skip_fiche=0) == []
