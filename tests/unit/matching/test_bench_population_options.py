"""The French generator's stress options (`bench/_population.py`): namesakes and twins
with alike first names, drawn apart so that every other record is the same as without."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from bench import dedup_accuracy
from bench._population import _alike, generate


def _changed(option: str) -> tuple[list[dict[str, str]], list[int], set[int]]:
    plain, truth = generate(1_500, seed=4, households="dense")
    share = 0.1 if option == "namesakes" else 1.0  # a namesake is someone else living alone
    varied, varied_truth = generate(1_500, seed=4, households="dense", **{option: share})
    assert varied_truth == truth
    return varied, truth, {t for a, b, t in zip(plain, varied, truth, strict=True) if a != b}


@pytest.mark.parametrize("option", ["namesakes", "twins_alike"])
def test_only_the_records_of_the_people_changed_are_drawn_again(option):
    _varied, truth, changed = _changed(option)
    assert changed
    assert len(changed) < len(set(truth)) / 2


def test_namesakes_are_other_people_of_one_name_and_birth_date():
    varied, truth, changed = _changed("namesakes")
    people = defaultdict(set)
    for row, person in zip(varied, truth, strict=True):
        people[(row["nom"].lower(), row["prenom"].lower(), row["date_naissance"])].add(person)
    assert sum(len(found) > 1 for found in people.values()) >= len(changed) / 4


def test_alike_twins_have_first_names_alike_and_still_two():
    assert _alike("Julien", "Juliette") and _alike("Maël", "Maëlys")
    assert not _alike("Lucas", "Inès")
    assert not _alike("Thibaut", "Thibault") and not _alike("René", "Renée")
    assert not _alike("Marie-Joséphine", "Marie")


def _namesakes_given(share: float) -> int:
    rows, truth = generate(1_500, seed=4, namesakes=share)
    people = defaultdict(set)
    for row, person in zip(rows, truth, strict=True):
        people[(row["nom"].lower(), row["prenom"].lower(), row["date_naissance"])].add(person)
    return sum(len(found) - 1 for found in people.values())


def test_a_greater_share_gives_more_namesakes_up_to_everyone_living_alone():
    given = [_namesakes_given(share) for share in (0.0, 0.05, 0.1, 0.3, 1.0)]
    assert given == sorted(given) and len(set(given)) == 5, given


@pytest.mark.parametrize("option", ["--namesakes", "--twins-alike", "--namesakes-swapped"])
@pytest.mark.parametrize("value", ["-0.1", "nan", "2.0", "inf", "un"])
def test_a_share_out_of_zero_to_one_is_refused_naming_the_option(capsys, monkeypatch, option,
                                                                 value):
    def load_set(*_args: object) -> None:
        raise AssertionError(f"{option} {value} accepted")

    monkeypatch.setattr(dedup_accuracy, "load_set", load_set)
    with pytest.raises(SystemExit) as refused:
        dedup_accuracy.main(["--sets", "french", option, value])
    assert refused.value.code == 2
    assert option in capsys.readouterr().err


def _by_name(rows, truth) -> dict[tuple[str, str], set[tuple[int, str]]]:
    people = defaultdict(set)
    for row, person in zip(rows, truth, strict=True):
        people[(row["nom"].lower(), row["prenom"].lower())].add((person, row["date_naissance"]))
    return people


def _day_month_swapped(a: str, b: str) -> bool:
    try:
        x, y = dt.date.fromisoformat(a), dt.date.fromisoformat(b)
    except ValueError:
        return False
    return x != y and (x.year, x.month, x.day) == (y.year, y.day, y.month)


def test_namesakes_swapped_are_born_on_the_others_date_day_and_month_exchanged():
    """With --namesakes-swapped 1.0 a namesake whose date has a swap (day 12 or less,
    not the month) is born on it; at 0 the population is the one of --namesakes alone."""
    plain = generate(1_500, seed=4, namesakes=0.1)
    assert generate(1_500, seed=4, namesakes=0.1, namesakes_swapped=0.0) == plain
    rows, truth = generate(1_500, seed=4, namesakes=0.1, namesakes_swapped=1.0)
    assert truth == plain[1]
    swapped = sum(
        any(p != q and _day_month_swapped(a, b) for p, a in found for q, b in found)
        for found in _by_name(rows, truth).values())
    assert swapped >= 3
