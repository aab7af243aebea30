"""Project (runs table), run and compare pages, and the artifact pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wbserver.domain import artifact_browse, browse, compare, media, run_details, workspace
from wbserver.domain.compare import run_colour
from wbserver.domain.models import Project
from wbserver.domain.run_table import OPERATORS, parse_run_query
from wbserver.http.auth import base_url
from wbserver.web.guard import page
from wbserver.web.render import redirect, render
from wbserver.web.session import Visitor, checked_form, require_user, services


def _where(request: Request) -> dict[str, str]:
    p = request.path_params
    return {"entity": p["entity"], "project": p["project"]}


def _links(request: Request) -> run_details.Links:
    svc = services(request)
    return run_details.Links(blobs=svc.blobs, base_url=base_url(request, svc.settings),
                             expires_in=svc.settings.download_url_ttl)


def _query_without(request: Request, *drop: str, **put: str) -> str:
    """This page's query string with some parameters replaced (for sort and page links)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in drop and k not in put]
    items += [(k, v) for k, v in put.items() if v != ""]
    return "?" + urlencode(items) if items else "?"


# the runs table's query parameters: a link to the project with them opens the table
TABLE_PARAMS = frozenset({"q", "state", "tag", "fk", "fo", "fv", "sort", "desc", "page", "col"})


@page
async def project(request: Request, who: Visitor) -> Response:
    """The project's default view: the workspace (every logged key's panels over the
    runs); the runs table for a link carrying the table's filters."""
    if TABLE_PARAMS & set(request.query_params):
        return await _runs_table(request, who)
    user = require_user(who)
    store = services(request).store

    def read() -> tuple[Project, int, dict[str, Any] | None]:
        found, run_count = browse.project_page(store, viewer=user, **_where(request))
        # the workspace's first data comes with the page (no round trip before the panels)
        overview = workspace.workspace_overview(store, viewer=user, **_where(request)) \
            if run_count else None
        return found, run_count, overview
    found, run_count, overview = await run_in_threadpool(read)
    return render(request, who, "workspace.html", project=found, run_count=run_count,
                  overview=overview,
                  base_url=base_url(request, services(request).settings))


@page
async def runs_table(request: Request, who: Visitor) -> Response:
    return await _runs_table(request, who)


async def _runs_table(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    query = parse_run_query(list(request.query_params.multi_items()))
    found, table = await run_in_threadpool(lambda: browse.project_runs(
        services(request).store, viewer=user, query=query, **_where(request)))
    filter_keys = {f"config.{k}" for k in table.config_keys} | {
        f"summary.{k}" for k in table.summary_keys}
    return render(request, who, "project.html", project=found, table=table,
                  operators=list(OPERATORS), filter_keys=filter_keys, with_query=lambda **kw: _query_without(
                      request, "page", **kw),
                  base_url=base_url(request, services(request).settings),
                  query_string=request.url.query)


@page
async def run(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    links = _links(request)
    view = await run_in_threadpool(lambda: run_details.run_overview(
        services(request).store, links, viewer=user, name=request.path_params["run"],
        **_where(request)))
    # the media panels' listing comes with the page (no round trip before the first panel)
    listing = {"media": media.media_keys(view["run"]), "charts": media.custom_charts(view["run"])}
    return render(request, who, "run.html", colour=run_colour(view["run"].name),
                  media_listing=listing, **view)


@page
async def compare_runs(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    view = await run_in_threadpool(lambda: compare.compare_overview(
        services(request).store, viewer=user, names=request.query_params.getlist("runs"),
        **_where(request)))
    return render(request, who, "compare.html", group=request.query_params.get("group", ""),
                  **view)


@page
async def artifacts(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    view = await run_in_threadpool(lambda: artifact_browse.project_artifacts(
        services(request).store, viewer=user, **_where(request)))
    return render(request, who, "artifacts.html", **view)


@page
async def artifact_collection(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    p = request.path_params
    view = await run_in_threadpool(lambda: artifact_browse.collection_versions(
        services(request).store, viewer=user, type_name=p["type"], name=p["name"],
        **_where(request)))
    return render(request, who, "artifact_collection.html", **view)


@page
async def artifact_version(request: Request, who: Visitor) -> Response:
    user = require_user(who)
    p = request.path_params
    links = _links(request)
    view = await run_in_threadpool(lambda: artifact_browse.artifact_version(
        services(request).store, links, viewer=user, type_name=p["type"], name=p["name"],
        version=p["version"], **_where(request)))
    return render(request, who, "artifact_version.html", **view)


@page
async def delete_artifact_version(request: Request, who: Visitor) -> Response:
    """POST from the version page's confirmation: delete, then show the collection."""
    user = require_user(who)
    form = await checked_form(request, who)
    p = request.path_params
    await run_in_threadpool(lambda: artifact_browse.delete_version(
        services(request).store, viewer=user, type_name=p["type"], name=p["name"],
        version=p["version"], delete_aliases=form.get("delete_aliases") == "on",
        **_where(request)))
    return redirect("/" + "/".join(quote(p[k], safe="") for k in (
        "entity", "project")) + "/artifacts/" + "/".join(
        quote(p[k], safe="") for k in ("type", "name")))
