"""Who is signed in (session cookie), CSRF tokens, and the page guards."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wbserver.domain.clock import utcnow
from wbserver.domain.models import User
from wbserver.domain.sessions import session_user
from wbserver.errors import PermissionDenied, Unauthenticated
from wbserver.http.context import Services
from wbserver.web.i18n import N_

SESSION_COOKIE = "wbserver_session"
FORM_COOKIE = "wbserver_form"  # double-submit CSRF token for forms shown before sign-in


@dataclass(frozen=True)
class Visitor:
    user: User | None
    csrf_token: str
    new_form_token: bool = False


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


async def visitor(request: Request) -> Visitor:
    svc = services(request)
    found = await run_in_threadpool(session_user, svc.store, request.cookies.get(SESSION_COOKIE),
                                    now=utcnow())
    if found:
        return Visitor(user=found[0], csrf_token=found[1])
    token = request.cookies.get(FORM_COOKIE)
    if token:
        return Visitor(user=None, csrf_token=token)
    return Visitor(user=None, csrf_token=secrets.token_urlsafe(24), new_form_token=True)


def secure_cookies(request: Request) -> bool:
    host = services(request).settings.host
    return host.startswith("https://") if host else request.url.scheme == "https"


def remember_form_token(request: Request, response: Response, who: Visitor) -> None:
    if who.new_form_token:
        response.set_cookie(FORM_COOKIE, who.csrf_token, httponly=True, samesite="strict",
                            secure=secure_cookies(request), max_age=3600 * 12)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    hours = services(request).settings.session_hours
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=secure_cookies(request), max_age=hours * 3600)


async def checked_form(request: Request, who: Visitor) -> dict[str, str]:
    """The posted form as strings, after checking its CSRF token."""
    form = await request.form()
    check_csrf(who, form.get("csrf_token"))
    return {k: str(v) for k, v in form.items()}


def check_csrf(who: Visitor, form_token: object) -> None:
    if not isinstance(form_token, str) or not hmac.compare_digest(form_token, who.csrf_token):
        raise PermissionDenied(N_("this form has expired or did not come from this site; "
                                  "reload the page and try again"))


class SignInRequired(Unauthenticated):
    """A page that needs a signed-in user was opened without one (GET: go to /login)."""


def require_user(who: Visitor) -> User:
    if who.user is None:
        raise SignInRequired(N_("sign in first"))
    return who.user


def require_admin(who: Visitor) -> User:
    user = require_user(who)
    if not user.is_admin:
        raise PermissionDenied(N_("only site admins may open this page"))
    return user
