"""A record's deletion flag: the mapping's `suppression` rule.

CRMs and databases mark a deleted record in several ways, and each must be read as it is
meant, never taken for "not deleted" because it is not a yes/no:
- yes/no: `oui`/`non`, `vrai`/`faux`, `true`/`false`, `1`/`0`, `x` (a JSON boolean, or the
  numbers 1 and 0, likewise);
- a deletion date (Laravel's `deleted_at`, Rails' `discarded_at`, a « Supprimé le »
  column): any date or date-time, or a Unix time, means deleted; empty or `null`, not;
- a label (`statut` « Archivé » / « Actif »): told by `valeurs` (labels → oui/non, true or
  false) and `autres` (any other label), as for a field.
Empty (or a database export's `NULL`) means not deleted. Anything else is unreadable:
the record is rejected (rejects file, `$.suppression`), neither sent nor withdrawn, until
it is fixed or the mapping says how to read it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from connectors import parsers
from connectors.errors import ConfigurationError
from connectors.mapping import ABSENT, InvalidValue, Problem, normalize_label, scalar_text

UNREADABLE = (
    "Indicateur de suppression illisible : oui/non, vrai/faux, 1/0 ou une date de "
    "suppression attendus. Pour un libellé (« Archivé », « Actif »), indiquez « valeurs » "
    "dans la règle « suppression » de la correspondance, par exemple {\"Archivé\": \"oui\", "
    "\"Actif\": \"non\"}. La fiche n'est ni envoyée ni retirée tant que la valeur n'est pas lue.",
    "Unreadable deletion flag: yes/no, true/false, 1/0 or a deletion date expected. For a "
    "label (\"Archived\"), give \"valeurs\" on the mapping's \"suppression\" rule, e.g. "
    "{\"Archived\": \"oui\", \"Active\": \"non\"}. The fiche is neither sent nor withdrawn "
    "until the value is read.")


_NULLS = frozenset({"null", "none", "nil"})  # a database export's empty deletion date


class DeletionFlag:
    """Reads whether a record is deleted; raises `InvalidValue` when it cannot be told."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.labels = {normalize_label(k): _flag(v, k) for k, v in
                       (spec.get("valeurs") or {}).items()}
        self.others = _flag(spec["autres"], "autres") if "autres" in spec else None
        self.formats: Sequence[str] = spec.get("formats") or parsers.DATETIME_FORMATS
        self.unit: str | None = spec.get("horodatage")

    def deleted(self, raw: Any) -> bool:
        """Whether the value `raw` read at the rule's source marks the record deleted."""
        if raw is ABSENT or raw is None or isinstance(raw, bool):
            return raw is True
        if isinstance(raw, dict | list):
            raise InvalidValue(Problem.VALEUR_COMPOSEE)
        if isinstance(raw, dt.date):  # a spreadsheet's date cell
            return True
        text = scalar_text(raw)
        if not text or text.lower() in _NULLS:
            return False
        if self.labels or self.others is not None:
            return self._label(text)
        try:
            return parsers.parse_boolean(text)
        except ValueError:
            pass
        if self._moment(text):
            return True
        raise InvalidValue(Problem.BOOLEEN_INVALIDE, message=UNREADABLE)

    def _label(self, text: str) -> bool:
        found = self.labels.get(normalize_label(text))
        if found is not None:
            return found
        if self.others is not None:
            return self.others
        raise InvalidValue(Problem.VALEUR_INCONNUE)

    def _moment(self, text: str) -> bool:
        """A deletion date: any date or date-time the connector reads (digits alone only as a
        Unix time, or with `horodatage`: `1` is a yes, `46000` no date anyone writes)."""
        if text.isdigit() and self.unit is None and len(text) not in (10, 13):
            return False
        try:
            parsers.to_datetime(text, self.formats, self.unit)
        except (ValueError, parsers.UnixTimeLike):
            return False
        return True


def _flag(value: Any, label: str) -> bool:
    """A `valeurs` target as a yes/no (`oui`, `non`, true, false...)."""
    if isinstance(value, bool):
        return value
    try:
        return parsers.parse_boolean(str(value)) if isinstance(value, str) and value else \
            _refuse(label)
    except ValueError:
        return _refuse(label)


def _refuse(label: str) -> bool:
    raise ConfigurationError(
        f"Règle « suppression » : la valeur donnée à « {label} » doit être oui ou non (true "
        "ou false) : corrigez la correspondance.",
        f"Rule 'suppression': the value given to '{label}' must be yes or no (true or "
        "false): fix the mapping.")
