"""A model file's m and u tables are checked once, on load: a hand-edited table the model
could not score a pair with is refused by either loader (the batch's, the hub's) with
`invalid_matching_model`, naming the field and the level, never a KeyError or a division
by zero on every fiche afterwards."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.domain.matching.comparisons import MISSING
from hub.domain.matching.decision import Candidate, match_one
from hub.domain.matching.model import MatchModel, default_model
from hub.errors import InvalidMatchingModel
from hub.services.matching.dedup_batch import load_model
from hub.services.matching.online import load_matching_model
from tests.unit.matching.matching_factories import with_every_level

LOADERS = [load_model, load_matching_model]
SHIPPED = json.loads(default_model().to_json())
FIELDS = sorted(SHIPPED["m"])
LEVELS = ["exact", "swapped", "day_off", "close", "fuzzy", "different", MISSING]
# Pairs reaching every level of the birth date and the names, and fields missing.
ANNE = {"nom": "Kerbrat", "prenom": "Anne", "date_naissance": "1985-03-14",
        "courriel": "anne.kerbrat@example.org", "telephone": "0612345678",
        "code_postal": "29200", "adresse": {"ligne": "3 rue des Lilas"}}
OTHERS = [ANNE, {**ANNE, "date_naissance": "1985-14-03"},
          {**ANNE, "date_naissance": "1985-03-41", "courriel": None},
          {**ANNE, "date_naissance": "1985-04-14", "prenom": "Annie"},
          {**ANNE, "date_naissance": "1958-03-14", "nom": "Kerbrad", "telephone": None},
          {"nom": "Kerbrat", "prenom": "Paul", "date_naissance": "1990-07-02"},
          {"nom": "Anne", "prenom": "Kerbrat"}]


def _written(tmp_path, document) -> object:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _with(table: str, field: str, level: str | None, value) -> dict:
    """The shipped document with one entry set (a level's value, or the field's whole
    table when `level` is None); `...` deletes it."""
    document = json.loads(json.dumps(SHIPPED))
    target, key = (document[table], field) if level is None else (
        document[table].setdefault(field, {}), level)
    if value is ...:
        target.pop(key, None)
    else:
        target[key] = value
    return document


def _both_missing() -> dict:
    document = _with("m", "date_naissance", MISSING, 0.2)
    document["u"]["date_naissance"][MISSING] = 0.3
    return document


def _scores_every_pair(model: MatchModel) -> None:
    for comparison in model.comparisons:
        for level in (*comparison.levels, MISSING):
            assert math.isfinite(model.level_weight(comparison.field, level))
    for other in OTHERS:
        decision = match_one(other, [Candidate("p-1", ANNE)], model)
        assert decision.kind in ("link", "review", "new")


BAD = [
    ("m", "date_naissance", "swapped", 0.01, "u.date_naissance.swapped"),
    ("m", "date_naissance", "close", 0, "m.date_naissance.close"),
    ("u", "date_naissance", "close", 0.0, "u.date_naissance.close"),
    ("m", "prenom", "exact", -0.2, "m.prenom.exact"),
    ("u", "nom", "different", None, "u.nom.different"),
    ("m", "courriel", "exact", "0.8", "m.courriel.exact"),
    ("m", "telephone", "exact", True, "m.telephone.exact"),
    ("m", "adresse", "exact", 1.5, "m.adresse.exact"),
    ("u", "lieu", "exact", math.nan, "u.lieu.exact"),
    ("m", "nom", "typo", 0.1, "m.nom.typo"),
    ("m", "lieu", "fuzzy", 0.1, "m.lieu.fuzzy"),
    ("m", "date_naissance", "close", ..., "m.date_naissance.close"),
    ("u", "prenom", "exact", ..., "u.prenom.exact"),
    ("m", "date_naissance", None, ..., "m.date_naissance"),
    ("u", "courriel", None, ..., "u.courriel"),
    ("m", "telephone", None, [0.9, 0.1], "m.telephone"),
    ("m", "ville", None, {"exact": 0.9}, "m.ville"),
    ("u_aleatoire", "nom", "exact", 0, "u_aleatoire.nom.exact"),
    ("u_aleatoire", "nom", None, "x", "u_aleatoire.nom"),
    ("u", "telephone", "exact", 1e-320, "u.telephone.exact"),
]


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize(("table", "field", "level", "value", "where"), BAD)
def test_a_table_the_model_could_not_score_with_is_refused_on_load_naming_where(
        tmp_path, loader, table, field, level, value, where):
    with pytest.raises(InvalidMatchingModel) as refused:
        loader(_written(tmp_path, _with(table, field, level, value)))
    assert where in str(refused.value) and where in refused.value.message_fr
    assert "--model-out" in str(refused.value)


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("document", [
    SHIPPED, with_every_level(json.loads(json.dumps(SHIPPED))),
    _both_missing(), _with("u_aleatoire", "nom", None, ...)],
    ids=["shipped", "every-level", "missing-level", "no-random-u-for-a-field"])
def test_a_file_of_before_and_a_current_one_load_and_score(tmp_path, loader, document):
    _scores_every_pair(loader(_written(tmp_path, document)))


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.text(max_size=3),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.floats(0, 1), st.just(...), st.lists(st.floats(0, 1), max_size=2),
                    st.dictionaries(st.sampled_from(LEVELS), st.floats(0, 1), max_size=3))
_MUTATIONS = st.lists(st.tuples(
    st.sampled_from(["m", "u", "u_aleatoire"]), st.sampled_from([*FIELDS, "ville"]),
    st.one_of(st.none(), st.sampled_from([*LEVELS, "typo"])), _VALUES), min_size=1, max_size=3)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=_MUTATIONS, loader=st.sampled_from(LOADERS))
def test_any_change_of_the_tables_loads_and_scores_or_is_refused_on_load(
        tmp_path, mutations, loader):
    document = json.loads(json.dumps(SHIPPED))
    for table, field, level, value in mutations:
        target = document[table] if level is None else document[table].get(field)
        if not isinstance(target, dict):
            continue
        key = field if level is None else level
        if value is ...:
            target.pop(key, None)
        else:
            target[key] = value
    try:
        model = loader(_written(tmp_path, document))
    except InvalidMatchingModel as refused:
        assert "--model-out" in str(refused)
        return
    _scores_every_pair(model)
