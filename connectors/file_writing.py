"""Signs that an export file is still being written, or open in a spreadsheet.

An export caught mid-write (a copy in progress, a spreadsheet saving) holds only its
first rows: read as the whole file, the rows not yet written would be withdrawn from the
network, and the last one, cut in the middle of a cell, sent truncated. Such a file
stops the run before anything is sent or withdrawn (`SourceError`, exit code 3: the next
run reads it once written):

- its size or modification time changes while it is read (read, then looked at again);
- its last line has no line ending while the others have one (a cut file; an office's
  CSV export ends every line, the last one too);
- a spreadsheet's lock file lies beside it (`~$name.xlsx` of Excel, `.~lock.name#` of
  LibreOffice): the file is open, perhaps being saved;
- a workbook whose zip is cut short (`truncated_workbook`).

A file written again later, while the run pushes (a writer paused at a line end, an
export saved anew), is caught before any withdrawal: the stamp of the file read (`FileStamp`:
device, inode, size, modification and change times, a digest of the bytes read) is
looked at again before the withdrawals and before each one (`changed_since`); when it
changed, nothing more is withdrawn on that run (`SourceChanged`, exit code 3), what was
pushed stays, and the next run reads the file anew.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import zipfile
from pathlib import Path

from connectors.errors import SourceError

_AGAIN_FR = " Rien n'a été envoyé ni retiré ; relancez une fois le fichier enregistré."
_AGAIN_EN = " Nothing was sent or withdrawn; run again once the file is saved."


def lock_files(path: Path) -> list[Path]:
    """The lock files a spreadsheet leaves beside a file it has open (present ones)."""
    names = {f"~${path.name}", f"~${path.name[2:]}", f".~lock.{path.name}#"}
    return sorted(p for p in (path.parent / n for n in names) if p.exists())


def refuse_if_open(path: Path) -> None:
    """Stop when a spreadsheet has the file open (its lock file lies beside it)."""
    locks = lock_files(path)
    if locks:
        raise SourceError(
            f"Le fichier est ouvert dans un tableur (fichier de verrou « {locks[0].name} » à "
            "côté) : il peut être en cours d'enregistrement. Fermez-le dans le tableur ; si "
            "personne ne l'a ouvert, supprimez ce fichier de verrou (laissé par un tableur "
            "fermé brutalement)." + _AGAIN_FR,
            f"The file is open in a spreadsheet (lock file '{locks[0].name}' beside it): it "
            "may be being saved. Close it; if nobody has it open, delete the lock file."
            + _AGAIN_EN)


def _stamp(path: Path) -> tuple[int, int, int, int, int]:
    info = os.stat(path)
    return info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev, info.st_ctime_ns


def _digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


@dataclasses.dataclass
class FileStamp:
    """What the file read was: its size, modification time, inode, device and change time,
    and a digest of its bytes."""

    path: Path
    stat: tuple[int, int, int, int, int]
    digest: bytes

    def changed_since(self, *, content: bool = False) -> bool:
        """Whether the file on disk is no longer the one read: gone, or other bytes. Its
        stat (size, times, inode) as read says it is the same file; when the stat moved
        (written, renamed over, but also touched, chmod-ed, hard-linked by a backup, an
        identical copy renamed over it), its bytes are read again and decide, so that
        nothing but another content stops the withdrawals; with `content`, the bytes are
        read again in any case (a writer that kept the times)."""
        try:
            stat = _stamp(self.path)
            if stat == self.stat and not content:
                return False
            if _digest(self.path.read_bytes()) != self.digest:
                return True
        except OSError:
            return True
        self.stat = stat  # the same bytes: the next look needs the stat alone
        return False


def read_settled(path: Path) -> tuple[bytes, FileStamp]:
    """The file's bytes and their stamp, once no spreadsheet has it open and provided it
    did not change while read (OSError: the file is missing or unreadable, for the caller
    to say)."""
    refuse_if_open(path)
    before = _stamp(path)
    raw = path.read_bytes()
    if _stamp(path) != before or len(raw) != before[0]:
        raise SourceError(
            "Le fichier a changé pendant sa lecture : il est en cours d'écriture (copie ou "
            "enregistrement)." + _AGAIN_FR,
            "The file changed while it was read: it is being written." + _AGAIN_EN)
    return raw, FileStamp(path, before, _digest(raw))


def refuse_unended(text: str) -> None:
    """Stop on a CSV whose last line lacks the line ending its other lines have: the file
    was caught while written, its last cell maybe cut (`…;Jean-Phi`)."""
    if text and text[-1] not in "\r\n" and ("\n" in text or "\r" in text):
        raise SourceError(
            "La dernière ligne du fichier n'a pas de fin de ligne, contrairement aux "
            "autres : le fichier semble coupé (export en cours d'écriture, copie "
            "interrompue). Exportez-le de nouveau depuis le tableur ; si la dernière ligne "
            "est complète, ajoutez-lui un saut de ligne." + _AGAIN_FR,
            "The file's last line has no line ending while the others have one: the file "
            "looks cut (being written). Export it again; if the last line is complete, "
            "end it with a line break." + _AGAIN_EN)


def truncated_workbook(raw: bytes) -> bool:
    """A .xlsx/.xlsm/.ods (a zip) whose end is missing: cut while written or copied."""
    return raw.startswith(b"PK") and not zipfile.is_zipfile(io.BytesIO(raw))


def refuse_truncated_workbook(raw: bytes) -> None:
    if truncated_workbook(raw):
        raise SourceError(
            "Classeur incomplet : la fin du fichier manque (enregistrement ou copie en "
            "cours, ou interrompu). Attendez la fin de l'enregistrement, ou enregistrez-le "
            "de nouveau depuis le tableur." + _AGAIN_FR,
            "Incomplete workbook: the end of the file is missing (being saved or copied, "
            "or interrupted). Save it again from the spreadsheet." + _AGAIN_EN)
