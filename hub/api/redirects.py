"""Every redirect the hub answers points into the hub itself, by an absolute path.

Starlette builds its slash redirects (`/v1/feed/` -> `/v1/feed`, `/console` ->
`/console/`) as full URLs from the request's Host header: a caller, a poisoned cache or
a proxy that passes Host along could then send the next request, and its credentials,
to another server. Such a Location is cut to its path, query and fragment, with one
leading slash (`//host/x` would still name another host); a relative one is kept.

Starlette also builds them from the decoded path: `/v1/fiches/m/F%2520/` (the fiche
`F%20`) was sent to `/v1/fiches/m/F%20` (the fiche `F `). A Location that only adds or
drops the request path's trailing slash is given the path as the request encoded it.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_STARLETTE_SAFE = ":/%#?=@[]!$&'()*+,;"  # starlette.responses.RedirectResponse


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
                    (name, _as_encoded(scope, local_location(value))
                     if name.lower() == b"location" else value)
                    for name, value in message.get("headers", [])]
            await send(message)

        await self.app(scope, receive, send_relative)


def local_location(location: bytes) -> bytes:
    """`location` as an absolute path on this server when it names a scheme or a host
    (both dropped; the fragment kept); a relative Location already points here and keeps
    its meaning as it is (`parcours#avis`)."""
    # read as a browser reads it (WHATWG URL): leading and trailing controls and spaces
    # dropped, tabs and line breaks removed anywhere (`\t/\\host` is `/\\host`, a host)
    text = location.decode("latin-1").strip("".join(map(chr, range(0x21))))
    text = text.translate({ord("\t"): None, ord("\n"): None, ord("\r"): None})
    parts = urlsplit(text)
    if not (parts.scheme or parts.netloc or text.startswith(("/\\", "\\"))):
        return text.encode("latin-1")  # `/\host` is a host to browsers, as `//host`
    path = "/" + parts.path.lstrip("/\\")
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return (path + query + fragment).encode("latin-1")


def _as_encoded(scope: Scope, location: bytes) -> bytes:
    """`location` with the request's own path encoding when it is the request's path with
    its trailing slash added or dropped (what else it says, query and fragment, kept)."""
    raw = scope.get("raw_path")
    if not raw:
        return location
    path, sep, rest = location.partition(b"?") if b"?" in location else location.partition(b"#")
    # as Starlette writes it: the decoded path, quoted again but for its `%`
    decoded = quote(scope["path"], safe=_STARLETTE_SAFE).encode("latin-1")
    for redirected, raw_form in ((decoded.rstrip(b"/"), raw.rstrip(b"/")),
                                 (decoded + b"/", raw + b"/")):
        if path == redirected:
            return raw_form + sep + rest
    return location
