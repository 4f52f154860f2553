"""Errors no handler of the console maps, answered inside the console rather than by
Starlette's outermost handler: that one re-raises every error to the server after its
page, and the server then closes the connection, cutting the next request sent on it.
Met once an answer has started (an export read page by page, the console's or the API's
`GET /v1/audit/export`), the answer ends there, its end line missing (an export's reader
sees it was cut), and the connection stays up."""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


class Failures:
    """ASGI middleware: `answer(request, error)` for an error met before the answer
    started (None: the error goes on, to the app's own handlers), the answer ended where
    it stood for one met after."""

    def __init__(self, app: ASGIApp,
                 answer: Callable[[Request, Exception], Response] | None) -> None:
        self.app, self.answer = app, answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = ended = False

        async def watched(message: Message) -> None:
            nonlocal started, ended
            started = started or message["type"] == "http.response.start"
            ended = ended or (message["type"] == "http.response.body"
                              and not message.get("more_body", False))
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if not started:
                if self.answer is None:
                    raise
                await self.answer(Request(scope), exc)(scope, receive, send)
                return
            # never the error's text: a driver's message may quote a statement's values
            log.warning("answer cut short: %s", type(_cause(exc)).__name__)
            if not ended:
                await send({"type": "http.response.body", "body": b"", "more_body": False})


def _cause(exc: Exception) -> BaseException:
    """The error itself, not Starlette's wrapper of an error its handlers map met once
    the answer started ("Caught handled exception, but response already started")."""
    return exc.__cause__ if isinstance(exc, RuntimeError) and exc.__cause__ else exc
