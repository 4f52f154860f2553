"""The request as signed: its RAW target, read from the ASGI scope, never re-encoded."""

from __future__ import annotations

from fastapi import Request


def raw_target(request: Request) -> str:
    """Path and query exactly as on the request line (`/v1/fiches/x/F%201?a=b`): what
    both signature schemes sign (RFC 9421 @path/@query are not percent-decoded)."""
    scope = request.scope
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else request.url.path
    query = scope.get("query_string", b"").decode("latin-1")
    return path + (f"?{query}" if query else "")
