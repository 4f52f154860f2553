"""Decide link / review / new, for one pair and for one record against its candidates.

An auto-link needs a probability at or above the link threshold AND enough
agreeing evidence: at least `min_agreeing_fields` fields exact or close, one of
them a strong identifier (birth date, e-mail, phone, street address), AND no veto field
(first name, birth date) plainly different, AND not both e-mail and phone plainly
different. So records with almost nothing
(a first name alone) never auto-link, and twins sharing a name, a birth date
and an address go to review. One exception: a model that lifts every veto and was
trained on the u of random pairs (typo-heavy files, its training flag) asks no strong
identifier; names and a place agreeing link there from the thin review bound up
(`has_enough_evidence`, `link_bound`). Two of one household (`one_household`) never
link, whatever the model lifts, where its training file showed households: two people,
or a review where they may be one all the same (`household.may_be_one`).

Online use (the store keeps a blocking index, key -> porteur):
    >>> from hub.domain.matching.model import default_model
    >>> model = default_model()
    >>> anne = {"nom": "Dupont", "prenom": "Anne", "date_naissance": "1985-03-14",
    ...         "courriel": "anne.dupont@example.org"}
    >>> "courriel:anne.dupont@example.org" in record_blocking_keys(anne, model)
    True
    >>> decision = match_one({**anne, "nom": "DUPONT"}, [Candidate("p-1", anne)], model)
    >>> decision.kind, decision.porteur_id
    ('link', 'p-1')
    >>> match_one({"nom": "Martin", "prenom": "Paul"}, [Candidate("p-1", anne)], model).kind
    'new'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal, Protocol, TypeVar

from hub.domain.matching.blocking import blocking_keys
from hub.domain.matching.comparisons import (
    AGREEING,
    CLOSE,
    DIFFERENT,
    EXACT,
    FUZZY,
    MISSING,
    SWAPPED,
)

# The guard across members is `cross_member`'s; `identity_alone` is still read from here.
from hub.domain.matching.cross_member import identity_alone as identity_alone
from hub.domain.matching.household import APART, UNSURE, nothing_personal
from hub.domain.matching.model import Explanation, FieldTerm, MatchModel
from hub.domain.matching.record import NormalisedRecord, normalise_record
from hub.domain.matching.settings import CONTACT_FIELDS, DecisionSettings

Kind = Literal["link", "review", "new"]
RecordLike = NormalisedRecord | Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class Candidate:
    """An existing fiche's porteur fields, and the porteur it belongs to."""

    porteur_id: str
    record: RecordLike


class CandidateLike(Protocol):
    """A `Candidate`, or anything holding the same two fields (a row of the index)."""

    @property
    def porteur_id(self) -> str: ...

    @property
    def record(self) -> RecordLike: ...


@dataclasses.dataclass(frozen=True)
class Decision:
    """What to do with a new record; `conflicts` lists other porteurs it also matched."""

    kind: Kind
    porteur_id: str | None
    score: float
    explanation: Explanation | None
    conflicts: tuple[str, ...] = ()


def has_enough_evidence(explanation: Explanation, settings: DecisionSettings) -> bool:
    """Enough fields agree, one of them a strong identifier and one of them personal
    (`personal_fields`: first name, birth date, e-mail), each agreeing exactly or closely
    (or fuzzily where the model weighs that as strong evidence: `agrees`).

    Where the model lifts every veto and was trained so, on the u of random pairs
    (`_no_field_is_strong`), no field is asked to be strong either: names and a place
    agreeing link there on the probability, at the thin review bound (`link_bound`), as
    Splink links them.

    A shared postcode or commune (`lieu`) counts as agreeing, not as strong. A shared
    address, landline and surname describe a household: without a first name, a birth
    date or an e-mail agreeing they do not make one person. E-mail and phone both plainly
    different (`contacts_contradict`) is never enough evidence either, nor, where the
    training file showed households, a pair comparing neither the first name nor the
    birth date (`nothing_personal_compared`). A first name retyped past close counts among
    the fields agreeing where the model lifts every veto (`retyped_first_name`) and the
    birth date or a contact of the person's own agrees (`own_identifier_agrees`); first
    names alike but not the same with the surname and the street line agreeing
    (`alike_at_one_home`) need such an identifier too, whatever the model.
    """
    vouched = own_identifier_agrees(explanation, settings)
    agreeing = [t for t in explanation.terms
                if agrees(t, settings) or (vouched and retyped_first_name(t, settings))]
    strong = any(t.field in settings.strong_fields for t in agreeing) or (
        _no_field_is_strong(settings)) or names_and_place(explanation, settings)
    personal = any(t.field in settings.personal_fields for t in agreeing) or (
        _no_field_is_personal(settings) and not nothing_personal_compared(explanation, settings))
    return (strong and personal and len(agreeing) >= settings.min_agreeing_fields
            and (vouched or not alike_at_one_home(explanation, settings))
            and not contacts_contradict(explanation)
            and not unchecked_and_contradicted(explanation, settings))


