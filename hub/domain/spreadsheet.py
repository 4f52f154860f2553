"""Cells for a spreadsheet: what Excel or LibreOffice would run as a formula is made text.

A cell starting with `=`, `+`, `-` or `@` is read as a formula, and so is one starting
with a tab or a carriage return once the spreadsheet trims it: a name, a comment or a
code carrying `=HYPERLINK(...)` would then run on the reader's machine (CSV injection).
A leading apostrophe is the spreadsheet's own mark for text: it shows the cell as typed.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: str) -> str:
    """`value` as a spreadsheet shows it and never runs it.

    Examples:
        >>> inert_cell("=1+1")
        "'=1+1"
        >>> inert_cell("CCI du Puy-de-Dôme")
        'CCI du Puy-de-Dôme'
    """
    return "'" + value if value.startswith(FORMULA_START) else value
