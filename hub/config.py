"""Typed settings, read once from the environment.

Every setting has a default that serves the embedded mode (SQLite file, a broker
that needs no server). Scale mode is chosen by `HUB_DATABASE_URL` and
`HUB_BROKER_URL`. An unset path is None; the folders that default to places beside
the data folder are resolved once, here. Secrets are `Secret`s: they print as stars
(str, repr, format, logs) and give their value only to `reveal()`. The database and
broker URLs are `SecretUrl`s: they print with their credentials starred
(`postgresql+psycopg://***@db/hub`) and are revealed only where a connection is made.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hub.errors import ConfigurationError
from hub.settings_bounds import check_settings, worker_rows_bound

_STARS = "**********"


class Secret:
    """A secret setting (token, password, URL with credentials): prints as stars
    however it is printed; `reveal()` gives the value to the code that uses it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_STARS}')"

    def __str__(self) -> str:
        return _STARS

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(
            self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        return Secret, (self._value,)  # settings travel to worker processes


NO_SECRET = Secret("")


class SecretUrl(Secret):
    """A URL that may carry credentials (database, broker): prints with its user,
    password and any `password=` query value starred (`postgresql://***@db/hub`), so
    the host and database stay readable; `reveal()` gives the URL to the code that
    connects."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"SecretUrl({str(self)!r})"

    def __str__(self) -> str:
        return _starred(self._value)

    def startswith(self, prefixes: str | tuple[str, ...]) -> bool:
        """Whether the URL starts with one of `prefixes` (its scheme, say)."""
        return self._value.startswith(prefixes)

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        return SecretUrl, (self._value,)


NO_URL = SecretUrl("")


@dataclasses.dataclass(frozen=True)
class Settings:
    """All settings of the hub; `from_env` documents each variable."""

    data_dir: Path = Path("var")
    key_dir: Path | None = None  # None: "<data_dir>-keys", beside the data folder
    database_url: SecretUrl = NO_URL  # a str given here is wrapped
    broker_url: SecretUrl = NO_URL
    # How long a database call may wait before it fails with a 503 (retried by the
    # worker): a new connection, a statement (PostgreSQL's statement_timeout; the client
    # waits 5 s more for any answer before it drops the connection), a lock (PostgreSQL's
    # lock_timeout, SQLite's busy timeout), a free connection of the pool. 0: no limit.
    # A statement without answer for `database_silence_probe_s`: the server is asked on a
    # new connection whether it answers at all (no: the statement fails). 0: never asked.
    # A PostgreSQL session idle inside a transaction longer than
    # `database_idle_in_transaction_timeout_s` is ended by the server, its transaction
    # rolled back and its locks let go (a process frozen mid-transaction held its row
    # locks as long as it stayed stopped). A minute: a legitimate transaction may sit
    # idle a while (a second connection waiting for the pool, a match computed, an
    # archive segment written; past 5 s on a loaded machine). 0: no limit.
    # The access log's single lock has its own limit (`audit_lock_idle_timeout_s`).
    database_connect_timeout_s: float = 5.0
    database_statement_timeout_s: float = 30.0
    database_lock_timeout_s: float = 10.0
    database_pool_timeout_s: float = 10.0
    database_silence_probe_s: float = 5.0
    database_idle_in_transaction_timeout_s: float = 60.0
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 8 * 1024 * 1024
    # A request's headers complete this long after its first byte; its body never silent
    # longer than this, and whole this long after the headers (below the signature's
    # skew: a slow body is told so, not a wrong clock): otherwise 408 and the connection
    # closed (hub/api/wire.py).
    request_header_timeout_s: float = 10.0
    request_body_idle_timeout_s: float = 30.0
    request_body_timeout_s: float = 120.0
    max_batch_items: int = 1000
    signature_max_skew_s: int = 300
    legacy_signatures_until: str = "2027-06-30"
    outbox_republish_after_s: float = 30.0
    sweep_interval_s: float = 10.0
    worker_concurrency: int = 1
    worker_batch_size: int = 1000
    worker_transaction_size: int = 0  # 0: `transaction_size` chooses by store
    worker_claim_size: int = 0  # 0: `claim_size` chooses by store
    queue_name: str = "capactif"
    policy_file: Path | None = None  # None: the policy shipped with the hub
    policy_reload_s: float = 5.0
    webhook_timeout_s: float = 10.0
    webhook_retry_base_s: float = 2.0
    webhook_retry_max_s: float = 600.0
    webhook_give_up_after_s: float = 86400.0
    dispatch_interval_s: float = 2.0
    webhook_lease_s: float = 5.0
    webhook_senders: int = 8
    webhook_rate_per_recipient: float = 0.0
    notice_ack_delay_days: int = 30
    audit_head_interval_s: float = 10.0
    # PostgreSQL: a session holding the access log's single lock (taken just before the
    # commit of the work that appends, between which the hub sends nothing but the
    # insert and the commit) and idle this long (its process paused: a VM paused, a
    # debugger) is ended by the server, so the others' appends go on. Far above the few
    # milliseconds the hub idles there, which a process starved on a loaded machine
    # stretched past 5 s. 0: no limit.
    audit_lock_idle_timeout_s: float = 60.0
    audit_retention_days: int = 365
    audit_archive_interval_s: float = 3600.0
    audit_archive_dir: Path | None = None  # None: "audit-archive" in the data folder
    audit_alert_rules_file: Path | None = None  # None: the rules shipped with the hub
    bench_disable_audit: bool = False
    log_level: str = "INFO"
    log_format: str = "text"
    matching_model_file: Path | None = None  # None: the model shipped with the hub
    match_candidates_per_key: int = 50
    match_lock_stripes: int = 1 << 20
    sqlite_mmap_mb: int = 2047  # a worker's SQLite reads its file through a map this large; 0: off
    console_member: str = ""
    console_cookie_secure: bool = True
    console_session_hours: float = 8.0
    console_max_failed_logins: int = 5
    console_lockout_minutes: float = 15.0
    console_stalled_weeks: int = 8
    heartbeat_interval_s: float = 15.0
    broker_outage_reminder_s: float = 30.0
    # After a call to a Redis server failed (a timeout: frozen; refused), this process
    # skips it this long (hub.redis_breaker); 0: never skipped.
    redis_breaker_s: float = 5.0
    credential_overlap_hours: float = 72.0
    metrics_token: Secret = NO_SECRET
    rate_limit_push: str = "600/minute"
    rate_limit_read: str = "1200/minute"
    rate_limit_write: str = "300/minute"
    rate_limit_per_source: str = "3000/minute"
    rate_limit_storage: Secret = NO_SECRET
    auth_refusal_limit: int = 20
    console_max_failed_per_source: int = 20
    auth_refusal_window_s: float = 60.0
    # Resolved once from the settings above (not read from the environment).
    key_folder: Path = dataclasses.field(init=False, repr=False, compare=False)
    audit_archive_folder: Path = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("database_url", "broker_url"):
            if not isinstance(getattr(self, name), SecretUrl):
                object.__setattr__(self, name, SecretUrl(str(getattr(self, name))))
        if not self.database_url:
            url = f"sqlite:///{(self.data_dir / 'hub.sqlite3').resolve()}"
            object.__setattr__(self, "database_url", SecretUrl(url))
        object.__setattr__(self, "key_folder", self.key_dir or
                           self.data_dir.parent / f"{self.data_dir.name or 'var'}-keys")
        if not self.broker_url:
            object.__setattr__(self, "broker_url", SecretUrl("filesystem://"))
        object.__setattr__(self, "audit_archive_folder",
                           self.audit_archive_dir or self.data_dir / "audit-archive")
        if self.webhook_lease_s < 3:
            raise ConfigurationError(
                "HUB_WEBHOOK_LEASE_S doit valoir au moins 3 s (il est renouvelé tous les "
                "cinquièmes et l'envoi en cours est coupé 1 s avant sa fin).",
                "HUB_WEBHOOK_LEASE_S must be at least 3 s (it is renewed every fifth of it and "
                "the POST under way is cut off 1 s before it ends).",
            )
        for name in ("database_connect_timeout_s", "database_statement_timeout_s",
                     "database_lock_timeout_s", "database_pool_timeout_s",
                     "database_silence_probe_s", "database_idle_in_transaction_timeout_s",
                     "audit_lock_idle_timeout_s"):
            if not 0 <= getattr(self, name) < math.inf:
                raise ConfigurationError(
                    f"HUB_{name.upper()} doit être un nombre de secondes positif ou nul "
                    "(0 : sans limite).",
                    f"HUB_{name.upper()} must be a number of seconds, positive or zero "
                    "(0: no limit).",
                )
        if not 0 < self.broker_outage_reminder_s < math.inf:
            raise ConfigurationError(
                "HUB_BROKER_OUTAGE_REMINDER_S doit être un nombre de secondes positif et fini (un rappel "
                "pendant une panne du courtier tous les combien ; 30 par défaut).",
                "HUB_BROKER_OUTAGE_REMINDER_S must be a positive, finite number of seconds (how often an "
                "outage of the broker is recalled in the log; 30 by default).",
            )
        if self.audit_retention_days < 1:
            raise ConfigurationError(
                "HUB_AUDIT_RETENTION_DAYS doit valoir au moins 1 (la CNIL recommande 6 à 12 mois).",
                "HUB_AUDIT_RETENTION_DAYS must be at least 1 (the CNIL recommends 6 to 12 months).",
            )
        _check_metrics_token(self.metrics_token)
        _ = self.legacy_signatures_end  # a malformed date fails at start, not per request
        check_settings(self)  # every other number's range, the log and URL forms

    def __repr__(self) -> str:
        """Like the dataclass's, with URL credentials starred (secrets star themselves)."""
        shown = ", ".join(f"{f.name}={_printable(getattr(self, f.name))!r}"
                          for f in dataclasses.fields(self) if f.init)
        return f"Settings({shown})"

    __str__ = __repr__

    @property
    def auth_refusal_window(self) -> dt.timedelta:
        """Refused authentications are counted per source over windows this long."""
        return dt.timedelta(seconds=self.auth_refusal_window_s)

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url.startswith("filesystem://")

    @property
    def broker_dir(self) -> Path:
        return self.data_dir / "broker"

    @property
    def notice_ack_delay(self) -> dt.timedelta:
        """A withdrawal or erasure notice not acknowledged within this is overdue."""
        return dt.timedelta(days=self.notice_ack_delay_days)

    @property
    def legacy_signatures_end(self) -> dt.datetime:
        """X-Capactif-* signatures are refused from this instant (UTC midnight)."""
        try:
            day = dt.date.fromisoformat(self.legacy_signatures_until)
        except ValueError as exc:
            raise ConfigurationError(
                "HUB_LEGACY_SIGNATURES_UNTIL doit être une date AAAA-MM-JJ.",
                "HUB_LEGACY_SIGNATURES_UNTIL must be a YYYY-MM-DD date.",
            ) from exc
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)

    @property
    def webhook_connect_timeout_s(self) -> float:
        return min(3.05, self.webhook_timeout_s)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def transaction_size(self) -> int:
        """Outbox rows per worker transaction (HUB_WORKER_TRANSACTION_SIZE, else by store):
        100 on PostgreSQL; 10 on SQLite, whose single write lock a push waits for while
        the worker's transaction runs (bench/ingest.py --sizes 25,10, two 5-round runs:
        API ingest beside the worker 0.55 and 0.89 of its rate alone at 10 against 0.43
        and 0.59 at 25, for a worker processing 16-22 % fewer fiches a second; README).
        A default never above what the lock timeout allows (`worker_rows_bound`)."""
        if self.worker_transaction_size > 0:
            return self.worker_transaction_size
        return min(10 if self.is_sqlite else 100, self.worker_rows_bound)

    @property
    def claim_size(self) -> int:
        """Outbox rows a worker transaction takes at most when more are queued than its
        task names (HUB_WORKER_CLAIM_SIZE, else by store): 500 on PostgreSQL, where a
        transaction of 500 costs a fifth less CPU a fiche than one of 100; on SQLite the
        transaction size (a push waits for the worker's transaction: kept short). At or
        below the transaction size, a transaction takes its task's rows only. Both at most
        `worker_rows_bound` (a transaction holds its keys until it commits: a set value
        above it is refused at start, a default lowered to it)."""
        if self.worker_claim_size > 0:
            return self.worker_claim_size
        return self.transaction_size if self.is_sqlite else min(500, self.worker_rows_bound)

    @property
    def worker_rows_bound(self) -> int:
        """The most outbox rows a worker transaction may take: 200 a second of
        HUB_DATABASE_LOCK_TIMEOUT_S (whatever waits for its keys gives up after it), at
        most 5,000 (`hub.settings_bounds.worker_rows_bound`)."""
        return worker_rows_bound(self.database_lock_timeout_s)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from `HUB_*` variables (see README, "Settings")."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            name = "HUB_" + field.name.upper()
            if field.init and name in env:
                values[field.name] = _parse(name, env[name], str(field.type))
        return cls(**values)


