"""A request id per API call: taken from a well-formed `X-Request-Id` or made up, echoed
in the answer, and carried by every access event the request causes."""

from __future__ import annotations

import re
import secrets
from typing import Any

from fastapi import FastAPI, Request

from hub.services.audit.trail import current_request_id

HEADER = "X-Request-Id"
_WELL_FORMED = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def request_id(request: Request, call_next: Any) -> Any:
        given = request.headers.get(HEADER, "")
        value = given if _WELL_FORMED.match(given) else "req_" + secrets.token_hex(12)
        token = current_request_id.set(value)
        try:
            response = await call_next(request)
        finally:
            current_request_id.reset(token)
        response.headers[HEADER] = value
        return response
