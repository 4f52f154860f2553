"""An erasure committed whose old key-encryption keys the key directory refused to lose
(its volume full, after the commit): answered as recorded (`termine` false, `reste` saying
what is left), never as failed. A caller told it failed would send it again and be told
409 (already erased) or 404 (the fiche removed), or give up on an erasure that was made.

The answer is kept under a keyed digest of the requester, the route and what it named;
the same request again, where it would be refused so, answers that erasure again and
destroys the old keys if there is room now (`termine` true, the kept answer dropped)."""

from __future__ import annotations

from typing import Any

from hub.bootstrap import Hub
from hub.journal import fiche_digest
from hub.services.privacy.key_rotation import finish_erasure

LEFT = {
    "code": "anciennes_cles_a_detruire",
    "message_fr": "Effacement enregistré : les clés de données des fiches sont détruites et "
                  "les avis envoyés. Reste à détruire les anciennes clés de chiffrement du "
                  "répertoire de clés du hub, dont le volume est plein (elles n'ouvrent que "
                  "des sauvegardes antérieures) : le prochain effacement, la prochaine "
                  "rotation ou le redémarrage du hub (`capactif init`) le fait ; renvoyer la "
                  "même demande le fait aussi et répond cet effacement.",
    "message_en": "Erasure recorded: the fiches' data keys are destroyed and the notices "
                  "sent. Left to do: destroying the old key-encryption keys in the hub's key "
                  "directory, whose volume is full (they open earlier backups only): the "
                  "next erasure, rotation or restart of the hub (`capactif init`) does it; "
                  "sending the same request again does it too and answers this erasure.",
}


def told(answer: dict[str, Any], old_keys_left: bool) -> dict[str, Any]:
    """`answer` saying whether the erasure is finished and, if not, what is left."""
    return {**answer, "termine": not old_keys_left, "reste": LEFT if old_keys_left else None}


def retry_key(hub: Hub, requester: str, route: str, named: Any) -> str | None:
    """The key of a request (None when it names no id: it is refused anyway)."""
    if not isinstance(named, str):
        return None
    return fiche_digest(hub.pseudonym_key, requester, f"{route}\n{named}")


def keep(hub: Hub, key: str | None, answer: dict[str, Any]) -> dict[str, Any]:
    """An unfinished erasure's answer kept for the same request again; `answer` as is."""
    if key is not None and not answer["termine"]:
        with hub.uow() as uow:
            uow.erasure_answers.keep(key, answer["effacement"], answer, hub.clock())
            uow.commit()
    return answer


def answered_again(hub: Hub, key: str | None) -> dict[str, Any] | None:
    """The kept answer of the erasure this request made, its old keys destroyed now if
    there is room; None when it made none left unfinished."""
    if key is None:
        return None
    with hub.uow() as uow:
        kept = uow.erasure_answers.get(key)
    if kept is None:
        return None
    finished = finish_erasure(hub)
    if finished:
        with hub.uow() as uow:
            uow.erasure_answers.remove(key)
            uow.commit()
    return told(kept, not finished)
