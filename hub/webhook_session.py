"""The HTTP session webhooks are posted with: pooled connections, no retry of its own
(a failed delivery is retried by the dispatcher, with backoff). One per `Hub`."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter


def webhook_session() -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=16, pool_maxsize=16, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "capactif-hub-webhooks/1"
    return session
