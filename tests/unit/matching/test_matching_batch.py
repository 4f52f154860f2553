"""Batch dedup of a people CSV: clusters out, clear errors naming the line."""

from __future__ import annotations

import csv
import dataclasses
import json

import pytest

from hub.domain.matching.model import MatchModel
from hub.domain.matching.settings import default_settings
from hub.errors import InvalidCsvFile, InvalidMatchingModel
from hub.services.matching import dedup_parallel
from hub.services.matching.dedup_batch import run_batch

HEADER = ("id,nom,nom_naissance,prenom,date_naissance,courriel,telephone,"
          "adresse_ligne,code_postal,commune\n")


def _people(count: int = 60) -> str:
    """`count` distinct people, each typed twice by two members; row ids A<n> and B<n>."""
    lines = [HEADER]
    for n in range(count):
        surname = f"Ker{chr(97 + n % 26)}{chr(97 + n // 26)}elen"
        born = f"19{50 + n % 45}-{1 + n % 12:02d}-{1 + n % 27:02d}"
        phone = f"06{n:08d}"
        lines.append(f"A{n},{surname},,Anne,{born},a{n}@free.fr,{phone},,63000,Riom\n")
        day = born[8:10] + "/" + born[5:7] + "/" + born[:4]
        lines.append(f"B{n},{surname.upper()},,ANNE,{day},,{phone[:2]} {phone[2:]},,63000,\n")
    return "".join(lines)


def _clusters(path):
    with path.open(encoding="utf-8") as result:
        return {row["id"]: row["cluster_id"] for row in csv.DictReader(result)}


