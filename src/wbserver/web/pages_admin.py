"""/system-admin: settings (env values locked), license, users, invites, audit log."""

from __future__ import annotations

from dataclasses import replace
from itertools import groupby
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wbserver.config.admin import SettingRow, describe, save_changes
from wbserver.domain import accounts
from wbserver.domain.clock import utcnow
from wbserver.domain.queue_health import queue_line
from wbserver.errors import InvalidInput, Msg, NotFound, WbError
from wbserver.http.auth import base_url
from wbserver.passwords import hash_password
from wbserver.sso.provider import configured_client, sso_blocked_reason
from wbserver.storage.cors import storage_report
from wbserver.web.guard import page
from wbserver.web.i18n import N_, language, localized, translated, translations
from wbserver.web.render import redirect, render
from wbserver.web.session import Visitor, check_csrf, require_admin, services

# where a setting's value comes from (config.runtime SettingsSource.origin), as the page says it
ORIGINS = {"command line": N_("command line"), "environment": N_("environment"),
           "saved": N_("saved"), "default": N_("default")}
SECRET_SHOWN = (N_("set"), N_("not set"))  # how config.admin.describe shows a secret


def _license_context(request: Request) -> dict[str, Any]:
    svc = services(request)
    state, now = svc.license(), utcnow()
    banner = None
    if state.license is not None and not state.valid(now):
        banner = Msg("The license expired on %(date)s. Everything stored stays readable; new "
                     "users past %(n)s and SSO are off.",
                     date=f"{state.license.expires_at:%Y-%m-%d}", n=state.seat_limit(now))
    elif state.problem:
        banner = Msg("The configured license is not accepted: %(reason)s.", reason=state.problem)
    return {"license_text": state.describe(now), "license_banner": banner,
            "seat_limit": state.seat_limit(now), "active_users": svc.store.count_active_users()}


def _shown_rows(request: Request, rows: list[SettingRow]) -> list[SettingRow]:
    """The rows with their help (the settings registry's, in the gettext catalogue through
    web/i18n_extract.py) and a secret's set / not set in the reader's language."""
    gettext = translations(language(request)).gettext
    return [replace(row, help=gettext(row.help),
                    shown=gettext(row.shown) if row.secret else row.shown) for row in rows]


async def _render_settings(request: Request, who: Visitor, *, status: int = 200,
                           flashes: list[tuple[str, str]] | None = None) -> Response:
    svc = services(request)
    rows = _shown_rows(request, describe(svc.settings_source))
    gettext = translations(language(request)).gettext
    sections = [(gettext(name.capitalize()), list(group))
                for name, group in groupby(rows, key=lambda r: r.section)]
    context = await run_in_threadpool(_license_context, request)
    storage = await run_in_threadpool(
        storage_report, svc.blobs.current(), base_url(request, svc.settings),  # type: ignore[attr-defined]
        proxied=svc.settings.storage_proxy)
    if svc.queue is not None:
        queue = svc.queue
        storage.append(await run_in_threadpool(lambda: queue_line(queue())))
    return render(request, who, "admin.html", status=status, sections=sections,
                  flashes=flashes or [],
                  storage_report=[localized(gettext, line) for line in storage],
                  origins={key: gettext(text) for key, text in ORIGINS.items()}, **context)


@page
async def settings(request: Request, who: Visitor) -> Response:
    require_admin(who)
    return await _render_settings(request, who)


@page
async def save_settings(request: Request, who: Visitor) -> Response:
    admin = require_admin(who)
    form = await request.form()
    check_csrf(who, form.get("csrf_token"))
    svc = services(request)
    current = {r.name: r for r in describe(svc.settings_source)}
    changes = {name: str(value) for name, value in form.items()
               if name in current and not current[name].locked
               and (current[name].secret or str(value) != current[name].shown)}
    clear = [str(name) for name in form.getlist("clear")]  # a secret's 'clear' checkbox
    try:
        changed = await run_in_threadpool(lambda: save_changes(
            svc.store, svc.settings_source, changes=changes, actor_id=admin.id, now=utcnow(),
            encrypt=svc.secrets.encrypt, probes=request.app.state.settings_probes, clear=clear))
    except WbError as exc:  # bad value, locked setting, or the backend's own message
        return await _render_settings(request, who, status=400, flashes=[("error", exc.message)])
    if changed and svc.queue is not None:  # a new BUCKET_QUEUE: its consumer switches now
        await run_in_threadpool(svc.queue)
    text = (translated(request, "Saved %(n)s setting(s).") % {"n": len(changed)} if changed
            else N_("Nothing changed."))
    return await _render_settings(request, who, flashes=[("ok", text)])


