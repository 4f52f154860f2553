"""The duplicate queue as the console shows it: the two fiches side by side (what the
coordination may see of each), field by field with their differences, each compared
field's contribution to the match score (the explanation's waterfall, in French), the
decisions, the merge history and unmerge. Everything goes through `duplicates`, which
projects each side through the consent + policy gate; the console account is named
(`user`) in every access event."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hub.bootstrap import Hub
from hub.domain.matching.comparisons import AGREEING, FUZZY
from hub.domain.matching.decision import veto_yields
from hub.domain.matching.disclosed import (
    FIELDS_HIDDEN_KEY,
    SIDE_CLOSED_KEY,
    SIDE_LEFT_STATUS,
    UNMATCHED_STATUS,
)
from hub.domain.matching.model import (
    FIELD_LEVELS_FR,
    IDENTITY_ONLY_KEY,
    MOBILE_NAMES_KEY,
    MOVED_AWAY_KEY,
    NOTHING_PERSONAL_KEY,
    Explanation,
    FieldTerm,
    agreeing_identity_fr,
    default_model,
    household_doubt_fr,
    household_home_fr,
)
from hub.domain.matching.settings import DecisionSettings
from hub.errors import BadRequest
from hub.services.accounts.members import member_names
from hub.services.accounts.sessions import ConsoleSession
from hub.services.accounts.users import list_users
from hub.services.audit import trail as audit
from hub.services.console.parcours import collect, log_views
from hub.services.matching import duplicates

# The decisions whose form names the item's revision (`duplicates.JUDGEMENTS`).
JUDGEMENTS = duplicates.JUDGEMENTS
DECISIONS = {"same": "Même personne", "different": "Personnes différentes",
             "unknown": "À revoir en réunion"}
LEVELS = {"exact": "identique", "close": "proche", "fuzzy": "approchant",
          "different": "différent", "missing": "absent d'un côté",
          "swapped": "jour et mois inversés", "day_off": "jour à un chiffre près"}
# The rows of the side-by-side table: (label, path in the fiche, compared field).
ROWS = (
    ("Prénom", "porteur.prenom", "prenom"),
    ("Nom", "porteur.nom", "nom"),
    ("Nom de naissance", "porteur.nom_naissance", None),
    ("Date de naissance", "porteur.date_naissance", "date_naissance"),
    ("Courriel", "porteur.courriel", "courriel"),
    ("Téléphone", "porteur.telephone", "telephone"),
    ("Adresse", "porteur.adresse.ligne", "adresse"),
    ("Code postal", "porteur.adresse.code_postal", None),
    ("Commune", "porteur.adresse.commune", None),
    ("Projet", "projet.intitule", None),
    ("Étape du projet", "projet.stade", None),
    ("Commune d'implantation", "projet.commune_implantation.nom", None),
)
_STRONG = ("date_naissance", "courriel", "telephone", "adresse")
FIELD_LABELS = {"prenom": "Prénom", "nom": "Nom", "date_naissance": "Date de naissance",
                "courriel": "Courriel", "telephone": "Téléphone", "adresse": "Adresse",
                "lieu": "Commune ou code postal"}


# The flags a « same » confirms by name (`duplicates.flags_of`): what the coordinator checks.
FLAGS = {
    IDENTITY_ONLY_KEY: {
        "libelle": "Identité seule",
        # {agreeing}: the fields that agree, as the pair has them (`flag_warnings`)
        "verifier": "{agreeing} (la commune ou le code postal se devinent) : vérifiez auprès "
                    "du membre de la nouvelle fiche qu'il connaît la personne (sa rue, son "
                    "courriel ou son téléphone)"},
    MOVED_AWAY_KEY: {
        "libelle": "Autre domicile",
        "verifier": "le porteur déjà connu tient la personne à une autre adresse, sans courriel "
                    "ni téléphone en commun avec la nouvelle fiche : vérifiez auprès du membre "
                    "de la nouvelle fiche qu'il connaît la personne (son courriel, son téléphone "
                    "ou sa nouvelle adresse), et pas seulement son nom et une ancienne adresse"},
}


ORDERS = {"anciennete": "en attente depuis le plus longtemps",
          "recents": "les plus récents d'abord",
          "probabilite": "probabilité la plus haute d'abord",
          "probabilite_basse": "probabilité la plus basse d'abord"}
PER_PAGE = 50


def review_queue(hub: Hub, session: ConsoleSession, *, order: str = "anciennete",
                 page: int = 1, per_page: int = PER_PAGE) -> dict[str, Any]:
    """One page of the open items in `order` (`ORDERS`), sorted by what the coordination
    is told of each (`duplicates.review_page`): per item its probability and each side's
    member and name."""
    if order not in ORDERS:
        raise BadRequest("Tri des doublons : choisissez un ordre de la liste.",
                         "Unknown order of the duplicate queue.")
    found = duplicates.review_page(hub, order, page, per_page, actor=session.member,
                                   user=session.user_id)
    names = _member_names(hub)
    items = [{"id": item["id"], "ouvert_le": item["ouvert_le"],
              "probabilite": item["probabilite"],
              "cotes": [_summary(side, names) for side in item["cotes"]]}
             for item in found["items"]]
    return {**found, "items": items, "order": order}


def review_item(hub: Hub, session: ConsoleSession, item_id: int) -> dict[str, Any]:
    """One item: both sides, the rows compared, the waterfall."""
    item = duplicates.get_review_item(hub, item_id, actor=session.member, user=session.user_id)
    names = _member_names(hub)
    terms = {t["champ"]: t for t in item["explication"]["champs"]}
    left, right = (side["fiche"] for side in item["cotes"])
    masked = [[path not in side["champs"] for side in item["cotes"]] for _l, path, _f in ROWS]
    rows = [_row(label, path, terms.get(field) if field else None, left, right, hidden)
            for (label, path, field), hidden in zip(ROWS, masked, strict=True)]
    return {"id": item["id"], "statut": item["statut"], "ouvert_le": item["ouvert_le"],
            "probabilite": item["probabilite"], "revision": item["revision"],
            "cotes": [_summary(side, names) for side in item["cotes"]],
            "lignes": [r for r in rows if r["gauche"] or r["droite"]],
            "etapes": [_steps(side["fiche"], names) for side in item["cotes"]],
            "cascade": waterfall(item["explication"]) if "a_priori" in item["explication"]
            else None,
            # a side not consultable: set aside for the meeting only (`duplicates.decide`)
            "tranchable": not item["explication"].get(SIDE_CLOSED_KEY),
            "attente": waiting_reason(item["explication"],
                                      hub.matching_model.get().decision),
            "avertissements": flag_warnings(item["explication"])}


def flag_warnings(explanation: dict[str, Any]) -> list[dict[str, str]]:
    """The item's flags (`duplicates.flags_of`) as the console warns of them: what each
    says, and what to check, naming the fields that agree as the explanation has them."""
    agreeing = agreeing_identity_fr(_levels(explanation), articles=True)
    return [{"code": flag, "libelle": FLAGS[flag]["libelle"],
             "verifier": FLAGS[flag]["verifier"].format(agreeing=agreeing)}
            for flag in duplicates.flags_of(explanation)]


def _levels(explanation: dict[str, Any]) -> dict[str, str]:
    return {t["champ"]: t["niveau"] for t in explanation.get("champs", [])}


def waiting_reason(explanation: dict[str, Any], settings: DecisionSettings | None = None) -> str:
    """Why the hub left this pair to the coordination, in the words of its rules
    (`hub.domain.matching.decision`, under `settings`: the hub's model's, the shipped
    one's by default): a decisive field differs (and does not yield to the birth date
    and a contact, `decision.veto_yields`), too little agrees, or the probability is
    below the automatic threshold."""
    if explanation.get(SIDE_CLOSED_KEY):
        return ("Une des deux fiches n'est pas consultable par la coordination (consentement "
                "et politique du réseau) : côté non consultable, rien n'en est comparé ici. "
                "Le doublon ne peut qu'être mis de côté pour la réunion, avec le membre qui "
                "détient la fiche.")
    if explanation.get(FIELDS_HIDDEN_KEY):
        return ("Certains champs comparés par le hub ne sont pas consultables par la "
                "coordination sur un côté : ils ne sont pas montrés, ni leur comparaison.")
    if explanation.get("foyer") and any(t["champ"] == "nom" and t["niveau"] == "different"
                                        for t in explanation["champs"]):
        return ("Deux voisins : noms différents, même rue dans la même commune mais un autre "
                "numéro de chaque côté, aucun courriel ni téléphone identique ou approchant ; le hub ne les "
                "réunit jamais seul.")
    if explanation.get("foyer"):
        return ("Deux personnes d'un même foyer : nom identique ou proche, même adresse dans "
                "la même commune ou même ligne fixe, des prénoms sans rapport ou des dates de "
                "naissance nettement différentes, ou des prénoms proches sous un courriel ou "
                "un mobile différent de chaque côté ; le hub ne les réunit jamais seul.")
    levels = {t["champ"]: t["niveau"] for t in explanation["champs"]}
    if explanation.get("foyer_a_verifier"):  # said from what matched, as the API's line
        return ("Peut-être deux personnes d'un même foyer, peut-être une fiche ressaisie : "
                f"nom identique ou proche, {household_home_fr(levels)}, mais "
                f"{household_doubt_fr(levels)} ; le hub ne les réunit jamais seul.")
    if explanation.get(NOTHING_PERSONAL_KEY):  # held whatever the probability
        return ("Rien de personnel à comparer : ni le prénom ni la date de naissance ne sont "
                "renseignés des deux côtés ; le nom et l'adresse qui concordent sont ce que "
                "partagent deux personnes d'un même foyer, le hub ne les réunit jamais seul.")
    if explanation.get(IDENTITY_ONLY_KEY):  # held whatever the identity rule says
        return (f"Identité seule : {agreeing_identity_fr(levels)}, mais ni "
                "la rue, ni le courriel, ni le téléphone (la commune ou le code postal se "
                "devinent) ; le porteur n'a "
                "encore aucune fiche de ce membre et le lien lui montrerait les données d'un "
                "autre : le hub ne les réunit jamais seul.")
    if explanation.get(MOVED_AWAY_KEY):  # held whatever the probability
        return ("Autre domicile : le porteur de la fiche déjà connue n'a encore aucune fiche "
                "de ce membre et connaît la personne à une autre adresse, sans courriel ni "
                "téléphone en commun avec la nouvelle fiche. Les noms, une date de naissance "
                "et une ancienne adresse se devinent ; le lien montrerait à ce membre où la "
                "personne habite aujourd'hui. Vérifiez auprès de lui qu'il connaît bien la "
                "personne (son courriel, son téléphone ou sa nouvelle adresse) avant de dire "
                "« même personne » ; le hub ne les réunit jamais seul.")
    decision = settings or default_model().decision
    kept = Explanation(0.0, tuple(FieldTerm(t["champ"], t["niveau"], t.get("poids", 0.0))
                                  for t in explanation["champs"]), 0.0, 0.0,
                       mobile_names_alike=explanation.get(MOBILE_NAMES_KEY) is True)
    vetoes = [FIELD_LABELS[f].lower() for f in ("prenom", "date_naissance")
              if levels.get(f) == "different" and not veto_yields(f, kept, decision)]
    if vetoes:
        return (f"Un champ décisif diffère ({', '.join(vetoes)}) : le hub ne réunit jamais "
                "seul deux fiches dans ce cas (des jumeaux, des homonymes d'une même famille).")
    # The decision's own levels (`comparisons.AGREEING`: a date swapped or a day off too).
    agreeing = [f for f, level in levels.items() if level in AGREEING]
    if not any(f in _STRONG for f in agreeing) or len(agreeing) < 2:
        return ("Trop peu d'éléments concordent : pour réunir seul deux fiches, le hub veut au "
                "moins deux champs concordants, dont la date de naissance, le courriel, le "
                "téléphone ou l'adresse.")
    return "La probabilité reste sous le seuil au-delà duquel le hub réunit seul deux fiches."


def waterfall(explanation: dict[str, Any]) -> dict[str, Any]:
    """The score built step by step: the prior, then each field's weight (bits), the
    running total after it, and the final probability."""
    running = explanation["a_priori"]
    steps = []
    for term in explanation["champs"]:
        running += 0.0 if term["niveau"] == "missing" else term["poids"]
        steps.append({"champ": FIELD_LABELS.get(term["champ"], term["champ"]),
                      "niveau": level_words(term),
                      "poids": 0.0 if term["niveau"] == "missing" else term["poids"],
                      "frequence": term["ajustement_frequence"],
                      "cumul": running})
    return {"a_priori": explanation["a_priori"], "etapes": steps,
            "total": explanation["total"], "probabilite": explanation["probabilite"],
            "phrases": explanation.get("lignes", [])}


def decide(hub: Hub, session: ConsoleSession, item_id: int, decision: str,
           confirmed: Iterable[str] = (), revision: int | None = None) -> dict[str, Any]:
    """The decision made on the item's `revision` as the page showed it (none: a side
    not consultable, `duplicates.decide`)."""
    return duplicates.decide(hub, item_id, decision, actor=session.member, user=session.user_id,
                             confirmed=confirmed, revision=revision)


# An item a side left reads one status, whatever the reason (`disclosed.SIDE_LEFT_STATUS`).
CLOSED = {**DECISIONS, "obsolete": "Sans objet (les deux fiches ont été réunies autrement)",
          UNMATCHED_STATUS: "Sans objet (une nouvelle version d'une des deux fiches, comparée "
                            "de nouveau, n'en fait plus un doublon probable)",
          SIDE_LEFT_STATUS: "Sans objet (une des deux fiches n'est plus consultable par la "
                            "coordination)"}


def decided_first(hub: Hub, item_id: int) -> dict[str, Any]:
    """What the coordinator who decided an item first chose, when, and under which console
    account (for a merge), for the one whose decision came second."""
    found = duplicates.outcome(hub, item_id)
    logins = {u["id"]: u["login"] for u in list_users(hub)}
    account = found["par_compte"]
    return {"decision": CLOSED.get(found["statut"], found["statut"]), "statut": found["statut"],
            "le": found["le"], "compte": logins.get(account) if account else None}


def split_first(hub: Hub, porteur_id: str, member_id: str, fiche_id: str) -> dict[str, Any] | None:
    """The separation that already took this fiche out of this porteur (when, and the
    console account that made it), for the coordinator whose own came second."""
    for event in duplicates.merge_history(hub, porteur_id, limit=duplicates.MAX_LIMIT):
        if event["type"] == "separation" and event["porteur_id"] == porteur_id and {
                "membre": member_id, "fiche_id": fiche_id} in event["fiches"]:
            logins = {u["id"]: u["login"] for u in list_users(hub)}
            account = event["par_compte"]
            return {"le": event["le"], "compte": logins.get(account) if account else None}
    return None


def history(hub: Hub, session: ConsoleSession, *, page: int = 1,
            per_page: int = PER_PAGE) -> dict[str, Any]:
    """One page of the merges and unmerges, newest first (every one stays reachable: a
    merge made before many others can still be split off); a merged fiche may be split
    off again until an unmerge made after that merge took it out (on this page or a page
    before: a pair merged, separated, taken up and merged again is separable)."""
    found = duplicates.merge_history_page(hub, page, per_page, actor=session.member)
    events = found.pop("events")
    names = _member_names(hub)
    logins = {u["id"]: u["login"] for u in list_users(hub)}
    split = _last_split(found.pop("separees") + events)
    for event in events:
        keys = [(event["porteur_id"], f["membre"], f["fiche_id"]) for f in event["fiches"]]
        for fiche, key in zip(event["fiches"], keys, strict=True):
            fiche["nom_membre"] = names.get(fiche["membre"], fiche["membre"])
            fiche["separable"] = event["type"] == "fusion" and split.get(key, 0) < event["id"]
        event["par_nom"] = _decider(event, names, logins)
    people = {p.porteur_id: p for p in collect(hub, session.member, sorted(
        {i for e in events for i in (e["porteur_id"], e["autre_porteur_id"])})) if p.fiches}
    for event in events:
        for side in ("porteur", "autre_porteur"):
            person = people.get(event[f"{side}_id"])
            event[f"{side}_nom"] = person.name if person else None
    audit.record(hub, [audit.event(hub, "console_view", session.member, user=session.user_id)])
    log_views(hub, session, people.values())
    return {**found, "events": events}


def _last_split(events: list[dict[str, Any]]) -> dict[tuple[str, str, str], int]:
    """The newest separation's id of each (porteur, member, fiche) among `events`."""
    split: dict[tuple[str, str, str], int] = {}
    for event in events:
        if event["type"] == "separation":
            for f in event["fiches"]:
                key = (event["porteur_id"], f["membre"], f["fiche_id"])
                split[key] = max(split.get(key, 0), event["id"])
    return split


