"""Fellegi–Sunter scoring with term-frequency adjustments, and its explanation.

A trained `MatchModel` holds, per field and level, m = P(level | same person)
and u = P(level | different people), the prior probability that a candidate
pair is a match, and the frequency of common names. The match weight of a pair
is log2(prior odds) + sum of log2(m/u) over fields; an exact agreement on a
name is tempered by its frequency: MARTIN agreeing weighs less than a rare name.
The model is stored as a versioned JSON file (`to_json` / `from_json`).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.domain.matching.comparisons import (
    AGREEING,
    CLOSE,
    DAY_OFF,
    DIFFERENT,
    EXACT,
    FUZZY,
    MISSING,
    SWAPPED,
    Comparison,
    build_comparisons,
    compare_records,
)
from hub.domain.matching.exchanged_names import letter_for_letter, names_exchanged
from hub.domain.matching.first_name_typos import may_be_retyped, one_name_retyped
from hub.domain.matching.household import (
    APART,
    HOUSEHOLD_PAIRS,
    HOUSEHOLD_SHARE,
    MIN_HOME_PAIRS,
    UNSURE,
    household_verdict,
    nothing_personal,
    resolve,
)
from hub.domain.matching.hypocoristics import hypocoristic_of_one_name
from hub.domain.matching.mobile import mobile_lifts
from hub.domain.matching.model_tables import check_tables
from hub.domain.matching.record import NormalisedRecord
from hub.domain.matching.settings import (
    DecisionSettings,
    InvalidSetting,
    MatchingSettings,
    is_number,
)

if TYPE_CHECKING:
    from hub.domain.matching.scoring import PatternScorer

DEFAULT_MODEL_FILE = Path(__file__).with_name("default_model.json")
# The training entry holding the share of namesakes among the pairs agreeing on identity
# (`training.identity_namesakes`), and the most of it under which identity alone links a
# pair: none were estimated on French households 5k, 0.018 with 1 % of people given a
# namesake.
NAMESAKE_SHARE = "part_homonymes"
MAX_NAMESAKE_SHARE = 0.005
# The link threshold where namesakes are not known rare: a lower one in the settings
# (0.95: the review band 0.95-0.98 was 92 of 93 one person on French households) holds
# only where the training measured them rare; with 5 % of people given a namesake it cost
# precision (seed 1: P 0.9926 against 0.9979).
NAMESAKES_LINK_PROBABILITY = 0.98
MODEL_FORMAT = "capactif-matching-model"
MODEL_VERSION = 1


@dataclasses.dataclass(frozen=True)
class FieldTerm:
    """One step of the waterfall: a field, its level and what it adds (in bits).

    `sides` says whether each side (left, right) had a value the comparison could use:
    the level is "missing" when one does not, or when both do but share no part of it
    (the place: a commune against a postcode; the address: a house number alone against
    a line with its street, "non comparable"); a missing field adds nothing.
    `by_digits`: a birth date made impossible by a typed digit on a side, compared by its
    digits (`comparisons.BirthDateComparison`): typed the same, it is close, not exact.
    """

    field: str
    level: str
    weight: float
    tf_adjustment: float = 0.0
    sides: tuple[bool, bool] = (True, True)
    by_digits: bool = False

    def to_dict(self) -> dict[str, Any]:
        doc = {"champ": self.field, "niveau": self.level, "poids": round(self.weight, 3),
               "ajustement_frequence": round(self.tf_adjustment, 3),
               "renseigne": {"gauche": self.sides[0], "droite": self.sides[1]},
               "libelle": self.label_fr()}
        if self.by_digits:
            doc["par_chiffres"] = True
        return doc

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> FieldTerm:
        sides = doc.get("renseigne")  # absent from explanations kept before it existed
        present = (sides["gauche"], sides["droite"]) if sides else (
            (False, False) if doc["niveau"] == MISSING else (True, True))
        return cls(doc["champ"], doc["niveau"], doc["poids"], doc["ajustement_frequence"],
                   present, bool(doc.get("par_chiffres", False)))

    def label_fr(self) -> str:
        """The level in words, saying which side lacks the value when one does."""
        if self.level != MISSING and self.by_digits:
            return f"{FIELD_LEVELS_FR[(self.field, BY_DIGITS)]} : {_LEVELS_FR[self.level]}"
        if self.level != MISSING:
            return FIELD_LEVELS_FR.get((self.field, self.level), _LEVELS_FR[self.level])
        if all(self.sides):
            return "non comparable : pas la même donnée des deux côtés"
        if not any(self.sides):
            return "absent des deux côtés"
        return "absent à droite" if self.sides[0] else "absent à gauche"


@dataclasses.dataclass(frozen=True)
class Explanation:
    """Why a pair scored what it did: the prior, each field's term, the total.

    It carries field names, levels and numbers only, never the compared values, and
    whether the pair is two of one household (`household`: API `foyer`), one the
    household rule leaves to a coordinator (`may_be_one`: API `foyer_a_verifier`), or one
    comparing nothing personal where the training file showed households
    (`nothing_personal`: API `rien_de_personnel_compare`).
    """

    prior_weight: float
    terms: tuple[FieldTerm, ...]
    total_weight: float
    probability: float
    # Two people of one household (`household.household_verdict`, where the model's
    # settings say so): a rule, not a weight; the hub never links such a pair, whatever
    # its total.
    household: bool = False
    # Of a pair the household rule leaves unsure (`household.UNSURE`), whether its
    # records may be one person all the same (`household.may_be_one`): a review, not two.
    may_be_one: bool = False
    # The household rule's verdict on the pair (`household.resolve`): what the decision
    # reads (`decision.one_household`); None where the rule says nothing.
    household_rule: str | None = None
    # Neither the first name nor the birth date compared and no personal field agreeing,
    # where the model's training file showed households (`decision.nothing_personal_compared`):
    # never enough evidence to link, whatever the probability; a coordinator decides.
    nothing_personal: bool = False
    # Linked online by identity alone (`cross_member.identity_alone`) to a porteur none of
    # whose fiches is the fiche's member's: no street nor contact agreeing, the link would
    # show that member another's data; a coordinator decides (`identity_only`: API
    # `identite_seule_a_verifier`).
    identity_only: bool = False
    # Reached online through a porteur none of whose fiches is the fiche's member's and
    # that holds a fiche of the person at another home with no unguessed contact in
    # common (`OnlineMatcher._moved_away`): the pair may agree street-exact on the old
    # home, a link would show that member where the person lives now; a coordinator
    # checks (`moved_away`: API `autre_domicile_a_verifier`).
    moved_away: bool = False
    # One mobile on both sides under first names that may be one written otherwise
    # (`mobile.mobile_lifts`): with the birth date agreeing, the mobile lifts the
    # first-name veto where the settings say so (`decision._veto_yields`; API
    # `meme_mobile_prenoms_proches`).
    mobile_names_alike: bool = False
    # First names one typed letter apart, one a first name in use and the other none
    # (`first_name_typos.one_name_retyped`): one name retyped, not a sibling's; first
    # names alike at one home need no identifier of the person's own beside them then
    # (`decision.alike_at_one_home`), and the household rule leaves the pair to the
    # model (`household.resolve`; API `prenom_retape`).
    first_name_retyped: bool = False
    # The names the same letter for letter once read exchanged, surname typed as the
    # first name, or the surname a typed letter off (`exchanged_names.names_exchanged`):
    # the household rule leaves the pair to the model (`household.resolve`), and where the
    # file showed no households names exchanged letter for letter alike at one home do not
    # hold it (`decision.alike_at_one_home`; API
    # `noms_inverses`).
    names_exchanged: bool = False
    # A pet name beside the one first name it stands for, under one full birth date and a
    # surname agreeing (`hypocoristics.hypocoristic_of_one_name`: Tom / Thomas): the
    # household rule leaves the pair to the model (`household.resolve`; API `surnom`).
    pet_name: bool = False
    # Names exchanged with the surname a typed letter off (`exchanged_names.surname_retyped`):
    # alike at one home, they link only beside an identifier of the person's own, whatever
    # the households of the training file (`decision.alike_at_one_home`).
    exchanged_surname_retyped: bool = False

    def level_of(self, field: str) -> str:
        return next((t.level for t in self.terms if t.field == field), MISSING)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a_priori": round(self.prior_weight, 3),
            "champs": [t.to_dict() for t in self.terms],
            "total": round(self.total_weight, 3),
            "probabilite": round(self.probability, 6),
            **({"foyer": True} if self.household else {}),
            **({"foyer_a_verifier": True} if self.may_be_one else {}),
            **({NOTHING_PERSONAL_KEY: True} if self.nothing_personal else {}),
            **({IDENTITY_ONLY_KEY: True} if self.identity_only else {}),
            **({MOVED_AWAY_KEY: True} if self.moved_away else {}),
            **({MOBILE_NAMES_KEY: True} if self.mobile_names_alike else {}),
            **({RETYPED_KEY: True} if self.first_name_retyped else {}),
            **({EXCHANGED_KEY: True} if self.names_exchanged else {}),
            **({PET_NAME_KEY: True} if self.pet_name else {}),
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Explanation:
        """Back from `to_dict` (the form kept with a review item)."""
        terms = tuple(FieldTerm.from_dict(t) for t in doc["champs"])
        apart, unsure = doc.get("foyer", False) is True, doc.get("foyer_a_verifier", False) is True
        return cls(doc["a_priori"], terms, doc["total"], doc["probabilite"], apart, unsure,
                   APART if apart else UNSURE if unsure else None,
                   doc.get(NOTHING_PERSONAL_KEY, False) is True,
                   doc.get(IDENTITY_ONLY_KEY, False) is True,
                   doc.get(MOVED_AWAY_KEY, False) is True,
                   doc.get(MOBILE_NAMES_KEY, False) is True,
                   doc.get(RETYPED_KEY, False) is True,
                   doc.get(EXCHANGED_KEY, False) is True,
                   doc.get(PET_NAME_KEY, False) is True)

    def lines_fr(self, *, certain: bool = False) -> list[str]:
        """The waterfall in French words and decimals: "a priori : −6,2", "nom : identique,
        +9,1", "adresse : absent à droite, 0 (ne compte pas)", ..., "total : +10,9 soit une
        probabilité de 99,95 %", each weight as the console prints it (`weight_fr`). A pair
        open for review is not certain (`certain` False): its per cent never reads 100,00 %."""
        lines = [f"a priori : {points_fr(self.prior_weight)}"]
        for t in self.terms:
            note = (f" (dont fréquence du nom {points_fr(t.tf_adjustment)})"
                    if t.tf_adjustment else "")
            lines.append(f"{t.field} : {t.label_fr()}, {weight_fr(t.weight)}{note}")
        if self.household:
            lines.append(NEIGHBOURS_FR if self.level_of("nom") == DIFFERENT else HOUSEHOLD_FR)
        if self.may_be_one:
            lines.append(household_review_fr({t.field: t.level for t in self.terms}))
        if self.nothing_personal:
            lines.append(NOTHING_PERSONAL_FR)
        if self.identity_only:
            lines.append(identity_only_fr({t.field: t.level for t in self.terms}))
        if self.moved_away:
            lines.append(MOVED_AWAY_FR)
        if self.mobile_names_alike:
            lines.append(MOBILE_LIFTS_FR)
        if self.first_name_retyped:
            lines.append(RETYPED_FR)
        if self.names_exchanged:
            lines.append(EXCHANGED_FR)
        if self.pet_name:
            lines.append(PET_NAME_FR)
        lines.append(f"total : {points_fr(self.total_weight)} soit une probabilité de "
                     f"{percent_fr(self.probability, 2, certain=certain)}")
        return lines


def percent_fr(value: float, decimals: int = 1, *, certain: bool = False) -> str:
    """A probability in per cent with a French decimal comma. Unless the pair is known to
    be `certain` (a decision, not a score), never « 100,0 % » however close to 1 the
    float (0.99999999998 of a pair left for review), nor « 0,0 % » above zero."""
    unit = 10 ** decimals
    shown = round(value * 100 * unit)
    if not certain:
        shown = min(shown, 100 * unit - 1)
    if value > 0:
        shown = max(shown, 1)
    return f"{shown / unit:.{decimals}f} %".replace(".", ",")


# The training entry listing the levels `refine_m` seeded from their former one.
SEEDED_LEVELS = "niveaux_par_repli"


def points_fr(value: float) -> str:
    """A signed score with one decimal, a French decimal comma and a true minus sign:
    « +9,1 », « −2,5 ». Rounded from the three decimals an explanation keeps
    (`FieldTerm.to_dict`), so a weight reads the same from the kept form as from the score
    (−5.6499996 is kept as −5.65, shown −5,7 from either)."""
    shown = round(round(value, 3), 1) or 0.0  # never −0,0: a weight under 0,05 is +0,0
    return f"{shown:+.1f}".replace(".", ",").replace("-", "−")


NOT_COUNTED_FR = "0 (ne compte pas)"
HOUSEHOLD_FR = ("foyer : nom identique ou proche, même adresse dans la même commune ou même "
                "ligne fixe, aucun courriel identique ; des prénoms sans rapport (ni faute de "
                "frappe, ni surnom, ni partie d'un prénom composé) ou des dates de naissance "
                "nettement différentes (dix ans ou plus d'écart si les prénoms concordent), "
                "ou des prénoms proches sous un courriel ou un mobile différent de chaque "
                "côté : deux personnes, que le hub ne réunit jamais seul")
# Two people by the household rule whose surnames differ plainly (`household.neighbours`):
# another number of one street, two homes.
NEIGHBOURS_FR = ("voisins : noms différents, même rue dans la même commune mais un autre "
                 "numéro de chaque côté, aucun courriel ni téléphone identique ou approchant : deux "
                 "personnes de deux logements, que le hub ne réunit jamais seul")
# A pair comparing nothing personal where the file showed households
# (`Explanation.nothing_personal`): its API key and its line.
NOTHING_PERSONAL_KEY = "rien_de_personnel_compare"
NOTHING_PERSONAL_FR = ("rien de personnel comparé : ni le prénom ni la date de naissance "
                       "renseignés des deux côtés, aucun courriel identique ; le nom et le "
                       "foyer qui concordent sont ce que partagent deux personnes d'un même "
                       "foyer : le hub ne les réunit jamais seul, un coordinateur décide")
# A link of identity alone held for a coordinator online (`Explanation.identity_only`):
# its API key and its line.
IDENTITY_ONLY_KEY = "identite_seule_a_verifier"
# A pair reaching a porteur that holds the person at another home, held for a coordinator
# online (`Explanation.moved_away`): its API key and its line.
MOVED_AWAY_KEY = "autre_domicile_a_verifier"
MOVED_AWAY_FR = ("autre domicile : le porteur de la fiche déjà connue n'a encore aucune fiche "
                 "de ce membre et connaît la personne à une autre adresse, sans courriel ni "
                 "téléphone en commun avec la nouvelle fiche ; les noms, une date de naissance "
                 "et une ancienne adresse se devinent, et le lien montrerait à ce membre où la "
                 "personne habite aujourd'hui : vérifiez auprès de lui qu'il connaît bien la "
                 "personne (son courriel, son téléphone ou sa nouvelle adresse) avant de dire "
                 "« même personne » ; le hub ne les réunit jamais seul")
# The flags a coordinator's « same » must confirm by name (`duplicates.decide`).
CONFIRMED_FLAGS = (IDENTITY_ONLY_KEY, MOVED_AWAY_KEY)
# One mobile under first names that may be one (`Explanation.mobile_names_alike`): its key.
MOBILE_NAMES_KEY = "meme_mobile_prenoms_proches"
# First names one retyped (`Explanation.first_name_retyped`): its key.
RETYPED_KEY = "prenom_retape"
RETYPED_FR = ("prénom retapé : les deux prénoms diffèrent d'une lettre, l'un est un prénom "
              "en usage et l'autre n'en est pas un (ni dans les données ni dans la liste "
              "des prénoms) : une faute de frappe, pas le prénom d'un frère ou d'une sœur")
# Names the same read exchanged (`Explanation.names_exchanged`): its key and its line.
EXCHANGED_KEY = "noms_inverses"
EXCHANGED_FR = ("noms inversés : le nom de l'une des fiches est, lettre pour lettre, le "
                "prénom de l'autre, et son prénom le nom de l'autre (ou ce nom à une lettre "
                "près, quand le prénom est un prénom en usage et ni un nom des données ni "
                "l'un des deux noms un prénom) : un même nom saisi dans les cases inversées, "
                "pas le prénom proche d'un frère ou d'une sœur ; le lien demande encore la "
                "date de naissance ou un courriel ou un mobile concordant, sauf, pour les "
                "noms inversés lettre pour lettre, là où le fichier d'apprentissage ne "
                "montrait pas de foyers : il s'y décide comme pour les deux fiches saisies "
                "à l'endroit")
# A pet name beside the name it stands for (`Explanation.pet_name`): its key and its line.
PET_NAME_KEY = "surnom"
PET_NAME_FR = ("surnom : l'un des prénoms est un diminutif qui ne désigne qu'un prénom "
               "(Tom pour Thomas, Cathy pour Catherine) et l'autre est ce prénom, sous la "
               "même date de naissance complète : une même personne, pas le prénom proche "
               "d'un frère ou d'une sœur")
MOBILE_LIFTS_FR = ("même mobile : le prénom diffère, mais un même numéro de mobile et la même "
                   "date de naissance concordent, et l'un des prénoms est une partie ou les "
                   "initiales de l'autre, et aucun courriel ni téléphone ne diffère : le "
                   "prénom différent n'empêche pas le lien")
IDENTITY_ONLY_FR = ("identité seule : {agreeing}, mais ni la rue, ni le courriel, ni le "
                    "téléphone (la commune ou le code postal se devinent) ; le porteur n'a "
                    "encore aucune fiche de ce membre, et le lien lui montrerait les données "
                    "d'un autre : le hub ne les réunit jamais seul, un coordinateur décide")
# The identity fields an identity-alone pair may agree on, in words (with their article).
_IDENTITY_WORDS = (("nom", "nom", "le nom"), ("prenom", "prénom", "le prénom"),
                   ("date_naissance", "date de naissance", "la date de naissance"))


def identity_only_fr(levels: Mapping[str, str]) -> str:
    """The line of a pair flagged identity alone, naming the fields that agree."""
    return IDENTITY_ONLY_FR.format(agreeing=agreeing_identity_fr(levels))


def agreeing_identity_fr(levels: Mapping[str, str], *, articles: bool = False) -> str:
    """Which of surname, first name and birth date agree (`AGREEING`) in `levels`, with
    the verb: « nom, prénom et date de naissance concordent », « nom et prénom
    concordent » when the birth date is absent on a side; with `articles`, « seuls le nom
    et le prénom concordent », « seule la date de naissance concorde »."""
    words = [(bare, articled) for field, bare, articled in _IDENTITY_WORDS
             if levels.get(field) in AGREEING]
    if not words:
        return "aucun de ces champs ne concorde" if articles else "aucun champ ne concorde"
    named = [articled if articles else bare for bare, articled in words]
    listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} et {named[-1]}"
    verb = "concorde" if len(named) == 1 else "concordent"
    if not articles:
        return f"{listed} {verb}"
    alone = "seuls" if len(named) > 1 else "seule" if named[0].startswith("la ") else "seul"
    return f"{alone} {listed} {verb}"
# A pair the household rule held for a coordinator (`Explanation.may_be_one`): its line
# says what matched (`household_review_fr`).
HOUSEHOLD_REVIEW_FR = ("foyer : nom identique ou proche, {home}, mais {doubt} : peut-être une "
                       "fiche ressaisie, peut-être deux personnes ; le hub ne les réunit jamais "
                       "seul, un coordinateur décide")


def household_review_fr(levels: Mapping[str, str]) -> str:
    """The line of a pair the household rule held for a coordinator, from its levels."""
    return HOUSEHOLD_REVIEW_FR.format(home=household_home_fr(levels),
                                      doubt=household_doubt_fr(levels))


def household_home_fr(levels: Mapping[str, str]) -> str:
    """What made the pair one home (`household._one_home`), in words."""
    if levels.get("adresse") in (EXACT, CLOSE, FUZZY):
        return "même adresse dans la même commune"
    if levels.get("telephone") == FUZZY:
        return "même ligne fixe"
    return "une même ligne fixe à un chiffre près"


def household_doubt_fr(levels: Mapping[str, str]) -> str:
    """Why the rule could not say two people (`household.household_verdict`, `resolve`)."""
    if levels.get("telephone") == EXACT:
        return "un même mobile des deux côtés"
    if levels.get("date_naissance") == DIFFERENT:
        return ("des dates de naissance à dix ans ou plus d'écart qui ne diffèrent que d'un "
                "chiffre tapé (1958 / 1988 : une faute de frappe aussi souvent qu'un père et "
                "son fils)")
    if levels.get("prenom") == EXACT and levels.get("telephone") == DIFFERENT:  # UNDATED
        return ("un même prénom, la date de naissance sur une seule fiche et un mobile "
                "différent de chaque côté (un nouveau numéro aussi souvent qu'un père et son "
                "fils)")
    return "les prénoms se ressemblent encore"


def weight_fr(weight: float) -> str:
    """A field's weight, in the API's lines and in the console alike: « 0 (ne compte pas) »
    for one that adds nothing (absent on a side, or a level never counted for a match, as
    a numbered e-mail; zero to the three decimals an explanation keeps), else its signed
    points (`points_fr`)."""
    return NOT_COUNTED_FR if round(weight, 3) == 0 else points_fr(weight)


# The training flag of a model whose u is that of random pairs (every veto lifted at
# training, `training.train`); the name it had first, read from the files written then.
RANDOM_PAIR_U = "u_paires_aleatoires_tous_vetos_leves"
RANDOM_PAIR_U_FORMER = "u_paires_aleatoires_sans_foyers"


def u_of_random_pairs(training: dict[str, Any]) -> bool:
    """Whether a model file's training flag says its u is that of random pairs."""
    return bool(training.get(RANDOM_PAIR_U, training.get(RANDOM_PAIR_U_FORMER, False)))


