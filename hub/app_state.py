"""The hub an application serves: `create_app` (API) and the console keep it on `app.state`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

if TYPE_CHECKING:
    from hub.bootstrap import Hub


def hub_of(request: HTTPConnection) -> Hub:
    """The Hub the application answering `request` was created with."""
    return request.app.state.hub
