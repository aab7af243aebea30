"""The sweep pages: a project's sweeps, one sweep, and its state buttons (issue 25)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wbserver.domain import sweep_pages
from wbserver.domain.models import User
from wbserver.web.guard import page
from wbserver.web.render import redirect, render
from wbserver.web.session import Visitor, checked_form, require_user, services
from wbserver.web.ui_api import json_endpoint


def _where(request: Request) -> dict[str, str]:
    p = request.path_params
    return {"entity": p["entity"], "project": p["project"]}


@page
async def sweeps(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    view = await run_in_threadpool(lambda: sweep_pages.project_sweeps(
        services(request).store, viewer=user, **_where(request)))
    return render(request, who, "sweeps.html", **view)


@page
async def sweep(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    view = await run_in_threadpool(lambda: sweep_pages.sweep_overview(
        services(request).store, viewer=user, name=request.path_params["sweep"],
        **_where(request)))
    return render(request, who, "sweep.html", **view)


@page
async def sweep_state(request: Request, who: Visitor) -> Response:
    """POST of a state button (pause, resume, stop, cancel), then the sweep page again."""
    user = require_user(who)
    form = await checked_form(request, who)
    p = request.path_params
    await run_in_threadpool(lambda: sweep_pages.act_on_sweep(
        services(request).store, viewer=user, name=p["sweep"],
        action=str(form.get("action", "")), **_where(request)))
    return redirect("/" + "/".join(quote(p[k], safe="") for k in (
        "entity", "project")) + "/sweeps/" + quote(p["sweep"], safe=""))


@json_endpoint
async def sweep_analysis(request: Request, user: User) -> Any:
    """JSON of the sweep page's charts: GET /_ui/<entity>/<project>/sweeps/<sweep>/analysis
    ?metric=<summary key> (default: the sweep's metric)."""
    metric = request.query_params.get("metric") or None
    return await run_in_threadpool(lambda: sweep_pages.sweep_analysis(
        services(request).store, viewer=user, name=request.path_params["sweep"],
        metric=metric, **_where(request)))
