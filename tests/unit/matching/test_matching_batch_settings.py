"""`capactif dedup --settings FILE`: matching settings (thresholds, rules, training) given
to the batch, the sections named laid over the shipped ones; a bad value refused naming
the setting and its bound, before any work."""

from __future__ import annotations

import json

import pytest

from hub.cli import main
from hub.domain.matching.model import MatchModel


def _dedup(people, tmp_path, capsys, settings: object, *extra: str) -> tuple[int, str]:
    given = tmp_path / "settings.json"
    given.write_text(settings if isinstance(settings, str) else json.dumps(settings), "utf-8")
    code = main(["dedup", "--input", str(people), "--output", str(tmp_path / "clusters.csv"),
                 "--settings", str(given), *extra])
    return code, capsys.readouterr().err


def test_the_model_is_trained_with_the_settings_given(people, tmp_path, capsys):
    settings = {"version": 1, "decision": {"probabilite_lien": 0.99},
                "apprentissage": {"m_par_identite": False},
                "comparaisons": {"nom": {"similarite_proche": 0.95}}}
    code, err = _dedup(people, tmp_path, capsys, settings,
                       "--model-out", str(tmp_path / "model.json"))
    assert code == 0, err
    model = MatchModel.from_json((tmp_path / "model.json").read_text("utf-8"))
    assert model.settings.decision.link_probability == 0.99
    assert model.settings.training.m_from_identity is False
    assert model.settings.comparisons["nom"].close_similarity == 0.95
    assert model.settings.comparisons["nom"].term_frequency is True  # the shipped one kept
    assert model.settings.decision.review_probability == 0.95  # the shipped one kept


@pytest.mark.parametrize(("settings", "named"), [
    ({"version": 1, "decision": {"probabilite_lien": 1.5}}, "probabilite_lien"),
    ({"version": 1, "decision": {"probabilite_revue": 0.99}}, "probabilite_revue"),
    ({"version": 1, "decision": {"seuil_lien": 0.9}}, "seuil_lien"),
    ({"version": 1, "apprentissage": {"m_par_identite": "oui"}}, "m_par_identite"),
    ({"version": 1, "blocage": {"regles": ["nom_prenom"]}}, "regles"),
    ({"decision": {"probabilite_lien": 0.9}}, "version"),
    ([0.9], "objet"),
    ('{"version": 1,\n "decision": {', "ligne 2"),
])
def test_a_bad_settings_file_is_refused_naming_what_is_wrong_before_any_work(
        people, tmp_path, capsys, settings, named):
    code, err = _dedup(people, tmp_path, capsys, settings)
    assert code == 1
    assert "invalid_matching_model" in err and named in err and "Traceback" not in err
    assert not (tmp_path / "clusters.csv").exists()


def test_a_bound_is_said_with_the_setting_out_of_it(people, tmp_path, capsys):
    _code, err = _dedup(people, tmp_path, capsys,
                        {"version": 1, "decision": {"probabilite_lien": 1.5}})
    assert "doit rester sous 1" in err and "must be below 1" in err


def test_settings_and_a_model_exclude_each_other(people, tmp_path, capsys):
    (tmp_path / "model.json").write_text("{}", "utf-8")
    code, err = _dedup(people, tmp_path, capsys, {"version": 1},
                       "--model", str(tmp_path / "model.json"))
    assert code == 1 and "--settings" in err and "--model" in err
