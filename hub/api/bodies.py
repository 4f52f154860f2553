"""Request bodies read the same way by every route: JSON, no name twice in one object
(I-JSON: parsers differ on which value they keep), and no NUL character in any text
(PostgreSQL text cannot hold one, and no field of the contract contains one)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import orjson

from hub.api.exact_numbers import may_be_read_as_zero, read_exactly
from hub.errors import MalformedBody
from schemas.loader import duplicate_key_path, nul_path, out_of_range_path, shown_key

MAX_DEPTH = 64  # levels of arrays and objects; the contract's documents use fewer than 10
UNPARSED: Any = object()  # no checked parse of the body to reuse (none made)


def checked_json(raw: bytes) -> Any:
    """The parsed body, read one way: JSON, not nested too deep, no name twice in one
    object; MalformedBody (400) otherwise."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        exactly = read_exactly(raw) if "infinity" in exc.msg else None
        if exactly is None:
            raise _not_json(raw, exc) from exc
        document = exactly
    else:
        if may_be_read_as_zero(raw):
            exactly = read_exactly(raw)
            document = document if exactly is None else exactly
    if _depth(document) > MAX_DEPTH:  # before any walk: the checks below recurse
        raise _too_deep()
    twice = None if _written_as_read(document, raw) else duplicate_key_path(raw)
    if twice is not None:
        raise MalformedBody(
            f"Nom donné deux fois dans un même objet, en {twice} : gardez-en un seul "
            "(les lecteurs JSON ne gardent pas tous le même).",
            f"Name given twice in one object, at {twice}: keep only one (JSON readers do "
            "not all keep the same).")
    return document


def _too_deep() -> MalformedBody:
    return MalformedBody(
        f"Corps imbriqué trop profondément (plus de {MAX_DEPTH} niveaux de tableaux et "
        "d'objets) : aucun document du contrat n'en a autant.",
        f"Body nested too deep (more than {MAX_DEPTH} levels of arrays and objects): no "
        "document of the contract has that many.")


_FIX_FR = "corrigez le JSON à cet endroit (RFC 8259 ; le schéma attendu est dans /docs)"
_FIX_EN = "fix the JSON there (RFC 8259; the expected schema is in /docs)"


def _not_json(raw: bytes, exc: orjson.JSONDecodeError) -> MalformedBody:
    """What kept `raw` from being read, where, and how to fix it; never a piece of the
    body (it may hold personal data), only positions and the parser's own wording."""
    if not raw.strip():
        return MalformedBody(
            "Corps vide (ou fait d'espaces) : envoyez un objet JSON, voir le schéma dans /docs.",
            "Body empty (or only spaces): send a JSON object, see the schema in /docs.")
    if raw.startswith(b"\xef\xbb\xbf"):
        return MalformedBody(
            "Corps commençant par une marque d'ordre des octets (BOM, octets EF BB BF) : "
            "retirez-la, le JSON s'envoie en UTF-8 sans BOM (RFC 8259).",
            "Body starting with a byte-order mark (BOM, bytes EF BB BF): remove it, JSON is "
            "sent as UTF-8 without a BOM (RFC 8259).")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as undecoded:
        byte = undecoded.start + 1
        return MalformedBody(
            f"Corps illisible en UTF-8 à l'octet {byte} : encodez le JSON en UTF-8 (un "
            "accent en Latin-1 ou Windows-1252 n'en est pas).",
            f"Body not readable as UTF-8 at byte {byte}: encode the JSON as UTF-8 (an accent "
            "in Latin-1 or Windows-1252 is not).")
    if "depth" in exc.msg:
        return _too_deep()
    where_fr = f"ligne {exc.lineno}, colonne {exc.colno}"
    where_en = f"line {exc.lineno}, column {exc.colno}"
    if text[exc.pos:exc.pos + 3] in ("NaN", "Inf") or text[exc.pos - 1:exc.pos + 3] == "-Inf":
        return MalformedBody(
            f"NaN ou Infinity en {where_fr} : ce n'est pas du JSON, envoyez null ou un nombre.",
            f"NaN or Infinity at {where_en}: not JSON, send null or a number.")
    return MalformedBody(f"Le corps n'est pas du JSON valide, {where_fr} : {_FIX_FR}.",
                         f"The body is not valid JSON at {where_en} ({exc.msg}): {_FIX_EN}.")


@dataclasses.dataclass(frozen=True)
class Refused:
    """A body `checked_json` refused, kept so that the route raises the same 400 without
    parsing and checking the body again (a push of several megabytes)."""

    error: MalformedBody


