"""A seeded synthetic French population with known truth, for the dedup benchmarks.

People (Faker fr_FR names, Zipf-distributed so MARTIN is common, plus a long
tail of rare surnames; compound first names; particles) live in ~170 communes
of a rural park, in households that share a surname, an address and a landline;
some are twins; some married women use their spouse's name. Each person is met
by 1 to 5 members, each typing the person its own way: typos, dropped accents,
case, hyphens, initials, nicknames, swapped first/last names, day/month swaps,
missing fields, garbage dates and phones, several e-mails.

`generate(size, seed)` returns (rows, truth): CSV-ready dicts and, per row, the person.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import itertools
import random
import unicodedata

import phonenumbers
from faker import Faker
from faker.providers.person.fr_FR import Provider as FrNames
from rapidfuzz.distance import OSA, JaroWinkler

COLUMNS = ["id", "nom", "nom_naissance", "prenom", "date_naissance", "courriel", "telephone",
           "adresse_ligne", "code_postal", "commune"]
_SYLLABLES = ["ker", "gue", "len", "mor", "van", "bri", "lou", "zac", "pel", "tan", "rou",
              "fol", "gar", "dieu", "mas", "sou", "bel", "cha", "vil", "lar", "nec", "hou"]
_PARTICLE_NAMES = ["de la Fontaine", "Le Gall", "D'Artagnan", "de Saint-Exupéry", "Du Pont",
                   "Le Goff", "de Villiers", "L'Hermite", "Le Bihan", "de la Roche"]
_NICKNAMES = {"Emmanuel": "Manu", "Frédéric": "Fred", "Sébastien": "Seb", "Nicolas": "Nico",
              "Alexandre": "Alex", "Catherine": "Cathy", "Isabelle": "Isa", "Julien": "Juju",
              "Christophe": "Chris", "Maxime": "Max", "Dominique": "Dom", "Thomas": "Tom",
              "Stéphane": "Steph", "Mathilde": "Mathou", "Guillaume": "Guigui"}
_DOMAINS = ["gmail.com", "orange.fr", "free.fr", "laposte.net", "wanadoo.fr", "sfr.fr",
            "hotmail.fr", "yahoo.fr"]
_STREET_SHORT = {"avenue": "av.", "boulevard": "bd", "rue": "r.", "chemin": "ch.",
                 "place": "pl.", "impasse": "imp."}


@dataclasses.dataclass
class Person:
    person_id: int
    nom: str
    nom_naissance: str | None
    prenom: str
    born: dt.date
    emails: list[str]
    phone: str
    landline: str | None
    street: str
    postcode: str
    commune: str
    # The home before a move (`households="dense"`): some members still type it.
    moved_from: tuple[str, str, str] | None = None


class _World:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.phone_rng: random.Random | None = None  # the writings added since (`generate`)
        self.dense = False  # households="dense" (`generate`)
        self.fake = Faker("fr_FR")
        self.fake.seed_instance(seed)
        self.communes = [(self.fake.city(), f"{self.rng.choice(['03', '15', '43', '63'])}"
                          f"{self.rng.randrange(100, 999)}") for _ in range(170)]
        last = list(FrNames.last_names)
        self.surname_weights = [1 / (rank + 1) ** 0.9 for rank in range(len(last))]
        self.last_names = last
        self.firsts = {"F": list(FrNames.first_names_female), "M": list(FrNames.first_names_male)}
        self.first_weights = {
            sex: [1 / (rank + 1) ** 0.7 for rank in range(len(names))]
            for sex, names in self.firsts.items()
        }

    def surname(self) -> str:
        roll = self.rng.random()
        if roll < 0.03:
            return self.rng.choice(_PARTICLE_NAMES)
        if roll < 0.35:  # long tail of rare names
            parts = self.rng.randint(2, 3)
            return "".join(self.rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()
        name = self.rng.choices(self.last_names, self.surname_weights)[0]
        if self.rng.random() < 0.04:
            name = f"{name}-{self.rng.choice(self.last_names)}"
        return name

    def first_name(self, sex: str) -> str:
        names = self.firsts[sex]
        first = self.rng.choices(names, self.first_weights[sex])[0]
        if self.rng.random() < 0.1:
            second = self.rng.choice(names)
            first = f"{'Jean' if sex == 'M' else 'Marie'}-{second}"
        return first

    def phone(self, mobile: bool = True) -> str:
        head = self.rng.choice(["06", "07"]) if mobile else self.rng.choice(["04", "05"])
        return head + "".join(str(self.rng.randrange(10)) for _ in range(8))

    def email(self, prenom: str, nom: str) -> str:
        local = f"{_ascii(prenom).lower()}.{_ascii(nom).lower()}".replace(" ", "").replace("'", "")
        if self.rng.random() < 0.5:
            local += str(self.rng.randrange(1, 99))
        return f"{local}@{self.rng.choice(_DOMAINS)}"


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _people(world: _World, count: int) -> list[Person]:
    rng, people = world.rng, []
    while len(people) < count:
        household_size = rng.choices([1, 2, 3, 4, 5], _DENSE_SIZES if world.dense else (
            0.45, 0.3, 0.15, 0.1, 0.0))[0]
        family = world.surname()
        commune, postcode = rng.choice(world.communes)
        street = world.fake.street_address()
        landline = world.phone(mobile=False) if rng.random() < 0.5 else None
        twins = rng.random() < (_DENSE_TWINS if world.dense else 0.04)
        moved_from = None
        if world.dense and rng.random() < _DENSE_MOVES:
            old_commune, old_postcode = rng.choice(world.communes)
            moved_from = (world.fake.street_address(), old_postcode, old_commune)
        born_twins = dt.date(rng.randint(1955, 2004), rng.randint(1, 12), rng.randint(1, 28))
        for member in range(household_size):
            sex = rng.choice("FM")
            prenom = world.first_name(sex)
            while twins and member == 1 and prenom == people[-1].prenom:
                prenom = world.first_name(sex)  # parents do not give twins one name
            born = born_twins if twins and member < 2 else dt.date(
                rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
            nom, nom_naissance = family, None
            if sex == "F" and member == 1 and rng.random() < 0.7:
                nom_naissance = world.surname()  # the spouse, married under the family name
            emails = [world.email(prenom, nom)]
            if rng.random() < 0.2:
                emails.append(world.email(prenom, nom_naissance or nom))
            people.append(Person(len(people), nom, nom_naissance, prenom, born, emails,
                                 world.phone(), landline, street, postcode, commune,
                                 moved_from))
    return people[:count]


# households="dense": a population like the held-out one of issue 16 (families and twins
# at one address, moves, phone formats): bigger households (up to 5), twins in one home
# in six, a family moved in four (each record of theirs typed with the old home at
# `_OLD_HOME`), and a phone written another way (`_PHONE_WRITINGS`) in one record in four.
_DENSE_SIZES = (0.25, 0.3, 0.2, 0.15, 0.1)
_DENSE_TWINS = 0.16
_DENSE_MOVES = 0.25
_OLD_HOME = 0.4
_DENSE_OTHER_WRITINGS = 0.25


def generate(size: int = 10_000, seed: int = 7, twins_share_email: float = 0.0,
             legacy_phones: bool = False, other_scripts: float = 0.0, households: str = "",
             namesakes: float = 0.0, twins_alike: float = 0.0, namesakes_swapped: float = 0.0,
             ) -> tuple[list[dict[str, str]], list[int]]:
    """`size` rows (records) and, for each, the index of the true person.

    `twins_share_email`: the share of twin pairs given one e-mail between them (the first
    twin's: a family address), drawn apart from the rest so that every other value of
    the population is the same as with 0.

    Phones are numbers that exist (a drawn number the phone plan has not allocated, as
    07 19 ... or 04 00 ..., gets other digits after its prefix), 3 % of people carry
    the mobile of an overseas department they came from (0692 ..., 0690 ...), and some
    members write numbers as +33 (0)6 ..., 0033 6 ... or +262 692 ...; all drawn apart
    (`_realistic_phones`), so every other value is the same as with `legacy_phones`,
    the population before (numbers drawn digit by digit: 30 % of its 07 mobiles and 10 %
    of its 04 landlines are no number and read as missing).

    `other_scripts`: the share of households whose names are Russian, Greek, Arabic or
    Chinese (`_SCRIPT_NAMES`); each member types such a person's names in their script
    or in Latin letters as a French office writes them (Kouznetsov, Youssef), drawn apart
    so that every other value is the same as with 0.

    `households`: "dense" for more and bigger households, more twins, moves and phone
    writings (`_DENSE_SIZES`); "" the population as before.

    `namesakes`: the share of people given a namesake (`_give_namesakes`); `twins_alike`:
    the share of twin pairs whose first names look alike (`_alike_twins`). Both drawn
    apart, so that every other value of the population is the same as with 0.
    `namesakes_swapped`: the share of namesakes born on the other's date with its day and
    month exchanged (where that is another date), drawn apart too.
    """
    world = _World(seed)
    world.dense = households == "dense"
    rng = world.rng
    people = _people(world, int(size / 1.9) + 1)
    _share_twins_email(people, random.Random(f"twins-{seed}"), twins_share_email)
    if not legacy_phones:
        world.phone_rng = random.Random(f"phones-{seed}")
        _realistic_phones(people, world.phone_rng)
    rows: list[dict[str, str]] = []
    truth: list[int] = []
    for person in people:
        copies = rng.choices([1, 2, 3, 4, 5], [0.42, 0.3, 0.15, 0.08, 0.05])[0]
        for _ in range(copies):
            rows.append(_corrupt(world, person))
            truth.append(person.person_id)
    changed = _alike_twins(world, people, random.Random(f"alike-{seed}"), twins_alike) | (
        _give_namesakes(people, random.Random(f"namesakes-{seed}"), namesakes,
                        random.Random(f"namesakes-swapped-{seed}"), namesakes_swapped))
    if changed:  # their records typed again with a stream of their own: the rest as with 0
        typist = copy.copy(world)
        typist.rng = random.Random(f"retyped-{seed}")
        typist.phone_rng = world.phone_rng and random.Random(f"retyped-phones-{seed}")
        rows = [_corrupt(typist, people[t]) if t in changed else row
                for row, t in zip(rows, truth, strict=True)]
    order = list(range(len(rows)))
    rng.shuffle(order)
    order = order[:size]
    rows = [rows[i] for i in order]
    truth = [truth[i] for i in order]
    for index, row in enumerate(rows):
        row["id"] = f"R{index:07d}"
    if other_scripts:
        _other_scripts(people, rows, truth, random.Random(f"scripts-{seed}"), other_scripts)
    return rows, truth


def _share_twins_email(people: list[Person], rng: random.Random, share: float) -> None:
    """The second twin of a share of twin pairs takes the first twin's e-mail. The list
    keeps its length, so the typing of every record draws as before."""
    for first, second in itertools.pairwise(people):
        twins = (first.born == second.born and first.street == second.street
                 and first.nom == second.nom and first.person_id + 1 == second.person_id)
        if twins and share and rng.random() < share:
            second.emails = [first.emails[0]] * len(second.emails)


def _alone(people: list[Person]) -> list[Person]:
    """The people living alone: `_people` makes a household's members one after the
    other, with one surname and one street."""
    home = [(p.street, p.postcode, p.nom) for p in people]
    return [p for i, p in enumerate(people)
            if home[i] not in {home[i - 1] if i else None, home[i + 1] if i + 1 < len(home) else None}]


def _give_namesakes(people: list[Person], rng: random.Random, share: float,
                    swap_rng: random.Random | None = None, swapped: float = 0.0) -> set[int]:
    """A share of people get a namesake: someone living alone elsewhere takes their
    surname, first name and birth date (and an e-mail made of those names), keeping their
    own home, phones and records. People are drawn whatever their names, so a rare name
    has its namesake as often as MARTIN Marie: harder than life, where namesakes are
    mostly people of common names. A namesake lives alone: their number stops growing
    with the share once every one living alone is one (1,500 records of plain households:
    2 pairs at 0, 14 at 0.05, 81 at 0.3, 85 at 1.0). A share `swapped` of them (drawn
    by `swap_rng`) is born on the other's date with day and month exchanged, where that is
    another date: the birth date's swapped level between two people."""
    chosen = [p for p in people if share and rng.random() < share]
    taken = {p.person_id for p in chosen}
    living_alone = _alone(people)
    alone = [p for p in living_alone if p.person_id not in taken]
    rng.shuffle(alone)
    # At a high share few people living alone are left unchosen: chosen ones living alone
    # become namesakes instead, as many as balance the two lists, so a greater share
    # still gives more namesakes (up to everyone living alone at 1.0).
    alone_ids = {p.person_id for p in living_alone}
    spare = [p for p in reversed(chosen) if p.person_id in alone_ids]
    moved = spare[:max(0, (len(chosen) - len(alone) + 1) // 2)]
    if moved:
        moved_ids = {p.person_id for p in moved}
        chosen = [p for p in chosen if p.person_id not in moved_ids]
        alone += moved
    given = set()
    for person, namesake in zip(chosen, alone, strict=False):
        namesake.nom, namesake.nom_naissance = person.nom, None
        namesake.prenom, namesake.born = person.prenom, person.born
        if swap_rng and swapped and swap_rng.random() < swapped:
            namesake.born = _day_month_swapped(person.born)
        namesake.emails = [_email_of(rng, person.prenom, person.nom)]
        given.add(namesake.person_id)
    return given


def _day_month_swapped(born: dt.date) -> dt.date:
    """The date with its day and month exchanged; the date itself where that is none."""
    if born.day > 12 or born.day == born.month:
        return born
    return dt.date(born.year, born.day, born.month)


def _email_of(rng: random.Random, prenom: str, nom: str) -> str:
    local = f"{_ascii(prenom).lower()}.{_ascii(nom).lower()}".replace(" ", "").replace("'", "")
    return f"{local}{rng.randrange(1, 99)}@{rng.choice(_DOMAINS)}"


def _alike_twins(world: _World, people: list[Person], rng: random.Random, share: float,
                 ) -> set[int]:
    """The second twin of a share of twin pairs takes a first name alike the first twin's
    (`_alike`: the same first three letters, or Jaro-Winkler 0.85 or more: Julien /
    Juliette, Maël / Maëlys), with an e-mail made of it."""
    renamed: set[int] = set()
    for first, second in itertools.pairwise(people):
        twins = (first.born == second.born and first.street == second.street
                 and first.nom == second.nom and first.person_id + 1 == second.person_id)
        if not (share and twins and rng.random() < share):
            continue
        names = [n for sex in ("F", "M") for n in world.firsts[sex]
                 if n != first.prenom and _alike(n, first.prenom)]
        if names:
            second.prenom = rng.choice(sorted(names))
            second.emails = [_email_of(rng, second.prenom, second.nom)]
            renamed.add(second.person_id)
    return renamed


def _alike(name: str, other: str) -> bool:
    """Alike, as parents may name twins: not two writings of one name (a letter apart
    once accents are dropped: Thibaut / Thibault, René / Renée), nor a name and its part
    (Marie-Joséphine / Marie), which no record tells from a retyped one."""
    a, b = _ascii(name).lower(), _ascii(other).lower()
    one_name = OSA.distance(a, b) <= 1 or bool(set(a.split("-")) & set(b.split("-")))
    return not one_name and (a[:3] == b[:3] or JaroWinkler.similarity(a, b) >= 0.85)


# (in its script, in Latin letters as a French office types it), surnames then first names.
_SCRIPT_NAMES = {
    "cyrillic": ([("Иванов", "Ivanov"), ("Смирнов", "Smirnov"), ("Кузнецов", "Kouznetsov"),
                  ("Попов", "Popov"), ("Соколов", "Sokolov"), ("Лебедев", "Lebedev"),
                  ("Волков", "Volkov"), ("Морозов", "Morozov")],
                 [("Дмитрий", "Dmitri"), ("Наталья", "Natalia"), ("Ольга", "Olga"),
                  ("Сергей", "Sergueï"), ("Анна", "Anna"), ("Иван", "Ivan"),
                  ("Елена", "Elena"), ("Алексей", "Alexeï"), ("Татьяна", "Tatiana")]),
    "greek": ([("Παπαδόπουλος", "Papadopoulos"), ("Γεωργίου", "Georgiou"),
               ("Νικολάου", "Nikolaou"), ("Οικονόμου", "Oikonomou"),
               ("Παπαδάκης", "Papadakis"), ("Αλεξίου", "Alexiou")],
              [("Γιώργος", "Giorgos"), ("Μαρία", "Maria"), ("Δημήτρης", "Dimitris"),
               ("Ελένη", "Eleni"), ("Νίκος", "Nikos"), ("Κατερίνα", "Katerina")]),
    "arabic": ([("حداد", "Haddad"), ("منصور", "Mansour"), ("خليل", "Khalil"),
                ("بن علي", "Ben Ali"), ("عمران", "Imrane"), ("سعيد", "Saïd")],
               [("محمد", "Mohamed"), ("فاطمة", "Fatima"), ("يوسف", "Youssef"),
                ("أمينة", "Amina"), ("كريم", "Karim"), ("خديجة", "Khadija"),
                ("أحمد", "Ahmed"), ("سارة", "Sara")]),
    "chinese": ([("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"),
                 ("杨", "Yang")],
                [("伟", "Wei"), ("芳", "Fang"), ("小明", "Xiaoming"), ("静", "Jing"),
                 ("磊", "Lei"), ("丽娜", "Lina")]),
}


def _other_scripts(people: list[Person], rows: list[dict[str, str]], truth: list[int],
                   rng: random.Random, share: float) -> None:
    """A share of households named in another script, typed again on every row of theirs
    (in the script, or in Latin letters with the population's typos and capitals); a row
    keeps its blanks, its other fields and its place, so the rest of the population is
    the same as without."""
    names: dict[int, tuple[tuple[str, str], tuple[str, str], str]] = {}
    household: tuple[str, str, str] | None = None
    script, surname, given = "", ("", ""), list[tuple[str, str]]()
    for person in people:
        key = (person.nom, person.street, person.postcode)
        if household != key:
            household = key
            script = rng.choice(sorted(_SCRIPT_NAMES)) if rng.random() < share else ""
            if script:
                surname = rng.choice(_SCRIPT_NAMES[script][0])
                given = rng.sample(_SCRIPT_NAMES[script][1], 4)  # one name each at home
        if script:
            first = given.pop()
            local = f"{_ascii(first[1])}.{_ascii(surname[1])}".lower().replace(" ", "")
            names[person.person_id] = (surname, first, f"{local}{rng.randrange(1, 99)}@"
                                                        f"{rng.choice(_DOMAINS)}")
    for row, person_id in zip(rows, truth, strict=True):
        if person_id not in names:
            continue
        surname, first, email = names[person_id]
        written = 0 if rng.random() < 0.6 else 1
        nom, prenom = surname[written], first[written]
        if written:
            nom = _typo(rng, nom) if rng.random() < 0.08 else nom
            prenom = _typo(rng, prenom) if rng.random() < 0.06 else prenom
            nom, prenom = _case(rng, nom), _case(rng, prenom)
        row.update(nom=nom if row["nom"] else "", prenom=prenom if row["prenom"] else "",
                   nom_naissance="", courriel=email if row["courriel"] else "")


# An overseas department's mobile prefix, and its country code written internationally.
_OVERSEAS_MOBILES = {"0692": "+262 ", "0693": "+262 ", "0639": "+262 ", "0690": "+590 ",
                     "0696": "+596 ", "0694": "+594 "}


def _realistic_phones(people: list[Person], rng: random.Random) -> None:
    """Numbers that exist; an overseas mobile for 3 % of people (a household's members
    share their landline, as before: `landlines` keeps one number per household)."""
    landlines: dict[str, str] = {}
    for person in people:
        person.phone = _allocated(person.phone, rng)
        if rng.random() < 0.03:
            head = rng.choice(sorted(_OVERSEAS_MOBILES))
            person.phone = _allocated(head + "".join(str(rng.randrange(10)) for _ in range(6)),
                                      rng)
        if person.landline:
            person.landline = landlines.setdefault(person.landline,
                                                   _allocated(person.landline, rng))


def _allocated(number: str, rng: random.Random) -> str:
    """The number, or one of its prefix (4 digits for an overseas one, 2 otherwise) that
    the phone plan allocates (the phone library's plan, not the hub's reading of it)."""
    overseas = number[:4] in _OVERSEAS_MOBILES
    region = _OVERSEAS_REGION.get(number[:4], "FR")
    keep = 4 if overseas else 2
    while not phonenumbers.is_valid_number(phonenumbers.parse(number, region)):
        number = number[:keep] + "".join(str(rng.randrange(10)) for _ in range(10 - keep))
    return number


_OVERSEAS_REGION = {"0692": "RE", "0693": "RE", "0639": "YT", "0690": "GP", "0696": "MQ",
                    "0694": "GF"}


def _corrupt(world: _World, p: Person) -> dict[str, str]:
    rng = world.rng
    nom, nom_naissance, prenom = p.nom, p.nom_naissance or "", p.prenom
    if nom_naissance and rng.random() < 0.25:
        nom, nom_naissance = nom_naissance, ""  # this member knows her maiden name only
    elif nom_naissance and rng.random() < 0.5:
        nom_naissance = ""
    prenom = _first_name_variant(rng, prenom)
    nom = _typo(rng, nom) if rng.random() < 0.08 else nom
    prenom = _typo(rng, prenom) if rng.random() < 0.06 else prenom
    if rng.random() < 0.03:
        nom, prenom = prenom, nom
    nom, prenom, nom_naissance = (_case(rng, v) for v in (nom, prenom, nom_naissance))
    return {
        "nom": _blank(rng, nom, 0.02), "nom_naissance": nom_naissance,
        "prenom": _blank(rng, prenom, 0.02), "date_naissance": _date(rng, p.born),
        "courriel": _blank(rng, _email(rng, p), 0.35), "telephone": _phone(world, p),
        **_home(rng, p),
    }


def _home(rng: random.Random, p: Person) -> dict[str, str]:
    """The home as a member types it: the one before a move at `_OLD_HOME` for a person
    who moved (the member met them before)."""
    street, postcode, commune = (p.moved_from if p.moved_from and rng.random() < _OLD_HOME
                                 else (p.street, p.postcode, p.commune))
    return {"adresse_ligne": _blank(rng, _street(rng, street), 0.25),
            "code_postal": _blank(rng, postcode, 0.1), "commune": _blank(rng, commune, 0.15)}


def _first_name_variant(rng: random.Random, prenom: str) -> str:
    roll = rng.random()
    if "-" in prenom and roll < 0.3:
        return rng.choice([prenom.replace("-", " "), prenom.split("-")[0],
                           "".join(w[0] + "." for w in prenom.split("-"))])
    if prenom in _NICKNAMES and roll < 0.15:
        return _NICKNAMES[prenom]
    return prenom


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    at = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(4)
    letter = rng.choice("aeioulnrstm")
    if kind == 0:
        return text[:at] + text[at + 1 :]
    if kind == 1:
        return text[:at] + letter + text[at:]
    if kind == 2:
        return text[:at] + letter + text[at + 1 :]
    return text[: at - 1] + text[at] + text[at - 1] + text[at + 1 :]


def _case(rng: random.Random, text: str) -> str:
    roll = rng.random()
    if roll < 0.3:
        text = _ascii(text)
    if roll < 0.15 or 0.5 < roll < 0.75:
        return text.upper()
    return text.lower() if roll > 0.95 else text


def _blank(rng: random.Random, value: str, probability: float) -> str:
    return "" if rng.random() < probability else value


def _date(rng: random.Random, born: dt.date) -> str:
    roll = rng.random()
    if roll < 0.15:
        return ""
    if roll < 0.17:
        return rng.choice(["00/00/0000", "inconnue", "01/01/1900", "31/02/1980"])
    day, month, year = born.day, born.month, born.year
    if roll < 0.21 and day <= 12:
        day, month = month, day
    elif roll < 0.24:
        day = min(max(day + rng.choice([-1, 1, 10, -10]), 1), 28)
    if rng.random() < 0.5:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return f"{day:02d}/{month:02d}/{year:04d}"


def _email(rng: random.Random, p: Person) -> str:
    email = rng.choice(p.emails)
    if rng.random() < 0.1:
        email = email.upper()
    if rng.random() < 0.03:
        email = _typo(rng, email)
    return email


def _phone(world: _World, p: Person) -> str:
    rng = world.rng
    roll = rng.random()
    if roll < 0.3:
        return ""
    if roll < 0.32:
        return rng.choice(["0000000000", "n/a", "12"])
    number = p.landline if (p.landline and roll < 0.45) else p.phone
    if rng.random() < 0.02:
        number = _typo(rng, number).replace("a", "1")
    style = rng.randrange(4)
    other_writing = world.phone_rng.random() if world.phone_rng else 1.0
    overseas = number[:4] in _OVERSEAS_MOBILES
    if world.dense and world.phone_rng and world.phone_rng.random() < _DENSE_OTHER_WRITINGS:
        return _other_writing(world.phone_rng, number, overseas)
    if other_writing < 0.05 and not overseas:
        return f"+33 (0){number[1]} " + " ".join(number[i : i + 2] for i in range(2, 10, 2))
    if other_writing < 0.1 and not overseas:
        return "0033 " + number[1:]
    if style == 0:
        return " ".join(number[i : i + 2] for i in range(0, 10, 2))
    if style == 1:
        return _OVERSEAS_MOBILES.get(number[:4], "+33 ") + number[1:]
    return number if style == 2 else ".".join(number[i : i + 2] for i in range(0, 10, 2))


def _other_writing(rng: random.Random, number: str, overseas: bool) -> str:
    """A writing a member's form lets through: dashes, slashes, no space after +33, the
    trunk 0 kept after the country code, or a note beside the number."""
    pairs = [number[i : i + 2] for i in range(0, 10, 2)]
    country = _OVERSEAS_MOBILES.get(number[:4], "+33 ").strip()
    return rng.choice([
        "-".join(pairs), "/".join(pairs), f"{country}{number[1:]}",
        f"{country} {number}" if not overseas else " ".join(pairs),
        f"{' '.join(pairs)} (portable)" if number[1] in "67" else f"tél. {' '.join(pairs)}",
    ])


def _street(rng: random.Random, street: str) -> str:
    if rng.random() < 0.3:
        for word, short in _STREET_SHORT.items():
            street = street.replace(word, short)
    return street.upper() if rng.random() < 0.2 else street
