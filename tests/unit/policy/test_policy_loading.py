"""Loading a policy: a bad document is refused with a message naming where it is wrong."""

from __future__ import annotations

import json

import pytest

import schemas
from hub.domain.policy import load_policy, schema_paths
from hub.errors import ConfigurationError, InvalidPolicy
from hub.services.ingest.policy_loader import PolicyHolder, load_policy_file

from .conftest import SHIPPED_POLICY_FILE


def test_the_shipped_policy_loads_and_carries_its_version(policy):
    assert policy.version == "2026.1"
    assert ("accueil", "orientation") in policy.rules


def test_the_shipped_policy_file_matches_its_schema(policy_document):
    assert schemas.validator("policy").errors(policy_document) == []


def test_every_field_of_the_fiche_schema_has_a_category(policy, fiche_schema):
    leaves, _ = schema_paths(fiche_schema)
    assert leaves == frozenset().union(*policy.categories.values())


def test_schema_paths_name_leaves_and_mark_arrays_of_objects(fiche_schema):
    leaves, containers = schema_paths(fiche_schema)
    assert {"porteur.nom", "porteur.adresse.commune", "financement.pret_honneur",
            "accompagnement[].notes", "projet.besoins"} <= leaves
    assert {"porteur", "porteur.adresse", "accompagnement"} <= containers
    assert not leaves & containers


def test_unknown_role_is_refused_naming_the_rule(policy_document, fiche_schema):
    policy_document["regles"][2]["role"] = "prospection"
    with pytest.raises(InvalidPolicy, match=r"\$\.regles\[2\]\.role") as caught:
        load_policy(policy_document, fiche_schema)
    assert "prospection" in caught.value.message_en
    assert "rôle inconnu" in caught.value.message_fr


def test_unknown_purpose_is_refused(policy_document, fiche_schema):
    policy_document["regles"][0]["finalite"] = "marketing"
    with pytest.raises(InvalidPolicy, match=r"\$\.regles\[0\]\.finalite"):
        load_policy(policy_document, fiche_schema)


def test_a_path_absent_from_the_fiche_schema_is_refused(policy_document, fiche_schema):
    policy_document["categories"]["contact"]["chemins"].append("porteur.adresse.pays")
    with pytest.raises(InvalidPolicy, match="does not exist in the fiche schema") as caught:
        load_policy(policy_document, fiche_schema)
    assert "$.categories.contact.chemins[6]" in caught.value.message_en


def test_a_rule_path_absent_from_the_fiche_schema_is_refused(policy_document, fiche_schema):
    policy_document["regles"][1]["autorise"].append({"chemin": "projet.chiffre_affaires"})
    with pytest.raises(InvalidPolicy, match=r"\$\.regles\[1\]\.autorise\[11\]\.chemin"):
        load_policy(policy_document, fiche_schema)


def test_naming_a_whole_object_is_refused_so_new_subfields_never_leak(
    policy_document, fiche_schema
):
    policy_document["categories"]["contact"]["chemins"] = ["porteur.adresse"]
    with pytest.raises(InvalidPolicy, match="groups fields: name each of them"):
        load_policy(policy_document, fiche_schema)


def test_a_field_in_two_categories_is_refused(policy_document, fiche_schema):
    policy_document["categories"]["projet"]["chemins"].append("financement.apport")
    with pytest.raises(InvalidPolicy, match="already belongs to category"):
        load_policy(policy_document, fiche_schema)


def test_a_granted_path_without_category_is_refused(policy_document, fiche_schema):
    policy_document["categories"]["contact"]["chemins"].remove("porteur.telephone")
    policy_document["regles"][0]["autorise"].append({"chemin": "porteur.telephone"})
    with pytest.raises(InvalidPolicy, match="belongs to no category"):
        load_policy(policy_document, fiche_schema)


@pytest.mark.parametrize(
    ("breakage", "where"),
    [
        (lambda d: d.pop("regles"), r"\$\.regles"),
        (lambda d: d.update(version=3), r"\$\.version"),
        (lambda d: d.update(regle=[]), r"\$: unknown key 'regle'"),
        (lambda d: d["regles"][0]["autorise"].append({"categorie": "sante"}), r"autorise\[6\]"),
        (lambda d: d["regles"][0]["autorise"].append({"condition": "referent_only"}),
         r"either 'categorie' or 'chemin'"),
        (lambda d: d["regles"][0]["autorise"][0].update(condition="weekends"), "condition"),
        (lambda d: d["regles"].append(d["regles"][0]), "second rule for"),
    ],
)
def test_a_malformed_document_is_refused(policy_document, fiche_schema, breakage, where):
    breakage(policy_document)
    with pytest.raises(InvalidPolicy, match=where):
        load_policy(policy_document, fiche_schema)


