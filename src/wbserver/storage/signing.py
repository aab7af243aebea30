"""HMAC-signed, expiring tokens for the server's own storage route."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote


class UrlSigner:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def sign(self, method: str, key: str, *, expires_in: int, now: float | None = None) -> str:
        """The query string (`exp=…&sig=…`) that authorizes `method` on `key` until expiry."""
        return self.sign_until(method, key, expires=int((now or time.time()) + expires_in))

    def sign_until(self, method: str, key: str, *, expires: int) -> str:
        """The query string that authorizes `method` on `key` until the Unix time EXPIRES."""
        return f"exp={expires}&sig={self._digest(method, key, expires)}"

    def verify(self, method: str, key: str, *, expires: str, signature: str,
               now: float | None = None) -> bool:
        try:
            expires_at = int(expires)
        except ValueError:
            return False
        if expires_at < (now or time.time()):
            return False
        return hmac.compare_digest(self._digest(method, key, expires_at), signature)

    def _digest(self, method: str, key: str, expires: int) -> str:
        message = f"{method.upper()}\n{key}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()


def quote_key(key: str) -> str:
    return quote(key, safe="/")
