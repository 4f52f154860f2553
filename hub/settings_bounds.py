"""The range of every number setting, and the URL schemes the hub can use: checked once
when the settings are built, so that a value that parses but cannot work (a negative
interval, `nan`, no worker slot, a broker the hub cannot speak to) stops the start with
one line naming its variable, not a hub that spins, divides by zero or fails later."""

from __future__ import annotations

import math
from typing import Any

from hub.errors import ConfigurationError

POSITIVE = "> 0"
NOT_NEGATIVE = ">= 0"
FINITE = "finite"

# Every int or float setting; a test checks that none is left out.
RANGES: dict[str, str] = {
    **dict.fromkeys(("database_connect_timeout_s", "database_statement_timeout_s",
                     "database_lock_timeout_s", "database_pool_timeout_s",
                     "database_silence_probe_s", "database_idle_in_transaction_timeout_s",
                     "audit_lock_idle_timeout_s", "worker_transaction_size", "worker_claim_size",
                     "policy_reload_s",
                     "webhook_retry_base_s", "webhook_retry_max_s", "webhook_give_up_after_s",
                     "webhook_rate_per_recipient", "credential_overlap_hours",
                     "console_lockout_minutes", "sqlite_mmap_mb", "redis_breaker_s"),
                    NOT_NEGATIVE),
    **dict.fromkeys(("port", "max_body_bytes", "max_batch_items", "signature_max_skew_s",
                     "sweep_interval_s", "worker_concurrency", "worker_batch_size",
                     "webhook_timeout_s", "dispatch_interval_s", "webhook_lease_s",
                     "webhook_senders", "notice_ack_delay_days", "audit_head_interval_s",
                     "audit_retention_days", "audit_archive_interval_s",
                     "match_candidates_per_key", "match_lock_stripes", "console_session_hours",
                     "console_max_failed_logins", "console_stalled_weeks",
                     "heartbeat_interval_s", "broker_outage_reminder_s", "auth_refusal_limit",
                     "console_max_failed_per_source", "auth_refusal_window_s",
                     "request_header_timeout_s", "request_body_idle_timeout_s",
                     "request_body_timeout_s"), POSITIVE),
    # A bound below the clock: the sweep republishes at once (tests use it).
    "outbox_republish_after_s": FINITE,
}
# The lock stripes are rows of `match_lock_stripes`, each process keeping a bit a stripe;
# SQLite maps at most 2 GiB less 64 KiB of its file (its build's SQLITE_MAX_MMAP_SIZE).
_HIGHEST = {"port": 65535, "match_lock_stripes": 1 << 20, "sqlite_mmap_mb": 2047}
# A worker transaction holds its fiches' matching keys (PostgreSQL) or the write lock
# (SQLite) until it commits, and whatever waits for them (a chunk waiting for its keys, a
# push on SQLite) fails after HUB_DATABASE_LOCK_TIMEOUT_S. So the rows a transaction
# takes (HUB_WORKER_TRANSACTION_SIZE, HUB_WORKER_CLAIM_SIZE) are at most 200 a second of
# that timeout: 5 ms a fiche, some four times the 1.2 ms of worker and PostgreSQL CPU a
# fiche measured at 500 a transaction on a free core (README), which leaves room for a
# loaded machine; 2,000 at the default 10 s. Never above 5,000 (no lock timeout, or a
# long one): a kill -9 loses no more work than that.
WORKER_ROWS_A_LOCK_SECOND = 200
WORKER_ROWS_MOST = 5000
_WORKER_ROWS = ("worker_transaction_size", "worker_claim_size")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LOG_FORMATS = ("text", "json")
_DATABASES = ("sqlite:///", "postgresql://", "postgresql+")
_BROKERS = ("filesystem://", "redis://", "rediss://", "redis+socket://", "sentinel://")


