"""Run a connector: read changes, map, validate, push in batches, checkpoint.

One run reads the source's changes since the checkpoint's cursor, skips records
whose content the hub already accepted, writes every bad record to the rejects
file, and pushes the rest in batches of at most 500. After each batch, the fiches
the hub accepted are acknowledged in the checkpoint, and only those. When the hub
is unreachable or answers 5xx mid-run, the run stops at the last accepted batch
and says so in its summary; the next run starts from the same cursor and skips
what was accepted, so nothing is skipped and nothing is sent twice in effect.

Deleted records (flagged deleted by the source, or gone from a full export): the
runner asks the hub to remove the fiches, up to `WITHDRAWAL_BATCH` (100) a call
(`POST /v1/fiches/{member}/withdrawals`: the hub erases them in one erasure and notifies
their recipients), then forgets them in the checkpoint; `RunSummary.withdrawals` lists
them. A hub that is down stops the run as for pushes, and the next run sends the
deletions again. Each batch is noted in the checkpoint's journal before it is sent: one
whose outcome is unknown (answer lost, run killed) is sent again while the rows stay gone
(the hub answers the fiches it erased already as gone), and a row back in the export is
sent again.

Deletions inferred from a full export apply only when the export is plausibly
complete: not empty, with every column of the last complete read, and with at most
`deletion_share_max` (5 %) of the fiches sent vanishing (more than two). A column the
mapping reads that the last complete read had and this export lacks stops the run before
anything is sent (`connectors.vanished_columns`), as does a file still being written
(`connectors.file_writing`), and a file changed on disk since it was read stops the
withdrawals before each batch (`SourceChanged`: what was pushed stays). Otherwise nothing is
withdrawn, the run ends `stopped="suppressions_a_confirmer"` with a French reason
(`RunSummary.raison`), and `confirm_deletions` (`--confirmer-suppressions`) lets them go.
A row dated (`mis_a_jour_le`) before the version last sent (an older export put back) is
not sent: it goes to the rejects file, and holds the withdrawals (as below).
Rows a CSV cell read as its text (a quote never closed: `doubtful_lines`), and rows whose
record number cannot be read (`unread_numbers`: blank, an undecodable byte, an error cell,
shifted cells), hold them whatever the confirmation, until the export is corrected.

Records refused (locally or by the hub) are kept in the checkpoint's `refusees` and read
again on every run until accepted: the cursor never moves past the earliest modification
date of a record refused on the run (an API answers only the changes since the cursor); a
modification date in the future never moves the cursor past now.

One run at a time per checkpoint (`connectors.run_lock`): a second run of the connector
stops before reading anything (`RunUnderWay`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from connectors.base import Connector, SourceRecord
from connectors.checkpoint import Checkpoint, CheckpointState
from connectors.client import MAX_WITHDRAWALS, HubClient
from connectors.content_hash import content_hash, rehashed
from connectors.deletion_checks import implausible_export, swallowed
from connectors.errors import (
    ColumnsGone,
    ConfigurationError,
    HubUnavailable,
    RecordRejected,
    RunUnderWay,
    SourceChanged,
    SourceError,
)
from connectors.fiche_ids import FicheOwners
from connectors.mapping import MappingProblem, Problem
from connectors.rejects import RejectsFile
from connectors.run_lock import RunLock
from connectors.run_summary import Pending, RunSummary
from connectors.schema_problems import located, split_lenient
from connectors.settling import OLDER_THAN_SENT, Settler, later
from connectors.table_source import TableSource, number_unread
from schemas import validator

__all__ = ["DELETION_SHARE_MAX", "HELD", "MAX_BATCH", "WITHDRAWAL_BATCH", "RunSummary", "Runner",
           "content_hash", "run_every", "split_lenient"]

MAX_BATCH = 500
WITHDRAWAL_BATCH = 100  # fiches per batch withdrawal (the hub takes up to 500)
DELETION_SHARE_MAX = 0.05  # more than 5 % of the fiches sent (and more than two)
HELD = "suppressions_a_confirmer"
WITHDRAWING = "retrait-en-cours"  # the content hash of a fiche whose DELETE may have been done
_NO_DATE = MappingProblem(
    "$.mis_a_jour_le", "valeur_manquante",
    "Date de mise à jour absente : ajoutez la règle « modification » à la correspondance.",
    "Update date missing: add the 'modification' rule to the mapping.",
)


class Runner:
    """One connector, one hub client, one checkpoint, one rejects file."""

    def __init__(self, source: Connector, client: HubClient, checkpoint: Checkpoint,
                 rejects: RejectsFile, *, batch_size: int = MAX_BATCH,
                 deletion_share_max: float = DELETION_SHARE_MAX,
                 confirm_deletions: bool = False,
                 withdrawal_batch: int = WITHDRAWAL_BATCH) -> None:
        self.source = source
        self.deletion_share_max = deletion_share_max
        self.confirm_deletions = confirm_deletions
        self.client = client
        self.checkpoint = checkpoint
        self.rejects = rejects
        self.batch_size = max(1, min(batch_size, MAX_BATCH))
        self.withdrawal_batch = max(1, min(withdrawal_batch, MAX_WITHDRAWALS))
        self._validator = validator("fiche")
        self._settler = Settler(client, checkpoint, rejects, self._refused_by_hub)
        self._held: dt.datetime | None = None  # the earliest change refused on this run
        self._pinned = False  # a record refused with no date: the cursor stays where it was
        self._previous: dt.datetime | None = None  # the date of the last record read
        self._refused_new: list[int] = []  # lines refused here under a number never sent
        self._older = 0  # rows dated before the version sent: an older export put back?
        self._owners = FicheOwners({}, source.mapping)

    def run(self) -> RunSummary:
        """Read, map, validate, push; stop cleanly if the hub is unavailable.

        Batches are sent one at a time from a worker thread; while the hub answers one,
        the next waits ready and a third is read and mapped here. Results are settled
        on this thread, in order: a batch is acknowledged only once the hub accepted it.
        Raises `RunUnderWay`, before reading anything, while another run of the connector
        (the same checkpoint) is under way.
        """
        with RunLock(self.checkpoint.path):
            return self._run()

    def _run(self) -> RunSummary:
        state = self.checkpoint.load()
        since = dt.datetime.fromisoformat(state.cursor) if state.cursor else None
        summary = RunSummary()
        newest = since
        now = dt.datetime.now(dt.UTC)
        self._held, self._pinned, self._previous = None, False, None
        self._refused_new, self._older = [], 0
        self._owners = FicheOwners(state.known, self.source.mapping)
        self.rejects.start()
        if isinstance(self.source, TableSource):
            self.source.retry_keys = set(state.refused)
            self.source.known_keys = set(state.known)
            self.source.previous_columns = list(state.columns)
            self.source.previous_filled = list(state.filled)
            self.source.columns_confirmed = self.confirm_deletions
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="push") as pool:
                self._settler.start(pool)
                try:
                    newest = self._read(since, now, state, summary)
                except (SourceError, ConfigurationError):
                    self._settler.settle_before_stopping(state, summary)
                    raise
                self._settler.settle_all(state, summary)
            self._settler.start(None)
            summary.missing_columns = self.source.missing_columns()
            summary.feuille = getattr(self.source, "sheet_read", None)
            self._withdrawals(state, summary)
            if summary.complete and isinstance(self.source, TableSource):
                state.columns = list(self.source.columns)
                state.filled = list(self.source.filled_columns)
        except HubUnavailable as exc:  # said on the error output, not only in the summary
            summary.stopped, summary.raison = exc.code, (
                f"{exc.message_fr} Le passage s'est arrêté ; les lots déjà acceptés sont "
                "notés dans le point de reprise, le passage suivant enverra le reste.")
        except ColumnsGone as exc:  # before any row was read: nothing sent nor withdrawn
            summary.stopped, summary.raison = HELD, exc.message_fr
        except SourceChanged as exc:  # the pushes settled stay; no (more) withdrawal
            summary.stopped, summary.raison = exc.code, exc.message_fr
        finally:
            self._settler.start(None)
            self.rejects.close()
        if summary.complete and newest is not None:
            cursor = self._cursor(since, self._settled(newest))
            state.cursor = cursor.isoformat() if cursor is not None else state.cursor
        self.checkpoint.commit(state)
        return summary

    def _read(self, since: dt.datetime | None, now: dt.datetime, state: CheckpointState,
              summary: RunSummary) -> dt.datetime | None:
        """Read the source's changes and queue them in batches; answers the newest change
        read (or `since`)."""
        newest = since
        pending: dict[str, Pending] = {}
        for record in self.source.changes(since):
            summary.read += 1
            stamp = record.modified_at
            if stamp and stamp <= now and (newest is None or stamp > newest):
                newest = stamp  # a date in the future (a typo) never moves the cursor
            self._take(record, state, pending, summary)
            self._previous = stamp or self._previous
            if len(pending) >= self.batch_size:
                self._settler.submit(list(pending.values()), state, summary)
                pending = {}
        if pending:
            self._settler.submit(list(pending.values()), state, summary)
        return newest

    def _cursor(self, since: dt.datetime | None, newest: dt.datetime) -> dt.datetime | None:
        """The newest change read, but never past a record refused on this run: an API
        asked for the changes since the cursor would not answer it again, and it must be
        read again until accepted (a consent recorded, the mapping fixed). Never before
        `since` (a table source reads its refused rows again by their keys); `since` when a
        record was refused with no date to hold (None: the cursor stays unset)."""
        if self._pinned:
            return since
        if self._held is None or self._held >= newest:
            return newest
        return self._held if since is None or self._held > since else since

    def _settled(self, newest: dt.datetime) -> dt.datetime:
        """The newest change read, but never past what the source's listing vouches for (a
        contact edited mid-listing lets an older one slip between two pages: it must be
        asked for again)."""
        bound = self.source.settled_until()
        return newest if bound is None or bound >= newest else bound

    def _hold(self, modified_at: dt.datetime | None) -> None:
        """Remember the earliest modification date of the records refused on this run; a
        record refused with no date (unreadable) holds the cursor where it was, when the
        source is read by its changes since the cursor."""
        if modified_at is None:
            self._pinned = self._pinned or not isinstance(self.source, TableSource)
        elif self._held is None or modified_at < self._held:
            self._held = modified_at

    def _hold_record(self, record: SourceRecord) -> None:
        """Hold the cursor at the record's date; with none readable, at the date of the
        record read before it (a source lists its changes by date), else where it was."""
        self._hold(record.modified_at or self._previous)

    def _take(self, record: SourceRecord, state: CheckpointState,
              pending: dict[str, Pending], summary: RunSummary) -> None:
        known = state.known.get(record.key or "")
        if record.deleted:
            summary.deleted_at_source += 1
            if known is not None:
                self._withdraw([record.key or ""], state, summary)
            return
        try:
            fiche = self._fiche(record)
            if (clash := self._owners.claim(fiche["fiche_id"], record.key or "")) is not None:
                raise RecordRejected([clash])
        except RecordRejected as exc:
            self._reject_locally(record, state, summary, exc)
            return
        if self.source.warnings:
            summary.warnings += 1
            self.rejects.write(record.line, fiche.get("fiche_id"), "avertissement",
                               self.source.warnings, key=record.key)
        digest = content_hash(fiche)
        if known is not None and (known.content_hash == digest
                                  or rehashed(state, record.key or "", known, fiche, digest)):
            summary.unchanged += 1
            state.refused.discard(record.key or "")
            return
        if known is not None and later(known.updated, fiche.get("mis_a_jour_le")):
            self._held_as_older(record, fiche, state, summary)
            return
        version_mapped = "version" in fiche
        fiche.setdefault("version", known.version + 1 if known else 1)
        errors = [] if self._validator.is_valid(fiche) else self._lenient(fiche, record, summary)
        if errors:
            summary.rejected_local += 1
            state.refused.add(record.key or "")
            self._hold_record(record)
            self._note_refused(record.key, record.line, state)
            self.rejects.write(record.line, fiche.get("fiche_id"), "validation", errors,
                               key=record.key)
            return
        assert record.key is not None
        pending[record.key] = Pending(record.key, record.line, fiche, digest, version_mapped,
                                       record.modified_at)

    def _held_as_older(self, record: SourceRecord, fiche: dict[str, Any],
                       state: CheckpointState, summary: RunSummary) -> None:
        """A row dated before the version last sent (an older export put back): never sent
        over it, named in the rejects, read again next run; it holds the withdrawals."""
        self._older += 1
        summary.rejected_local += 1
        state.refused.add(record.key or "")
        self._hold_record(record)
        self.rejects.write(record.line, fiche.get("fiche_id"), "validation",
                           [OLDER_THAN_SENT], key=record.key)

    def _lenient(self, fiche: dict[str, Any], record: SourceRecord,
                 summary: RunSummary) -> list[MappingProblem]:
        """The schema's errors on `fiche`, each naming its column; the values of optional
        fields marked `si_invalide: ignorer` that the schema refuses are left out of the
        fiche with a warning instead (the rest of the fiche is sent)."""
        mapping = self.source.mapping
        errors = [self._located(e) for e in self._validator.errors(fiche)]
        lenient = [(e, rule) for e in errors
                   if (rule := mapping.rule_at(e.path)) is not None and rule.lenient]
        if not lenient:
            return errors
        for _, rule in lenient:
            mapping.drop(fiche, rule)
        if not self.source.warnings:  # the record is counted once among those warned
            summary.warnings += 1
        self.rejects.write(record.line, fiche.get("fiche_id"), "avertissement",
                           [e for e, _ in lenient], key=record.key)
        return [self._located(e) for e in self._validator.errors(fiche)]

    def _located(self, error: Any) -> MappingProblem:
        return located(self.source.mapping, error)

    def _reject_locally(self, record: SourceRecord, state: CheckpointState,
                        summary: RunSummary, exc: RecordRejected) -> None:
        """Every error of the row at once: the mapping's, then the schema's on the fields
        that could be read (none repeating a field the mapping already named)."""
        summary.rejected_local += 1
        self._hold_record(record)
        self._note_refused(record.key, record.line, state)
        if record.key:
            state.refused.add(record.key)
        problems = list(exc.problems)
        warnings = list(self.source.warnings)
        if exc.partial is not None:
            named = {getattr(p, "path", None) for p in problems}
            fiche = {"fiche_id": self.source.mapping.fiche_id(record.key or "x"),
                     "membre": self.client.member_id, "version": 1,
                     "mis_a_jour_le": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                     **exc.partial}
            found, ignorable = self._split_lenient(fiche, named)
            problems += found
            warnings += ignorable
        key = self._shown_key(record)
        fiche_id = self.source.mapping.fiche_id(key) if key else None
        self.rejects.write(record.line, fiche_id, "correspondance", problems, key=key)
        if warnings:  # what would be left out of the fiche once the row is fixed
            summary.warnings += 1
            self.rejects.write(record.line, fiche_id, "avertissement", warnings, key=key)

    def _shown_key(self, record: SourceRecord) -> str | None:
        """The record number the rejects file names: none when the row's number cannot be
        told (its cells shifted, the number column may hold a surname)."""
        identity = self.source.mapping.identity
        if isinstance(self.source, TableSource) and number_unread(
                record, identity.column or identity.source):
            return None
        return record.key

    def _note_refused(self, key: str | None, line: int | None, state: CheckpointState) -> None:
        """A row refused (here or by the hub, whatever the reason) under a number never sent
        may be a record sent before whose number is misread or retyped (cells shifted,
        « S-003 » typed « s-003 »): a full export's withdrawals then wait for a confirmation."""
        if key not in state.known and line is not None:
            self._refused_new.append(line)

    def _refused_by_hub(self, entry: Pending, state: CheckpointState) -> None:
        """The hub refused this record: hold the cursor at its date, and note its line."""
        self._hold(entry.modified_at)
        self._note_refused(entry.key, entry.line, state)

    def _split_lenient(self, fiche: dict[str, Any], named: set[Any]
                       ) -> tuple[list[MappingProblem], list[MappingProblem]]:
        """The schema's errors on `fiche` not already `named`, as (errors, warnings): the
        warnings are about optional fields marked `si_invalide: ignorer`."""
        return split_lenient(self.source.mapping, self._validator.errors(fiche), named)

    def _fiche(self, record: SourceRecord) -> dict[str, Any]:
        if record.key is None and not record.problems:
            raise RecordRejected([self.source.mapping.identity.problem(Problem.VALEUR_MANQUANTE)])
        fiche = self.source.to_fiche(record)
        if record.key is None:
            raise RecordRejected([self.source.mapping.identity.problem(Problem.VALEUR_MANQUANTE)])
        fiche.setdefault("fiche_id", self.source.mapping.fiche_id(record.key))
        fiche["membre"] = self.client.member_id
        if "mis_a_jour_le" not in fiche:
            if record.modified_at is None:
                raise RecordRejected([_NO_DATE])
            stamp = record.modified_at
            stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
            fiche["mis_a_jour_le"] = stamp.isoformat(timespec="seconds")
        return fiche

    def _withdrawals(self, state: CheckpointState, summary: RunSummary) -> None:
        deleted = self.source.deleted_keys(set(state.known))
        if not deleted:
            return
        reason = swallowed(self.source, len(state.known), len(deleted))
        if reason is None and self._older and not self.confirm_deletions:
            reason = (f"{self._older} ligne(s) datée(s) d'avant la version déjà envoyée au hub "
                      "(fichier des rejets, « plus_ancienne_que_envoyee ») : l'export lu est "
                      "sans doute une copie plus ancienne. Aucune fiche n'est retirée ; "
                      "remettez l'export le plus récent, ou relancez avec "
                      "--confirmer-suppressions si ces retraits sont voulus.")
        if reason is None and not self.confirm_deletions:
            reason = implausible_export(self.source, state, summary.read, len(deleted),
                                        self.deletion_share_max, self._refused_new)
        if reason is not None:
            summary.withdrawals_held = len(deleted)
            summary.stopped, summary.raison = HELD, reason
            return
        if self.source.changed_since_read(content=True):  # the bytes too, once
            raise SourceChanged()
        keys = sorted(deleted)
        for start in range(0, len(keys), self.withdrawal_batch):
            self._withdraw(keys[start:start + self.withdrawal_batch], state, summary)

    def _withdraw(self, keys: list[str], state: CheckpointState, summary: RunSummary) -> None:
        """Remove a batch of fiches from the network in one call (one erasure at the hub),
        then forget them (durably). Before the call, they are noted as being withdrawn
        (their content hash `WITHDRAWING`): a batch whose answer is lost (or a run killed
        before recording it) is sent again by the next run while the rows stay gone (the
        hub answers those it erased as gone: none is erased twice), and a row back in the
        export is sent again, as a new version, instead of being taken for unchanged. Each
        batch waits for the file read to be still on disk as read (`SourceChanged`
        otherwise: a row gone from what was read may be back in it)."""
        if self.source.changed_since_read():
            raise SourceChanged()
        marked = {key: dataclasses.replace(state.known[key], content_hash=WITHDRAWING)
                  for key in keys if state.known[key].content_hash != WITHDRAWING}
        if marked:
            self.checkpoint.acknowledge(state, marked)
        fiche_ids = [state.known[key].fiche_id for key in keys]
        self.client.withdraw_fiches(self.client.member_id, fiche_ids)
        self.checkpoint.acknowledge(state, {}, keys)
        summary.withdrawals.extend(fiche_ids)


def run_every(
    make_runner: Callable[[], Runner],
    interval_s: float,
    *,
    max_runs: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_summary: Callable[[RunSummary], None] = lambda summary: None,
    on_busy: Callable[[RunUnderWay], None] = lambda exc: None,
) -> int:
    """Run again and again, every `interval_s`; stops on refused credentials.

    Answers the number of runs done (a run skipped because another one of the connector
    was under way counts: `on_busy` hears of it). A hub unavailable only delays the next
    run.
    """
    runs = 0
    while max_runs is None or runs < max_runs:
        if runs:
            sleep(interval_s)
        runner = make_runner()
        try:
            on_summary(runner.run())  # HubAuthError propagates: no retry storm
        except RunUnderWay as exc:  # one started by hand: this one waits for the next turn
            on_busy(exc)
        finally:
            runner.source.close()
        runs += 1
    return runs
