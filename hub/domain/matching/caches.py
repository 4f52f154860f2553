"""The matching's module-level caches, what each one holds, and forgetting them.

Normalising a surname, a first name, a birth date or a commune, a name's phonetic key,
a date's digits, an e-mail's domain and where a phone number rings repeat across people: they are memoised
per process, keyed by one value of a fiche (a rare surname alone may point to one
person, a phone number to one person or household). `comparisons._swapped`
is keyed by a whole normalised record (names exchanged), and a model's `PatternScorer`
memoises a name's frequency adjustment by the name. Nothing outside the process can ask
them anything; what they hold is in its memory only. The rule (docs/privacy.md,
"Memory"): an erasure empties them all in the process that erases, and in every worker
when it learns of the erasure (`hub.services.matching.forgetting`), with the per-`Hub`
memos of identities. The shipped model, settings and list of given names are read once
from the package's files and hold nothing of a fiche, nor do the overseas regions'
number patterns read once from the phone library's metadata.
"""

from __future__ import annotations

from typing import Protocol

from hub.domain.matching import (
    comparisons,
    first_name_typos,
    mail_providers,
    model,
    normalise,
    phonetic,
    settings,
)


class _Cache(Protocol):
    def cache_clear(self) -> None: ...


# Keyed by a fiche's values (one field's value, or a whole record).
PERSONAL: tuple[_Cache, ...] = (
    normalise.surname_forms, normalise.first_name_tokens, normalise.parse_birth_date,
    normalise.normalise_commune, phonetic.phonetic_key, comparisons._digits, comparisons._swapped,
    comparisons._overseas_kind, mail_providers.provider_domain,
)
# Keyed by nothing of a fiche: the files shipped with the hub, and the phone library's
# own numbering patterns of the overseas regions.
NOT_PERSONAL: tuple[_Cache, ...] = (model.default_model, settings.default_settings,
                                    normalise._overseas_patterns,
                                    first_name_typos.given_names)


def forget_personal_values(matching_model: model.MatchModel | None) -> None:
    """Empty every cache holding a fiche's values, and `matching_model`'s name memo (if
    its scorer was built: never built for this)."""
    for cache in PERSONAL:
        cache.cache_clear()
    if matching_model is not None and "pattern_scorer" in vars(matching_model):
        matching_model.pattern_scorer.forget_values()
