"""Map the whole HubError family to JSON answers with one handler."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from hub.errors import HubError

log = logging.getLogger(__name__)


def install(app: FastAPI) -> None:
    @app.exception_handler(HubError)
    async def _hub_error(_request: Request, exc: HubError) -> JSONResponse:
        if exc.status >= 500:
            log.warning("hub error %s (%s)", exc.code, type(exc).__name__)
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.status,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # Never echo the exception: it may hold personal data from a payload.
        log.error("unexpected error: %s", type(exc).__name__)
        error = HubError("Erreur interne du hub.", "Internal hub error.")
        return JSONResponse({"error": error.to_dict()}, status_code=500)
