"""The sweep pages: a project's sweeps, one sweep, and its state buttons (issue 25)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wbserver.domain import sweep_pages
from wbserver.web.guard import page
from wbserver.web.render import redirect, render
from wbserver.web.session import Visitor, checked_form, require_user, services


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
