"""Write `hub/domain/matching/given_names.txt`: the given names of Faker's person providers.

    .venv/bin/python bench/given_names_file.py

Every locale of Faker (MIT licence, in the dev lock; its lists of first names), each
name cut into its parts as the hub reads a first name (`normalise.first_name_tokens`:
upper case, no accents, a compound's parts apart), parts of Latin letters only (names
in another script are compared transliterated, and their spellings vary too much for
a list), two letters or more. The hub reads the file to tell a first name retyped from
another first name (`first_name_typos`); the test-data generators read no part of it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil
import sys
from pathlib import Path

import faker.providers.person as person

from hub.domain.matching.normalise import first_name_tokens

OUT = Path(__file__).resolve().parents[1] / "hub" / "domain" / "matching" / "given_names.txt"
_LISTS = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary")


def given_names() -> tuple[list[str], set[str]]:
    """(the locales read, the name parts)."""
    locales, names = [], set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        found = False
        for attribute in _LISTS:
            values = provider.__dict__.get(attribute)
            if not isinstance(values, (list, tuple, dict, set, frozenset)):
                continue
            for value in values:
                for part in first_name_tokens(str(value)) if isinstance(value, str) else ():
                    if len(part) >= 2 and part.isascii() and part.isalpha():
                        names.add(part)
                        found = True
        if found:
            locales.append(module.name)
    return locales, names


def main() -> int:
    locales, names = given_names()
    version = importlib.metadata.version("faker")
    header = [
        "# Given names in use, one a line (upper case, no accents, a compound's parts apart).",
        f"# Source: Faker {version} (https://github.com/joke2k/faker), faker/providers/person/,",
        "# the first-name lists of its locales: " + ", ".join(locales) + ".",
        "# Faker is under the MIT licence: Copyright (c) 2012 Daniele Faraglia. Permission is",
        "# hereby granted, free of charge, to any person obtaining a copy of this software and",
        "# associated documentation files, to deal in the Software without restriction, subject",
        "# to the copyright notice and this permission notice being included in all copies or",
        "# substantial portions of the Software. THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT",
        "# WARRANTY OF ANY KIND. (Full text: https://github.com/joke2k/faker/blob/master/LICENSE.txt)",
        "# Written by bench/given_names_file.py.",
    ]
    OUT.write_text("\n".join([*header, *sorted(names)]) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(names)} names from {len(locales)} locales (Faker {version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
