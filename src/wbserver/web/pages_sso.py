"""Sign-in through an OpenID provider: /oidc/login starts it, /oidc/callback (or HOST itself,
WBSERVER_OIDC_REDIRECT_PATH=/) finishes it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wbserver.domain import sso
from wbserver.domain.clock import utcnow
from wbserver.domain.sessions import start_session, token_hash
from wbserver.errors import Msg, NotFound, PermissionDenied, Unauthenticated
from wbserver.http.auth import base_url
from wbserver.http.context import Services
from wbserver.sso.provider import (
    Discovery,
    OidcClient,
    after_logout_path,
    configured_client,
    redirect_path,
    sso_blocked_reason,
)
from wbserver.sso.tokens import KeySets, exchange_code, fetch_userinfo, verify_id_token
from wbserver.web.guard import page
from wbserver.web.i18n import N_
from wbserver.web.render import redirect, render
from wbserver.web.session import (
    Visitor,
    secure_cookies,
    services,
    set_session_cookie,
    visitor,
)

STATE_COOKIE = "wbserver_oidc_state"  # binds a sign-in to the browser that started it
STATE_COOKIE_PATH = "/oidc"
RELAYED_FIELDS = ("state", "id_token", "code", "error", "error_description", "session_state")


@dataclass(frozen=True)
class SsoServices:
    discovery: Discovery
    keys: KeySets


def active_client(svc: Services) -> OidcClient | None:
    """The configured provider when single sign-on may be used now."""
    settings = svc.settings
    client = configured_client(settings)
    if client is None or sso_blocked_reason(settings):
        return None
    return client


def _sso(request: Request) -> SsoServices:
    return request.app.state.sso  # type: ignore[no-any-return]


def callback_url(request: Request) -> str:
    """HOST/oidc/callback, or HOST itself (no '/': as the W&B guide registers it)."""
    settings = services(request).settings
    path = redirect_path(settings)
    return base_url(request, settings) + ("" if path == "/" else path)


def state_cookie_path(request: Request) -> str:
    return "/" if redirect_path(services(request).settings) == "/" else STATE_COOKIE_PATH


def is_root_callback(request: Request) -> bool:
    """A request to / that is the provider's answer (callback at HOST itself)."""
    if redirect_path(services(request).settings) != "/":
        return False
    return request.method == "POST" or "state" in request.query_params or \
        "error" in request.query_params


@page
async def root_callback(request: Request, who: Visitor) -> Response:
    """POST /: the provider's form_post answer when the callback is HOST itself."""
    if not is_root_callback(request):
        raise NotFound(N_("nothing is posted to / unless the sign-in callback is HOST itself"))
    return await finish(request)


@page
async def start(request: Request, who: Visitor) -> Response:
    svc = services(request)
    client = active_client(svc)
    if client is None:
        reason = sso_blocked_reason(svc.settings) if configured_client(svc.settings) else None
        raise PermissionDenied(reason or N_("single sign-on is not configured on this server"))
    next_url = request.query_params.get("next", "/")
    next_url = next_url if next_url.startswith("/") and not next_url.startswith("//") else "/"
    endpoints = await run_in_threadpool(_sso(request).discovery.endpoints, client)
    pending = await run_in_threadpool(lambda: sso.begin(svc.store, next_url=next_url, now=utcnow()))
    params = {"client_id": client.client_id, "redirect_uri": callback_url(request),
              "scope": " ".join(client.scopes), "state": pending.state, "nonce": pending.nonce}
    if client.auth_method == "implicit":
        params.update(response_type="id_token", response_mode="form_post")
    else:
        params.update(response_type="code", code_challenge=pending.code_challenge,
                      code_challenge_method="S256")
    response = redirect(f"{endpoints.authorization}?{urlencode(params)}")
    response.set_cookie(STATE_COOKIE, pending.state, max_age=int(sso.STATE_TTL.total_seconds()),
                        path=state_cookie_path(request), httponly=True, samesite="lax",
                        secure=secure_cookies(request))
    return response