def check_settings(settings: Any) -> None:
    """ConfigurationError naming the first variable out of its range or of a form the
    hub cannot use."""
    for name, kind in RANGES.items():
        _check_number(name, getattr(settings, name), kind)
    for name in _WORKER_ROWS:
        _check_worker_rows(name, getattr(settings, name), settings.database_lock_timeout_s)
    _one_of("log_level", settings.log_level.upper(), _LOG_LEVELS)
    _one_of("log_format", settings.log_format, _LOG_FORMATS)
    _scheme("database_url", settings.database_url, _DATABASES,
            "sqlite:////chemin/hub.sqlite3 | postgresql+psycopg://user@host/base")
    _scheme("broker_url", settings.broker_url, _BROKERS,
            "filesystem:// (embarqué / embedded) | redis://host:6379/0")


def _check_number(name: str, value: float, kind: str) -> None:
    low_ok = {POSITIVE: value > 0, NOT_NEGATIVE: value >= 0, FINITE: True}[kind]
    if math.isfinite(value) and low_ok and value <= _HIGHEST.get(name, math.inf):
        return
    wanted_fr = {POSITIVE: "un nombre fini et positif", NOT_NEGATIVE: "un nombre fini, positif "
                 "ou nul", FINITE: "un nombre fini"}[kind]
    wanted_en = {POSITIVE: "a finite number above 0", NOT_NEGATIVE: "a finite number, 0 or "
                 "more", FINITE: "a finite number"}[kind]
    if name in _HIGHEST:
        wanted_fr += f", d'au plus {_HIGHEST[name]}"
        wanted_en += f", at most {_HIGHEST[name]}"
    variable = "HUB_" + name.upper()
    raise ConfigurationError(f"{variable} doit être {wanted_fr} (valeur : {value}).",
                             f"{variable} must be {wanted_en} (value: {value}).")


def worker_rows_bound(lock_timeout_s: float) -> int:
    """The most outbox rows a worker transaction may take under this lock timeout (0: no
    limit): see WORKER_ROWS_A_LOCK_SECOND."""
    if lock_timeout_s <= 0:
        return WORKER_ROWS_MOST
    return max(1, min(WORKER_ROWS_MOST, int(WORKER_ROWS_A_LOCK_SECOND * lock_timeout_s)))


def _check_worker_rows(name: str, value: int, lock_timeout_s: float) -> None:
    bound = worker_rows_bound(lock_timeout_s)
    if value <= bound:
        return
    variable = "HUB_" + name.upper()
    if bound < WORKER_ROWS_MOST:
        why_fr = (f"{WORKER_ROWS_A_LOCK_SECOND} lignes par seconde de "
                  f"HUB_DATABASE_LOCK_TIMEOUT_S ({lock_timeout_s:g} s) : une transaction du "
                  "worker garde les clés de ses fiches jusqu'à sa validation, et ce qui les "
                  "attend abandonne passé ce délai")
        why_en = (f"{WORKER_ROWS_A_LOCK_SECOND} rows a second of HUB_DATABASE_LOCK_TIMEOUT_S "
                  f"({lock_timeout_s:g} s): a worker transaction holds its fiches' keys until "
                  "it commits, and whatever waits for them gives up after that")
    else:
        why_fr = "un worker tué perd tout le travail de sa transaction"
        why_en = "a killed worker loses all the work of its transaction"
    raise ConfigurationError(
        f"{variable} doit valoir au plus {bound} ({why_fr} ; valeur : {value}).",
        f"{variable} must be at most {bound} ({why_en}; value: {value}).")


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        variable = "HUB_" + name.upper()
        raise ConfigurationError(f"{variable} doit valoir {' | '.join(allowed)}.",
                                 f"{variable} must be one of {' | '.join(allowed)}.")


def _scheme(name: str, url: Any, allowed: tuple[str, ...], example: str) -> None:
    """`url` (a SecretUrl: printed with its credentials starred) starts with one of
    `allowed`."""
    if url.startswith(allowed):
        return
    variable = "HUB_" + name.upper()
    raise ConfigurationError(
        f"{variable} ({url}) n'est pas une adresse que le hub sait utiliser ; exemples : "
        f"{example}. Corrigez la variable, puis relancez.",
        f"{variable} ({url}) is not an address the hub can use; examples: {example}. "
        "Fix the variable, then start again.")
