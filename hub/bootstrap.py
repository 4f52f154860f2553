"""The composition root: settings, engine, broker and keys are wired here, and only here.

Nothing connects at import time: `Hub.from_settings` builds objects whose
connections open on first use. Every process-wide object (engine, HTTP session for
webhooks, matching model, alert rules, the worker's hub) is built here and held by
the `Hub` (or the worker's Celery app), never by a module-level cache.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import requests
import sqlalchemy as sa

from consent.api import ConsentRegistry, SqlConsentRegistry, check_master_key
from hub import embedded_broker, redis_broker
from hub.audit.kept_head import KeptHead
from hub.audit.log import AuditLog
from hub.config import Settings
from hub.data_dir import prepare_data_dir
from hub.domain.matching.record import RecordMemo
from hub.journal import RecoveryJournal
from hub.key_dir import prepare_key_dir
from hub.keyring import Keyring, StoreKeys
from hub.keys import HubKey, load_or_create_secret
from hub.limits import RefusalCounter
from hub.outages import quiet_outages
from hub.redis_breaker import RedisBreakers
from hub.services.delivery.publisher import CeleryPublisher, TaskPublisher
from hub.services.ingest.policy_loader import DEFAULT_POLICY_FILE, PolicyHolder, load_policy_file
from hub.services.ops.rate_limits import RateLimits, refusal_counter
from hub.signing_keys import HubKeys
from hub.store.common_keys import CommonKeys
from hub.store.deadlines import Deadlines
from hub.store.engine import create_engine, reader_engine
from hub.store.identity_memo import ErasuresSeen, IdentityMemo
from hub.store.token_memo import TokenMemo
from hub.store.uow import UnitOfWork
from hub.webhook_session import webhook_session

if TYPE_CHECKING:  # annotations only: the loaders are imported at first use (below)
    from hub.domain.matching.model import MatchModel
    from hub.services.audit.alerts import Rules

Clock = Callable[[], dt.datetime]
T = TypeVar("T")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Lazy(Generic[T]):
    """An object built at its first use, then kept: files read only by the processes
    that need them, and a broken one reported where it is used."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._built: list[T] = []

    def get(self) -> T:
        with self._lock:
            if not self._built:
                self._built.append(self._build())
            return self._built[0]

    def built(self) -> T | None:
        """The object if it was built, without building it."""
        return self._built[0] if self._built else None


def _matching_model(settings: Settings) -> Lazy[MatchModel]:
    def build() -> MatchModel:
        from hub.services.matching.online import load_matching_model  # it imports this module

        return load_matching_model(settings.matching_model_file)

    return Lazy(build)


def _alert_rules(settings: Settings) -> Lazy[Rules]:
    def build() -> Rules:
        from hub.services.audit.alerts import load_rules  # it imports this module

        return load_rules(settings.audit_alert_rules_file)

    return Lazy(build)


