"""A seeded generator of office exports for the connector tests (not the demo's generator).

It writes what a commune's agent really exports from a spreadsheet: `;`, Windows-1252 or
UTF-8 with BOM, a header the agent may have renamed, multi-line cells, d/m/yy birth
dates, amounts with dots or spaces as thousands separators, SIRETs written with spaces,
NAF codes without their dot, lists separated by ` / ` in some rows and `,` in others,
`NC` in optional amounts, dossier numbers with a `/`. Each row knows the values the hub
must receive (`expected`), so a test compares what was sent with what was meant.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import random
from pathlib import Path
from typing import Any

HEADER = ["N° dossier", "Nom", "Prénom", "Né(e) le", "Téléphone", "SIRET", "Code NAF",
          "Besoins", "Montant demandé", "Apport", "Observations", "Modifié le"]
NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
         "Leroy", "Moreau", "Simon", "Laurent", "Lefèbvre", "Michel", "Garcia", "Roux"]
FIRST = ["Camille", "Léa", "Hugo", "Chloé", "Louis", "Inès", "Jules", "Zoé", "Noé", "Anaïs"]
NAF = ["56.10A", "47.11B", "01.11Z", "43.21A", "96.02A", "10.71C", "55.20Z", "62.01Z"]
NEEDS = {"Financement": "financement", "Local commercial": "local", "Formation": "formation",
         "Réseau": "reseau", "Logement": "logement"}
MEMBER_PREFIX = "MAIRIE-"

MAPPING: dict[str, Any] = {
    "version": 1,
    "identifiant": {"source": "N° dossier", "prefixe": MEMBER_PREFIX},
    "modification": {"source": "Modifié le"},
    "champs": {
        "porteur.nom": {"source": "Nom"},
        "porteur.prenom": {"source": "Prénom"},
        "porteur.date_naissance": {"source": "Né(e) le", "type": "date"},
        "porteur.telephone": {"source": "Téléphone", "type": "telephone",
                              "si_invalide": "ignorer"},
        "projet.siret": {"source": "SIRET", "transformer": ["sans_espaces"]},
        "projet.code_naf": {"source": "Code NAF", "transformer": ["point_naf"]},
        "projet.besoins": {"source": "Besoins", "type": "liste", "separateur": ",",
                           "separateurs": ["/", ";"], "valeurs": NEEDS},
        "financement.besoin_total": {"source": "Montant demandé", "type": "nombre"},
        "financement.apport": {"source": "Apport", "type": "nombre"},
        "consentement.reference": {"source": "N° dossier", "prefixe": "CST-"},
    },
}


def luhn_siret(rng: random.Random) -> str:
    body = [rng.randrange(10) for _ in range(13)]
    for check in range(10):
        digits = [*body, check]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2)
                    for i, d in enumerate(reversed(digits)))
        if total % 10 == 0 and not "".join(map(str, digits)).startswith("356000000"):
            return "".join(map(str, digits))
    raise AssertionError("unreachable")


@dataclasses.dataclass
class Row:
    """One porteur as the agent typed it (`cells`) and as the hub must receive it."""

    dossier: str
    nom: str
    prenom: str
    naissance: dt.date
    telephone: str
    siret: str
    naf: str
    besoins: list[str]
    montant: int
    apport: int | None
    observations: str
    modifie: dt.datetime
    styles: set[str] = dataclasses.field(default_factory=set)
    typed: dict[int, str] = dataclasses.field(default_factory=dict)  # cells typed as is

    @property
    def fiche_id(self) -> str:
        return MEMBER_PREFIX + self.dossier.replace("/", "-")

    def cells(self) -> list[str]:
        year = f"{self.naissance.year % 100:02d}" if "annee_courte" in self.styles else \
            str(self.naissance.year)
        day = f"{self.naissance.day}/{self.naissance.month}/{year}" if "annee_courte" in \
            self.styles else f"{self.naissance:%d/%m/%Y}"
        siret = " ".join([self.siret[:3], self.siret[3:6], self.siret[6:9], self.siret[9:]]) \
            if "siret_espaces" in self.styles else self.siret
        naf = self.naf.replace(".", "") if "naf_sans_point" in self.styles else self.naf
        separator = " / " if "liste_barres" in self.styles else ", "
        labels = [k for k, v in NEEDS.items() if v in self.besoins]
        montant = f"{self.montant:,}".replace(",", "." if "milliers_points" in self.styles
                                               else "\u00a0")
        apport = "NC" if self.apport is None else str(self.apport)
        cells = [self.dossier, self.nom, self.prenom, day, self.telephone, siret, naf,
                 separator.join(labels), montant, apport, self.observations,
                 f"{self.modifie:%d/%m/%Y %H:%M}"]
        for column, text in self.typed.items():
            cells[column] = text
        return cells

    def expected(self) -> dict[str, Any]:
        """What the hub must hold for this row."""
        fiche: dict[str, Any] = {
            "porteur": {"nom": self.nom, "prenom": self.prenom,
                        "date_naissance": self.naissance.isoformat(),
                        "telephone": self.telephone.replace(" ", "")},
            "projet": {"siret": self.siret, "code_naf": self.naf, "besoins": self.besoins},
            "financement": {"besoin_total": self.montant},
            "consentement": {"reference": "CST-" + self.dossier.replace("/", "-")},
        }
        if self.apport is not None:
            fiche["financement"]["apport"] = self.apport
        return fiche


class OfficeExport:
    """`count` rows drawn from `seed`; each style applies to about one row in `every`."""

    STYLES = ("annee_courte", "milliers_points", "siret_espaces", "naf_sans_point",
              "liste_barres", "apport_nc", "multiligne", "dossier_barre")

    def __init__(self, count: int, seed: int = 14, every: int = 4,
                 today: dt.datetime | None = None) -> None:
        rng = random.Random(seed)
        self.today = today or dt.datetime.now().replace(microsecond=0)
        self.rows = [self._row(rng, number, every) for number in range(1, count + 1)]
        self.header = list(HEADER)

    def _row(self, rng: random.Random, number: int, every: int) -> Row:
        styles = {s for s in self.STYLES if rng.randrange(every) == 0}
        dossier = f"2024/{number:04d}" if "dossier_barre" in styles else f"D{number:05d}"
        born = dt.date(rng.randint(1950, 1999), rng.randint(1, 12), rng.randint(1, 28))
        drawn = set(rng.sample(sorted(NEEDS.values()), rng.randint(1, 3)))
        needs = [v for v in NEEDS.values() if v in drawn]  # in the order the cell lists them
        montant = rng.randrange(1, 300) * 1000
        observations = "Premier contact\nRappeler en janvier" if "multiligne" in styles else \
            "RAS"
        return Row(dossier, rng.choice(NAMES), rng.choice(FIRST), born,
                   f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                   f"{rng.randint(10, 99)}", luhn_siret(rng), rng.choice(NAF), needs, montant,
                   None if "apport_nc" in styles else rng.randrange(0, 50) * 100, observations,
                   self.today - dt.timedelta(days=rng.randint(1, 60), minutes=number),
                   styles)

    def with_style(self, style: str) -> list[Row]:
        return [row for row in self.rows if style in row.styles]

    def table(self) -> list[list[str]]:
        return [self.header] + [row.cells() for row in self.rows]

    def write_csv(self, path: Path, encoding: str = "cp1252") -> Path:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerows(self.table())
        path.write_bytes(buffer.getvalue().encode(encoding))
        return path

    def typed_rows(self) -> list[list[Any]]:
        """The rows as a workbook holds them: birth and modification dates as date cells."""
        rows: list[list[Any]] = []
        for row in self.rows:
            cells: list[Any] = row.cells()
            if 3 not in row.typed:
                cells[3] = row.naissance
            cells[11] = row.modifie
            rows.append(cells)
        return rows

    def write_ods(self, path: Path, sheet: str = "Suivi") -> Path:
        from capactif_demo.sim.workbook import write_ods

        return write_ods(path, {"Notes": [["Suivi des porteurs"]],
                                sheet: [self.header, *self.typed_rows()]})

    def write_xlsx(self, path: Path, sheet: str = "Suivi") -> Path:
        """An Excel workbook; dates are real date cells, as an agent's sheet holds them."""
        import openpyxl

        book = openpyxl.Workbook()
        first = book.active
        first.title = "Notes"
        first.append(["Ce classeur suit les porteurs de la commune."])
        table = book.create_sheet(sheet)
        table.append(self.header)
        for cells in self.typed_rows():
            table.append(cells)
        book.save(path)
        return path
