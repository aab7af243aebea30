"""PUT /storage/<key>: the bytes of an upload (local disk, proxy mode), signed by the server.

A small body is read whole and stored in one hop. A bigger one goes from the socket to the
store as it arrives (http/body_pipe.py): written once, memory flat whatever its size.

Content keys name the MD5 of their bytes and are shared by every artifact holding those
bytes, whoever uploaded them: the store hashes what it writes and refuses bytes of another
MD5 before they take the key's name, so nobody can plant wrong bytes under a key that
another user's artifact names. Content already stored is never rewritten: the bytes are
only hashed (a wrong body still gets its 400) and counted.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wbserver.api.metrics import metrics_of
from wbserver.api.rest.handlers import check_signature, services
from wbserver.domain.artifact_storage import content_md5
from wbserver.domain.files import blob_landed, upload_needed
from wbserver.errors import WbError
from wbserver.http.body_pipe import stream_body
from wbserver.http.context import Services
from wbserver.http.errors import error_response
from wbserver.http.store_threads import short_body
from wbserver.ports import BlobInfo
from wbserver.storage.streams import hash_chunks


async def storage_put(request: Request) -> Response:
    svc = services(request)
    key = request.path_params["key"]
    try:
        check_signature(request, "PUT", key)
        if short_body(request.headers):
            body = await request.body()  # at most SHORT_BODY_BYTES (store_threads.py)
            metrics_of(request).count_upload(len(body))
            await _store_small(svc, key, body)
        else:
            size = await _stream_to_store(svc, request, key)
            metrics_of(request).count_upload(size)
    except WbError as exc:
        return error_response(exc)
    return Response(status_code=200)


async def _store_small(svc: Services, key: str, body: bytes) -> None:
    """Where the store's work runs on the event loop (SQLite), the file itself is written in
    a worker thread: a write ends with an fsync (milliseconds of waiting for the disk, during
    which the loop would answer nobody), and fsyncs of uploads running side by side share
    the disk's journal commits. Elsewhere, all of it in one worker-thread hop."""
    if not svc.store_threads.inline_short:
        await svc.store_threads.run(lambda: _store_whole(svc, key, body))
        return
    needed, where = upload_needed(svc.store, key=key), svc.blobs.name
    info = await run_in_threadpool(_store_chunks, svc, key, [body], needed=needed,
                                   md5=_named_md5(svc, key))
    blob_landed(svc.store, key=key, info=info, blobs=svc.blobs if needed else None, where=where)


def _store_whole(svc: Services, key: str, body: bytes) -> None:
    needed, where = upload_needed(svc.store, key=key), svc.blobs.name
    info = _store_chunks(svc, key, [body], needed=needed, md5=_named_md5(svc, key))
    blob_landed(svc.store, key=key, info=info, blobs=svc.blobs if needed else None, where=where)


async def _stream_to_store(svc: Services, request: Request, key: str) -> int:
    def before() -> tuple[bool, str, str | None]:
        return upload_needed(svc.store, key=key), svc.blobs.name, _named_md5(svc, key)

    needed, where, md5 = await svc.store_threads.run(before)
    info = await stream_body(request, lambda chunks: _store_chunks(svc, key, chunks,
                                                                   needed=needed, md5=md5))

    def after() -> None:
        blob_landed(svc.store, key=key, info=info, blobs=svc.blobs if needed else None,
                    where=where)

    await svc.store_threads.run(after)
    return info.size


def _named_md5(svc: Services, key: str) -> str | None:
    """The MD5 a content key names (its bytes must have it); None for any other key."""
    return content_md5(key, svc.store.artifact_layout())


def _store_chunks(svc: Services, key: str, chunks: Iterable[bytes], *, needed: bool,
                  md5: str | None) -> BlobInfo:
    if not needed:  # stored already: nothing is written; the bytes are only checked and counted
        return hash_chunks(chunks)
    return svc.blobs.write(key, chunks, md5_hex=md5)