def namesakes_rare(training: dict[str, Any]) -> bool:
    """Whether the pairs agreeing on identity of the training file were one person but
    for at most `MAX_NAMESAKE_SHARE` of namesakes (the entry `part_homonymes`,
    `training.identity_namesakes`): identity alone links a pair only there
    (`decision.identity_links`). A model file without the entry (written before it, the
    shipped one) measured nothing: namesakes are not known rare there, and the
    probability alone decides."""
    share = training.get(NAMESAKE_SHARE)
    return isinstance(share, int | float) and is_number(share) and (
        share <= MAX_NAMESAKE_SHARE)


def households_seen(settings: DecisionSettings, training: dict[str, Any]) -> bool:
    """Whether the file the model was trained on shows households: siblings' share among
    its pairs of one surname and one street line (`household.household_share`, the
    training entry `part_foyers`) at least `household_min_share`, measured on at least
    `MIN_HOME_PAIRS` such pairs where the entry `paires_foyers` says how many. Never for a
    model file written before either existed."""
    least, share = settings.household_min_share, training.get(HOUSEHOLD_SHARE)
    pairs = training.get(HOUSEHOLD_PAIRS)
    too_few = isinstance(pairs, list) and len(pairs) == 2 and not (
        isinstance(pairs[1], int) and pairs[1] >= MIN_HOME_PAIRS)
    return least is not None and isinstance(share, int | float) and is_number(share) and (
        share >= least) and not too_few


