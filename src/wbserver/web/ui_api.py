"""JSON the pages fetch: runs table rows, chart series, system metrics, console lines, run
status, comparison series, media keys and values; and a run's files for the media panels and
previews (as inert attachments). Session-cookie auth; every read asks domain/permissions."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wbserver.domain import (
    browse,
    chart_data,
    compare,
    lineage,
    media,
    media_tables,
    run_details,
    run_environment,
)
from wbserver.domain.files import run_file_key
from wbserver.domain.models import User
from wbserver.domain.run_table import parse_run_query
from wbserver.errors import InvalidInput, NotFound, PermissionDenied, WbError
from wbserver.http.context import Services
from wbserver.http.errors import error_response
from wbserver.http.user_content import send_blob
from wbserver.http.view_links import check_view, linker, page_links, seconds_left
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
        series = chart_data.system_series(store, run, query)
        return {"series": series, "units": {k: u for k in series
                                            if (u := run_environment.system_unit(k))}}
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


@json_endpoint
async def run_media(request: Request, user: User) -> Any:
    """The run's media keys and custom charts (what the media panels can show)."""
    store = services(request).store

    def read() -> Any:
        _p, run = run_details.readable_run(store, viewer=user, name=request.path_params["run"],
                                           **_where(request))
        return {"media": media.media_keys(run), "charts": media.custom_charts(run)}
    return await run_in_threadpool(read)


@json_endpoint
async def media_values(request: Request, user: User) -> Any:
    """One media key's values over steps: ?key=<history key>; with "links", the signed view
    links of the files they name (one permission check here instead of one per file)."""
    key = media.parse_key(request.query_params.get("key"))
    svc = services(request)

    def read() -> Any:
        _p, run = run_details.readable_run(svc.store, viewer=user,
                                           name=request.path_params["run"], **_where(request))
        values = media.media_values(svc.store, run, key)
        values["links"] = media.file_links(linker(svc), run, values["values"])
        return values
    return await run_in_threadpool(read)


def _link_rows(request: Request) -> int:
    """?links=N: sign the files of the media cells of the table's first N rows (0..200)."""
    text = request.query_params.get("links") or "0"
    if not text.isdigit() or int(text) > 200:
        raise InvalidInput("links: the rows whose files to link, 0 to 200")
    return int(text)


def _signed(svc: Services, files: dict[str, media_tables.TableFile]) -> dict[str, str]:
    return page_links(svc, ((name, f.key, f.size) for name, f in files.items()))


@json_endpoint
async def media_table(request: Request, user: User) -> Any:
    """The table logged last under ?key=…: {columns, data, fromArtifact, links}, links being
    the URLs of the files of the media cells of the first ?links=N rows (signed view links,
    small images as data: URLs)."""
    key = media.parse_key(request.query_params.get("key"))
    first = _link_rows(request)
    svc = services(request)

    def read() -> Any:
        _p, run = run_details.readable_run(svc.store, viewer=user,
                                           name=request.path_params["run"], **_where(request))
        table = media_tables.read_table(svc.store, svc.blobs, run, key)
        names = media_tables.cell_paths(table["data"][:first])
        table["links"] = _signed(svc, media_tables.table_files(svc.store, run, key, names))
        return table
    return await run_in_threadpool(read)


@json_endpoint
async def media_table_links(request: Request, user: User) -> Any:
    """Signed links to files of a table (a page's media cells): ?key=…&name=…&name=…;
    {"links": {name: link}}, names the table does not hold left out."""
    key = media.parse_key(request.query_params.get("key"))
    names = request.query_params.getlist("name")
    svc = services(request)

    def read() -> Any:
        _p, run = run_details.readable_run(svc.store, viewer=user,
                                           name=request.path_params["run"], **_where(request))
        return {"links": _signed(svc, media_tables.table_files(svc.store, run, key, names))}
    return await run_in_threadpool(read)


async def view_file(request: Request) -> Response:
    """A file behind a signed view link (`http/view_links.py`): no session, no lookup."""
    svc = services(request)
    key = request.path_params["key"]
    q = request.query_params
    name = q.get("name", "")
    if not check_view(svc.signer, key, name=name, expires=q.get("exp", ""),
                      signature=q.get("sig", "")):
        return error_response(PermissionDenied("this link is not signed or has expired"))
    try:
        response = await run_in_threadpool(lambda: send_blob(svc, key, filename=name))
    except WbError as exc:
        return error_response(exc)
    response.headers["Cache-Control"] = f"private, max-age={seconds_left(q['exp'])}"
    return response


