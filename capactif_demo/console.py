"""The console on the demo's data: demo accounts (passwords drawn now, printed once)
and the one command that serves the console."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import Any

from hub.bootstrap import Hub
from hub.services.accounts.users import add_user

CONSOLE_PORT = 8000
DEMO_ACCOUNTS = {"coordination": "coordinator", "dpo": "dpo", "admin": "admin"}


def console_accounts(hub: Hub, data_dir: Path) -> dict[str, Any]:
    passwords = {login: secrets.token_urlsafe(12) for login in DEMO_ACCOUNTS}
    for login, role in DEMO_ACCOUNTS.items():
        add_user(hub, login, role, passwords[login])
    command = (f"{Path(sys.executable).parent / 'capactif'} serve --data-dir {data_dir.resolve()} "
               f"--port {CONSOLE_PORT}")
    return {"command": command, "passwords": passwords,
            "url": f"http://127.0.0.1:{CONSOLE_PORT}/console/"}