def retyped_first_name(term: FieldTerm, settings: DecisionSettings) -> bool:
    """A first name fuzzy (Jaro-Winkler from `similarite_floue` to `similarite_proche`:
    Caitlin / Catelin) where the model lifts every veto: typo-heavy files retype a first
    name that far as often as they keep it, so it counts toward the fields agreeing
    (`has_enough_evidence`), though not as agreeing for the other rules (`agrees`).
    Measured on the review pairs held for too few fields agreeing
    (`bench/dedup_review_pairs.py`, seed 7): those with a first name fuzzy were 30 and 20
    pairs of one person, none of two (dsgen-zipf-heavy-households,
    -poisson-exact-households), where those comparing neither the first name nor the
    birth date (`nothing_personal_compared`) were 46 of one person and 39 of two, and 17
    and 2: surname and home are what a household shares, they stay with a coordinator.
    Where a veto holds (the French files), a first name only alike is a sibling's as
    often: it counts for nothing. Beside the surname and the home alone it counts for
    nothing either (`has_enough_evidence` asks `own_identifier_agrees`): Juliette's fiche
    holding only her street line is not her brother Julien's, whatever the model. Twins
    of alike first names at one home stay with the household rule."""
    return term.field == "prenom" and term.level == FUZZY and settings.every_veto_lifted()


def own_identifier_agrees(explanation: Explanation, settings: DecisionSettings) -> bool:
    """The birth date agreeing, or a contact of the person's own exactly (one e-mail, one
    mobile): what a first name retyped past close (`retyped_first_name`) needs beside it
    to count. The surname and the home are a household's: a brother's fiche holding his
    birth date and contacts, his sister's holding only the street line under a first name
    alike (Julien / Juliette, Léa / Léo, Jules / Julie) are two people."""
    return any(agrees(t, settings) and (t.field not in CONTACT_FIELDS or t.level == EXACT)
               for t in explanation.terms if t.field in OWN_IDENTIFIERS)


def alike_at_one_home(explanation: Explanation, settings: DecisionSettings) -> bool:
    """First names alike but not the same (close, fuzzy, or different by their level:
    Marine / Martine, Léa / Léo, Louis / Louise, Emmanuel / Manu) with the surname and the
    street line agreeing: two of one household as often as one person retyped. Without
    an identifier of the person's own agreeing (`own_identifier_agrees`) no model links
    them where a veto holds or its training file showed households: what agrees is what
    a household shares. Where the file showed none and its duplicates replace first
    names and birth dates often (every veto lifted: the FEBRL family, whose retyped
    fiches drop the birth date and misspell the first name by a letter, and which hold
    no twin nor sibling), the model weighs them (`alike_without_households`).
    Not first names one retyped (`Explanation.first_name_retyped`: Mathilde / Mathidle, one a
    first name in use, the other none): a typo, not a sibling's name. Nor, where the
    model's training file showed no households (`DecisionSettings.household_apart`: the
    FEBRL family), names the same letter for letter once read exchanged
    (`Explanation.names_exchanged`: HARRINGTON Patrick against PATRICK | HARRINGTON): one
    first name, as where both fiches read Patrick HARRINGTON straight, which link on the
    surname, the first name and the home; twins' names read exchanged are alike, never
    the same (`exchanged_names`). Where the file shows households, two of one home bear
    one name now and then (a mother and her daughter, namesakes; french-households seed 2:
    Anaïs BERNARD and a housemate typed ANAÏS | BERNARD, two people): an exchanged fiche
    there still asks the birth date or an own contact, and so does, whatever the file,
    a surname a typed letter off once read exchanged (`Explanation.exchanged_surname_retyped`:
    PICHON Frédérique / FREDERIQUE | IPCHON): the names are not the same."""
    if explanation.first_name_retyped or (explanation.names_exchanged
                                          and not explanation.exchanged_surname_retyped
                                          and not settings.household_apart):
        return False
    if alike_without_households(explanation, settings):
        return False
    levels = {t.field: t.level for t in explanation.terms}
    return (levels.get("prenom") in (CLOSE, FUZZY, DIFFERENT)
            and levels.get("nom") in (EXACT, CLOSE, FUZZY)
            and levels.get("adresse") in (EXACT, CLOSE, FUZZY))


