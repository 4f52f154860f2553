"""Load the project's JSON Schemas and give cached, fast validators.

Validation errors come back as `FieldError`s: a JSON path, a machine code and a
message in French and English that names the rule broken but never echoes the
value (values may be personal data).

Example:
    >>> errors = validator("fiche").errors({"fiche_id": "F1"})
    >>> errors[0].code
    'required'
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import jsonschema_rs

from schemas.format_reasons import refusal_reason
from schemas.formats import (
    FIRST_REFUSED_CHARACTER,
    FORMAT_CHECKERS,
    TEXT_CHECKERS,
    is_control_character,
)
from schemas.numbers import OUT_OF_RANGE

SCHEMA_DIR = Path(__file__).resolve().parent
_FILE_NAME = re.compile(r"^(?P<name>[a-z_]+)\.v(?P<version>\d+)\.json$")
_SAFE_NAME = re.compile(r"^[a-z_]{1,40}$")
FREE_TEXT = "texte-libre"


@dataclasses.dataclass(frozen=True)
class FieldError:
    """One broken rule at one place of a document."""

    path: str
    code: str
    message_fr: str
    message_en: str

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


def summary(errors: Sequence[FieldError], limit: int = 5) -> tuple[str, str]:
    """The first `limit` errors on one line each in French and English, for a message.

    >>> summary([FieldError("$.membres[0].id", "required", "valeur requise", "value required")])
    ('$.membres[0].id : valeur requise', '$.membres[0].id: value required')
    """
    shown = errors[:limit]
    return ("; ".join(f"{e.path} : {e.message_fr}" for e in shown),
            "; ".join(f"{e.path}: {e.message_en}" for e in shown))


def schema_files() -> list[Path]:
    return sorted(p for p in SCHEMA_DIR.glob("*.json") if _FILE_NAME.match(p.name))


def schema_names() -> list[str]:
    return sorted({match["name"] for p in schema_files() if (match := _FILE_NAME.match(p.name))})


def _latest_file(name: str) -> Path:
    versions = [
        (int(m["version"]), p)
        for p in schema_files()
        if (m := _FILE_NAME.match(p.name)) and m["name"] == name
    ]
    if not versions:
        raise KeyError(f"no schema named {name!r} in {SCHEMA_DIR}")
    return max(versions)[1]


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """The latest version of the schema `name` (e.g. "fiche"), as a dict."""
    schema: dict[str, Any] = json.loads(_latest_file(name).read_text(encoding="utf-8"))
    return schema


class SchemaValidator:
    """A compiled validator for one schema, with value-free error messages."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.schema_id: str = schema.get("$id", "")
        self._compiled = jsonschema_rs.validator_for(
            schema, formats={**FORMAT_CHECKERS, **TEXT_CHECKERS}, validate_formats=True
        )

    def is_valid(self, document: Any) -> bool:
        return self._compiled.is_valid(document) and nul_path(document) is None

    def errors(self, document: Any, limit: int = 20, *,
               nul_checked: bool = False) -> list[FieldError]:
        """Every broken rule (at most `limit`), ordered by path. A NUL character is one
        (no store of the hub's can hold it: the hub refuses it, so a connector's own
        check does too); `nul_checked`: the caller has searched the document for one
        already (the hub's ingest, a whole batch at once), not searched again."""
        nul = None if nul_checked else nul_path(document)
        found = [] if nul is None else [nul_error(nul)]
        for error in self._compiled.iter_errors(document):
            found.append(_translate(error))
            if len(found) >= limit:
                break
        return sorted(found, key=lambda e: e.path)


@functools.cache
def fields_of_format(name: str, text_format: str) -> frozenset[tuple[str, ...]]:
    """The names leading to each field of schema `name` whose format is `text_format`
    (list items skipped): ("projet", "description"), ("accompagnement", "notes")..."""
    schema = load_schema(name)
    found: set[tuple[str, ...]] = set()
    pending: list[tuple[Any, tuple[str, ...]]] = [(schema, ())]
    while pending:
        node, names = pending.pop()
        if not isinstance(node, dict):
            continue
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/") \
                and len(names) < _DEEPEST:  # a local definition (a recursive one stops)
            pending.append((_local(schema, reference), names))
        if node.get("format") == text_format:
            found.add(names)
        pending.extend((child, (*names, key)) for key, child in node.get("properties", {}).items())
        pending.append((node.get("items"), names))
    return frozenset(found)


_DEEPEST = 16


