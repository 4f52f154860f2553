"""A model file's settings are checked against their schema on load, and every setting
it holds against its bounds: the error names the field to fix, from either loader (the
batch's, the hub's)."""

from __future__ import annotations

import json
import math

import pytest

from hub.domain.matching.model import default_model
from hub.domain.matching.training import refine_m
from hub.errors import InvalidMatchingModel
from hub.services.matching.dedup_batch import load_model, model_notices, run_batch
from hub.services.matching.online import load_matching_model
from tests.unit.matching.matching_factories import with_every_level

LOADERS = [load_model, load_matching_model]


def _model_file(tmp_path, change) -> object:
    document = json.loads(default_model().to_json())
    change(document)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _veto(value):
    def change(document):
        document["m_veto"] = value
    return change


def _cluster_bits(value):
    def change(document):
        document["reglages"]["decision"]["poids_min_groupe"] = value
    return change


def _unvetoed_cluster_bits(value):
    def change(document):
        document["reglages"]["decision"]["poids_min_groupe_sans_veto"] = value
    return change


BAD_VETO_M = [None, [], 5, "0.1", {"prenom": "0.006"}, {"prenom": None},
              {"prenom": True}, {"prenom": math.nan}, {"prenom": math.inf}, {"prenom": -0.1},
              {"prenom": 1.5}, {"nom": 0.1}, {"": 0.1}]
BAD_CLUSTER_BITS = ["3", True, False, math.nan, math.inf, -math.inf, -1e9, -0.5, 1e9, [], {}]
# Where every veto is lifted: bits down to -60, never above poids_min_groupe (0 shipped).
BAD_UNVETOED_BITS = ["-3", True, math.nan, -math.inf, -60.5, 0.5, 1e9, [], {}]


def _blocking(field, value):
    def change(document):
        document["reglages"]["blocage"][field] = value
    return change


# Checked against schemas/matching_settings.v1.json: a string is no list of rules (it was
# read as its letters), an unknown rule (a KeyError once blocking began), a rule twice.
BAD_BLOCKING = [("regles_hors_apprentissage", "rue_code_postal"),
                ("regles_hors_apprentissage", ["nope"]), ("regles", ["nom_annee", "nope"]),
                ("regles", "courriel"), ("regles", ["courriel", "courriel"]),
                ("taille_max_bloc", "50"), ("regle_inconnue", 1)]


BAD_FIELDS = ([("m_veto", _veto, v) for v in BAD_VETO_M]
              + [("poids_min_groupe", _cluster_bits, v) for v in BAD_CLUSTER_BITS]
              + [("poids_min_groupe_sans_veto", _unvetoed_cluster_bits, v)
                 for v in BAD_UNVETOED_BITS]
              + [(field, lambda v, f=field: _blocking(f, v), v) for field, v in BAD_BLOCKING])


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize(("field", "setter", "value"), BAD_FIELDS,
                         ids=[f"{f}={v!r}" for f, _, v in BAD_FIELDS])
def test_a_bad_setting_is_refused_on_load_naming_the_field(tmp_path, loader, field, setter,
                                                           value):
    """null, a list, a string, a bool, NaN, out of bounds, a field that is no veto: refused
    when the file is read, not when a pair is matched."""
    with pytest.raises(InvalidMatchingModel, match=field) as raised:
        loader(_model_file(tmp_path, setter(value)))
    assert field in raised.value.message_fr


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("change", [
    lambda d: d.pop("m_veto"), _veto({}), _veto({"prenom": 0.006, "date_naissance": 1}),
    _veto({"prenom": 0}), _cluster_bits(None), _cluster_bits(0), _cluster_bits(2.5),
    _cluster_bits(60), _unvetoed_cluster_bits(None), _unvetoed_cluster_bits(-60),
    _unvetoed_cluster_bits(0)])
def test_good_veto_m_and_cluster_evidence_are_read(tmp_path, loader, change):
    model = loader(_model_file(tmp_path, change))
    assert model.decision.veto_fields


def test_the_hubs_loader_names_thresholds_out_of_order(tmp_path):
    """As the batch's loader does: the threshold to fix, not "train it again"."""
    def change(document):
        document["reglages"]["decision"]["probabilite_min_groupe"] = 0.97

    with pytest.raises(InvalidMatchingModel, match="probabilite_min_groupe") as raised:
        load_matching_model(_model_file(tmp_path, change))
    assert "probabilite_revue" in raised.value.message_fr
    assert "réentraînez" not in raised.value.message_fr


def test_a_model_without_veto_m_keeps_its_notice_once_refined_and_saved(tmp_path):
    """Refined by coordinators' judgements and written again, a model that never had
    `m_veto` still has none: an empty one written would read as vetoes estimated among
    contacts, and the notice would be gone while the vetoes still follow EM's m."""
    path = _model_file(tmp_path, lambda d: d.pop("m_veto"))
    model = load_model(path)
    refined = refine_m(model, [tuple(c.levels[0] for c in model.comparisons)])  # all exact
    again = tmp_path / "refined.json"
    again.write_text(refined.to_json(), encoding="utf-8")
    assert "m_veto" not in json.loads(again.read_text(encoding="utf-8"))
    assert load_model(again).veto_m_missing and model_notices(load_model(again), again)


