"""`capactif dedup --settings FILE` and `--model FILE` read whatever the coordinator names:
a bound the schema allows runs, a file that is not a settings or model file of a sane size
(a device, a nesting too deep, an endless file) is refused as such, never a traceback; and
the settings given to a file too small to train on are those the shipped model decides with."""

from __future__ import annotations

import json

import pytest

from hub.cli import main
from hub.domain.matching.model import DEFAULT_MODEL_FILE, MatchModel
from hub.services.matching import dedup_batch


@pytest.fixture(scope="module")
def trained_model(people, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.json"
    assert main(["dedup", "--input", str(people), "--output", str(path.with_name("c.csv")),
                 "--model-out", str(path)]) == 0
    return json.loads(path.read_text("utf-8"))


def _dedup(people, tmp_path, *options: str) -> int:
    return main(["dedup", "--input", str(people), "--output", str(tmp_path / "clusters.csv"),
                 *options])


def _settings_file(tmp_path, text: str):
    path = tmp_path / "settings.json"
    path.write_text(text, "utf-8")
    return str(path)


@pytest.mark.parametrize("key", ["taille_max_bloc", "taille_max_bloc_faible"])
def test_a_block_size_at_the_schema_bound_runs_with_settings(people, tmp_path, capsys, key):
    settings = {"version": 1, "blocage": {"taille_max_bloc": 200, key: 65535}}
    code = _dedup(people, tmp_path, "--settings", _settings_file(tmp_path, json.dumps(settings)))
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "clusters.csv").exists()


@pytest.mark.parametrize("key", ["taille_max_bloc", "taille_max_bloc_faible"])
def test_a_block_size_over_the_bound_is_refused_naming_it(people, tmp_path, capsys, key):
    settings = {"version": 1, "blocage": {"taille_max_bloc": 200, key: 65536}}
    code = _dedup(people, tmp_path, "--settings", _settings_file(tmp_path, json.dumps(settings)))
    err = capsys.readouterr().err
    assert code == 1 and "invalid_matching_model" in err and key in err
    assert "65535" in err and "Traceback" not in err


@pytest.mark.parametrize(("size", "code"), [(65535, 0), (65536, 1)])
def test_a_model_with_a_block_size_at_or_over_the_bound(people, trained_model, tmp_path,
                                                        capsys, size, code):
    doc = json.loads(json.dumps(trained_model))
    doc["reglages"]["blocage"]["taille_max_bloc"] = size
    (tmp_path / "model.json").write_text(json.dumps(doc), "utf-8")
    assert _dedup(people, tmp_path, "--model", str(tmp_path / "model.json")) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code:
        assert "invalid_matching_model" in err and "taille_max_bloc" in err


@pytest.mark.parametrize("option", ["--settings", "--model"])
def test_a_nesting_too_deep_is_refused_not_a_traceback(people, tmp_path, capsys, option):
    code = _dedup(people, tmp_path, option, _settings_file(tmp_path, "[" * 200_000))
    err = capsys.readouterr().err
    assert code == 1 and "invalid_matching_model" in err and "Traceback" not in err


@pytest.mark.parametrize("option", ["--settings", "--model"])
def test_a_device_is_refused_before_reading_it(people, tmp_path, capsys, option):
    code = _dedup(people, tmp_path, option, "/dev/zero")
    err = capsys.readouterr().err
    assert code == 1 and "invalid_matching_model" in err and "Traceback" not in err
    assert not (tmp_path / "clusters.csv").exists()


@pytest.mark.parametrize(("option", "bound"), [("--settings", 1_000_000), ("--model", 64_000_000)])
def test_a_file_over_the_size_bound_is_refused_naming_the_bound(people, tmp_path, capsys,
                                                                option, bound):
    path = tmp_path / "big.json"
    with path.open("wb") as out:
        out.truncate(bound + 1)  # sparse: no disk written
    code = _dedup(people, tmp_path, option, str(path))
    err = capsys.readouterr().err
    assert code == 1 and "invalid_matching_model" in err and "Traceback" not in err
    assert f"{bound // 1_000_000} Mo" in err


def test_the_shipped_model_is_well_under_the_model_bound():
    assert DEFAULT_MODEL_FILE.stat().st_size * 100 < 64_000_000


def test_a_file_too_small_to_train_on_decides_with_the_settings_given(tmp_path, capsys):
    people = tmp_path / "people.csv"
    people.write_text("id,nom,prenom,date_naissance\n1,Martin,Alice,1980-01-02\n"
                      "2,Durand,Paul,1975-03-04\n3,Martin,Alicia,1980-01-02\n", "utf-8")
    settings = {"version": 1, "decision": {"probabilite_lien": 0.995, "probabilite_revue": 0.9},
                "blocage": {"taille_max_bloc": 300}}
    code = _dedup(people, tmp_path, "--settings", _settings_file(tmp_path, json.dumps(settings)),
                  "--model-out", str(tmp_path / "model.json"))
    assert code == 0, capsys.readouterr().err
    model = MatchModel.from_json((tmp_path / "model.json").read_text("utf-8"))
    assert model.training == dedup_batch.default_model().training  # not trained: shipped
    assert model.settings.decision.link_probability == 0.995
    assert model.settings.decision.review_probability == 0.9
    assert model.settings.blocking.max_block_size == 300


@pytest.mark.parametrize("field", ["date_naissance", "courriel", "telephone", "adresse", "lieu"])
def test_term_frequencies_asked_of_a_field_without_them_are_refused_naming_it(
        people, tmp_path, capsys, field):
    """Only the names' frequencies temper an agreement (`Comparison.tf_value`): asked of
    another field, the training counted its values (dates: not a JSON key) for nothing."""
    settings = {"version": 1, "comparaisons": {field: {"frequence_termes": True}}}
    code = _dedup(people, tmp_path, "--settings", _settings_file(tmp_path, json.dumps(settings)),
                  "--model-out", str(tmp_path / "model.json"))
    err = capsys.readouterr().err
    assert code == 1 and "invalid_matching_model" in err and "Traceback" not in err
    assert f"comparaisons.{field}.frequence_termes" in err


def test_the_fields_with_term_frequencies_are_those_whose_comparison_reads_them():
    from hub.domain.matching.comparisons import COMPARISON_CLASSES, Comparison
    from hub.domain.matching.settings import TERM_FREQUENCY_FIELDS

    assert set(TERM_FREQUENCY_FIELDS) == {
        name for name, cls in COMPARISON_CLASSES.items() if cls.tf_value is not Comparison.tf_value}