def alike_without_households(explanation: Explanation, settings: DecisionSettings) -> bool:
    """The model's training file showed no households (`DecisionSettings.household_apart`)
    and its duplicates replace first names and birth dates often (every veto lifted):
    first names alike at one home are a fiche retyped there, nothing is a twin's
    (`alike_at_one_home` holds none). Not names exchanged with the surname a typed letter
    off (`Explanation.exchanged_surname_retyped`): whatever the file, they ask the birth
    date or an own contact. Measured (`bench/dedup_accuracy.py --no-sweep --no-splink`,
    seed 1): F1 FEBRL1 0.9879 -> 0.9909, FEBRL4 0.9894 -> 0.9948, dsgen-febrl3-shipped
    0.9698 -> 0.9825, precision kept; no French file, 300 records or more, lifts a veto.
    The same model links twins' fiches dated on both sides (the date is an own
    identifier): holding the pair back where a side lacks the date protected no twin.
    Alike only (close or fuzzy): first names plainly different at one home (Emily /
    Thomas) are a sibling's whatever the file, and still ask an own identifier."""
    return (not settings.household_apart and settings.every_veto_lifted()
            and not explanation.exchanged_surname_retyped
            and any(t.field == "prenom" and t.level in (CLOSE, FUZZY)
                    for t in explanation.terms))


def names_and_place(explanation: Explanation, settings: DecisionSettings) -> bool:
    """The first name the same, surname and place agreeing, and nothing else compared
    (every other field missing on a side), where the settings give names and a place a
    link bound of their own (`thin_link_probability`) and a veto holds: a fiche holding
    the names and a postcode only, of a person met once. The probability carries the
    names' frequencies (MARTIN Marie stays under the bound). A household's members
    differ by first name, a sister's often closely (Marine, Martine); a landline or a
    street alike is a household's or a neighbour's: none of these links here. A father
    and his son of one name both meet such a fiche, so it goes to review (`decide_among`).
    Where every veto is lifted, `_no_field_is_strong` says what names and a place do."""
    if settings.thin_link_probability is None or settings.every_veto_lifted():
        return False
    levels = {t.field: t.level for t in explanation.terms}
    return levels.get("prenom") == EXACT and all(
        agrees(t, settings) if t.field in ("nom", "lieu") else t.level == MISSING
        for t in explanation.terms if t.field != "prenom") and "nom" in levels and (
        "lieu" in levels)


def _no_field_is_personal(settings: DecisionSettings) -> bool:
    """Every veto field lifted: the trained model says duplicates in these data replace
    the first name and the birth date often (typo-heavy files, no households), so asking
    one of them to agree would refuse the very duplicates the data hold."""
    return settings.every_veto_lifted()


def nothing_personal_compared(explanation: Explanation, settings: DecisionSettings) -> bool:
    """Neither the first name nor the birth date compared (each missing on a side), where
    the model's training file showed households (`DecisionSettings.household_apart`): the
    surname and the home left agreeing are what two of a household share (a sister
    without a first name, her brother without a birth date), so they are not enough
    evidence to link, even where the model lifts every veto; a coordinator decides."""
    return settings.household_apart and nothing_personal(
        {t.field: t.level for t in explanation.terms})


def _no_field_is_strong(settings: DecisionSettings) -> bool:
    """Every veto field lifted by a model trained on the u of random pairs (its training
    flag, `DecisionSettings.u_of_random_pairs`): its probability alone, whose prior is a
    random pair's, may link names and a place. A model whose u and prior are those of the
    candidate pairs (a file written before that training, 0.6 for a prior) weighs names
    and a place far above what they say: a strong field is asked there, as before."""
    return settings.every_veto_lifted() and settings.u_of_random_pairs


def agrees(term: FieldTerm, settings: DecisionSettings) -> bool:
    """Exact or close; or fuzzy where the trained model weighs that level as strong
    evidence (`fuzzy_evidence_bits`), e.g. a similar street with another number in data
    whose duplicates often carry a mistyped number. Never a contact's fuzzy level,
    whatever its weight: the household's landline, a numbered e-mail say a home or a
    name, not the person."""
    if term.level in AGREEING:
        return True
    bits = settings.fuzzy_evidence_bits
    return (term.level == FUZZY and term.field not in CONTACT_FIELDS
            and bits is not None and term.weight >= bits)


def vetoed(explanation: Explanation, settings: DecisionSettings) -> bool:
    """A veto field (first name, birth date) plainly different: twins, siblings, parents.

    Not a field whose veto the model lifted (`MatchModel.decision`): in data where
    duplicates often carry a replaced value there, the score weighs it instead; nor one
    that yields to other fields agreeing (`_veto_yields`). But two of one household
    (`one_household`) are vetoed whatever the model lifts.
    """
    return one_household(explanation, settings) is not None or _field_vetoed(
        explanation, settings)


