"""Mapping files: from a member's columns or JSON paths to fiche fields.

A mapping is data (schema `schemas/connector_mapping.v1.json`), loaded once into
compiled rules. `Mapping.apply(record)` answers the fiche fields and the problems
found; a problem names the fiche path and the source column, never the value.

Example:
    >>> m = Mapping.from_dict({"version": 1, "identifiant": {"source": "N°"},
    ...     "champs": {"projet.stade": {"source": "Étape", "valeurs": {"En montage": "montage"}}}})
    >>> m.apply({"N°": "12", "Étape": "en montage"})[0]
    {'projet': {'stade': 'montage'}}
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import itertools
import json
import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors import parsers, transforms
from connectors.damaged_text import DAMAGED, damaged
from connectors.errors import ConfigurationError
from connectors.name_case import title_case
from connectors.typos import check_keys
from schemas import french_values
from schemas.formats import PASTED_INVISIBLES
from schemas.loader import free_text_fields, one_line_fields

if TYPE_CHECKING:
    from connectors.deletion_flag import DeletionFlag

ABSENT: Any = object()
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]", re.ASCII)
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9._:-]")
# A cell typed on several lines (Alt+Enter in a spreadsheet), or with a tab: for a field on
# one line (a name, an address line), the breaks become a space, as the office file shows
# them; the hub refuses them (`texte-visible`), other control characters stay refused.
_LINE_BREAKS = re.compile(r"[ \t]*[\t\n\r\v\f\x85\u2028\u2029][\s\x85\u2028\u2029]*")
# In a free text (`texte-libre`), the hub keeps line feeds, CR LF and tabs and refuses
# every other control: a break typed otherwise (a lone CR, a vertical tab as some
# databases export a break in a field, a form feed, NEL, U+2028, U+2029) becomes a line
# feed; other control characters still reject the row.
_OTHER_BREAKS = re.compile(r"\r(?!\n)|[\v\f\x85\u2028\u2029]")
# Half of a UTF-16 pair with no other half (category Cs): a JSON text may escape one
# ("\ud800"), no text can hold it (neither the hub's JSON nor its stores).
_SURROGATE = re.compile("[\ud800-\udfff]")
# one-line fields that are titles, not names nor addresses (« Pourquoi pas ? »)
_TITLES = frozenset({("projet", "intitule")})


@functools.lru_cache(maxsize=4096)
def normalize_label(text: str) -> str:
    """Case-, accent- and punctuation-blind form of a label or a header."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", bare).split())


class Problem(enum.StrEnum):
    """Why a value cannot become a fiche field (the code written in the rejects file)."""

    VALEUR_MANQUANTE = "valeur_manquante"
    VALEUR_INCONNUE = "valeur_inconnue"
    DATE_INVALIDE = "date_invalide"
    NOMBRE_INVALIDE = "nombre_invalide"
    TELEPHONE_INVALIDE = "telephone_invalide"
    BOOLEEN_INVALIDE = "booleen_invalide"
    VALEUR_INVALIDE = "valeur_invalide"
    VALEUR_COMPOSEE = "valeur_composee"
    ENCODAGE_ABIME = "encodage_abime"


_MESSAGES = {
    Problem.VALEUR_MANQUANTE: ("Valeur obligatoire absente.", "Required value missing."),
    Problem.VALEUR_INCONNUE: (
        "Libellé absent de la table de correspondance : ajoutez-le au fichier de correspondance.",
        "Label missing from the value map: add it to the mapping file.",
    ),
    Problem.DATE_INVALIDE: ("Date illisible (jj/mm/aaaa attendu).",
                            "Unreadable date (dd/mm/yyyy)."),
    Problem.NOMBRE_INVALIDE: ("Nombre illisible.", "Unreadable number."),
    Problem.TELEPHONE_INVALIDE: ("Numéro de téléphone français illisible.",
                                 "Unreadable French phone."),
    Problem.BOOLEEN_INVALIDE: ("Oui/non attendu.", "Yes/no expected."),
    Problem.VALEUR_INVALIDE: ("Valeur illisible.", "Unreadable value."),
    Problem.ENCODAGE_ABIME: DAMAGED,
    Problem.VALEUR_COMPOSEE: (
        "Liste ou objet JSON là où une seule valeur est attendue : indiquez l'élément voulu "
        "dans « source » (par exemple $.telephones[0].numero).",
        "JSON list or object where one value is expected: point \"source\" at the element "
        "(e.g. $.phones[0].number)."),
}
# A value read but that cannot be (a date no calendar holds): the same code, the reason
# told (`InvalidValue.reason`) instead of a format to learn.
_REASONED = {
    Problem.DATE_INVALIDE: ("Date impossible : {}. Corrigez-la {}.",
                            "Impossible date: {}. Fix it {}."),
}
# A date read but out of the years a fiche accepts: the range told, and where to fix it.
OUT_OF_RANGE = ("Date hors de la plage acceptée : {} (une date de 1899 est souvent une "
                "cellule vide ou à zéro mise au format Date). Corrigez-la {}.",
                "Date out of the accepted range: {} (a date in 1899 is often an empty or "
                "zero cell given the Date format). Fix it {}.")
