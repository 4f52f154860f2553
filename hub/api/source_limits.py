"""Per-address rate limit on the partner API (`/v1/...`), checked before anything else
so that a flood from one address costs neither a signature check nor an access-log
line. The address is only a counter key: it is never logged nor stored with a member."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.errors import RateLimited
from hub.services.ops.rate_limits import SOURCE, RateLimits


class SourceLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app, self.limits = app, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            client = scope.get("client")
            try:
                await run_in_threadpool(self.limits.check, SOURCE, client[0] if client else "-")
            except RateLimited as exc:
                answer = JSONResponse({"error": exc.to_dict()}, status_code=exc.status,
                                      headers={"Retry-After": str(exc.retry_after)})
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)
