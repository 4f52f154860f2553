"""Normalisation of French identities before they are compared.

Every function takes what a member typed (any case, accents or not, hyphens,
apostrophes, particles, garbage) and returns a canonical value, or None when
nothing usable is left: garbage is treated as missing, never as an error.

Example:
    >>> surname_forms("de la Fontaine-Dupont")
    ('FONTAINEDUPONT', 'DELAFONTAINEDUPONT', ('FONTAINE', 'DUPONT'))
    >>> first_name_tokens("J.-M.")
    ('J', 'M')
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Mapping

import phonenumbers
from anyascii import anyascii

from hub.domain.matching.mail_providers import provider_domain
from schemas import french_values

_NON_LETTERS = re.compile(r"[^A-Z]+")
_PARTICLES = frozenset({"DE", "DU", "DES", "D", "LE", "LA", "LES", "L", "DI", "VON", "VAN"})
_SAINT = {"ST": "SAINT", "STE": "SAINTE"}

# Common French diminutives -> the first name they stand for.
NICKNAMES: Mapping[str, str] = {
    "MANU": "EMMANUEL", "FRED": "FREDERIC", "SEB": "SEBASTIEN", "NICO": "NICOLAS",
    "ALEX": "ALEXANDRE", "STEPH": "STEPHANE", "CATHY": "CATHERINE", "ISA": "ISABELLE",
    "VAL": "VALERIE", "CHRIS": "CHRISTOPHE", "MAX": "MAXIME", "FLO": "FLORENCE",
    "DOM": "DOMINIQUE", "PHIL": "PHILIPPE", "BEA": "BEATRICE", "JEANNOT": "JEAN",
    "GEGE": "GERARD", "DEDE": "ANDRE", "MIMI": "MICHELE", "JOJO": "JOSEPH",
    "SANDY": "SANDRINE", "NATH": "NATHALIE", "CARO": "CAROLINE", "PATOU": "PATRICIA",
    "TOM": "THOMAS", "BEN": "BENJAMIN", "GUIGUI": "GUILLAUME", "JB": "JEANBAPTISTE",
    "MATT": "MATTHIEU", "MATHIEU": "MATTHIEU", "ANTO": "ANTOINE", "TITOU": "THIBAULT",
    "FANFAN": "FRANCOISE", "DOUDOU": "EDOUARD", "LOLO": "LAURENT", "ZAZA": "ISABELLE",
}

_STREET_WORDS = {
    "AV": "AVENUE", "AVE": "AVENUE", "BD": "BOULEVARD", "BLD": "BOULEVARD", "R": "RUE",
    "CH": "CHEMIN", "CHE": "CHEMIN", "PL": "PLACE", "IMP": "IMPASSE", "RTE": "ROUTE",
    "ALL": "ALLEE", "LOT": "LOTISSEMENT", "LD": "LIEUDIT", "HAM": "HAMEAU", "FG": "FAUBOURG",
    "ST": "SAINT", "STE": "SAINTE", "QU": "QUAI", "CRS": "COURS", "SQ": "SQUARE",
}
_EMAIL = re.compile(r"^[a-z0-9._%+\-']+@[a-z0-9.\-]+\.[a-z]{2,}$")
_GMAIL = {"gmail.com", "googlemail.com"}
_DATE_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?$")
_TIME_OF_DAY = r"(?:[T ]\d{1,2}:\d{2}\S*)?"  # as spreadsheets add to a date: ignored
_DATE_DMY = re.compile(r"^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{2}|\d{4})" + _TIME_OF_DAY + "$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})" + _TIME_OF_DAY + "$")
_PHONE_PUNCTUATION = re.compile(r"[ .\-/()]")
# The trunk 0 may stay after +33 or 0033, mostly in brackets (+33 (0)2 69 ...): the same
# nine digits, so an overseas prefix behind it is still read overseas.
_FRENCH_PHONE = re.compile(r"^(?:0|(?:\+33|0033)0?)([1-9]\d{8})$")
# Memoised: names, communes and dates repeat across people (a batch of a million
# records holds a few thousand distinct first names). Only values shared by many are
# cached, and few of them, so a long-running worker keeps no population in memory;
# streets and phones, nearly one per household, are not cached.
_CACHE_SIZE = 1 << 14
PLACEHOLDER_DATES = frozenset({dt.date(1900, 1, 1), dt.date(1901, 1, 1), dt.date(1970, 1, 1)})
MIN_BIRTH_YEAR, MAX_BIRTH_YEAR = 1900, 2030


def fold(text: str | None) -> str:
    """Upper case, no accents, ligatures expanded; anything not a letter (digits, symbols,
    emoji) becomes one space.

    A letter that is not a Latin letter with an accent (Cyrillic, Greek, Arabic, Hebrew,
    Chinese; Ł, Ø, Þ) is read in Latin letters (`anyascii`): "Иванов" and "Ivanov" are
    one surname, and a name in any script is compared, never read as missing.
    """
    if not text:
        return ""
    if text.isascii():  # most values: no accent to take off, no ligature (same answer)
        return " ".join(_NON_LETTERS.sub(" ", text.upper()).split())
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    upper = bare.upper().replace("Œ", "OE").replace("Æ", "AE")
    if not upper.isascii():  # a symbol first becomes a space: anyascii would name it
        upper = anyascii(_letters_only(upper)).upper()
    return " ".join(_NON_LETTERS.sub(" ", upper).split())


def _letters_only(text: str) -> str:
    """Every character but a letter or a mark of a letter (Devanagari's vowel signs) read
    as a space: "MARIE 😀" is MARIE, not MARIE GRINNING; "N° 3" is N, not NDEG."""
    return "".join(c if unicodedata.category(c)[0] in "LM" else " " for c in text)


def surname_tokens(text: str | None) -> tuple[str, ...]:
    """The words of a surname without particles (de, du, le, d'...); hyphens split words."""
    words = [_SAINT.get(w, w) for w in fold(text).split()]
    kept = tuple(w for w in words if w not in _PARTICLES)
    return kept or tuple(words)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def surname_forms(text: str | None) -> tuple[str, str, tuple[str, ...]] | None:
    """(compact without particles, compact with particles, tokens), or None if empty.

    "de la Fontaine" and "Delafontaine" agree on the form with particles;
    "Le Gall" and "Gall" agree on the form without.
    """
    tokens = surname_tokens(text)
    if not tokens:
        return None
    full = "".join(_SAINT.get(w, w) for w in fold(text).split())
    return "".join(tokens), full, tokens


@functools.lru_cache(maxsize=_CACHE_SIZE)
def first_name_tokens(text: str | None) -> tuple[str, ...]:
    """Words of a first name: "Jean-Marc", "Jean Marc" and "JEAN MARC" give the same tokens."""
    return tuple(fold(text).split())


def first_name_initials(tokens: tuple[str, ...]) -> str:
    """"JM" for Jean-Marc and for J.-M.; a lone "JM" typed as one word stays "JM"."""
    if len(tokens) == 1 and len(tokens[0]) <= 2:
        return tokens[0]
    return "".join(t[0] for t in tokens)


def canonical_first_name(tokens: tuple[str, ...]) -> str:
    """The compact first name with nicknames expanded (Manu -> EMMANUEL)."""
    compact = "".join(tokens)
    if compact in NICKNAMES:
        return NICKNAMES[compact]
    return "".join(NICKNAMES.get(t, t) for t in tokens)


def normalise_email(text: str | None) -> str | None:
    """Lower case, no +tag, a provider's domain typed a letter off read as the provider's
    (`mail_providers`: gmial.com, wanadoo.f), gmail dots removed; None when it is not an
    address."""
    if not text:
        return None
    value = unicodedata.normalize("NFKC", text).strip().lower()
    local, at, domain = value.rpartition("@")
    if at:
        value = f"{local}@{provider_domain(domain)}"
    if not _EMAIL.match(value):
        return None
    local, domain = value.rsplit("@", 1)
    local = local.split("+", 1)[0]
    if domain in _GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}" if local else None


def normalise_phone(text: str | None, region: str = "FR") -> str | None:
    """E.164 (+33612345678) for a valid number, read as French unless it has a prefix.

    Placeholders typed to fill a form (06 00 00 00 00, 01 11 11 11 11) are missing:
    shared by strangers, they would otherwise count as strong evidence. A word written
    beside the number (06 12 34 56 78 (portable), Tél. : 04 ...) is a note, not part of
    it: the number without it is read where the text as typed gives none."""
    if not text or sum(map(str.isdigit, text)) < 6:
        return None
    number = _phone_e164(text, region)
    if number is None and (noted := _PHONE_NOTE.fullmatch(text)) and noted.group(1) != text:
        return _phone_e164(noted.group(1), region)
    return number


# A number with a word before it (Tél. :, mobile) or after it (portable, (domicile)): the
# word's letters never stand inside the digits, so a letter typed for a digit stays unread.
_PHONE_NOTE = re.compile(r"\s*(?:[^\W\d_]{2,}\.?\s*:?\s*)?(\+?\d[\d .\-/()]*\d)"
                         r"\s*(?:\(\s*[^\W\d_]{2,}\.?\s*\)|[^\W\d_]{2,}\.?)?\s*")


def _phone_e164(text: str, region: str) -> str | None:
    if region == "FR" and (national := _FRENCH_PHONE.match(_PHONE_PUNCTUATION.sub("", text))):
        digits = national.group(1)
        if digits[:3] in _OVERSEAS_PREFIXES:  # 0269 is Mayotte's, though +33 2 69 parses
            return _overseas_e164(digits)
        return _french_e164(digits) or _overseas_e164(digits)
    if region == "FR" and (mayotte := _MAYOTTE_BEFORE_2007.match(_PHONE_PUNCTUATION.sub("", text))):
        return _overseas_e164(mayotte.group(1))
    return parsed_e164(text, region)


def _overseas_e164(national: str) -> str | None:
    """Nine digits after 0 that are no metropolitan number may be one of the overseas
    departments', which share the French numbering plan and dial 0 at home: 0692 ... is
    Réunion's +262 692 ..., 0590 ... Guadeloupe's +590 590 ... (also read when written
    after +33, a frequent slip). Tried only where the French number is not valid."""
    if not may_be_overseas(national):
        return None
    for overseas in _OVERSEAS_REGIONS:
        try:
            number = phonenumbers.parse("0" + national, overseas)
        except phonenumbers.NumberParseException:  # pragma: no cover - nine digits parse
            return None
        if phonenumbers.is_valid_number(number):
            if _placeholder_subscriber(str(number.national_number)):
                return None
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def may_be_overseas(national: str) -> bool:
    """False only where no overseas number can be read in these nine digits: the library
    takes a number as valid only if its national significant number (here the nine digits,
    the 0 before them stripped as the national prefix) matches the general pattern of a
    region of its calling code, and these digits match none of the patterns of the
    regions sharing the overseas calling codes. Said before the four parses, which cost
    some 70 microseconds for a mistyped mobile (07 0..., 07 1...), one number in five of
    the bench's; any other shape (not nine ASCII digits, a leading 0) is left to the parses
    (the library reads another script's digits, a full-width ５ or an Arabic-Indic ٩, as
    ASCII ones, which the patterns do not)."""
    if len(national) != 9 or not (national.isascii() and national.isdigit()) or national[0] == "0":
        return True
    patterns = _overseas_patterns()
    return patterns is None or any(pattern.fullmatch(national) for pattern in patterns)


@functools.cache
def _overseas_patterns() -> tuple[re.Pattern[str], ...] | None:
    """The general national-number patterns of every region sharing a calling code with
    the overseas regions (+262 Réunion and Mayotte, +590 Guadeloupe and its islands...),
    from the library's own metadata, read once; None if a region has none (then every
    number is left to the parses)."""
    regions = sorted({region for overseas in _OVERSEAS_REGIONS for region in
                      phonenumbers.COUNTRY_CODE_TO_REGION_CODE[
                          phonenumbers.country_code_for_region(overseas)]})
    patterns = []
    for region in regions:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        general = None if metadata is None else metadata.general_desc
        if general is None or not general.national_number_pattern:
            return None
        patterns.append(re.compile(general.national_number_pattern))
    return tuple(patterns)


def _placeholder_subscriber(national: str) -> bool:
    """An overseas number whose subscriber's six digits are all alike (0692 00 00 00):
    a placeholder, as 06 00 00 00 00 is; its prefix (0692, 0590) is what varies."""
    return len(set(national[-6:])) < 2


# Réunion and Mayotte (+262), Guadeloupe, Saint-Martin, Saint-Barthélemy (+590), Martinique
# (+596), Guyane (+594): ten digits with the 0, like a metropolitan number.
_OVERSEAS_REGIONS = ("RE", "GP", "MQ", "GF")
# The prefixes the French plan gives the overseas departments (ARCEP): a number written
# 0269 ... or 0596 ... is Mayotte's or Martinique's, though the library also takes
# +33 269 ... and +33 596 ... for metropolitan numbers (read so, the same landline
# written 0269 ... and +262 269 ... would never agree).
_OVERSEAS_PREFIXES = frozenset({"262", "263", "269", "590", "594", "596", "639", "690",
                                "691", "692", "693", "694", "696", "697"})
_OVERSEAS_CODES = frozenset({262, 590, 594, 596})
# Mayotte's numbers under Comoros' +269 before 2007 (+269 639 ..., +269 269 ...).
_MAYOTTE_BEFORE_2007 = re.compile(r"^(?:\+|00)269((?:269|639)\d{6})$")


def parsed_e164(text: str, region: str = "FR") -> str | None:
    """The general path, through `phonenumbers.parse` (any country, any writing)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    national = str(number.national_number)
    if not phonenumbers.is_valid_number(number) or len(set(national[1:])) < 2 or (
            number.country_code in _OVERSEAS_CODES and _placeholder_subscriber(national)):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _french_e164(national: str) -> str | None:
    """The common case without the general parser: nine digits after 0, +33 or 0033
    (the same answer as `phonenumbers.parse`, checked by the tests, at a tenth the cost)."""
    if not _FRENCH_VALID.fullmatch(national) or len(set(national[1:])) < 2:
        return None
    return "+33" + national


def _french_validity() -> re.Pattern[str]:
    """`phonenumbers.is_valid_number` for a French national number of nine digits, as one
    regular expression built from the library's own metadata: the general pattern, and
    the pattern of one number type (fixed line, mobile, ...) accepting nine digits.
    (The library's check walks the types one by one: most of a phone's normalisation.)"""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("FR")
    general = metadata.general_desc if metadata is not None else None
    if general is None or not general.national_number_pattern:
        raise RuntimeError("phonenumbers has no metadata for France")
    types = [getattr(metadata, name) for name in _NUMBER_TYPES]
    patterns = [f"(?:{d.national_number_pattern})" for d in types
                if d is not None and d.national_number_pattern and 9 in d.possible_length]
    return re.compile(f"(?=(?:{general.national_number_pattern})$)(?:{'|'.join(patterns)})")


# The types `phonenumbers` tries before calling a number valid (`_number_type_helper`).
_NUMBER_TYPES = ("premium_rate", "toll_free", "mobile", "fixed_line", "shared_cost", "voip",
                 "personal_number", "pager", "uan", "voicemail")
_FRENCH_VALID = _french_validity()


@functools.lru_cache(maxsize=_CACHE_SIZE)
def parse_birth_date(text: str | None) -> dt.date | None:
    """ISO, French (12/05/1980, 12.05.80) or compact dates; garbage and placeholders -> None."""
    if not text:
        return None
    value = text.strip()
    if match := _DATE_COMPACT.match(value):  # 19800513, or the French 13051980
        return _valid_date(*(int(g) for g in match.groups())) or _valid_date(
            *(int(g) for g in _french_compact(match.group(0)[:8]) or (0, 0, 0)))
    if match := _DATE_YMD.match(value):
        year, month, day = (int(g) for g in match.groups())
    elif match := _DATE_DMY.match(value):
        day, month, year = (int(g) for g in match.groups())
        if year < 100:  # as the connectors read it: a birth date is in the past
            year = french_values.resolve_year(year, month, day, past=True, today=dt.date.today())
    else:
        return None
    return _valid_date(year, month, day)


# Letters a scanner or a hurried typist puts for a digit (OCR): o for 0, l for 1, ...
_DIGIT_LOOKALIKES = str.maketrans("oOlIi|zZsSbBgq", "00111122556899")


def birth_date_digits(text: str | None) -> str | None:
    """The digits of a birth date made impossible by a digit typed wrong, year, month and
    day (19761161: a day of 61; 1g761121: a letter for a digit), for a comparison by its
    digits; None for a date that parses (`parse_birth_date`), and for what a file types
    for a date unknown, no reading of the person's: the zero dates and an impossible day
    of a real month (00/00/0000, 1980-00-00, 31/02/1980), a year no typed digit makes of
    a birth year (1850 is one, 1305 and 9999 are not: `_near_birth_year`), a placeholder
    of one repeated digit (99/99/9999, 1111-11-11), the first or last day of a year out of
    range (1850-01-01, 2099-12-31); None for anything else. Eight digits whose year comes
    last (13051980) are read as the French JJMMAAAA."""
    if not text:
        return None
    value = text.strip()
    read = value.translate(_DIGIT_LOOKALIKES)
    if match := _DATE_COMPACT.match(read):
        digits = match.group(0)[:8]
        groups = (match.groups() if _in_range(digits[:4]) else _french_compact(digits)
                  or (match.groups() if _near_birth_year(digits[:4]) else None))
        if groups is None:
            return None
        year, month, day = groups
    elif match := _DATE_YMD.match(read):
        year, month, day = match.groups()
    elif (match := _DATE_DMY.match(read)) and len(match.group(3)) == 4:
        day, month, year = match.groups()
    else:
        return None
    numbers = int(year), int(month), int(day)
    if 0 in numbers or (parse_birth_date(read) is not None and read == value):
        return None
    in_range = MIN_BIRTH_YEAR <= numbers[0] <= MAX_BIRTH_YEAR
    if (not _near_birth_year(f"{numbers[0]:04d}")
            or len(set(f"{numbers[0]:04d}")) == 1
            or (len({*month, *day}) == 1 and numbers[1] > 12)
            or (not in_range and (numbers[1:] in ((1, 1), (12, 31))))):
        return None
    mistyped = read != value or numbers[1] > 12 or numbers[2] > 31 or not in_range
    return f"{numbers[0]:04d}{numbers[1]:02d}{numbers[2]:02d}" if mistyped else None


def _french_compact(digits: str) -> tuple[str, str, str] | None:
    """Year, month and day of eight digits typed the French way, JJMMAAAA (13051980), where
    the last four are a birth year (`MIN_BIRTH_YEAR` to `MAX_BIRTH_YEAR`); else None."""
    year = digits[4:]
    return (year, digits[2:4], digits[:2]) if _in_range(year) else None


def _in_range(year: str) -> bool:
    return MIN_BIRTH_YEAR <= int(year) <= MAX_BIRTH_YEAR


def _one_typed_digit_away(year: str) -> set[str]:
    """A year, and every year one digit typed wrong or two digits exchanged make of it."""
    made = {year}
    for i in range(4):
        made.update(year[:i] + d + year[i + 1:] for d in "0123456789")
        if i < 3:
            made.add(year[:i] + year[i + 1] + year[i] + year[i + 2:])
    return made


_NEAR_BIRTH_YEARS = frozenset().union(*(
    _one_typed_digit_away(str(y)) for y in range(MIN_BIRTH_YEAR, MAX_BIRTH_YEAR + 1)))


def _near_birth_year(year: str) -> bool:
    """A birth year (1900 to 2030), or one a typed digit makes of one (1850, 2976)."""
    return year in _NEAR_BIRTH_YEARS


def _valid_date(year: int, month: int, day: int) -> dt.date | None:
    if not MIN_BIRTH_YEAR <= year <= MAX_BIRTH_YEAR:
        return None
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None
    return None if date in PLACEHOLDER_DATES else date


def normalise_street(text: str | None) -> str | None:
    """Folded street line with abbreviations expanded (av. -> AVENUE, bd -> BOULEVARD)."""
    words = [_STREET_WORDS.get(w, w) for w in fold(text).split()]
    return " ".join(words) or None


# "12 bis", "12bis", "12B"; a lone letter after a space is a street word ("12 r. Pasteur").
_STREET_NUMBER = re.compile(r"^\s*(\d{1,5})(?:\s*(BIS|TER|QUATER)\b|([A-H])\b)?", re.IGNORECASE)


def street_number(text: str | None) -> str | None:
    """The house number that starts a street line ("12 bis rue" -> "12BIS"), or None."""
    match = _STREET_NUMBER.match(text or "")
    if match is None:
        return None
    number, word, letter = match.groups()
    return str(int(number)) + (word or letter or "").upper()


def normalise_postcode(text: str | None) -> str | None:
    digits = "".join(c for c in (text or "") if c.isdigit())
    if len(digits) == 4:
        digits = "0" + digits  # spreadsheets drop the leading zero of 01000..09999
    return digits if len(digits) == 5 else None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def normalise_commune(text: str | None) -> str | None:
    words = [_SAINT.get(w, w) for w in fold(text).split() if w != "CEDEX"]
    return "".join(words) or None