def _local(schema: dict[str, Any], reference: str) -> Any:
    node: Any = schema
    for part in reference[2:].split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def free_text_fields(name: str) -> frozenset[tuple[str, ...]]:
    """The `texte-libre` fields of schema `name` (`fields_of_format`)."""
    return fields_of_format(name, FREE_TEXT)


def one_line_fields(name: str) -> frozenset[tuple[str, ...]]:
    """The `texte-visible` fields of schema `name` (names, address lines, titles): one line."""
    return fields_of_format(name, "texte-visible")


@functools.cache
def validator(name: str) -> SchemaValidator:
    """A cached compiled validator for the latest version of schema `name`."""
    return SchemaValidator(load_schema(name))


def json_path(parts: Iterable[str | int]) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def nul_path(node: Any) -> str | None:
    """The JSON path of the first text (key or value) holding a NUL character, if any:
    no field of the project's documents may hold one (PostgreSQL text cannot). Keys
    outside the schemas' naming show as "?" (a path never echoes input)."""
    return _first_path(node, (), _holds_nul)


def out_of_range_path(node: Any) -> str | None:
    """The JSON path of the first number no double holds (`schemas.numbers.OUT_OF_RANGE`
    in its place), if any."""
    return _first_path(node, (), lambda value: value is OUT_OF_RANGE)


def _holds_nul(value: Any) -> bool:
    return isinstance(value, str) and "\x00" in value


def _first_path(node: Any, path: tuple[str | int, ...], found: Callable[[Any], bool]) -> str | None:
    """The JSON path of the first value, or object key, that is `found`."""
    if found(node):
        return json_path(path)
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in children:
        if isinstance(key, str) and found(key):
            return json_path(path)
        # A key outside the schemas' naming is shown as "?": paths never echo input.
        shown = key if isinstance(key, int) or _SAFE_NAME.match(key) else "?"
        inside = _first_path(value, (*path, shown), found)
        if inside:
            return inside
    return None


class _Twice(dict[str, Any]):
    """A JSON object that named `twice` more than once."""

    twice = ""


