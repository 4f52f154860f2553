"""A deletion flag is read as the member's system writes it, never silently as "kept".

CRMs mark a deleted contact with a yes/no, a deletion date (Laravel's `deleted_at`, Rails'
`discarded_at`) or a label (« Archivé »). Before, anything but a yes/no was read as "not
deleted", without a word, and `valeurs` was refused on the `suppression` rule.
"""

import pytest

from connectors.errors import ConfigurationError
from connectors.mapping import InvalidValue, Mapping


def _mapping(**flag) -> Mapping:
    return Mapping.from_dict({"version": 1, "identifiant": {"source": "$.id"},
                              "suppression": {"source": "$.flag", **flag},
                              "champs": {"porteur.nom": {"source": "$.nom"}}})


@pytest.mark.parametrize("value", [
    "2026-12-07T10:00:00.000000Z", "2026-12-07 10:00:00", "07/12/2026 10:30", "07/12/2026",
    "7 déc. 2026", 1765000000, "1765000000000", True, "oui", "true", "1", 1, "x"])
def test_a_deletion_date_or_a_yes_means_deleted(value):
    assert _mapping().is_deleted({"flag": value}) is True


@pytest.mark.parametrize("value", [None, "", "  ", "NULL", "null", False, "non", "false", "0",
                                   0])
def test_no_date_nor_a_no_means_kept(value):
    assert _mapping().is_deleted({"flag": value}) is False
    assert _mapping().is_deleted({}) is False


@pytest.mark.parametrize("value", ["Archivé", "46000", "NC", "supprimé ?"])
def test_an_unreadable_flag_is_an_error_never_a_keep(value):
    with pytest.raises(InvalidValue) as caught:
        _mapping().is_deleted({"flag": value})
    assert caught.value.problem == "booleen_invalide"
    assert "valeurs" in caught.value.message[0]  # how to read a label


def test_a_list_where_the_flag_is_meant_is_an_error():
    with pytest.raises(InvalidValue) as caught:
        _mapping().is_deleted({"flag": ["oui"]})
    assert caught.value.problem == "valeur_composee"


def test_labels_are_mapped_with_valeurs_and_autres():
    labels = _mapping(valeurs={"Archivé": "oui", "Actif": "non", "En veille": False})
    assert labels.is_deleted({"flag": "ARCHIVE"}) is True  # case and accents ignored
    assert labels.is_deleted({"flag": "Actif"}) is False
    assert labels.is_deleted({"flag": "en veille"}) is False
    assert labels.is_deleted({"flag": ""}) is False
    with pytest.raises(InvalidValue) as caught:
        labels.is_deleted({"flag": "Supprimé"})
    assert caught.value.problem == "valeur_inconnue"
    others = _mapping(valeurs={"Actif": "non"}, autres="oui")
    assert others.is_deleted({"flag": "Clos"}) is True


def test_a_label_mapped_to_neither_yes_nor_no_is_a_configuration_error():
    with pytest.raises(ConfigurationError) as caught:
        _mapping(valeurs={"Archivé": "archive"})
    assert "Archivé" in caught.value.message_fr and "oui ou non" in caught.value.message_fr
