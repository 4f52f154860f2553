"""Format checkers for French administrative identifiers and common values.

Each checker takes a string and answers True when the value is well formed.
They are plugged into the JSON Schema validators under the names used in the
schema files (`siret`, `code-postal`, ...).

Every checker matches the whole string (`fullmatch`, so no trailing newline slips
through `$`) with ASCII digits only (`re.ASCII`: Arabic-Indic or full-width digits,
which `\\d` and `int()` would otherwise accept, are refused). A birth date
(`date-naissance`) is a real date in the past giving an age of 14 to 110 years on the
day it is checked: younger porteurs are not entrepreneurs the network supports, older
ones are typing errors or placeholders such as 1900-01-01.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

_POSTAL = re.compile(r"(?:0[1-9]|[1-8]\d|9[0-8])\d{3}", re.ASCII)
_INSEE = re.compile(r"(?:\d{2}|2[AB])\d{3}", re.ASCII)
_NAF = re.compile(r"\d{2}\.\d{2}[A-Z]", re.ASCII)
_DIGITS14 = re.compile(r"\d{14}", re.ASCII)
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+", re.ASCII)
_PHONE_FR = re.compile(r"(?:\+33 ?|0033 ?|0)[1-9](?:[ .-]?\d{2}){4}", re.ASCII)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})",
                      re.ASCII)
MIN_AGE_YEARS, MAX_AGE_YEARS = 14, 110
_LA_POSTE_SIREN = "356000000"


def is_siret(value: str) -> bool:
    """14 digits whose Luhn key is valid (La Poste's establishments use a sum mod 5)."""
    if not _DIGITS14.fullmatch(value):
        return False
    if value.startswith(_LA_POSTE_SIREN):
        return sum(int(c) for c in value) % 5 == 0
    return luhn_valid(value)


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def is_postal_code(value: str) -> bool:
    return bool(_POSTAL.fullmatch(value))


def is_insee_code(value: str) -> bool:
    """A commune's INSEE code: department (2 digits, 2A, 2B; 97x overseas) + 3 digits."""
    return bool(_INSEE.fullmatch(value)) and not value.startswith(("00", "96", "99"))


def is_naf_code(value: str) -> bool:
    """A NAF rév. 2 sub-class such as 56.10A."""
    return bool(_NAF.fullmatch(value))


def is_french_phone(value: str) -> bool:
    return bool(_PHONE_FR.fullmatch(value))


def is_visible_text(value: str) -> bool:
    """A text on one line with no Unicode format character (category Cf: bidirectional
    controls U+202A-U+202E and U+2066-U+2069, zero-width U+200B-U+200F and U+2060, BOM,
    soft hyphen, tags) nor letter that shows nothing (the Hangul fillers U+115F, U+1160,
    U+3164, U+FFA0), which would show it as another text, no noncharacter (U+FFFE,
    U+FFFF...), and no control character (category Cc: C0 such as BEL, tab, line feed,
    escape; DEL; C1) nor line or paragraph separator (U+2028, U+2029), which partners'
    systems would act on or split a name at."""
    return first_format_character(value) is None


def first_format_character(value: str) -> str | None:
    """The first format or control character, invisible letter or noncharacter of
    `value` as U+XXXX, or None."""
    if value.isprintable():  # Cf, Cc, Zl, Zp, Cn are not printable: the common case, in C
        # `in` answers at once for a text of Latin letters (its storage holds none)
        if not ("\u115f" in value or "\u1160" in value or "\u3164" in value
                or "\uffa0" in value):
            return None
        letter = _INVISIBLE_LETTERS.search(value)
        return f"U+{ord(letter.group()):04X}" if letter else None
    found = next((c for i, c in enumerate(value) if _not_in_a_name(value, i, c)), None)
    return f"U+{ord(found):04X}" if found else None


def _not_in_a_name(value: str, i: int, c: str) -> bool:
    if unicodedata.category(c) in _NOT_IN_A_NAME:
        return c != "\x00" and not _joining(value, i)
    return c in _INVISIBLE_LETTER_SET or _noncharacter(c)


# Letters that show nothing (the Hangul fillers, category Lo, printable): a name of them
# reads empty, or as another name once they are dropped.
_INVISIBLE_LETTER_SET = frozenset("\u115f\u1160\u3164\uffa0")
_INVISIBLE_LETTERS = re.compile("[\u115f\u1160\u3164\uffa0]")


def _noncharacter(c: str) -> bool:
    """One of the 66 code points Unicode keeps out of text (U+FDD0-U+FDEF, and the last
    two of each plane: U+FFFE, a byte-order mark read backwards, U+FFFF...)."""
    point = ord(c)
    return 0xFDD0 <= point <= 0xFDEF or point & 0xFFFE == 0xFFFE


# Format characters (Cf), control characters (Cc) and line and paragraph separators. NUL
# has its own rule (`nul_character`, loader.nul_path), in every text: not named twice.
_NOT_IN_A_NAME = frozenset(("Cf", "Cc", "Zl", "Zp"))


def is_control_character(code_point: str) -> bool:
    """`code_point` (U+XXXX) is a control character or a line or paragraph separator."""
    return unicodedata.category(chr(int(code_point[2:], 16))) in ("Cc", "Zl", "Zp")


_JOINERS = frozenset("\u200c\u200d")  # zero-width non-joiner and joiner
# Marks a free text keeps: the joiners (emoji sequences, Persian and Indic words) and the
# direction marks LRM, RLM, ALM, which place punctuation in mixed French and Arabic
# text and reorder no letter.
_FREE_TEXT_MARKS = _JOINERS | frozenset("\u200e\u200f\u061c")


# What Word and web pages leave in pasted text (soft hyphen, zero-width space, BOM): a
# connector removes them from its free texts (connectors/mapping.py), since removed they
# hide nothing; the hub itself still refuses them from a caller.
PASTED_INVISIBLES = {0x00AD: None, 0x200B: None, 0xFEFF: None}


def is_free_text(value: str) -> bool:
    """A free text (a project's description, a support note) with no format character
    that reorders or hides what it says: bidirectional embeddings, overrides and
    isolates, zero-width space, word joiner, invisible operators, BOM, soft hyphen,
    tags, interlinear annotations (the joiners and direction marks are kept); and no
    control character but its line breaks (LF, CR LF) and tabs: no other C0 control (a
    lone CR, a vertical tab, an escape), DEL, C1, nor the line and paragraph separators
    U+2028 and U+2029, which partners' systems act on or break lines at unseen."""
    return first_hiding_character(value) is None


def first_hiding_character(value: str) -> str | None:
    """The first character of `value` a free text refuses, as U+XXXX, or None."""
    if value.isprintable():
        return None
    found = next((c for i, c in enumerate(value) if _hides_or_controls(value, i, c)), None)
    return f"U+{ord(found):04X}" if found else None


def _hides_or_controls(value: str, i: int, c: str) -> bool:
    category = unicodedata.category(c)
    if category == "Cf":
        return c not in _FREE_TEXT_MARKS
    if c == "\r":  # a line break only before a line feed
        return value[i + 1:i + 2] != "\n"
    return category in _NOT_IN_A_NAME and c not in _FREE_TEXT_BREAKS


# NUL has its own rule (`nul_character`); a line feed and a tab are a free text's own.
_FREE_TEXT_BREAKS = frozenset("\x00\n\t")


def _joining(value: str, i: int) -> bool:
    """A joiner between two letters of a script that spells with it (Persian, the Indic
    scripts: نوری‌زاده): part of the name. Between Latin letters it only hides itself
    (Du<U+200D>pont shows as Dupont)."""
    return (value[i] in _JOINERS and 0 < i < len(value) - 1
            and all(_spelt_with_joiners(value[j]) for j in (i - 1, i + 1)))


def _spelt_with_joiners(c: str) -> bool:
    return ord(c) > 0x24F and unicodedata.category(c)[0] in "LM"


def is_email(value: str) -> bool:
    return len(value) <= 254 and bool(_EMAIL.fullmatch(value))


def is_date(value: str) -> bool:
    """A real calendar date in ISO 8601 form (YYYY-MM-DD), between 1900 and 2100."""
    parsed = _iso_date(value)
    return parsed is not None and 1900 <= parsed.year <= 2100


def is_birth_date(value: str, today: dt.date | None = None) -> bool:
    """A real date (YYYY-MM-DD) giving an age of MIN_AGE_YEARS to MAX_AGE_YEARS today."""
    born = _iso_date(value)
    if born is None:
        return False
    earliest, latest = birth_date_bounds(today)
    return earliest <= born <= latest


def birth_date_bounds(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last birth dates accepted today (ages MAX_AGE_YEARS to MIN_AGE_YEARS)."""
    today = today or dt.date.today()
    earliest = _years_before(today, MAX_AGE_YEARS + 1) + dt.timedelta(days=1)
    return earliest, _years_before(today, MIN_AGE_YEARS)


def iso_date(value: str) -> dt.date | None:
    """A real calendar date written YYYY-MM-DD (None: not one)."""
    return _iso_date(value)


def _iso_date(value: str) -> dt.date | None:
    if not _ISO_DATE.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


# The instants the hub reads, in bodies and in queries alike: every one has a date in any
# time zone (the console shows them in Paris), none is a placeholder of year 1 or 9999.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def is_datetime(value: str) -> bool:
    """An RFC 3339 date-time with an explicit offset, its instant between 1970 and 9000."""
    if not _RFC3339.fullmatch(value):
        return False
    try:
        parsed = dt.datetime.fromisoformat(value.upper())
    except ValueError:
        return False
    return parsed.tzinfo is not None and EARLIEST <= parsed <= LATEST


FORMAT_CHECKERS = {
    "siret": is_siret,
    "code-postal": is_postal_code,
    "code-insee": is_insee_code,
    "code-naf": is_naf_code,
    "telephone-fr": is_french_phone,
    "email": is_email,
    "date": is_date,
    "date-naissance": is_birth_date,
    "date-time": is_datetime,
}
# Formats of texts (names, labels, notes), not of identifiers: any script, no format
# character (names) or none that reorders or hides the text (free texts).
TEXT_CHECKERS = {"texte-visible": is_visible_text, "texte-libre": is_free_text}
# How each of them names the character it refuses (never the value).
FIRST_REFUSED_CHARACTER = {"texte-visible": first_format_character,
                           "texte-libre": first_hiding_character}