def _field_vetoed(explanation: Explanation, settings: DecisionSettings) -> bool:
    """A veto field the model keeps plainly different, and not yielding (`vetoed` but
    for the household rule)."""
    return any(t.level == DIFFERENT for t in explanation.terms
               if t.field in settings.veto_fields and t.field not in settings.lifted_vetoes
               and not _veto_yields(t.field, explanation, settings))


def one_household(explanation: Explanation, settings: DecisionSettings) -> str | None:
    """The household rule's verdict on the pair (`Explanation.household_rule`,
    `household.resolve`: `APART`, `UNSURE`) where the model's training file showed
    households (`household_apart`): the surname and the home agreeing, no e-mail of the
    person's own, first names or birth dates that do not agree. A veto no model lifts: a
    retyped first name is close or fuzzy, a sibling's or a twin's is another. None where
    the rule says nothing."""
    return explanation.household_rule if settings.household_apart else None


def household_apart(explanation: Explanation, settings: DecisionSettings) -> bool:
    """Two people of one household, no coordinator needed: the rule's `APART`, or its
    `UNSURE` where the records leave no room for one person (`Explanation.may_be_one`)."""
    verdict = one_household(explanation, settings)
    return verdict == APART or (verdict == UNSURE and not explanation.may_be_one)


def _veto_yields(field: str, explanation: Explanation, settings: DecisionSettings) -> bool:
    """Another first name, but the birth date and a contact of the person's own agree
    (`veto_yields_to`: every field listed that is no contact, and one of the contacts
    listed, e-mail or phone): a nickname, initials or names exchanged, not a twin. A
    contact must agree exactly: one e-mail under two first names that cannot be one is a
    family address, close (`comparisons._household_email`), and twins share it; one phone
    exact is one mobile (a household's landline is fuzzy, and lifts nothing), and counts
    only under first names that may be one written otherwise (`mobile`: twins share a
    mobile too). A field never yields to itself."""
    given = settings.veto_yields_to
    if not given or field in given:
        return False
    agreeing = {t.field for t in explanation.terms if agrees(t, settings)
                and (t.field not in CONTACT_FIELDS or t.level == EXACT)}
    if not explanation.mobile_names_alike:  # twins may share one (`mobile`)
        agreeing.discard("telephone")
    contacts = [f for f in given if f in CONTACT_FIELDS]
    return {f for f in given if f not in CONTACT_FIELDS} <= agreeing and (
        not contacts or any(f in agreeing for f in contacts))


def veto_yields(field: str, explanation: Explanation, settings: DecisionSettings) -> bool:
    """Whether the veto of `field` yields on this pair (`_veto_yields`): what the console
    reads so that it never says a veto held a pair the hub would link but for another
    reason."""
    return _veto_yields(field, explanation, settings)


def other_person(explanation: Explanation, settings: DecisionSettings) -> bool:
    """Another person, certainly enough that no coordinator needs to look:

    - a veto field plainly different and no personal field (veto field, e-mail)
      agreeing: another member of a household (another first name, the birth date
      other or unknown), whatever the address and surname;
    - or a veto field the model keeps plainly different, no contact (e-mail, phone)
      agreeing, and a contact plainly different or the birth date the field different:
      twins and siblings with their own e-mail or phone, a father and son of one name
      and one address. A duplicate with another first name or birth date in these data
      shows itself by an e-mail or a phone agreeing (`_own_identifiers_contradict`);
      where the settings say so (`veto_review_needs_contact`), no contact agreeing is
      enough, none given either: twins without an e-mail or a phone on a side;
    - or nothing personal agreeing (`impersonal`);
    - or a veto field unknown on a side, no contact agreeing and one plainly different
      (`unchecked_and_contradicted`);
    - or two of one household (`household_apart`), whatever vetoes the model lifts.

    Never a pair the household rule leaves to a coordinator (`UNSURE`, the records may
    be one person: `Explanation.may_be_one`).
    """
    if one_household(explanation, settings) == UNSURE and explanation.may_be_one:
        return False  # the household rule leaves it to a coordinator
    levels = {t.field: t.level for t in explanation.terms}
    personal = (*settings.veto_fields, "courriel")
    household = (any(levels.get(f) == DIFFERENT for f in settings.veto_fields)
                 and not any(levels.get(f) in AGREEING for f in personal))
    return household or household_apart(explanation, settings) or impersonal(
        explanation, settings) or (
        _field_vetoed(explanation, settings)
        and _own_identifiers_contradict(levels, settings)) or (
        unchecked_and_contradicted(explanation, settings))


