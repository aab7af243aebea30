"""Rendering templates with the context every page shares."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from wbserver import __version__
from wbserver.web.assets import asset_url
from wbserver.web.i18n import LANGUAGES, js_texts, language, localized, translations
from wbserver.web.session import Visitor, remember_form_token

TEMPLATES = Path(__file__).with_name("templates")
# texts a page handler hands over in these context keys are msgids (N_) or domain messages
# (errors.Msg), translated here
_TRANSLATED = ("heading", "intro", "message", "link_text", "button",
               "link_title", "license_text", "license_banner", "sso_blocked", "sso_off")


@functools.cache
def _env(lang: str) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translations(lang))  # type: ignore[attr-defined]
    env.globals["asset_url"] = asset_url
    return env


def render(request: Request, who: Visitor, template: str, *, status: int = 200,
           **context: Any) -> Response:
    lang = language(request)
    gettext = translations(lang).gettext
    for key in _TRANSLATED:
        if isinstance(context.get(key), str):
            context[key] = localized(gettext, context[key])
    if context.get("flashes"):
        context["flashes"] = [(kind, localized(gettext, text))
                              for kind, text in context["flashes"]]
    html = _env(lang).get_template(template).render(
        user=who.user, csrf_token=who.csrf_token, version=__version__,
        path=request.url.path, lang=lang, languages=LANGUAGES, ui_text=js_texts(lang),
        **context)
    response = HTMLResponse(html, status_code=status)
    remember_form_token(request, response, who)
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)
