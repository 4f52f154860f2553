"""Dates written month first (`3/25/1985`, an English-language Excel's way), told apart
from the French day-first order the connector reads, by column and before anything is
sent: read day first, a month-first column rejects the rows whose day is over 12 and
sends the others with day and month swapped (`4/7/1979`, 7 April, as 4 July)."""

from __future__ import annotations

import re
from typing import Any

from connectors.errors import ConfigurationError
from connectors.mapping import Mapping

_NUMERIC = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\b", re.ASCII)


class DateOrder:
    """Watches the text date columns the mapping reads with the default formats."""

    def __init__(self, mapping: Mapping, header: list[str]) -> None:
        self.columns = {header.index(r.column): r.column for r in mapping.all_rules()
                        if r.kind in ("date", "date_heure") and not r.formats
                        and r.column in header}
        self.day_first: set[int] = set()
        self.month_first: dict[int, int] = {}  # column -> the first row proving it

    def see(self, number: int, cells: list[Any]) -> None:
        for index in self.columns:
            cell = cells[index] if index < len(cells) else None
            found = _NUMERIC.match(cell) if isinstance(cell, str) else None
            if found is None:
                continue
            first, second = int(found.group(1)), int(found.group(2))
            if first > 12:
                self.day_first.add(index)
            elif second > 12:
                self.month_first.setdefault(index, number)

    def check(self) -> None:
        """ConfigurationError for a column some row writes month first and none day first."""
        for index, number in self.month_first.items():
            if index in self.day_first:
                continue  # mixed: the month-first rows are rejected one by one
            column = self.columns[index]
            raise ConfigurationError(
                f"La colonne « {column} » écrit ses dates mois d'abord (ligne {number} : le "
                "deuxième nombre dépasse 12), comme un Excel en anglais : indiquez "
                "\"formats\": [\"%m/%d/%Y\"] pour ce champ dans la correspondance, ou exportez "
                "les dates en jj/mm/aaaa. Rien n'a été envoyé.",
                f"Column '{column}' writes its dates month first (row {number}: the second "
                "number is over 12), as an English-language Excel does: set \"formats\": "
                "[\"%m/%d/%Y\"] for this field in the mapping, or export dates as dd/mm/yyyy. "
                "Nothing was sent.")
