"""How bytes that users uploaded leave this server: never as a page of its origin.

Run files, artifact files and /storage objects are anyone's bytes under any name: a
`report.html` (the client saves `wandb.Html` so) or an `.svg` opened from this origin would
run its script with the signed-in viewer's cookies. Every such response is therefore

- an attachment (browsers download it; the wandb client ignores the header),
- under `Content-Security-Policy: sandbox` without `allow-scripts` or `allow-same-origin`
  (should a browser render it anyway, it has an opaque origin and runs no script),
- of a type from a short list of inert ones (raster images, audio, video, JSON, plain text),
  else application/octet-stream, never HTML, SVG, XML, JavaScript or CSS, so that not even a
  `<script src>` or stylesheet on this origin can load it,
- with `X-Content-Type-Options: nosniff`, so the browser keeps to that type.

The bytes themselves are untouched."""

from __future__ import annotations

import mimetypes
from urllib.parse import quote

CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'"
FALLBACK_TYPE = "application/octet-stream"
INERT_TYPES = frozenset({
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp",
    "audio/mpeg", "audio/ogg", "audio/wav", "audio/x-wav", "audio/flac", "audio/webm",
    "video/mp4", "video/webm", "video/ogg",
    "application/json", "text/plain", "text/csv",
})


def content_type(name: str) -> str:
    """The type to declare for a user's file called `name`."""
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if encoding is not None or guessed not in INERT_TYPES:
        return FALLBACK_TYPE  # e.g. "a.csv.gz" is gzip bytes, not CSV text
    return guessed


def content_disposition(name: str) -> str:
    """`attachment` with the file's last path segment as its name: plain ASCII in
    `filename`, the exact name (RFC 5987) in `filename*`."""
    base = name.rsplit("/", 1)[-1] or "download"
    plain = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in base)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(base, safe='')}"


def user_content_headers(name: str) -> dict[str, str]:
    """The headers every response carrying a user's bytes has (besides its Content-Type)."""
    return {
        "Content-Disposition": content_disposition(name),
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
    }