async def finish(request: Request) -> Response:
    """The provider's answer. The browser must hold the state cookie /oidc/login gave it; the
    cookie is spent here whatever the outcome."""
    if request.method == "POST" and STATE_COOKIE not in request.cookies:
        form = await request.form()
        if not form.get("relayed"):
            # A form_post from the provider's site carries no SameSite=Lax cookie: post the
            # answer once more from this site's own page, which does.
            fields = [(k, str(v)) for k, v in form.items() if k in RELAYED_FIELDS]
            return render(request, await visitor(request), "oidc_relay.html", fields=fields,
                          action=redirect_path(services(request).settings))
    response = await _finish(request)
    response.delete_cookie(STATE_COOKIE, path=state_cookie_path(request), httponly=True, samesite="lax",
                           secure=secure_cookies(request))
    return response


@page
async def _finish(request: Request, who: Visitor) -> Response:
    svc = services(request)
    client = active_client(svc)
    if client is None:
        raise PermissionDenied(N_("single sign-on is not enabled on this server"))
    params: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        params.update({k: str(v) for k, v in (await request.form()).items()})
    if params.get("error"):
        detail = params.get("error_description") or ""
        error = f"{params['error']} ({detail})" if detail else str(params["error"])
        raise Unauthenticated(Msg("the identity provider did not sign you in: %(error)s",
                                  error=error))
    if not params.get("state"):
        raise Unauthenticated(N_("the identity provider's answer carries no state"))
    signed = await run_in_threadpool(_complete, request, svc, client, params,
                                     request.cookies.get(STATE_COOKIE))
    response = redirect(signed[1])
    set_session_cookie(request, response, signed[0])
    return response


def _complete(request: Request, svc: Services, client: OidcClient, params: dict[str, Any],
              browser_state: str | None) -> tuple[str, str]:
    now = utcnow()
    nonce, verifier, next_url = sso.consume(svc.store, state=params["state"],
                                            browser_state=browser_state, now=now)
    helpers = _sso(request)
    endpoints = helpers.discovery.endpoints(client)
    tokens: dict[str, Any] = {}
    if client.auth_method == "implicit":
        id_token = params.get("id_token")
    else:
        if not params.get("code"):
            raise Unauthenticated(N_("the identity provider's answer carries no code"))
        tokens = exchange_code(client, endpoints, code=params["code"],
                               redirect_uri=callback_url(request), code_verifier=verifier)
        id_token = tokens["id_token"]
    if not isinstance(id_token, str):
        raise Unauthenticated(N_("the identity provider sent no id token"))
    claims = verify_id_token(helpers.keys, client, endpoints, id_token, nonce=nonce)
    claims = {**fetch_userinfo(endpoints, tokens.get("access_token")), **claims}
    settings = svc.settings
    user = sso.user_for_claims(svc.store, issuer=endpoints.issuer, claims=claims,
                               username_claim=settings.oidc_username_claim,
                               provision=settings.oidc_provision, license=svc.license(), now=now)
    if settings.oidc_groups_claim:
        sso.join_groups(svc.store, user=user, groups=claims.get(settings.oidc_groups_claim))
    session = start_session(svc.store, user=user, now=now, session_hours=settings.session_hours)
    svc.store.set_session_id_token(token_hash=token_hash(session.token), id_token=id_token)
    return session.token, next_url


def provider_logout_url(request: Request, id_token: str | None) -> str | None:
    """Where to send the browser so the provider ends its session too (RP-initiated)."""
    svc = services(request)
    client = configured_client(svc.settings)
    if client is None or not id_token:
        return None
    try:
        endpoints = _sso(request).discovery.endpoints(client)
    except Exception:  # the provider is away: the local session is ended anyway
        return None
    if not endpoints.end_session:
        return None
    params = {"id_token_hint": id_token, "client_id": client.client_id,
              "post_logout_redirect_uri": base_url(request, svc.settings)
              + after_logout_path(svc.settings)}
    return f"{endpoints.end_session}?{urlencode(params)}"


def login_options(svc: Services) -> dict[str, Any]:
    """What the sign-in page offers: the SSO button, the password form, and why."""
    settings = svc.settings
    configured = configured_client(settings) is not None
    blocked = sso_blocked_reason(settings) if configured else None
    sso_on = configured and not blocked
    return {"sso_on": sso_on, "sso_blocked": blocked,
            "password_on": not sso_on or settings.break_glass_login,
            "password_admins_only": sso_on}


def render_login(request: Request, who: Visitor, **context: Any) -> Response:
    return render(request, who, "login.html", **login_options(services(request)), **context)
