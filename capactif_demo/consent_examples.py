"""Valid consent submissions for tests, benchmarks and the demo."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from consent.model import ConsentRecord, StateChange, Status

NOTICE_TEXT = (
    "Vos informations sont partagées avec les structures du réseau qui vous accompagnent, "
    "pour les finalités que vous choisissez. Vous pouvez retirer votre accord à tout moment "
    "auprès de n'importe quelle structure du réseau."
)


def example_submission(notice_version: int, notice_sha256: str, now: dt.datetime,
                       **overrides: Any) -> dict[str, Any]:
    """A consent collected at `now` by member "pfil-est" for its fiche "F-0001",
    valid one year, for orientation and support by welcome and support roles."""
    submission: dict[str, Any] = {
        "reference": "CONS-0001",
        "membre": "pfil-est",
        "fiche_id": "F-0001",
        "agent": "agent-12",
        "recueilli_le": now.isoformat(),
        "mode": "entretien",
        "notice": {"version": notice_version, "empreinte": notice_sha256},
        "finalites": ["orientation", "accompagnement"],
        "roles_destinataires": ["accueil", "accompagnement"],
        "expire_le": (now + dt.timedelta(days=365)).isoformat(),
        "preuve": {"type": "scan_sha256", "valeur": "ab" * 32},
    }
    submission.update(overrides)
    return submission


EXAMPLE_TIME = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
EXAMPLE_EXPIRY = EXAMPLE_TIME + dt.timedelta(days=365)


def example_record(purposes: Iterable[str] = ("orientation",),
                   roles: Iterable[str] = ("accompagnement",), members: Iterable[str] = (),
                   history: Iterable[StateChange] = ()) -> ConsentRecord:
    """An active record collected at EXAMPLE_TIME, expiring at EXAMPLE_EXPIRY."""
    return ConsentRecord(
        id="cns_example", reference="R1", member_id="pfil-est", fiche_id="F1", agent="a1",
        collected_at=EXAMPLE_TIME, mode="entretien", notice_version=1,
        notice_sha256="0" * 64, purposes=frozenset(purposes), roles=frozenset(roles),
        members=frozenset(members), expires_at=EXAMPLE_EXPIRY, proof_type="autre",
        proof_value="dossier", recorded_at=EXAMPLE_TIME,
        history=(StateChange(Status.ACTIVE, EXAMPLE_TIME, "pfil-est"), *history),
    )
