"""Names and addresses damaged by an encoding mix-up, which no real name holds.

A file saved in Windows-1252 by a spreadsheet that met a character it has no place for
writes `?` instead (`NGUY?N` for NGUYỄN); a UTF-8 file read as Windows-1252 somewhere
upstream turns each accented letter into two (`FranÃ§ois`, `GARÃ‡ON`, `Ã©` for é). In a
name or an address, neither is ever real: the row is rejected (`encodage_abime`, with
its column, never the value) with the fix, re-export in UTF-8, rather than sending the
damaged name to every partner. Titles and free texts (« Pourquoi pas ? ») are not
concerned.
"""

from __future__ import annotations

import re

# the second byte of a UTF-8 sequence for Latin letters (0x80-0xBF), as Windows-1252 (or
# Latin-1, for the bytes it leaves undefined) shows it, after Â, Ã or Å (first bytes
# 0xC2, 0xC3, 0xC5: Latin-1 letters, œ, Œ)
_CONTINUATION = bytes(range(0x80, 0xC0)).decode("cp1252", errors="ignore") + "".join(
    chr(b) for b in range(0x80, 0xC0))
_MOJIBAKE = re.compile("[ÂÃÅ][" + re.escape(_CONTINUATION) + "]")

DAMAGED = (
    "Caractères abîmés par un changement d'encodage (« ? » à la place d'une lettre "
    "accentuée, ou deux caractères comme « Ã© » pour une seule lettre) : ce n'est pas un "
    "vrai nom. Ré-exportez en UTF-8 (Excel : « CSV UTF-8 (délimité par des virgules) » ; "
    "LibreOffice : jeu de caractères « Unicode (UTF-8) »), ou corrigez la cellule dans "
    "le tableur.",
    "Characters damaged by an encoding mix-up ('?' for an accented letter, or two "
    "characters such as 'Ã©' for one): not a real name. Re-export in UTF-8, or fix the "
    "cell.")


def damaged(text: str) -> bool:
    """Whether a name or an address shows an encoding mix-up (`?`, `Ã§`)."""
    return "?" in text or _MOJIBAKE.search(text) is not None
