"""Connecting Slack (OAuth v2, incoming webhook) for a user or a team, choosing which run
events notify, and the team page where team admins manage members and notifications."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wbserver.domain import teams
from wbserver.domain.clock import utcnow
from wbserver.domain.models import Entity, User
from wbserver.domain.notifications import DEFAULT_CHOICES, choices_for
from wbserver.domain.permissions import ROLES, entity_role
from wbserver.errors import InvalidInput, Msg, NotFound, PermissionDenied, Unauthenticated
from wbserver.http.auth import base_url
from wbserver.notify.slack import SlackError, exchange_code
from wbserver.web.guard import page
from wbserver.web.i18n import N_
from wbserver.web.render import redirect, render
from wbserver.web.session import Visitor, checked_form, require_user, services


def notification_context(svc: Any, entity: Entity) -> dict[str, Any]:
    """What the notifications card shows for an entity."""
    settings = svc.settings
    return {"entity": entity, "slack_ready": bool(settings.slack_client_id and settings.slack_secret),
            "slack": svc.store.get_slack_connection(entity.id),
            "choices": choices_for(svc.store, entity.id), "choice_names": list(DEFAULT_CHOICES)}


def _managed_entity(svc: Any, user: User, name: str) -> Entity:
    entity: Entity | None = svc.store.get_entity(name)
    if entity is None:
        raise NotFound(f"{name!r} not found")
    if entity_role(svc.store, user, entity) != "admin":
        raise PermissionDenied(f"only {name}'s admins change its notifications")
    return entity


def _back(entity: Entity) -> str:
    return f"/teams/{entity.name}" if entity.is_team else "/settings#notifications"


def _state(svc: Any, user: User, entity: str) -> str:
    signed = svc.signer.sign("SLACK", f"{user.id}:{entity}", expires_in=600)
    return base64.urlsafe_b64encode(f"{user.id}:{entity}&{signed}".encode()).decode()


def _check_state(svc: Any, user: User, state: str) -> str:
    try:
        text = base64.urlsafe_b64decode(state.encode()).decode()
        who, rest = text.split(":", 1)
        entity, signed = rest.split("&", 1)
        parts = dict(p.split("=", 1) for p in signed.split("&"))
        valid = svc.signer.verify("SLACK", f"{who}:{entity}", expires=parts["exp"],
                                  signature=parts["sig"])
    except (ValueError, KeyError, UnicodeDecodeError):
        valid = False
    if not valid or int(who) != user.id:
        raise Unauthenticated(N_("this Slack connection was not started here, or took longer than "
                                 "10 minutes; start again"))
    return entity


@page
async def connect(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    svc = services(request)
    entity = _managed_entity(svc, user, request.query_params.get("entity") or user.username)
    settings = svc.settings
    if not (settings.slack_client_id and settings.slack_secret):
        raise InvalidInput(N_("Slack is not set up on this server: a site admin sets SLACK_CLIENT_ID "
                              "and SLACK_SECRET on /system-admin"))
    params = {"client_id": settings.slack_client_id, "scope": "incoming-webhook",
              "redirect_uri": base_url(request, settings) + "/slack/callback",
              "state": _state(svc, user, entity.name)}
    return redirect(f"{settings.slack_authorize_url}?{urlencode(params)}")


@page
async def callback(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    svc = services(request)
    params = request.query_params
    entity = _managed_entity(svc, user, _check_state(svc, user, params.get("state", "")))
    if params.get("error"):
        raise Unauthenticated(Msg("Slack did not connect: %(error)s", error=str(params["error"])))
    settings = svc.settings
    try:
        hook = await run_in_threadpool(lambda: exchange_code(
            settings.slack_api_url, client_id=settings.slack_client_id,
            client_secret=settings.slack_secret, code=params.get("code", ""),
            redirect_uri=base_url(request, settings) + "/slack/callback"))
    except SlackError as exc:
        raise Unauthenticated(exc.message) from None
    await run_in_threadpool(lambda: svc.store.save_slack_connection(
        entity_id=entity.id, webhook_url=svc.secrets.encrypt(hook.url), channel=hook.channel,
        team_name=hook.team_name, user_id=user.id, now=utcnow()))
    return redirect(_back(entity))


@page
async def disconnect(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    svc = services(request)
    form = await checked_form(request, who)
    entity = _managed_entity(svc, user, form.get("entity") or user.username)
    await run_in_threadpool(svc.store.delete_slack_connection, entity.id)
    return redirect(_back(entity))


@page
async def save_choices(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    svc = services(request)
    form = await checked_form(request, who)
    entity = _managed_entity(svc, user, form.get("entity") or user.username)
    choices = {name: form.get(name) == "on" for name in DEFAULT_CHOICES}
    await run_in_threadpool(svc.store.save_notification_choices, entity.id, choices)
    return redirect(_back(entity))


@page
async def team(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    svc = services(request)
    entity = await run_in_threadpool(svc.store.get_entity, request.path_params["name"])
    role = entity_role(svc.store, user, entity) if entity and entity.is_team else None
    if entity is None or role is None:
        raise NotFound(N_("team not found"))
    members = await run_in_threadpool(svc.store.list_team_members, entity.id)
    context = await run_in_threadpool(notification_context, svc, entity)
    return render(request, who, "team.html", team=entity, role=role, members=members,
                  roles=ROLES, **context)


@page
async def set_member(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    svc = services(request)
    form = await checked_form(request, who)
    name = request.path_params["name"]
    role = form.get("role") or None
    await run_in_threadpool(lambda: teams.set_member(
        svc.store, by=user, team=name, username=form.get("username", "").strip(),
        role=None if role == "remove" else role))
    return redirect(f"/teams/{name}")