# where the member fixes a value: a spreadsheet's column, or an API's field (a JSON path)
_FIX_IN = {False: ("dans le tableur", "in the spreadsheet"),
           True: ("dans le système source (le logiciel d'où vient la fiche)",
                  "in the source system (the software the record comes from)")}
# A number where a date is expected that is not one without being told its unit: the
# message names the setting (an API's Unix time), not a spreadsheet's writing.
UNIX_TIME_HINT = (
    "Date illisible : un nombre au lieu d'une date. Si l'API donne un horodatage Unix "
    "(secondes ou millisecondes depuis le 1er janvier 1970), indiquez \"horodatage\": "
    "\"secondes\" (ou \"millisecondes\") à cette règle de la correspondance ; sinon, son "
    "écriture dans « formats » (ex. %Y%m%d).",
    "Unreadable date: a number instead of a date. If the API gives Unix time (seconds or "
    "milliseconds since 1 January 1970), set \"horodatage\": \"secondes\" (or "
    "\"millisecondes\") on this rule of the mapping; else its writing in \"formats\" "
    "(e.g. %Y%m%d).")
# The same in a spreadsheet's column: a date cell that lost its format shows its serial
# number (five digits), which is read; another number is no date a sheet writes.
SHEET_NUMBER_HINT = (
    "Date illisible : un nombre au lieu d'une date. Un tableur écrit une date comme un "
    "nombre, son numéro de série (cinq chiffres : 30746 pour le 05/03/1984), quand la "
    "cellule a perdu son format Date ; ce nombre-ci n'en est pas un. Donnez à la colonne le "
    "format Date dans le tableur (Format > Cellules > Date) et exportez de nouveau, ou "
    "écrivez la date jj/mm/aaaa.",
    "Unreadable date: a number instead of a date. A spreadsheet writes a date as a number, "
    "its serial number (five digits: 30746 for 1984-03-05), when the cell lost its Date "
    "format; this number is none. Give the column the Date format in the spreadsheet and "
    "export again, or write the date dd/mm/yyyy.")


def scalar_text(raw: Any) -> str:
    """A single value as its text; a JSON list or object raises `InvalidValue`."""
    if isinstance(raw, dict | list):
        raise InvalidValue(Problem.VALEUR_COMPOSEE)
    return str(raw).strip()


class InvalidValue(ValueError):
    """A value of a record that a rule cannot read; `problem` says why (never the value),
    `reason` (French, English) completes its message (an impossible date's day and month),
    `message` replaces it (a number where a date is expected)."""

    def __init__(self, problem: Problem, reason: tuple[str, str] = ("", ""),
                 message: tuple[str, str] | None = None) -> None:
        super().__init__(problem.value)
        self.problem, self.reason, self.message = problem, reason, message


@dataclasses.dataclass(frozen=True)
class MappingProblem:
    """One value of one record that cannot become a fiche field."""

    path: str
    code: str
    message_fr: str
    message_en: str
    colonne: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return dataclasses.asdict(self)


def lone_surrogate(value: Any) -> str | None:
    """The first lone surrogate of a text (or of a list's texts) as U+XXXX, or None."""
    for text in value if value.__class__ is list else (value,):
        if text.__class__ is str and not text.isprintable() and (
                found := _SURROGATE.search(text)):
            return f"U+{ord(found.group()):04X}"
    return None


def safe_id(text: str) -> str:
    """An identifier the hub accepts: characters outside [A-Za-z0-9._:-] become "-"
    (a dossier number `2024/031` gives `2024-031`)."""
    return _UNSAFE_ID.sub("-", text)


