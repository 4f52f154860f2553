"""Mapping files turn a member's columns and labels into fiche fields."""

import json
from pathlib import Path

import pytest

from connectors.base import Connector
from connectors.errors import ConfigurationError
from connectors.mapping import InvalidValue, Mapping, normalize_label
from schemas import validator

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "connectors"


def mapping(champs, **extra):
    return Mapping.from_dict({"version": 1, "identifiant": {"source": "Id"}, "champs": champs,
                              **extra})


STAGES = {"Idée": "idee", "Montage du projet": "montage", "Installé": "installe"}


def test_the_members_own_stage_labels_become_the_hubs_stages():
    m = mapping({"projet.stade": {"source": "Étape", "valeurs": STAGES}})
    assert m.apply({"Étape": "Montage du projet"})[0] == {"projet": {"stade": "montage"}}


def test_labels_match_without_regard_to_case_accents_or_spaces():
    m = mapping({"projet.stade": {"source": "Étape", "valeurs": STAGES}})
    assert m.apply({"Étape": "  INSTALLE "})[0] == {"projet": {"stade": "installe"}}
    assert normalize_label("Né(e) le") == normalize_label("ne e  LE")


def test_an_unknown_label_is_a_problem_naming_the_column_not_the_value():
    m = mapping({"projet.stade": {"source": "Étape", "valeurs": STAGES}})
    fiche, problems = m.apply({"Étape": "Chez le notaire"})
    assert fiche == {}
    assert problems[0].code == "valeur_inconnue"
    assert problems[0].colonne == "Étape"
    assert "notaire" not in json.dumps(problems[0].to_dict())


def test_an_unknown_label_takes_the_others_value_when_given():
    m = mapping({"projet.stade": {"source": "Étape", "valeurs": STAGES, "autres": "emergence"}})
    assert m.apply({"Étape": "Chez le notaire"})[0] == {"projet": {"stade": "emergence"}}


def test_a_list_column_is_split_and_each_label_mapped_once():
    m = mapping({"projet.besoins": {"source": "Besoins", "type": "liste",
                                    "valeurs": {"Local": "local", "Prêt": "financement"}}})
    fiche, _ = m.apply({"Besoins": "Local, prêt, LOCAL"})
    assert fiche == {"projet": {"besoins": ["local", "financement"]}}


def test_json_paths_read_nested_api_records():
    m = mapping({"porteur.nom": {"source": "$.contact.names[0]"},
                 "financement.apport": {"source": "$.money.own", "type": "nombre"}})
    record = {"contact": {"names": ["Durand"]}, "money": {"own": 5000}}
    assert m.apply(record)[0] == {"porteur": {"nom": "Durand"}, "financement": {"apport": 5000}}


def test_empty_values_are_left_out_or_take_the_default():
    m = mapping({"porteur.nom": {"source": "Nom"},
                 "projet.type": {"source": "Type", "defaut": "creation"}})
    assert m.apply({"Nom": "  ", "Type": ""})[0] == {"projet": {"type": "creation"}}


def test_constants_and_indexed_targets_build_lists_of_objects():
    m = mapping({"accompagnement[0].structure": {"constante": "commune-ambert"},
                 "accompagnement[0].type": {"constante": "accueil"}})
    assert m.apply({})[0] == {"accompagnement": [{"structure": "commune-ambert",
                                                  "type": "accueil"}]}


def test_columns_are_bound_to_the_files_own_header_spelling():
    m = mapping({"porteur.prenom": {"source": "Prénom"}})
    assert m.bind(["id", "PRENOM "]) == []
    assert m.apply({"PRENOM ": "Léa"})[0] == {"porteur": {"prenom": "Léa"}}
    assert m.key({"id": "12"}) == "12"


def test_missing_columns_are_reported_by_bind():
    m = mapping({"porteur.prenom": {"source": "Prénom"}})
    assert m.bind(["Id"]) == ["Prénom"]


def test_fiche_ids_keep_only_allowed_characters():
    m = Mapping.from_dict({"version": 1, "identifiant": {"source": "Id", "prefixe": "COM-"},
                           "champs": {"porteur.nom": {"source": "Nom"}}})
    assert m.fiche_id("2024/0153 b") == "COM-2024-0153-b"


def test_an_invalid_mapping_file_is_refused_with_its_paths():
    with pytest.raises(ConfigurationError) as caught:
        Mapping.from_dict({"version": 1, "identifiant": {}, "champs": {"Nom": {"source": "x"}}})
    assert "$.identifiant" in caught.value.message_en


