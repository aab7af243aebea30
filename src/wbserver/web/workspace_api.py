"""JSON the project workspace fetches: the overview (runs, keys, saved layout), a page of
its runs list, one panel's data (any registered panel kind), and saving the viewer's layout (session cookie; a save
carries the page's CSRF token in X-CSRF-Token)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wbserver.domain import panels, workspace
from wbserver.domain.models import User
from wbserver.domain.workspace_runs import PAGE_LIMIT
from wbserver.errors import InvalidInput, WbError
from wbserver.http.errors import error_response
from wbserver.http.view_links import linker
from wbserver.web.session import check_csrf, require_user, services, visitor
from wbserver.web.ui_api import json_endpoint


def _where(request: Request) -> dict[str, str]:
    p = request.path_params
    return {"entity": p["entity"], "project": p["project"]}


@json_endpoint
async def overview(request: Request, user: User) -> Any:
    return await run_in_threadpool(lambda: workspace.workspace_overview(
        services(request).store, viewer=user, **_where(request)))


@json_endpoint
async def runs(request: Request, user: User) -> Any:
    """A page of the runs list: ?q= (search), state=, offset=, limit=."""
    params = request.query_params
    try:
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or PAGE_LIMIT)
    except ValueError:
        raise InvalidInput("offset and limit are numbers") from None
    return await run_in_threadpool(lambda: workspace.workspace_runs(
        services(request).store, viewer=user, search=(params.get("q") or "").strip(),
        state=params.get("state") or "", offset=offset, limit=limit, **_where(request)))


@json_endpoint
async def panel(request: Request, user: User) -> Any:
    query = panels.parse_panel_query(request.path_params["kind"],
                                     list(request.query_params.multi_items()))
    svc = services(request)
    return await run_in_threadpool(lambda: panels.panel_data(
        svc.store, viewer=user, query=query, view_link=linker(svc), **_where(request)))


async def save_layout(request: Request) -> Response:
    try:
        who = await visitor(request)
        user = require_user(who)
        check_csrf(who, request.headers.get("x-csrf-token"))
        body = await request.body()
        saved = await run_in_threadpool(lambda: workspace.save_layout(
            services(request).store, viewer=user, body=body, **_where(request)))
    except WbError as exc:
        return error_response(exc)
    return Response(orjson.dumps({"layout": saved}), media_type="application/json",
                    headers={"Cache-Control": "no-store"})