def path_parts(path: str) -> list[str | int]:
    return [int(idx) if idx else name for name, idx in _PATH_PART.findall(path.lstrip("$"))]


def dig(record: Any, parts: list[str | int]) -> Any:
    for part in parts:
        try:
            record = record[part]
        except (KeyError, IndexError, TypeError):
            return ABSENT
    return record


def _put(target: dict[str, Any], parts: list[str | int], value: Any) -> None:
    if len(parts) == 2 and isinstance(parts[1], str) and isinstance(parts[0], str):
        target.setdefault(parts[0], {})[parts[1]] = value  # the common "porteur.nom" shape
        return
    node: Any = target
    for part, following in itertools.pairwise(parts):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            node.extend({} for _ in range(part + 1 - len(node)))
            node = node[part]
        else:
            node = node.setdefault(part, empty)
    last = parts[-1]
    if isinstance(last, int):
        node.extend(None for _ in range(last + 1 - len(node)))
    node[last] = value


def _setter(parts: list[str | int]) -> Callable[[dict[str, Any], Any], None]:
    """`_put` for one target path, specialised for the usual "a", "a.b" and "a.b.c" shapes."""
    names = [part for part in parts if isinstance(part, str)]
    if len(names) != len(parts) or not 1 <= len(names) <= 3:
        return lambda target, value: _put(target, parts, value)
    if len(names) == 1:
        return lambda target, value: target.__setitem__(names[0], value)
    if len(names) == 2:
        first, last = names
        return lambda target, value: target.setdefault(first, {}).__setitem__(last, value)
    first, middle, last = names
    return lambda target, value: (
        target.setdefault(first, {}).setdefault(middle, {}).__setitem__(last, value))


_PARSERS: dict[str, Callable[[str], Any]] = {
    "texte": str,
    "entier": parsers.parse_integer,
    "nombre": parsers.parse_number,
    "telephone": parsers.parse_phone,
    "courriel": parsers.parse_email,
    "booleen": parsers.parse_boolean,
}
_CODES = {
    "date": Problem.DATE_INVALIDE, "date_heure": Problem.DATE_INVALIDE,
    "nombre": Problem.NOMBRE_INVALIDE, "entier": Problem.NOMBRE_INVALIDE,
    "telephone": Problem.TELEPHONE_INVALIDE, "booleen": Problem.BOOLEEN_INVALIDE,
}


