"""Run a connector: read changes, map, validate, push in batches, checkpoint.

One run reads the source's changes since the checkpoint's cursor, skips records
whose content the hub already accepted, writes every bad record to the rejects
file, and pushes the rest in batches of at most 500. After each batch, the fiches
the hub accepted are acknowledged in the checkpoint, and only those. When the hub
is unreachable or answers 5xx mid-run, the run stops at the last accepted batch
and says so in its summary; the next run starts from the same cursor and skips
what was accepted, so nothing is skipped and nothing is sent twice in effect.

Deleted records (flagged deleted by the source, or gone from a full export): the
runner asks the hub to remove each fiche (`DELETE /v1/fiches/{member}/{fiche_id}`:
the hub erases it and notifies its recipients), then forgets it in the checkpoint;
`RunSummary.withdrawals` lists them. A hub that is down stops the run as for pushes,
and the next run sends the deletion again.

Deletions inferred from a full export apply only when the export is plausibly
complete: not empty, with every column of the last complete read, and with at most
`deletion_share_max` of the fiches sent vanishing (more than two). Otherwise nothing is
withdrawn, the run ends `stopped="suppressions_a_confirmer"` with a French reason
(`RunSummary.raison`), and `confirm_deletions` (`--confirmer-suppressions`) lets them go.
Rows a CSV cell read as its text (a quote never closed: `doubtful_lines`) are held
whatever the confirmation, until the export is corrected.

Records refused (locally or by the hub) are kept in the checkpoint's `refusees` and read
again on every run until accepted: the cursor never moves past the earliest modification
date of a record refused on the run (an API answers only the changes since the cursor); a
modification date in the future never moves the cursor past now.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import orjson

from connectors.base import Connector, SourceRecord
from connectors.checkpoint import Checkpoint, CheckpointState, KnownFiche
from connectors.client import HubClient
from connectors.errors import (
    ConfigurationError,
    HubCallError,
    HubRequestRejected,
    HubUnavailable,
    RecordRejected,
    SourceError,
)
from connectors.mapping import Mapping, MappingProblem, Problem, normalize_label
from connectors.rejects import RejectsFile
from connectors.results import BatchResult
from connectors.table_source import TableSource
from schemas import validator
from schemas.numbers import same_numbers

MAX_BATCH = 500
DELETION_SHARE_MAX = 0.2
_READY_AHEAD = 2  # batches handed to the sending thread and not yet settled
_VERSION_CODES = {"version_conflict", "stale_version"}
HELD = "suppressions_a_confirmer"
_NO_DATE = MappingProblem(
    "$.mis_a_jour_le", "valeur_manquante",
    "Date de mise à jour absente : ajoutez la règle « modification » à la correspondance.",
    "Update date missing: add the 'modification' rule to the mapping.",
)


@dataclasses.dataclass
class RunSummary:
    """What one run did; `stopped` is set when it ended early (resumable)."""

    read: int = 0
    unchanged: int = 0
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected_local: int = 0
    rejected_hub: int = 0
    batches: int = 0
    deleted_at_source: int = 0
    warnings: int = 0
    withdrawals: list[str] = dataclasses.field(default_factory=list)
    withdrawals_held: int = 0
    missing_columns: list[str] = dataclasses.field(default_factory=list)
    stopped: str | None = None
    raison: str | None = None

    @property
    def complete(self) -> bool:
        return self.stopped is None

    @property
    def rejected(self) -> int:
        return self.rejected_local + self.rejected_hub

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class _NotSent(Exception):
    """A queued batch left unsent because the run is stopping (never settled)."""


@dataclasses.dataclass
class _Pending:
    key: str
    line: int | None
    fiche: dict[str, Any]
    content_hash: str
    version_mapped: bool
    modified_at: dt.datetime | None = None


def content_hash(fiche: dict[str, Any]) -> str:
    """The fiche's content, without version and update date (they change with no edit),
    its equal numbers written one way as in the hub's content hash (8000.0 is 8000)."""
    body = same_numbers({k: v for k, v in fiche.items() if k not in ("version", "mis_a_jour_le")})
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def previous_content_hash(fiche: dict[str, Any]) -> str:
    """`content_hash` as connectors wrote it before numbers were written one way (8000.0
    was not 8000): checkpoints written then still hold it."""
    body = {k: v for k, v in fiche.items() if k not in ("version", "mis_a_jour_le")}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _rehashed(state: CheckpointState, key: str, known: KnownFiche, fiche: dict[str, Any],
              digest: str) -> bool:
    """True when `known` holds the previous form of `fiche`'s hash: the fiche is unchanged,
    and the checkpoint takes the new form (written at the end of the run)."""
    if known.content_hash != previous_content_hash(fiche):
        return False
    state.known[key] = dataclasses.replace(known, content_hash=digest)
    return True


