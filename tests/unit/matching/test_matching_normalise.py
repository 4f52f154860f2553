"""French normalisation: what members type becomes one canonical value, garbage -> missing."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import phonenumbers
from hypothesis import assume, given
from hypothesis import strategies as st

from hub.domain.matching import normalise as norm
from tests.unit.matching.matching_factories import person


def test_case_and_accents_are_folded():
    assert norm.fold("Hélène Bœuf") == norm.fold("HELENE BOEUF") == "HELENE BOEUF"


def test_apostrophes_and_hyphens_separate_words():
    assert norm.fold("D’Artagnan-Lefèvre") == "D ARTAGNAN LEFEVRE"


def test_particles_are_dropped_from_surnames():
    assert norm.surname_tokens("de la Fontaine") == ("FONTAINE",)
    assert norm.surname_tokens("d'Artagnan") == ("ARTAGNAN",)
    assert norm.surname_tokens("Le Gall")[0] == norm.surname_tokens("GALL")[0]
    assert norm.surname_tokens("Du Pont") == ("PONT",)


def test_a_name_made_only_of_particles_is_kept():
    assert norm.surname_tokens("Le") == ("LE",)


def test_compound_surnames_keep_their_parts():
    compact, _full, tokens = norm.surname_forms("Dupont-Martin")
    assert (compact, tokens) == ("DUPONTMARTIN", ("DUPONT", "MARTIN"))
    assert norm.surname_forms("Dupont Martin")[0] == compact
    assert norm.surname_forms("de la Roche")[1] == norm.surname_forms("Delaroche")[1]


def test_saint_abbreviation_is_expanded():
    assert norm.surname_forms("St-Exupéry")[0] == norm.surname_forms("Saint Exupery")[0]


def test_compound_first_names_agree_whatever_the_writing():
    assert norm.first_name_tokens("Jean-Marc") == norm.first_name_tokens("jean marc")
    assert norm.first_name_initials(norm.first_name_tokens("J.-M.")) == "JM"
    assert norm.first_name_initials(norm.first_name_tokens("Jean-Marc")) == "JM"
    assert norm.first_name_initials(norm.first_name_tokens("JM")) == "JM"


def test_nicknames_expand_to_the_first_name():
    assert norm.canonical_first_name(("MANU",)) == "EMMANUEL"


def test_usage_and_birth_names_are_both_kept():
    record = person(nom="Durand", nom_naissance="Martin", prenom="Anne")
    assert record.surname_values() == ("DURAND", "MARTIN")


def test_emails_lose_case_tags_and_gmail_dots():
    assert norm.normalise_email(" Jean.Dupont+cci@GMAIL.com ") == "jeandupont@gmail.com"
    assert norm.normalise_email("anne@orange.fr") == "anne@orange.fr"
    assert norm.normalise_email("pas un courriel") is None
    assert norm.normalise_email("") is None


def test_french_phones_become_e164():
    expected = "+33612345678"
    for typed in ("06 12 34 56 78", "0612345678", "+33 6 12 34 56 78", "06.12.34.56.78"):
        assert norm.normalise_phone(typed) == expected


@given(st.sampled_from(["0", "+33", "0033", "+33 ", "00 33 ", "+33 (0)", "+33(0) ", "0033 (0)"]),
       st.text(alphabet="0123456789", min_size=9, max_size=9),
       st.sampled_from(["", " ", ".", "-"]))
def test_the_french_phone_shortcut_answers_as_the_general_parser(prefix, digits, separator):
    """As the general parser reads the number in France, or, where it is no metropolitan
    number or begins with an overseas department's prefix, in the first overseas
    department that has it."""
    typed = prefix + separator.join(digits[i : i + 2] for i in range(0, 9, 2))
    overseas = (norm.parsed_e164("0" + digits, region) for region in ("RE", "GP", "MQ", "GF")
                if not digits.startswith("0"))  # 00...: an international prefix
    if digits[:3] in {"262", "263", "269", "590", "594", "596", "639", "690", "691", "692",
                      "693", "694", "696", "697"}:
        expected = next((e for e in overseas if e), None)
    else:
        expected = norm.parsed_e164(typed) or next((e for e in overseas if e), None)
    assert norm.normalise_phone(typed) == expected


def test_overseas_numbers_written_the_french_way_are_read_in_their_department():
    """0692 12 34 56 is Réunion's mobile +262 692 12 34 56 (dialled with 0 at home like
    any French number), not an invalid metropolitan number, so not missing; so with +33
    written before it, and Mayotte's numbers under Comoros' +269 before 2007."""
    for typed, expected in (("0692 12 34 56", "+262692123456"), ("0262 16 12 34", "+262262161234"),
                            ("+33 692 12 34 56", "+262692123456"),
                            ("05.90.27.12.34", "+590590271234"), ("0696201234", "+596696201234"),
                            ("0694 20 12 34", "+594694201234"), ("+262 692 12 34 56", "+262692123456"),
                            ("+269 639 01 23 45", "+262639012345"),
                            ("00269 269 60 12 34", "+262269601234"),
                            ("0269 60 12 34", "+262269601234"), ("+33 269 60 12 34", "+262269601234"),
                            ("05 96 61 23 45", "+596596612345")):
        assert norm.normalise_phone(typed) == expected, typed
    assert norm.normalise_phone("0600000000") is None


def test_an_overseas_number_after_plus_33_and_a_trunk_zero_in_brackets_is_overseas():
    """+33 (0)2 69 ...: the international form with the trunk 0 kept in brackets, as
    printed on letterheads, is still Mayotte's 0269 ..., not a metropolitan 02 number."""
    for typed, expected in (("+33 (0)2 69 60 12 34", "+262269601234"),
                            ("+33 (0)269 60 12 34", "+262269601234"),
                            ("+33(0)692 12 34 56", "+262692123456"),
                            ("0033 (0)5 96 61 23 45", "+596596612345"),
                            ("+33 (0) 5 90 27 12 34", "+590590271234"),
                            ("+33 (0)6 12 34 56 78", "+33612345678"),
                            ("+33 (0)1 42 68 53 00", "+33142685300")):
        assert norm.normalise_phone(typed) == expected, typed