class FieldRule:
    """One fiche field: where to read it, how to parse it, which labels to translate."""

    def __init__(self, target: str, spec: dict[str, Any]) -> None:
        self.target = target
        self.path = "$." + target
        self.parts = path_parts(target)
        self.put = _setter(self.parts)
        self.source: str | None = spec.get("source")
        self.constant = spec.get("constante", ABSENT)
        self.kind: str = spec.get("type", "texte")
        self.default = spec.get("defaut", ABSENT)
        self.required = bool(spec.get("obligatoire", False))
        self.values = {normalize_label(k): v for k, v in (spec.get("valeurs") or {}).items()}
        self.others = spec.get("autres", ABSENT)
        self.separators: list[str] = [spec.get("separateur", ","), *spec.get("separateurs", [])]
        self.separator = self.separators[0]
        self.pad: int = int(spec.get("completer_zeros", 0))
        self.case: str | None = spec.get("casse")
        self.prefix: str = spec.get("prefixe", "")
        self.past = bool(spec.get("passe", target.endswith("date_naissance")))
        self.lenient = spec.get("si_invalide", "rejeter") == "ignorer" and not self.required
        self.transforms = transforms.compile_all(spec.get("transformer", []))
        self._plain = self.kind == "texte" and not (
            self.values or self.pad or self.case or self.transforms)
        formats = spec.get("formats")
        self.formats: list[str] | None = formats
        self.unix_unit: str | None = spec.get("horodatage")
        self.zone = _zone(spec.get("fuseau"))
        self._parse = self._parser(formats)
        self._convert = self._converter()
        self.getter: Callable[[Any], Any] = self._getter(self.source)
        self.column: str | None = None  # the file's own spelling of `source`, once bound
        self._blanks = frozenset() if self.required else french_values.BLANK_FORMS
        self._text: Callable[[str], Any] = (
            str if self._plain else self._list if self.kind == "liste" else self._convert)
        names = tuple(p for p in self.parts if isinstance(p, str))
        self.value: Callable[[Any], Any] = (
            self._unpasted if names in free_text_fields("fiche")
            else self._one_line if names in one_line_fields("fiche") else self._value)
        self._names = names in one_line_fields("fiche") and names not in _TITLES

    def _parser(self, formats: list[str] | None) -> Callable[[str], Any]:
        unit = self.unix_unit
        if self.kind == "date":
            past = self.past
            return lambda t: parsers.parse_date(t, formats or parsers.DATE_FORMATS, past=past,
                                                unit=unit)
        if self.kind == "date_heure":
            zone = self.zone
            return lambda t: parsers.parse_datetime(t, formats or parsers.DATETIME_FORMATS, unit,
                                                    zone)
        return _PARSERS.get(self.kind, str)

    def _getter(self, source: str | None) -> Callable[[Any], Any]:
        if source is None:
            return lambda record: ABSENT
        if source.startswith("$"):
            parts = path_parts(source)
            return lambda record: dig(record, parts)
        return lambda record: record.get(source, ABSENT)

    def bind(self, columns: dict[str, str]) -> bool:
        """Point a column rule at the file's own header spelling; False when missing."""
        if self.source is None or self.source.startswith("$"):
            return True
        actual = columns.get(normalize_label(self.source))
        if actual is None:
            return False
        self.getter = lambda record: record.get(actual, ABSENT)
        self.column = actual
        return True

    def _value(self, record: Any) -> Any:
        """The parsed value, ABSENT when empty; raises `InvalidValue`. Non-empty text (most
        cells) is tested first."""
        if self.constant is not ABSENT:
            return self.constant
        raw = self.getter(record)
        if raw.__class__ is str:
            text = raw.strip()
            if text and text.lower() not in self._blanks:
                if self.prefix:
                    return self.prefix + safe_id(text)
                try:
                    return self._text(text)
                except InvalidValue:  # a rarer way of writing "no value" (`N C`, `Néant.`)?
                    if self.required or not french_values.is_blank(text):
                        raise
        elif raw is not None and raw is not ABSENT:
            if self.prefix:
                return self.prefix + safe_id(scalar_text(raw))
            if isinstance(raw, dt.datetime | dt.date) and self.kind in ("date", "date_heure"):
                return self._calendar(raw)  # a spreadsheet's date cell
            return self._list(raw) if self.kind == "liste" else self._one(raw)
        if self.required:
            raise InvalidValue(Problem.VALEUR_MANQUANTE)
        return self.default

    def _unpasted(self, record: Any) -> Any:
        """A free text without what a paste from Word or a web page leaves in it, each of
        its line breaks a line feed but those already one (LF, CR LF)."""
        value = self._value(record)
        return _OTHER_BREAKS.sub("\n", value.translate(PASTED_INVISIBLES)) \
            if isinstance(value, str) else value

    def _one_line(self, record: Any) -> Any:
        """A field on one line from a cell typed on several: each break a space."""
        value = self._value(record)
        if not isinstance(value, str):
            return value
        if self._names and damaged(value):
            raise InvalidValue(Problem.ENCODAGE_ABIME)
        return _LINE_BREAKS.sub(" ", value).strip()

    def _calendar(self, value: dt.date) -> str:
        if self.kind == "date":
            day = value.date() if isinstance(value, dt.datetime) else value
            return parsers._bounded(day).isoformat()
        moment = value if isinstance(value, dt.datetime) else dt.datetime(
            value.year, value.month, value.day)
        return parsers._bounded_dt(moment).isoformat(timespec="seconds")

    def _list(self, raw: Any) -> list[Any]:
        items = raw if isinstance(raw, list) else french_values.split_list(
            str(raw), self.separators)
        found = [self._one(i) for i in items if str(i).strip()]
        return list(dict.fromkeys(v for v in found if v is not ABSENT))

    def _one(self, raw: Any) -> Any:
        if isinstance(raw, bool | int | float) and self.kind in ("nombre", "entier", "booleen"):
            return raw
        if isinstance(raw, dict | list):  # a CRM's nested value: its Python text is no value
            raise InvalidValue(Problem.VALEUR_COMPOSEE)
        return self._convert(str(raw).strip())

    def _converter(self) -> Callable[[str], Any]:
        """From stripped, non-empty text to the value: chosen once per rule."""
        plain = self._plain_converter()
        if not self.transforms:
            return plain
        steps = self.transforms

        def transformed(text: str) -> Any:
            try:
                for step in steps:
                    text = step(text)
            except ValueError as exc:
                raise InvalidValue(Problem.VALEUR_INVALIDE) from exc
            return plain(text)

        return transformed

    def _plain_converter(self) -> Callable[[str], Any]:
        if self.values:
            return self._label
        shaped = bool(self.pad or self.case)
        if self.kind in ("texte", "liste"):
            return self._shape if shaped else str
        parse, code = self._parse, _CODES.get(self.kind, Problem.VALEUR_INVALIDE)
        hint = self.number_hint()

        def convert(text: str) -> Any:
            try:
                value = parse(text)
            except french_values.ImpossibleDate as exc:
                raise InvalidValue(code, exc.reason) from exc
            except french_values.DateOutOfRange as exc:
                raise InvalidValue(code, message=self.out_of_range(exc)) from exc
            except parsers.UnixTimeLike as exc:
                raise InvalidValue(code, message=hint) from exc
            except french_values.AmbiguousNumber as exc:
                raise InvalidValue(code, message=exc.message) from exc
            except ValueError as exc:
                raise InvalidValue(code) from exc
            return self._shape(value) if shaped else value

        return convert

    def _label(self, text: str) -> Any:
        mapped = self.values.get(normalize_label(text), ABSENT)
        if mapped is ABSENT:
            if self.others is ABSENT:
                raise InvalidValue(Problem.VALEUR_INCONNUE)
            return self.others
        return mapped

    def _shape(self, value: Any) -> Any:
        if isinstance(value, str):
            value = parsers.pad_code(value, self.pad) if self.pad else value
            if self.case == "majuscules":
                return value.upper()
            if self.case == "titre":
                return title_case(value)
        return value

    def number_hint(self) -> tuple[str, str]:
        """What to do with a number read where a date is expected: an API's Unix time
        (a JSON path), or a spreadsheet's date cell that lost its format (a column)."""
        return UNIX_TIME_HINT if self.source and self.source.startswith("$") \
            else SHEET_NUMBER_HINT

    def out_of_range(self, exc: french_values.DateOutOfRange) -> tuple[str, str]:
        """What to say of a date read but out of the years accepted: the range, and where
        to fix it (the spreadsheet, or the source system)."""
        where = _FIX_IN[bool(self.source and self.source.startswith("$"))]
        return (OUT_OF_RANGE[0].format(exc.reason[0], where[0]),
                OUT_OF_RANGE[1].format(exc.reason[1], where[1]))

    def problem(self, problem: Problem, reason: tuple[str, str] = ("", ""),
                message: tuple[str, str] | None = None) -> MappingProblem:
        if message is not None:
            fr, en = message
        elif reason[0]:
            fr, en = _REASONED[problem]
            where = _FIX_IN[bool(self.source and self.source.startswith("$"))]
            fr, en = fr.format(reason[0], where[0]), en.format(reason[1], where[1])
        else:
            fr, en = _MESSAGES[problem]
        return MappingProblem(self.path, problem.value, fr, en, self.column or self.source)

    def surrogate_problem(self, code_point: str) -> MappingProblem:
        """A lone surrogate rejects the row, as a control character does: named by its
        code point, never the value."""
        return MappingProblem(
            self.path, "format",
            f"Demi-caractère isolé ({code_point}, catégorie Cs : la moitié d'une paire UTF-16 "
            "envoyée sans l'autre) : aucun texte ne peut le contenir. Corrigez la valeur à la "
            "source (retapez le caractère), puis relancez.",
            f"Lone surrogate ({code_point}, category Cs: half of a UTF-16 pair sent without "
            "the other): no text can hold it. Fix the value at the source (type the character "
            "again), then run again.",
            self.column or self.source)


