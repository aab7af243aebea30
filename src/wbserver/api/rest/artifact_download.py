"""GET /artifactsV2/<region>/<entity>/<project>/<collection>/[<artifact id>/]<birth id>/<md5>/<name>

The client's fallback when a file has no directUrl; it sends Basic auth."""

from __future__ import annotations

from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wbserver.api.rest.handlers import services
from wbserver.domain.artifacts import readable_content_key
from wbserver.errors import NotFound, WbError
from wbserver.http.auth import authenticate, base_url
from wbserver.http.errors import error_response
from wbserver.http.user_content import send_blob


async def artifact_file(request: Request) -> Response:
    svc = services(request)
    parts = [unquote(p) for p in request.path_params["path"].split("/")]
    try:
        if len(parts) < 7:
            raise NotFound("artifact file not found")
        viewer = await run_in_threadpool(authenticate, svc.store, request)
        key = await run_in_threadpool(readable_content_key, svc.store, viewer=viewer,
                                      entity=parts[1], project=parts[2], md5=parts[-2])
        return await run_in_threadpool(send_blob, svc, key, filename=parts[-1],
                                       base_url=base_url(request, svc.settings))
    except WbError as exc:
        return error_response(exc)
