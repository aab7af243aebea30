"""Signed links to a user's file for the pages' `<img>` and `<a>` elements (a table's image
cells, say): `/_ui/_view/<storage key>?name=…&exp=…&sig=…`.

A page asks once for the links of many files (one permission check and one query for a page
of a table) and the browser then fetches each file with no lookup at all: the signature is the
credential, as for the /storage route's signed URLs, and it covers the file name the response
is typed and named by. Links made within the same hour expire together, so a page drawn again
gets the same links and the browser's cache answers. The bytes leave as every user's file does
(`http/user_content.py`): an inert attachment."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

from wbserver.storage.signing import UrlSigner, quote_key

PREFIX = "/_ui/_view/"
METHOD = "VIEW"  # not GET: a view link is no /storage URL, nor the other way round
ROUND = 3600  # expiries are rounded up to the hour: links of one hour are the same links


def _message(key: str, name: str) -> str:
    return json.dumps([key, name])


def view_link(signer: UrlSigner, key: str, name: str, *, ttl: int,
              now: float | None = None) -> str:
    """The link to blob KEY served as file NAME, valid for TTL to TTL + 1 h seconds."""
    expires = (int(now or time.time()) + ttl + ROUND - 1) // ROUND * ROUND
    query = signer.sign_until(METHOD, _message(key, name), expires=expires)
    return f"{PREFIX}{quote_key(key)}?name={quote(name, safe='')}&{query}"


def check_view(signer: UrlSigner, key: str, *, name: str, expires: str, signature: str,
               now: float | None = None) -> bool:
    return signer.verify(METHOD, _message(key, name), expires=expires, signature=signature,
                         now=now)


def seconds_left(expires: str, now: float | None = None) -> int:
    try:
        return max(0, int(expires) - int(now or time.time()))
    except ValueError:
        return 0
