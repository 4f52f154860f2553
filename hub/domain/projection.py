"""The one projection: what a recipient may see of a fiche, and nothing else.

    allowed = role_policy(role, purpose) ∩ consent_scope(consent, recipient)

The disclosed payload is built by COPYING the allowed fields into a new document,
never by deleting forbidden ones, so a field nobody named (a typo, a field added by a
future schema version, an unexpected nesting) cannot slip through. A leaf path copies
only JSON scalars or arrays of scalars: if a value turns out to be an object, it is not
copied. Intersections are cached per (policy, role, purpose, referent?, excluded
categories); projection plans per allowed set: projecting costs microseconds.

Example:
    >>> from hub.domain.policy import load_policy
    >>> fiche_schema = {"properties": {"porteur": {"properties": {
    ...     "nom": {"type": "string"}, "courriel": {"type": "string"}}}}}
    >>> policy = load_policy({"version": "2026-01", "categories": {
    ...     "identite": {"chemins": ["porteur.nom"]}, "contact": {"chemins": ["porteur.courriel"]}},
    ...     "regles": [{"role": "financement", "finalite": "financement", "autorise": [
    ...         {"categorie": "identite"}, {"categorie": "contact"}]}]}, fiche_schema)
    >>> scope = ConsentScope.from_terms(["financement"], ["financement"],
    ...                                 excluded_categories=["contact"])
    >>> allowed = allowed_fields(policy, "financement", "financement", scope, is_referent=False,
    ...                          member="pfil-haute-loire")
    >>> fiche = {"porteur": {"nom": "Durand", "courriel": "a@example.org", "note": "libre"}}
    >>> project(fiche, allowed)
    {'porteur': {'nom': 'Durand'}}
    >>> project(fiche, allowed_fields(policy, "financement", "financement", None, False))
    {}
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from typing import Any

from hub.domain.policy import Policy

_SCALARS = (str, int, float, bool, type(None))
# The fields a fiche's owner changes with every version, whatever else it changes: never a
# change by themselves (docs/privacy.md, "Side channels": a version changing only what a
# recipient may not see). Listed, they told a recipient that and when the owner edited a
# field hidden from it; they are still disclosed with the document, as the policy allows.
BOOKKEEPING_PATHS = frozenset({"version", "mis_a_jour_le"})
_ABSENT = object()


@dataclasses.dataclass(frozen=True)
class ConsentScope:
    """What a porteur's consent allows, as the consent registry hands it to the projection.

    `named_members`: when not None, only these members (among `recipient_roles`) may
    receive data (the consent's `membres_destinataires`). `version` identifies the
    consent record and its version, for the audit trail.
    """

    purposes: frozenset[str]
    recipient_roles: frozenset[str]
    named_members: frozenset[str] | None = None
    excluded_categories: frozenset[str] = frozenset()
    version: str = ""

    @classmethod
    def from_terms(
        cls,
        purposes: Iterable[str],
        roles: Iterable[str],
        members: Iterable[str] = (),
        excluded_categories: Iterable[str] = (),
        version: str = "",
    ) -> ConsentScope:
        """From a consent's terms, where no named member (empty) means any member of `roles`
        (the convention of `consent.model.Scope` and of `membres_destinataires`)."""
        named = frozenset(members)
        return cls(frozenset(purposes), frozenset(roles), named or None,
                   frozenset(excluded_categories), version)

    def covers(self, role: str, purpose: str, member: str | None) -> bool:
        if purpose not in self.purposes or role not in self.recipient_roles:
            return False
        return self.named_members is None or member in self.named_members


@dataclasses.dataclass(frozen=True)
class AllowedSet:
    """The fields one recipient may see, with what decided it (for the audit log)."""

    paths: frozenset[str]
    policy_version: str
    role: str
    purpose: str
    consent_version: str

    @property
    def empty(self) -> bool:
        return not self.paths


def allowed_fields(
    policy: Policy,
    role: str,
    purpose: str,
    consent_scope: ConsentScope | None,
    is_referent: bool,
    member: str | None = None,
) -> AllowedSet:
    """The recipient's allowed paths; empty without a consent covering role, purpose, member."""
    consent_version = consent_scope.version if consent_scope else ""
    if consent_scope is None or not consent_scope.covers(role, purpose, member):
        return AllowedSet(frozenset(), policy.version, role, purpose, consent_version)
    paths = _intersection(policy, role, purpose, is_referent, consent_scope.excluded_categories)
    return AllowedSet(paths, policy.version, role, purpose, consent_version)


@functools.lru_cache(maxsize=4096)
def _intersection(
    policy: Policy, role: str, purpose: str, is_referent: bool, excluded: frozenset[str]
) -> frozenset[str]:
    return policy.role_policy(role, purpose).allowed(is_referent) - policy.paths_of(excluded)


def project(fiche: Mapping[str, Any], allowed: frozenset[str] | AllowedSet) -> dict[str, Any]:
    """A new document holding only the allowed fields of `fiche` (copied, never deleted)."""
    paths = allowed.paths if isinstance(allowed, AllowedSet) else allowed
    if not paths or not isinstance(fiche, dict):
        return {}
    return _copy_object(fiche, _plan(paths))


def changed_fields(
    old: Mapping[str, Any], new: Mapping[str, Any], allowed: frozenset[str] | AllowedSet
) -> list[str]:
    """The allowed content paths whose values differ between two versions (names only,
    sorted); the bookkeeping paths (`BOOKKEEPING_PATHS`) never count."""
    paths = allowed.paths if isinstance(allowed, AllowedSet) else allowed
    return [path for path in sorted(paths - BOOKKEEPING_PATHS)
            if _values_at(old, path) != _values_at(new, path)]


@dataclasses.dataclass(frozen=True)
class _Node:
    key: str
    leaf: bool
    each: bool
    children: tuple[_Node, ...]


@functools.lru_cache(maxsize=1024)
def _plan(paths: frozenset[str]) -> tuple[_Node, ...]:
    tree: dict[str, Any] = {}
    for path in paths:
        level = tree
        parts = path.split(".")
        for part in parts[:-1]:
            level = level.setdefault(part, {}).setdefault("", {})
        level.setdefault(parts[-1], {})["leaf"] = True
    return _freeze(tree)


def _freeze(level: Mapping[str, Any]) -> tuple[_Node, ...]:
    nodes = []
    for part, entry in sorted(level.items()):
        each = part.endswith("[]")
        key = part[:-2] if each else part
        nodes.append(_Node(key, bool(entry.get("leaf")), each, _freeze(entry.get("", {}))))
    return tuple(nodes)


def _copy_object(source: Mapping[str, Any], nodes: tuple[_Node, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for node in nodes:
        if node.key in source:
            copied = _copy_value(source[node.key], node)
            if copied is not _ABSENT:
                out[node.key] = copied
    return out


def _copy_value(value: Any, node: _Node) -> Any:
    if node.each:
        if not isinstance(value, list):
            return _ABSENT
        items = [_copy_object(item, node.children) for item in value if isinstance(item, dict)]
        return [item for item in items if item] or _ABSENT
    if node.children and isinstance(value, dict):
        return _copy_object(value, node.children) or _ABSENT
    if node.leaf and isinstance(value, _SCALARS):
        return value
    if node.leaf and isinstance(value, list) and all(isinstance(v, _SCALARS) for v in value):
        return list(value)
    return _ABSENT


def _values_at(document: Any, path: str) -> list[Any]:
    found = [document]
    for part in path.split("."):
        each = part.endswith("[]")
        key = part[:-2] if each else part
        found = [item[key] for item in found if isinstance(item, dict) and key in item]
        if each:
            found = [element for value in found if isinstance(value, list) for element in value]
    return found
