"""The matching's caches in a process: each one is known to hold personal data or not,
and forgetting (what an erasure does) empties every one that holds a fiche's values."""

from __future__ import annotations

import importlib
import pkgutil

import hub.domain.matching
from hub.domain.matching import caches
from hub.domain.matching.comparisons import build_comparisons, compare_records
from hub.domain.matching.model import default_model
from hub.domain.matching.settings import default_settings
from tests.unit.matching.matching_factories import person


def _module_caches() -> dict[str, object]:
    """Every functools cache held at module level by the matching's modules."""
    found = {}
    for info in pkgutil.iter_modules(hub.domain.matching.__path__):
        module = importlib.import_module(f"hub.domain.matching.{info.name}")
        for name, value in vars(module).items():
            if callable(getattr(value, "cache_info", None)) and getattr(value, "__module__", "") \
                    == module.__name__:
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_cache_of_the_matching_is_known_to_hold_personal_data_or_not():
    known = {id(cache) for cache in (*caches.PERSONAL, *caches.NOT_PERSONAL)}
    unknown = [name for name, cache in _module_caches().items() if id(cache) not in known]
    assert _module_caches() and unknown == []


def test_forgetting_empties_every_cache_holding_a_value_of_a_fiche():
    model = default_model()
    exchanged = person(nom="MARIE-FRANÇOISE", prenom="ROUSSEAU", date_naissance="1980-05-12",
                       commune="Ambert", code_postal="63600", telephone="0692 12 34 56")
    initials = person(nom="Rousseau", prenom="M.F.", date_naissance="1980-05-12",
                      telephone="06 98 76 54 32")
    mistyped = person(nom="Rousseau", prenom="Marie", date_naissance="1980-05-21")
    compared = build_comparisons(default_settings().comparisons)
    compare_records(compared, exchanged, initials)
    compare_records(compared, initials, mistyped)
    exact = ("exact",) * len(model.comparisons)
    model.pattern_scorer.judge(exact, initials)
    assert all(cache.cache_info().currsize for cache in caches.PERSONAL)
    assert model.pattern_scorer.values_held()

    caches.forget_personal_values(model)

    assert [cache.cache_info().currsize for cache in caches.PERSONAL] == [0] * len(caches.PERSONAL)
    assert model.pattern_scorer.values_held() == 0


def test_a_metropolitan_phone_number_is_read_off_its_digits_and_kept_in_no_memo():
    """Only an overseas number's kind costs the phone library's parse: that one is memoised
    (a personal cache); a metropolitan number's kind is two string tests, and keeping it
    would hold a person's number for nothing: the memos hold as many values after two
    records with metropolitan numbers are compared as after the same two without."""
    model = default_model()
    compared = build_comparisons(default_settings().comparisons)

    def held_after(first: str | None, second: str | None) -> list[int]:
        caches.forget_personal_values(model)
        compare_records(compared, person(nom="Rousseau", telephone=first),
                        person(nom="Roussel", telephone=second))
        return [cache.cache_info().currsize for cache in caches.PERSONAL]

    assert held_after("06 12 34 56 78", "04 73 00 00 00") == held_after(None, None)
    assert sum(held_after("0692 12 34 56", "0692 65 43 21")) > sum(held_after(None, None))
