"""The worker's bounded memos keep their newest entries and drop the oldest first."""

from __future__ import annotations

from hub.domain.matching.record import normalise_record
from hub.store.common_keys import CommonKeys
from hub.store.identity_memo import IdentityMemo


def test_a_full_identity_memo_drops_its_oldest_rows_first():
    memo, record = IdentityMemo(3), normalise_record({"nom": "Martin"})
    for sealed in ("v1.a", "v1.b", "v1.c", "v1.d", "v1.e"):
        memo.put(sealed, record)
    assert [memo.get(s) for s in ("v1.a", "v1.b")] == [None, None]
    assert [memo.get(s) for s in ("v1.c", "v1.d", "v1.e")] == [record] * 3


def test_rows_put_at_once_are_kept_and_dropped_as_rows_put_one_by_one():
    records = [normalise_record({"nom": name}) for name in ("Martin", "Bernard", "Petit")]
    one_by_one, at_once = IdentityMemo(3), IdentityMemo(3)
    for memo in (one_by_one, at_once):
        memo.put("v1.a", records[0])
        memo.put("v1.b", records[1])
    rows = [("v1.c", records[2]), ("v1.d", records[0]), ("v1.e", records[1])]
    for sealed, record in rows[:2]:
        one_by_one.put(sealed, record)
    at_once.put_many(rows[:2])
    at_once.put_many([])
    assert len(at_once) == len(one_by_one) == 3
    names = ("v1.a", "v1.b", "v1.c", "v1.d", "v1.e")
    assert [at_once.get(s) for s in names] == [one_by_one.get(s) for s in names] == [
        None, records[1], records[2], records[0], None]


def test_common_keys_drop_the_oldest_key_first_and_keep_a_key_learnt_again_in_its_place():
    common = CommonKeys(2)
    common.learn({"k1": [1, 2, 3]}, cap=2)
    common.learn({"k2": [1, 2, 3]}, cap=2)
    common.learn({"k1": [1, 2, 3]}, cap=2)  # still over the cap: it keeps its place
    common.learn({"k3": [1, 2, 3]}, cap=2)
    assert ("k1" in common, "k2" in common, "k3" in common) == (False, True, True)


def test_common_keys_among_names_the_keys_over_the_cap_and_forgets_those_fallen_under_it():
    common = CommonKeys()
    common.learn({1: [1, 2, 3], 2: [1], 3: [1, 2, 3]}, cap=2)
    assert common.among({1, 2, 3, 4}) == {1, 3}
    common.learn({1: [1, 2], 3: [1, 2, 3]}, cap=2)  # key 1 fell back under the cap
    assert common.among({1, 2, 3, 4}) == {3}
    assert common.among(set()) == set()


def test_common_keys_forget_a_key_read_under_no_fiche_that_the_reading_leaves_out():
    common = CommonKeys()
    common.learn({1: [1, 2, 3], 2: [1, 2, 3]}, cap=2)
    common.learn({2: [1, 2, 3]}, cap=2, read=[1, 2, 5])  # key 1 read: its fiches all gone
    assert common.among({1, 2, 5}) == {2}
    common.learn({}, cap=2)  # a reading of no key forgets nothing
    assert common.among({1, 2, 5}) == {2}
