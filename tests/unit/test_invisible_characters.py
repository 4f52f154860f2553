"""Names and other identity texts of a fiche hold no Unicode format character (category
Cf: bidirectional controls, zero-width characters, BOM...): they would make a name look
other than it is. The error names the field and the code point, never the value."""

import pytest

import schemas
from tests.factories import make_fiche

FORMAT_CHARACTERS = ["\u202e", "\u202a", "\u2066", "\u2069", "\u200b", "\u200d", "\u200f",
                     "\ufeff", "\u00ad", "\u2060", "\U000e0041"]
IDENTITY_TEXTS = [("porteur", "nom"), ("porteur", "prenom"), ("porteur", "nom_naissance"),
                  ("projet", "intitule")]


def _errors(fiche):
    return [e.to_dict() for e in schemas.validator("fiche").errors(fiche)]


@pytest.mark.parametrize("character", FORMAT_CHARACTERS)
@pytest.mark.parametrize(("part", "field"), IDENTITY_TEXTS)
def test_a_format_character_in_an_identity_text_is_refused_naming_field_and_code_point(
        character, part, field):
    fiche = make_fiche()
    fiche[part][field] = f"Dup{character}ont"
    [error] = _errors(fiche)
    assert error["path"] == f"$.{part}.{field}" and error["code"] == "format"
    assert f"U+{ord(character):04X}" in error["message_en"]
    assert "Dup" not in error["message_fr"] + error["message_en"]


def test_the_commune_of_an_address_and_a_referent_name_are_checked_too():
    fiche = make_fiche()
    fiche["porteur"]["adresse"]["commune"] = "Amb\u202eert"
    fiche["accompagnement"][0]["referent"] = "Mme\u200b Roux"
    paths = sorted(e["path"] for e in _errors(fiche))
    assert paths == ["$.accompagnement[0].referent", "$.porteur.adresse.commune"]


def test_accents_apostrophes_and_non_latin_names_are_accepted():
    fiche = make_fiche()
    fiche["porteur"].update(nom="N'Diaye-Lefèvre", prenom="Zoë Ælis")
    fiche["porteur"]["nom_naissance"] = "Ибрагимова عبد"
    assert _errors(fiche) == []


@pytest.mark.parametrize("name", ["نوری\u200cزاده", "क्\u200dष"])
def test_a_joiner_spelling_a_persian_or_indic_name_is_accepted(name):
    """Persian writes some names with a zero-width non-joiner, the Indic scripts use the
    joiner: between two letters of such a script it is part of the name."""
    fiche = make_fiche()
    fiche["porteur"]["nom_naissance"] = name
    assert _errors(fiche) == []


@pytest.mark.parametrize("name", ["Du\u200dpont", "\u200cنوری", "نوری\u200c"])
def test_a_joiner_between_latin_letters_or_at_an_end_is_refused(name):
    fiche = make_fiche()
    fiche["porteur"]["nom"] = name
    assert [e["code"] for e in _errors(fiche)] == ["format"]


HIDING_CHARACTERS = ["\u202e", "\u202a", "\u2066", "\u2069", "\u200b", "\ufeff", "\u00ad",
                     "\u2060", "\u2062", "\U000e0041", "\ufff9"]


@pytest.mark.parametrize("character", HIDING_CHARACTERS)
def test_a_free_text_refuses_the_characters_that_reorder_or_hide_what_it_says(character):
    """A note read by a partner's system, or by the DPO who checks what was shared, must
    say what it shows: an override reverses it, tags carry text nobody sees."""
    fiche = make_fiche()
    fiche["projet"]["description"] = f"Boulangerie{character} bio"
    fiche["accompagnement"][0]["notes"] = f"Rendez-vous{character} fixé"
    errors = _errors(fiche)
    assert sorted(e["path"] for e in errors) == ["$.accompagnement[0].notes",
                                                 "$.projet.description"]
    assert all(e["code"] == "format" and f"U+{ord(character):04X}" in e["message_en"]
               and "Boulangerie" not in e["message_en"] for e in errors)


@pytest.mark.parametrize("text", [
    "Équipe 👩\u200d💻 motivée", "Gérant : \u200fمحمد\u200f, associé", "نوری\u200cزاده",
    "Suivi\u061c ok", "Notes\u200e (LTR)"])
def test_a_free_text_keeps_joiners_and_direction_marks(text):
    """Joiners build emoji and spell Persian or Indic words; the direction marks (LRM,
    RLM, ALM) set the side of punctuation in mixed French and Arabic text without
    reordering any letter."""
    fiche = make_fiche()
    fiche["projet"]["description"] = text
    fiche["accompagnement"][0]["notes"] = text
    assert _errors(fiche) == []


def test_the_consent_s_agent_is_a_name_and_its_text_proof_a_free_text():
    import datetime as dt

    from capactif_demo.consent_examples import example_submission
    now = dt.datetime.now(dt.UTC)
    submission = example_submission(1, "0" * 64, now, membre="cci-63", fiche_id="F-1",
                                    reference="CST-1", agent="Mme\u200dRoux",
                                    preuve={"type": "autre", "valeur": "Formulaire\u202e signé"})
    errors = [e.to_dict() for e in schemas.validator("consent").errors(submission)]
    assert sorted((e["path"], e["code"]) for e in errors) == [
        ("$.agent", "format"), ("$.preuve.valeur", "format")]
