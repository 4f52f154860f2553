"""Operations: liveness, readiness and Prometheus metrics.

- `GET /livez`: the process answers (no dependency checked).
- `GET /healthz`: `{"status": "ok"}` when ready; otherwise 503 in the error envelope,
  `data_directory_read_only` when the data directory refuses a write,
  `scheduler_stopped` when the beat stopped beating (or workers beat without one), else
  `not_ready`.
- `GET /readyz`: 200 when the database (at the current migrations), the broker, the key
  files, the policy and, in embedded mode, the data directory are usable; 503 otherwise,
  naming the failed checks (never a secret).
- `GET /metrics`: Prometheus text. Who may read it: the operators. The figures hold no
  personal data but tell volumes and backlogs per member, so members may not: with
  `HUB_METRICS_TOKEN` set it asks `Authorization: Bearer <token>`, without it only
  clients on the loopback address are answered, and none a proxy relayed: a request
  with a header that may carry a client's address, whatever a proxy names it
  (`_carries_a_client_address`; docs/deploy.md).

Anyone may ask `/livez`, `/readyz` and `/healthz` (a load balancer, a monitor), and is
told the statuses and which checks failed. What the operator has to do (the checks'
`detail`, a message naming a command, a folder or a setting) is told to the operators
alone, by the rule of `/metrics`; the others read the error's `public` text.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.api.auth import hub_of
from hub.api.errors import answer_of
from hub.api.guards import ignores_the_query
from hub.api.models import Alive, Health, Readiness
from hub.api.openapi import answer, errors
from hub.errors import Forbidden, NotReady
from hub.services.ops import health, metrics

log = logging.getLogger(__name__)
router = APIRouter(tags=["ops"])
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# A header a proxy or CDN adds to carry the client's address, whatever it is named. Its
# name, cut into words at every character that is not a letter or digit, holds one of:
# a word ending in "ip" (X-Real-IP, CF-Connecting-IP, True-Client-IP, X-Azure-ClientIP,
# X-ProxyUser-Ip, X-AppEngine-User-IP, X_Real_Ip...), "addr" or "address"
# (X-Remote-Addr, X-Envoy-External-Address), "forwarded" or "via" (Forwarded,
# X-Forwarded-*, X-Original-Forwarded-For, Via). The rule errs towards "relayed": a
# local client that sends such a header (X-Skip-Cache) is refused as if relayed, and is
# answered with HUB_METRICS_TOKEN; a relayed request is never taken for a local one.
_WORDS = re.compile(r"[^a-z0-9]+")
_RELAYED_WORDS = frozenset({"addr", "address", "forwarded", "via"})


@router.get("/livez", summary="Le processus répond", responses=answer(Alive))
@ignores_the_query
def livez() -> Any:
    return {"statut": "vivant"}


@router.get("/healthz", summary="Le hub est en état de servir", responses=answer(Health, 503))
@ignores_the_query
def healthz(request: Request) -> Any:
    # The data directory probed once, within the checks' deadline (a hung disk too).
    result = health.readiness(hub_of(request), data_dir=True, scheduler=True)
    if result.ready:
        return {"status": "ok"}
    error = result.error or _not_ready(result)  # data_directory_read_only: it cannot store
    log.warning("hub error %s", error.for_the_log())
    return answer_of(error, operator=_operator(request))


@router.get("/readyz", summary="Le hub peut servir (base, courtier, clés, politique)",
            responses=answer(Readiness, 503))
@ignores_the_query
def readyz(request: Request) -> JSONResponse:
    result = health.readiness(hub_of(request))
    checks = result.to_dict(details=_operator(request))
    if result.ready:
        return JSONResponse(checks)
    return JSONResponse({"error": _not_ready(result).to_dict(), **checks}, status_code=503)


def _not_ready(result: health.Readiness) -> NotReady:
    failed = ", ".join(c.name for c in result.checks if not c.ok)
    return NotReady(f"Le hub n'est pas prêt ({failed}) : voir « verifications ».",
                    f"The hub is not ready ({failed}): see 'verifications'.")


@router.get("/metrics", summary="Métriques Prometheus (sans donnée personnelle)",
            response_class=Response, responses={
                200: {"description": "Format texte d'exposition Prometheus 0.0.4",
                      "content": {"text/plain": {"schema": {"type": "string"}}}},
                **errors(403)})
@ignores_the_query
def metrics_text(request: Request) -> Response:
    _check_metrics_access(request)
    registry = request.app.state.metrics_registry
    body = generate_latest(registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _check_metrics_access(request: Request) -> None:
    if _operator(request):
        return
    raise Forbidden(
        "Les métriques sont réservées à l'exploitation : jeton HUB_METRICS_TOKEN requis "
        "(en-tête Authorization: Bearer) ou accès depuis la machine même.",
        "Metrics are for operators: the HUB_METRICS_TOKEN bearer token is required, or a "
        "loopback client.",
    )


def _operator(request: Request) -> bool:
    """Whether the caller is the hub's operator: the `HUB_METRICS_TOKEN` bearer token
    when it is set, else a loopback client that no proxy relayed."""
    token = hub_of(request).settings.metrics_token
    if token:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.reveal().encode())
    return _from_this_machine(request)


def _from_this_machine(request: Request) -> bool:
    """A loopback client that no proxy relayed: a reverse proxy on the same machine makes
    every outside client look local, and says so by its forwarding headers."""
    client = request.client
    return client is not None and client.host in _LOOPBACK and not any(
        _carries_a_client_address(name) for name in request.headers)


def _carries_a_client_address(name: str) -> bool:
    """Whether a header of this name may carry a client's address (the rule above)."""
    words = _WORDS.split(name.lower())
    return "forwarded" in name.lower() or any(
        word.endswith("ip") or word in _RELAYED_WORDS for word in words)


class HttpMetricsMiddleware:
    """Counts every HTTP answer by route template (never the filled-in path)."""

    def __init__(self, app: ASGIApp, recorder: metrics.HttpMetrics) -> None:
        self.app, self.recorder = app, recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.recorder.observe(_route_of(scope), scope["method"], status[0],
                                  time.perf_counter() - started)


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "non_routee"


def install(app: FastAPI) -> None:
    registry, recorder = metrics.build_registry(app.state.hub)
    app.state.metrics_registry = registry
    app.add_middleware(HttpMetricsMiddleware, recorder=recorder)
    app.include_router(router)