def unchecked_and_contradicted(explanation: Explanation, settings: DecisionSettings) -> bool:
    """A veto field the model keeps (first name, birth date) unknown on a side, no contact
    (e-mail, phone) agreeing and one plainly different.

    The veto cannot tell a father from his son of one name at one address, or twins,
    when one fiche lacks the birth date or the first name; what is left agreeing (names,
    address) is what a household shares, and the person's own contact says another one.
    A duplicate missing that field shows itself by a contact agreeing, or by none given.
    Names and a place alone (`thin`) stay with the review bound: nothing there says a
    household.
    """
    levels = {t.field: t.level for t in explanation.terms}
    unchecked = any(levels.get(f) in (MISSING, FUZZY) for f in settings.veto_fields
                    if f not in settings.lifted_vetoes)
    return (unchecked and not thin(explanation, settings)
            and not any(levels.get(f) in AGREEING for f in CONTACT_FIELDS)
            and any(levels.get(f) == DIFFERENT for f in CONTACT_FIELDS))


def impersonal(explanation: Explanation, settings: DecisionSettings) -> bool:
    """Nothing of the person agreeing (no personal field, no phone: `agrees`) where the
    settings ask a review for one (`review_needs_personal`): surname, address and
    commune, or names alike but not the same first name, are what a household or a
    namesake shares. A coordinator has nothing to decide on: another person. Never
    where the model lifts every veto (typo-heavy data replace those fields)."""
    if not settings.review_needs_personal or _no_field_is_personal(settings):
        return False
    return not any(agrees(t, settings) for t in explanation.terms
                   if t.field in (*settings.personal_fields, "telephone"))


def thin(explanation: Explanation, settings: DecisionSettings) -> bool:
    """No strong field (birth date, e-mail, phone, address) agreeing: names and a place."""
    return not any(agrees(t, settings) for t in explanation.terms
                   if t.field in settings.strong_fields)


def _own_identifiers_contradict(levels: Mapping[str, str], settings: DecisionSettings) -> bool:
    """Of a vetoed pair: no contact agreeing, and a contact plainly different or the
    birth date (a veto the model keeps) the field different; or no contact agreeing
    alone where the settings ask a contact for a vetoed pair's review."""
    if any(levels.get(f) in AGREEING for f in CONTACT_FIELDS):
        return False
    if settings.veto_review_needs_contact:
        return True
    other_birth = ("date_naissance" in settings.veto_fields
                   and "date_naissance" not in settings.lifted_vetoes
                   and levels.get("date_naissance") == DIFFERENT)
    return other_birth or any(levels.get(f) == DIFFERENT for f in CONTACT_FIELDS)


def contacts_contradict(explanation: Explanation) -> bool:
    """E-mail and phone both given on both sides and both plainly different: namesakes of
    a similar age (one first name, a common surname) are another person as often as
    not. A person met by two members usually gives one of them the same way; a human
    decides, the hub never links such a pair alone."""
    levels = {t.field: t.level for t in explanation.terms}
    return levels.get("courriel") == DIFFERENT and levels.get("telephone") == DIFFERENT


def compatible(explanation: Explanation, settings: DecisionSettings, *,
               names_move: bool = True) -> bool:
    """May these two records be one person without a human saying so? Not if a veto
    field differs, nor if their own lines say two people (`lines_contradict`); yes if
    they score the cluster bound (`may_share_cluster`), are one identity
    (`identity_links`) or differ by the home alone (`moved`), or, with `names_move`,
    by a move their names outweigh (`moved_on_names`): not where that would make a
    member follow another member's porteur (the online matcher asks without it there).
    Asked of every fiche a record would join, online (`decide_among`) and in a batch
    cluster."""
    return not (vetoed(explanation, settings)
                or lines_contradict(explanation, settings)) and (may_share_cluster(
        explanation.probability, explanation.total_weight - explanation.prior_weight, settings,
        veto_fields_vouch=veto_fields_vouch(explanation, settings))
        or identity_links(explanation, settings)
        or moved_kept({t.field: t.level for t in explanation.terms}, settings)
        or (names_move and moved_on_names(explanation, settings)))


def short_of_evidence(explanation: Explanation, settings: DecisionSettings) -> bool:
    """Of two records not `compatible`: kept apart only by too little evidence for one
    person, not by a veto field different, the household rule or their own lines (two
    phones, a veto field unknown). A weak edge: a third record one person with each of
    them holds them in one cluster (`cluster.outvoted`), online and in a batch."""
    return not (vetoed(explanation, settings) or lines_contradict(explanation, settings))


