"""Push a run's batches and settle the hub's answers in the checkpoint.

Batches are sent one at a time from a worker thread; while the hub answers one, the next
waits ready and a third is read and mapped on the run's thread. Results are settled on
the run's thread, in order: a fiche is acknowledged only once the hub accepted it. A batch
the hub refuses as a whole is halved until the bad fiche stands alone; a version conflict
(a lost acknowledgement) continues from the hub's version, once, unless the hub's version
was updated after the content read here (another tool's newer push is never replaced).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from connectors.checkpoint import Checkpoint, CheckpointState, KnownFiche
from connectors.client import HubClient
from connectors.content_hash import content_hash
from connectors.errors import HubCallError, HubRequestRejected
from connectors.rejects import RejectsFile
from connectors.results import BatchResult
from connectors.run_summary import NotSent, Pending, RunSummary

_READY_AHEAD = 2  # batches handed to the sending thread and not yet settled
_VERSION_CODES = {"version_conflict", "stale_version"}
NEWER_AT_HUB = {
    "path": "$.mis_a_jour_le", "code": "version_plus_recente_au_hub",
    "message_fr": "Le hub a de cette fiche une version mise à jour après celle lue ici "
                  "(envoyée par un autre outil, ou par un autre passage du connecteur avec "
                  "une autre reprise) : elle n'est pas remplacée. Vérifiez que la ligne est à "
                  "jour dans la source (et sa date « Modifié le ») ; elle sera relue au "
                  "passage suivant.",
    "message_en": "The hub holds a version of this fiche updated after the one read here "
                  "(sent by another tool or run): it is not replaced. Check the record and "
                  "its modification date at the source; it is read again next run.",
}
OLDER_THAN_SENT = {
    "path": "$.mis_a_jour_le", "code": "plus_ancienne_que_envoyee",
    "message_fr": "Cette ligne est datée d'avant la version déjà envoyée au hub (« Modifié "
                  "le ») : l'export lu est sans doute une copie plus ancienne (sauvegarde "
                  "restaurée, fichier remis par une synchronisation). Elle n'est pas envoyée. "
                  "Remettez l'export le plus récent (ou corrigez la date de la ligne) ; elle "
                  "sera relue au passage suivant.",
    "message_en": "This row is dated before the version already sent to the hub: the export "
                  "read is likely an older copy (restored backup, file reverted by a sync "
                  "client). It is not sent. Put the latest export back (or fix the row's "
                  "date); it is read again next run.",
}


def later(held: Any, read: Any) -> bool:
    """Whether the update date `held` (the hub's fiche) is after `read` (this run's); False
    when either cannot be read (ISO 8601; a date without offset is UTC)."""
    try:
        moments = [dt.datetime.fromisoformat(str(text)) for text in (held, read)]
    except ValueError:
        return False
    first, second = (m if m.tzinfo else m.replace(tzinfo=dt.UTC) for m in moments)
    return first > second


class Settler:
    """The batches of one run in flight to the hub; `refused` hears of each record the hub
    refused (the run holds its cursor there, and a number never sent holds withdrawals)."""

    def __init__(self, client: HubClient, checkpoint: Checkpoint, rejects: RejectsFile,
                 refused: Callable[[Pending, CheckpointState], None]) -> None:
        self.client = client
        self.checkpoint = checkpoint
        self.rejects = rejects
        self._refused = refused
        self._sent: deque[tuple[list[Pending], Future[BatchResult]]] = deque()
        self._stopping = False
        self._pool: ThreadPoolExecutor | None = None

    def start(self, pool: ThreadPoolExecutor | None) -> None:
        """Send through `pool` (None: the run is over, calls are made on this thread)."""
        self._pool = pool
        if pool is not None:
            self._sent.clear()
            self._stopping = False

    def settle_before_stopping(self, state: CheckpointState, summary: RunSummary) -> None:
        """The source failed mid-read: acknowledge what the hub took of the batches sent,
        so the next run does not push them again. The source's error is the one raised; a
        batch the hub cannot answer now is sent again next run."""
        with contextlib.suppress(HubCallError, NotSent):
            self.settle_all(state, summary)

    def submit(self, batch: list[Pending], state: CheckpointState,
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
            raise NotSent
        try:
            return self.client.push_fiches(fiches)
        except HubRequestRejected:
            raise  # this batch only: it is split, the next ones go on
        except BaseException:
            self._stopping = True
            raise

    def settle_all(self, state: CheckpointState, summary: RunSummary) -> None:
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

    def _settle_result(self, batch: list[Pending], future: Future[BatchResult],
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

    def _push(self, batch: list[Pending], state: CheckpointState, summary: RunSummary,
              *, retry_versions: bool = True) -> None:
        """Push one batch synchronously (halves of a refused batch, conflict resends)."""
        try:
            result = self._call(self.client.push_fiches, [p.fiche for p in batch])
        except HubRequestRejected as exc:
            self._split(batch, state, summary, exc)
            return
        self._settle(batch, result, state, summary, retry_versions=retry_versions)

    def _settle(self, batch: list[Pending], result: BatchResult, state: CheckpointState,
                summary: RunSummary, *, retry_versions: bool) -> None:
        """Acknowledge what the hub accepted, reject the rest, continue version conflicts."""
        summary.batches += 1
        summary.sent += len(batch)
        accepted: dict[str, KnownFiche] = {}
        conflicted: list[Pending] = []
        for item in result.items:
            entry = batch[item.index]
            if item.accepted:
                accepted[entry.key] = KnownFiche(
                    entry.fiche["fiche_id"], entry.fiche["version"], entry.content_hash,
                    entry.fiche.get("mis_a_jour_le"))
                summary.accepted += 1
                summary.duplicates += item.duplicate
                state.refused.discard(entry.key)
            elif retry_versions and not entry.version_mapped and item.error_codes() & _VERSION_CODES:
                conflicted.append(entry)
            else:
                self._refuse(entry, state, summary, item.errors)
        if accepted:
            self.checkpoint.acknowledge(state, accepted)
        if conflicted:
            self._resend_after_conflict(conflicted, state, summary)

    def _refuse(self, entry: Pending, state: CheckpointState, summary: RunSummary,
                errors: Sequence[Any]) -> None:
        summary.rejected_hub += 1
        state.refused.add(entry.key)
        self._refused(entry, state)
        self.rejects.write(entry.line, entry.fiche.get("fiche_id"), "hub", errors,
                           key=entry.key)

    def _resend_after_conflict(self, batch: list[Pending], state: CheckpointState,
                               summary: RunSummary) -> None:
        """The hub holds a version the checkpoint does not know: a lost acknowledgement (a
        run killed after the hub accepted its batch), or another tool pushing the member's
        fiches. The content read is acknowledged at the hub's version when the hub holds
        it; content the hub holds from a later update than the one read here is never
        replaced (the row is refused, read again next run); otherwise the run continues
        from the hub's version, once."""
        resend: list[Pending] = []
        same: dict[str, KnownFiche] = {}
        for entry in batch:
            current = self._call(self.client.get_fiche, self.client.member_id,
                                 entry.fiche["fiche_id"])
            held = current.get("fiche") if isinstance(current.get("fiche"), dict) else {}
            if content_hash(held) == entry.content_hash:
                same[entry.key] = KnownFiche(entry.fiche["fiche_id"], int(current["version"]),
                                             entry.content_hash, held.get("mis_a_jour_le"))
            elif later(held.get("mis_a_jour_le"), entry.fiche.get("mis_a_jour_le")):
                self._refuse(entry, state, summary, [NEWER_AT_HUB])
            else:
                entry.fiche["version"] = int(current["version"]) + 1
                resend.append(entry)
        if same:
            summary.accepted += len(same)
            summary.duplicates += len(same)
            for key in same:
                state.refused.discard(key)
            self.checkpoint.acknowledge(state, same)
        if resend:
            self._push(resend, state, summary, retry_versions=False)

    def _split(self, batch: list[Pending], state: CheckpointState, summary: RunSummary,
               exc: HubRequestRejected) -> None:
        """A refused batch (too large, malformed): halve it until the bad fiche stands alone."""
        if len(batch) > 1:
            middle = len(batch) // 2
            self._push(batch[:middle], state, summary)
            self._push(batch[middle:], state, summary)
            return
        problem = {"path": "$", "code": exc.hub_code or exc.code,
                   "message_fr": exc.message_fr, "message_en": exc.message_en}
        self._refuse(batch[0], state, summary, [problem])