@dataclasses.dataclass
class Hub:
    """Everything a service function needs, built once per process."""

    settings: Settings
    engine: sa.Engine
    publisher: TaskPublisher
    hub_keys: HubKeys
    consents: ConsentRegistry
    policy: PolicyHolder
    audit: AuditLog
    pseudonym_key: bytes
    store_keys: StoreKeys
    rate_limits: RateLimits
    matching_model: Lazy[MatchModel]
    alert_rules: Lazy[Rules]
    webhook_session: requests.Session
    refusals: RefusalCounter  # refused authentications, per source
    console_refusals: RefusalCounter  # failed console sign-ins, per source
    redis_breakers: RedisBreakers  # one per Redis server, shared by its users above
    clock: Clock = utc_now
    records: RecordMemo = dataclasses.field(default_factory=RecordMemo)  # matching's memo
    identities: IdentityMemo = dataclasses.field(default_factory=IdentityMemo)  # the index's
    erasures_seen: ErasuresSeen = dataclasses.field(default_factory=ErasuresSeen)  # memos emptied up to
    common_keys: CommonKeys = dataclasses.field(default_factory=CommonKeys)  # over the cap
    # the network routing reads (members, subscriptions), kept while its token stays
    network: TokenMemo[Any] = dataclasses.field(default_factory=TokenMemo)

    def __repr__(self) -> str:
        # Never the key material (master key, pseudonym key, the hub's signing key).
        return f"Hub(settings={self.settings!r})"

    @property
    def hub_key(self) -> HubKey:
        """The current signing key (re-read when `capactif keys` rotates it)."""
        return self.hub_keys.current

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.store_keys, self.identities)

    def read_uow(self) -> UnitOfWork:
        """A unit of work that only reads: on SQLite it takes no turn among the writers
        (BEGIN DEFERRED), so it never waits for the worker's transaction under way."""
        return UnitOfWork(reader_engine(self.engine), self.store_keys, self.identities)

    @property
    def keyring(self) -> Keyring:
        return self.store_keys.keyring

    @classmethod
    def from_settings(
        cls, settings: Settings, *, publisher: TaskPublisher | None = None, clock: Clock = utc_now,
        mapped_reads: bool = False,
    ) -> Hub:
        """The hub of `settings`; `mapped_reads`: SQLite reads its file through a memory map
        (`HUB_SQLITE_MMAP_MB`), a worker's online match reading its candidates' rows faster.
        Only workers map: a file cut short under a mapped reader (a backup copied over the
        live file) stops the process with SIGBUS, where the API answers 503."""
        prepare_data_dir(settings.data_dir)
        key_dir = prepare_key_dir(settings.data_dir, settings.key_folder)
        breakers = RedisBreakers(settings.redis_breaker_s)
        if publisher is None:
            # Its outages logged once each (start, reminders, end), whatever runs this hub.
            quiet_outages(settings.broker_outage_reminder_s)
            # A file-system broker polls its folder for each task: one task per push there.
            publisher = CeleryPublisher(create_celery(settings), task_size=None
                                        if settings.embedded_broker
                                        else settings.transaction_size,
                                        breaker=breakers.of(settings.broker_url.reveal()))
        engine = create_engine(settings.database_url.reveal(),
                               deadlines=database_deadlines(settings),
                               sqlite_mmap_bytes=settings.sqlite_mmap_mb * 2**20
                               if mapped_reads else 0)
        policy_file = settings.policy_file or DEFAULT_POLICY_FILE
        hub_keys = HubKeys(key_dir)
        return cls(
            settings=settings,
            engine=engine,
            publisher=publisher,
            hub_keys=hub_keys,
            consents=SqlConsentRegistry(reader_engine(engine), clock, writes=engine),
            policy=PolicyHolder(load_policy_file(policy_file), policy_file,
                                settings.policy_reload_s),
            audit=_audit_log(settings, engine, clock, hub_keys),
            pseudonym_key=load_or_create_secret(key_dir, "audit_pseudonyms.key"),
            store_keys=load_store_keys(key_dir),
            rate_limits=RateLimits(settings, breakers),
            matching_model=_matching_model(settings),
            alert_rules=_alert_rules(settings),
            webhook_session=webhook_session(),
            refusals=refusal_counter(settings, "refusals", settings.auth_refusal_window,
                                     breakers),
            console_refusals=refusal_counter(settings, "console-refusals",
                dt.timedelta(minutes=settings.console_lockout_minutes), breakers),
            redis_breakers=breakers,
            clock=clock,
        )

    def with_settings(self, **changes: Any) -> Hub:
        """The same wiring with some settings changed (tests, one-off commands)."""
        settings = self.settings.replace(**changes)
        return dataclasses.replace(self, settings=settings,
                                   rate_limits=RateLimits(settings, self.redis_breakers),
                                   matching_model=_matching_model(settings),
                                   alert_rules=_alert_rules(settings))

    def close(self) -> None:
        self.engine.dispose()
        self.webhook_session.close()


def database_deadlines(settings: Settings) -> Deadlines:
    """How long a database call may wait (HUB_DATABASE_*_TIMEOUT_S, and when the server is
    probed: HUB_DATABASE_SILENCE_PROBE_S; how long a session may sit idle in a
    transaction: HUB_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_S)."""
    return Deadlines(connect_s=settings.database_connect_timeout_s,
                     statement_s=settings.database_statement_timeout_s,
                     lock_s=settings.database_lock_timeout_s,
                     pool_s=settings.database_pool_timeout_s,
                     probe_s=settings.database_silence_probe_s,
                     idle_in_transaction_s=settings.database_idle_in_transaction_timeout_s)


LEGACY_MASTER_KEY = "data_master.key"


def load_store_keys(key_dir: Path) -> StoreKeys:
    """The KEKs, the blocking-index digest key, and the former master key if some wrapped
    keys still need it (`capactif init` re-wraps them, then deletes it)."""
    legacy = key_dir / LEGACY_MASTER_KEY
    return StoreKeys(Keyring.load_or_create(key_dir),
                     load_or_create_secret(key_dir, "index_digest.key"),
                     check_master_key(legacy.read_bytes()) if legacy.exists() else None,
                     RecoveryJournal(key_dir))


