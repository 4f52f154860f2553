"""Administration: console accounts (create, role, password, activate, unlock)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from hub.errors import AccountExists, Forbidden, InvalidAccount
from hub.services.accounts import users as accounts
from hub.services.accounts.sessions import ConsoleSession
from hub.web.pages import HEADERS, render
from hub.web.security import PREFIX, checked_form, hub_of, role

router = APIRouter(prefix="/admin")
admin = role("admin")
DONE = {"ajoute": "Compte créé.", "role": "Rôle modifié.", "mot-de-passe": "Mot de passe changé.",
        "active": "Compte réactivé.", "desactive": "Compte désactivé.",
        "debloque": "Compte débloqué."}


@router.get("/comptes")
def accounts_page(request: Request, fait: str = "",
                  session: ConsoleSession = Depends(admin)) -> Response:
    return _page(request, notice=DONE.get(fait))


@router.post("/comptes")
def add_account(request: Request, form: dict[str, str] = Depends(checked_form),
                session: ConsoleSession = Depends(admin)) -> Response:
    typed = {"login": form.get("login", ""), "role": form.get("role", "")}  # never the passwords
    if form.get("password") != form.get("password2"):
        return _page(request, error="Les deux mots de passe diffèrent.", status=400, typed=typed)
    try:
        accounts.add_user(hub_of(request), typed["login"].strip().lower(),
                          typed["role"], form.get("password", ""), by=session.user_id)
    except (InvalidAccount, AccountExists) as exc:
        return _page(request, error=exc.message_fr, status=exc.status, typed=typed)
    return _done("ajoute")


@router.post("/comptes/{user_id}")
def change_account(user_id: str, request: Request, form: dict[str, str] = Depends(checked_form),
                   session: ConsoleSession = Depends(admin)) -> Response:
    hub, action = hub_of(request), form.get("action", "")
    if user_id == session.user_id and action in {"role", "desactive"}:
        raise Forbidden("Vous ne pouvez ni désactiver votre propre compte ni changer son rôle.",
                        "You can neither deactivate your own account nor change its role.")
    try:
        if action == "role":
            accounts.set_role(hub, user_id, form.get("role", ""), by=session.user_id)
        elif action == "mot-de-passe":
            accounts.set_password(hub, user_id, form.get("password", ""), by=session.user_id)
        elif action in {"active", "desactive"}:
            accounts.set_active(hub, user_id, action == "active", by=session.user_id)
        elif action == "debloque":
            accounts.unlock(hub, user_id, by=session.user_id)
        else:
            return _page(request, error="Action inconnue.", status=400)
    except InvalidAccount as exc:
        return _page(request, error=exc.message_fr, status=exc.status)
    return _done(action)


def _page(request: Request, *, notice: str | None = None, error: str | None = None,
          status: int = 200, typed: dict[str, str] | None = None) -> Response:
    """The accounts page; after a refused creation, the form shows what was typed (the
    passwords excepted) with the error inside it."""
    return render(request, "comptes.html", status=status, users=accounts.list_users(
        hub_of(request)), roles=accounts.ROLES, notice=notice, error=error, saisie=typed or {})


def _done(action: str) -> Response:
    return RedirectResponse(f"{PREFIX}/admin/comptes?fait={action}", status_code=303,
                            headers=HEADERS)
