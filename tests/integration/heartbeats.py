"""What the processes of a hub beat, as tests of real workers and beats read it: the rows
of the heartbeat table (`OpsQueries.heartbeats`), read on a connection of their own."""

from __future__ import annotations

from hub.bootstrap import Hub
from hub.store.ops_repository import OpsQueries


def heartbeat_kinds(hub: Hub) -> list[str]:
    """The kinds of the rows beating, sorted (`["beat", "worker"]`: a worker and its beat)."""
    with hub.engine.connect() as conn:
        return sorted(beat.kind for beat in OpsQueries(conn).heartbeats())


def beating_pids(hub: Hub, kind: str) -> set[int]:
    """The process ids of the rows of this kind (`beat`, `worker`)."""
    with hub.engine.connect() as conn:
        return {beat.pid for beat in OpsQueries(conn).heartbeats() if beat.kind == kind}
