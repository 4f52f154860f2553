"""Request bodies read the same way by every route: JSON, and no NUL character in any
text (PostgreSQL text cannot hold one, and no field of the contract contains one)."""

from __future__ import annotations

from typing import Any

import orjson

from hub.errors import MalformedBody
from schemas.loader import json_path


def json_body(raw: bytes) -> Any:
    """The parsed body; MalformedBody (400) if it is not JSON or holds a NUL character."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody("Le corps n'est pas du JSON valide.", "The body is not valid JSON.") from exc
    if b"\\u0000" in raw:
        where = _nul_path(document, [])
        if where is not None:
            raise MalformedBody(
                f"Caractère NUL (\\u0000) interdit dans le corps, en {where} : retirez-le.",
                f"NUL character (\\u0000) not allowed in the body, at {where}: remove it.")
    return document


def json_object(raw: bytes) -> dict[str, Any]:
    document = json_body(raw)
    if not isinstance(document, dict):
        raise MalformedBody("Le corps doit être un objet JSON.", "The body must be a JSON object.")
    return document


def _nul_path(node: Any, path: list[str | int]) -> str | None:
    if isinstance(node, str):
        return json_path(path) if "\x00" in node else None
    if isinstance(node, dict):
        for key, value in node.items():
            if "\x00" in key:
                return json_path(path)
            found = _nul_path(value, [*path, key])
            if found:
                return found
    if isinstance(node, list):
        for index, value in enumerate(node):
            found = _nul_path(value, [*path, index])
            if found:
                return found
    return None