def test_people_typed_twice_end_in_one_cluster_each(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text(_people(), encoding="utf-8")
    summary = run_batch(source, tmp_path / "clusters.csv", model_out=tmp_path / "model.json")
    clusters = _clusters(tmp_path / "clusters.csv")
    assert summary.records == 120 and summary.trained
    assert sum(clusters[f"A{n}"] == clusters[f"B{n}"] for n in range(60)) >= 57
    assert len({clusters[f"A{n}"] for n in range(60)}) == 60
    again = run_batch(source, tmp_path / "again.csv", model_path=tmp_path / "model.json")
    assert not again.trained and _clusters(tmp_path / "again.csv") == clusters


def test_two_worker_processes_give_the_clusters_of_one(tmp_path, monkeypatch):
    source = tmp_path / "people.csv"
    source.write_text(_people(), encoding="utf-8")
    one = run_batch(source, tmp_path / "one.csv", workers=1)
    monkeypatch.setattr(dedup_parallel, "MIN_PAIRS_PER_WORKER", 1)
    monkeypatch.setattr(dedup_parallel, "MIN_ROWS_PER_WORKER", 1)
    two = run_batch(source, tmp_path / "two.csv", workers=2)
    assert _clusters(tmp_path / "two.csv") == _clusters(tmp_path / "one.csv")
    assert (two.candidate_pairs, two.review_pairs) == (one.candidate_pairs, one.review_pairs)


def test_an_unknown_column_is_ignored_and_named_in_the_notes(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text("id,nom,pointure\n1,Martin,42\n", encoding="utf-8")
    summary = run_batch(source, tmp_path / "out.csv")
    assert summary.records == 1 and any("pointure" in note for note in summary.notes)


def test_a_damaged_utf8_file_names_the_line(tmp_path):
    source = tmp_path / "people.csv"
    source.write_bytes("id,nom\n1,Lefèvre\n".encode() + b"2,Lef\xe8vre\n")
    with pytest.raises(InvalidCsvFile) as error:
        run_batch(source, tmp_path / "out.csv")
    assert error.value.line == 3 and "ligne 3" in error.value.message_fr
    assert "Lef" not in error.value.message_fr


def test_a_broken_row_or_duplicate_id_is_rejected_by_its_line(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text("id,nom\n1,Martin\n2,Petit,extra\n1,Petit\n", encoding="utf-8")
    summary = run_batch(source, tmp_path / "out.csv")
    assert (summary.records, summary.rejected) == (2, 2)
    assert (tmp_path / "out.rejects.csv").read_text(encoding="utf-8").splitlines() == [
        "ligne,id,motif", "3,2,valeurs_en_trop", "4,1,id_en_double"]


def test_a_missing_id_column_is_refused(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text("nom,prenom\nMartin,Anne\n", encoding="utf-8")
    with pytest.raises(InvalidCsvFile):
        run_batch(source, tmp_path / "out.csv")


def test_an_unreadable_model_is_a_configuration_error(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text(_people(3), encoding="utf-8")
    bad = tmp_path / "model.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(InvalidMatchingModel):
        run_batch(source, tmp_path / "out.csv", model_path=bad)


def test_default_settings_follow_their_schema():
    import json

    from hub.domain.matching.settings import DEFAULT_SETTINGS_FILE, MatchingSettings
    from schemas.loader import validator

    document = json.loads(DEFAULT_SETTINGS_FILE.read_text(encoding="utf-8"))
    assert validator("matching_settings").errors(document) == []
    assert validator("matching_settings").errors(
        MatchingSettings.from_dict(document).to_dict()) == []


def test_a_record_in_review_against_two_linked_fiches_is_two_pairs_and_one_decision(tmp_path):
    """Names and a place alone never link: the third record goes to review against both
    fiches of the porteur they make (at a review threshold of 0.6 for every pair, thin
    ones included: this small file's model weighs the pair 0.84), and the coordinator
    has one question to answer."""
    source = tmp_path / "people.csv"
    model = tmp_path / "model.json"
    source.write_text(_people(), encoding="utf-8")
    run_batch(source, tmp_path / "trained.csv", model_out=model)
    trained = MatchModel.from_json(model.read_text(encoding="utf-8"))
    decision = dataclasses.replace(trained.settings.decision, review_probability=0.6,
                                   thin_review_probability=None)
    model.write_text(dataclasses.replace(trained, settings=dataclasses.replace(
        trained.settings, decision=decision)).to_json(), encoding="utf-8")
    source.write_text(
        HEADER + "A,Kerguelen,,Anne,1980-05-12,anne.k@free.fr,0612345678,,63000,Riom\n"
        "B,KERGUELEN,,ANNE,12/05/1980,anne.k@free.fr,06 12 34 56 78,,63000,\n"
        "C,Kerguelen,,Anne,,,,,63000,Riom\n", encoding="utf-8")
    summary = run_batch(source, tmp_path / "clusters.csv", model_path=model,
                        review_out=tmp_path / "reviews.csv")
    clusters = _clusters(tmp_path / "clusters.csv")
    assert clusters["A"] == clusters["B"] != clusters["C"]
    assert (summary.review_pairs, summary.review_decisions) == (2, 1)
    with (tmp_path / "reviews.csv").open(encoding="utf-8") as listed:
        rows = list(csv.DictReader(listed))
    # One question per pair of clusters: both rows carry it, for a coordinator to answer once.
    assert {row["question"] for row in rows} == {"|".join(sorted((clusters["A"], clusters["C"])))}


def test_a_veto_yields_only_to_personal_fields_among_them_a_contact():
    """The address or the surname agreeing would lift the first-name veto for twins at
    home; the birth date alone for twins anywhere: both refused, by the schema and on
    load (a model file is read without the schema)."""
    import json

    from hub.domain.matching.settings import DEFAULT_SETTINGS_FILE, MatchingSettings
    from schemas.loader import validator

    document = json.loads(DEFAULT_SETTINGS_FILE.read_text(encoding="utf-8"))
    for refused in (["adresse"], ["lieu", "courriel"], ["date_naissance"]):
        document["decision"]["veto_cede_a"] = refused
        assert validator("matching_settings").errors(document) != [], refused
        with pytest.raises(ValueError, match="veto_cede_a"):
            MatchingSettings.from_dict(document)
    for kept in ([], ["courriel", "date_naissance"], ["telephone"]):
        document["decision"]["veto_cede_a"] = kept
        assert validator("matching_settings").errors(document) == [], kept
        assert MatchingSettings.from_dict(document).decision.veto_yields_to == tuple(kept)


@pytest.mark.parametrize(("changes", "named"), [
    ({"probabilite_min_groupe": 0.97}, "probabilite_min_groupe"),
    ({"probabilite_revue": 0.99}, "probabilite_revue"),
    ({"probabilite_lien": 0.9, "probabilite_revue": 0.9, "probabilite_min_groupe": 0.95},
     "probabilite_min_groupe"),
])
def test_thresholds_out_of_order_are_refused_on_load_naming_the_field(changes, named):
    """A cluster bound above the review threshold would split clusters on pairs that are
    not worth a question; a review threshold above the link threshold leaves no band.
    probabilite_min_groupe <= probabilite_revue <= probabilite_lien, checked on load and
    on the typed settings alike, the error naming the field out of order."""
    import json

    from hub.domain.matching.settings import DEFAULT_SETTINGS_FILE, MatchingSettings

    document = json.loads(DEFAULT_SETTINGS_FILE.read_text(encoding="utf-8"))
    document["decision"].update(changes)
    with pytest.raises(ValueError, match=named):
        MatchingSettings.from_dict(document)
    decision = MatchingSettings.from_dict(json.loads(
        DEFAULT_SETTINGS_FILE.read_text(encoding="utf-8"))).decision
    with pytest.raises(ValueError, match=named):
        dataclasses.replace(decision, link_probability=document["decision"]["probabilite_lien"],
                            review_probability=document["decision"]["probabilite_revue"],
                            cluster_probability=document["decision"]["probabilite_min_groupe"])


def test_thresholds_in_order_or_the_cluster_bound_left_to_the_review_one_are_read():
    import json

    from hub.domain.matching.settings import DEFAULT_SETTINGS_FILE, MatchingSettings

    document = json.loads(DEFAULT_SETTINGS_FILE.read_text(encoding="utf-8"))
    for changes in ({"probabilite_min_groupe": None}, {"probabilite_min_groupe": 0.95},
                    {"probabilite_lien": 0.98, "probabilite_revue": 0.98,
                     "probabilite_min_groupe": 0.98}):
        document["decision"].update(changes)
        assert MatchingSettings.from_dict(document).decision.cluster_bound() <= 0.98


def test_a_model_whose_thresholds_are_out_of_order_names_the_field(tmp_path):
    """A model file is read without the schema: its settings are checked on load, and the
    error says which threshold to fix rather than calling the file unreadable."""
    import json

    from hub.domain.matching.model import default_model

    source = tmp_path / "people.csv"
    source.write_text(_people(3), encoding="utf-8")
    model = tmp_path / "model.json"
    document = json.loads(default_model().to_json())
    document["reglages"]["decision"]["probabilite_min_groupe"] = 0.97
    model.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InvalidMatchingModel, match="probabilite_min_groupe") as raised:
        run_batch(source, tmp_path / "out.csv", model_path=model)
    assert "probabilite_revue" in raised.value.message_fr


def _neighbours(count: int = 60) -> str:
    """`count` people typed twice, all living on one street of one postcode."""
    lines = [HEADER]
    first_names = ("Anne", "Marie", "Paule", "Rose", "Jeanne", "Lucie", "Claire", "Louise")
    for n in range(count):
        surname = f"{chr(97 + n % 26)}{chr(97 + n // 26)}kerelen"
        first = first_names[n % len(first_names)]
        born = f"19{50 + n % 45}-{1 + n % 12:02d}-{1 + n % 27:02d}"
        street = f"{n + 1} rue de la Republique"
        lines.append(f"A{n},{surname},,{first},{born},a{n}@free.fr,,{street},63000,Riom\n")
        lines.append(f"B{n},{surname.upper()},,{first},{born},,,{street.upper()},63000,\n")
    return "".join(lines)


def _trained_with(tmp_path, name: str, rules: tuple[str, ...], untrained: tuple[str, ...]):
    base = default_settings()
    settings = dataclasses.replace(base, blocking=dataclasses.replace(
        base.blocking, rules=rules, untrained_rules=untrained))
    source = tmp_path / "neighbours.csv"
    source.write_text(_neighbours(), encoding="utf-8")
    summary = run_batch(source, tmp_path / f"{name}.csv", settings=settings,
                        model_out=tmp_path / f"{name}.json")
    model = json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))
    return summary, {k: model[k] for k in ("a_priori", "m", "u")}


def test_a_rule_kept_from_training_brings_pairs_and_moves_no_learnt_weight(tmp_path):
    """The street with the postcode brings every neighbour: scored, not learnt from (fed
    to EM they moved u and the prior, so every other pair's weight)."""
    rules = tuple(r for r in default_settings().blocking.rules if r != "rue_code_postal")
    _before, without = _trained_with(tmp_path, "without", rules, ())
    added, kept_out = _trained_with(tmp_path, "kept_out", (*rules, "rue_code_postal"),
                                    ("rue_code_postal",))
    _learnt, learnt = _trained_with(tmp_path, "learnt", (*rules, "rue_code_postal"), ())
    assert added.candidate_pairs > _before.candidate_pairs
    assert kept_out == without
    assert learnt != without  # the pairs it brings would move the weights
