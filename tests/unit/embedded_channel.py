"""A channel of the embedded broker (hub.embedded_broker) on a folder of its own, laid out
as hub.bootstrap lays out the broker's: messages in `queue/`, control files in `control/`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kombu import Connection

from hub import embedded_broker


@contextmanager
def embedded_channel(folder: Path) -> Iterator[Any]:
    queue = folder / "queue"
    queue.mkdir()
    connection = Connection("filesystem://", transport=embedded_broker.TRANSPORT,
                            transport_options={"data_folder_in": str(queue),
                                               "data_folder_out": str(queue),
                                               "control_folder": str(folder / "control")})
    try:
        yield connection.channel()
    finally:
        connection.release()