def checked_if_json(raw: bytes) -> Any:
    """`checked_json`, or `Refused` when it refuses the body: for a check that reads what
    the body names before the route checks the body (the route then raises the refusal)."""
    try:
        return checked_json(raw)
    except MalformedBody as exc:
        return Refused(exc)


def json_body(raw: bytes, *, refuse_nul: bool = True, checked: Any = UNPARSED) -> Any:
    """The parsed body (`checked`: as `checked_json` gave it already, or its `Refused`);
    MalformedBody (400) if it is not JSON read one way or, with `refuse_nul`, holds a NUL
    character (a batch of fiches answers it per item instead)."""
    if isinstance(checked, Refused):
        raise checked.error
    document = checked_json(raw) if checked is UNPARSED else checked
    if not refuse_nul:
        return document
    where = nul_path(document) if b"\\u0000" in raw else None
    if where is not None:
        raise MalformedBody(
            f"Caractère NUL (\\u0000) interdit dans le corps, en {where} : retirez-le.",
            f"NUL character (\\u0000) not allowed in the body, at {where}: remove it.")
    where = out_of_range_path(document)
    if where is not None:
        raise MalformedBody(
            f"Nombre qu'un double (IEEE 754) ne tient pas, en {where} : trop grand, ou si "
            "petit qu'il serait lu 0. Envoyez-le arrondi (0 s'il vaut zéro).",
            f"Number no double (IEEE 754) holds, at {where}: too large, or so small it "
            "would be read as 0. Send it rounded (0 if it is zero).")
    return document


def _depth(document: Any) -> int:
    """The nesting of arrays and objects, walked level by level without recursion (a
    500-fiche batch holds some 150,000 values: one comprehension a level, not one step
    of a loop a value); stops one level past MAX_DEPTH."""
    depth, level = 0, [document]
    while depth <= MAX_DEPTH:
        containers = [node for node in level if isinstance(node, (dict, list))]
        if not containers:
            break
        depth += 1
        level = []
        for node in containers:
            level.extend(node.values() if isinstance(node, dict) else node)
    return depth


def _written_as_read(document: Any, raw: bytes) -> bool:
    """Whether `raw` is exactly the compact JSON orjson writes for `document`, as the
    hub's own connectors send it (connectors.client): then no object of it names anything
    twice (a name given twice is read once, so written once, and the texts would differ),
    and the slower search for one (`duplicate_key_path`) is spared. Any other body is
    searched."""
    try:
        return orjson.dumps(document) == raw
    except orjson.JSONEncodeError:
        return False


def json_object(raw: bytes, checked: Any = UNPARSED) -> dict[str, Any]:
    document = json_body(raw, checked=checked)
    if not isinstance(document, dict):
        raise MalformedBody("Le corps doit être un objet JSON.", "The body must be a JSON object.")
    return document


def closed_object(raw: bytes, allowed: Iterable[str], checked: Any = UNPARSED) -> dict[str, Any]:
    """A JSON object with no key but `allowed` (the OpenAPI document declares these bodies
    closed): a key the hub does not know (`dry_run`, a misspelt name) is refused, never
    ignored while the request is carried out."""
    document = json_object(raw, checked)
    names = set(allowed)
    unknown = list(dict.fromkeys(shown_key(str(key)) for key in document if key not in names))
    if unknown:
        expected = ", ".join(sorted(names))
        raise MalformedBody(
            f"Clé non prévue dans le corps ({', '.join(unknown)}) : clés admises {expected}.",
            f"Key not expected in the body ({', '.join(unknown)}): allowed keys {expected}.")
    return document


def required_texts(document: dict[str, Any], names: Iterable[str]) -> list[str]:
    """The values of `names` in `document`, each a non-empty text; MalformedBody (400)
    naming every one absent or not a text (never its value) otherwise: an unmerge sent
    `{}` was read as naming fiche "None", answered 409 as if the fiche were not there."""
    wanted = list(names)
    wrong = [name for name in wanted
             if not isinstance(document.get(name), str) or not document[name]]
    if wrong:
        shown = ", ".join(f"$.{name}" for name in wrong)
        raise MalformedBody(
            f"Champ obligatoire absent ou qui n'est pas un texte ({shown}) : ajoutez-le, "
            f"un texte non vide ; le corps attendu est {_shape(wanted)}.",
            f"Required field missing or not a text ({shown}): add it as a non-empty "
            f"text; the expected body is {_shape(wanted)}.")
    return [document[name] for name in wanted]


def _shape(names: list[str]) -> str:
    return "{" + ", ".join(f'"{name}": "..."' for name in names) + "}"
