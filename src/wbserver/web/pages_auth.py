"""First-run admin, sign in and out, invite and reset links."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wbserver.domain import accounts
from wbserver.domain.clock import utcnow
from wbserver.domain.sessions import (
    SignedIn,
    TooManyTries,
    sign_in,
    sign_out,
    start_session,
    token_hash,
)
from wbserver.errors import (
    AlreadyExists,
    InvalidInput,
    LimitExceeded,
    PermissionDenied,
    Unauthenticated,
)
from wbserver.passwords import hash_password, verify_password
from wbserver.web.guard import page
from wbserver.web.i18n import N_
from wbserver.web.pages_sso import login_options, provider_logout_url, render_login
from wbserver.web.render import redirect, render
from wbserver.web.session import SESSION_COOKIE, Visitor, check_csrf, services, set_session_cookie


def _safe_next(value: object) -> str:
    text = value if isinstance(value, str) else "/"
    return text if text.startswith("/") and not text.startswith("//") else "/"


@page
async def setup(request: Request, who: Visitor) -> Response:
    """The first admin account, once: only while this server never had an admin, and beyond
    loopback only with the setup token printed in the server's log."""
    svc = services(request)
    if not await run_in_threadpool(accounts.needs_first_admin, svc.store):
        return redirect("/login")
    if request.method == "GET":
        token = request.query_params.get("token")
        accounts.check_setup_token(svc.setup_token, token)
        return render(request, who, "setup.html", form={}, setup_token=token)
    form = await request.form()
    check_csrf(who, form.get("csrf_token"))
    accounts.check_setup_token(svc.setup_token, form.get("setup_token"))
    username, email = str(form.get("username", "")).strip(), str(form.get("email", "")).strip()
    password = str(form.get("password", ""))
    try:
        accounts.check_password(password)

        def create() -> SignedIn:
            user = accounts.create_first_admin(svc.store, username=username, email=email,
                                               password_hash=hash_password(password),
                                               license=svc.license(), now=utcnow())
            return start_session(svc.store, user=user, now=utcnow(),
                                 session_hours=svc.settings.session_hours)

        signed = await run_in_threadpool(create)
    except InvalidInput as exc:
        return render(request, who, "setup.html", status=400, form=form,
                      setup_token=form.get("setup_token"), flashes=[("error", exc.message)])
    response = redirect("/settings")
    set_session_cookie(request, response, signed.token)
    return response


@page
async def login(request: Request, who: Visitor) -> Response:
    svc = services(request)
    if request.method == "GET":
        if await run_in_threadpool(accounts.needs_first_admin, svc.store):
            return redirect("/setup")
        return render_login(request, who, form={},
                            next=_safe_next(request.query_params.get("next")))
    form = await request.form()
    check_csrf(who, form.get("csrf_token"))
    settings = svc.settings
    options = login_options(svc)
    if not options["password_on"]:
        raise PermissionDenied(N_("password sign-in is turned off; use single sign-on"))
    try:
        signed = await run_in_threadpool(
            lambda: sign_in(svc.store, username=str(form.get("username", "")).strip(),
                            password=str(form.get("password", "")),
                            remote=request.client.host if request.client else "",
                            verify=verify_password, now=utcnow(),
                            max_failures=settings.login_max_failures,
                            session_hours=settings.session_hours,
                            admins_only=options["password_admins_only"]))
    except (Unauthenticated, LimitExceeded) as exc:
        status = 429 if isinstance(exc, LimitExceeded) else 401
        refused = render_login(request, who, status=status, form=form,
                               next=_safe_next(form.get("next")), flashes=[("error", exc.message)])
        if isinstance(exc, TooManyTries):
            refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    response = redirect(_safe_next(form.get("next")))
    set_session_cookie(request, response, signed.token)
    return response


@page
async def logout(request: Request, who: Visitor) -> Response:
    """Signs out on POST with the CSRF token only: a GET (a link or image on another site)
    shows a button instead of ending the session."""
    if request.method != "POST":
        if who.user is None:
            return redirect("/login")
        return render(request, who, "logout.html")
    form = await request.form()
    check_csrf(who, form.get("csrf_token"))
    token = request.cookies.get(SESSION_COOKIE)
    store = services(request).store
    id_token = await run_in_threadpool(store.get_session_id_token, token_hash(token)) if token else None
    await run_in_threadpool(sign_out, store, token)
    provider = await run_in_threadpool(provider_logout_url, request, id_token)
    response = redirect(provider or "/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@page
async def invite(request: Request, who: Visitor) -> Response:
    svc = services(request)
    token = request.path_params["token"]
    found = await run_in_threadpool(lambda: accounts.open_link(svc.store, token=token,
                                                               kind="invite", now=utcnow()))
    context: dict[str, Any] = dict(heading=N_("Join wbserver"), intro=N_("Choose your user name and password."),
                   action=f"/invite/{token}", ask_identity=True, button=N_("Create my account"),
                   default_email=found.email)
    if request.method == "GET":
        return render(request, who, "account_form.html", form={}, **context)
    form = await request.form()
    check_csrf(who, form.get("csrf_token"))
    password = str(form.get("password", ""))
    try:
        accounts.check_password(password)
        user = await run_in_threadpool(lambda: accounts.accept_invite(
            svc.store, token=token, username=str(form.get("username", "")).strip(),
            email=str(form.get("email", "")).strip(), password_hash=hash_password(password),
            license=svc.license(), now=utcnow()))
    except (InvalidInput, LimitExceeded, AlreadyExists) as exc:
        return render(request, who, "account_form.html", status=400, form=form,
                      flashes=[("error", exc.message)], **context)
    signed = await run_in_threadpool(lambda: start_session(
        svc.store, user=user, now=utcnow(), session_hours=svc.settings.session_hours))
    response = redirect("/settings")
    set_session_cookie(request, response, signed.token)
    return response


@page
async def reset(request: Request, who: Visitor) -> Response:
    svc = services(request)
    token = request.path_params["token"]
    await run_in_threadpool(lambda: accounts.open_link(svc.store, token=token, kind="reset",
                                                       now=utcnow()))
    context: dict[str, Any] = dict(heading=N_("Choose a new password"), intro=N_("Your old password stops working."),
                   action=f"/reset/{token}", ask_identity=False, button=N_("Set password"))
    if request.method == "GET":
        return render(request, who, "account_form.html", form={}, **context)
    form = await request.form()
    check_csrf(who, form.get("csrf_token"))
    password = str(form.get("password", ""))
    try:
        accounts.check_password(password)
    except InvalidInput as exc:
        return render(request, who, "account_form.html", status=400, form=form,
                      flashes=[("error", exc.message)], **context)
    await run_in_threadpool(lambda: accounts.reset_password(
        svc.store, token=token, password_hash=hash_password(password), now=utcnow()))
    return render(request, who, "message.html", heading=N_("Password changed"),
                  message=N_("Sign in with your new password."), link="/login", link_text=N_("Sign in"))
