"""The access log's integrity as a DPO checks it from the console: the latest signed
tree head, and "verify now", which exports the log and runs the offline verifier
(`hub.audit.verify`) on the export with the hub's public key, as a DPO would on their
own machine. Each check is remembered (time, who, result)."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

from hub.audit.rows import as_utc
from hub.audit.verify import verify_file
from hub.bootstrap import Hub
from hub.services.accounts.sessions import ConsoleSession
from hub.services.audit import trail as audit


def integrity_status(hub: Hub) -> dict[str, Any]:
    with hub.uow() as uow:
        last = uow.integrity_checks.latest()
    return {"tete": audit.latest_head(hub),
            "derniere_verification": None if last is None else _check(dataclasses.asdict(last))}


def verify_now(hub: Hub, session: ConsoleSession) -> dict[str, Any]:
    """Export the whole log, verify the export offline, remember and return the result (a
    store that no longer matches its signed head is exported up to that head: the report
    names the bad entry)."""
    with tempfile.TemporaryDirectory(prefix="capactif-verify-") as folder:
        export = Path(folder) / "journal.jsonl"
        done = audit.export_whole(hub, export, session.member)
        report = verify_file(export, hub.hub_keys.public_keys())
        values: dict[str, Any] = {
            "ok": report.ok and done.mismatch is None, "entries": report.entries,
            "heads": report.heads, "verified_size": report.verified_size,
            "first_bad_seq": report.first_bad_seq, "summary": report.render()}
    values.update(checked_at=hub.clock(), user_id=session.user_id)
    with hub.uow() as uow:
        uow.integrity_checks.add(values)
        uow.commit()
    return _check(values)


def _check(values: dict[str, Any]) -> dict[str, Any]:
    return {"le": as_utc(values["checked_at"]), "par": values["user_id"], "ok": values["ok"],
            "entrees": values["entries"], "tetes": values["heads"],
            "taille_verifiee": values["verified_size"],
            "premiere_entree_fautive": values["first_bad_seq"], "resume": values["summary"]}