def test_a_document_that_is_not_an_object_is_refused(fiche_schema):
    with pytest.raises(InvalidPolicy, match=r"at \$: a JSON object is expected"):
        load_policy(["regles"], fiche_schema)


def test_invalid_policy_is_a_configuration_error_with_a_stable_code():
    assert issubclass(InvalidPolicy, ConfigurationError)
    assert (InvalidPolicy.status, InvalidPolicy.code) == (500, "invalid_policy")


def test_a_file_with_a_syntax_error_is_refused_naming_file_and_line(tmp_path):
    broken = tmp_path / "policy.json"
    broken.write_text('{"version": "1",\n  "categories": {,}\n}', encoding="utf-8")
    with pytest.raises(InvalidPolicy) as caught:
        load_policy_file(broken)
    assert str(broken) in caught.value.message_en
    assert "line 2" in caught.value.message_en
    assert "ligne 2" in caught.value.message_fr


def test_a_file_with_an_unknown_role_is_refused_naming_file_and_path(tmp_path, policy_document):
    policy_document["regles"][3]["role"] = "direction"
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy_document), encoding="utf-8")
    with pytest.raises(InvalidPolicy) as caught:
        load_policy_file(path)
    assert str(path) in caught.value.message_en
    assert "$.regles[3].role" in caught.value.message_en


def test_a_file_with_an_unknown_path_is_refused_by_the_domain_check(tmp_path, policy_document):
    policy_document["categories"]["identite"]["chemins"].append("porteur.nationalite")
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy_document), encoding="utf-8")
    with pytest.raises(InvalidPolicy) as caught:
        load_policy_file(path)
    assert caught.value.message_en.startswith(f"{path}: Invalid field policy at $.categories")


def test_a_missing_file_is_refused_naming_it(tmp_path):
    with pytest.raises(InvalidPolicy, match="Unreadable policy file"):
        load_policy_file(tmp_path / "absent.json")


DEEP = "[" * 100_000 + "]" * 100_000  # nested past the JSON parser's recursion limit


def test_a_file_nested_past_the_parser_s_limit_is_refused_naming_it(tmp_path):
    """`capactif policy check` stopped with a RecursionError traceback."""
    deep = tmp_path / "policy.json"
    deep.write_text(DEEP, encoding="utf-8")
    with pytest.raises(InvalidPolicy, match="nested too deeply"):
        load_policy_file(deep)


def test_a_refused_reload_keeps_the_running_policy(tmp_path, policy_document):
    holder = PolicyHolder(load_policy_file(SHIPPED_POLICY_FILE))
    running = holder.current
    policy_document["regles"][0]["role"] = "inconnu"
    bad = tmp_path / "policy.json"
    bad.write_text(json.dumps(policy_document), encoding="utf-8")
    with pytest.raises(InvalidPolicy):
        holder.reload(bad)
    assert holder.current is running


def test_a_sound_reload_replaces_the_running_policy(tmp_path, policy_document):
    holder = PolicyHolder(load_policy_file(SHIPPED_POLICY_FILE))
    policy_document["version"] = "2025.2"
    good = tmp_path / "policy.json"
    good.write_text(json.dumps(policy_document), encoding="utf-8")
    holder.reload(good)
    assert holder.current.version == "2025.2"


class _Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_watched_policy_file_is_picked_up_after_an_edit_and_a_broken_edit_is_ignored(
        tmp_path, policy_document):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy_document), encoding="utf-8")
    ticks = _Ticks()
    holder = PolicyHolder(load_policy_file(path), path, check_every_s=5, clock=ticks)
    running = holder.current.version
    policy_document["version"] = "2027.1"
    path.write_text(json.dumps(policy_document), encoding="utf-8")
    assert holder.current.version == running  # not looked at before the delay
    ticks.now = 5
    assert holder.current.version == "2027.1"
    path.write_text('{"version": "2027.2", "regles": [', encoding="utf-8")
    ticks.now = 10
    assert holder.current.version == "2027.1"  # refused: the running policy stays
    path.write_text(DEEP, encoding="utf-8")  # a RecursionError: a 500 on each request
    ticks.now = 15
    assert holder.current.version == "2027.1"
    path.unlink()
    ticks.now = 20
    assert holder.current.version == "2027.1"


def test_policy_check_command_prints_each_rule_or_names_the_fault(tmp_path, capsys):
    from hub.cli import main

    assert main(["policy", "check", str(SHIPPED_POLICY_FILE)]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "financement     financement" in out
    broken = tmp_path / "policy.json"
    broken.write_text("{", encoding="utf-8")
    assert main(["policy", "check", str(broken)]) == 1
    assert "invalid_policy" in capsys.readouterr().err
