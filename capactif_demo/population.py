"""Generated fiches for the demo and the benchmarks: realistic French porteurs and
projects in communes of Puy-de-Dôme and Haute-Loire (Faker fr_FR, seeded)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from faker import Faker

# (INSEE code, postal code, name) of communes of the Livradois-Forez and around.
COMMUNES = [
    ("63003", "63600", "Ambert"), ("63430", "63300", "Thiers"), ("63010", "63220", "Arlanc"),
    ("63132", "63880", "Cunlhat"), ("63125", "63120", "Courpière"), ("63258", "63880", "Olliergues"),
    ("63040", "63160", "Billom"), ("63014", "63190", "Lezoux"), ("63178", "63500", "Issoire"),
    ("63113", "63000", "Clermont-Ferrand"), ("63300", "63200", "Riom"),
    ("43048", "43160", "La Chaise-Dieu"), ("43080", "43500", "Craponne-sur-Arzon"),
    ("43003", "43270", "Allègre"), ("43157", "43000", "Le Puy-en-Velay"),
    ("43040", "43100", "Brioude"), ("43268", "43200", "Yssingeaux"), ("43012", "43700", "Brives-Charensac"),
]

_PROJECTS = [
    ("Boulangerie bio", "10.71C"), ("Atelier de coutellerie", "25.71Z"), ("Gîte rural", "55.20Z"),
    ("Maraîchage en circuit court", "01.13Z"), ("Garage automobile", "45.20A"),
    ("Salon de coiffure", "96.02A"), ("Menuiserie", "16.23Z"), ("Épicerie de village", "47.11B"),
    ("Élevage caprin et fromagerie", "01.45Z"), ("Conseil en informatique", "62.02A"),
    ("Restaurant traditionnel", "56.10A"), ("Papeterie artisanale", "17.23Z"),
]
HISTORY_DAYS = 540  # eighteen months: three semesters of a steering committee
_STAGES = ["idee", "emergence", "montage", "financement", "installe", "post_creation"]
_NEEDS = ["financement", "local", "logement", "foncier", "formation", "mobilite", "reseau"]


class Population:
    """Deterministic generator of porteurs and of fiches about them."""

    def __init__(self, seed: int = 2026, now: dt.datetime | None = None) -> None:
        """`now`: the day the population is seen from (default: the present), so that a
        console opened today sees porteurs met over the last months, not long ago."""
        self.random = random.Random(seed)
        self.dates = random.Random(seed)  # dates draw from their own stream
        self.now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        self.faker = Faker("fr_FR")
        self.faker.seed_instance(seed)

    def porteur(self) -> dict[str, Any]:
        insee, postal, commune = self.random.choice(COMMUNES)
        first, last = self.faker.first_name(), self.faker.last_name()
        birth = self.faker.date_of_birth(minimum_age=19, maximum_age=64)
        porteur = {
            "nom": last,
            "prenom": first,
            "date_naissance": birth.isoformat(),
            "courriel": f"{_ascii(first)}.{_ascii(last)}@{self.faker.free_email_domain()}",
            "telephone": "0" + self.random.choice("67") + "".join(
                f" {self.random.randint(0, 99):02d}" for _ in range(4)),
            "adresse": {"ligne": self.faker.street_address(), "code_postal": postal,
                        "commune": commune, "code_insee": insee},
            "situation": self.random.choice(["demandeur_emploi", "salarie", "independant",
                                             "beneficiaire_rsa", "agriculteur"]),
        }
        return porteur

    def fiche(self, member: str, fiche_id: str, porteur: dict[str, Any] | None = None,
              version: int = 1) -> dict[str, Any]:
        porteur = porteur or self.porteur()
        title, naf = self.random.choice(_PROJECTS)
        need = self.random.randint(8, 120) * 1000
        self.random.randint(0, 30000)  # kept: the rest of the population stays the same
        met, when = self._met_and_updated()
        fiche = {
            "fiche_id": fiche_id,
            "membre": member,
            "version": version,
            "mis_a_jour_le": when.isoformat(),
            "porteur": porteur,
            "projet": {
                "intitule": title,
                "type": self.random.choice(["creation", "creation", "reprise", "developpement"]),
                "stade": self.random.choice(_STAGES),
                "code_naf": naf,
                "commune_implantation": {"code_insee": porteur["adresse"]["code_insee"],
                                         "nom": porteur["adresse"]["commune"]},
                "besoins": self.random.sample(_NEEDS, self.random.randint(1, 3)),
            },
            "accompagnement": [{"structure": member, "date": met.date().isoformat(),
                                "type": "accueil", "referent": self.faker.name()}],
            "financement": {"besoin_total": need, "apport": need // 5},
            "consentement": {"reference": f"CST-{member}-{fiche_id}"},
        }
        return _with_honour_loan(fiche, when) if member.startswith("pfil-") else fiche

    def _met_and_updated(self) -> tuple[dt.datetime, dt.datetime]:
        """When the porteur was first met (within `HISTORY_DAYS` before `now`) and when
        the fiche was last updated (between then and `now`)."""
        history = HISTORY_DAYS * 24 * 60
        met = self.now - dt.timedelta(minutes=self.dates.randint(0, history))
        since = int((self.now - met).total_seconds() // 60)
        return met, met + dt.timedelta(minutes=self.dates.randint(0, since))

    def invalid_fiche(self, member: str, fiche_id: str) -> tuple[dict[str, Any], str]:
        """A fiche with one realistic mistake, and what the mistake is."""
        fiche = self.fiche(member, fiche_id)
        mistake = self.random.choice(["courriel", "siret", "code_postal", "nom", "date"])
        if mistake == "courriel":
            fiche["porteur"]["courriel"] = fiche["porteur"]["courriel"].replace("@", " at ")
        elif mistake == "siret":
            fiche["projet"]["siret"] = "12345678901234"
        elif mistake == "code_postal":
            fiche["porteur"]["adresse"]["code_postal"] = "6360"
        elif mistake == "nom":
            del fiche["porteur"]["nom"]
        else:
            fiche["porteur"]["date_naissance"] = "31/02/1990"
        return fiche, mistake


def _with_honour_loan(fiche: dict[str, Any], when: dt.datetime) -> dict[str, Any]:
    """A PFIL's porteur at the financing stage or beyond got an honour loan: the amount
    on the fiche and a `financement` step by the PFIL (what the indicators count)."""
    if fiche["projet"]["stade"] in ("financement", "installe", "post_creation"):
        fiche["financement"]["pret_honneur"] = fiche["financement"]["besoin_total"] // 4
        fiche["accompagnement"].append({"structure": fiche["membre"], "type": "financement",
                                        "date": when.date().isoformat()})
    return fiche


def retyped(porteur: dict[str, Any]) -> dict[str, Any]:
    """The same person as another member types them: capitals, no accents, another
    phone layout, an abbreviated street, no e-mail (the hub links them on its own)."""
    address = porteur["adresse"]
    phone = porteur["telephone"].replace(" ", "")
    others = {k: v for k, v in porteur.items() if k != "courriel"}
    return {**others, "nom": _plain(porteur["nom"]).upper(), "prenom": _plain(porteur["prenom"]),
            "telephone": ".".join(phone[i:i + 2] for i in range(0, 10, 2)),
            "adresse": {**address, "ligne": address["ligne"].replace("rue", "r.")
                        .replace("avenue", "av."), "commune": address["commune"].upper()}}


def sparse(porteur: dict[str, Any]) -> dict[str, Any]:
    """What a member noted at a first meeting: the names and the commune only (the hub
    cannot be sure: a coordinator decides)."""
    address = porteur["adresse"]
    return {"nom": porteur["nom"], "prenom": porteur["prenom"],
            "adresse": {k: address[k] for k in ("code_postal", "commune", "code_insee")}}


def _plain(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _ascii(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum() or c == "-") or "porteur"