def located(mapping: Mapping, error: Any) -> MappingProblem:
    """A schema error naming the source column of the field it is about; a code of five
    digits the mapping does not pad says how to (a spreadsheet drops its leading zero)."""
    rule = mapping.rule_at(error.path)
    fr, en = error.message_fr, error.message_en
    if error.code == "format" and rule is not None and not rule.pad \
            and rule.parts[-1] in _ZERO_PADDED:
        fr, en = fr + _PAD_HINT[0], en + _PAD_HINT[1]
    return MappingProblem(error.path, error.code, fr, en,
                          (rule.column or rule.source) if rule is not None else None)


_ZERO_PADDED = frozenset(("code_postal", "code_insee"))
_PAD_HINT = (
    " Un tableur qui range ce code comme un nombre retire son zéro de tête (01000 devient "
    "1000) : ajoutez \"completer_zeros\": 5 à ce champ dans la correspondance.",
    " A spreadsheet storing this code as a number drops its leading zero (01000 becomes "
    "1000): add \"completer_zeros\": 5 to this field in the mapping.")


def split_lenient(mapping: Mapping, errors: list[Any], named: set[Any] | None = None
                  ) -> tuple[list[MappingProblem], list[MappingProblem]]:
    """Schema errors (those at paths not in `named`) as (errors, warnings), each naming its
    column: the warnings are about optional fields marked `si_invalide: ignorer`, whose
    values a run leaves out of the fiche instead of rejecting it."""
    found: list[MappingProblem] = []
    ignorable: list[MappingProblem] = []
    for error in errors:
        if named and error.path in named:
            continue
        rule = mapping.rule_at(error.path)
        (ignorable if rule is not None and rule.lenient else found).append(
            located(mapping, error))
    return found, ignorable