class Mapping:
    """A loaded mapping file: identity, modification date, deletion flag, field rules."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        identity = data["identifiant"]
        self.identity = FieldRule("fiche_id", {"source": identity["source"]})
        self.prefix: str = identity.get("prefixe", "")
        self.modification = _optional_rule("mis_a_jour_le", data.get("modification"), "date_heure")
        self.fiche_version = _optional_rule("version", data.get("version_fiche"), "entier")
        deletion = data.get("suppression")
        self.deletion = _optional_rule("suppression", deletion and {"source": deletion["source"]},
                                       "texte")
        self.deletion_flag = _deletion_flag(deletion)
        self.rules = [FieldRule(target, spec) for target, spec in data.get("champs", {}).items()]
        self._tree = _tree([rule.parts for rule in self.rules])

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        check_keys("connector_mapping", data, "Fichier de correspondance invalide",
                   "Invalid mapping file")
        return cls(data)

    @classmethod
    def load(cls, path: str | Path) -> Mapping:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8-sig"))  # a BOM: still UTF-8
        except (OSError, ValueError, RecursionError) as exc:  # or nested past the parser
            raise ConfigurationError(
                "Fichier de correspondance illisible (JSON UTF-8 attendu).",
                "Unreadable mapping file (UTF-8 JSON expected).",
            ) from exc
        return cls.from_dict(data)

    def all_rules(self) -> list[FieldRule]:
        extra = [self.identity, self.modification, self.fiche_version, self.deletion]
        return [r for r in extra if r is not None] + self.rules

    def bind(self, headers: Iterable[str]) -> list[str]:
        """Match the mapping's columns to a file's headers; answers the missing ones."""
        columns = {normalize_label(h): h for h in headers}
        return [r.source for r in self.all_rules() if not r.bind(columns) and r.source]

    def required_columns(self) -> list[str]:
        """The columns without which no row can become a fiche: the identity's and those
        of the fields marked `obligatoire`."""
        rules = [self.identity, *(r for r in self.rules if r.required)]
        return list(dict.fromkeys(r.source for r in rules
                                  if r.source and not r.source.startswith("$")))

    def header_score(self, cells: Iterable[Any]) -> int:
        """How many of the mapping's columns a row names (the header is the best row)."""
        labels = {normalize_label(str(c)) for c in cells if c is not None}
        return len({normalize_label(r.source) for r in self.all_rules()
                    if r.source and not r.source.startswith("$")} & labels)

    def rule_at(self, path: str) -> FieldRule | None:
        """The field rule writing the fiche path `path` (or a list item or part of it)."""
        for rule in self.rules:
            if path == rule.path or path.startswith((rule.path + ".", rule.path + "[")):
                return rule
        return None

    @staticmethod
    def drop(fiche: dict[str, Any], rule: FieldRule) -> None:
        """Leave `rule`'s field out of `fiche` (and the sections it leaves empty)."""
        nodes: list[Any] = [fiche]
        for part in rule.parts[:-1]:
            node = dig(nodes[-1], [part])
            if node is ABSENT:
                return
            nodes.append(node)
        last: Any = rule.parts[-1]
        if isinstance(nodes[-1], dict):
            nodes[-1].pop(last, None)
        for parent, child, part in zip(nodes[-2::-1], nodes[:0:-1], rule.parts[-2::-1],
                                       strict=True):
            if child == {} and isinstance(parent, dict):
                parent.pop(part, None)

    def key(self, record: Any) -> str | None:
        """The record's identifier as text, None when empty; raises `InvalidValue` for a
        CRM's list or object (`{"value": 12}`), whose Python text is no identifier."""
        raw = self.identity.getter(record)
        text = "" if raw is ABSENT or raw is None else scalar_text(raw)
        return text or None

    def key_reader(self, header: list[str]) -> Callable[[list[Any]], str | None]:
        """`key` of a row given as its cells under `header` (after `bind`), without
        building the row's record: a table source reads every key before the rows."""
        column = self.identity.column
        if column is None or column not in header:
            return lambda cells: self.key(dict(zip(header, cells, strict=False)))
        index = len(header) - 1 - header[::-1].index(column)  # dict(zip) keeps the last

        def key(cells: list[Any]) -> str | None:
            raw = cells[index] if index < len(cells) else None
            return (str(raw).strip() or None) if raw is not None else None
        return key

    def fiche_id(self, key: str) -> str:
        return (self.prefix + safe_id(key))[:64]

    def modified_at(self, record: Any) -> dt.datetime | None:
        if self.modification is None:
            return None
        value = self.modification.getter(record)
        if value is ABSENT or value is None or not str(value).strip():
            return None
        rule = self.modification
        return parsers.to_datetime(str(value).strip(), rule.formats or parsers.DATETIME_FORMATS,
                                   rule.unix_unit, rule.zone)

    def is_deleted(self, record: Any) -> bool:
        """Whether the record's deletion flag (`suppression`) says it is deleted; raises
        `InvalidValue` when the flag cannot be read (never taken for "not deleted")."""
        if self.deletion is None or self.deletion_flag is None:
            return False
        return self.deletion_flag.deleted(self.deletion.getter(record))

    def apply(self, record: Any) -> tuple[dict[str, Any], list[MappingProblem]]:
        """The fiche fields of one record, and the problems that stop some of them."""
        fiche, problems, _ = self.apply_all(record)
        return fiche, problems

    def apply_all(self, record: Any) -> tuple[dict[str, Any], list[MappingProblem],
                                              list[MappingProblem]]:
        """The fiche fields, the problems that reject the record, and the warnings: invalid
        values of optional fields marked `si_invalide: ignorer`, left out of the fiche."""
        values: list[Any] = []
        problems: list[MappingProblem] = []
        warnings: list[MappingProblem] = []
        for rule in self.rules:
            try:
                value = rule.value(record)
            except InvalidValue as exc:
                (warnings if rule.lenient else problems).append(
                    rule.problem(exc.problem, exc.reason, exc.message))
                value = ABSENT
            if (code_point := lone_surrogate(value)) is not None:
                problems.append(rule.surrogate_problem(code_point))
                value = ABSENT
            values.append(value)
        if self._tree is not None:
            fiche = _assemble(self._tree, values)
        else:
            fiche = {}
            for rule, value in zip(self.rules, values, strict=True):
                if value is not ABSENT:
                    rule.put(fiche, value)
        if self.fiche_version is not None:
            try:
                version = self.fiche_version.value(record)
            except InvalidValue as exc:
                problems.append(self.fiche_version.problem(exc.problem, exc.reason, exc.message))
            else:
                if version is not ABSENT:
                    fiche["version"] = version
        return fiche, problems, warnings


