"""The connector SDK's base class: what a source of fiches must provide.

A partner writes a connector by subclassing `Connector` and giving `changes(since)`:
the records created, changed or deleted at the member since a point in time. The
base class maps records to fiches with the member's mapping file; override
`to_fiche` for logic a mapping cannot say, and raise `RecordRejected` for a bad record.

A sketch of a connector for a member's own tool (`my_tool` stands for its API)::

    class MyTool(Connector):
        def changes(self, since):
            for row in my_tool.rows_changed_after(since):
                yield self.record(row, line=row["id"])
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from connectors import parsers
from connectors.errors import RecordRejected
from connectors.mapping import (
    InvalidValue,
    Mapping,
    MappingProblem,
    Problem,
    lone_surrogate,
)
from connectors.shifted_cells import raw_line_problems, shifted
from schemas import french_values


@dataclasses.dataclass(frozen=True)
class SourceRecord:
    """One record of the member's system, with where it comes from.

    `key` is the member's own identifier (the fiche id derives from it); `line` is
    the line (CSV) or position (API) to quote in the rejects file; `problems` are
    source-level faults (encoding, missing cells) that make the record a reject.
    """

    key: str | None
    data: dict[str, Any]
    line: int | None = None
    modified_at: dt.datetime | None = None
    deleted: bool = False
    problems: tuple[MappingProblem, ...] = ()


class Connector(abc.ABC):
    """A source of fiche changes, mapped by a mapping file."""

    kind = "base"

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.warnings: list[MappingProblem] = []  # of the last `to_fiche`

    @abc.abstractmethod
    def changes(self, since: dt.datetime | None) -> Iterable[SourceRecord]:
        """Records created, changed or deleted since `since` (all of them when None).

        Yielding a record again is harmless: the runner skips unchanged content.
        """

    def deleted_keys(self, known: set[str]) -> set[str]:
        """Among keys already sent, those gone from the source (full-scan sources only)."""
        return set()

    def settled_until(self) -> dt.datetime | None:
        """After `changes`: the latest modification date the runner's cursor may move to
        (a listing read while contacts changed may have let older ones slip between its
        pages); None sets no bound."""
        return None

    def changed_since_read(self, *, content: bool = False) -> bool:
        """After `changes`: whether the file read has changed on disk since (its stamp; with
        `content`, its bytes too): deletions inferred from it no longer hold. A source read
        otherwise (an API) answers False."""
        return False

    def missing_columns(self) -> list[str]:
        """Mapped columns absent from the source (known once `changes` started)."""
        return []

    def doubtful_lines(self) -> list[int]:
        """Lines of the last read after which the source's own rows cannot be told apart
        (a CSV quote never closed): a row missing then may only be unread."""
        return []

    def unread_numbers(self) -> list[int]:
        """Lines of the last read whose record number could not be read (blank, an
        undecodable byte, an error cell, shifted cells) and is none sent before: such a row
        may be a record sent before, which must not be taken for deleted."""
        return []

    def doubled_numbers(self) -> list[int]:
        """Lines of the last read whose record number is on another line too, or gives the
        fiche_id of another number (of the read, or sent before): one of them
        may be a record sent before whose number was mistyped, which must not be taken
        for deleted."""
        return []

    def to_fiche(self, record: SourceRecord) -> dict[str, Any]:
        """The fiche fields of a record (without membre/version unless mapped); invalid
        optional values the mapping lets go are in `self.warnings`. A rejected record
        carries every problem found and the fields that could be read (`partial`)."""
        if shifted(record.problems):  # no cell is in its column: nothing of it is read
            self.warnings = []
            raise RecordRejected(raw_line_problems(record.problems), partial=None)
        fiche, problems, self.warnings = self.mapping.apply_all(record.data)
        if record.problems or problems:
            raise RecordRejected([*record.problems, *problems], partial=fiche)
        return fiche

    def record(self, data: dict[str, Any], line: int | None = None, *,
               problems: Iterable[MappingProblem] = (),
               default_time: dt.datetime | None = None) -> SourceRecord:
        """A SourceRecord for raw data, reading key, modification date and deletion flag.

        `problems` are the source's own findings about the record (listed first);
        `default_time` stands for a modification date the record does not give.
        """
        found = list(problems)
        modified = None
        try:
            modified = self.mapping.modified_at(data)
        except french_values.ImpossibleDate as exc:  # 31/02/2026 10:30
            rule = self.mapping.modification
            found.append(rule.problem(Problem.DATE_INVALIDE, exc.reason) if rule
                         else _bad_date())
        except french_values.DateOutOfRange as exc:  # 31/12/1899: read, out of range
            rule = self.mapping.modification
            found.append(rule.problem(Problem.DATE_INVALIDE, message=rule.out_of_range(exc))
                         if rule else _bad_date())
        except parsers.UnixTimeLike:  # an API's Unix time in a unit the mapping does not name
            rule = self.mapping.modification
            found.append(rule.problem(Problem.DATE_INVALIDE, message=rule.number_hint())
                         if rule else _bad_date())
        except ValueError:
            rule = self.mapping.modification
            found.append(rule.problem(Problem.DATE_INVALIDE) if rule else _bad_date())
        try:
            key = self.mapping.key(data)
        except InvalidValue as exc:  # a list or an object where the identifier is meant
            key = None
            found.append(self.mapping.identity.problem(exc.problem))
        else:
            if key is None:
                found.append(self.mapping.identity.problem(Problem.VALEUR_MANQUANTE))
            elif (code_point := lone_surrogate(key)) is not None:
                # no fiche_id, rejects file nor checkpoint can hold it (orjson refuses it)
                key = None
                found.append(self.mapping.identity.surrogate_problem(code_point))
        deleted = False
        if not shifted(found):  # shifted cells: no deletion flag read from the wrong column
            try:
                deleted = self.mapping.is_deleted(data)
            except InvalidValue as exc:  # neither kept nor withdrawn: rejected until read
                rule = self.mapping.deletion
                assert rule is not None
                found.append(rule.problem(exc.problem, exc.reason, exc.message))
        return SourceRecord(key=key, data=data, line=line, modified_at=modified or default_time,
                            deleted=deleted, problems=tuple(found))

    def sample(self, count: int) -> Iterator[SourceRecord]:
        """The first `count` records, for `connector check`."""
        for position, record in enumerate(self.changes(None)):
            if position >= count:
                return
            yield record

    def close(self) -> None:  # noqa: B027 - optional hook, most sources hold nothing
        """Release what the source holds (files, sessions)."""


def _bad_date() -> MappingProblem:
    return MappingProblem("$.mis_a_jour_le", "date_invalide", "Date illisible.", "Bad date.")
