"""Realistic French data for simulated member systems (Faker fr_FR, seeded).

Communes: a small table of real communes of Puy-de-Dôme (63) and Haute-Loire (43),
with their INSEE code and postal code (the Livradois-Forez area and the main towns).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import unicodedata

from faker import Faker

# (INSEE code, postal code, name)
COMMUNES: tuple[tuple[str, str, str], ...] = (
    ("63113", "63000", "Clermont-Ferrand"), ("63300", "63200", "Riom"),
    ("63430", "63300", "Thiers"), ("63178", "63500", "Issoire"),
    ("63003", "63600", "Ambert"), ("63124", "63800", "Cournon-d'Auvergne"),
    ("63075", "63400", "Chamalières"), ("63032", "63110", "Beaumont"),
    ("63014", "63170", "Aubière"), ("63284", "63430", "Pont-du-Château"),
    ("63193", "63370", "Lempdes"), ("63164", "63360", "Gerzat"),
    ("63103", "63140", "Châtel-Guyon"), ("63040", "63160", "Billom"),
    ("63470", "63530", "Volvic"), ("63236", "63240", "Le Mont-Dore"),
    ("63047", "63150", "La Bourboule"), ("63125", "63120", "Courpière"),
    ("63195", "63190", "Lezoux"), ("63010", "63220", "Arlanc"),
    ("63258", "63880", "Olliergues"), ("63132", "63590", "Cunlhat"),
    ("43157", "43000", "Le Puy-en-Velay"), ("43268", "43200", "Yssingeaux"),
    ("43040", "43100", "Brioude"), ("43137", "43120", "Monistrol-sur-Loire"),
    ("43224", "43600", "Sainte-Sigolène"), ("43112", "43300", "Langeac"),
    ("43048", "43160", "La Chaise-Dieu"), ("43080", "43500", "Craponne-sur-Arzon"),
    ("43003", "43270", "Allègre"), ("43162", "43130", "Retournac"),
    ("43020", "43210", "Bas-en-Basset"), ("43244", "43190", "Tence"),
    ("43012", "43110", "Aurec-sur-Loire"), ("43234", "43170", "Saugues"),
)

# (project title, NAF code)
PROJECTS: tuple[tuple[str, str], ...] = (
    ("Boulangerie-pâtisserie", "10.71C"), ("Restaurant traditionnel", "56.10A"),
    ("Gîte rural", "55.20Z"), ("Menuiserie", "43.32A"), ("Salon de coiffure", "96.02A"),
    ("Maraîchage biologique", "01.13Z"), ("Élevage caprin et fromagerie", "01.45Z"),
    ("Épicerie de village", "47.11B"), ("Plomberie-chauffage", "43.22A"),
    ("Conseil en informatique", "62.02A"), ("Taxi et transport de personnes", "49.32Z"),
    ("Atelier de coutellerie", "25.71Z"), ("Librairie-café", "47.61Z"),
)

PHONE_STYLES = ("{a} {b} {c} {d} {e}", "{a}.{b}.{c}.{d}.{e}", "{a}{b}{c}{d}{e}",
                "+33 {a1} {b} {c} {d} {e}", "+33 (0){a1} {b} {c} {d} {e}",
                "0033{a1}{b}{c}{d}{e}", "{a}-{b}-{c}-{d}-{e}")


@dataclasses.dataclass
class Person:
    """One porteur as a member's system knows them."""

    number: int
    nom: str
    prenom: str
    naissance: dt.date
    courriel: str
    telephone: str
    rue: str
    commune: tuple[str, str, str]
    projet: tuple[str, str]
    stade: int  # 0..6, in the hub's order: idee .. abandonne
    besoin: float
    besoins: list[int]
    siret: str | None
    modifie: dt.datetime


def ascii_slug(text: str) -> str:
    bare = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in bare.lower() if c.isalnum() or c == "-")


def phone_text(rng: random.Random) -> str:
    """A French mobile or landline number written in one of the usual ways."""
    first = rng.choice("1234567") if rng.random() < 0.4 else rng.choice("67")
    pairs = [f"{rng.randrange(100):02d}" for _ in range(4)]
    return rng.choice(PHONE_STYLES).format(
        a="0" + first, a1=first, b=pairs[0], c=pairs[1], d=pairs[2], e=pairs[3])


def siret(rng: random.Random) -> str:
    """14 digits with a valid Luhn key."""
    body = [rng.randrange(10) for _ in range(13)]
    for key in range(10):
        digits = [*body, key]
        total = sum((d * 2 - 9 if d > 4 else d * 2) if i % 2 else d
                    for i, d in enumerate(reversed(digits)))
        if total % 10 == 0:
            return "".join(map(str, digits))
    raise AssertionError("unreachable")


class PeopleFactory:
    """Seeded people; Faker fills pools once, then the factory combines them fast."""

    def __init__(self, seed: int = 63, pool: int = 400) -> None:
        fake = Faker("fr_FR")
        fake.seed_instance(seed)
        self.rng = random.Random(seed)
        self.last_names = [fake.last_name() for _ in range(pool)]
        self.first_names = [fake.first_name() for _ in range(pool)]
        self.streets = [fake.street_address().replace("\n", " ") for _ in range(pool)]
        self.domains = ["orange.fr", "free.fr", "gmail.com", "laposte.net", "sfr.fr", "wanadoo.fr"]
        self.now = dt.datetime(2025, 3, 14, 17, 0, tzinfo=dt.UTC)

    def person(self, number: int) -> Person:
        rng = self.rng
        nom, prenom = rng.choice(self.last_names), rng.choice(self.first_names)
        stade = rng.choices(range(7), weights=(20, 25, 20, 12, 10, 5, 8))[0]
        return Person(
            number=number, nom=nom, prenom=prenom,
            naissance=dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000)),
            courriel=f"{ascii_slug(prenom)}.{ascii_slug(nom)}{rng.randrange(100)}@"
                     f"{rng.choice(self.domains)}",
            telephone=phone_text(rng), rue=rng.choice(self.streets),
            commune=rng.choice(COMMUNES), projet=rng.choice(PROJECTS), stade=stade,
            besoin=round(rng.uniform(3000, 250000), rng.choice((0, 2))),
            besoins=sorted(rng.sample(range(6), rng.randrange(0, 3))),
            siret=siret(rng) if stade in (4, 5) else None,
            modifie=self.now - dt.timedelta(minutes=rng.randrange(60 * 24 * 400)),
        )

    def people(self, count: int, start: int = 1) -> list[Person]:
        return [self.person(n) for n in range(start, start + count)]
