"""A hub process that stops in the middle of a unit of work that appends to the access
log (`python -m tests.integration.paused_in_transaction WHERE`, with the `HUB_*`
settings): it appends an access event by the console account `paused-holder`, then
stops itself (SIGSTOP: a VM paused, a debugger) `before-commit` (the rest of its work
under way) or `in-commit` (its commit under way, the event inserted, the log's lock
held), printing `paused` just before; once continued, it commits and prints `committed`
or the error code it got."""

from __future__ import annotations

import os
import signal
import sys

from hub.bootstrap import Hub
from hub.config import Settings
from hub.errors import HubError
from hub.services.audit import trail as audit
from hub.store.uow import at_commit

HOLDER = "paused-holder"


def _pause() -> None:
    print("paused", flush=True)
    os.kill(os.getpid(), signal.SIGSTOP)


def main(where: str) -> int:
    hub = Hub.from_settings(Settings.from_env())
    try:
        with hub.uow() as uow:
            hub.audit.append_within(uow.connection, [
                audit.event(hub, "audit_view", "commune-ambert", user=HOLDER)])
            uow.members.get("commune-ambert")  # the rest of the work
            if where == "in-commit":  # after the log's insert, which was given first
                at_commit(uow.connection, _pause)
            else:
                _pause()
            uow.commit()
        print("committed", flush=True)
    except HubError as exc:
        print(exc.code, flush=True)
    finally:
        hub.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
