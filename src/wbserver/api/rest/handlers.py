"""REST handlers. Each: authenticate, parse, one domain call in a worker thread, shape.
GraphQL, file_stream and small uploads run theirs through the store's threads, short work on
the event loop itself on SQLite (http/store_threads.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    Response,
)

from wbserver.api.events import emitter
from wbserver.api.graphql.executor import GraphQLExecutor
from wbserver.api.metrics import metrics_of
from wbserver.api.rate_limits import RateLimits
from wbserver.api.rest.bodies import read_json
from wbserver.api.rest.responses import json_response
from wbserver.domain.files import run_file_key
from wbserver.domain.filestream import apply_file_stream
from wbserver.domain.models import RunKey, User
from wbserver.domain.permissions import readable_project
from wbserver.domain.queue_health import queue_problem
from wbserver.domain.users import authenticate_api_key
from wbserver.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    WbError,
)
from wbserver.http.auth import api_key_from, authenticate, base_url
from wbserver.http.context import RequestContext, Services
from wbserver.http.errors import error_response
from wbserver.http.store_threads import short_body
from wbserver.http.user_content import send_blob

log = logging.getLogger("wbserver.ready")

# uvicorn holds up to 64 KiB of a connection's unread body (its flow control's high water)
PREAUTH_BODY_BYTES = 64 * 1024


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def rate_limits(request: Request) -> RateLimits:
    return request.app.state.rate_limits  # type: ignore[no-any-return]


async def caller(svc: Services, request: Request) -> Callable[[], User]:
    """Who is calling, from the headers: a function giving the user of the API key, or
    Unauthenticated. Without a key nothing is read. A body larger than what the HTTP server
    holds for a connection anyway (PREAUTH_BODY_BYTES, not compressed) is read only once the
    key has been checked, so an anonymous caller's large body is never read or parsed; a
    smaller one is read first and the key checked in the same worker-thread hop as the work
    (one hop, not two, where the check is not run on the loop: MySQL)."""
    key = api_key_from(request)
    if _small_body(request) and not svc.store_threads.inline_short:
        return lambda: authenticate_api_key(svc.store, key)
    user = await svc.store_threads.run(lambda: authenticate_api_key(svc.store, key), short=True)
    return lambda: user


def _small_body(request: Request) -> bool:
    declared = request.headers.get("content-length", "")
    return (declared.isdigit() and int(declared) <= PREAUTH_BODY_BYTES
            and not request.headers.get("content-encoding"))


async def graphql(request: Request) -> Response:
    svc = services(request)
    executor: GraphQLExecutor = request.app.state.graphql
    try:
        viewer = await caller(svc, request)
        body = await read_json(request, svc.settings.max_graphql_bytes)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise InvalidInput("a GraphQL request is a JSON object with a 'query' string")
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            raise InvalidInput("'variables' must be a JSON object")
    except WbError as exc:
        return error_response(exc)
    base, probes = base_url(request, svc.settings), request.app.state.settings_probes
    limits = rate_limits(request)

    def answer() -> tuple[int, dict[str, Any]]:  # one worker-thread hop per request
        context = RequestContext(services=svc, viewer=viewer(), base_url=base, probes=probes)
        limits.graphql(svc.settings, variables)
        return executor.run(body["query"], variables, body.get("operationName"), context)

    short = executor.is_short(body["query"], local_storage=not svc.settings.bucket,
                              variables=variables)
    try:
        status, result = await svc.store_threads.run(answer, short=short)
    except WbError as exc:
        return error_response(exc)
    return json_response(result, status_code=status)


async def file_stream(request: Request) -> Response:
    svc = services(request)
    params = request.path_params
    key = RunKey(params["entity"], params["project"], params["run"])
    try:
        viewer = await caller(svc, request)
        body = await read_json(request, svc.settings.max_request_bytes)
    except WbError as exc:
        return error_response(exc)
    emit = emitter(svc, base_url(request, svc.settings))
    limits = rate_limits(request)

    def answer() -> dict[str, Any]:
        who = viewer()
        limits.file_stream(svc.settings, key)
        return apply_file_stream(svc.store, viewer=who, key=key, body=body, on_event=emit,
                                 on_uploaded=svc.report_uploads)

    try:
        result = await svc.store_threads.run(answer, short=short_body(request.headers))
    except WbError as exc:
        return error_response(exc)
    metrics_of(request).count_file_stream(body)
    return JSONResponse(result)


def check_signature(request: Request, method: str, key: str) -> None:
    signer = services(request).signer
    query = request.query_params
    if not signer.verify(method, key, expires=query.get("exp", ""), signature=query.get("sig", "")):
        raise PermissionDenied("this storage URL is not signed for this request or has expired")


async def storage_get(request: Request) -> Response:
    key = request.path_params["key"]
    try:
        check_signature(request, "GET", key)
        return await run_in_threadpool(send_blob, services(request), key)
    except WbError as exc:
        return error_response(exc)


async def run_file_download(request: Request) -> Response:
    """GET /files/<entity>/<project>/<run>/<name> with Basic auth (File.url)."""
    svc = services(request)
    p = request.path_params
    try:
        viewer = await run_in_threadpool(authenticate, svc.store, request)
        run = await run_in_threadpool(_readable_run, svc, viewer, p)
        return await run_in_threadpool(send_blob, svc, run_file_key(run.id, p["name"]),
                                       base_url=base_url(request, svc.settings))
    except WbError as exc:
        return error_response(exc)


def _readable_run(svc: Services, viewer: Any, p: dict[str, str]) -> Any:
    if readable_project(svc.store, viewer=viewer, entity=p["entity"], project=p["project"]) is None:
        raise NotFound(f"project {p['entity']}/{p['project']} not found")
    run = svc.store.get_run(RunKey(p["entity"], p["project"], p["run"]))
    if run is None:
        raise NotFound(f"run {p['run']} not found")
    return run


async def healthz(_request: Request) -> Response:
    """Liveness: the process answers (its event loop runs). Touches nothing outside, so a
    database outage never gets every process restarted; /readyz is for that."""
    return JSONResponse({"ok": True})


async def readyz(request: Request) -> Response:
    """Ready to serve: the database answers and the storage (BUCKET or the data folder's
    files/) is reachable; else 503 naming each part that failed. BUCKET_QUEUE is checked
    too, but a queue that does not answer only degrades (200, `degraded` names it): files
    are still recorded when clients report them uploaded, and taking every process out of
    the load balancer for it would turn a queue outage into a full one."""
    svc = services(request)
    checks = {"database": svc.store.ping, "storage": svc.blobs.check}
    failed: dict[str, str] = {}
    for part, check in checks.items():
        try:
            await run_in_threadpool(check)
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which
            failed[part] = exc.message if isinstance(exc, WbError) else type(exc).__name__
            log.warning("readyz: %s is not ready: %s", part, exc)
    degraded: dict[str, str] = {}
    if svc.queue is not None:
        queue = svc.queue
        problem = await run_in_threadpool(lambda: queue_problem(queue()))
        if problem is not None:
            degraded["queue"] = problem
            log.warning("readyz: BUCKET_QUEUE does not answer: %s", problem)
    if failed:
        return JSONResponse({"ok": False, "failed": failed, **(
            {"degraded": degraded} if degraded else {})}, status_code=503)
    return JSONResponse({"ok": True, "checked": [*checks, "queue"] if svc.queue else list(checks),
                         **({"degraded": degraded} if degraded else {})})
