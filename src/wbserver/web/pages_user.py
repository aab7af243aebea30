"""The signed-in user's own pages: projects home, API keys, password."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wbserver.domain import accounts
from wbserver.domain.browse import home_overview
from wbserver.domain.users import create_api_key
from wbserver.errors import InvalidInput, NotFound
from wbserver.http.auth import base_url
from wbserver.passwords import hash_password, verify_password
from wbserver.web.guard import page
from wbserver.web.i18n import N_
from wbserver.web.pages_notify import notification_context
from wbserver.web.pages_sso import finish, is_root_callback
from wbserver.web.render import redirect, render
from wbserver.web.session import Visitor, checked_form, require_user, services


@page
async def home(request: Request, who: Visitor) -> Response:
    svc = services(request)
    if is_root_callback(request):  # the provider's answer, its callback being HOST itself
        return await finish(request)
    if who.user is None and await run_in_threadpool(accounts.needs_first_admin, svc.store):
        return redirect("/setup")
    user = require_user(who)
    view = await run_in_threadpool(lambda: home_overview(svc.store, viewer=user))
    return render(request, who, "home.html", base_url=base_url(request, svc.settings), **view)


async def _settings_page(request: Request, who: Visitor, *, new_key: str | None = None,
                         flashes: list[tuple[str, str]] | None = None,
                         status: int = 200) -> Response:
    user = require_user(who)
    svc = services(request)
    keys = await run_in_threadpool(svc.store.list_api_keys, user.id)
    own = await run_in_threadpool(svc.store.get_entity, user.username)
    if own is None:  # every user has one, made with the user
        raise NotFound(f"{user.username!r} has no entity")
    notify = await run_in_threadpool(notification_context, svc, own)
    teams = await run_in_threadpool(svc.store.list_user_teams, user.id)
    return render(request, who, "settings.html", status=status, keys=keys, new_key=new_key,
                  flashes=flashes or [], base_url=base_url(request, svc.settings), teams=teams,
                  **notify)


settings_page = page(_settings_page)


@page
async def create_key(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    form = await checked_form(request, who)
    name = form.get("name", "").strip() or "key"
    if len(name) > 128:
        raise InvalidInput(N_("a key name is at most 128 characters"))
    key = await run_in_threadpool(lambda: create_api_key(services(request).store,
                                                         username=user.username, name=name))
    return await _settings_page(request, who, new_key=key)


@page
async def revoke_key(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    await checked_form(request, who)
    key_id = int(request.path_params["key_id"])
    if not await run_in_threadpool(lambda: services(request).store.revoke_api_key(
            user_id=user.id, key_id=key_id)):
        raise NotFound(N_("no such key"))
    return redirect("/settings")


@page
async def change_password(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    form = await checked_form(request, who)
    store = services(request).store
    found = await run_in_threadpool(store.get_password_hash, user.username)
    stored = found[1] if found else None
    if not stored or not verify_password(stored, form.get("current", "")):
        return await _settings_page(
            request, who, flashes=[("error", N_("the current password is wrong"))], status=400)
    accounts.check_password(form.get("new", ""))
    await run_in_threadpool(store.set_password_hash, user.id, hash_password(form["new"]))
    return redirect("/login")
