"""A hub process that stops in the middle of a transaction holding the access log's lock
(`python -m tests.integration.paused_in_transaction`, with the `HUB_*` settings): it
appends an access event by the console account `paused-holder`, takes the log's lock
(as the commit of its unit of work does), prints `held`, stops itself (SIGSTOP: a VM
paused, a debugger) and, once continued, tries to commit and prints `committed` or the
error code it got."""

from __future__ import annotations

import os
import signal
import sys

from hub.audit.log import lock_log
from hub.bootstrap import Hub
from hub.config import Settings
from hub.errors import HubError
from hub.services.audit import trail as audit

HOLDER = "paused-holder"


def main() -> int:
    hub = Hub.from_settings(Settings.from_env())
    try:
        with hub.uow() as uow:
            hub.audit.append_within(uow.connection, [
                audit.event(hub, "audit_view", "commune-ambert", user=HOLDER)])
            lock_log(uow.connection)  # paused between its lock and its commit
            print("held", flush=True)
            os.kill(os.getpid(), signal.SIGSTOP)
            uow.commit()
        print("committed", flush=True)
    except HubError as exc:
        print(exc.code, flush=True)
    finally:
        hub.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