async def media_table_file(request: Request) -> Response:
    """A file of a table's artifact (an image cell's, say): ?key=<table key>&name=<path>."""
    svc = services(request)
    try:
        key = media.parse_key(request.query_params.get("key"))
        name = request.query_params.get("name") or ""
        user = require_user(await visitor(request))

        def find() -> str:
            _p, run = run_details.readable_run(svc.store, viewer=user,
                                               name=request.path_params["run"],
                                               **_where(request))
            return media_tables.table_file_key(svc.store, run, key, name)
        blob = await run_in_threadpool(find)
        response = await run_in_threadpool(lambda: send_blob(svc, blob, filename=name))
    except WbError as exc:
        return error_response(exc)
    # the client names a table's media files by their content's hash: a name keeps its bytes
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


async def _readable_file_key(request: Request) -> str:
    """The blob key of the run file NAME the signed-in visitor may read (else NotFound)."""
    svc = services(request)
    user = require_user(await visitor(request))
    _p, run = await run_in_threadpool(lambda: run_details.readable_run(
        svc.store, viewer=user, name=request.path_params["run"], **_where(request)))
    name = request.path_params["name"]
    if await run_in_threadpool(svc.store.get_run_file, run.id, name) is None:
        raise NotFound("no such file")
    return run_file_key(run.id, name)


async def run_file(request: Request) -> Response:
    """A run file's bytes for a panel or preview on this origin: streamed (never a redirect
    to the bucket, which the pages' connect-src would refuse), as an inert attachment."""
    svc = services(request)
    try:
        return await run_in_threadpool(send_blob, svc, await _readable_file_key(request))
    except WbError as exc:
        return error_response(exc)


# A wandb.Html file rendered only inside a sandboxed frame of the run page: an opaque origin
# (no allow-same-origin), no script, no form, no request (inline styles and data: images only).
HTML_FRAME_POLICY = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                     "font-src data:; frame-ancestors 'self'")


async def run_html(request: Request) -> Response:
    """A run's HTML file for the frame of its panel. Only a request for a frame
    (`Sec-Fetch-Dest: iframe`) gets it inline; anything else (a link opened, a tab) gets the
    usual inert attachment."""
    svc = services(request)
    try:
        key = await _readable_file_key(request)
        if request.headers.get("sec-fetch-dest") != "iframe":
            return await run_in_threadpool(send_blob, svc, key)
        body = await run_in_threadpool(lambda: media.tidy_html(_read_blob(svc, key)))
    except WbError as exc:
        return error_response(exc)
    return Response(body, media_type="text/html; charset=utf-8", headers={
        "Content-Security-Policy": HTML_FRAME_POLICY, "X-Frame-Options": "SAMEORIGIN",
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store"})


def _read_blob(svc: Any, key: str) -> bytes:
    out = bytearray()
    try:
        for chunk in svc.blobs.open_read(key):
            out += chunk
            if len(out) > media.MAX_HTML:
                break
    except FileNotFoundError:
        raise NotFound("no such file") from None
    return bytes(out)


def _limits(request: Request) -> tuple[int, int]:
    """?hops=1..6 and ?nodes=1..200 of a lineage graph."""
    q = request.query_params
    return (lineage.parse_limit(q.get("hops"), name="hops", default=lineage.DEFAULT_HOPS,
                                most=lineage.MAX_HOPS),
            lineage.parse_limit(q.get("nodes"), name="nodes", default=lineage.DEFAULT_NODES,
                                most=lineage.MAX_NODES))


@json_endpoint
async def run_lineage(request: Request, user: User) -> Any:
    """The lineage graph around a run (?hops=1..6, ?nodes=1..200)."""
    hops, cap = _limits(request)
    return await run_in_threadpool(lambda: lineage.run_lineage(
        services(request).store, viewer=user, name=request.path_params["run"],
        hops=hops, cap=cap, **_where(request)))


@json_endpoint
async def version_lineage(request: Request, user: User) -> Any:
    """The lineage graph around an artifact version (?hops=1..6, ?nodes=1..200)."""
    hops, cap = _limits(request)
    p = request.path_params
    return await run_in_threadpool(lambda: lineage.version_lineage(
        services(request).store, viewer=user, type_name=p["type"], name=p["name"],
        version=p["version"], hops=hops, cap=cap, **_where(request)))