def _decider(event: dict[str, Any], names: dict[str, str], logins: dict[str, str]) -> str:
    """The console account that decided (its login, and its member's name), or the member
    alone for a decision made through the API or before accounts were recorded."""
    member = names.get(event["par"], event["par"])
    account = event.get("par_compte")
    if account is None:
        return member
    return f"{logins.get(account, 'compte supprimé')} ({member})"


def unmerge(hub: Hub, session: ConsoleSession, porteur_id: str, member_id: str,
            fiche_id: str) -> dict[str, Any]:
    return duplicates.unmerge(hub, porteur_id, member_id, fiche_id, actor=session.member,
                              user=session.user_id)


def _summary(side: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A side as the console names it; one not consultable names nothing
    (« côté non consultable »: no member, fiche nor porteur)."""
    person = side["fiche"].get("porteur") or {}
    name = " ".join(v for v in (person.get("prenom"), (person.get("nom") or "").upper()) if v)
    member = side.get("membre")
    return {"porteur_id": side.get("porteur_id"), "membre": member,
            "nom_membre": names.get(member, member) if member else "côté non consultable",
            "fiche_id": side.get("fiche_id"), "version": side.get("version"),
            "nom": name or None, "visible": bool(side["fiche"])}


def _row(label: str, path: str, term: dict[str, Any] | None, left: dict[str, Any],
         right: dict[str, Any], hidden: tuple[bool, bool] | list[bool] = (False, False)
         ) -> dict[str, Any]:
    """One row of the side-by-side table. For a field the hub compared, the state and
    the words come from its explanation, never from what the coordination happens to
    see: a field the hub found absent on a side is "absent" and weighs nothing. A field
    the coordination may not see on a side (`hidden`) is "masqué", with no level, points
    nor absence: the explanation as told (`disclosed.told_explanation`) leaves it out,
    its level would say the value (the other side's) or whether it is filled."""
    values = [_at(left, path), _at(right, path)]
    if any(hidden):
        return {"libelle": label, "chemin": path, "gauche": values[0], "droite": values[1],
                "etat": "masque", "ecart": None, "niveau": None, "absence": None, "poids": None}
    state = ("absent" if not all(values) else
             "identique" if values[0] == values[1] else "different")
    level = term["niveau"] if term else None
    if level == "missing":
        state = "absent"
    elif level is not None and not all(values):
        state = "masque"
    spelled = level in AGREEING or level == FUZZY
    ecart = "≈ écrit autrement" if spelled else "≠ différent"
    if term and (term.get("champ"), level) in FIELD_LEVELS_FR:  # a household's landline
        ecart = level_words(term)
    if term and term.get("par_chiffres") and level != "missing":
        # An impossible date, compared by its digits: never "= identique", typed the same.
        state, ecart = "different", level_words(term)
    return {"libelle": label, "chemin": path, "gauche": values[0], "droite": values[1],
            "etat": state, "ecart": ecart,
            "niveau": level_words(term) if term else None,
            "absence": _absence(term, values),
            "poids": (0.0 if level == "missing" else term["poids"]) if term else None}


def level_words(term: dict[str, Any]) -> str:
    """The hub's level in words; for a missing field, which side lacks it (the API's
    `libelle`, kept with the explanation) rather than a guess."""
    if term.get("libelle"):  # a level of one field's own (a household's landline) too
        return str(term["libelle"])
    return LEVELS.get(term["niveau"], term["niveau"])


def _absence(term: dict[str, Any] | None, values: list[str | None]) -> str:
    """Which side lacks the value, in words: the hub's sides when it compared the field."""
    if term is not None and term["niveau"] == "missing":
        return level_words(term)
    if not any(values):
        return "absent des deux côtés"
    return "absent à droite" if values[0] else "absent à gauche"


def _steps(fiche: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    return [{"date": step.get("date"), "type": step.get("type"),
             "structure": names.get(step.get("structure", ""), step.get("structure")),
             "referent": step.get("referent")} for step in fiche.get("accompagnement", [])]


def _at(document: dict[str, Any], path: str) -> str | None:
    value: Any = document
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return str(value) if value not in (None, "") else None


def _member_names(hub: Hub) -> dict[str, str]:
    return member_names(hub)
