"""Parsers for values as French office tools write them (dates, numbers and phones are
read by `schemas.french_values`, shared with the hub).

Each parser takes the source text (already stripped, never empty) and answers the
value the fiche schema expects, or raises `ValueError` with no value in its message
(values may be personal data).

    >>> parse_date("05/03/1984")
    '1984-03-05'
    >>> parse_number("12 500,50 €")
    12500.5
    >>> parse_phone("+33 (0)6 12 34 56 78")
    '0612345678'
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import re
import unicodedata
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from schemas import french_values

PARIS = ZoneInfo("Europe/Paris")
DATE_FORMATS = french_values.DATE_FORMATS
DATETIME_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")
# Unix time (seconds or milliseconds since 1 January 1970 UTC), as APIs date records
UNIX_UNITS = {"secondes": 1, "millisecondes": 1000}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_UNIX_TIME = re.compile(r"(\d{10}|\d{13})(?:\.\d+)?", re.ASCII)  # 2001 to 2286: no other date
_UNIX_2001 = 978_307_200  # 2001-01-01 UTC: ten digits with leading zeros are no date
_HTTP_DATE = re.compile(r"[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} ", re.ASCII)  # RFC 1123
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)
_TRUE = {"oui", "o", "vrai", "true", "1", "x", "yes", "y"}
_FALSE = {"non", "n", "faux", "false", "0", "no", ""}


class UnixTimeLike(ValueError):
    """A number where a date is expected, read neither as Unix time (ten or thirteen digits,
    or any number in the unit the mapping names) nor as an Excel serial (five digits)."""

    def __init__(self) -> None:
        super().__init__("a number, not a date")


def unix_time(text: str, unit: str | None = None) -> dt.datetime | None:
    """The moment `text` gives as Unix time (UTC), None when it is none: in `unit`
    (`secondes`, `millisecondes`) when the mapping names one, else ten digits are seconds
    and thirteen milliseconds, the only numbers that can be no other date.

    >>> unix_time("1765000000").isoformat(), unix_time("1765000000000").isoformat()
    ('2025-12-06T05:46:40+00:00', '2025-12-06T05:46:40+00:00')
    >>> unix_time("479347200", "secondes").date(), unix_time("479347200")
    (datetime.date(1985, 3, 11), None)
    """
    if unit is not None:
        if not _NUMBER.fullmatch(text):
            return None
        scale = UNIX_UNITS[unit]
    elif found := _UNIX_TIME.fullmatch(text):
        scale = 1000 if len(found[1]) == 13 else 1
        if float(text) / scale < _UNIX_2001:
            return None
    else:
        return None
    try:
        return _bounded_dt(_EPOCH + dt.timedelta(seconds=float(text) / scale))
    except OverflowError as exc:
        raise ValueError("Unix time out of range") from exc


def _not_a_date(text: str) -> ValueError:
    """The error for unreadable `text`: `UnixTimeLike` for a number."""
    return UnixTimeLike() if _NUMBER.fullmatch(text) else ValueError("not a date")


def to_date(text: str, formats: Sequence[str] = DATE_FORMATS, *, past: bool = False) -> dt.date:
    """A date (see `schemas.french_values.to_date`: two-digit years by the field's meaning),
    or one written with its month's name as a French sheet shows it (`written_date`).
    Formats the mapping gives (`formats`) are tried first: `%m/%d/%Y` reads 4/7/1979 as
    7 April, where the day-first reading would take it first."""
    if formats is not DATE_FORMATS:
        head = text.strip().split(" ", 1)[0].split("T", 1)[0]
        for pattern in formats:
            with contextlib.suppress(ValueError):
                value = french_values.by_format(head, pattern, past=past)
                if french_values.MIN_YEAR <= value.year <= french_values.MAX_YEAR:
                    return value
    try:
        return french_values.to_date(text, past=past, formats=formats)
    except ValueError:
        written = written_date(text, past=past)
        if written is None:
            raise
        return written[0]


_MONTHS = {"janv": 1, "janvier": 1, "jan": 1, "fevr": 2, "fevrier": 2, "fev": 2, "mars": 3,
           "mar": 3, "avr": 4, "avril": 4, "mai": 5, "juin": 6, "juil": 7, "juillet": 7,
           "aout": 8, "sept": 9, "septembre": 9, "sep": 9, "oct": 10, "octobre": 10,
           "nov": 11, "novembre": 11, "dec": 12, "decembre": 12}
# before the day, only « le » and a weekday (« vers 5 mars », « avant 5 mars » are no date)
_WEEKDAY = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lun|mar|mer|jeu|ven|sam|dim)"
_WRITTEN = re.compile(
    r"(?:le\s+)?(?:" + _WEEKDAY + r"\.?,?\s+)?(\d{1,2})(?:er)?[\s-]+([a-z]+)\.?[\s-]+(\d{4}|\d{2})"
    r"(?:,?\s+(?:a\s+)?(\d{1,2})\s*[:h]\s*(\d{2})?(?::(\d{2}))?)?", re.ASCII)


def written_date(text: str, *, past: bool = False) -> tuple[dt.date, dt.time] | None:
    """A date written with its month's name, as LibreOffice and Excel show a date cell in
    French (`5 déc. 2026`, `1er mars 1984`, `samedi 5 décembre 2026 14:30`, `5-déc.-26`),
    and its time of day (midnight when none); None when `text` is not written so.

    >>> written_date("samedi 5 déc. 2026 à 14h30")
    (datetime.date(2026, 12, 5), datetime.time(14, 30))
    """
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()
    found = _WRITTEN.fullmatch(folded)
    if found is None or found[2] not in _MONTHS:
        return None
    day, month, year = int(found[1]), _MONTHS[found[2]], int(found[3])
    if len(found[3]) == 2:  # « 0026 » is no year 2026: four digits are taken as written
        year = french_values.resolve_year(year, month, day, past=past, today=dt.date.today())
    date = _bounded(french_values.calendar_date(year, month, day))
    try:
        return date, dt.time(int(found[4] or 0), int(found[5] or 0), int(found[6] or 0))
    except ValueError as exc:
        raise ValueError("not a time of day") from exc


def _dmy(text: str) -> dt.date | None:
    """Fast path for the common dd/mm/yyyy."""
    if len(text) == 10 and text[2] == "/" and text[5] == "/":
        day, month, year = text[:2], text[3:5], text[6:]
        if _digits(day) and _digits(month) and _digits(year):
            return french_values.calendar_date(int(year), int(month), int(day))
    return None


def _bounded(value: dt.date) -> dt.date:
    if not french_values.MIN_YEAR <= value.year <= french_values.MAX_YEAR:
        raise french_values.DateOutOfRange()
    return value


EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIAL = re.compile(r"(\d{5})(?:[.,](\d+))?", re.ASCII)  # an Excel serial, days[.fraction]


def parse_date(text: str, formats: Sequence[str] = DATE_FORMATS, *, past: bool = False,
               unit: str | None = None) -> str:
    """A date written dd/mm/yyyy (or another accepted format) as ISO YYYY-MM-DD; five
    digits are the serial number Excel shows when a date cell lost its format
    (`23451` is 1964-03-15), with a decimal part too (`23451.0`, written by a tool that read
    the sheet's numbers as decimals; `23451,5` is noon that day); Unix time (`unix_time`)
    is the day it is in Paris.

    >>> parse_date("23451"), parse_date("23451.0"), parse_date("1764975600")
    ('1964-03-15', '1964-03-15', '2025-12-06')
    """
    moment = unix_time(text, unit) or _offset_moment(text)
    if moment is not None:
        return _bounded(moment.astimezone(PARIS).date()).isoformat()
    if serial := _SERIAL.fullmatch(text):
        return _bounded(EXCEL_EPOCH + dt.timedelta(days=int(serial[1]))).isoformat()
    try:
        return to_date(text, formats, past=past).isoformat()
    except (french_values.ImpossibleDate, french_values.DateOutOfRange):
        raise
    except ValueError as exc:
        raise _not_a_date(text) from exc


_OFFSET_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})", re.ASCII)
# a date-time with a two-digit year (LibreOffice's French default JJ/MM/AA, then the time)
_SHORT_YEAR = re.compile(
    r"(\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2})(?:\s+(\d{1,2})[:h](\d{2})(?::(\d{2}))?)?", re.ASCII)


def _offset_moment(text: str) -> dt.datetime | None:
    """The moment an ISO date-time with an offset or `Z` gives (a CRM's birth date at
    midnight in Paris, written in UTC: `1985-04-02T22:00:00.000Z`); None otherwise."""
    if not _OFFSET_MOMENT.fullmatch(text):
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _short_year(text: str) -> dt.datetime | None:
    """A day-first date-time whose year has two digits, its century the nearest to today
    (`07/12/26 14:30`); None when `text` is not written so."""
    found = _SHORT_YEAR.fullmatch(text)
    if found is None:
        return None
    day = french_values.to_date(found[1])
    try:
        return dt.datetime.combine(day, dt.time(int(found[2] or 0), int(found[3] or 0),
                                                int(found[4] or 0)))
    except ValueError as exc:
        raise ValueError("not a time of day") from exc




def to_datetime(text: str, formats: Sequence[str] = DATETIME_FORMATS,
                unit: str | None = None, zone: dt.tzinfo = PARIS) -> dt.datetime:
    """A local (`zone`, Europe/Paris unless the mapping's `fuseau` says otherwise) or offset
    date-time; date-only means midnight there; an Excel serial number (`46000,5`: days,
    and the fraction of a day) is local time; Unix time (`unix_time`) is UTC.

    >>> to_datetime("46000,5").isoformat()
    '2025-12-09T12:00:00+01:00'
    """
    value: dt.datetime | None = _dmy_hm(text) or _short_year(text)
    if value is not None:
        return _bounded_dt(value, zone)
    if (moment := unix_time(text, unit)) is not None:
        return moment
    serial = _SERIAL.fullmatch(text)
    if serial is not None:
        days = float(f"{serial[1]}.{serial[2] or 0}")
        moment = dt.datetime.combine(EXCEL_EPOCH, dt.time()) + dt.timedelta(
            seconds=round(days * 86400))  # to the second: 1/24 is not exact in binary
        return _bounded_dt(moment, zone)
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for pattern in formats:
            try:
                value = dt.datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if value is None and _HTTP_DATE.match(text):
        value = _http_date(text)
    if value is None:
        written = written_date(text)
        if written is None:
            raise _not_a_date(text)
        value = dt.datetime.combine(*written)
    return _bounded_dt(value, zone)


def _http_date(text: str) -> dt.datetime | None:
    """An HTTP date (RFC 1123, `Sun, 06 Dec 2026 10:00:00 GMT`), as some APIs write them."""
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None


def _bounded_dt(value: dt.datetime, zone: dt.tzinfo = PARIS) -> dt.datetime:
    _bounded(value.date())
    return value if value.tzinfo else value.replace(tzinfo=zone)


def _dmy_hm(text: str) -> dt.datetime | None:
    """Fast path for the spreadsheet's dd/mm/yyyy HH:MM."""
    if len(text) == 16 and text[10] == " " and text[13] == ":":
        day = _dmy(text[:10])
        hour, minute = text[11:13], text[14:]
        if day is not None and _digits(hour) and _digits(minute):
            return dt.datetime(day.year, day.month, day.day, int(hour), int(minute))
    return None


def parse_datetime(text: str, formats: Sequence[str] = DATETIME_FORMATS,
                   unit: str | None = None, zone: dt.tzinfo = PARIS) -> str:
    """RFC 3339 with an explicit offset, e.g. 2024-03-05T14:30:00+01:00."""
    return to_datetime(text, formats, unit, zone).isoformat(timespec="seconds")


parse_number = french_values.parse_number


def parse_integer(text: str) -> int:
    number = parse_number(text)
    if not isinstance(number, int):
        raise ValueError("not a whole number")
    return number


parse_phone = french_values.parse_phone


def parse_email(text: str) -> str:
    return text.strip().lower()


def parse_boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("not a yes/no value")


def pad_code(text: str, width: int) -> str:
    """Codes whose leading zeros a spreadsheet dropped (INSEE 1001 -> 01001)."""
    return text.zfill(width) if _digits(text) else text


def _digits(text: str) -> bool:
    """Written in 0-9 only (`str.isdigit` is also true of « ² », which `int` refuses,
    and of « ٢٣٤٥١ », which `int` reads)."""
    return text.isascii() and text.isdigit()
