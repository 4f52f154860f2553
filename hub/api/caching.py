"""Every answer under /v1 says `Cache-Control: no-store` (unless its route set its own):
an answer holding a fiche, a delivery or a consent kept by a browser's, a proxy's or an
HTTP library's cache would outlive the fiche's erasure (docs/privacy.md)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_NO_STORE = (b"cache-control", b"no-store")


class NoStore:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith("/v1/"):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    message["headers"] = [*headers, _NO_STORE]
            await send(message)

        await self.app(scope, receive, send_no_store)
