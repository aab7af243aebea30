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

from starlette.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from wbserver.errors import NotFound
from wbserver.http.context import Services

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


class BlobFileResponse(FileResponse):
    """A file from the local disk, read in 256 KiB chunks: Starlette's 64 KiB take a
    worker-thread hop and an ASGI message each, a quarter of those for the same bytes. Not
    more: a connection holds about two chunks (one being sent, one read), and the client
    downloads a big file over many connections at once (1 MiB chunks took 60-75 MB more
    RSS for one 2 GiB artifact file)."""

    chunk_size = 256 * 1024


def send_blob(svc: Services, key: str, *, filename: str | None = None,
              base_url: str | None = None) -> Response:
    """The bytes of `key`: from the local disk, streamed from the bucket (proxy mode), or, with
    `base_url`, a redirect to a signed bucket URL."""
    if base_url is not None and not svc.blobs.serves_bytes(key):
        return RedirectResponse(svc.blobs.download_url(
            key, base_url=base_url, expires_in=svc.settings.download_url_ttl), status_code=307)
    name = filename or key
    headers = user_content_headers(name)  # never a page of this origin: see user_content.py
    path = svc.blobs.local_path(key)
    if path is not None:
        return BlobFileResponse(path, media_type=content_type(name), headers=headers)
    try:
        chunks = svc.blobs.open_read(key)
    except FileNotFoundError:
        raise NotFound("no such file") from None
    return StreamingResponse(chunks, media_type=content_type(name), headers=headers)
