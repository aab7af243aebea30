"""JSON the pages fetch: runs table rows, chart series, system metrics, console lines, run
status and comparison series. Session-cookie auth; every read asks domain/permissions."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wbserver.domain import browse, chart_data, compare, run_details
from wbserver.domain.models import User
from wbserver.domain.run_table import parse_run_query
from wbserver.errors import WbError
from wbserver.http.errors import error_response
from wbserver.web.session import require_user, services, visitor

Endpoint = Callable[[Request, User], Awaitable[Any]]


def json_endpoint(handler: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            user = require_user(await visitor(request))
            body = await handler(request, user)
        except WbError as exc:
            return error_response(exc)
        return Response(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY),
                        media_type="application/json", headers={"Cache-Control": "no-store"})
    return wrapped


def _where(request: Request) -> dict[str, str]:
    p = request.path_params
    return {"entity": p["entity"], "project": p["project"]}


@json_endpoint
async def runs_table(request: Request, user: User) -> Any:
    query = parse_run_query(list(request.query_params.multi_items()))
    _project, table = await run_in_threadpool(
        lambda: browse.project_runs(services(request).store, viewer=user, query=query,
                                    **_where(request)))
    return {"rows": table.rows, "total": table.total, "page": table.page,
            "pages": table.pages, "columns": table.columns, "anyRunning": table.any_running}


@json_endpoint
async def run_series(request: Request, user: User) -> Any:
    query = chart_data.parse_series_query(dict(request.query_params))
    store = services(request).store

    def read() -> Any:
        _p, run = run_details.readable_run(store, viewer=user, name=request.path_params["run"],
                                           **_where(request))
        return {"state": run.state, "historyLineCount": run.history_line_count,
                "series": chart_data.run_series(store, run, query)}
    return await run_in_threadpool(read)


@json_endpoint
async def system_series(request: Request, user: User) -> Any:
    query = chart_data.parse_series_query(dict(request.query_params))
    store = services(request).store

    def read() -> Any:
        _p, run = run_details.readable_run(store, viewer=user, name=request.path_params["run"],
                                           **_where(request))
        return {"series": chart_data.system_series(store, run, query)}
    return await run_in_threadpool(read)


@json_endpoint
async def run_status(request: Request, user: User) -> Any:
    return await run_in_threadpool(lambda: run_details.run_status(
        services(request).store, viewer=user, name=request.path_params["run"],
        **_where(request)))


@json_endpoint
async def run_logs(request: Request, user: User) -> Any:
    start = run_details.parse_log_start(request.query_params.get("start"))
    return await run_in_threadpool(lambda: run_details.console_lines(
        services(request).store, viewer=user, name=request.path_params["run"], start=start,
        search=request.query_params.get("q", "")[:200], **_where(request)))


@json_endpoint
async def compare_series(request: Request, user: User) -> Any:
    query = chart_data.parse_series_query(dict(request.query_params))
    names = request.query_params.getlist("runs")
    return await run_in_threadpool(lambda: compare.compare_series(
        services(request).store, viewer=user, names=names, query=query,
        group_by=request.query_params.get("group", ""), **_where(request)))
