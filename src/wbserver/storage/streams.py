"""Byte streams shared by the bucket stores: hashing while uploading, reading in chunks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from wbserver.ports import BlobInfo

CHUNK = 1024 * 1024


class HashingReader:
    """A file-like view of an iterable of chunks that counts and hashes what is read, so an
    SDK can upload from it and the store can report the size and MD5 of what it wrote."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = b""
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        self._md5.update(out)
        self._size += len(out)
        return out

    def tell(self) -> int:
        return self._size

    def info(self) -> BlobInfo:
        return BlobInfo(size=self._size, md5_hex=self._md5.hexdigest())


def hash_chunks(chunks: Iterable[bytes]) -> BlobInfo:
    md5, size = hashlib.md5(usedforsecurity=False), 0
    for chunk in chunks:
        md5.update(chunk)
        size += len(chunk)
    return BlobInfo(size=size, md5_hex=md5.hexdigest())


def hex_md5(value: str | bytes | bytearray | None) -> str | None:
    """An MD5 given as 32 hex digits, raw 16 bytes or base64, as hex; None if it is none."""
    import base64
    import binascii
    import re

    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex() if len(value) == 16 else None
    text = value.strip('"')
    if re.fullmatch(r"[0-9a-fA-F]{32}", text):
        return text.lower()
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 16 else None


def key_in_bucket(*, bucket: str, prefix: str, event_bucket: str, name: str) -> str | None:
    """The store key of an object a bucket event names, or None when it is not ours (another
    bucket, or outside our prefix)."""
    if event_bucket != bucket:
        return None
    if not prefix:
        return name
    return name[len(prefix) + 1:] if name.startswith(prefix + "/") else None
