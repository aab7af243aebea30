"""The language switch of the page footer: a form posting here sets the `lang` cookie."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from wbserver.errors import InvalidInput
from wbserver.web.guard import page
from wbserver.web.i18n import LANG_COOKIE, LANGUAGES, N_
from wbserver.web.render import redirect
from wbserver.web.session import Visitor, checked_form, secure_cookies


def _back_to(value: str) -> str:
    return value if value.startswith("/") and not value.startswith("//") else "/"


@page
async def choose_language(request: Request, who: Visitor) -> Response:
    form = await checked_form(request, who)
    lang = form.get("lang", "")
    if lang not in LANGUAGES:
        raise InvalidInput(N_("no such language: choose en (English) or es (Spanish)"))
    response = redirect(_back_to(form.get("next", "/")))
    response.set_cookie(LANG_COOKIE, lang, httponly=True, samesite="lax",
                        secure=secure_cookies(request), max_age=365 * 24 * 3600)
    return response
