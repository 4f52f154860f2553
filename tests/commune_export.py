"""A seeded export of a commune's follow-up sheet, written the way office tools really do.

Independent of the demo's generators and of `tests/office_export.py`: it adds what an
agent's sheet holds above and below the table (a titles block, blank lines, a totals
row), dates typed as Excel serial numbers, nine phone formats, bad SIRETs, impossible
dates, duplicated dossier numbers and a trailing empty column. Each row records whether
it is meant to reach the hub (`good`) so a test checks the run's counts exactly.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import random
from pathlib import Path
from typing import Any

from tests.office_export import luhn_siret

HEADER = ["N° dossier", "Nom", "Prénom", "Date de naissance", "Tél.", "SIRET", "NAF",
          "Besoins", "Montant", "Apport", "Commentaire", "Mise à jour", ""]
TITLES = [["Commune de Saint-Amant - Suivi des porteurs de projet"],
          ["Export du 02/12/2026", "", "Service développement économique"], []]
NAMES = ["Aubert", "Blanc", "Chevalier", "Da Silva", "Émery", "Faure", "Gautier", "Hoarau",
         "Jacquet", "Lemaître", "N'Diaye", "Perrin", "Roussel", "Vasseur"]
FIRST = ["Agathe", "Bastien", "Célia", "Dylan", "Élodie", "Fanny", "Gaël", "Hélène", "Yanis"]
NAF = ["56.10A", "47.11B", "43.21A", "96.02A", "10.71C", "62.01Z", "88.91A"]
NEEDS = {"Financement": "financement", "Local": "local", "Formation": "formation",
         "Réseau": "reseau"}
PHONES = ["06 12 34 56 {:02d}", "0612 34 56 {:02d}", "06.12.34.56.{:02d}", "06-12-34-56-{:02d}",
          "+33 6 12 34 56 {:02d}", "+33 (0)6 12 34 56 {:02d}", "0033 6 12 34 56 {:02d}",
          "6 12 34 56 {:02d}", "061234 56{:02d}"]
EXCEL_EPOCH = dt.date(1899, 12, 30)

MAPPING: dict[str, Any] = {
    "version": 1,
    "identifiant": {"source": "N° dossier", "prefixe": "STAMANT-"},
    "modification": {"source": "Mise à jour"},
    "champs": {
        "porteur.nom": {"source": "Nom"},
        "porteur.prenom": {"source": "Prénom"},
        "porteur.date_naissance": {"source": "Date de naissance", "type": "date"},
        "porteur.telephone": {"source": "Tél.", "type": "telephone", "si_invalide": "ignorer"},
        "projet.siret": {"source": "SIRET", "transformer": ["sans_espaces"],
                         "si_invalide": "ignorer"},
        "projet.code_naf": {"source": "NAF", "transformer": ["point_naf"]},
        "projet.besoins": {"source": "Besoins", "type": "liste", "separateur": ",",
                           "separateurs": ["/", ";", "+"], "valeurs": NEEDS},
        "financement.besoin_total": {"source": "Montant", "type": "nombre"},
        "financement.apport": {"source": "Apport", "type": "nombre"},
        "consentement.reference": {"source": "N° dossier", "prefixe": "CST-"},
    },
}


@dataclasses.dataclass
class Line:
    """One row as typed; `good` is False for rows the connector must reject."""

    cells: list[str]
    quirks: set[str]
    good: bool = True


class CommuneExport:
    """`count` rows drawn from `seed` (about one row in ten carries each quirk)."""

    def __init__(self, count: int = 1800, seed: int = 2026) -> None:
        self.rng = random.Random(seed)
        self.lines = [self._line(n) for n in range(1, count + 1)]
        for first, second in ((10, 11), (count // 4, count // 2)):  # a dossier typed twice
            self.lines[second].cells[0] = self.lines[first].cells[0]
            self.lines[first].good = self.lines[second].good = False
            self.lines[second].quirks.add("doublon")

    def _line(self, number: int) -> Line:
        rng, quirks = self.rng, set()

        def quirk(name: str, every: int = 10) -> bool:
            if rng.randrange(every) == 0:
                quirks.add(name)
                return True
            return False

        good = True
        dossier = f"2025/{number:04d}" if quirk("dossier_barre") else f"SA-{number:05d}"
        born = dt.date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28))
        if quirk("naissance_serie"):
            naissance = str((born - EXCEL_EPOCH).days)
        elif quirk("annee_courte"):
            naissance = f"{born.day}/{born.month}/{born.year % 100:02d}"
        elif quirk("date_impossible", 60):
            naissance, good = f"31/02/{born.year}", False
        else:
            naissance = f"{born:%d/%m/%Y}"
        phone = rng.choice(PHONES).format(number % 100)
        if quirk("telephone_faux", 40):
            phone = "06 12"
        code = luhn_siret(rng)
        if quirk("siret_espaces"):
            code = f"{code[:3]} {code[3:6]} {code[6:9]} {code[9:]}"
        elif quirk("siret_faux", 30):
            code = code[:-1] + str((int(code[-1]) + 1) % 10)
        naf = rng.choice(NAF)
        if quirk("naf_sans_point"):
            naf = naf.replace(".", "")
        labels = rng.sample(sorted(NEEDS), rng.randint(1, 3))
        needs = rng.choice([", ", " / ", ";", " + "]).join(labels)
        amount = rng.randrange(1, 400) * 250 + rng.choice([0, 0, 50])
        if quirk("milliers_points"):
            montant = f"{amount:,}".replace(",", ".") if amount >= 1000 else str(amount)
        elif quirk("espace_insecable"):
            montant = f"{amount:,}".replace(",", "\u00a0") + ",50"
        else:
            montant = f"{amount:,}".replace(",", " ") + (",50" if number % 3 else "")
        apport = "NC" if quirk("apport_nc") else str(rng.randrange(0, 40) * 100)
        comment = "Vu le 3/11; rappeler\nAttente du \"Kbis\"" if quirk("multiligne") else ""
        when = dt.datetime(2026, 11, 1, 9) + dt.timedelta(hours=number)
        stamp = f"{when:%d/%m/%Y %H:%M}"
        if quirk("maj_serie", 20):  # a date-time cell that lost its format: days, fraction
            stamp = str((when - dt.datetime(1899, 12, 30)) / dt.timedelta(days=1)).replace(
                ".", ",")
        return Line([dossier, rng.choice(NAMES), rng.choice(FIRST), naissance, phone, code, naf,
                     needs, montant, apport, comment, stamp, ""], quirks, good)

    @property
    def good(self) -> int:
        return sum(line.good for line in self.lines)

    def table(self, *, titles: bool = True, totals: bool = True,
              blanks: bool = True) -> list[list[Any]]:
        rows: list[list[Any]] = [list(t) for t in TITLES] if titles else []
        rows.append(list(HEADER))
        for index, line in enumerate(self.lines):
            rows.append(list(line.cells))
            if blanks and index % 250 == 249:
                rows.append([""] * len(HEADER))
        if totals:
            total = sum(int(line.cells[9]) for line in self.lines if line.cells[9].isdigit())
            rows.append(["", "TOTAL", "", "", "", "", "", "", "", str(total), "", "", ""])
        return rows

    def write_csv(self, path: Path, encoding: str = "cp1252", **parts: bool) -> Path:
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(self.table(**parts))
        path.write_bytes(buffer.getvalue().encode(encoding))
        return path

    def write_xlsx(self, path: Path, sheet: str = "Porteurs", **parts: bool) -> Path:
        import openpyxl

        book = openpyxl.Workbook()
        table = book.active
        table.title = sheet
        for row in self.table(**parts):
            table.append([_typed(cell) for cell in row])
        book.save(path)
        return path

    def write_ods(self, path: Path, sheet: str = "Porteurs", **parts: bool) -> Path:
        from capactif_demo.sim.workbook import write_ods

        return write_ods(path, {sheet: [[_typed(c) for c in row]
                                        for row in self.table(**parts)]})


def _typed(cell: str) -> Any:
    """A cell as a spreadsheet stores it: whole numbers typed as numbers."""
    return int(cell) if cell.isdigit() and not cell.startswith("0") else cell
