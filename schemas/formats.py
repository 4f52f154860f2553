"""Format checkers for French administrative identifiers and common values.

Each checker takes a string and answers True when the value is well formed.
They are plugged into the JSON Schema validators under the names used in the
schema files (`siret`, `code-postal`, ...).
"""

from __future__ import annotations

import datetime as dt
import re

_POSTAL = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-8])\d{3}$")
_INSEE = re.compile(r"^(?:\d{2}|2[AB])\d{3}$")
_NAF = re.compile(r"^\d{2}\.\d{2}[A-Z]$")
_DIGITS14 = re.compile(r"^\d{14}$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_PHONE_FR = re.compile(r"^(?:\+33\s?|0033\s?|0)[1-9](?:[\s.-]?\d{2}){4}$")
_LA_POSTE_SIREN = "356000000"


def is_siret(value: str) -> bool:
    """14 digits whose Luhn key is valid (La Poste's establishments use a sum mod 5)."""
    if not _DIGITS14.match(value):
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
    return bool(_POSTAL.match(value))


def is_insee_code(value: str) -> bool:
    """A commune's INSEE code: department (2 digits, 2A, 2B; 97x overseas) + 3 digits."""
    return bool(_INSEE.match(value)) and not value.startswith(("00", "96", "99"))


def is_naf_code(value: str) -> bool:
    """A NAF rév. 2 sub-class such as 56.10A."""
    return bool(_NAF.match(value))


def is_french_phone(value: str) -> bool:
    return bool(_PHONE_FR.match(value.strip()))


def is_email(value: str) -> bool:
    return len(value) <= 254 and bool(_EMAIL.match(value))


def is_date(value: str) -> bool:
    """A real calendar date in ISO 8601 form (YYYY-MM-DD), between 1900 and 2100."""
    if len(value) != 10:
        return False
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        return False
    return 1900 <= parsed.year <= 2100


def is_datetime(value: str) -> bool:
    """An RFC 3339 date-time with an explicit offset."""
    if len(value) < 20 or value[10] not in "Tt":
        return False
    try:
        parsed = dt.datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return False
    return parsed.tzinfo is not None


FORMAT_CHECKERS = {
    "siret": is_siret,
    "code-postal": is_postal_code,
    "code-insee": is_insee_code,
    "code-naf": is_naf_code,
    "telephone-fr": is_french_phone,
    "email": is_email,
    "date": is_date,
    "date-time": is_datetime,
}