def test_a_phone_with_a_note_beside_it_is_the_number():
    """A form's free text field holds the number and a word about it (portable,
    domicile, tél.): the number is read, not the note; a note alone, or a letter typed
    in the digits, leaves no number."""
    for typed, expected in (("06 12 34 56 78 (portable)", "+33612345678"),
                            ("06.12.34.56.78 portable", "+33612345678"),
                            ("04 71 23 45 67 (domicile)", "+33471234567"),
                            ("Tél. : 04 71 23 45 67", "+33471234567"),
                            ("mobile 0692 12 34 56", "+262692123456"),
                            ("+33 6 12 34 56 78 (pro)", "+33612345678")):
        assert norm.normalise_phone(typed) == expected, typed
    for typed in ("portable", "(portable)", "06 12 e4 56 78", "06 12 34 56 7 (portable)"):
        assert norm.normalise_phone(typed) is None, typed


def test_garbage_phones_are_missing():
    for typed in ("0000000000", "n/a", "12", "", None, "01 00 00 00 00", "06 11 11 11 11"):
        assert norm.normalise_phone(typed) is None


def test_birth_dates_are_read_in_french_and_iso_forms():
    expected = dt.date(1980, 5, 12)
    for typed in ("1980-05-12", "12/05/1980", "12.05.1980", "12-05-1980", "19800512", "12/05/80"):
        assert norm.parse_birth_date(typed) == expected


def test_a_time_of_day_a_spreadsheet_adds_to_a_birth_date_is_ignored_in_every_form():
    expected = dt.date(1980, 5, 12)
    for typed in ("1980-05-12 00:00:00", "12/05/1980 00:00", "12/05/1980 00:00:00.000",
                  "19800512 00:00", "12/05/1980T10:30"):
        assert norm.parse_birth_date(typed) == expected
    assert norm.parse_birth_date("12/05/1980 extra") is None


def test_garbage_birth_dates_are_missing():
    for typed in ("00/00/0000", "inconnue", "31/02/1980", "01/01/1900", "1850-01-01", "", None):
        assert norm.parse_birth_date(typed) is None


def test_street_abbreviations_and_postcodes():
    assert norm.normalise_street("12, av. Jean Jaurès") == norm.normalise_street(
        "12 AVENUE JEAN JAURES")
    assert norm.normalise_postcode("3100") == "03100"
    assert norm.normalise_postcode("abc") is None


@given(st.text(max_size=40))
def test_folding_is_idempotent_and_gives_plain_letters(text):
    folded = norm.fold(text)
    assert norm.fold(folded) == folded
    assert set(folded) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ ")


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=30))
def test_plain_ascii_folds_as_through_the_unicode_path(text):
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    assert norm.fold(text) == " ".join(re.sub("[^A-Z]+", " ", bare).split())


@given(st.text(max_size=30))
def test_no_typed_text_makes_normalisation_fail(text):
    record = person(nom=text, prenom=text, date_naissance=text, courriel=text, telephone=text)
    assert record.date_naissance is None or record.date_naissance.year >= 1900


@given(st.dates(min_value=dt.date(1901, 1, 2), max_value=dt.date(2029, 12, 31)))
def test_every_plausible_date_reads_back_in_both_forms(date):
    assume(date not in norm.PLACEHOLDER_DATES)  # 01/01/1970 and the like mean "unknown"
    assert norm.parse_birth_date(date.isoformat()) == date
    assert norm.parse_birth_date(date.strftime("%d/%m/%Y")) == date