def test_a_model_file_without_veto_m_is_read_with_a_notice_naming_it(tmp_path, caplog):
    """A model written before `m_veto` existed: its vetoes follow the m of EM, which twins
    raise. It is still read, and both loaders say so, naming the file and how to train it
    again (the batch in its summary's notes, the hub in its log)."""
    path = _model_file(tmp_path, lambda d: d.pop("m_veto"))
    model = load_model(path)
    assert not model.veto_m and model.veto_m_missing
    notes = model_notices(model, path)
    assert notes and all(str(path) in note and "--model-out" in note for note in notes)
    assert "bench/train_model.py" in notes[0]
    with caplog.at_level("WARNING", logger="hub.services.matching.online"):
        load_matching_model(path)
    assert any(str(path) in r.getMessage() and "m_veto" in r.getMessage()
               for r in caplog.records)
    people = tmp_path / "people.csv"
    people.write_text("id,nom,prenom\n1,Martin,Anne\n2,Martin,Anne\n", encoding="utf-8")
    summary = run_batch(people, tmp_path / "clusters.csv", model_path=path, workers=1)
    assert notes[0] in summary.notes
    current = _model_file(tmp_path, with_every_level)
    assert not model_notices(load_model(current), current)
    assert not default_model().veto_m_missing


@pytest.mark.parametrize("loader", LOADERS)
def test_a_model_file_written_before_a_level_existed_weighs_it_as_the_level_it_replaced(
        tmp_path, loader):
    """A file trained before a household's landline (fuzzy phone) and a numbered e-mail
    (fuzzy e-mail) were levels of their own scores them as it scored them then: the
    landline as an exact phone, the e-mail as a different one (at most 0)."""
    def older(document):
        for table in ("m", "u"):
            for field in ("telephone", "courriel"):
                document[table][field].pop("fuzzy", None)
    model = loader(_model_file(tmp_path, older))
    assert model.level_weight("telephone", "fuzzy") == model.level_weight("telephone", "exact")
    assert model.level_weight("courriel", "fuzzy") == model.level_weight("courriel", "different")
    assert model.level_weight("courriel", "different") <= 0


def _older(document):
    """As trained before the landline and the numbered e-mail were levels: their pairs
    counted in the level they had then."""
    for table in ("m", "u"):
        for field, former in (("telephone", "exact"), ("courriel", "different")):
            document[table][field][former] += document[table][field].pop("fuzzy")


def test_pairs_judged_with_a_level_newer_than_the_model_file_refine_every_level(tmp_path):
    """Coordinators' judgements refine an older file's m over the comparison's levels: a
    household's landline judged the same counts, m sums to 1, the level is seeded from
    the one it replaced; the notice says so, before and after the refined file is saved."""
    path = _model_file(tmp_path, _older)
    model = load_model(path)
    fields = [c.field for c in model.comparisons]
    landline = tuple({"nom": "exact", "telephone": "fuzzy"}.get(f, "missing") for f in fields)
    refined = refine_m(model, [landline] * 30)
    assert set(refined.m["telephone"]) == {"exact", "close", "fuzzy", "different"}
    assert abs(sum(refined.m["telephone"].values()) - 1) < 1e-9
    assert abs(sum(refined.m["courriel"].values()) - 1) < 1e-9
    assert refined.level_weight("telephone", "fuzzy") > model.level_weight("telephone", "fuzzy")
    notes = model_notices(model, path)
    assert any("telephone" in note and "fuzzy" in note for note in notes)
    again = tmp_path / "refined.json"
    again.write_text(refined.to_json(), encoding="utf-8")
    assert any("telephone" in note and "fuzzy" in note
               for note in model_notices(load_model(again), again))
    current = _model_file(tmp_path, with_every_level)
    assert not model_notices(load_model(current), current)


def test_an_older_file_refined_weighs_an_exact_phone_as_the_current_file_refined(tmp_path):
    """The level added to an older file takes its share of the former level's u as the
    shipped model splits it: u is not re-estimated from judged pairs, so an even split
    overweighed the exact phone by about half a bit once refined."""
    older, current = (load_model(_model_file(tmp_path, change)) for change in
                      (_older, lambda d: None))
    fields = [c.field for c in current.comparisons]

    def judged(level):  # type: ignore[no-untyped-def]
        return tuple({"nom": "exact", "telephone": level}.get(f, "missing") for f in fields)

    pairs = [judged("exact")] * 36 + [judged("different")] * 4
    for level in ("exact", "fuzzy"):
        weights = [refine_m(model, pairs).level_weight("telephone", level)
                   for model in (older, current)]
        assert abs(weights[0] - weights[1]) < 0.05, (level, weights)
