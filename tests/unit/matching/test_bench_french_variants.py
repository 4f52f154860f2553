"""The French files unlike the generator's own that the accuracy bench also runs
(`bench/dedup_accuracy.py`, `FRENCH_VARIANTS`): a matching rule tuned on typo-heavy data
must not link two people there."""

from __future__ import annotations

import re
from pathlib import Path

from bench.dedup_accuracy import load_set, run_ours
from hub.domain.matching.model import MatchModel


def test_a_file_without_contacts_has_no_e_mail_nor_phone_and_the_same_people():
    plain, truth = load_set("french", 300, 5)
    rows, same_truth = load_set("french-no-contacts", 300, 5)
    assert same_truth == truth and any(row["courriel"] for row in plain)
    assert not any(row["courriel"] or row["telephone"] for row in rows)
    assert [row["nom"] for row in rows] == [row["nom"] for row in plain]


def test_few_contacts_zero_dates_and_twins_sharing_an_e_mail_are_what_they_say():
    few, _ = load_set("french-few-contacts", 1000, 5)
    with_contacts = sum(bool(row["courriel"] or row["telephone"]) for row in few)
    assert 0 < with_contacts < 100
    zero, _ = load_set("french-zero-dates", 1000, 5)
    assert 100 <= sum(row["date_naissance"] == "0000-00-00" for row in zero) <= 200
    plain, _ = load_set("french", 1000, 5)
    twins, _ = load_set("french-twins-email", 1000, 5)
    assert [row["courriel"] for row in twins] != [row["courriel"] for row in plain]
    assert [row["nom"] for row in twins] == [row["nom"] for row in plain]


def test_odd_dates_are_written_jjmmaaaa_or_as_a_placeholder():
    odd, truth = load_set("french-odd-dates", 1000, 5)
    plain, same_truth = load_set("french", 1000, 5)
    assert truth == same_truth
    placeholders = sum(row["date_naissance"] == "99/99/9999" for row in odd)
    compact = sum(len(row["date_naissance"]) == 8 and row["date_naissance"].isdigit()
                  and row["date_naissance"][4:] == plain_row["date_naissance"][:4]
                  for row, plain_row in zip(odd, plain, strict=True))
    assert 20 <= placeholders <= 80 and 20 <= compact <= 80


def test_dates_the_hub_cannot_read_do_not_lift_the_birth_date_veto(tmp_path: Path):
    """A French file with a tenth of its birth dates written JJMMAAAA or 99/99/9999:
    read or unknown, never another date, so the birth date's veto holds (it was lifted
    when they were compared by their digits, and twins and siblings merged)."""
    rows, _truth = load_set("french-odd-dates", 2000, 7)
    run_ours(rows, tmp_path, model_out=tmp_path / "model.json")
    model = MatchModel.from_json((tmp_path / "model.json").read_text("utf-8"))
    assert "date_naissance" not in model.decision.lifted_vetoes


def _homes(rows: list[dict[str, str]], truth: list[str]) -> tuple[int, int, int]:
    """(people sharing a surname and a street line with another person, of them born on
    one day with that other person, people typed with two postcodes: moved)."""
    people: dict[str, set[tuple[str, str, str, str]]] = {}
    for row, person in zip(rows, truth, strict=True):
        people.setdefault(person, set()).add(
            (row["nom"].lower(), row["adresse_ligne"].lower(), row["date_naissance"],
             row["code_postal"]))
    by_home: dict[tuple[str, str], set[str]] = {}
    born: dict[tuple[str, str, str], set[str]] = {}
    for person, seen in people.items():
        for nom, street, date, _postcode in seen:
            if nom and street:
                by_home.setdefault((nom, street), set()).add(person)
                born.setdefault((nom, street, date), set()).add(person)
    shared = {p for group in by_home.values() if len(group) > 1 for p in group}
    twins = {p for group in born.values() if len(group) > 1 for p in group}
    moved = sum(len({postcode for *_rest, postcode in seen if postcode}) > 1
                for seen in people.values())
    return len(shared), len(twins), moved


def test_dense_households_hold_more_families_twins_moves_and_phone_writings():
    """french-households (issue 16's held-out kind): more people share a home, more are
    twins, more are typed at two homes, more phones are written with dashes or slashes;
    the plain population is made as before."""
    plain, plain_truth = load_set("french", 2000, 5)
    dense, dense_truth = load_set("french-households", 2000, 5)
    shared, twins, moved = _homes(plain, plain_truth)
    dense_shared, dense_twins, dense_moved = _homes(dense, dense_truth)
    assert dense_shared > 1.2 * shared and dense_twins > 1.5 * twins
    assert dense_moved > 50 and moved == 0
    written = [sum(bool(re.search(r"\d\d[-/]\d\d[-/]", row["telephone"])) for row in rows)
               for rows in (plain, dense)]
    assert written[0] == 0 and written[1] > 40
