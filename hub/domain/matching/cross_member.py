"""Links across members: what a member may learn of another member's porteur through the
matching, on what anyone may guess.

The rules, as docs/privacy.md states them (« another member's porteur, through the
matching »):

1. Identity alone. A member's fiche links online to a porteur none of whose fiches is the
   member's own (the member then follows it and reads the others' fiches) only on
   something a guesser of the person's surname, first name, birth date and commune would
   not have: a street line as written, an e-mail as written, a phone (one digit typed
   wrong at most) agreeing (`UNGUESSABLE`, `identity_alone`). An agreeing commune or
   postcode does not count: in a territory of 170 communes it is guessed as easily as
   the birth date.
2. Another home. Nor a link or join to such a porteur holding a fiche of the person at
   another home (`other_home`: every fiche of the porteur weighed; the street or the town
   different, or a home given in part with which neither the record's street nor its town
   agrees, whatever the names' level; the record giving a home itself) while the record
   shares no unguessed contact with any fiche of the porteur (`shows_other_home`,
   `contact_agrees_unguessed`): the member would learn where the person lives now.
3. Such a link, and every porteur such a fiche would join through a chain, goes to a
   coordinator, its item flagged (`identite_seule_a_verifier`, `autre_domicile_a_verifier`:
   `model.CONFIRMED_FLAGS`); so does the item a new version opens against such a
   porteur; the chain join never decides a flagged item (`flagged`).
4. Two members' fiches are never kept together by a move their names alone outweigh
   (`names_move_between`): a fiche bridging them would make one member follow the other's
   porteur on a name and an old home.
5. Within one member's own porteurs (it holds a fiche of the porteur), and in the batch
   (`capactif dedup`: a coordinator's file, nothing disclosed), nothing changes.

Whether a member holds a fiche of a porteur is the store's to say
(`OnlineMatcher._holds`): these rules are asked of a porteur the member holds none of,
or take the answer as a callable (`discloses_identity`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from hub.domain.matching.comparisons import CLOSE, DIFFERENT, EXACT
from hub.domain.matching.model import CONFIRMED_FLAGS, Explanation, MatchModel
from hub.domain.matching.record import NormalisedRecord
from hub.domain.matching.settings import CONTACT_FIELDS

# What a guesser of a person's surname, first name, birth date and commune would not have:
# the street and the contacts. The commune and the postcode are not among them: in a
# territory of 170 communes they are guessed as easily as the birth date.
# Each at the levels a guesser would not reach: the street line as written (a close
# street is one word in common: "rue" against "12 rue de la Filature"), the e-mail as
# written (the same user at another domain is close, and prenom.nom is guessed from the
# name), the phone, one digit typed wrong at most.
UNGUESSABLE: dict[str, tuple[str, ...]] = {
    "adresse": (EXACT,), "courriel": (EXACT,), "telephone": (EXACT, CLOSE)}


def identity_alone(explanation: Explanation) -> bool:
    """No street nor contact agrees as a guesser would not make it (`UNGUESSABLE`):
    whatever makes the pair link, the identity rule or the probability alone (the
    shipped model links a rare surname and first name with one birth date at 0.99 and
    more, whatever the places), surname, first name, birth date and at most the commune
    or postcode, a word of the street or an e-mail's user name, which anyone may guess,
    are all the two records share. Online, such a link to a porteur none of whose fiches
    is the member's own goes to a coordinator (`online.OnlineMatcher.resolve_new`): it
    would show one member another's data."""
    return not any(explanation.level_of(f) in levels for f, levels in UNGUESSABLE.items())


def discloses_identity(explanation: Explanation, holds: Callable[[], bool]) -> bool:
    """A pair of identity alone (`identity_alone`) with a porteur the member holds no
    fiche of (`holds()` false, asked only of such a pair: the store answers it): linked,
    the member would follow the porteur and read the other members' fiches of it on a
    name and a birth date (rule 1)."""
    return identity_alone(explanation) and not holds()


def contact_agrees_unguessed(levels: Mapping[str, str | None]) -> bool:
    """The e-mail or the phone agrees as a guesser would not make it (`UNGUESSABLE`)."""
    return any(levels.get(f) in UNGUESSABLE[f] for f in CONTACT_FIELDS)


def other_home(levels: Mapping[str, str | None], record: NormalisedRecord,
               other: NormalisedRecord) -> bool:
    """`other` (a fiche of the porteur a record would reach) shows a home that is not the
    record's: the street or the town plainly different, or a home of any part (a street
    line, a postcode, a commune) with which neither the record's street nor its town
    agrees (exact or close), whatever the names' and the person's own fields' levels. The
    guard across members (`shows_other_home`) asks this, not `decision.moved_home`: a
    guessed first name typed a letter off is only fuzzy (review of the flagged pairs),
    and a home typed in part on one side and the old street alone on the other compare
    "missing", not different: either way the link showed the member the person's other
    home. A record that gives no home at all reaches no other one: a link of its names
    alone is identity alone (`identity_alone`), flagged so."""
    street, town = levels.get("adresse"), levels.get("lieu")
    if DIFFERENT in (street, town):
        return True
    return _shows_home(record) and _shows_home(other) \
        and street not in (EXACT, CLOSE) and town not in (EXACT, CLOSE)


def _shows_home(record: NormalisedRecord) -> bool:
    return record.adresse is not None or record.code_postal is not None \
        or record.commune is not None


def shows_other_home(record: NormalisedRecord, held: Iterable[NormalisedRecord],
                     model: MatchModel) -> bool:
    """Linking the record to the porteur whose fiches are `held` (every one of them, not
    only those the record's keys read: a guessed first name typed wrong shares no name
    key with the other home's fiche) would show a member holding no fiche of it where the
    person lives now (rule 2; the caller asks this of such a porteur only): a fiche at
    another home (`other_home`) and no contact a guesser would not make shared with any
    fiche (`contact_agrees_unguessed`: the member then knows the person)."""
    pairs = [({t.field: t.level for t in model.score(record, other).terms}, other)
             for other in held]
    return not any(contact_agrees_unguessed(levels) for levels, _ in pairs) \
        and any(other_home(levels, record, other) for levels, other in pairs)


def names_move_between(member: str | None, other: str | None) -> bool:
    """Whether a move their names alone outweigh (`decision.moved_on_names`) may keep two
    fiches together: not two members' fiches (both members known and not the same: rule 4)."""
    return member is None or other is None or member == other


def flagged(explanation: object) -> bool:
    """An item's explanation (as stored: a dict) flagged `identite_seule_a_verifier` or
    `autre_domicile_a_verifier` (`CONFIRMED_FLAGS`): joining it would disclose one
    member's porteur to another on what anyone may guess (a name and a birth date; the
    names and an old home); a coordinator decides (rule 3)."""
    return isinstance(explanation, dict) and any(
        explanation.get(flag) is True for flag in CONFIRMED_FLAGS)