def _audit_log(settings: Settings, engine: sa.Engine, clock: Clock,
               hub_keys: HubKeys) -> AuditLog:
    if not settings.bench_disable_audit:
        return AuditLog(engine, clock=clock, kept_head=KeptHead(settings.key_folder),
                        head_keys=hub_keys.public_keys, lock_idle_s=log_lock_idle_s(settings))
    from hub.audit.null import NullAuditLog

    logging.getLogger("hub").warning(
        "HUB_BENCH_DISABLE_AUDIT is set: the access log records NOTHING. Benchmarks only; "
        "never in production.")
    return NullAuditLog(engine, clock=clock)


def log_lock_idle_s(settings: Settings) -> float:
    """How long a session holding the access log's lock may sit idle: the log's own
    limit (HUB_AUDIT_LOCK_IDLE_TIMEOUT_S), or the sessions' when that one is shorter."""
    return min((s for s in (settings.audit_lock_idle_timeout_s,
                            settings.database_idle_in_transaction_timeout_s) if s > 0),
               default=0.0)


def _worker_hub(settings: Settings) -> Hub:
    """The hub of a worker process, its collector tuned for batches (`hub.collector`)."""
    from hub.collector import tune_for_batches

    tune_for_batches()
    return Hub.from_settings(settings, mapped_reads=True)


def create_celery(settings: Settings, *, include_tasks: bool = False) -> Any:
    """The Celery app for `settings` (embedded: a file-system broker needing no server)."""
    from celery import Celery

    # Only the worker's app becomes Celery's current app: the tasks find their hub there.
    app = Celery("capactif", broker=settings.broker_url.reveal(),
                 include=["hub.tasks"] if include_tasks else [], set_as_current=include_tasks)
    if include_tasks:  # the worker's hub, built in each worker process at its first task
        app.capactif_hub = Lazy(lambda: _worker_hub(settings))
        from hub.beat_watch import BeatWatch

        app.capactif_beat_watch_s = settings.heartbeat_interval_s
        app.steps["worker"].add(BeatWatch)  # an embedded beat that dies is started again
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        task_default_queue=settings.queue_name,
        accept_content=["json"],
        # A broker unreachable at start ends the worker non-zero (a wrong URL, or a
        # supervisor that restarts it); a broker lost later is tried again every 1-2 s
        # for as long as it takes (hub.broker_consumer).
        broker_connection_retry_on_startup=False,
        broker_connection_max_retries=None,
        broker_connection_timeout=3,
        worker_consumer="hub.broker_consumer:PromptConsumer",
        beat_scheduler="hub.broker_consumer:ReportingScheduler",  # logs an outage's end
        worker_hijack_root_logger=False,
        # The outbox sweep and the webhook dispatch are not here: every worker runs them on
        # timers of its own (hub.services.ops.worker_timers), the beat's worker gone or not.
        beat_schedule={
            "forget-nonces": {"task": "hub.forget_nonces", "schedule": 600.0},
            "fold-routing-changes": {"task": "hub.fold_routing_changes", "schedule": 600.0},
            "expire-consents": {"task": "hub.expire_consents", "schedule": 300.0},
            "publish-audit-head": {"task": "hub.publish_audit_head",
                                   "schedule": settings.audit_head_interval_s},
            "archive-audit-log": {"task": "hub.archive_audit_log",
                                  "schedule": settings.audit_archive_interval_s},
        },
        beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
    )
    if settings.embedded_broker:
        queue_dir = settings.broker_dir / "queue"
        queue_dir.mkdir(parents=True, exist_ok=True)
        app.conf.broker_transport = embedded_broker.TRANSPORT  # atomic writes, torn files aside
        app.conf.broker_transport_options = {
            "data_folder_in": str(queue_dir),
            "data_folder_out": str(queue_dir),
            "control_folder": str(settings.broker_dir / "control"),
            "polling_interval": 0.05,
        }
        app.conf.worker_enable_remote_control = False
    else:
        redis_broker.use_for_redis_urls()  # a message it cannot read is set aside
        app.conf.broker_transport_options = {"visibility_timeout": 600} if include_tasks \
            else redis_broker.PUBLISHER_OPTIONS
    return app