_LEVELS_FR = {"exact": "identique", "close": "proche", "fuzzy": "approchant",
              "different": "différent", "missing": "absent",
              "swapped": "jour et mois inversés", "day_off": "jour à un chiffre près"}
# Levels that mean something of their own on one field.
# A birth date compared by its digits (`FieldTerm.by_digits`), whatever its level.
BY_DIGITS = "par_chiffres"
FIELD_LEVELS_FR = {("telephone", "fuzzy"): "même ligne fixe, celle d'un foyer",
                   ("courriel", "fuzzy"): "même nom, numéroté d'un seul côté",
                   ("date_naissance", SWAPPED): "jour et mois inversés",
                   ("date_naissance", DAY_OFF): "jour à un chiffre près",
                   ("date_naissance", BY_DIGITS): "date impossible, comparée par ses chiffres"}


@dataclasses.dataclass
class MatchModel:
    settings: MatchingSettings
    prior: float
    m: dict[str, dict[str, float]]
    u: dict[str, dict[str, float]]
    tf: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    tf_floor: dict[str, float] = dataclasses.field(default_factory=dict)
    training: dict[str, Any] = dataclasses.field(default_factory=dict)
    u_random: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    # Per veto field, the m of "different" among matches no household could have made:
    # agreeing on a contact, or else with addresses differing; 0 where the file had too
    # few of either (`training.household_free_veto_m`); a field absent (a model file of
    # before, a hand-made one): the veto follows its m.
    veto_m: dict[str, float] = dataclasses.field(default_factory=dict)
    # Read from a file written before `m_veto` existed: the vetoes follow EM's m, which
    # twins raise; the loaders say so (`dedup_batch.model_notices`), naming the file.
    veto_m_missing: bool = False

    @functools.cached_property
    def comparisons(self) -> list[Comparison]:
        return build_comparisons(self.settings.comparisons)

    @functools.cached_property
    def _weights(self) -> dict[str, dict[str, float]]:
        """log2(m/u) per field and level; a plain disagreement never counts for a match.

        (Candidate pairs that are not matches mostly agree on names, so EM alone
        would make a different name look like evidence of a match.)
        """
        weights: dict[str, dict[str, float]] = {}
        for field, levels in self.m.items():
            weights[field] = {
                level: math.log2(m / self.u[field][level]) for level, m in levels.items()
            }
        for comparison in self.comparisons:
            field_weights = weights.get(comparison.field, {})
            # A level newer than the model file weighs as the level those pairs had when
            # it was written (a household's landline as an exact phone).
            for level, former in comparison.formerly:
                if level not in field_weights and former in field_weights:
                    field_weights[level] = field_weights[former]
            for level in comparison.never_for:
                if level in field_weights:
                    field_weights[level] = min(field_weights[level], 0.0)
            if comparison.ordered and not self.settings.comparisons[comparison.field].term_frequency:
                _never_above_the_better(field_weights)
        return weights

    def pattern_weights(self, levels: tuple[str, ...]) -> tuple[float, ...]:
        """Per field, the weight of its level in this pattern, before any frequency
        adjustment (`level_weight`)."""
        return tuple(self.level_weight(c.field, level)
                     for c, level in zip(self.comparisons, levels, strict=True))

    @functools.cached_property
    def levels_by_fallback(self) -> tuple[tuple[str, str, str], ...]:
        """(field, level, former) of each level weighed as the one it replaced: the file
        holds no m for it (trained before it existed), or its m was seeded from the
        former's (`training.refine_m`, listed in `niveaux_par_repli`). Only where the
        former is there to weigh it (`_weights`)."""
        seeded = set(self.training.get(SEEDED_LEVELS, ()))
        return tuple((c.field, level, former) for c in self.comparisons
                     for level, former in c.formerly
                     if former in self.m.get(c.field, {}) and (
                         level not in self.m[c.field] or f"{c.field}.{level}" in seeded))

    @functools.cached_property
    def decision(self) -> DecisionSettings:
        """The decision settings, with the vetoes this model lifts (`veto_max_m`): on the m
        among matches no household could have made (`veto_m`: agreeing on a contact, or
        with addresses differing), so twins cannot lift a veto; on the m of EM where the
        model holds none for the field. A household's members are two people where its
        training file showed households (`households_seen`)."""
        settings = self.settings.decision
        lifted = tuple(f for f in settings.veto_fields
                       if self.veto_m.get(f, self.m.get(f, {}).get(DIFFERENT, 0.0))
                       >= settings.veto_max_m)
        rare = namesakes_rare(self.training)
        return dataclasses.replace(settings, lifted_vetoes=lifted,
                                   u_of_random_pairs=u_of_random_pairs(self.training),
                                   household_apart=households_seen(settings, self.training),
                                   identity_link=settings.identity_link and rare,
                                   link_probability=settings.link_probability if rare else max(
                                       settings.link_probability, NAMESAKES_LINK_PROBABILITY))

    @functools.cached_property
    def pattern_scorer(self) -> PatternScorer:
        """The model's `PatternScorer`, kept with it: its memos (facts per pattern, name
        adjustments) then serve every batch of the process."""
        from hub.domain.matching.scoring import PatternScorer  # it imports this module

        return PatternScorer(self)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (a process pool) without the scorer: its memos are rebuilt on use."""
        state = dict(self.__dict__)
        state.pop("pattern_scorer", None)
        return state

    @functools.cached_property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))

    def score(self, a: NormalisedRecord, b: NormalisedRecord) -> Explanation:
        """Compare two records and explain the match weight."""
        levels, b_used = compare_records(self.comparisons, a, b)
        return self.explain(levels, a, b_used, written=b)

    def explain(
        self, levels: tuple[str, ...], a: NormalisedRecord, b: NormalisedRecord,
        written: NormalisedRecord | None = None,
    ) -> Explanation:
        """The explanation of a pair's levels; `b` as compared (names exchanged, maybe),
        `written` as given (b by default): a name agreeing closely weighs no more than
        either side's name as written agreeing exactly (`close_cap`), so the batch, which
        keeps the records as written, weighs it the same."""
        terms = []
        weights = self.pattern_weights(levels)
        for comparison, level, weight in zip(self.comparisons, levels, weights, strict=True):
            field = comparison.field
            sides = (comparison.present(a), comparison.present(b))
            if level == MISSING:
                terms.append(FieldTerm(field, level, 0.0, 0.0, sides))
                continue
            adjustment = self.tf_adjustment(comparison, level, a, b)
            if level == CLOSE:
                adjustment = self.close_cap(comparison, a, b if written is None else written)
            by_digits = field == "date_naissance" and None in (a.date_naissance,
                                                              b.date_naissance)
            terms.append(FieldTerm(field, level, weight + adjustment, adjustment, sides,
                                   by_digits))
        total = self.prior_weight + sum(t.weight for t in terms)
        named = {c.field: level for c, level in zip(self.comparisons, levels, strict=True)}
        retyped = may_be_retyped(named) and one_name_retyped(
            a, b if written is None else written, self.tf.get("prenom", {}))
        exchanged = may_be_retyped(named) and names_exchanged(
            a, b if written is None else written, self.tf.get("prenom", {}),
            self.tf.get("nom", {}))
        pet_name = hypocoristic_of_one_name(named, a, b if written is None else written)
        verdict, one = resolve(
            named, household_verdict(named) if self.decision.household_apart else None,
            a, b if written is None else written, retyped=retyped, exchanged=exchanged,
            pet_name=pet_name, first_names=self.tf.get("prenom", {}))
        alone = self.decision.household_apart and nothing_personal(named) and not any(
            named.get(field) in AGREEING for field in self.decision.personal_fields)
        mobile = mobile_lifts(named, a, b if written is None else written,
                              self.tf.get("prenom", {}))
        return Explanation(self.prior_weight, tuple(terms), total, probability_of(total),
                           verdict == APART or (verdict == UNSURE and not one), one, verdict,
                           alone, mobile_names_alike=mobile, first_name_retyped=retyped,
                           names_exchanged=exchanged, pet_name=pet_name,
                           exchanged_surname_retyped=exchanged and not letter_for_letter(
                               a, b if written is None else written))

    def level_weight(self, field: str, level: str) -> float:
        """log2(m/u) of one field at one level, before any frequency adjustment."""
        return 0.0 if level == MISSING else self._weights[field][level]

    def tf_adjustment(
        self, comparison: Comparison, level: str, a: NormalisedRecord, b: NormalisedRecord
    ) -> float:
        field = comparison.field
        if level != EXACT or not self.settings.comparisons[field].term_frequency:
            return 0.0
        value = comparison.tf_value(a, b)
        if value is None or field not in self.tf_floor:
            return 0.0
        frequency = self.tf.get(field, {}).get(value, self.tf_floor[field])
        baseline = self.u_random.get(field, self.u[field])[EXACT]
        return math.log2(baseline / frequency)

    def close_cap(self, comparison: Comparison, a: NormalisedRecord,
                  b: NormalisedRecord) -> float:
        """What a close level of a field with frequencies loses (0 or less) so that it
        never weighs more than the exact level of either side's value: Martin / Martine
        close weighs no more than Martin agreeing exactly, which a frequent name tempers.
        Both sides' values, so the same whichever side is read first."""
        field = comparison.field
        if not self.settings.comparisons[field].term_frequency or field not in self.tf_floor:
            return 0.0
        exact = min(self.tf_adjustment(comparison, EXACT, a, a),
                    self.tf_adjustment(comparison, EXACT, b, b))
        return min(0.0, self._weights[field][EXACT] + exact - self._weights[field][CLOSE])

    def to_json(self) -> str:
        """The model file; without `m_veto` if it was read without one (its vetoes still
        follow EM's m, and the file read again says so: `veto_m_missing`)."""
        veto = {} if self.veto_m_missing else {"m_veto": self.veto_m}
        return json.dumps(
            {"format": MODEL_FORMAT, "version": MODEL_VERSION,
             "reglages": self.settings.to_dict(), "a_priori": self.prior, "m": self.m,
             "u": self.u, "frequences": self.tf, "frequence_plancher": self.tf_floor,
             "u_aleatoire": self.u_random, **veto, "apprentissage": self.training},
            ensure_ascii=False, indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> MatchModel:
        """Read a model file; raises ValueError if it is not a model of a known version,
        InvalidSetting if a setting or a table of m and u is out of its bounds
        (`model_tables.check_tables`)."""
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("format") != MODEL_FORMAT:
            raise ValueError("not a capactif matching model")
        if doc.get("version") != MODEL_VERSION:
            raise ValueError(f"unsupported matching model version {doc.get('version')!r}")
        settings = MatchingSettings.from_dict(doc["reglages"])
        check_tables(doc["m"], doc["u"], doc.get("u_aleatoire", {}),
                     build_comparisons(settings.comparisons))
        return cls(
            settings=settings, prior=doc["a_priori"],
            m=doc["m"], u=doc["u"], tf=doc["frequences"], tf_floor=doc["frequence_plancher"],
            training=doc.get("apprentissage", {}), u_random=doc.get("u_aleatoire", {}),
            veto_m=_veto_m(doc.get("m_veto", {}), settings.decision.veto_fields),
            veto_m_missing="m_veto" not in doc,
        )


def _never_above_the_better(weights: dict[str, float]) -> None:
    """A level weighs no more than the better level before it (exact, close, fuzzy):
    a value differing a little is never more evidence for one person than the same value.
    A birth date's day and month swapped weighs no more than exact; close may weigh more
    or less than it (each its own m and u), so neither bounds the other."""
    better = math.inf
    for level in (EXACT, CLOSE, FUZZY):
        if level in weights:
            weights[level] = better = min(weights[level], better)
    for level in (SWAPPED, DAY_OFF):
        if level in weights and EXACT in weights:
            weights[level] = min(weights[level], weights[EXACT])


def _veto_m(value: Any, veto_fields: tuple[str, ...]) -> dict[str, float]:
    """`m_veto` of a model file: per veto field, a probability (a finite number in [0, 1]);
    anything else is refused on load, naming the field, rather than failing a match."""
    if isinstance(value, dict) and all(
            field in veto_fields and is_number(m) and 0 <= m <= 1 for field, m in value.items()):
        return {field: float(m) for field, m in value.items()}
    fields = ", ".join(veto_fields)
    raise InvalidSetting(
        "m_veto", f"m_veto must map veto fields ({fields}) to probabilities in 0 … 1",
        f"m_veto doit associer aux champs veto ({fields}) des probabilités dans 0 … 1")


def probability_of(weight: float) -> float:
    """Match probability from a match weight in bits."""
    if weight > 60:
        return 1.0
    odds: float = 2.0**weight
    return odds / (1 + odds)


@functools.cache
def default_model() -> MatchModel:
    """The model shipped with the hub (default_model.json, trained by bench/train_model.py)."""
    return MatchModel.from_json(DEFAULT_MODEL_FILE.read_text("utf-8"))
