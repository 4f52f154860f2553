"""The people CSV of `capactif dedup` as people write it, and the files the command writes.

Read: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252/Latin-1; `,`, `;`,
tab or `|` separated (the one that splits the header line most); headings in any case,
with spaces or accents, in French or as FEBRL names them (`HEADINGS`); `street_number`
is put before the street line and an address complement (`address_2`) after it, as the
benchmarks do. Unknown columns are ignored and said
once; `NA`, `null`, `-` and the like are empty; numbers a spreadsheet wrote as decimals
(`4011.0`) lose their `.0`. A row that cannot be read is rejected (line and reason, never
a value); a file that cannot be read at all raises `InvalidCsvFile` naming the line.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import difflib
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from hub.domain.matching.normalise import birth_date_digits, parse_birth_date
from hub.domain.spreadsheet import inert_cell
from hub.errors import InvalidCsvFile
from schemas import french_values

# Each field and the headings (folded: lower case, no accents, `_` between words) read as it.
HEADINGS: dict[str, tuple[str, ...]] = {
    "id": ("id", "identifiant", "rec_id", "record_id", "recid"),
    "nom": ("nom", "nom_usage", "nom_d_usage", "nom_de_famille", "surname", "last_name",
            "lastname", "family_name"),
    "nom_naissance": ("nom_naissance", "nom_de_naissance", "nom_de_jeune_fille", "birth_name",
                      "maiden_name"),
    "prenom": ("prenom", "prenoms", "given_name", "first_name", "firstname", "forename"),
    "date_naissance": ("date_naissance", "date_de_naissance", "ddn", "naissance",
                       "date_of_birth", "birth_date", "birthdate", "dob"),
    "courriel": ("courriel", "email", "e_mail", "mail", "adresse_email", "adresse_mail",
                 "adresse_electronique"),
    "telephone": ("telephone", "tel", "phone", "phone_number", "portable", "mobile"),
    "adresse_ligne": ("adresse_ligne", "adresse", "ligne_adresse", "address", "address_1",
                      "address1", "street"),
    "code_postal": ("code_postal", "cp", "postcode", "postal_code", "zip", "zip_code", "zipcode"),
    "commune": ("commune", "ville", "localite", "city", "town", "suburb"),
    "numero": ("numero", "numero_rue", "numero_de_rue", "street_number", "house_number"),
    "complement": ("complement", "complement_adresse", "complement_d_adresse", "adresse_2",
                   "adresse2", "adresse_ligne_2", "ligne_adresse_2", "address_2", "address2"),
}
_STREET_PARTS = frozenset({"numero", "complement"})  # read into the street line
_FIELD_OF = {alias: field for field, aliases in HEADINGS.items() for alias in aliases}
# "No value" as software writes it, beside the French forms of `french_values.is_blank`.
_NULLS = frozenset({"na", "nan", "null", "none", "nil", "#n/a"})
_NUMERIC_FIELDS = frozenset({"date_naissance", "telephone", "code_postal", "numero"})
_DECIMAL_ZERO = re.compile(r"^(\d+)\.0+\Z", re.ASCII)
_EXCEL_TEXT = re.compile(r'^="(.*)"$')  # ="01000": how spreadsheets keep leading zeros
_SEPARATORS = (",", ";", "\t", "|")
_PRINTABLE_HEADING = re.compile(r"^[\w .'()/-]{1,40}$")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_LINES_SHOWN = 10
_LINE_END = re.compile(r"\r\n|\r|\n")
_MAX_LINE_BREAKS_IN_A_VALUE = 9  # more: an unclosed quote swallowing the records after it


@dataclasses.dataclass(frozen=True)
class Rejected:
    """A row not matched: its line, its id when it has one, why (a code)."""

    line: int
    record_id: str
    reason: str  # "valeurs_en_trop", "id_vide", "id_en_double"


@dataclasses.dataclass(frozen=True)
class PeopleFile:
    rows: list[tuple[dict[str, str], str]]  # (field -> value, id) of every record read
    rejected: list[Rejected]
    notes: list[str]  # warnings for the operator: columns, lines, counts, never a value


def read_people_file(path: Path) -> PeopleFile:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidCsvFile(f"Fichier d'entrée illisible ou introuvable : {path}.",
                             f"Input file unreadable or not found: {path}.") from exc
    text, encoding = _decode(data)
    notes = [f"fichier lu en {encoding} / file read as {encoding}"] if encoding else []
    first_line = _LINE_END.split(text, maxsplit=1)[0]
    separator = max(_SEPARATORS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        return _read_rows(reader, notes)
    except csv.Error as exc:
        raise csv_error(reader.line_num, "ligne illisible (guillemet non fermé ou caractère nul)",
                        "unreadable line (unclosed quote or NUL character)") from exc


def _read_rows(reader: csv.Reader, notes: list[str]) -> PeopleFile:  # type: ignore[name-defined]
    columns = _columns(next(reader, None), notes)
    width, id_column = len(columns), columns.index("id")
    rows: list[tuple[dict[str, str], str]] = []
    rejected: list[Rejected] = []
    seen: set[str] = set()
    bad_dates: list[int] = []
    digit_dates: list[int] = []  # impossible by a typed digit: compared by their digits
    short: list[int] = []
    line = reader.line_num + 1
    for cells in reader:
        line, start = reader.line_num + 1, line
        if reader.line_num - start >= _MAX_LINE_BREAKS_IN_A_VALUE:
            raise csv_error(start, "guillemet non fermé : la valeur court sur les lignes "
                            "suivantes", "unclosed quote: the value runs over the next lines")
        if not any(cell.strip(" ,;\t|") for cell in cells):
            continue
        broken = len(cells) > width and any(cell.strip() for cell in cells[width:])
        if len(cells) < width:
            short.append(start)
        cells = (cells + [""] * width)[:width]
        record_id = cells[id_column].strip()
        if not record_id or record_id in seen:
            rejected.append(Rejected(start, record_id, "id_en_double" if record_id else "id_vide"))
            continue
        seen.add(record_id)
        if broken:
            rejected.append(Rejected(start, record_id, "valeurs_en_trop"))
            rows.append(({}, record_id))
            continue
        raw = _values(columns, cells)
        if raw.get("date_naissance") and parse_birth_date(raw["date_naissance"]) is None:
            (digit_dates if birth_date_digits(raw["date_naissance"]) else bad_dates).append(start)
        rows.append((raw, record_id))
    if bad_dates:
        notes.append(
            f"date_naissance : {len(bad_dates)} valeurs non lues comme date (date impossible, "
            f"format inconnu ou date de remplissage), traitées comme absentes, lignes "
            f"{_lines(bad_dates)} / date_naissance: {len(bad_dates)} values not read as a date "
            f"(impossible, unknown format or placeholder), taken as absent, lines "
            f"{_lines(bad_dates)}")
    if digit_dates:
        notes.append(
            f"date_naissance : {len(digit_dates)} valeurs non lues comme date (un chiffre mal "
            f"tapé : un mois de 13, un jour de 61), comparées par leurs chiffres, lignes "
            f"{_lines(digit_dates)} / date_naissance: {len(digit_dates)} values not read as a "
            f"date (a digit typed wrong: a month of 13, a day of 61), compared by their "
            f"digits, lines {_lines(digit_dates)}")
    if short:
        notes.append(f"{len(short)} lignes avec moins de valeurs que de colonnes, les valeurs "
                     f"manquantes lues vides : lignes {_lines(short)} / {len(short)} rows with "
                     f"fewer values than columns, the missing ones read as empty: lines "
                     f"{_lines(short)}")
    return PeopleFile(rows, rejected, notes)


def _values(columns: Sequence[str | None], cells: Sequence[str]) -> dict[str, str]:
    raw: dict[str, str] = {}
    for field, cell in zip(columns, cells, strict=True):
        if field is None or field == "id":
            continue
        value = cell.strip()
        if excel := _EXCEL_TEXT.match(value):
            value = excel.group(1).strip()
        if value.lower() in _NULLS or french_values.is_blank(value):
            value = ""
        elif field in _NUMERIC_FIELDS and (decimal := _DECIMAL_ZERO.match(value)):
            value = decimal.group(1)
        raw[field] = value
    number, complement = raw.pop("numero", ""), raw.pop("complement", "")
    if number or complement:
        raw["adresse_ligne"] = " ".join(
            part for part in (number, raw.get("adresse_ligne"), complement) if part)
    return raw


def _columns(header: list[str] | None, notes: list[str]) -> list[str | None]:
    """The field each column holds (None: ignored), from the header line."""
    if not header or not any(cell.strip() for cell in header):
        raise csv_error(1, "fichier vide ou sans ligne d'en-tête", "empty file or no header line")
    folded = [_fold_heading(cell) for cell in header]
    columns = [_FIELD_OF.get(name) for name in folded]
    if "id" not in columns and not folded[0] and any(columns):
        columns[0] = "id"  # pandas writes its index so, without a heading
        notes.append("la première colonne, sans intitulé, est lue comme « id » / the first "
                     "column, without a heading, is read as 'id'")
    expected = ", ".join(field for field in HEADINGS if field not in _STREET_PARTS)
    if not any(columns):
        raise csv_error(1, f"aucun intitulé de colonne connu (la ligne d'en-tête manque-t-elle ?) ; "
                        f"colonnes attendues : {expected}",
                        f"no known column heading (is the header line missing?); expected "
                        f"columns: {expected}")
    for field in HEADINGS:
        if columns.count(field) > 1:
            twice = ", ".join(_shown(h) for h, c in zip(header, columns, strict=True) if c == field)
            raise csv_error(1, f"plusieurs colonnes pour « {field} » ({twice})",
                            f"several columns for '{field}' ({twice})")
    if "id" not in columns:
        close = [_shown(header[folded.index(name)]) for name in
                 difflib.get_close_matches("id", folded, n=3, cutoff=0.3)
                 + difflib.get_close_matches("identifiant", folded, n=3, cutoff=0.6)]
        nearest = ", ".join(dict.fromkeys(close)) or "aucun / none"
        raise csv_error(1, f"la colonne « id » manque (intitulés acceptés : {', '.join(HEADINGS['id'])}"
                        f") ; intitulés les plus proches : {nearest}",
                        f"the 'id' column is missing (headings accepted: "
                        f"{', '.join(HEADINGS['id'])}); closest headings: {nearest}")
    if not set(columns) - {"id", None, *_STREET_PARTS}:
        raise csv_error(1, f"aucune colonne à comparer ; colonnes attendues : {expected}",
                        f"no column to match on; expected columns: {expected}")
    ignored = [_shown(h) for h, c in zip(header, columns, strict=True) if c is None and h.strip()]
    if ignored:
        notes.append(f"colonnes ignorées / ignored columns : {', '.join(ignored)}")
    return columns


def _fold_heading(heading: str) -> str:
    bare = "".join(c for c in unicodedata.normalize("NFKD", heading.lstrip("\ufeff"))
                   if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", bare.lower()).strip("_")


def _shown(heading: str) -> str:
    heading = heading.strip()
    return heading if _PRINTABLE_HEADING.match(heading) else "?"


def _lines(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:_LINES_SHOWN])
    return shown + (f" (+{len(lines) - _LINES_SHOWN})" if len(lines) > _LINES_SHOWN else "")


def _decode(data: bytes) -> tuple[str, str | None]:
    """The text and the encoding to say (None for UTF-8). A file with UTF-8 accents and
    one broken byte is a damaged UTF-8 file, not a Windows one: its line is named."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise _encoding_error(data[: exc.start].decode("utf-16", "ignore").count("\n") + 1) \
                from exc
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if not _UTF8_MULTIBYTE.search(data):
        try:
            return data.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError as exc:
            raise _encoding_error(data[: exc.start].count(b"\n") + 1) from exc
    raise _encoding_error(data[: utf8_error.start].count(b"\n") + 1) from utf8_error


