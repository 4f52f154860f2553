"""Values as French office tools write them, read one way for the connectors and the hub.

Each parser takes the source text (stripped, not empty) and answers the value the fiche
schema expects, or raises `ValueError` with no value in its message (values may be
personal data). Imports nothing of the project, so connectors and hub both use it.

- Dates `05/03/1984`, `5/3/84`, `1984-03-05`, `05.03.1984`: a two-digit year is resolved
  by the field's meaning. A date in the past (a birth date) takes the latest century
  that does not put it after today (`12/8/64` -> 1964-08-12, never 2064); any other
  date takes the century that puts it nearest to today.
- Numbers `12 500,50`, `12.500,50`, `15.000` (a dot followed by groups of exactly three
  digits is a thousands separator: 15000), `1.5` and `12,5` (decimals), `€`/`EUR`; a
  single comma before exactly three digits (`1,000`, `25,000`) is refused
  (`AmbiguousNumber`): thousands in an English-speaking CRM's export, decimals in a French
  one.
- Phones through `phonenumbers` (region FR, any writing): the national form `0XXXXXXXXX`.
- `NC`, `néant`, `-`, `n/a`, `non communiqué`... mean "no value" (`is_blank`).
- Transforms used by mapping files: `remove_spaces` (SIRET `123 456 789 00012`),
  `naf_code` (`5610A`, `56 10 a` -> `56.10A`), `split_list` on several separators.

    >>> to_date("12/8/64", past=True, today=dt.date(2026, 12, 3)).isoformat()
    '1964-08-12'
    >>> parse_number("15.000"), parse_number("12 500,50 €"), parse_number("1.5")
    (15000, 12500.5, 1.5)
    >>> naf_code("5610a"), is_blank("NC"), split_list("Local / Formation, Réseau", ["/", ","])
    ('56.10A', True, ['Local', 'Formation', 'Réseau'])
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence

import phonenumbers

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")
MIN_YEAR, MAX_YEAR = 1900, 2100
_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", re.ASCII)
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_SPACES = str.maketrans("", "", " \u00a0\u202f\t'")
_THOUSANDS_DOTS = re.compile(r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+", re.ASCII)
# one comma before exactly three digits (`1,000`, `25,000`): a thousands separator in an
# English-speaking CRM's export, decimals in a French one: read neither way
_AMBIGUOUS_COMMA = re.compile(r"[+-]?[1-9]\d{0,2},\d{3}", re.ASCII)
_CURRENCY = ("€", "eur", "euros", "euro")
_NAF = re.compile(r"(\d{2})[\s.]?(\d{2})\s?([A-Za-z])", re.ASCII)
_BLANKS = frozenset({"nc", "n c", "neant", "n a", "non communique", "non renseigne",
                     "inconnu", "aucun", "aucune", "sans objet", "s o"})
_NOT_DIGIT = re.compile(r"\D", re.ASCII)
_NATIONAL = re.compile(r"0[\d\s.\-/\u00a0]+")
_DASHES = frozenset({"-", "--", "---", "/", "?", "–", "—", "."})


def _fold(text: str) -> str:
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", bare.casefold()).split())


BLANK_FORMS = frozenset({"nc", "n.c.", "n.c", "n/c", "néant", "neant", "n/a", "n.a.", "-", "--",
                         "---", "/", "?", "–", "—", ".", "non communiqué", "non communique",
                         "non renseigné", "non renseigne", "inconnu", "aucun", "aucune",
                         "sans objet", "s.o."})  # lower-case forms, for a fast first look


def is_blank(text: str) -> bool:
    """Empty, or a way of writing "no value" (`NC`, `néant`, `-`, `N/A`, `non communiqué`)."""
    stripped = text.strip()
    if not stripped or stripped.lower() in BLANK_FORMS or stripped in _DASHES:
        return True
    if len(stripped) > 24:
        return False
    if stripped.isascii() and stripped.replace(" ", "").isalnum():  # folds to its lower case
        return " ".join(stripped.lower().split()) in _BLANKS
    return _fold(stripped) in _BLANKS


def resolve_year(year: int, month: int, day: int, *, past: bool, today: dt.date) -> int:
    """The four-digit year of a two-digit one (see the module's docstring)."""
    if year >= 100:
        return year
    candidates = [century + year for century in (1900, 2000, 2100)]
    if past:
        fitting = [y for y in candidates if _safe_date(y, month, day) <= today]
        return max(fitting) if fitting else candidates[0]
    return min(candidates, key=lambda y: abs((_safe_date(y, month, day) - today).days))


def _safe_date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:  # 29/02 of a non-leap candidate, or no date at all: near enough to
        return dt.date(year, month if 1 <= month <= 12 else 1, 1)  # rank (checked later)


def to_date(text: str, *, past: bool = False, today: dt.date | None = None,
            formats: Sequence[str] = ()) -> dt.date:
    """A date in a French or ISO writing; `past`: the field's dates are never in the future."""
    head = text.strip().split(" ", 1)[0].split("T", 1)[0]  # "05/03/2024 00:00" from a sheet
    if match := _DMY.fullmatch(head):
        day, month, year = (int(g) for g in match.groups())
        if year < 100:
            year = resolve_year(year, month, day, past=past, today=today or dt.date.today())
    elif match := _YMD.fullmatch(head):
        year, month, day = (int(g) for g in match.groups())
    else:
        return _bounded(_by_formats(head, formats, past=past, today=today))
    return _bounded(calendar_date(year, month, day))


_MONTH_NAMES = (("janvier", "January"), ("février", "February"), ("mars", "March"),
                ("avril", "April"), ("mai", "May"), ("juin", "June"), ("juillet", "July"),
                ("août", "August"), ("septembre", "September"), ("octobre", "October"),
                ("novembre", "November"), ("décembre", "December"))


class ImpossibleDate(ValueError):
    """A date written in a known way that no calendar holds (31/02, 29/02 of a year that
    is not leap, month 13, day 0): `reason` says why in French and English, naming the
    day and the month, never the year (the rest of a birth date)."""

    def __init__(self, day: int, month: int) -> None:
        super().__init__("not a calendar date")
        self.day, self.month = day, month

    @property
    def reason(self) -> tuple[str, str]:
        if not 1 <= self.month <= 12:
            return (f"il n'y a pas de mois {self.month} (jj/mm/aaaa : le mois vient en "
                    "second, de 1 à 12)",
                    f"there is no month {self.month} (dd/mm/yyyy: the month comes second, "
                    "1 to 12)")
        fr, en = _MONTH_NAMES[self.month - 1]
        if self.day < 1 or self.day > 31:
            return (f"il n'y a pas de jour {self.day} dans un mois (1 à 31)",
                    f"there is no day {self.day} in a month (1 to 31)")
        if (self.day, self.month) == (29, 2):
            return ("le 29 février n'existe que les années bissextiles",
                    "29 February exists in leap years only")
        return (f"le {self.day} {fr} n'existe pas", f"{self.day} {en} does not exist")


class DateOutOfRange(ValueError):
    """A date read, but before MIN_YEAR or after MAX_YEAR (31/12/1899: a date cell holding
    0 or 1 in some spreadsheets): `reason` says so and names the range, never the date."""

    def __init__(self) -> None:
        super().__init__("year out of range")

    @property
    def reason(self) -> tuple[str, str]:
        return (f"l'année doit être entre {MIN_YEAR} et {MAX_YEAR}",
                f"the year must be between {MIN_YEAR} and {MAX_YEAR}")


def calendar_date(year: int, month: int, day: int) -> dt.date:
    """`dt.date(year, month, day)`, or `ImpossibleDate` saying why there is none
    (`DateOutOfRange` out of the years accepted)."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DateOutOfRange()
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ImpossibleDate(day, month) from exc


def _by_formats(head: str, formats: Sequence[str], *, past: bool,
                today: dt.date | None) -> dt.date:
    for pattern in formats:
        try:
            return by_format(head, pattern, past=past, today=today)
        except ValueError:
            continue
    raise ValueError("not a date in an accepted format")


def by_format(head: str, pattern: str, *, past: bool = False,
              today: dt.date | None = None) -> dt.date:
    """`head` read with a `strptime` pattern; a two-digit year (`%y`) takes its century by
    the field's meaning (`resolve_year`), not by `strptime`'s fixed pivot."""
    value = dt.datetime.strptime(head, pattern).date()
    if "%y" not in pattern:
        return value
    year = resolve_year(value.year % 100, value.month, value.day, past=past,
                        today=today or dt.date.today())
    return calendar_date(year, value.month, value.day)  # 29/02/00: 2000 is leap, 1900 not


def _bounded(value: dt.date) -> dt.date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise DateOutOfRange()
    return value


class AmbiguousNumber(ValueError):
    """A number whose single comma may separate thousands or decimals (`1,000`: one
    thousand in an English-speaking CRM's export, one in a French one); `message` says how
    to write it, in French and English, without the value."""

    message = (
        "Nombre ambigu : une virgule suivie de trois chiffres peut séparer les milliers "
        "(export d'un logiciel en anglais : 1000) ou les décimales (1). Écrivez-le sans "
        "séparateur de milliers (1000) ou avec une virgule décimale sans zéros en trop "
        "(1 ou 1,5), ou avec une espace pour les milliers (1 000).",
        "Ambiguous number: a comma before three digits may separate thousands or decimals. "
        "Write it without a thousands separator (1000), or with a decimal comma and no "
        "trailing zeros (1,5), or with a space for thousands (1 000).")

    def __init__(self) -> None:
        super().__init__("ambiguous thousands or decimals")


def parse_number(text: str) -> int | float:
    """Decimal commas; spaces, dots or commas as thousands separators; a trailing €/EUR."""
    cleaned = text.translate(_SPACES)
    lowered = cleaned.lower()
    for suffix in _CURRENCY:
        if lowered.endswith(suffix):
            cleaned = cleaned[: -len(suffix)]
            break
    if _AMBIGUOUS_COMMA.fullmatch(cleaned):
        raise AmbiguousNumber
    if "," in cleaned and "." in cleaned:
        thousands = "." if cleaned.rfind(",") > cleaned.rfind(".") else ","
        cleaned = cleaned.replace(thousands, "")
    elif _THOUSANDS_DOTS.fullmatch(cleaned):
        cleaned = cleaned.replace(".", "")
    elif cleaned.count(",") > 1:
        cleaned = cleaned.replace(",", "")
    cleaned = cleaned.replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError as exc:
        raise ValueError("not a number") from exc
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def parse_phone(text: str) -> str:
    """A French number written any way (`+33 (0)6…`, `06.12…`, 9 digits whose 0 a sheet
    dropped) as the national form 0XXXXXXXXX."""
    candidate = text.replace("(0)", "")
    digits = _NOT_DIGIT.sub("", candidate)
    international = candidate.lstrip().startswith("+")
    if international and digits.startswith("33") and len(digits) == 11:
        national = "0" + digits[2:]  # the usual writings, without parsing
    elif digits.startswith("0033") and len(digits) == 13:
        national = "0" + digits[4:]
    elif len(digits) == 10 and digits[0] == "0" and _NATIONAL.fullmatch(candidate):
        national = digits
    elif len(digits) == 9 and digits[0] != "0" and not international:
        national = "0" + digits  # the leading zero a spreadsheet dropped
    else:
        national = _parsed_national(candidate)
    # the shape the hub checks (10 digits, 0 then 1-9); not the operators' allocations,
    # which change and would refuse numbers the porteur really has
    if len(national) != 10 or national[1] == "0":
        raise ValueError("not a French phone number")
    return national


def _parsed_national(text: str) -> str:
    """Any other writing, through `phonenumbers.parse` (region FR)."""
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if number.country_code != 33:
        raise ValueError("not a French phone number")
    return "0" + str(number.national_number)


def remove_spaces(text: str) -> str:
    """Every kind of space removed (SIRET `123 456 789 00012`, IBAN, codes)."""
    return text.translate(_SPACES)


def naf_code(text: str) -> str:
    """A NAF sub-class with its dot and an upper-case letter: `5610a` -> `56.10A`."""
    match = _NAF.fullmatch(text.strip())
    if match is None:
        raise ValueError("not a NAF code")
    return f"{match[1]}.{match[2]}{match[3].upper()}"


def split_list(text: str, separators: Sequence[str]) -> list[str]:
    """Items of a list cell whatever the separators used in that row (`/`, `,`, `;`, `+`)."""
    items = [text]
    for separator in separators:
        items = [part for item in items for part in item.split(separator)]
    return [item.strip() for item in items if item.strip()]