# What a person keeps when moving: nothing of these may differ for `moved`.
OWN_FIELDS = ("prenom", "date_naissance", "courriel", "telephone")
# Of `OWN_FIELDS`, what names alone do not give: one must agree for `moved`.
OWN_IDENTIFIERS = ("date_naissance", "courriel", "telephone")


def moved_kept(levels: Mapping[str, str | None], settings: DecisionSettings) -> bool:
    """`moved`, where the settings keep two fiches of one cluster on their fields' evidence
    (`poids_min_groupe` set): a move's is not counted against them. With the probability
    alone (null), as before."""
    return settings.cluster_evidence_bits is not None and moved(levels)


def moved(levels: Mapping[str, str | None]) -> bool:
    """The surname and the first name agreeing (exact or close), nothing of the person
    plainly different (`OWN_FIELDS`: first name, birth date, e-mail, phone) and the home
    different (the street or the town): a person who moved. Two such fiches of one linked
    component stay together (`compatible`) whatever their fields weigh: the model counts
    the move twice (street and town) against names a household shares, and a fiche typed
    without a birth date at the old home split the porteur its links made (measured on
    `french-households` seed 2: 37 pairs left for review, every one one person). One of
    the person's own identifiers (`OWN_IDENTIFIERS`: birth date, e-mail, phone) must
    agree: two "Jean Martin" at two homes and nothing else are namesakes as often as not,
    and a chain through them would join another member's porteur on names alone (without
    one, the names must weigh for one person: `moved_on_names`). A level not known yet
    (None: `ceilings.Ceilings`) may still agree."""
    return moved_home(levels) and any(
        f in levels and levels[f] in (*AGREEING, None) for f in OWN_IDENTIFIERS)


def moved_home(levels: Mapping[str, str | None]) -> bool:
    """`moved` but for its own identifiers: the names agreeing, nothing of the person
    plainly different, the home different."""
    return (levels.get("nom", EXACT) in (EXACT, CLOSE, None)
            and levels.get("prenom", EXACT) in (EXACT, CLOSE, None)
            and DIFFERENT not in [levels.get(f) for f in OWN_FIELDS]
            and DIFFERENT in (levels.get("adresse"), levels.get("lieu")))


def moved_on_names(explanation: Explanation, settings: DecisionSettings) -> bool:
    """A move none of whose own identifiers is compared (`moved_home`; a fiche without a
    birth date nor contact at the old home, the new one with its e-mail only...), where
    its fields weigh for one person at the cluster bound (`cluster_evidence_bits`) with
    the move counted once (`street_counted_twice`): a name rare enough outweighs one
    move, "Jean Martin" does not (its frequency adjustment: namesakes at two homes stay
    apart). Asked of two fiches a link already put in one component, never a link; not
    of a fiche that would make its member follow another member's porteur (online)."""
    levels = {t.field: t.level for t in explanation.terms}
    street = next((t.weight for t in explanation.terms if t.field == "adresse"), 0.0)
    return street_counted_twice(levels, settings) and moved_once_weighs(
        explanation.total_weight - explanation.prior_weight, street, settings)


def street_counted_twice(levels: Mapping[str, str | None], settings: DecisionSettings) -> bool:
    """A move (`moved_home`) whose street and town both differ, where the settings keep
    clusters on evidence: a new town means a new street, so the street's weight says
    nothing the town's did not (the model weighs them apart, as if independent)."""
    return (settings.cluster_evidence_bits is not None and moved_home(levels)
            and levels.get("adresse") == DIFFERENT and levels.get("lieu") == DIFFERENT)


def moved_once_weighs(evidence: float, street: float, settings: DecisionSettings) -> bool:
    """The evidence (weight without the prior) without the street's (`street`, a weight
    against) reaches the cluster bound (`street_counted_twice`)."""
    bits = settings.cluster_evidence_bits
    return bits is not None and evidence - street >= bits


def lines_contradict(explanation: Explanation, settings: DecisionSettings) -> bool:
    """A veto field the model keeps unknown on a side, no contact agreeing, and two
    phones that differ (two mobiles, two landlines; a mobile against a landline is not
    compared, `PhoneComparison`): the father's porteur holds a fiche
    without contact (names, address, birth date) and one with his mobile; his son's
    fiche without a birth date agrees with the first as far as it goes, but his own
    mobile says another person, so it never joins that porteur past the second. Not an
    e-mail differing: one person often gives two (measured: clusters split, reviews up)."""
    levels = {t.field: t.level for t in explanation.terms}
    return (levels.get("telephone") == DIFFERENT
            and unchecked_and_contradicted(explanation, settings))