def test_a_two_digit_birth_year_is_read_as_the_connectors_read_it_in_the_past():
    from schemas.french_values import to_date

    for text in ("12.08.64", "03/04/28", "01/01/05"):
        assert norm.parse_birth_date(text) == to_date(text, past=True)
    assert norm.parse_birth_date("03/04/28").year == 1928  # not 2028, a birth in the future


def test_the_french_validity_pattern_answers_as_the_phone_library():
    """Every five-digit start of a French national number (the types' patterns decide
    within five digits), with an ending varying with it: the shortcut's validity is the
    library's."""
    for start in range(10_000, 100_000):
        national = f"{start}{start * 7919 % 10_000:04d}"
        number = phonenumbers.PhoneNumber(country_code=33, national_number=int(national))
        assert bool(norm._FRENCH_VALID.fullmatch(national)) == \
            phonenumbers.is_valid_number(number), national


def test_overseas_placeholders_are_missing_as_metropolitan_ones_are():
    """A form filled with 0692 00 00 00 is no Réunion mobile: the subscriber's six digits
    all alike say a placeholder, whatever the writing (0..., +33, +262, Mayotte's +269)."""
    for typed in ("0692 00 00 00", "0262 00 00 00", "0590 00 00 00", "+262 692 00 00 00",
                  "+33 692 00 00 00", "0696 11 11 11", "+590 690 00 00 00", "+269 639 00 00 00",
                  "00262692000000"):
        assert norm.normalise_phone(typed) is None, typed
        assert norm.parsed_e164(typed) is None, typed


def test_birth_date_digits_are_read_only_from_a_date_a_typed_digit_made_impossible():
    assert norm.birth_date_digits("19761161") == "19761161"
    assert norm.birth_date_digits("1850-03-12") == "18500312"  # 1950 with one digit typed wrong
    for unknown in ("99/99/9999", "9999-12-31", "1850-01-01", "2099-12-31", "1111-11-11",
                    "05139876", "00/00/0000"):
        assert norm.birth_date_digits(unknown) is None, unknown
    # Eight digits whose year comes last are the French JJMMAAAA.
    assert norm.parse_birth_date("13051980") == dt.date(1980, 5, 13)
    assert norm.parse_birth_date("19800513") == dt.date(1980, 5, 13)
    assert norm.birth_date_digits("13051980") is None
    assert norm.birth_date_digits("13o51980") == "19800513"
    assert norm.birth_date_digits("13131980") == "19801313"


def _overseas_by_the_library(national: str) -> str | None:
    """`_overseas_e164` without its pre-check: the four parses alone."""
    for overseas in norm._OVERSEAS_REGIONS:
        number = phonenumbers.parse("0" + national, overseas)
        if phonenumbers.is_valid_number(number):
            if norm._placeholder_subscriber(str(number.national_number)):
                return None
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def test_the_overseas_precheck_refuses_only_numbers_no_overseas_region_takes():
    """Every four-digit start of nine digits (the valid ones too: 0692, 07 09 3...), with
    subscriber digits of several kinds: the pre-check changes no answer."""
    refused = 0
    for start in range(1000, 10_000):
        for rest in ("00000", "12345", "98765"):
            national = f"{start}{rest}"
            assert norm._overseas_e164(national) == _overseas_by_the_library(national), national
            refused += not norm.may_be_overseas(national)
    assert refused > 15_000  # it does refuse most shapes (the 07 0... of a typo among them)


@given(st.text(alphabet="0123456789 +", min_size=0, max_size=12))
def test_the_overseas_precheck_leaves_other_shapes_to_the_library(text: str):
    assume(not (len(text) == 9 and text.isdigit() and text[0] != "0"))
    assert norm.may_be_overseas(text)


def test_the_overseas_precheck_reads_other_scripts_digits_as_the_library_does():
    """Digits of another script (full-width ５, Arabic-Indic ٩) are digits to the library,
    which reads them as ASCII ones: the pre-check refuses none of those numbers."""
    for typed, e164 in (("05٩0123456", "+590590123456"), ("05９0123456", "+590590123456"),
                        ("05٩4123456", "+594594123456"), ("02６2123456", "+262262123456"),
                        ("0033 5 ٩0 12 34 56", "+590590123456")):
        assert norm.normalise_phone(typed) == e164, typed


@given(st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩０１２３４５６７８９", min_size=9, max_size=9))
def test_the_overseas_precheck_changes_no_answer_on_any_script_s_digits(national: str):
    assume(unicodedata.digit(national[0]) != 0)  # after the 0 of a French number: never 0
    assert norm._overseas_e164(national) == _overseas_by_the_library(national)
