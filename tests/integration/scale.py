"""Shared by the tests that run hub processes at scale: a fresh migrated PostgreSQL
database with the real Redis reachable (and `wait_until`, from tests.waiting)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
import sqlalchemy as sa

from capactif_demo.processes import Process, free_port
from hub.store.migrate import upgrade
from tests.conftest import REDIS_URL, _drop_pg_database, _fresh_pg_database, service_missing
from tests.tcp_proxy import TcpProxy
from tests.waiting import wait_until

__all__ = ["OwnRedis", "database_through_proxy", "own_redis_command", "scale_store", "stopped",
           "wait_until"]


@contextmanager
def scale_store(postgres_url: str) -> Iterator[dict[str, str]]:
    """`HUB_*` settings for a fresh migrated database (dropped afterwards), the real Redis
    broker and a queue of the test's own; fails under CI when Redis is not reachable."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        service_missing("Redis", exc)
    db = _fresh_pg_database(postgres_url)
    try:
        upgrade(db)
        yield {"HUB_DATABASE_URL": db, "HUB_BROKER_URL": REDIS_URL,
               "HUB_QUEUE_NAME": f"test-{uuid.uuid4().hex[:8]}", "HUB_LOG_LEVEL": "WARNING"}
    finally:
        _drop_pg_database(db)


def stopped(pid: int) -> bool:
    """Whether the process is stopped (SIGSTOP: state T in /proc)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"


def own_redis_command(port: int, folder: object) -> list[str]:
    """A redis-server of the test's own (to kill and restart), keeping nothing on disk;
    fails under CI when the binary is missing."""
    import shutil

    if shutil.which("redis-server") is None:
        service_missing("redis-server binary", FileNotFoundError("redis-server"))
    return ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(folder)]


class OwnRedis:
    """A redis-server of the test's own on a free port, to kill and start again, and the
    settings that reach it."""

    def __init__(self, folder: object, logs: object) -> None:
        self.port = free_port()
        self._command = own_redis_command(self.port, folder)
        self._logs = logs

    def settings(self, env: dict[str, str]) -> dict[str, str]:
        return {**env, "HUB_BROKER_URL": f"redis://127.0.0.1:{self.port}/0"}

    def start(self, name: str = "redis") -> Process:
        """The server started and answering."""
        process = Process(name, self._command, {}, self._logs)
        wait_until(self.pings, 20, f"the test's own redis-server ({name})")
        return process

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=1)

    def pings(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False


def database_through_proxy(env: dict[str, str]) -> tuple[dict[str, str], TcpProxy]:
    """The settings reaching the database through a proxy the test can cut or freeze."""
    url = sa.engine.make_url(env["HUB_DATABASE_URL"])
    proxy = TcpProxy(url.port or 5432)
    return {**env, "HUB_DATABASE_URL": url.set(port=proxy.port).render_as_string(False)}, proxy