def unknown_between(holder: Explanation, apart: Explanation, settings: DecisionSettings) -> bool:
    """Two records told apart by a veto field (`apart`: first name, birth date plainly
    different) that a third record leaves unknown beside the first (`holder`): that third
    one may be either person (`cluster._split`)."""
    return any(apart.level_of(f) == DIFFERENT and holder.level_of(f) == MISSING
               for f in settings.veto_fields if f not in settings.lifted_vetoes)


def veto_fields_vouch(explanation: Explanation, settings: DecisionSettings) -> bool:
    """The veto fields (first name, birth date) given on both sides, none plainly
    different (lifted or not) and one agreeing: what lets a pair of a linked component
    stay together under `unvetoed_cluster_evidence_bits` (`may_share_cluster`). A birth
    date missing on a side says nothing for one person: Marie MOREAU without a date, at
    the address of a Marie MARTIN who shares her date with another Marie MARTIN, would
    chain those two into one cluster."""
    levels = [explanation.level_of(f) for f in settings.veto_fields]
    return (MISSING not in levels and DIFFERENT not in levels
            and any(level in AGREEING for level in levels))


def may_share_cluster(probability: float, evidence: float, settings: DecisionSettings, *,
                      veto_fields_vouch: bool) -> bool:
    """Two records of one linked component, no veto between them: together if their pair
    scores the cluster bound, or if their fields alone (`evidence`, the weight without the
    prior) weigh for one person at least `cluster_evidence_bits`. The prior is a random
    candidate pair's; two records linked to the same third one are not that, and two
    sparse records of one person (a name and a phone, a name and a birth date) hold
    little evidence either way: only evidence against one person splits them. Where the
    model lifts every veto, the bound is `unvetoed_cluster_evidence_bits` (`cluster_evidence`)
    where the veto fields vouch for the pair (`veto_fields_vouch`): typo-heavy data retype
    a record beyond what another retyping of it shares, but two birth dates years apart, or
    two first names, are what tells twins and a father and his son apart where a French
    file without contacts lifts both vetoes too, and a field missing tells nothing."""
    bits = settings.cluster_evidence(veto_fields_vouch)
    return probability >= settings.cluster_bound() or (bits is not None and evidence >= bits)


def same_identity(levels: Mapping[str, str | None]) -> bool:
    """The surname agreeing (exact or close), the first name the same, the full birth
    date the same or its day and month swapped (`SWAPPED`), and no contact (e-mail,
    phone) plainly different: one person wherever each record places them. A move
    changes the street and the town together, and the model, weighing them apart, counts
    the move twice against a pair its names and birth date make one; measured on the
    French households' candidate pairs (seed 1), 1,682 of 1,682 such pairs with one birth
    date were one person, 13 % of them in two towns. A namesake has the other's day and
    month exchanged no more often than the other's date itself (one date of a year), so
    a swap is the same digits read the other way round, not another person. A date only
    close (a digit off, a year apart) is left to the probability: two people of one name
    born within a year of each other are not one identity wherever they live (close dates
    in the rule linked such namesakes). Twins bear two first names; a father
    and his son of one name, two birth dates; a namesake born the same day elsewhere
    shows another e-mail or phone where one is given on both sides. A level not known
    yet (None: `ceilings.Ceilings`) may still agree."""
    return (levels.get("nom", EXACT) in (EXACT, CLOSE, None)
            and levels.get("prenom", EXACT) in (EXACT, None)
            and levels.get("date_naissance", EXACT) in (EXACT, SWAPPED, None)
            and DIFFERENT not in (levels.get("courriel"), levels.get("telephone")))


def identity_links(explanation: Explanation, settings: DecisionSettings) -> bool:
    """The pair is one identity (`same_identity`) where the settings link on it
    (`identity_link`): it links and may share a cluster whatever its places weigh
    (`pair_kind`, `compatible`), unless a veto or the household rule holds."""
    levels = {t.field: t.level for t in explanation.terms}
    return settings.identity_link and all(
        f in levels for f in ("nom", "prenom", "date_naissance")) and same_identity(levels)


def pair_kind(explanation: Explanation, settings: DecisionSettings) -> Kind:
    """link, review or new for one scored pair."""
    if (
        (explanation.probability >= link_bound(thin(explanation, settings), settings)
         or identity_links(explanation, settings))
        and has_enough_evidence(explanation, settings)
        and not vetoed(explanation, settings)
    ):
        return "link"
    if other_person(explanation, settings):
        return "new"
    return "review" if explanation.probability >= review_bound(
        thin(explanation, settings), settings) else "new"


