"""Rendering templates with the context every page shares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from wbserver import __version__
from wbserver.web.session import Visitor, remember_form_token

TEMPLATES = Path(__file__).with_name("templates")
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)


def render(request: Request, who: Visitor, template: str, *, status: int = 200,
           **context: Any) -> Response:
    html = _env.get_template(template).render(
        user=who.user, csrf_token=who.csrf_token, version=__version__,
        path=request.url.path, **context)
    response = HTMLResponse(html, status_code=status)
    remember_form_token(request, response, who)
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)
