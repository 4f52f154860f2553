"""The monthly meeting sheet of the network's technicians: porteurs first met this
month, porteurs without a referent, porteurs without news, and the duplicates
resolved this month: the merges and unmerges the coordination decided (`merge_events`,
written by the duplicate queue) and the fiches the pipeline linked alone (`auto` links)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.bootstrap import Hub
from hub.services.parcours import collect, log_views
from hub.services.sessions import ConsoleSession


def meeting_sheet(hub: Hub, session: ConsoleSession, month: dt.date) -> dict[str, Any]:
    start = month.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    today, weeks = hub.clock().date(), hub.settings.console_stalled_weeks
    everyone = [p for p in collect(hub, session.member) if p.fiches]
    sheet = {
        "nouveaux": [p for p in everyone if start <= p.first_contact < end],
        "sans_referent": [p for p in everyone if p.referent is None],
        "sans_nouvelles": [p for p in everyone if p.referent and p.stalled(today, weeks)],
    }
    shown = {p.porteur_id: p for group in sheet.values() for p in group}
    log_views(hub, session, shown.values())
    with hub.uow() as uow:
        changes = uow.fiche_reads.merge_events(_midnight(start), _midnight(end))
        links = uow.fiche_reads.decided_links(_midnight(start), _midnight(end))
    undone = {pk for c in changes if c.kind == "unmerge" for pk in c.fiche_pks}
    resolved = [{"porteur_id": c.porteur_id, "autre_porteur_id": c.other_porteur_id,
                 "type": "fusion" if c.kind == "merge" else "separation", "le": c.at,
                 "fiches": len(c.fiche_pks), "revue": c.review_item_id, "par": c.actor,
                 "defait": c.kind == "merge" and bool(undone & set(c.fiche_pks))}
                for c in changes]
    automatic = sum(1 for link in links if link.method == "auto")
    return {**sheet, "doublons_resolus": resolved, "liens_automatiques": automatic,
            "debut": start, "fin": end, "weeks": weeks, "today": today}


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
