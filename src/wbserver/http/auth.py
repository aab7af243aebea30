"""Who is calling: HTTP Basic with the API key as password (the wandb client's way)."""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request

from wbserver.config import Settings
from wbserver.domain.models import User
from wbserver.domain.users import authenticate_api_key
from wbserver.errors import Unauthenticated
from wbserver.ports import MetadataStore


def api_key_from(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        raise Unauthenticated("authentication required: send your API key with HTTP Basic auth "
                              "(wandb login --host <this server>)")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthenticated("malformed Authorization header") from None
    _user, _, key = decoded.partition(":")
    if not key:
        raise Unauthenticated("the Authorization header carries no API key")
    return key


def authenticate(store: MetadataStore, request: Request) -> User:
    return authenticate_api_key(store, api_key_from(request))


def base_url(request: Request, settings: Settings) -> str:
    """The external URL: HOST when set; else what a trusted reverse proxy says
    (X-Forwarded-Proto/Host); else the URL this request came in on."""
    if settings.host:
        return settings.host.rstrip("/")
    trusted = {p.strip() for p in settings.trusted_proxies.split(",") if p.strip()}
    client = request.client.host if request.client else ""
    forwarded_host = request.headers.get("x-forwarded-host", "").split(",")[0].strip()
    if forwarded_host and ("*" in trusted or client in trusted):
        proto = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
        return f"{proto}://{forwarded_host}"
    return str(request.base_url).rstrip("/")
