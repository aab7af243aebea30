"""Turning domain errors on pages into friendly pages (never a stack trace)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from wbserver.errors import Unauthenticated, WbError
from wbserver.http.errors import status_for
from wbserver.web.i18n import N_
from wbserver.web.render import redirect, render
from wbserver.web.session import SignInRequired, Visitor, visitor

Page = Callable[[Request, Visitor], Awaitable[Response]]
log = logging.getLogger("wbserver.web")


def page(handler: Page) -> Callable[[Request], Awaitable[Response]]:
    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        who = await visitor(request)
        try:
            return await handler(request, who)
        except SignInRequired:
            if request.method == "GET":
                return redirect(f"/login?next={quote(request.url.path)}")
            return render(request, who, "message.html", status=401, heading=N_("Sign in first"),
                          message=N_("Your session has ended."), link="/login",
                          link_text=N_("Sign in"))
        except Unauthenticated as exc:
            return render(request, who, "message.html", status=401, heading=N_("Not signed in"),
                          message=exc.message, link="/login", link_text=N_("Sign in"))
        except WbError as exc:
            return render(request, who, "message.html", status=status_for(exc),
                          heading=N_("That did not work"), message=exc.message,
                          link=request.headers.get("referer") or "/", link_text=N_("Back"))
        except Exception:
            log.exception("page %s failed", request.url.path)
            return render(request, who, "message.html", status=500,
                          heading=N_("Something went wrong"),
                          message=N_("The server could not show this page. The details are in "
                                     "the server's log."), link="/", link_text=N_("Home"))
    return wrapped