_Tree = list[tuple[str, "int | _Tree"]]


def _tree(targets: list[list[str | int]]) -> _Tree | None:
    """The fiche's shape as nested (key, rule index | subtree) lists, when the targets are
    plain dotted names, none inside another (else None: rules are put one by one)."""
    if any(isinstance(part, int) for parts in targets for part in parts):
        return None
    dotted = [".".join(map(str, parts)) for parts in targets]
    if len(set(dotted)) < len(dotted) or any(
            other.startswith(name + ".") for name in dotted for other in dotted):
        return None
    root: dict[str, Any] = {}
    for index, names in enumerate([[str(part) for part in parts] for parts in targets]):
        node = root
        for name in names[:-1]:
            node = node.setdefault(name, {})
        node[names[-1]] = index
    return _as_lists(root)


def _as_lists(node: dict[str, Any]) -> _Tree:
    return [(key, child if isinstance(child, int) else _as_lists(child))
            for key, child in node.items()]


def _assemble(tree: _Tree, values: list[Any]) -> dict[str, Any]:
    """Nested fiche fields from the rules' values; sections with no value are left out."""
    out: dict[str, Any] = {}
    for key, node in tree:
        if node.__class__ is int:
            value = values[node]
            if value is not ABSENT:
                out[key] = value
        else:
            # `node.__class__ is int` (cheaper than isinstance here) does not narrow `node`.
            section = _assemble(node, values)  # type: ignore[arg-type]
            if section:
                out[key] = section
    return out


def _optional_rule(target: str, spec: dict[str, Any] | None, kind: str) -> FieldRule | None:
    return FieldRule(target, {"type": kind, **spec}) if spec else None


def _deletion_flag(spec: dict[str, Any] | None) -> DeletionFlag | None:
    # imported here: the flag reads values with this module's own tools
    from connectors.deletion_flag import DeletionFlag

    return DeletionFlag(spec) if spec else None


def _zone(name: str | None) -> dt.tzinfo:
    """The time zone `fuseau` names (Europe/Paris when unset)."""
    if name is None:
        return parsers.PARIS
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(
            f"« fuseau » : « {name} » n'est pas un fuseau horaire connu (nom IANA attendu, "
            "par exemple UTC ou Europe/Paris) : corrigez la correspondance.",
            f"'fuseau': '{name}' is not a known time zone (an IANA name, e.g. UTC or "
            "Europe/Paris): fix the mapping.") from exc
