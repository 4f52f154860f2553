"""Network indicators for the steering committee: projects followed, with a referent,
installations, financed by the PFILs, by month of first contact and by member, over
the whole history or a period (a semester: the committee meets twice a year).

Counts only, never a person, counted in the database from each porteur's figures
(`hub.services.console.porteur_figures`, kept by the coordination's index): a porteur whose
consent excludes statistics is left out.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from hub.bootstrap import Hub
from hub.errors import BadRequest
from hub.services.accounts.members import member_names
from hub.services.accounts.sessions import ConsoleSession
from hub.services.audit import trail as audit
from hub.services.console import porteur_index
from hub.services.console.porteur_figures import PURPOSE, UNDATED
from schemas.formats import EARLIEST, LATEST

INDICATORS = {"suivis": "Projets suivis", "avec_referent": "Avec un référent",
              "installations": "Installations", "finances_pfil": "Financés par une PFIL"}
UNITS = {"suivis": "projets suivis", "avec_referent": "avec un référent",
         "installations": "installations", "finances_pfil": "financés par une PFIL"}
# The months and days a console user asks for, as the API's dates: 1970 to 8999 (year 1
# in Paris is before year 1 in UTC, and 9999-12-31 has no day after it).
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])\Z", re.ASCII)  # a month of the data, any year
YEARS = range(EARLIEST.year, LATEST.year)  # the bounds of every date-time the hub reads
_YEAR = r"(19[7-9]\d|[2-8]\d{3})"
MONTH = re.compile(rf"^{_YEAR}-(0[1-9]|1[0-2])\Z", re.ASCII)  # 0-9 only: not « ٢٠٢٦ »
_SEMESTER = re.compile(rf"^{_YEAR}-S([12])\Z", re.ASCII)


@dataclasses.dataclass(frozen=True)
class Period:
    """Months of first contact [first, last] ("AAAA-MM"); None: no bound."""

    first: str | None = None
    last: str | None = None

    @classmethod
    def parse(cls, semester: str = "", first: str = "", last: str = "") -> Period:
        """From a semester ("2026-S1") or months ("2026-01", "2026-06"); a clear 400
        naming the field otherwise."""
        if semester:
            found = _SEMESTER.match(semester)
            if not found:
                raise BadRequest("Semestre : choisissez un semestre de la liste (AAAA-S1 ou "
                                 "AAAA-S2, de 1970 à 8999).", "Semester: YYYY-S1 or YYYY-S2, "
                                 "1970 to 8999.")
            year, half = found[1], int(found[2])
            return cls(f"{year}-{6 * half - 5:02d}", f"{year}-{6 * half:02d}")
        for name, value in (("du", first), ("au", last)):
            if value and not MONTH.match(value):
                raise BadRequest(f"Période ({name}) : un mois au format AAAA-MM, de 1970 à 8999.",
                                 f"Period ({name}): a month as YYYY-MM, 1970 to 8999.")
        if first and last and first > last:
            raise BadRequest("Période : le premier mois est après le dernier.",
                             "The period starts after it ends.")
        return cls(first or None, last or None)


def network_indicators(hub: Hub, session: ConsoleSession,
                       period: Period | None = None) -> dict[str, Any]:
    period = period or Period()
    porteur_index.refresh(hub)
    names = member_names(hub)
    with hub.uow() as uow:
        months = uow.porteur_index.figures(period.first, period.last, "month")
        by_member = uow.porteur_index.figures(period.first, period.last, "member")
        left_out = uow.porteur_index.not_counted()
        span = uow.porteur_index.first_months()
    audit.record(hub, [audit.event(hub, "console_view", session.member, user=session.user_id,
                                   purpose=PURPOSE, policy_version=hub.policy.current.version)])
    members = [{**_row(row), "nom": names.get(row[0], row[0])} for row in by_member]
    return {"par_mois": _every_month([_row(row) for row in months], period),
            "par_membre": sorted(members, key=lambda r: (-r["suivis"], r["nom"])),
            # each porteur has one month of first contact: the months add up to the totals
            "totaux": {k: sum(int(row[i + 1]) for row in months)
                       for i, k in enumerate(INDICATORS)},
            "indicateurs": INDICATORS, "unites": UNITS, "hors_statistiques": left_out,
            "periode": period, "semestres": semesters(*span)}


def semesters(first: str | None, last: str | None) -> list[str]:
    """The semesters ("2026-S1") from the one of `first` to the one of `last`, newest
    first."""
    if not first or not last:
        return []
    found, year, half = [], int(first[:4]), 1 if int(first[5:]) <= 6 else 2
    while (year, half) <= (int(last[:4]), 1 if int(last[5:]) <= 6 else 2):
        found.append(f"{year}-S{half}")
        year, half = (year + 1, 1) if half == 2 else (year, 2)
    return found[::-1]


def _row(row: tuple[Any, ...]) -> dict[str, Any]:
    return {"cle": row[0], **{name: int(value) for name, value in zip(INDICATORS, row[1:],
                                                                      strict=True)}}


def _every_month(rows: list[dict[str, Any]], period: Period) -> list[dict[str, Any]]:
    """The monthly rows with the months between them that have no porteur (zeros), so
    that a chart's axis keeps time regular; a chosen period is shown whole."""
    found = {row["cle"]: row for row in rows}
    months = sorted(key for key in found if _MONTH.match(key))
    first = period.first or (months[0] if months else None)
    last = period.last or (months[-1] if months else None)
    if not first or not last:
        return rows
    year, month = int(first[:4]), int(first[5:])
    every = []
    while f"{year:04d}-{month:02d}" <= last:
        key = f"{year:04d}-{month:02d}"
        every.append(found.get(key) or {"cle": key, **dict.fromkeys(INDICATORS, 0)})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return every + [row for key, row in found.items() if key == UNDATED]
