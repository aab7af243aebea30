"""Signed links to a user's file for the pages' `<img>` and `<a>` elements (a table's image
cells, say): `/_ui/_view/<storage key>?name=…&exp=…&sig=…`.

A page asks once for the links of many files (one permission check and one query for a page
of a table) and the browser then fetches each file with no lookup at all: the signature is the
credential, as for the /storage route's signed URLs, and it covers the file name the response
is typed and named by. Links made within the same hour expire together, so a page drawn again
gets the same links and the browser's cache answers. The bytes leave as every user's file does
(`http/user_content.py`): an inert attachment.

A small raster image (a table's thumbnails, typically) comes as its bytes instead: a `data:`
URL of its inert image type, which an `<img>` shows without a request (the pages' policy
allows `img-src data:`; a `data:` document cannot be opened as a page)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterable
from urllib.parse import quote

from wbserver.http.context import Services
from wbserver.http.user_content import content_type
from wbserver.storage.signing import UrlSigner, quote_key

PREFIX = "/_ui/_view/"
METHOD = "VIEW"  # not GET: a view link is no /storage URL, nor the other way round
ROUND = 3600  # expiries are rounded up to the hour: links of one hour are the same links
INLINE_MAX = 16 * 1024  # an image of at most this many bytes comes as a data: URL
INLINE_BUDGET = 512 * 1024  # bytes of images one answer carries as data: URLs
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def _message(key: str, name: str) -> str:
    return json.dumps([key, name])


def view_link(signer: UrlSigner, key: str, name: str, *, ttl: int,
              now: float | None = None) -> str:
    """The link to blob KEY served as file NAME, valid for TTL to TTL + 1 h seconds."""
    expires = (int(now or time.time()) + ttl + ROUND - 1) // ROUND * ROUND
    query = signer.sign_until(METHOD, _message(key, name), expires=expires)
    return f"{PREFIX}{quote_key(key)}?name={quote(name, safe='')}&{query}"


def linker(svc: Services) -> Callable[[str, str], str]:
    """view_link with this server's signer and lifetime: (blob key, file name) -> link."""
    ttl = svc.settings.download_url_ttl
    return lambda key, name: view_link(svc.signer, key, name, ttl=ttl)


def check_view(signer: UrlSigner, key: str, *, name: str, expires: str, signature: str,
               now: float | None = None) -> bool:
    return signer.verify(METHOD, _message(key, name), expires=expires, signature=signature,
                         now=now)


def seconds_left(expires: str, now: float | None = None) -> int:
    try:
        return max(0, int(expires) - int(now or time.time()))
    except ValueError:
        return 0


def page_links(svc: Services, files: Iterable[tuple[str, str, int | None]]) -> dict[str, str]:
    """{name: URL} of FILES ((name, blob key, size)): small images as data: URLs (up to
    INLINE_BUDGET bytes in all), the rest as signed view links."""
    out: dict[str, str] = {}
    budget = INLINE_BUDGET
    ttl = svc.settings.download_url_ttl
    for name, key, size in files:
        kind = content_type(name)
        if size is not None and size <= min(INLINE_MAX, budget) and kind in INLINE_TYPES:
            data = _small_blob(svc, key, size)
            if data is not None:
                budget -= len(data)
                out[name] = f"data:{kind};base64,{base64.b64encode(data).decode()}"
                continue
        out[name] = view_link(svc.signer, key, name, ttl=ttl)
    return out


def _small_blob(svc: Services, key: str, size: int) -> bytes | None:
    data = bytearray()
    try:
        for chunk in svc.blobs.open_read(key):
            data += chunk
            if len(data) > size:
                return None  # not the size the row says: link it instead
    except FileNotFoundError:
        return None
    return bytes(data)