class Runner:
    """One connector, one hub client, one checkpoint, one rejects file."""

    def __init__(self, source: Connector, client: HubClient, checkpoint: Checkpoint,
                 rejects: RejectsFile, *, batch_size: int = MAX_BATCH,
                 deletion_share_max: float = DELETION_SHARE_MAX,
                 confirm_deletions: bool = False) -> None:
        self.source = source
        self.deletion_share_max = deletion_share_max
        self.confirm_deletions = confirm_deletions
        self.client = client
        self.checkpoint = checkpoint
        self.rejects = rejects
        self.batch_size = max(1, min(batch_size, MAX_BATCH))
        self._validator = validator("fiche")
        self._sent: deque[tuple[list[_Pending], Future[BatchResult]]] = deque()
        self._stopping = False
        self._pool: ThreadPoolExecutor | None = None
        self._held: dt.datetime | None = None  # the earliest change refused on this run

    def run(self) -> RunSummary:
        """Read, map, validate, push; stop cleanly if the hub is unavailable.

        Batches are sent one at a time from a worker thread; while the hub answers one,
        the next waits ready and a third is read and mapped here. Results are settled
        on this thread, in order: a batch is acknowledged only once the hub accepted it.
        """
        state = self.checkpoint.load()
        since = dt.datetime.fromisoformat(state.cursor) if state.cursor else None
        summary = RunSummary()
        newest = since
        now = dt.datetime.now(dt.UTC)
        self._sent.clear()
        self._stopping = False
        self._held = None
        self.rejects.start()
        if isinstance(self.source, TableSource):
            self.source.retry_keys = set(state.refused)
            self.source.known_keys = set(state.known)
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="push") as pool:
                self._pool = pool
                try:
                    newest = self._read(since, now, state, summary)
                except (SourceError, ConfigurationError):
                    self._settle_before_stopping(state, summary)
                    raise
                self._settle_all(state, summary)
            self._pool = None
            summary.missing_columns = self.source.missing_columns()
            self._withdrawals(state, summary)
            if summary.complete and isinstance(self.source, TableSource):
                state.columns = list(self.source.columns)
        except HubUnavailable as exc:
            summary.stopped = exc.code
        finally:
            self._pool = None
            self.rejects.close()
        if summary.complete and newest is not None:
            state.cursor = self._cursor(since, self._settled(newest)).isoformat()
        self.checkpoint.commit(state)
        return summary

    def _read(self, since: dt.datetime | None, now: dt.datetime, state: CheckpointState,
              summary: RunSummary) -> dt.datetime | None:
        """Read the source's changes and queue them in batches; answers the newest change
        read (or `since`)."""
        newest = since
        pending: dict[str, _Pending] = {}
        for record in self.source.changes(since):
            summary.read += 1
            stamp = record.modified_at
            if stamp and stamp <= now and (newest is None or stamp > newest):
                newest = stamp  # a date in the future (a typo) never moves the cursor
            self._take(record, state, pending, summary)
            if len(pending) >= self.batch_size:
                self._submit(list(pending.values()), state, summary)
                pending = {}
        if pending:
            self._submit(list(pending.values()), state, summary)
        return newest

    def _settle_before_stopping(self, state: CheckpointState, summary: RunSummary) -> None:
        """The source failed mid-read: acknowledge what the hub took of the batches sent,
        so the next run does not push them again. The source's error is the one raised; a
        batch the hub cannot answer now is sent again next run."""
        with contextlib.suppress(HubCallError, _NotSent):
            self._settle_all(state, summary)

    def _cursor(self, since: dt.datetime | None, newest: dt.datetime) -> dt.datetime:
        """The newest change read, but never past a record refused on this run: an API
        asked for the changes since the cursor would not answer it again, and it must be
        read again until accepted (a consent recorded, the mapping fixed). Never before
        `since` (a table source reads its refused rows again by their keys)."""
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
        """Remember the earliest modification date of the records refused on this run."""
        if modified_at is not None and (self._held is None or modified_at < self._held):
            self._held = modified_at

    def _submit(self, batch: list[_Pending], state: CheckpointState,
                summary: RunSummary) -> None:
        """Queue `batch` for sending. One batch is sent at a time; while the hub answers it,
        the next one waits ready to go, so the hub never waits for this thread to map.
        Answered batches are settled in order, before a third one is queued."""
        while self._sent and (len(self._sent) >= _READY_AHEAD or self._sent[0][1].done()):
            self._settle_oldest(state, summary)
        assert self._pool is not None
        self._sent.append((batch, self._pool.submit(self._send, [p.fiche for p in batch])))

    def _send(self, fiches: list[dict[str, Any]]) -> BatchResult:
        """On the sending thread: push, unless an earlier batch found the hub down or the
        credentials refused (the run is stopping: one failing call, not one per batch)."""
        if self._stopping:
            raise _NotSent
        try:
            return self.client.push_fiches(fiches)
        except HubRequestRejected:
            raise  # this batch only: it is split, the next ones go on
        except BaseException:
            self._stopping = True
            raise

    def _settle_all(self, state: CheckpointState, summary: RunSummary) -> None:
        while self._sent:
            self._settle_oldest(state, summary)

    def _settle_oldest(self, state: CheckpointState, summary: RunSummary) -> None:
        batch, future = self._sent.popleft()
        try:
            self._settle_result(batch, future, state, summary)
        except BaseException:  # the run stops: what waits is not sent (nor acknowledged)
            for _, waiting in self._sent:
                waiting.cancel()
            self._sent.clear()
            raise

    def _settle_result(self, batch: list[_Pending], future: Future[BatchResult],
                       state: CheckpointState, summary: RunSummary) -> None:
        try:
            result = future.result()
        except HubRequestRejected as exc:
            self._split(batch, state, summary, exc)
            return
        self._settle(batch, result, state, summary, retry_versions=True)

    def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        """A hub call from this thread, queued behind the batch in flight (calls stay in
        order, one at a time)."""
        if self._pool is None:
            return function(*args)
        return self._pool.submit(function, *args).result()

    def _take(self, record: SourceRecord, state: CheckpointState,
              pending: dict[str, _Pending], summary: RunSummary) -> None:
        known = state.known.get(record.key or "")
        if record.deleted:
            summary.deleted_at_source += 1
            if known is not None:
                self._withdraw(record.key or "", state, summary)
            return
        try:
            fiche = self._fiche(record)
        except RecordRejected as exc:
            self._reject_locally(record, state, summary, exc)
            return
        if self.source.warnings:
            summary.warnings += 1
            self.rejects.write(record.line, fiche.get("fiche_id"), "avertissement",
                               self.source.warnings, key=record.key)
        digest = content_hash(fiche)
        if known is not None and (known.content_hash == digest
                                  or _rehashed(state, record.key or "", known, fiche, digest)):
            summary.unchanged += 1
            state.refused.discard(record.key or "")
            return
        version_mapped = "version" in fiche
        fiche.setdefault("version", known.version + 1 if known else 1)
        errors = [] if self._validator.is_valid(fiche) else self._lenient(fiche, record, summary)
        if errors:
            summary.rejected_local += 1
            state.refused.add(record.key or "")
            self._hold(record.modified_at)
            self.rejects.write(record.line, fiche.get("fiche_id"), "validation", errors,
                               key=record.key)
            return
        assert record.key is not None
        pending[record.key] = _Pending(record.key, record.line, fiche, digest, version_mapped,
                                       record.modified_at)

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
        self._hold(record.modified_at)
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
        fiche_id = self.source.mapping.fiche_id(record.key) if record.key else None
        self.rejects.write(record.line, fiche_id, "correspondance", problems, key=record.key)
        if warnings:  # what would be left out of the fiche once the row is fixed
            summary.warnings += 1
            self.rejects.write(record.line, fiche_id, "avertissement", warnings, key=record.key)

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

    def _push(self, batch: list[_Pending], state: CheckpointState, summary: RunSummary,
              *, retry_versions: bool = True) -> None:
        """Push one batch synchronously (halves of a refused batch, conflict resends)."""
        try:
            result = self._call(self.client.push_fiches, [p.fiche for p in batch])
        except HubRequestRejected as exc:
            self._split(batch, state, summary, exc)
            return
        self._settle(batch, result, state, summary, retry_versions=retry_versions)

    def _settle(self, batch: list[_Pending], result: BatchResult, state: CheckpointState,
                summary: RunSummary, *, retry_versions: bool) -> None:
        """Acknowledge what the hub accepted, reject the rest, continue version conflicts."""
        summary.batches += 1
        summary.sent += len(batch)
        accepted: dict[str, KnownFiche] = {}
        conflicted: list[_Pending] = []
        for item in result.items:
            entry = batch[item.index]
            if item.accepted:
                accepted[entry.key] = KnownFiche(
                    entry.fiche["fiche_id"], entry.fiche["version"], entry.content_hash)
                summary.accepted += 1
                summary.duplicates += item.duplicate
                state.refused.discard(entry.key)
            elif retry_versions and not entry.version_mapped and item.error_codes() & _VERSION_CODES:
                conflicted.append(entry)
            else:
                summary.rejected_hub += 1
                state.refused.add(entry.key)
                self._hold(entry.modified_at)
                self.rejects.write(entry.line, entry.fiche.get("fiche_id"), "hub", item.errors,
                                   key=entry.key)
        if accepted:
            self.checkpoint.acknowledge(state, accepted)
        if conflicted:
            self._resend_after_conflict(conflicted, state, summary)

    def _resend_after_conflict(self, batch: list[_Pending], state: CheckpointState,
                               summary: RunSummary) -> None:
        """The hub holds a newer version than the checkpoint knows (a lost acknowledgement):
        continue from the hub's version, once."""
        for entry in batch:
            current = self._call(self.client.get_fiche, self.client.member_id,
                                 entry.fiche["fiche_id"])
            entry.fiche["version"] = int(current["version"]) + 1
        self._push(batch, state, summary, retry_versions=False)

    def _split(self, batch: list[_Pending], state: CheckpointState, summary: RunSummary,
               exc: HubRequestRejected) -> None:
        """A refused batch (too large, malformed): halve it until the bad fiche stands alone."""
        if len(batch) > 1:
            middle = len(batch) // 2
            self._push(batch[:middle], state, summary)
            self._push(batch[middle:], state, summary)
            return
        summary.rejected_hub += 1
        state.refused.add(batch[0].key)
        self._hold(batch[0].modified_at)
        problem = {"path": "$", "code": exc.hub_code or exc.code,
                   "message_fr": exc.message_fr, "message_en": exc.message_en}
        self.rejects.write(batch[0].line, batch[0].fiche.get("fiche_id"), "hub", [problem],
                           key=batch[0].key)

    def _withdrawals(self, state: CheckpointState, summary: RunSummary) -> None:
        deleted = self.source.deleted_keys(set(state.known))
        if not deleted:
            return
        reason = self._swallowed(state, len(deleted))
        if reason is None and not self.confirm_deletions:
            reason = self._implausible_export(state, summary, len(deleted))
        if reason is not None:
            summary.withdrawals_held = len(deleted)
            summary.stopped, summary.raison = HELD, reason
            return
        for key in sorted(deleted):
            self._withdraw(key, state, summary)

    def _swallowed(self, state: CheckpointState, vanishing: int) -> str | None:
        """Rows read as a cell's text (a quote never closed) are unread, not deleted: no
        confirmation withdraws them, only a corrected export (None: no such row)."""
        doubtful = self.source.doubtful_lines()
        if not doubtful:
            return None
        where = ", ".join(str(n) for n in doubtful[:5])
        return (f"Ligne{'s' if len(doubtful) > 1 else ''} {where} : un guillemet ouvert "
                "dans une cellule n'est pas refermé, les lignes suivantes ont été lues comme "
                f"son texte (fichier des rejets). {vanishing} fiches sur {len(state.known)} "
                "seraient retirées : corrigez ce guillemet dans le tableur et exportez de "
                "nouveau ; rien n'a été retiré, même avec « confirmer_suppressions ».")

    def _implausible_export(self, state: CheckpointState, summary: RunSummary,
                            vanishing: int) -> str | None:
        """Why this export may not be the member's whole file (None: it plausibly is)."""
        confirm = (" Si ces fiches ont vraiment été supprimées, relancez avec "
                   "--confirmer-suppressions (ou « confirmer_suppressions »: true dans la "
                   "configuration) ; sinon corrigez l'export : rien n'a été retiré.")
        known = len(state.known)
        if summary.read == 0:
            return (f"L'export ne contient aucune ligne : les {known} fiches déjà envoyées "
                    "seraient retirées du réseau." + confirm)
        columns = {normalize_label(c) for c in getattr(self.source, "columns", [])}
        gone = [c for c in state.columns if normalize_label(c) not in columns] \
            or self.source.missing_columns()
        if gone:
            return (f"Colonnes absentes de l'export ({', '.join(gone)}) : en-tête renommé ou "
                    f"export incomplet ? {vanishing} fiches sur {known} seraient retirées."
                    + confirm)
        if vanishing > 2 and vanishing > self.deletion_share_max * known:
            return (f"{vanishing} fiches sur {known} ont disparu de l'export (plus de "
                    f"{self.deletion_share_max:.0%}) : export partiel ou filtré ?" + confirm)
        return None

    def _withdraw(self, key: str, state: CheckpointState, summary: RunSummary) -> None:
        """Remove the fiche from the network, then forget it (durably)."""
        fiche_id = state.known[key].fiche_id
        self.client.delete_fiche(self.client.member_id, fiche_id)
        self.checkpoint.acknowledge(state, {}, [key])
        summary.withdrawals.append(fiche_id)


def run_every(
    make_runner: Callable[[], Runner],
    interval_s: float,
    *,
    max_runs: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_summary: Callable[[RunSummary], None] = lambda summary: None,
) -> int:
    """Run again and again, every `interval_s`; stops on refused credentials.

    Answers the number of runs done. A hub unavailable only delays the next run.
    """
    runs = 0
    while max_runs is None or runs < max_runs:
        if runs:
            sleep(interval_s)
        runner = make_runner()
        try:
            on_summary(runner.run())  # HubAuthError propagates: no retry storm
        finally:
            runner.source.close()
        runs += 1
    return runs
