"""The answer of an erasure given again to the same request: one whose answer never reached
its caller (the hub stopped after the commit, the connection cut, the caller gone before
reading), or one committed whose old key-encryption keys the key directory refused to
lose (its volume full, after the commit: answered as recorded, `termine` false, `reste`
saying what is left, never as failed). A caller told 409 (already erased) or 404 (the
fiche removed) would believe its erasure was not made.

The answer is kept, in the erasing transaction, under a keyed digest of the requester,
the route and what it named; the same request again, where it would be refused so and
while what it finds comes from that erasure, answers that erasure again and destroys the
old keys if there is room now (`termine` true, worked out then), or answers it finished
when another erasure, a rotation or `capactif init` destroyed them meanwhile. The hub
cannot know that an answer reached its caller (one read by the caller and one lost after
it left are the same to it), so a kept answer is answered as many times as the request is
sent: it is dropped only when a newer erasure under the same key replaces it, and after
KEPT_FOR (ignored, then removed by the next erasure kept or the next start of the hub,
`forget_expired`); the request is then refused as any other.

A hub stopped between an erasure's commit and its answer (the volume full or not) kept
that answer: the same request again answers the erasure it made (`termine` true once the
old keys are gone). A restore does not bring back the
answers kept since its backup (it replays the erasures from the recovery journal, not
their answers): the same request is then refused as any other (409, 404), which names no
erasure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from hub.bootstrap import Hub
from hub.journal import fiche_digest
from hub.services.privacy.key_rotation import finish_erasure
from hub.store.uow import UnitOfWork

KEPT_FOR = dt.timedelta(hours=24)

LEFT = {
    "code": "anciennes_cles_a_detruire",
    "message_fr": "Effacement enregistré : les clés de données des fiches sont détruites et "
                  "les avis envoyés. Reste à détruire les anciennes clés de chiffrement du "
                  "répertoire de clés du hub, dont le volume est plein (elles n'ouvrent que "
                  "des sauvegardes antérieures) : le prochain effacement, la prochaine "
                  "rotation des clés ou le prochain démarrage du hub le fait ; renvoyer la "
                  "même demande le fait aussi et répond cet effacement.",
    "message_en": "Erasure recorded: the fiches' data keys are destroyed and the notices "
                  "sent. Left to do: destroying the old key-encryption keys in the hub's key "
                  "directory, whose volume is full (they open earlier backups only): the "
                  "next erasure, key rotation or start of the hub does it; "
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


def keep_within(uow: UnitOfWork, key: str | None, erasure_id: str, answer: dict[str, Any],
                fiche_pks: Iterable[int], now: Any) -> None:
    """In the erasing transaction: `answer` kept for the same request again, with the
    fiches whose erased state the erasure leaves (`fiche_pks`). A crash after the commit
    loses nothing, and a newer erasure under the same key replaces it; the answers kept
    more than KEPT_FOR ago are dropped."""
    if key is not None:
        uow.erasure_answers.drop_before(now - KEPT_FOR)
        uow.erasure_answers.keep(key, erasure_id, answer, fiche_pks, now)


def forget_expired(hub: Hub) -> None:
    """The answers kept more than KEPT_FOR ago removed (at every start: none may wait for
    the next erasure kept, however long none comes)."""
    with hub.uow() as uow:
        uow.erasure_answers.drop_before(hub.clock() - KEPT_FOR)
        uow.commit()


def answered_again(hub: Hub, key: str | None, found: Iterable[int]) -> dict[str, Any] | None:
    """The kept answer of the erasure this request made, its old keys destroyed now if
    there is room (none left: `termine` true); None when it made none (or KEPT_FOR ago),
    or when what the request finds now (`found`: the
    fiches it names, erased) does not come from that erasure (a fiche pushed again under
    the same id and erased by another)."""
    if key is None:
        return None
    with hub.uow() as uow:
        kept = uow.erasure_answers.get(key, hub.clock() - KEPT_FOR)
    if kept is None or not set(found) <= kept.fiche_pks:
        return None
    done = finish_erasure(hub)  # none left too when another destroyed them meanwhile
    return told(kept.answer, not done)
