""""Who saw my data" (GDPR art. 15) for a person whose fiches were merged or split by the
coordination: the report covers every access to the person's data, whichever porteur id
the hub held it under when it was seen."""

from __future__ import annotations

from hub.services.audit import trail as audit
from hub.services.console import duplicates_console as queue
from hub.services.console.parcours import parcours_of
from hub.services.matching import duplicates

DPO_MEMBER = "pnr-livradois-forez"


def accesses(hub, porteur_id: str) -> dict[str, int]:
    report = audit.access_report(hub, DPO_MEMBER, porteur_id)
    return {r["membre"]: r["acces"] for r in report["destinataires"]}


def test_accesses_seen_under_a_porteur_merged_away_stay_in_the_persons_report(coordination):
    hub, session = coordination["hub"], coordination["session"]
    kept, absorbed = (coordination["porteurs"][f] for f in ("F-DOUBLE-A", "F-DOUBLE-B"))
    [item] = duplicates.list_review_items(hub)["items"]
    parcours_of(hub, session, absorbed)  # the coordination reads the second fiche's porteur
    before = {p: accesses(hub, p) for p in (kept, absorbed)}
    assert before[absorbed].get(DPO_MEMBER, 0) >= 1
    queue.decide(hub, session, item["id"], "same")
    after = accesses(hub, kept)
    for member in {*before[kept], *before[absorbed]}:
        assert after.get(member, 0) == before[kept].get(member, 0) + before[absorbed].get(
            member, 0), member


def test_a_fiche_split_off_keeps_the_accesses_to_it_while_it_was_merged(coordination):
    hub, session = coordination["hub"], coordination["session"]
    kept = coordination["porteurs"]["F-DOUBLE-A"]
    [item] = duplicates.list_review_items(hub)["items"]
    queue.decide(hub, session, item["id"], "same")
    parcours_of(hub, session, kept)  # one view of both fiches, under the kept id
    queue.unmerge(hub, session, kept, "cci-puy-de-dome", "F-DOUBLE-B")
    with hub.uow() as uow:
        restored = uow.fiches.porteur_of("cci-puy-de-dome", "F-DOUBLE-B").porteur_id
    assert restored != kept
    assert accesses(hub, restored).get(DPO_MEMBER, 0) >= 1
    owner = audit.fiche_report(hub, "cci-puy-de-dome", "cci-puy-de-dome", "F-DOUBLE-B")
    assert DPO_MEMBER in {r["membre"] for r in owner["destinataires"]}