async def _render_users(request: Request, who: Visitor, **extra: Any) -> Response:
    svc = services(request)
    users = await run_in_threadpool(svc.store.list_users)
    context = await run_in_threadpool(_license_context, request)
    status = extra.pop("status", 200)
    settings = svc.settings
    sso_off = sso_blocked_reason(settings) if configured_client(settings) else None
    return render(request, who, "admin_users.html", status=status, users=users,
                  link_hours=settings.invite_hours, sso_off=sso_off, **context, **extra)


@page
async def users(request: Request, who: Visitor) -> Response:
    require_admin(who)
    return await _render_users(request, who)


@page
async def create_user(request: Request, who: Visitor) -> Response:
    require_admin(who)
    form = await request.form()
    check_csrf(who, form.get("csrf_token"))
    svc = services(request)
    password = str(form.get("password", ""))
    try:
        accounts.check_password(password)
        user = await run_in_threadpool(lambda: accounts.create_user(
            svc.store, username=str(form.get("username", "")).strip(),
            email=str(form.get("email", "")).strip(), is_admin=form.get("admin") == "1",
            password_hash=hash_password(password), license=svc.license(), now=utcnow()))
    except WbError as exc:
        return await _render_users(request, who, status=400, flashes=[("error", exc.message)])
    return await _render_users(request, who, flashes=[("ok", translated(
        request, "Created %(name)s.") % {"name": user.username})])


@page
async def invite(request: Request, who: Visitor) -> Response:
    admin = require_admin(who)
    form = await request.form()
    check_csrf(who, form.get("csrf_token"))
    svc = services(request)
    token, _ = await run_in_threadpool(lambda: accounts.make_invite(
        svc.store, by=admin, email=str(form.get("email", "")).strip() or None,
        is_admin=form.get("admin") == "1", hours=svc.settings.invite_hours,
        license=svc.license(), now=utcnow()))
    link = f"{base_url(request, svc.settings)}/invite/{token}"
    return await _render_users(request, who, link=link, link_title=N_("Invite link"))


@page
async def user_action(request: Request, who: Visitor) -> Response:
    admin = require_admin(who)
    form = await request.form()
    check_csrf(who, form.get("csrf_token"))
    svc = services(request)
    name, action = request.path_params["username"], request.path_params["action"]
    now = utcnow()
    try:
        if action in ("deactivate", "activate"):
            if action == "deactivate" and name == admin.username:
                raise InvalidInput(N_("you cannot deactivate yourself"))
            await run_in_threadpool(lambda: accounts.set_active(
                svc.store, username=name, active=action == "activate", license=svc.license(),
                now=now))
        elif action in ("make-admin", "revoke-admin"):
            await run_in_threadpool(lambda: accounts.set_admin(
                svc.store, username=name, admin=action == "make-admin"))
        elif action == "reset-link":
            token = await run_in_threadpool(lambda: accounts.make_reset_link(
                svc.store, by=admin, username=name, hours=svc.settings.invite_hours, now=now))
            link = f"{base_url(request, svc.settings)}/reset/{token}"
            return await _render_users(request, who, link=link,
                                       link_title=translated(
                                           request, "Password reset link for %(name)s") % {"name": name})
        else:
            raise NotFound(f"unknown action {action!r}")
        await run_in_threadpool(lambda: svc.store.add_audit(
            user_id=admin.id, action=f"user.{action}", target=name, detail="", now=now))
    except WbError as exc:
        return await _render_users(request, who, status=400, flashes=[("error", exc.message)])
    return redirect("/system-admin/users")


@page
async def audit(request: Request, who: Visitor) -> Response:
    require_admin(who)
    entries = await run_in_threadpool(services(request).store.list_audit, 200)
    return render(request, who, "admin_audit.html", entries=entries)
