"""Field policies: which fiche fields each role may see, for each purpose.

A policy is data (`schemas/policy.v1.json`, default in `examples/policy.json`) loaded
here into frozen objects. Deny by default: a field that no rule names is never
disclosed, including a field that a future fiche schema adds. Paths are those of the
fiche schema, leaves only, `[]` marking an array of objects: `porteur.adresse.commune`,
`accompagnement[].notes`. Every path a rule grants must belong to one data category,
so that a consent excluding a category excludes all of its fields.

Loading refuses (with `InvalidPolicy`, naming the JSON path of the fault) an unknown
role, purpose, category, condition or key, a path absent from the fiche schema, and a
malformed document; the caller keeps its running policy.

Example:
    >>> fiche_schema = {"properties": {"porteur": {"properties": {
    ...     "nom": {"type": "string"}, "courriel": {"type": "string"}}}}}
    >>> document = {"version": "2026-01", "categories": {
    ...     "identite": {"chemins": ["porteur.nom"]}, "contact": {"chemins": ["porteur.courriel"]}},
    ...     "regles": [{"role": "accueil", "finalite": "orientation", "autorise": [
    ...         {"categorie": "identite"},
    ...         {"categorie": "contact", "condition": "referent_only"}]}]}
    >>> policy = load_policy(document, fiche_schema)
    >>> sorted(policy.role_policy("accueil", "orientation").allowed(is_referent=False))
    ['porteur.nom']
    >>> sorted(policy.role_policy("accueil", "orientation").allowed(is_referent=True))
    ['porteur.courriel', 'porteur.nom']
    >>> policy.role_policy("financement", "orientation").allowed(is_referent=True)
    frozenset()
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from typing import Any, NoReturn

from hub.errors import InvalidPolicy

ROLES = ("accueil", "accompagnement", "financement", "coordination")
PURPOSES = ("orientation", "accompagnement", "financement", "statistiques")
REFERENT_ONLY = "referent_only"
CONDITIONS = (REFERENT_ONLY,)
_MAX_DEPTH = 16


@dataclasses.dataclass(frozen=True)
class RolePolicy:
    """The paths one role may see for one purpose, precomputed for both recipient kinds."""

    role: str
    purpose: str
    for_anyone: frozenset[str]
    for_referent: frozenset[str]

    def allowed(self, is_referent: bool) -> frozenset[str]:
        return self.for_referent if is_referent else self.for_anyone


@dataclasses.dataclass(frozen=True, eq=False)
class Policy:
    """A loaded, checked policy. Hashed by identity, so caches can key on it."""

    version: str
    categories: Mapping[str, frozenset[str]]
    rules: Mapping[tuple[str, str], RolePolicy]

    def role_policy(self, role: str, purpose: str) -> RolePolicy:
        """The rule for (role, purpose); an empty one when no rule names the pair."""
        found = self.rules.get((role, purpose))
        return found or RolePolicy(role, purpose, frozenset(), frozenset())

    def paths_of(self, categories: frozenset[str]) -> frozenset[str]:
        return frozenset().union(*(self.categories.get(name, ()) for name in categories))


def load_policy(document: Any, fiche_schema: Mapping[str, Any]) -> Policy:
    """Check a parsed policy document against the fiche schema and freeze it."""
    leaves, containers = schema_paths(fiche_schema)
    doc = _object(document, "$", {"version", "description", "categories", "regles"})
    version = _string(doc.get("version"), "$.version")
    categories = _load_categories(doc.get("categories"), leaves, containers)
    rules = _load_rules(doc.get("regles"), categories, leaves, containers)
    return Policy(version, types.MappingProxyType(categories), types.MappingProxyType(rules))


def schema_paths(schema: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """(leaf paths, container paths) of a JSON Schema, resolving local `$ref`s."""
    leaves: set[str] = set()
    containers: set[str] = set()
    _walk(schema, schema, "", leaves, containers, 0)
    return frozenset(leaves), frozenset(containers)


def _walk(
    node: Any, root: Mapping[str, Any], prefix: str, leaves: set[str], containers: set[str],
    depth: int,
) -> None:
    node = _resolve(node, root)
    if depth > _MAX_DEPTH:
        raise InvalidPolicy("Schéma de fiche trop profond.", "Fiche schema nested too deeply.")
    properties = node.get("properties")
    if isinstance(properties, Mapping):
        if prefix:
            containers.add(prefix)
        for name, child in properties.items():
            path = f"{prefix}.{name}" if prefix else name
            _walk(child, root, path, leaves, containers, depth + 1)
        return
    items = _resolve(node.get("items"), root)
    if node.get("type") == "array" and isinstance(items.get("properties"), Mapping):
        containers.add(prefix)
        _walk(items, root, f"{prefix}[]", leaves, containers, depth + 1)
        return
    leaves.add(prefix)


def _resolve(node: Any, root: Mapping[str, Any]) -> Mapping[str, Any]:
    for _ in range(_MAX_DEPTH):
        if not isinstance(node, Mapping):
            return {}
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
            return node
        node = root.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
    return {}


def _load_categories(
    raw: Any, leaves: frozenset[str], containers: frozenset[str]
) -> dict[str, frozenset[str]]:
    table = _object(raw, "$.categories", None)
    if not table:
        _fail("$.categories", "aucune catégorie définie", "no category defined")
    categories: dict[str, frozenset[str]] = {}
    owner: dict[str, str] = {}
    for name, entry in table.items():
        where = f"$.categories.{name}"
        body = _object(entry, where, {"libelle", "chemins"})
        paths = _list(body.get("chemins"), f"{where}.chemins")
        for index, path in enumerate(paths):
            at = f"{where}.chemins[{index}]"
            _check_path(path, at, leaves, containers)
            if path in owner:
                _fail(at, f"« {path} » est déjà dans la catégorie « {owner[path]} »",
                      f"'{path}' already belongs to category '{owner[path]}'")
            owner[path] = name
        categories[name] = frozenset(paths)
    return categories


def _load_rules(
    raw: Any, categories: Mapping[str, frozenset[str]], leaves: frozenset[str],
    containers: frozenset[str],
) -> dict[tuple[str, str], RolePolicy]:
    categorised = frozenset().union(*categories.values())
    rules: dict[tuple[str, str], RolePolicy] = {}
    for index, entry in enumerate(_list(raw, "$.regles")):
        where = f"$.regles[{index}]"
        body = _object(entry, where, {"role", "finalite", "autorise"})
        role = _choice(body.get("role"), f"{where}.role", ROLES, ("rôle", "role"))
        purpose = _choice(body.get("finalite"), f"{where}.finalite", PURPOSES,
                          ("finalité", "purpose"))
        if (role, purpose) in rules:
            _fail(where, f"deuxième règle pour ({role}, {purpose})",
                  f"second rule for ({role}, {purpose})")
        grants = _list(body.get("autorise"), f"{where}.autorise")
        anyone: set[str] = set()
        referent: set[str] = set()
        for position, grant in enumerate(grants):
            at = f"{where}.autorise[{position}]"
            paths, referent_only = _load_grant(grant, at, categories, categorised, leaves,
                                               containers)
            (referent if referent_only else anyone).update(paths)
        rules[(role, purpose)] = RolePolicy(
            role, purpose, frozenset(anyone), frozenset(anyone | referent)
        )
    return rules


def _load_grant(
    grant: Any, where: str, categories: Mapping[str, frozenset[str]],
    categorised: frozenset[str], leaves: frozenset[str], containers: frozenset[str],
) -> tuple[frozenset[str], bool]:
    body = _object(grant, where, {"categorie", "chemin", "condition"})
    condition = body.get("condition")
    if condition is not None:
        _choice(condition, f"{where}.condition", CONDITIONS, ("condition", "condition"))
    if ("categorie" in body) == ("chemin" in body):
        _fail(where, "indiquez soit « categorie », soit « chemin »",
              "give either 'categorie' or 'chemin'")
    if "categorie" in body:
        name = _choice(body["categorie"], f"{where}.categorie", tuple(categories),
                       ("catégorie", "category"))
        return categories[name], condition == REFERENT_ONLY
    path = _string(body["chemin"], f"{where}.chemin")
    _check_path(path, f"{where}.chemin", leaves, containers)
    if path not in categorised:
        _fail(f"{where}.chemin", f"« {path} » n'appartient à aucune catégorie",
              f"'{path}' belongs to no category")
    return frozenset({path}), condition == REFERENT_ONLY


def _check_path(path: Any, where: str, leaves: frozenset[str], containers: frozenset[str]) -> None:
    path = _string(path, where)
    if path in containers:
        _fail(where, f"« {path} » regroupe des champs : nommez chacun d'eux",
              f"'{path}' groups fields: name each of them")
    if path not in leaves:
        _fail(where, f"le chemin « {path} » n'existe pas dans le schéma de fiche",
              f"path '{path}' does not exist in the fiche schema")


def _object(value: Any, where: str, keys: set[str] | None) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        _fail(where, "un objet JSON est attendu", "a JSON object is expected")
    unknown = sorted(str(key) for key in value if keys is not None and key not in keys)
    if unknown:
        _fail(where, f"clé inconnue « {unknown[0]} »", f"unknown key '{unknown[0]}'")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        _fail(where, "une liste JSON est attendue", "a JSON array is expected")
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        _fail(where, "un texte non vide est attendu", "a non-empty string is expected")
    return value


def _choice(value: Any, where: str, known: tuple[str, ...], noun: tuple[str, str]) -> str:
    if not isinstance(value, str) or value not in known:
        shown = value if isinstance(value, str) and len(value) <= 60 else "?"
        _fail(where, f"{noun[0]} inconnu(e) « {shown} » (attendu : {', '.join(known)})",
              f"unknown {noun[1]} '{shown}' (expected: {', '.join(known)})")
    return value


def _fail(where: str, fr: str, en: str) -> NoReturn:
    raise InvalidPolicy(f"Politique de partage invalide en {where} : {fr}.",
                        f"Invalid field policy at {where}: {en}.")
