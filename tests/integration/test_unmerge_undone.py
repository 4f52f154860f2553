"""A separation made by mistake can be undone from the console: the pair it split is
listed with the pairs judged "personnes différentes", and taking it up again puts it back
in the queue, where "même personne" reunites the two fiches."""

from __future__ import annotations

from hub.domain.matching.model import CONFIRMED_FLAGS
from hub.services.console import duplicates_console as queue
from hub.services.console import review_revisits
from hub.services.matching import duplicates


def porteur_of(hub, member: str, fiche_id: str) -> str:
    with hub.uow() as uow:
        return uow.fiches.porteur_of(member, fiche_id).porteur_id


def test_a_separation_made_by_mistake_is_taken_up_again_and_the_fiches_reunited(coordination):
    hub, session = coordination["hub"], coordination["session"]
    [item] = duplicates.list_review_items(hub)["items"]
    queue.decide(hub, session, item["id"], "same", confirmed=CONFIRMED_FLAGS)
    kept = porteur_of(hub, "commune-ambert", "F-DOUBLE-A")
    queue.unmerge(hub, session, kept, "cci-puy-de-dome", "F-DOUBLE-B")
    assert porteur_of(hub, "cci-puy-de-dome", "F-DOUBLE-B") != kept
    listed = review_revisits.revisitable(hub, session)["items"]
    assert [(r["id"], r["statut"]) for r in listed] == [(item["id"], "different")]
    review_revisits.reopen(hub, session, item["id"])
    [again] = duplicates.list_review_items(hub)["items"]
    assert again["id"] == item["id"]
    queue.decide(hub, session, item["id"], "same", confirmed=CONFIRMED_FLAGS)
    assert porteur_of(hub, "cci-puy-de-dome", "F-DOUBLE-B") == porteur_of(
        hub, "commune-ambert", "F-DOUBLE-A")


def test_separating_the_fiche_that_was_already_there_is_taken_up_again_too(coordination):
    """The pair decided « même personne » is undone whichever of its two fiches is taken
    out: the one the merge brought in, or the one the porteur already held."""
    hub, session = coordination["hub"], coordination["session"]
    [item] = duplicates.list_review_items(hub)["items"]
    queue.decide(hub, session, item["id"], "same", confirmed=CONFIRMED_FLAGS)
    with hub.uow() as uow:
        kept = uow.fiches.porteur_of("commune-ambert", "F-DOUBLE-A").porteur_id
    queue.unmerge(hub, session, kept, "commune-ambert", "F-DOUBLE-A")
    listed = review_revisits.revisitable(hub, session)["items"]
    assert [(row["id"], row["statut"]) for row in listed] == [(item["id"], "different")]
