"""The store's markers of the matching index: which blocking rules its keys were built
with and which normalisation wrote its record forms (`reindex` sets them once every
fiche is rewritten). A worker indexes only into an index of its own version: one left
running while a newer release's `capactif init` rewrote the index would write forms and
keys of its own normalisation that nothing re-reads."""

from __future__ import annotations

from hub.domain.matching.blocking import rules_fingerprint
from hub.domain.matching.record_form import FORM_VERSION
from hub.errors import IndexOfAnotherVersion
from hub.store.uow import UnitOfWork

RULES_MARKER = "blocking_rules"
FORMS_MARKER = "record_forms"
# How the store holds the keys (migration 0028: 64-bit numbers, no longer hex digests):
# part of what the index was built with, so a worker of a release that wrote the other
# form is refused, whatever its rules.
KEYS_STORED_AS = "n64"


def index_fingerprint(rules: tuple[str, ...]) -> str:
    """The rules marker this code writes and accepts: the rule set's fingerprint and
    the keys' stored form."""
    return f"{rules_fingerprint(rules)}+{KEYS_STORED_AS}"


def current_forms() -> str:
    """The forms marker this code writes."""
    return f"v{FORM_VERSION}"


def ensure_current(uow: UnitOfWork, rules: tuple[str, ...]) -> None:
    """Refuse (a retryable error) when the store says its index was written by another
    normalisation or rule set than this process's; a store not yet marked (never
    initialised) is taken as it is. The message says which: another version of the hub
    (the forms, or the keys' stored form), or only another blocking rule set (a rule
    added or removed in the settings: the index is rebuilt by `capactif init`, never by
    itself)."""
    markers = uow.markers.get_many(FORMS_MARKER, RULES_MARKER)  # one statement a transaction
    forms, keys = markers.get(FORMS_MARKER), markers.get(RULES_MARKER)
    if (forms is not None and forms != current_forms()) or (
            keys is not None and not keys.endswith(f"+{KEYS_STORED_AS}")):
        raise IndexOfAnotherVersion(
            "L'index de rapprochement a été écrit par une autre version du hub : ce worker "
            "n'indexe pas (fiche reprise plus tard). Arrêtez les workers de l'ancienne "
            "version et lancez `capactif init` avec la nouvelle.",
            "The matching index was written by another version of the hub: this worker "
            "does not index (the fiche is retried later). Stop the workers of the old "
            "version and run `capactif init` with the new one.")
    if keys is not None and keys != index_fingerprint(rules):
        raise IndexOfAnotherVersion(
            "L'index de rapprochement a été construit avec d'autres règles de blocage que "
            "celles des réglages de ce worker : il n'indexe pas (fiche reprise plus tard). "
            "Si les règles ont changé, lancez `capactif init` pour reconstruire l'index, "
            "puis redémarrez les workers ; l'index ne se reconstruit pas seul.",
            "The matching index was built with other blocking rules than this worker's "
            "settings: it does not index (the fiche is retried later). If the rules "
            "changed, run `capactif init` to rebuild the index, then restart the workers; "
            "the index is not rebuilt by itself.")
