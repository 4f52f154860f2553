"""Who is asking, and may they: the session cookie, role checks, anti-forgery tokens
on every form, and the cookies' flags (HttpOnly, SameSite=Strict, Secure by setting)."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterator, Sequence

from fastapi import Depends, Request, Response
from starlette.routing import BaseRoute, Match

from hub.app_state import hub_of
from hub.errors import BadRequest, CsrfRejected, SessionRequired, WrongRole
from hub.services.accounts.sessions import ConsoleSession, csrf_matches, session_of
from schemas.loader import control_message

PREFIX = "/console"
SESSION_COOKIE = "capactif_session"
LOGIN_CSRF_COOKIE = "capactif_csrf"
MAX_FORM_BYTES = 64 * 1024
# The session cookie outlives its session by a day: a browser drops a cookie at its
# Max-Age, and one dropped at the session's end would leave the server unable to tell an
# ended session (sign-in page saying so, a form sent after it not recorded) from a first
# visit. The server checks the session's own end; the cookie only names it.
SESSION_COOKIE_MARGIN_S = 24 * 3600
HOME = {"coordinator": "/coordination/porteurs", "dpo": "/dpo/journal", "admin": "/admin/comptes"}
# A page to return to after signing in: a path of the console's own pages, opaque ids only
RETURN_SHAPE = re.compile(r"/(coordination|dpo|admin)(/[A-Za-z0-9_-]{1,64}){0,4}")


def page_left(request: Request) -> str | None:
    """The console page a request was made from, to show again once signed in: the path
    asked for (never its query, which may hold a search), or for a form posted to a path
    that is no page (`/doublons/reprendre`), the page above it."""
    path = request.url.path.removeprefix(PREFIX)
    for _ in range(2):
        if not RETURN_SHAPE.fullmatch(path):
            return None
        if is_page(request.app.routes, path):
            return path
        path = path.rsplit("/", 1)[0]
    return None


def is_page(routes: Sequence[BaseRoute], path: str) -> bool:
    """Whether a GET of `path` shows a page: a route answers it, and no route of a form
    claims the path by name (`/doublons/reprendre` also fits `/doublons/{item_id}`)."""
    scope = {"type": "http", "path": path, "root_path": "", "method": "GET"}
    found = [(route, route.matches(scope)[0]) for route in _each(routes)]
    pages = [route for route, match in found if match is Match.FULL]
    if any(_named(route) for route in pages):
        return True
    return bool(pages) and not any(match is Match.PARTIAL and _named(route)
                                   for route, match in found)


def _each(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    """The routes one by one, those of an included router too (the console includes its
    routers without a prefix of their own: their routes carry their whole path)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is None:
            yield route
        else:
            yield from _each(included.routes)


def _named(route: BaseRoute) -> bool:
    """A route whose path has no parameter (`/doublons/reprendre`)."""
    return not getattr(route, "param_convertors", True)


def return_page(routes: Sequence[BaseRoute], path: str, role_name: str) -> str | None:
    """`path` when it is a page of `role_name`'s part of the console, else None."""
    area = HOME.get(role_name, "").split("/")[1:2]
    found = RETURN_SHAPE.fullmatch(path)
    if found and area and found[1] == area[0] and is_page(routes, path):
        return path
    return None


def current_session(request: Request) -> ConsoleSession:
    """FastAPI dependency: the signed-in person, or SessionRequired (sent to sign in)."""
    session = session_of(hub_of(request), request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise SessionRequired("Connectez-vous pour continuer.", "Sign in to continue.")
    request.state.session = session
    return session


def role(*allowed: str) -> Callable[..., ConsoleSession]:
    """A dependency letting through only the people of one of these roles."""

    def _check(session: ConsoleSession = Depends(current_session)) -> ConsoleSession:
        if session.role not in allowed:
            raise WrongRole("Cette page n'est pas ouverte à votre rôle.",
                            "This page is not open to your role.")
        return session

    return _check


async def form_of(request: Request) -> dict[str, str]:
    """The URL-encoded form of a POST (bounded), first value of each field."""
    if request.headers.get("content-type", "").split(";")[0].strip() != \
            "application/x-www-form-urlencoded":
        raise BadRequest("Formulaire attendu.", "A form was expected.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise BadRequest("Formulaire trop volumineux.", "Form too large.")
    fields = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    form = {name: values[0] for name, values in fields.items()}
    _refuse_nul(form)
    return form


_FIELD_NAME = re.compile(r"[a-z_]{1,40}")


def _refuse_nul(form: dict[str, str]) -> None:
    """No field of any console form holds NUL (a note, a parrain's name, a login): the
    control-character rule of free texts, naming the field (ours), never its value."""
    for name, value in form.items():
        if "\x00" in name or "\x00" in value:
            fr, en = control_message("U+0000", free_text=True)
            shown = name if _FIELD_NAME.fullmatch(name) else "?"
            raise BadRequest(f"Champ « {shown} » : {fr}", f"Field '{shown}': {en}")


def checked_form(form: dict[str, str] = Depends(form_of),
                 session: ConsoleSession = Depends(current_session)) -> dict[str, str]:
    """The form of a signed-in person, refused without the session's anti-forgery token."""
    if not csrf_matches(session.csrf_token, form.get("csrf")):
        raise CsrfRejected(
            "Formulaire refusé : jeton anti-falsification absent ou périmé. Rechargez la page.",
            "Form refused: anti-forgery token missing or stale. Reload the page.")
    return form


def set_cookie(response: Response, request: Request, name: str, value: str,
               max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path=PREFIX, httponly=True,
                        samesite="strict", secure=hub_of(request).settings.console_cookie_secure)


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, path=PREFIX, httponly=True, samesite="strict",
                           secure=hub_of(request).settings.console_cookie_secure)
