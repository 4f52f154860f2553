"""Hypothesis strategies built from the fiche schema, with a distinctive marker in every field.

`marked_fiches()` draws `(fiche, markers)`: `markers` maps each policy-style path
(`porteur.nom`, `accompagnement[].notes`, and paths of fields the schema does not know)
to the serialised marker values placed there. Strings are `MK0042X`, numbers `7000420.5`
or `8000042`: fixed width, so no marker is a substring of another. Markers ignore enums
and formats on purpose: the projection must not depend on values being valid.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st

import schemas
from hub.domain.policy import PURPOSES, ROLES, schema_paths
from hub.domain.projection import ConsentScope

FICHE_SCHEMA: dict[str, Any] = schemas.load_schema("fiche")
LEAVES, _CONTAINERS = schema_paths(FICHE_SCHEMA)
MEMBERS = ("cci-thiers", "pfil-haute-loire", "pnr-livradois-forez", "bge-auvergne")
CATEGORIES = ("reference", "identite", "contact", "profil", "projet", "parcours",
              "financement", "notes_accompagnement")

Draw = Callable[[st.SearchStrategy[Any]], Any]


class _Marks:
    def __init__(self) -> None:
        self.counter = itertools.count(1)
        self.by_path: dict[str, list[str]] = defaultdict(list)

    def string(self, path: str) -> str:
        value = f"MK{next(self.counter):04d}X"
        self.by_path[path].append(value)
        return value

    def number(self, path: str, integer: bool) -> float | int:
        n = next(self.counter)
        value: float | int = 8_000_000 + n if integer else 7_000_000 + n * 10 + 0.5
        self.by_path[path].append(json.dumps(value))
        return value


def _resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref", "")
    return FICHE_SCHEMA["$defs"][ref.removeprefix("#/$defs/")] if ref else node


def _build(draw: Draw, node: Mapping[str, Any], path: str, marks: _Marks) -> Any:
    node = _resolve(node)
    if isinstance(node.get("properties"), Mapping):
        return _build_object(draw, node, path, marks)
    items = node.get("items")
    if node.get("type") == "array" and isinstance(_resolve(items).get("properties"), Mapping):
        size = draw(st.integers(0, 3))
        return [_build_object(draw, _resolve(items), f"{path}[]", marks) for _ in range(size)]
    if draw(st.integers(0, 19)) == 0:  # a future schema turned this leaf into an object
        return {"valeur": marks.string(f"{path}.valeur")}
    if node.get("type") == "array":
        return [marks.string(path) for _ in range(draw(st.integers(1, 3)))]
    if node.get("type") in ("number", "integer"):
        return marks.number(path, node["type"] == "integer")
    return marks.string(path)


def _build_object(draw: Draw, node: Mapping[str, Any], path: str, marks: _Marks) -> dict:
    out: dict[str, Any] = {}
    for name, child in node["properties"].items():
        if draw(st.integers(0, 5)) > 0:  # most fields present, some absent
            child_path = f"{path}.{name}" if path else name
            out[name] = _build(draw, child, child_path, marks)
    if draw(st.booleans()):  # a field a future schema version adds
        name = "champ_futur"
        out[name] = marks.string(f"{path}.{name}" if path else name)
    return out


@st.composite
def marked_fiches(draw: Draw) -> tuple[dict[str, Any], dict[str, list[str]]]:
    marks = _Marks()
    fiche = _build_object(draw, FICHE_SCHEMA, "", marks)
    return fiche, dict(marks.by_path)


def _subset(values: tuple[str, ...]) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(values))


consent_scopes = st.builds(
    ConsentScope,
    purposes=_subset(PURPOSES),
    recipient_roles=_subset(ROLES),
    named_members=st.none() | _subset(MEMBERS),
    excluded_categories=_subset(CATEGORIES),
    version=st.sampled_from(("c1:v1", "c1:v2", "c2:v1")),
)
roles = st.sampled_from((*ROLES, "inconnu"))
purposes = st.sampled_from((*PURPOSES, "prospection"))
members = st.sampled_from(MEMBERS)
path_sets = st.frozensets(
    st.sampled_from([*sorted(LEAVES), "porteur", "accompagnement[]", "porteur.nom.valeur", ""])
)
