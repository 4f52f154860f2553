"""The kinds of `bench/dedup_pair_kinds.py`: how two records of one person differ."""

from __future__ import annotations

from bench.dedup_pair_kinds import pair_kinds
from hub.domain.matching.record import normalise_record

_ROW = {"id": "", "nom": "Martin", "nom_naissance": "", "prenom": "Jean-René",
        "date_naissance": "1980-05-12", "courriel": "", "telephone": "06 12 34 56 78",
        "adresse_ligne": "3 rue des Tilleuls", "code_postal": "63000", "commune": "Thiers"}


def _kinds(first: dict[str, str], second: dict[str, str]) -> list[str]:
    rows = [{**_ROW, **first}, {**_ROW, **second}]
    return pair_kinds(rows, [normalise_record(row, str(n)) for n, row in enumerate(rows)], 0, 1)


def test_each_way_two_records_of_one_person_differ_is_named():
    assert _kinds({}, {}) == ["every field given the same"]
    assert _kinds({"nom": "Durand"}, {"nom": "Martin", "nom_naissance": "Durand"}) == [
        "married name (usage / birth name)"]
    assert _kinds({"nom": "Durand"}, {}) == ["surname other (maiden / married name alone)"]
    assert _kinds({"prenom": "J.-R."}, {"prenom": "Jean"}) == [
        "compound first name cut / initials"]
    assert _kinds({"code_postal": "15000", "commune": "Aurillac"}, {}) == [
        "move (postcode apart)"]
    assert _kinds({"telephone": "06 12 34 56 78 (portable)"}, {"telephone": "0612345678"}) == [
        "phone written another way"]
    assert _kinds({"telephone": "06 12 34 5x 78"}, {}) == ["phone unread on a side"]
    assert _kinds({"date_naissance": ""}, {"date_naissance": "1980-12-05"}) == [
        "date: missing on a side"]
    assert _kinds({"date_naissance": "1980-12-05"}, {}) == ["date: day and month swapped"]
