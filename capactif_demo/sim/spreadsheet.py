"""A commune's spreadsheet, exported as French office tools do.

`;` separator, UTF-8 with BOM or Windows-1252, dates dd/mm/yyyy, decimal commas
and spaces as thousands separators, phone numbers written in various ways, the
commune's own stage labels. `bad_lines` plants faults at given physical lines
(line 1 is the header) to exercise the rejects file.

    python -m capactif_demo.sim.spreadsheet export.csv --count 500 --encoding cp1252
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from capactif_demo.sim.french_data import PeopleFactory, Person
from capactif_demo.sim.workbook import write_ods

HEADER = ["N° dossier", "Nom", "Prénom", "Né(e) le", "Téléphone", "Courriel", "Adresse",
          "CP", "Commune", "Code INSEE", "Projet", "Étape", "Besoin financement (€)",
          "Besoins", "Modifié le"]
STAGES = ("Idée", "En réflexion", "Montage du projet", "Recherche de financement",
          "Installé", "Suivi après création", "Abandonné")
NEEDS = ("Financement", "Local commercial", "Logement", "Foncier", "Formation", "Réseau")
FAULTS = {
    "date": lambda row: row.__setitem__(3, "31/02/1987"),
    "telephone": lambda row: row.__setitem__(4, "06 12 34"),
    "etape": lambda row: row.__setitem__(11, "Étape inconnue"),
    "cellules": lambda row: row.__delitem__(slice(8, None)),
}


def french_number(value: float) -> str:
    """12500.5 -> '12 500,50'; whole amounts without decimals."""
    text = f"{value:,.2f}" if value != int(value) else f"{int(value):,}"
    return text.replace(",", "\u00a0").replace(".", ",").replace("\u00a0", " ")


def row_of(person: Person, prefix: str = "2025-") -> list[str]:
    insee, postal, name = person.commune
    return [
        f"{prefix}{person.number:05d}", person.nom.upper(), person.prenom,
        person.naissance.strftime("%d/%m/%Y"), person.telephone, person.courriel, person.rue,
        postal, name, insee, person.projet[0], STAGES[person.stade],
        french_number(person.besoin), ", ".join(NEEDS[i] for i in person.besoins),
        person.modifie.strftime("%d/%m/%Y %H:%M"),
    ]


def write_export(
    path: str | Path,
    count: int,
    *,
    encoding: str = "utf-8-sig",
    seed: int = 63,
    bad_lines: Mapping[int, str] | None = None,
    people: Sequence[Person] | None = None,
) -> Path:
    """Write `count` rows (or the given people); answers the path."""
    path = Path(path)
    people = list(people) if people is not None else PeopleFactory(seed).people(count)
    faults = bad_lines or {}
    with open(path, "w", encoding=encoding, errors="replace", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        for line, person in enumerate(people, start=2):
            row = row_of(person)
            if line in faults:
                FAULTS[faults[line]](row)
            writer.writerow(row)
    return path


def write_workbook(
    path: str | Path,
    count: int,
    *,
    seed: int = 63,
    bad_lines: Mapping[int, str] | None = None,
    people: Sequence[Person] | None = None,
    sheet: str = "Porteurs",
) -> Path:
    """The same rows as `write_export`, in the commune's own workbook (.ods): birth and
    modification dates are date cells; `bad_lines` are spreadsheet rows (1: header)."""
    people = list(people) if people is not None else PeopleFactory(seed).people(count)
    faults = bad_lines or {}
    rows: list[list[Any]] = [list(HEADER)]
    for line, person in enumerate(people, start=2):
        row: list[Any] = row_of(person)
        row[3], row[14] = person.naissance, person.modifie
        if line in faults:
            FAULTS[faults[line]](row)
        rows.append(row)
    return write_ods(path, {sheet: rows})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Écrit un export CSV de tableur de commune.")
    parser.add_argument("path")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--encoding", default="utf-8-sig", choices=["utf-8-sig", "cp1252"])
    parser.add_argument("--seed", type=int, default=63)
    args = parser.parse_args(argv)
    write_export(args.path, args.count, encoding=args.encoding, seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
