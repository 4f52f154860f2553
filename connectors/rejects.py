"""The rejects file: records that did not become accepted fiches, and why.

A member's agent opens it to fix records at the source. Each entry names the run,
the row as the spreadsheet shows it (or the position in an API's answer), the record's
own number (`dossier`), the fiche id, the origin of the problem (`correspondance`,
`validation`, `hub`, or `avertissement` for an optional value left out of a fiche that
was sent) and every error of the record at once (JSON path, column, code, French and
English message). Field values are never written: row and dossier number are how the
agent finds the record. No cell of the CSV starts a formula: one starting with = + - @,
a tab or a carriage return is written behind an apostrophe, the spreadsheet's mark for
text.

`.csv` files use `;` and UTF-8 with BOM (they open as-is in French office tools),
one row per error; any other extension gets JSON Lines, one object per record.
The file holds the last run only: at the start of a run the previous file moves to the
history folder beside it (`rejets.historique/rejets-<run>.csv`), so what the agent
opens is what is still to fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

CSV_COLUMNS = ["execution", "ligne", "dossier", "fiche_id", "origine", "chemin", "colonne",
               "code", "message_fr", "message_en"]


def problem_dicts(problems: Iterable[Any]) -> list[dict[str, Any]]:
    return [p if isinstance(p, dict) else p.to_dict() for p in problems]


class RejectsFile:
    """Append-only writer of rejected records, opened on the first reject."""

    def __init__(self, path: str | Path, run_id: str | None = None) -> None:
        self.path = Path(path)
        self.run_id = run_id or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.count = 0
        self._handle: IO[str] | None = None
        self._csv: Any = None

    @property
    def is_csv(self) -> bool:
        return self.path.suffix.lower() == ".csv"

    @property
    def history(self) -> Path:
        return self.path.with_name(self.path.stem + ".historique")

    def start(self) -> None:
        """A new run: the previous run's file goes to the history folder."""
        self.close()
        if self.path.exists():
            self.history.mkdir(parents=True, exist_ok=True)
            stamp = dt.datetime.fromtimestamp(self.path.stat().st_mtime, dt.UTC)
            name = f"{self.path.stem}-{stamp:%Y%m%dT%H%M%S%f}{self.path.suffix}"
            os.replace(self.path, self.history / name)

    def write(self, line: int | None, fiche_id: str | None, origin: str,
              problems: Iterable[Any], *, key: str | None = None) -> None:
        errors = problem_dicts(problems)
        handle = self._open()
        if self._csv is not None:
            for error in errors or [{}]:
                cells = [self.run_id, str(line or ""), key, fiche_id, origin,
                         error.get("path"), error.get("colonne"), error.get("code"),
                         error.get("message_fr"), error.get("message_en")]
                self._csv.writerow([_text(cell) for cell in cells])
        else:
            entry = {"execution": self.run_id, "ligne": line, "dossier": key,
                     "fiche_id": fiche_id, "origine": origin, "erreurs": errors}
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.count += 1

    def _open(self) -> IO[str]:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            new = not self.path.exists() or self.path.stat().st_size == 0
            encoding = "utf-8-sig" if self.is_csv and new else "utf-8"
            # kept open across writes of one run; closed by close() / the context manager;
            # appended to within a run (a `start` begins the next run's file)
            self._handle = open(self.path, "a", encoding=encoding, newline="")  # noqa: SIM115
            if self.is_csv:
                self._csv = csv.writer(self._handle, delimiter=";")
                if new:
                    self._csv.writerow(CSV_COLUMNS)
        return self._handle

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            self._csv = None

    def __enter__(self) -> RejectsFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(cell: Any) -> str:
    """A cell as a spreadsheet's text, never a formula (CSV injection: the agent opens the
    rejects file in a spreadsheet). Every cell is so written: the dossier number, the fiche
    id and the column come from the member's export, a message from the hub's answer."""
    cell = "" if cell is None else str(cell)
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def read_rejects(path: str | Path) -> list[dict[str, Any]]:
    """Entries of a rejects file (JSONL: one per record; CSV: one per error row)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle, delimiter=";"))
    return [json.loads(t) for t in path.read_text(encoding="utf-8").splitlines() if t.strip()]
