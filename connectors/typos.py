"""Unknown keys in a configuration or mapping file, each named with the closest known one.

The schema validator says `$.source (unexpected_field)`; an agent who typed `separteur`
needs to read « clé inconnue « separteur » dans $.source : vouliez-vous dire
« separateur » ? ». The walk follows the schema's `properties`, `$ref`,
`additionalProperties` and `allOf` branches whose `if` matches the document.

    >>> unknown_keys({"type": "object", "additionalProperties": False,
    ...               "properties": {"separateur": {}}}, {"separteur": ";"})
    ['clé inconnue « separteur » dans $ : vouliez-vous dire « separateur » ?']
"""

from __future__ import annotations

import difflib
from typing import Any

from connectors.errors import ConfigurationError
from schemas import validator
from schemas.loader import load_schema


def unknown_keys(root: dict[str, Any], data: Any, node: dict[str, Any] | None = None,
                 path: str = "$") -> list[str]:
    node = _resolve(root, root if node is None else node)
    if not isinstance(data, dict):
        return []
    properties = dict(node.get("properties", {}))
    for branch in node.get("allOf", []):
        if _matches(branch.get("if", {}), data):
            for name, sub in branch.get("then", {}).get("properties", {}).items():
                properties[name] = {"allOf": [properties.get(name, {}), sub]}
    found: list[str] = []
    extra = node.get("additionalProperties", True)
    for key, value in data.items():
        if key in properties:
            found += _merged(root, properties[key], value, f"{path}.{key}")
        elif extra is False:
            found.append(_message(str(key), path, list(properties)))
        elif isinstance(extra, dict):
            found += unknown_keys(root, value, extra, f"{path}.{key}")
    return found


def _merged(root: dict[str, Any], schema: dict[str, Any], value: Any, path: str) -> list[str]:
    parts = schema.get("allOf") if set(schema) == {"allOf"} else None
    if parts is None:
        return unknown_keys(root, value, schema, path)
    resolved = [_resolve(root, p) for p in parts]
    closed = [p for p in resolved if p.get("additionalProperties") is False]
    return unknown_keys(root, value, closed[-1], path) if closed else []


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node and node["$ref"].startswith("#/"):
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def _matches(condition: dict[str, Any], data: dict[str, Any]) -> bool:
    wanted = {k: v.get("const") for k, v in condition.get("properties", {}).items()}
    return bool(wanted) and all(data.get(k) == v for k, v in wanted.items())


def _message(key: str, path: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f" : vouliez-vous dire « {close[0]} » ?" if close else \
        f" (clés possibles : {', '.join(sorted(known))})"
    return f"clé inconnue « {key[:60]} » dans {path}{hint}"


def check_keys(schema: str, data: Any, fr: str, en: str) -> None:
    """Raise a ConfigurationError naming unknown keys (with the closest known one) and
    the other broken rules of `data` against `schema`."""
    errors = validator(schema).errors(data)
    if not errors:
        return
    typos = unknown_keys(load_schema(schema), data)
    others = [f"{e.path} ({e.code})" for e in errors if e.code != "unexpected_field"]
    where = "; ".join([*typos, *others][:5]) or ", ".join(
        f"{e.path} ({e.code})" for e in errors[:5])
    raise ConfigurationError(f"{fr} : {where}.", f"{en}: {where}.")