def _encoding_error(line: int) -> InvalidCsvFile:
    return csv_error(line, "encodage invalide, enregistrez le fichier en UTF-8",
                     "invalid encoding, save the file as UTF-8")


def csv_error(line: int, problem_fr: str, problem_en: str) -> InvalidCsvFile:
    return InvalidCsvFile(f"Fichier CSV, ligne {line} : {problem_fr}.",
                          f"CSV file, line {line}: {problem_en}.", line=line)


def rejects_path(output: Path) -> Path:
    """Where the rows not read are listed, beside the clusters file."""
    return output.with_name(f"{output.stem}.rejects.csv")


def write_rows(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Written whole or not at all (a temporary file renamed), 0600: `mkstemp` makes it
    so whatever the umask, and the rename keeps it (hub/private_files.py says why). Every
    text cell is written as a spreadsheet shows it and never runs it (`inert_cell`): the
    ids come from the input file as typed. A cell beginning with an apostrophe gets one
    more, so that every id written with a leading apostrophe reads back by dropping it
    (`=2` and `'=2` in one file would otherwise both be written `'=2`)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with open(handle, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows([_inert(cell) for cell in row] for row in rows)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _inert(cell: object) -> object:
    if not isinstance(cell, str):
        return cell
    return "'" + cell if cell.startswith("'") else inert_cell(cell)
