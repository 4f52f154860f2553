"""Why a value was refused by a format whose rule is more than a shape: a birth date
out of the accepted ages, an e-mail address with an accent. Each reason says what is
wrong and how to fix it, in French and English, and never quotes the value (it is
personal data); the bounds it gives are the rule's, computed for today."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from schemas.formats import (
    MAX_AGE_YEARS,
    MIN_AGE_YEARS,
    birth_date_bounds,
    iso_date,
)

Reason = tuple[str, str]  # French, English


def refusal_reason(format_name: str, value: object) -> Reason | None:
    """The particular reason `value` breaks `format_name` (None: say the shape only)."""
    explain = _EXPLAINERS.get(format_name)
    return explain(value) if explain is not None and isinstance(value, str) else None


def _birth_date(value: str) -> Reason:
    born = iso_date(value)
    if born is None:
        return ("Date de naissance illisible : écrivez une date réelle du calendrier au "
                "format AAAA-MM-JJ (par exemple 1985-03-12).",
                "Birth date unreadable: write a real calendar date as YYYY-MM-DD (for "
                "example 1985-03-12).")
    earliest, latest = birth_date_bounds()
    side_fr, side_en = (("postérieure", "later") if born > latest
                        else ("antérieure", "earlier"))
    return (f"Date de naissance hors des âges acceptés : le porteur doit avoir de "
            f"{MIN_AGE_YEARS} à {MAX_AGE_YEARS} ans au jour de l'envoi, soit une date du "
            f"{_fr(earliest)} au {_fr(latest)} ; celle-ci est {side_fr}. Vérifiez la saisie "
            "(une date à venir, ou la date par défaut d'un logiciel, est une erreur) ; "
            "inconnue, laissez le champ vide.",
            f"Birth date outside the accepted ages: the porteur must be {MIN_AGE_YEARS} to "
            f"{MAX_AGE_YEARS} years old on the day of the push, a date from "
            f"{earliest.isoformat()} to {latest.isoformat()}; this one is {side_en}. Check "
            "it (a date to come, or a software's placeholder date, is a typing error); "
            "when unknown, leave the field out.")


def _email(value: str) -> Reason:
    local, at, domain = value.rpartition("@")
    if at and local and not local.isascii():
        return ("Adresse électronique refusée : la partie avant « @ » contient une lettre "
                "accentuée ou un caractère non ASCII, que le hub n'accepte pas (lettres sans "
                "accent, chiffres et . _ - + ' seulement, entre autres). Vérifiez l'adresse "
                "auprès du porteur : sans son accent, ce serait une autre boîte ; laissez le "
                "champ vide plutôt que de la deviner.",
                "E-mail address refused: the part before '@' holds an accented letter or a "
                "non-ASCII character, which the hub does not accept (letters without accents, "
                "digits and . _ - + ' among others). Check the address with the porteur: "
                "without its accent it would be another mailbox; leave the field out rather "
                "than guess it.")
    if at and domain and not domain.isascii():
        return ("Adresse électronique refusée : le nom de domaine après « @ » contient une "
                "lettre accentuée ; écrivez-le sous sa forme ASCII (« xn--… »), que donne le "
                "fournisseur du domaine.",
                "E-mail address refused: the domain after '@' holds an accented letter; write "
                "it in its ASCII form ('xn--…'), as the domain's provider gives it.")
    return ("Adresse électronique mal formée : attendu nom@domaine.fr, un seul « @ », sans "
            "espace, un domaine avec au moins un point, 254 caractères au plus.",
            "E-mail address malformed: expected name@domain.fr, one '@', no space, a domain "
            "with at least one dot, 254 characters at most.")


def _fr(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


_EXPLAINERS: dict[str, Callable[[str], Reason]] = {
    "date-naissance": _birth_date,
    "email": _email,
}
