"""The person's own e-mail address beside a first name retyped at one home.

An address « spells » a first name where every word of the name is a word of its user
part (hamida.martin@ for Hamida), or where the user part's letters are the first name
alone or beside either fiche's surname or birth surname: gmail's dots are dropped when an
address is read (`normalise.normalise_email`), so hamidamartin@gmail.com spells Hamida
too. The household rule (`household.resolve`) leaves a pair of first names alike at one
home to the model where an address tells whose fiche a retyped one is: the one address
both fiches give spells one side's first name and not the other's
(`mail_names_one_side`), or one fiche's address spells the other's first name and not
its own, that fiche's first name being no name in use (`mail_names_the_other`).

Example:
    >>> from hub.domain.matching.record import normalise_record
    >>> def fiche(prenom, courriel=""):
    ...     return normalise_record({"nom": "Martin", "prenom": prenom, "courriel": courriel}, "x")
    >>> mail_names_the_other(fiche("Adrimen", "adrien.martin@gmail.com"), fiche("Adrien"), {})
    True
    >>> mail_names_the_other(fiche("Léo", "lea.martin@gmail.com"), fiche("Léa"), {})
    False
    >>> mail_names_one_side(fiche("Hamida", "hamida.martin@gmail.com"),
    ...                     fiche("Hamid", "hamida.martin@gmail.com"))
    True
"""

from __future__ import annotations

from collections.abc import Container, Sequence

from hub.domain.matching.first_name_typos import in_use
from hub.domain.matching.normalise import fold
from hub.domain.matching.record import NormalisedRecord


def mail_names_one_side(a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """Whether the e-mail both fiches give names one side's first name and not the other's
    (`_mail_names`: hamida.martin@ for Hamida beside Hamid): the person's own address,
    typed with a first name retyped; a family's (famille.martin@, j.martin@) names
    neither and stays a review."""
    if not (a.courriel and a.prenom_tokens and b.prenom_tokens):
        return False
    return _mail_names(a.courriel, a, (a, b)) != _mail_names(a.courriel, b, (a, b))


def mail_names_their_name(a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """Whether the e-mail both fiches give spells their one first name (`_mail_names`,
    `_MAIL_NAME_MIN` letters or more: jean.dupont@ for Jean): the person's own address; a
    family's (famille.dupont@) or an initial's (j.dupont@) spells none."""
    return bool(a.courriel and a.prenom_tokens) and _mail_names(
        a.courriel or "", a, (a, b), whole=True)


def mail_names_the_other(a: NormalisedRecord, b: NormalisedRecord,
                         first_names: Container[str]) -> bool:
    """Whether one fiche's e-mail names the other fiche's first name and not its own
    (`_mail_names`), the other fiche giving no e-mail or one that names itself as well,
    and the first fiche's own first name is no name in use (`first_name_typos.in_use`,
    `first_names` the model's table) nor the other's with letters added at its end
    (`_one_ends_the_other`): ADRIMEN with adrien.dieubri90@ beside Adrien without an
    e-mail, or Adrinen with adrien.durand@yahoo.fr beside Adrien with
    adrien.durand@free.fr, is Adrien's fiche typed with his first name retyped, his own
    address spelling it right. Twins each with their own address name themselves
    (leo.martin@ beside Léa stays a review), a family's address names neither, and a twin
    may give the other's address: Martine with marine.martin@, Hamida with hamid.martin@
    (a name made of her brother's, which many lists lack) stay a review. Measured on the
    French population's pairs held by the rule (`bench/dedup_accuracy.py`, seeds 1 and
    2, french and french-households): every pair so left to the model one person; with
    alike twins given the first twin's address (every pair, an upper bound) it joined no
    twins the rule did not join before."""
    for own, other in ((a, b), (b, a)):
        if (own.courriel and own.prenom_tokens and other.prenom_tokens
                and _mail_names(own.courriel, other, (a, b), whole=True)
                and not _mail_names(own.courriel, own, (a, b))
                and not in_use(own, first_names) and not _one_ends_the_other(own, other)
                and (not other.courriel or (_mail_names(other.courriel, other, (a, b), whole=True)
                                            and not _mail_names(other.courriel, own, (a, b))))):
            return True
    return False


def _one_ends_the_other(a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """One compact first name the other with letters added at its end (Hamid / Hamida,
    Nassim / Nassima, Sami / Samia, Louis / Louise): how families name a child after
    another, the longer name missing from many lists."""
    x, y = sorted(("".join(a.prenom_tokens), "".join(b.prenom_tokens)), key=len)
    return y.startswith(x)


# A first name this short (compact) is an initial or two as often as a name: its letters
# alone name no address (j.martin@ is a family's as often as Jean's).
_MAIL_NAME_MIN = 3


def _mail_names(mail: str, record: NormalisedRecord, pair: Sequence[NormalisedRecord], *,
                whole: bool = False) -> bool:
    """Whether the e-mail's user part names the record's first name: every word of the
    first name a word of the user part (hamida.martin@ for Hamida), or the user part's
    letters the first name, alone or beside either fiche's surname or birth surname
    (gmail's dots are dropped when an address is read: hamidamartin@gmail.com). With
    `whole`, a first name of fewer than `_MAIL_NAME_MIN` letters names none."""
    first = "".join(record.prenom_tokens)
    if whole and len(first) < _MAIL_NAME_MIN:
        return False
    words = fold(mail.split("@", 1)[0]).split()
    if all(token in words for token in record.prenom_tokens):
        return True
    letters = "".join(words)
    surnames = {"".join(tokens) for r in pair for tokens in (r.nom_tokens, r.nom_naissance_tokens)
                if tokens}
    return len(first) >= _MAIL_NAME_MIN and (
        letters == first or any(letters in (first + s, s + first) for s in surnames))
