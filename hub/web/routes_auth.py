"""Sign in, sign out, and the home page that sends each role to its own pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from hub.errors import CsrfRejected, SignInFailed
from hub.services.accounts.sessions import csrf_matches, new_token, session_of, sign_in, sign_out
from hub.web.pages import HEADERS, render
from hub.web.security import (
    HOME,
    LOGIN_CSRF_COOKIE,
    PREFIX,
    RETURN_SHAPE,
    SESSION_COOKIE,
    SESSION_COOKIE_MARGIN_S,
    checked_form,
    clear_cookie,
    form_of,
    hub_of,
    return_page,
    set_cookie,
)

router = APIRouter()


@router.get("/")
def home(request: Request) -> Response:
    session = session_of(hub_of(request), request.cookies.get(SESSION_COOKIE))
    target = HOME.get(session.role, "/connexion") if session else "/connexion"
    return RedirectResponse(PREFIX + target, status_code=303, headers=HEADERS)


ENDED = {"session": "Votre session a pris fin : connectez-vous de nouveau pour continuer.",
         "action": "Votre session a pris fin : votre dernière action n'a pas été enregistrée. "
                   "Connectez-vous de nouveau, puis refaites-la."}


@router.get("/connexion")
def sign_in_page(request: Request, sortie: int = 0, fin: str = "", suite: str = "") -> Response:
    notice = "Vous êtes déconnecté." if sortie else ENDED.get(fin)
    return _sign_in_form(request, notice=notice, suite=suite)


@router.post("/connexion")
def sign_in_submit(request: Request, form: dict[str, str] = Depends(form_of)) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf_matches(expected, form.get("csrf")):
        raise CsrfRejected(
            "Formulaire refusé : jeton anti-falsification absent ou périmé. Rechargez la page.",
            "Form refused: anti-forgery token missing or stale. Reload the page.")
    hub = hub_of(request)
    try:
        signed = sign_in(hub, form.get("login", "").strip().lower(), form.get("password", ""),
                         request.client.host if request.client else "-")
    except SignInFailed as exc:
        return _sign_in_form(request, error=exc.message_fr, status=exc.status,
                             suite=form.get("suite", ""))
    page = return_page(request.app.routes, form.get("suite", ""), signed.session.role) \
        or HOME.get(signed.session.role, "/")
    response = RedirectResponse(PREFIX + page, status_code=303, headers=HEADERS)
    max_age = int(hub.settings.console_session_hours * 3600) + SESSION_COOKIE_MARGIN_S
    set_cookie(response, request, SESSION_COOKIE, signed.token, max_age=max_age)
    clear_cookie(response, request, LOGIN_CSRF_COOKIE)
    return response


@router.post("/deconnexion")
def sign_out_submit(request: Request, _form: dict[str, str] = Depends(checked_form)) -> Response:
    sign_out(hub_of(request), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(PREFIX + "/connexion?sortie=1", status_code=303, headers=HEADERS)
    clear_cookie(response, request, SESSION_COOKIE)
    return response


def _sign_in_form(request: Request, *, error: str | None = None, notice: str | None = None,
                  status: int = 200, suite: str = "") -> Response:
    token = new_token()
    response = render(request, "connexion.html", status=status, login_csrf=token, error=error,
                      notice=notice, suite=suite if RETURN_SHAPE.fullmatch(suite) else "")
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token)
    return response
