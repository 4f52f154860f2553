"""Mapping transforms: small text rewrites applied to a cell before it is parsed.

A rule's `transformer` lists them, applied in order:

- `"sans_espaces"`: every space removed (SIRET written `123 456 789 00012`);
- `"point_naf"`: a NAF code with its dot and an upper-case letter (`5610a` -> `56.10A`);
- `{"remplacer": MOTIF, "par": TEXTE}`: a regular-expression replace (Python syntax).

A transform that cannot apply raises `ValueError` (the value is then invalid).

    >>> [step("123 456 789 00012") for step in compile_all(["sans_espaces"])]
    ['12345678900012']
    >>> compile_all([{"remplacer": "^SA(?=\\\\d)", "par": "SA-"}])[0]("SA12")
    'SA-12'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from connectors.errors import ConfigurationError
from schemas import french_values

Transform = Callable[[str], str]
_NAMED: dict[str, Transform] = {
    "sans_espaces": french_values.remove_spaces,
    "point_naf": french_values.naf_code,
}


def compile_all(specs: list[Any]) -> list[Transform]:
    return [_compile(spec) for spec in specs]


def _compile(spec: Any) -> Transform:
    if isinstance(spec, str):
        return _NAMED[spec]  # names are checked by the mapping schema
    try:
        pattern = re.compile(spec["remplacer"])
    except re.error as exc:
        raise ConfigurationError(
            f"Expression régulière invalide dans « transformer » : {exc.msg}.",
            f"Invalid regular expression in 'transformer': {exc.msg}.") from exc
    replacement = spec.get("par", "")
    return lambda text: pattern.sub(replacement, text)
