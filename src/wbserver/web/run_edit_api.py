"""The run page's edits (session cookie, the page's CSRF token in X-CSRF-Token): rename,
tags and notes (POST …/runs/R/edit, a JSON object), and delete (POST …/runs/R/delete). The
page offers an undo for a few seconds before it sends the delete (docs/operators.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wbserver.domain import run_details, run_edits
from wbserver.domain.models import Run, User
from wbserver.errors import InvalidInput, WbError
from wbserver.http.errors import error_response
from wbserver.web.session import check_csrf, require_user, services, visitor

MAX_BODY = run_edits.MAX_NOTES + 16 * 1024


async def _change(request: Request, act: Callable[[User, Run, Any], Any]) -> Response:
    try:
        who = await visitor(request)
        user = require_user(who)
        check_csrf(who, request.headers.get("x-csrf-token"))
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise InvalidInput("the request is too large")
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            raise InvalidInput("the body is not JSON") from None
        store = services(request).store
        p = request.path_params

        def run() -> Any:
            _project, found = run_details.readable_run(
                store, viewer=user, entity=p["entity"], project=p["project"], name=p["run"])
            return act(user, found, body)
        out = await run_in_threadpool(run)
    except WbError as exc:
        return error_response(exc)
    return Response(orjson.dumps(out), media_type="application/json",
                    headers={"Cache-Control": "no-store"})


async def edit(request: Request) -> Response:
    store = services(request).store
    return await _change(request, lambda user, run, body: run_edits.edited(
        run_edits.edit_run(store, viewer=user, run_id=run.id, body=body)))


async def delete(request: Request) -> Response:
    svc = services(request)

    def act(user: User, run: Run, _body: Any) -> Any:
        run_edits.delete_run_from_page(svc.store, svc.blobs, viewer=user, run_id=run.id)
        return {"deleted": run.name}
    return await _change(request, act)