@pytest.mark.parametrize("name", ["commune-tableur", "cci-crm"])
def test_the_example_mappings_and_configs_follow_their_schemas(name):
    folder = EXAMPLES / name
    mapping_doc = json.loads((folder / "correspondance.json").read_text(encoding="utf-8"))
    config_doc = json.loads((folder / "connecteur.json").read_text(encoding="utf-8"))
    assert validator("connector_mapping").errors(mapping_doc) == []
    assert validator("connector_config").errors(config_doc) == []


def test_unknown_keys_are_named_with_the_closest_known_one_at_every_level():
    from connectors.typos import unknown_keys
    from schemas.loader import load_schema

    config = {"version": 1, "type": "tableur", "source": {"chemin": "a.xlsx", "feuile": "S"},
              "corespondance": "c.json"}
    found = unknown_keys(load_schema("connector_config"), config)
    assert "clé inconnue « feuile » dans $.source : vouliez-vous dire « feuille » ?" in found
    assert any("« corespondance »" in f and "« correspondance »" in f for f in found)
    mapping = {"version": 1, "identifiant": {"source": "N°", "prefix": "A-"},
               "champs": {"porteur.nom": {"source": "Nom", "si_invalid": "ignorer"}}}
    found = unknown_keys(load_schema("connector_mapping"), mapping)
    assert any("« prefix »" in f and "« prefixe »" in f for f in found)
    assert any("$.champs.porteur.nom" in f and "« si_invalide »" in f for f in found)


@pytest.mark.parametrize("header, cells", [
    (["N° dossier", "Nom"], [" D-1 ", "Martin"]),
    (["Nom", "N° DOSSIER"], ["Martin"]),  # a short row: no key
    (["N° dossier", "Nom", "N° dossier"], ["D-1", "Martin", "D-2"]),  # the last column wins
    (["N° dossier"], ["   "]),
    (["Numéro"], ["D-1"]),  # the key column is missing
])
def test_a_rows_key_read_from_its_cells_is_the_key_of_its_record(header, cells):
    mapping = Mapping.from_dict({"version": 1, "identifiant": {"source": "N° dossier"},
                                 "champs": {"porteur.nom": {"source": "Nom"}}})
    mapping.bind(header)
    record = dict(zip(header, cells, strict=False))
    assert mapping.key_reader(header)(cells) == mapping.key(record)


def test_a_crm_list_or_object_where_one_value_is_meant_is_a_problem_not_its_python_text():
    m = mapping({"porteur.nom": {"source": "$.last_name"},
                 "porteur.prenom": {"source": "$.first_name"},
                 "projet.besoins": {"source": "$.needs", "type": "liste"},
                 "projet.intitule": {"source": "$.company.name"}})
    record = {"last_name": ["Dupont", "Durand"], "first_name": {"value": "Zoé"},
              "needs": ["local", {"label": "formation"}], "company": {"name": "Fournil"}}
    fiche, problems = m.apply(record)
    assert fiche == {"projet": {"intitule": "Fournil"}}
    assert {(p.colonne, p.code) for p in problems} == {
        ("$.last_name", "valeur_composee"), ("$.first_name", "valeur_composee"),
        ("$.needs", "valeur_composee")}
    assert "Dupont" not in json.dumps([p.to_dict() for p in problems], ensure_ascii=False)
    assert "$.telephones[0].numero" in problems[0].message_fr


def test_a_crm_object_as_identifier_or_prefixed_field_is_a_problem_naming_the_path():
    m = Mapping.from_dict({"version": 1, "identifiant": {"source": "$.id", "prefixe": "CRM-"},
                           "champs": {"consentement.reference": {"source": "$.id",
                                                                 "prefixe": "CST-"}}})
    record = {"id": {"value": 12}}
    with pytest.raises(InvalidValue):
        m.key(record)
    _, problems = m.apply(record)
    assert [(p.colonne, p.code) for p in problems] == [("$.id", "valeur_composee")]
    assert m.key({"id": 12}) == "12"


def test_a_crm_record_whose_identifier_is_a_list_is_rejected_not_sent_under_its_text():
    class Records(Connector):
        def changes(self, since):
            return iter(())

    m = Mapping.from_dict({"version": 1, "identifiant": {"source": "$.id"},
                           "champs": {"porteur.nom": {"source": "$.nom"}}})
    record = Records(m).record({"id": [12, 13]})
    assert record.key is None
    assert [(p.colonne, p.code) for p in record.problems] == [("$.id", "valeur_composee")]
