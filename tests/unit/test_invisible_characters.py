"""Names and other identity texts of a fiche hold no Unicode format character (category
Cf: bidirectional controls, zero-width characters, BOM...): they would make a name look
other than it is. The error names the field and the code point, never the value."""

import datetime as dt

import pytest

import schemas
from capactif_demo.consent_examples import example_submission
from tests.factories import make_fiche

FORMAT_CHARACTERS = ["\u202e", "\u202a", "\u2066", "\u2069", "\u200b", "\u200d", "\u200f",
                     "\ufeff", "\u00ad", "\u2060", "\U000e0041"]
IDENTITY_TEXTS = [("porteur", "nom"), ("porteur", "prenom"), ("porteur", "nom_naissance"),
                  ("projet", "intitule")]


def _errors(fiche):
    return [e.to_dict() for e in schemas.validator("fiche").errors(fiche)]


# Letters that show nothing (the Hangul fillers: a name of them looks empty or like
# another) and noncharacters (never text: U+FFFE is a byte-order mark read backwards).
INVISIBLE_LETTERS = ["\u115f", "\u1160", "\u3164", "\uffa0", "\ufffe", "\uffff",
                     "\ufdd0", "\U0010ffff"]


@pytest.mark.parametrize("character", FORMAT_CHARACTERS + INVISIBLE_LETTERS)
@pytest.mark.parametrize(("part", "field"), IDENTITY_TEXTS)
def test_a_format_character_invisible_letter_or_noncharacter_in_an_identity_text_is_refused(
        character, part, field):
    fiche = make_fiche()
    fiche[part][field] = f"Dup{character}ont"
    [error] = _errors(fiche)
    assert error["path"] == f"$.{part}.{field}" and error["code"] == "format"
    assert f"U+{ord(character):04X}" in error["message_en"]
    assert "Dup" not in error["message_fr"] + error["message_en"]


def test_a_name_of_hangul_fillers_alone_is_refused():
    fiche = make_fiche()
    fiche["porteur"]["nom"] = "\u3164\u3164"
    assert [e["path"] for e in _errors(fiche)] == ["$.porteur.nom"]


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
    errors = _free_text_errors(f"Boulangerie{character} bio", f"Rendez-vous{character} fixé",
                               character)
    assert all("Invisible formatting character" in e["message_en"] for e in errors)


def _free_text_errors(description: str, notes: str, character: str) -> list[dict]:
    """The errors of a fiche with these free texts: one for each, naming its path and the
    code point of `character`, never the text."""
    fiche = make_fiche()
    fiche["projet"]["description"] = description
    fiche["accompagnement"][0]["notes"] = notes
    errors = _errors(fiche)
    assert sorted(e["path"] for e in errors) == ["$.accompagnement[0].notes",
                                                 "$.projet.description"]
    assert all(e["code"] == "format" and f"U+{ord(character):04X}" in e["message_en"]
               and "Boulangerie" not in str(e) and "Rendez" not in str(e) for e in errors)
    return errors


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


CONTROL_CHARACTERS = ["\x07", "\n", "\r", "\t", "\x1b", "\x7f", "\x85", "\x9b", "\u2028", "\u2029"]
ONE_LINE_TEXTS = [("porteur", "nom"), ("porteur", "prenom"), ("projet", "intitule")]


@pytest.mark.parametrize("character", CONTROL_CHARACTERS)
@pytest.mark.parametrize(("part", "field"), ONE_LINE_TEXTS)
def test_a_control_character_in_a_name_is_refused_naming_field_and_code_point(
        character, part, field):
    """A bell, a line break, an escape or a C1 control in a name is passed on to partners'
    systems, which split the name at it or act on it (a terminal's escape sequence)."""
    fiche = make_fiche()
    fiche[part][field] = f"Dup{character}ont"
    [error] = _errors(fiche)
    assert error["path"] == f"$.{part}.{field}" and error["code"] == "format"
    assert f"U+{ord(character):04X}" in error["message_en"]
    assert "Control character" in error["message_en"] and "line" in error["message_en"]
    assert "Dup" not in error["message_fr"] + error["message_en"]


def test_an_address_line_and_commune_on_two_lines_are_refused():
    fiche = make_fiche()
    fiche["porteur"]["adresse"].update(ligne="12 rue du Pont\nBât. B", commune="Ambert\x07")
    errors = _errors(fiche)
    assert [(e["path"], e["code"]) for e in errors] == [
        ("$.porteur.adresse.commune", "format"), ("$.porteur.adresse.ligne", "format")]
    assert "U+000A" in errors[1]["message_fr"] and "Pont" not in str(errors)


@pytest.mark.parametrize("character", ["\x07", "\n", "\x1b", "\x9b", "\u202e"])
def test_a_consent_agent_holding_a_control_character_is_refused(character):
    consent = example_submission(1, "0" * 64, dt.datetime.now(dt.UTC), membre="cci-thiers",
                                 fiche_id="F-1", reference="CST-1")
    consent["agent"] = f"agent{character}42"
    [error] = [e.to_dict() for e in schemas.validator("consent").errors(consent)]
    assert error["path"] == "$.agent" and error["code"] == "format"
    assert f"U+{ord(character):04X}" in error["message_en"]


def test_a_free_text_keeps_its_line_breaks_and_tabs():
    """A project's description and a support note are written on several lines."""
    fiche = make_fiche()
    fiche["projet"]["description"] = "Boulangerie bio.\r\n\tFour à bois.\nMarchés."
    fiche["accompagnement"][0]["notes"] = "Premier rendez-vous.\nSuite en mars."
    assert _errors(fiche) == []


def test_spaces_of_every_kind_stay_accepted_in_a_name():
    """A no-break or narrow no-break space (Zs) is neither a control nor a format character."""
    fiche = make_fiche()
    fiche["porteur"].update(nom="Le\u00a0Gall", prenom="Jean\u202fMarie")
    assert _errors(fiche) == []


def test_a_nul_in_a_name_is_named_once_by_its_own_rule():
    fiche = make_fiche()
    fiche["porteur"]["nom"] = "Dup\x00ont"
    assert [(e["path"], e["code"]) for e in _errors(fiche)] == [("$.porteur.nom", "nul_character")]


FREE_TEXT_CONTROLS = ["\x07", "\x1b", "\x0b", "\x0c", "\r", "\x7f", "\x85", "\x9b",
                      "\u2028", "\u2029"]


@pytest.mark.parametrize("character", FREE_TEXT_CONTROLS)
def test_a_free_text_refuses_control_characters_naming_field_and_code_point(character):
    """A free text keeps its line breaks (LF, CR LF) and tabs; any other control (a bell,
    an escape, DEL, C1, a lone carriage return, a vertical tab or form feed) and the line
    and paragraph separators U+2028 and U+2029 are refused: partners' systems act on
    them (a terminal's escape sequence) or break lines where the text shows none."""
    errors = _free_text_errors(f"Boulangerie bio.{character}Four à bois.",
                               f"Rendez-vous\r\n{character}fixé", character)
    assert all("Control character" in e["message_en"] and "line breaks" in e["message_en"]
               for e in errors)


def test_a_consent_s_text_proof_refuses_control_characters_too():
    submission = example_submission(1, "0" * 64, dt.datetime.now(dt.UTC), membre="cci-63",
                                    fiche_id="F-1", reference="CST-1",
                                    preuve={"type": "autre", "valeur": "Formulaire\x1b[2J signé"})
    [error] = [e.to_dict() for e in schemas.validator("consent").errors(submission)]
    assert error["path"] == "$.preuve.valeur" and "U+001B" in error["message_en"]
