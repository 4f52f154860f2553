"""Text pasted from Word or a web page into a CRM carries soft hyphens, zero-width spaces
and BOMs: the connector removes these three from free-text fields (they hide nothing
once removed) so the row is not rejected, and leaves every other field alone; the hub
still refuses them from a caller (tests/unit/test_invisible_characters.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.mapping import Mapping
from hub.cli_notices import submission_from_file
from schemas import validator
from tests.factories import make_fiche

PASTED = ["Boulangerie bio\u00adlogique", "Boulangerie\u200b bio", "\ufeffBoulangerie bio"]


def _mapping() -> Mapping:
    return Mapping.from_dict({"version": 1, "identifiant": {"source": "Id"}, "champs": {
        "projet.description": {"source": "Description"},
        "projet.intitule": {"source": "Intitulé"},
        "accompagnement[0].notes": {"source": "Notes"}}})


@pytest.mark.parametrize("text", PASTED)
def test_a_pasted_invisible_is_removed_from_a_free_text(text: str) -> None:
    fiche, problems = _mapping().apply({"Id": "1", "Description": text, "Notes": text})
    assert not problems
    assert fiche["projet"]["description"] == text.translate({0xAD: None, 0x200B: None, 0xFEFF: None})
    assert fiche["accompagnement"][0]["notes"] == fiche["projet"]["description"]


def test_a_fiche_with_pasted_invisibles_in_its_free_texts_is_valid() -> None:
    mapped, _ = _mapping().apply({"Id": "1", "Description": PASTED[0], "Notes": PASTED[1]})
    fiche = make_fiche()
    fiche["projet"]["description"] = mapped["projet"]["description"]
    assert validator("fiche").is_valid(fiche)


def test_a_name_keeps_them_and_is_refused_by_the_schema() -> None:
    mapped, _ = _mapping().apply({"Id": "1", "Intitulé": "Boulangerie\u200b bio"})
    assert mapped["projet"]["intitule"] == "Boulangerie\u200b bio"
    fiche = make_fiche()
    fiche["projet"]["intitule"] = mapped["projet"]["intitule"]
    assert not validator("fiche").is_valid(fiche)


def test_a_notice_file_saved_with_a_bom_is_read_without_it(tmp_path: Path) -> None:
    notice = tmp_path / "notice.txt"
    notice.write_bytes("\ufeffVos données sont partagées.".encode())
    assert submission_from_file(notice, "fr", None)["texte"] == "Vos données sont partagées."
    as_json = tmp_path / "notice.json"
    as_json.write_bytes('\ufeff{"texte": "Vos données."}'.encode())
    assert submission_from_file(as_json, "fr", None) == {"texte": "Vos données."}