def link_bound(thin_evidence: bool, settings: DecisionSettings) -> float:
    """The link threshold of a pair: never below the thin review bound where no strong
    field agrees (`thin`: names and a place, which link only where every veto is lifted,
    `has_enough_evidence`), so a pair a coordinator would not even see below that bound
    never links below it."""
    if thin_evidence and _no_field_is_strong(settings):
        return max(settings.link_probability, settings.thin_review())
    if thin_evidence and settings.thin_link_probability is not None:
        return max(settings.link_probability, settings.thin_link_probability)
    return settings.link_probability


def review_bound(thin_evidence: bool, settings: DecisionSettings) -> float:
    """The review threshold of a pair: higher where no strong field agrees (`thin`)."""
    return settings.thin_review() if thin_evidence else settings.review_probability


def as_record(record: RecordLike, record_id: str = "") -> NormalisedRecord:
    if isinstance(record, NormalisedRecord):
        return record
    return normalise_record(record, record_id or str(record.get("id", "")))


def record_blocking_keys(record: RecordLike, model: MatchModel | None = None) -> list[str]:
    """The keys under which the store indexes a record and looks up its candidates."""
    rules = model.settings.blocking.rules if model else None
    normalised = as_record(record)
    return blocking_keys(normalised, rules) if rules else blocking_keys(normalised)


def match_one(record: RecordLike, candidates: Iterable[Candidate], model: MatchModel) -> Decision:
    """Link the record to one porteur, send it to review, or declare a new porteur.

    Chaining is refused: if the record links to two porteurs, or links to one
    fiche of a porteur while contradicting another fiche of the same porteur,
    the decision is review, never a silent merge: whether porteurs a record links
    together may be one person is the question of `chains`, asked of all their fiches.
    (`PatternScorer.match_one` gives the same decision at a fraction of the cost: it
    explains only the winning pair.)
    """
    settings = model.decision
    new = as_record(record)

    def scored() -> Iterator[Scored[Explanation]]:
        for candidate in candidates:
            explanation = model.score(new, as_record(candidate.record))
            yield (candidate.porteur_id, pair_kind(explanation, settings),
                   explanation.probability, compatible(explanation, settings), explanation)

    return decide_among(scored(), lambda explanation: explanation,
                        floor=question_floor(settings))


def question_floor(settings: DecisionSettings) -> float:
    """Below this probability a pair is neither linked nor a question by its probability:
    the lowest of the link and review thresholds."""
    return min(settings.link_probability, settings.review_probability, settings.thin_review())


T = TypeVar("T")
# (porteur, kind, probability, compatible, what `explain` turns into the explanation)
Scored = tuple[str, Kind, float, bool, T]


def decide_among(scored: Iterable[Scored[T]], explain: Callable[[T], Explanation], *,
                 explain_new: bool = True, floor: float = 0.0) -> Decision:
    """`match_one`'s decision from its candidates' pair answers, in candidate order; only
    the best pair is explained (`explain`). Without `explain_new`, a new porteur comes
    with no pair (probability 0, no explanation). A pair "new" below `floor`
    (`question_floor`) ranks below every other: a link of one identity may weigh less
    (`identity_links`), and a stranger's pair, nothing to ask, never outranks it."""
    best: dict[str, tuple[Kind, float, T]] = {}
    compatible_with: dict[str, bool] = {}

    def rank(kind: Kind, probability: float) -> tuple[bool, float]:
        return (kind != "new" or probability >= floor, probability)

    for pid, kind, probability, may_be_same, detail in scored:
        if pid not in best or rank(kind, probability) > rank(*best[pid][:2]):
            best[pid] = (kind, probability, detail)
        compatible_with[pid] = compatible_with.get(pid, True) and may_be_same
    if not best:
        return Decision("new", None, 0.0, None)
    ranked = sorted(best.items(), key=lambda item: rank(*item[1][:2]), reverse=True)
    top_id, (top_kind, probability, top_detail) = ranked[0]
    linked = [pid for pid, (kind, _p, _d) in ranked if kind == "link"]
    if top_kind == "new" and not linked and not explain_new:
        return Decision("new", None, 0.0, None)
    top_explanation = explain(top_detail)
    if top_kind == "link" and len(linked) == 1 and compatible_with[top_id]:
        return Decision("link", top_id, probability, top_explanation)
    if top_kind != "new" or linked:
        conflicts = tuple(pid for pid in linked if pid != top_id)
        return Decision("review", top_id, probability, top_explanation, conflicts)
    return Decision("new", None, probability, top_explanation)
