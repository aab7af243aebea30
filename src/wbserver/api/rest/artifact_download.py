"""GET /artifactsV2/<region>/<entity>/<project>/<collection>/[<artifact id>/]<birth id>/<md5>/<name>

The client's fallback when a file has no directUrl; it sends Basic auth."""

from __future__ import annotations

from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from wbserver.api.auth import authenticate
from wbserver.api.errors import error_response
from wbserver.api.rest.handlers import services
from wbserver.domain.artifacts import readable_content_key
from wbserver.errors import NotFound, WbError


async def artifact_file(request: Request) -> Response:
    svc = services(request)
    parts = [unquote(p) for p in request.path_params["path"].split("/")]
    try:
        if len(parts) < 7:
            raise NotFound("artifact file not found")
        viewer = await run_in_threadpool(authenticate, svc.store, request)
        key = await run_in_threadpool(readable_content_key, svc.store, viewer=viewer,
                                      entity=parts[1], project=parts[2], md5=parts[-2])
        path = svc.blobs.local_path(key)  # type: ignore[attr-defined]
        if path is None:
            raise NotFound("artifact file not found")
        return FileResponse(path, filename=parts[-1])
    except WbError as exc:
        return error_response(exc)
