"""Every redirect the hub answers points into the hub itself, by an absolute path.

Starlette builds its slash redirects (`/v1/feed/` -> `/v1/feed`, `/console` ->
`/console/`) as full URLs from the request's Host header: a caller, a poisoned cache or
a proxy that passes Host along could then send the next request, and its credentials,
to another server. The Location is cut to its path and query, with one leading slash
(`//host/x` would still name another host).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class SameOriginRedirects:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_relative(message: Message) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                message["headers"] = [
                    (name, local_location(value) if name.lower() == b"location" else value)
                    for name, value in message.get("headers", [])]
            await send(message)

        await self.app(scope, receive, send_relative)


def local_location(location: bytes) -> bytes:
    """`location` as an absolute path on this server (scheme and host dropped)."""
    parts = urlsplit(location.decode("latin-1"))
    path = "/" + parts.path.lstrip("/\\")
    return (path + (f"?{parts.query}" if parts.query else "")).encode("latin-1")
