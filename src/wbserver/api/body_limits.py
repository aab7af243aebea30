"""Request body limits, route by route, enforced as the bytes arrive (an ASGI middleware).

A body over its route's limit gets 413 naming the limit: at once when its Content-Length says
so, else as soon as the bytes read pass it; nothing beyond the limit is read or held. Routes
that read a body authenticate the caller from the headers first (api/rest/handlers.py), so an
anonymous caller never gets its body read at all. Handlers also check the size of a gzip body
once decoded (api/rest/bodies.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wbserver.config import Settings
from wbserver.errors import PayloadTooLarge
from wbserver.http.errors import error_response

# everything else: sign-in and settings forms, a few KiB
FORM_BODY_BYTES = 1024 * 1024
_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class BodyLimit:
    bytes: int
    what: str
    setting: str = ""  # the environment variable that changes it

    def exceeded(self, declared: int | None = None) -> PayloadTooLarge:
        size = f" of {declared:,} bytes" if declared is not None else ""
        change = f" ({self.setting})" if self.setting else ""
        return PayloadTooLarge(f"{self.what} body{size} is over this server's limit of "
                               f"{shown_bytes(self.bytes)}{change}")


def shown_bytes(size: int) -> str:
    for unit, scale in (("TiB", 1024 ** 4), ("GiB", 1024 ** 3), ("MiB", 1024 ** 2),
                        ("KiB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit} ({size:,} bytes)"
    return f"{size:,} bytes"


def limit_for(method: str, path: str, settings: Settings) -> BodyLimit:
    if path == "/graphql":
        return BodyLimit(settings.max_graphql_bytes, "a GraphQL request",
                         "WBSERVER_MAX_GRAPHQL_BYTES")
    if path.startswith("/files/") and path.endswith("/file_stream"):
        return BodyLimit(settings.max_request_bytes, "a file_stream request",
                         "WBSERVER_MAX_REQUEST_BYTES")
    if method == "PUT" and path.startswith("/storage/"):
        return BodyLimit(settings.max_upload_bytes, "an upload", "WBSERVER_MAX_UPLOAD_BYTES")
    return BodyLimit(FORM_BODY_BYTES, "this request")


class BodyLimits:
    def __init__(self, app: Any, settings: Callable[[], Settings]) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in _NO_BODY:
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["method"], scope["path"], self.settings())
        declared = _content_length(scope["headers"])
        if declared is not None and declared > limit.bytes:
            await error_response(limit.exceeded(declared))(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.bytes:
                    raise limit.exceeded()
            return message

        async def watched(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except PayloadTooLarge as exc:  # a handler that does not answer it itself (forms)
            if started:
                raise
            await error_response(exc)(scope, receive, send)


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None
