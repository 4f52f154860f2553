"""A request id per API call: taken from `X-Request-Id` when it is UUID-shaped (kept as
given, its version unchecked), 32 hex digits (nginx's `$request_id`) or an id the hub made
up (`req_` and 24 hex digits), otherwise made up; echoed in every answer (a 500 included) and
carried by every access event the request causes. Only opaque forms are kept: any other
text a caller chooses (`Marie.Dupont-1985-03-12`) could put a name into the audit trail,
which holds pseudonyms only."""

from __future__ import annotations

import re
import secrets
from typing import Any

from fastapi import FastAPI, Request

from hub.api.errors import unexpected_answer
from hub.services.audit.trail import current_request_id

HEADER = "X-Request-Id"
_WELL_FORMED = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{32}|req_[0-9a-f]{24}",
    re.ASCII)


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def request_id(request: Request, call_next: Any) -> Any:
        given = request.headers.get(HEADER, "")
        value = given if _WELL_FORMED.fullmatch(given) else "req_" + secrets.token_hex(12)
        token = current_request_id.set(value)
        try:
            response = await call_next(request)
        except Exception as exc:  # a defect: its 500 carries the id too
            # Starlette's outermost handler would answer it outside this middleware,
            # without the id the partner quotes, nor no-store.
            response = unexpected_answer(exc)
            response.headers["Cache-Control"] = "no-store"
        finally:
            current_request_id.reset(token)
        response.headers[HEADER] = value
        return response
