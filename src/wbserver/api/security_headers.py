"""Security headers on every response, as one plain ASGI middleware.

The pages' scripts and styles are files under /static, so the policy allows no inline script
or style (`<script type="application/json">` data blocks are not run and need no allowance);
no page may be framed; referrers never leave the origin; types are never sniffed. A header a
handler set itself wins: user content (`http/user_content.py`) carries its own, stricter
sandbox policy."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    # No form-action: Chromium applies it to the redirect after a form post too, and signing
    # out of an SSO session redirects to the provider's end-session endpoint.
    "frame-ancestors 'none'",
))

HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)


RAW_HEADERS = [(name.lower().encode("latin-1"), value.encode("latin-1"))
               for name, value in HEADERS]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))  # a copy: responses reuse theirs
                present = {name.lower() for name, _value in headers}
                headers.extend(h for h in RAW_HEADERS if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
