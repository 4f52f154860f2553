"""Matching settings: data (JSON checked by schemas/matching_settings.v1.json) in typed objects.

Example:
    >>> settings = default_settings()
    >>> settings.decision.link_probability
    0.95
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import math
from pathlib import Path
from typing import Any

from hub.domain.matching.blocking import BlockLimits
from schemas.loader import summary, validator

DEFAULT_SETTINGS_FILE = Path(__file__).with_name("default_settings.json")
SETTINGS_VERSION = 1


@dataclasses.dataclass(frozen=True)
class ComparisonSettings:
    close_similarity: float = 0.92
    fuzzy_similarity: float = 0.82
    term_frequency: bool = False


@dataclasses.dataclass(frozen=True)
class BlockingSettings:
    rules: tuple[str, ...]
    max_block_size: int = 50
    big_block_window: int = 0  # sorted-neighbourhood window inside a block over the size
    weak_block_size: int | None = None  # cap of the keys using no full name (WEAK_RULES)
    weak_window: int | None = None  # their window past it
    # Rules whose pairs are scored but not learned from: the pairs only they bring are
    # mostly strangers with a street or a few letters in common, and fed to EM they move
    # u (re-estimated on the candidates) and the prior, so that adding such a rule changed
    # every other pair's weight (recall -12 points on one FEBRL-family file).
    untrained_rules: tuple[str, ...] = ()

    def limits(self) -> BlockLimits:
        return BlockLimits(self.max_block_size, self.big_block_window, self.weak_block_size,
                           self.weak_window)


@dataclasses.dataclass(frozen=True)
class TrainingSettings:
    u_sample_pairs: int = 300_000
    em_max_iterations: int = 60
    em_tolerance: float = 1e-5
    seed: int = 0
    tf_min_count: int = 3
    tf_max_values: int = 20_000
    reestimate_u: bool = True
    # In a file showing households, the m of contacts, address and place counted among the
    # pairs agreeing on surname, first name and birth date, held through EM
    # (`training.identity_agreeing_m`).
    m_from_identity: bool = True


class InvalidSetting(ValueError):
    """A setting of a matching model or settings file out of its bounds. The message
    (English, `message_fr` in French) names the field."""

    def __init__(self, field: str, message_en: str, message_fr: str) -> None:
        super().__init__(message_en)
        self.field = field
        self.message_fr = message_fr


class ThresholdsOutOfOrder(InvalidSetting):
    """Decision thresholds not in order: probabilite_min_groupe <= probabilite_revue <=
    probabilite_lien."""

    def __init__(self, field: str, value: float, bound_field: str, bound: float) -> None:
        order = "probabilite_min_groupe <= probabilite_revue <= probabilite_lien"
        super().__init__(
            field, f"{field} ({value}) must not exceed {bound_field} ({bound}): {order}",
            f"{field} ({value}) ne doit pas dépasser {bound_field} ({bound}) : {order}")


# The most `poids_min_groupe` may ask, in bits: the weight past which a probability is
# certainty (`model.probability_of`); below 0, a pair whose fields weigh against one
# person would stay in a cluster.
MAX_CLUSTER_EVIDENCE_BITS = 60.0


# The fields whose value's frequency tempers an exact agreement (`Comparison.tf_value`:
# MARTIN agreeing weighs less than a rare name); `frequence_termes` is refused elsewhere.
TERM_FREQUENCY_FIELDS = ("nom", "prenom")


def is_number(value: object) -> bool:
    """A finite int or float, not a bool (JSON's true is not a number of bits)."""
    return type(value) in (int, float) and math.isfinite(value)  # type: ignore[arg-type]


@dataclasses.dataclass(frozen=True)
class DecisionSettings:
    """Two thresholds (link / review / new) and the evidence an auto-link needs."""

    link_probability: float = 0.98
    review_probability: float = 0.6
    min_agreeing_fields: int = 3
    strong_fields: tuple[str, ...] = ("date_naissance", "courriel", "telephone", "adresse")
    max_group_size: int = 30
    veto_fields: tuple[str, ...] = ("prenom", "date_naissance")
    # A veto field stops being one where the trained model says duplicates differ on it
    # this often (m of "different" at or above it): the data replace values, and a
    # different value there is weighed by the score, not a veto. 1.0: always a veto.
    veto_max_m: float = 1.0
    lifted_vetoes: tuple[str, ...] = ()  # set by the model from its m, never read from JSON
    # The model's u is that of random pairs, trained with every veto lifted
    # (`training.RANDOM_PAIR_U`): set by the model from its file, never read from JSON.
    u_of_random_pairs: bool = False
    # A fuzzy level counts as agreeing evidence where the trained model weighs it at least
    # this many bits (m/u >= 2**bits): in data whose duplicates often carry another street
    # number, a similar street is evidence; where neighbours share streets, it is not.
    # None: a fuzzy level never counts.
    fuzzy_evidence_bits: float | None = None
    # Fields of the person, not of the household: one of them agreeing is what an auto-link
    # needs beside a strong identifier (surname, address and landline are shared at home).
    personal_fields: tuple[str, ...] = ("prenom", "date_naissance", "courriel")
    # A pair with no personal field and no phone agreeing is another member of a household
    # or a namesake, not a question for a coordinator: "new" (unless every veto is lifted).
    review_needs_personal: bool = False
    # A pair with no strong field agreeing (names and a place only) goes to review only at
    # or above this probability, "new" below; None: the review threshold.
    thin_review_probability: float | None = None
    # ... and links at or above this one where surname, first name and place all agree
    # and no field is plainly different (`decision.names_and_place`): a fiche holding
    # names and a postcode only. None: such a pair never links (unless every veto is
    # lifted, where the thin review bound is its link bound).
    thin_link_probability: float | None = None
    # Two records stay in one cluster only if they score at least this (and no veto);
    # None: the review threshold.
    cluster_probability: float | None = None
    # ... or where their fields alone (without the prior) weigh at least this many bits for
    # one person: inside a cluster the prior of a random candidate pair is not theirs, so
    # two sparse records of one person (a name and a phone, a name and a birth date) are
    # not split for the evidence they lack, only for the evidence they hold against it.
    # None: the probability alone.
    cluster_evidence_bits: float | None = None
    # A veto field outside these fields yields where all of them agree (e-mail and birth
    # date: a nickname, initials, names exchanged); () : a veto never yields.
    veto_yields_to: tuple[str, ...] = ()
    # A vetoed pair (another first name) with no contact (e-mail, phone) agreeing is
    # another person even when no contact is given to contradict it: twins, siblings.
    veto_review_needs_contact: bool = False
    # Where the model lifts every veto (typo-heavy data: duplicates replace first names and
    # birth dates often), the bits two records of one linked component must weigh for one
    # person instead of `cluster_evidence_bits`: there a record retyped twice holds little
    # of the other retyping. Only for a pair whose first name and birth date are both
    # given, none plainly different and one agreeing (`cluster_evidence`): a French file
    # without contacts may lift every veto too, those fields tell its twins apart, and a
    # field missing tells nothing. None: `cluster_evidence_bits`.
    unvetoed_cluster_evidence_bits: float | None = None
    # Two records of one household (`household.two_of_one_household`: the surname and the
    # home agreeing, the first names plainly different, no contact of the person's own
    # agreeing) are two people, a veto no model lifts, where the file the model was
    # trained on shows households: siblings' share among its pairs of one surname and
    # one street line (`household.household_share`) at least this. None (a model file
    # written before it): the vetoes the model keeps alone tell them apart.
    household_min_share: float | None = None
    # Set by the model from that share and its training entry, never read from JSON.
    household_apart: bool = False
    # A pair of one identity (`decision.same_identity`: surname, first name and full birth
    # date agreeing, no contact plainly different) links and may share a cluster whatever
    # its places weigh: a move. False: the probability alone, as before.
    identity_link: bool = False

    def __post_init__(self) -> None:
        """A cluster bound above the review threshold would split clusters on pairs not
        worth a question; a review threshold above the link threshold leaves no band.
        The cluster evidence is None or bits in [0, MAX_CLUSTER_EVIDENCE_BITS]; where every
        veto is lifted, None or bits in [-MAX_CLUSTER_EVIDENCE_BITS, the cluster evidence]."""
        bits = self.cluster_evidence_bits
        if bits is not None and not (is_number(bits) and 0 <= bits <= MAX_CLUSTER_EVIDENCE_BITS):
            span = f"0 … {MAX_CLUSTER_EVIDENCE_BITS:g}"
            raise InvalidSetting(
                "poids_min_groupe", f"poids_min_groupe must be null or a number of bits in "
                f"{span}", f"poids_min_groupe doit être null ou un nombre de bits dans {span}")
        unvetoed = self.unvetoed_cluster_evidence_bits
        top = MAX_CLUSTER_EVIDENCE_BITS if bits is None else bits
        if unvetoed is not None and not (
                is_number(unvetoed) and -MAX_CLUSTER_EVIDENCE_BITS <= unvetoed <= top):
            span = f"-{MAX_CLUSTER_EVIDENCE_BITS:g} … {top:g}"
            raise InvalidSetting(
                "poids_min_groupe_sans_veto", "poids_min_groupe_sans_veto must be null or a "
                f"number of bits in {span} (poids_min_groupe at most)",
                "poids_min_groupe_sans_veto doit être null ou un nombre de bits dans "
                f"{span} (poids_min_groupe au plus)")
        ordered = (("probabilite_min_groupe", self.cluster_bound()),
                   ("probabilite_revue", self.review_probability),
                   ("probabilite_lien", self.link_probability))
        for (field, value), (bound_field, bound) in itertools.pairwise(ordered):
            if value > bound:
                raise ThresholdsOutOfOrder(field, value, bound_field, bound)

    def thin_review(self) -> float:
        """The review threshold of a pair with no strong field agreeing."""
        bound = self.thin_review_probability
        return self.review_probability if bound is None else bound

    def cluster_bound(self) -> float:
        """The probability two records of one cluster must reach (with no veto)."""
        bound = self.cluster_probability
        return self.review_probability if bound is None else bound

    def every_veto_lifted(self) -> bool:
        """The model lifts every veto field (`lifted_vetoes`): typo-heavy data, whose
        duplicates replace first names and birth dates (among those with a contact agreeing
        or their addresses differing: `training.household_free_veto_m`)."""
        return bool(self.veto_fields) and set(self.veto_fields) <= set(self.lifted_vetoes)

    def cluster_evidence(self, veto_fields_vouch: bool = True) -> float | None:
        """The bits two records of one linked component must weigh for one person to stay
        together (`may_share_cluster`): `unvetoed_cluster_evidence_bits` where every veto
        is lifted and it is set, if the veto fields (first name, birth date) vouch for the
        pair (`decision.veto_fields_vouch`: both given, none plainly different, one
        agreeing); `cluster_evidence_bits` otherwise. By default, the lowest bound a pair
        may be held to."""
        if (self.unvetoed_cluster_evidence_bits is not None and self.every_veto_lifted()
                and veto_fields_vouch):
            return self.unvetoed_cluster_evidence_bits
        return self.cluster_evidence_bits


@dataclasses.dataclass(frozen=True)
class MatchingSettings:
    comparisons: dict[str, ComparisonSettings]
    blocking: BlockingSettings
    training: TrainingSettings
    decision: DecisionSettings
    version: int = SETTINGS_VERSION

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> MatchingSettings:
        """Build from the French JSON document, checked here against its schema
        (schemas/matching_settings.v1.json): a model file is written by hand too, and a
        rule given as a string or unknown would fail the blocking, not the load."""
        if not isinstance(doc, dict) or doc.get("version") != SETTINGS_VERSION:
            raise ValueError(f"matching settings version must be {SETTINGS_VERSION}")
        errors = validator("matching_settings").errors(doc)  # compiled once (cached)
        if errors:
            message_fr, message_en = summary(errors)
            raise InvalidSetting(errors[0].path, message_en, message_fr)
        _check_term_frequencies(doc["comparaisons"])
        decision = doc["decision"]
        yields_to = set(decision.get("veto_cede_a", ()))
        if yields_to and (not yields_to <= _PERSONAL or not yields_to & set(CONTACT_FIELDS)):
            # A veto lifted by a household's fields (the address, the surname) links twins.
            raise ValueError("veto_cede_a must name personal fields only (date_naissance, "
                             "courriel, telephone), among them a contact")
        return cls(
            comparisons={name: _comparison(c) for name, c in doc["comparaisons"].items()},
            blocking=BlockingSettings(
                tuple(doc["blocage"]["regles"]), doc["blocage"]["taille_max_bloc"],
                doc["blocage"].get("fenetre_grands_blocs", 0),
                doc["blocage"].get("taille_max_bloc_faible"),
                doc["blocage"].get("fenetre_faible"),
                tuple(doc["blocage"].get("regles_hors_apprentissage", ())),
            ),
            training=_training(doc["apprentissage"]),
            decision=_decision(decision),
        )

    def to_dict(self) -> dict[str, Any]:
        """The French JSON document these settings were read from."""
        return {
            "version": self.version,
            "comparaisons": {
                name: {
                    "similarite_proche": c.close_similarity,
                    "similarite_floue": c.fuzzy_similarity,
                    "frequence_termes": c.term_frequency,
                }
                for name, c in self.comparisons.items()
            },
            "blocage": {"regles": list(self.blocking.rules),
                        "taille_max_bloc": self.blocking.max_block_size,
                        "fenetre_grands_blocs": self.blocking.big_block_window,
                        **({"taille_max_bloc_faible": self.blocking.weak_block_size}
                           if self.blocking.weak_block_size is not None else {}),
                        **({"fenetre_faible": self.blocking.weak_window}
                           if self.blocking.weak_window is not None else {}),
                        **({"regles_hors_apprentissage": list(self.blocking.untrained_rules)}
                           if self.blocking.untrained_rules else {})},
            "apprentissage": {
                "paires_aleatoires_u": self.training.u_sample_pairs,
                "iterations_max_em": self.training.em_max_iterations,
                "tolerance_em": self.training.em_tolerance,
                "graine": self.training.seed,
                "effectif_min_frequence": self.training.tf_min_count,
                "valeurs_max_frequence": self.training.tf_max_values,
                "reestimer_u_em": self.training.reestimate_u,
                "m_par_identite": self.training.m_from_identity,
            },
            "decision": {
                "probabilite_lien": self.decision.link_probability,
                "probabilite_revue": self.decision.review_probability,
                "champs_concordants_min": self.decision.min_agreeing_fields,
                "champs_forts": list(self.decision.strong_fields),
                "taille_max_groupe": self.decision.max_group_size,
                "champs_veto": list(self.decision.veto_fields),
                "m_max_veto": self.decision.veto_max_m,
                "poids_min_approchant": self.decision.fuzzy_evidence_bits,
                "champs_personnels": list(self.decision.personal_fields),
                "revue_exige_champ_personnel": self.decision.review_needs_personal,
                "probabilite_revue_sans_identifiant": self.decision.thin_review_probability,
                "probabilite_lien_sans_identifiant": self.decision.thin_link_probability,
                "probabilite_min_groupe": self.decision.cluster_probability,
                "poids_min_groupe": self.decision.cluster_evidence_bits,
                "veto_cede_a": list(self.decision.veto_yields_to),
                "revue_veto_exige_contact": self.decision.veto_review_needs_contact,
                "poids_min_groupe_sans_veto": self.decision.unvetoed_cluster_evidence_bits,
                "part_min_foyers": self.decision.household_min_share,
                "lien_par_identite": self.decision.identity_link,
            },
        }


@functools.cache
def default_settings() -> MatchingSettings:
    """The settings shipped with the hub (default_settings.json beside this module)."""
    return MatchingSettings.from_dict(json.loads(DEFAULT_SETTINGS_FILE.read_text("utf-8")))


def over_defaults(doc: object) -> MatchingSettings:
    """The shipped settings with the sections of `doc` laid over them: a section's keys
    replace the shipped ones (a comparison's, field by field), lists whole; `version` is
    required. A file naming only what it changes stays valid when the hub ships new keys.

    Example:
        >>> over_defaults({"version": 1, "decision": {"probabilite_lien": 0.99}}
        ...               ).decision.link_probability
        0.99
    """
    if not isinstance(doc, dict):
        raise InvalidSetting("$", "the settings must be a JSON object",
                             "les réglages doivent être un objet JSON")
    if doc.get("version") != SETTINGS_VERSION:
        raise InvalidSetting("$.version", f"version must be {SETTINGS_VERSION}",
                             f"version doit valoir {SETTINGS_VERSION}")
    merged = json.loads(DEFAULT_SETTINGS_FILE.read_text("utf-8"))
    for section, value in doc.items():
        shipped = merged.get(section)
        if isinstance(value, dict) and isinstance(shipped, dict):
            merged[section] = {**shipped, **{
                key: {**shipped[key], **part} if section == "comparaisons" and isinstance(
                    part, dict) and isinstance(shipped.get(key), dict) else part
                for key, part in value.items()}}
        else:
            merged[section] = value
    try:
        return MatchingSettings.from_dict(merged)
    except InvalidSetting:
        raise
    except ValueError as exc:  # a rule across keys (veto_cede_a)
        raise InvalidSetting("$.decision", str(exc), str(exc)) from exc


def _check_term_frequencies(comparisons: dict[str, Any]) -> None:
    """`frequence_termes` only where the comparison reads a value's frequency: elsewhere
    the training would count values that temper nothing (a date, not a JSON key, then
    fails to be written)."""
    for name, comparison in comparisons.items():
        if comparison.get("frequence_termes") and name not in TERM_FREQUENCY_FIELDS:
            where = f"$.comparaisons.{name}.frequence_termes"
            names = ", ".join(TERM_FREQUENCY_FIELDS)
            raise InvalidSetting(
                where, f"{where} may be true only for {names}: set it to false",
                f"{where} ne peut valoir true que pour {names} : mettez-le à false")


def _comparison(doc: dict[str, Any]) -> ComparisonSettings:
    base = ComparisonSettings()
    return ComparisonSettings(
        doc.get("similarite_proche", base.close_similarity),
        doc.get("similarite_floue", base.fuzzy_similarity),
        doc.get("frequence_termes", base.term_frequency),
    )


def _training(doc: dict[str, Any]) -> TrainingSettings:
    base = TrainingSettings()
    return TrainingSettings(
        doc["paires_aleatoires_u"],
        doc["iterations_max_em"],
        doc["tolerance_em"],
        doc["graine"],
        doc.get("effectif_min_frequence", base.tf_min_count),
        doc.get("valeurs_max_frequence", base.tf_max_values),
        doc.get("reestimer_u_em", base.reestimate_u),
        doc.get("m_par_identite", base.m_from_identity),
    )


# The person's own contacts: a household rarely shares them (vetoes, `m_veto`).
CONTACT_FIELDS = ("courriel", "telephone")
_PERSONAL = {"date_naissance", *CONTACT_FIELDS}


def _decision(doc: dict[str, Any]) -> DecisionSettings:
    base = DecisionSettings()
    return DecisionSettings(
        doc["probabilite_lien"],
        doc["probabilite_revue"],
        doc.get("champs_concordants_min", base.min_agreeing_fields),
        tuple(doc.get("champs_forts", base.strong_fields)),
        doc.get("taille_max_groupe", base.max_group_size),
        tuple(doc.get("champs_veto", base.veto_fields)),
        doc.get("m_max_veto", base.veto_max_m),
        fuzzy_evidence_bits=doc.get("poids_min_approchant", base.fuzzy_evidence_bits),
        personal_fields=tuple(doc.get("champs_personnels", base.personal_fields)),
        review_needs_personal=doc.get("revue_exige_champ_personnel",
                                      base.review_needs_personal),
        thin_review_probability=doc.get("probabilite_revue_sans_identifiant",
                                        base.thin_review_probability),
        thin_link_probability=doc.get("probabilite_lien_sans_identifiant",
                                      base.thin_link_probability),
        cluster_probability=doc.get("probabilite_min_groupe", base.cluster_probability),
        cluster_evidence_bits=doc.get("poids_min_groupe", base.cluster_evidence_bits),
        veto_yields_to=tuple(doc.get("veto_cede_a", base.veto_yields_to)),
        veto_review_needs_contact=doc.get("revue_veto_exige_contact",
                                          base.veto_review_needs_contact),
        unvetoed_cluster_evidence_bits=doc.get("poids_min_groupe_sans_veto",
                                               base.unvetoed_cluster_evidence_bits),
        household_min_share=doc.get("part_min_foyers", base.household_min_share),
        identity_link=doc.get("lien_par_identite", base.identity_link),
    )