_URL_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]*@")
_QUERY_PASSWORD = re.compile(r"(?i)\b(password|passwd|pwd)=[^&\s]*")


def _printable(value: object) -> object:
    """`value` as it may be printed: credentials inside a URL starred."""
    return _starred(value) if isinstance(value, str) else value


# The placeholder of deploy/hub.env.example, and the shortest token taken: what
# `openssl rand -hex 16` gives (128 bits). Either refused at start, never printed.
METRICS_TOKEN_PLACEHOLDER = "change-me-to-a-long-random-string"
METRICS_TOKEN_MIN_LENGTH = 32


def _check_metrics_token(token: Secret) -> None:
    value = token.reveal()
    if not value:
        return  # unset: loopback clients only
    if value.strip() == METRICS_TOKEN_PLACEHOLDER or len(value) < METRICS_TOKEN_MIN_LENGTH:
        raise ConfigurationError(
            "HUB_METRICS_TOKEN est l'exemple de deploy/hub.env.example ou fait moins de "
            f"{METRICS_TOKEN_MIN_LENGTH} caractères : mettez-y une chaîne aléatoire "
            "(`openssl rand -hex 32`), ou retirez-le (seuls les clients locaux lisent alors "
            "/metrics).",
            "HUB_METRICS_TOKEN is deploy/hub.env.example's placeholder or shorter than "
            f"{METRICS_TOKEN_MIN_LENGTH} characters: set a random string "
            "(`openssl rand -hex 32`), or remove it (only loopback clients read /metrics then).",
        )


def _starred(url: str) -> str:
    """`url` with its user, password and any `password=` query value starred."""
    return _QUERY_PASSWORD.sub(r"\1=***", _URL_CREDENTIALS.sub("***@", url))


def _parse(name: str, raw: str, kind: str) -> object:
    """The value of variable `name` for a setting annotated `kind`; an empty path is unset."""
    try:
        if kind == "bool":
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw)
        if kind == "Path | None":
            return Path(raw) if raw.strip() else None
        if kind == "Secret":
            return Secret(raw)
        if kind == "SecretUrl":
            return SecretUrl(raw)
        return raw
    except ValueError as exc:
        raise ConfigurationError(
            f"La variable {name} doit être de type {kind}.",
            f"The variable {name} must be of type {kind}.",
        ) from exc