def duplicate_key_path(raw: bytes | str) -> str | None:
    """The JSON path of the first name given twice in one object of `raw`, if any (I-JSON,
    RFC 7493, forbids it: parsers differ on which value they keep). A name outside the
    schemas' naming shows as "?". None too when `raw` is not JSON Python reads."""
    found: list[_Twice] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        document = dict(items)
        if len(document) == len(items):
            return document
        twice, seen = _Twice(document), set()
        twice.twice = next(key for key, _ in items if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        found.append(twice)
        return twice

    try:
        document = json.loads(raw, object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return None
    return _twice_path(document, ()) if found else None


def _twice_path(node: Any, path: tuple[str | int, ...]) -> str | None:
    if isinstance(node, _Twice):
        return json_path((*path, shown_key(node.twice)))
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in children:
        found = _twice_path(value, (*path, key if isinstance(key, int) else shown_key(key)))
        if found:
            return found
    return None


def shown_key(key: str) -> str:
    """`key` as an error may name it: a schema-like name, otherwise `?` (a key is the
    caller's text, and could be a person's name)."""
    return key if _SAFE_NAME.match(key) else "?"


def nul_error(path: str) -> FieldError:
    return FieldError(path, "nul_character", "Caractère NUL (\\u0000) interdit : retirez-le.",
                      "NUL character (\\u0000) not allowed: remove it.")


def out_of_range_error(path: str) -> FieldError:
    return FieldError(path, "number_out_of_range",
                      "Nombre qu'un double (IEEE 754) ne tient pas : trop grand, ou si petit "
                      "qu'il serait lu 0. Envoyez-le arrondi (0 s'il vaut zéro).",
                      "Number no double (IEEE 754) holds: too large, or so small it would be "
                      "read as 0. Send it rounded (0 if it is zero).")


def _translate(error: Any) -> FieldError:
    kind = error.kind
    keyword: str = kind.name
    path = json_path(error.instance_path)
    if keyword == "required":
        name = kind.property if _SAFE_NAME.match(str(kind.property)) else "?"
        return FieldError(
            f"{path}.{name}" if path != "$" else f"$.{name}",
            "required",
            f"Champ obligatoire absent : ajoutez « {name} ».",
            f"Required field missing: add '{name}'.",
        )
    if keyword == "additionalProperties":
        names = [n for n in kind.unexpected if _SAFE_NAME.match(str(n))]
        shown = ", ".join(names) if names else "?"
        return FieldError(
            path,
            "unexpected_field",
            f"Champ non prévu par le schéma ({shown}) : retirez-le ou corrigez son nom.",
            f"Field not allowed by the schema ({shown}): remove it or fix its name.",
        )
    if keyword == "format" and kind.format in FIRST_REFUSED_CHARACTER:
        return _invisible_character(path, error.instance, kind.format)
    if keyword == "format" and (reason := refusal_reason(kind.format, error.instance)):
        return FieldError(path, "format", *reason)
    if keyword == "format":
        return FieldError(
            path,
            "format",
            f"La valeur n'est pas au format « {kind.format} » attendu.",
            f"The value is not in the expected '{kind.format}' format.",
        )
    fr, en = _MESSAGES.get(keyword, _GENERIC)
    limit = getattr(kind, "limit", None)
    return FieldError(path, _camel_to_snake(keyword), fr.format(limit=limit), en.format(limit=limit))


def _invisible_character(path: str, value: Any, text_format: str) -> FieldError:
    first = FIRST_REFUSED_CHARACTER[text_format]
    code_point = first(value) if isinstance(value, str) else None
    if code_point is not None and is_control_character(code_point):
        return FieldError(path, "format", *control_message(
            code_point, free_text=text_format == FREE_TEXT))
    return FieldError(
        path,
        "format",
        f"Caractère invisible de mise en forme ({code_point}) : il ferait lire ce texte "
        "autrement qu'il n'est écrit. Retirez-le (souvent collé depuis une autre "
        "application) et envoyez de nouveau.",
        f"Invisible formatting character ({code_point}): it would make this text read "
        "otherwise than it is written. Remove it (often pasted from another application) "
        "and send again.",
    )


def control_message(code_point: str, *, free_text: bool) -> tuple[str, str]:
    """What a control character (`code_point`, U+XXXX) refused in a text on one line or
    in a free text says, in French and English: its own rule, not a hiding character's."""
    fr, en = _CONTROL_RULES[free_text]
    return fr.format(code_point=code_point), en.format(code_point=code_point)


# A control character's message: in a text on one line (False), in a free text (True).
_CONTROL_RULES = {
    False: ("Caractère de contrôle ({code_point} : saut de ligne, tabulation, bip...) : un nom, "
            "une adresse ou un identifiant tient sur une ligne, sans caractère de contrôle. "
            "Remplacez-le par une espace ou retirez-le, puis envoyez de nouveau.",
            "Control character ({code_point}: line break, tab, bell...): a name, an address "
            "or an identifier holds on one line, with no control character. Replace it with a "
            "space or remove it, then send again."),
    True: ("Caractère de contrôle ({code_point} : bip, échappement, retour chariot seul, "
           "séparateur de ligne Unicode...) : un texte libre garde ses sauts de ligne (\\n ou "
           "\\r\\n) et ses tabulations, aucun autre caractère de contrôle. Remplacez-le par un "
           "saut de ligne ou retirez-le, puis envoyez de nouveau.",
           "Control character ({code_point}: bell, escape, lone carriage return, Unicode line "
           "separator...): a free text keeps its line breaks (\\n or \\r\\n) and tabs, no other "
           "control character. Replace it with a line break or remove it, then send again."),
}


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_GENERIC = (
    "La valeur ne respecte pas le schéma.",
    "The value does not follow the schema.",
)
_MESSAGES = {
    "type": ("Type de valeur inattendu pour ce champ.", "Unexpected value type for this field."),
    "enum": ("Valeur hors de la liste autorisée.", "Value not in the allowed list."),
    "pattern": ("La valeur n'a pas la forme attendue.", "The value does not have the expected shape."),
    "minLength": ("Texte trop court (minimum {limit}).", "Text too short (minimum {limit})."),
    "maxLength": ("Texte trop long (maximum {limit}).", "Text too long (maximum {limit})."),
    "minimum": ("Valeur trop petite (minimum {limit}).", "Value too small (minimum {limit})."),
    "maximum": ("Valeur trop grande (maximum {limit}).", "Value too large (maximum {limit})."),
    "exclusiveMinimum": ("Valeur trop petite (elle doit dépasser {limit}).",
                         "Value too small (it must be above {limit})."),
    "exclusiveMaximum": ("Valeur trop grande (elle doit rester sous {limit}).",
                         "Value too large (it must be below {limit})."),
    "minItems": ("Liste trop courte (minimum {limit}).", "List too short (minimum {limit})."),
    "maxItems": ("Liste trop longue (maximum {limit}).", "List too long (maximum {limit})."),
    "uniqueItems": ("La liste contient des doublons.", "The list contains duplicates."),
}
