"""Byte streams shared by the bucket stores: hashing while uploading, reading in chunks."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator

from wbserver.errors import InvalidInput
from wbserver.ports import BlobInfo

CHUNK = 1024 * 1024


class HashingReader:
    """A file-like view of an iterable of chunks that counts and hashes what is read, so an
    SDK can upload from it and the store can report the size and MD5 of what it wrote. With
    `md5_hex`, the read that reaches the end raises InvalidInput when the bytes have another
    MD5, before the SDK can complete the upload (`refused` keeps that error, should the SDK
    wrap it)."""

    def __init__(self, chunks: Iterable[bytes], md5_hex: str | None = None) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._size = 0
        self._expected = md5_hex
        self._ended = False
        self.refused: InvalidInput | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self._ended and (size < 0 or self._buffered < size):
            chunk = next(self._chunks, None)
            if chunk is None:
                self._ended = True
                break
            self._buffer.append(chunk)
            self._buffered += len(chunk)
        data = b"".join(self._buffer)
        if size < 0 or len(data) <= size:
            out, rest = data, b""
        else:
            out, rest = data[:size], data[size:]
        self._buffer, self._buffered = ([rest] if rest else []), len(rest)
        self._md5.update(out)
        self._size += len(out)
        if self._ended and not rest:
            self._check()
        return out

    def _check(self) -> None:
        if self._expected is not None and self._md5.hexdigest() != self._expected:
            self.refused = wrong_md5(self._md5.hexdigest(), self._expected)
            raise self.refused

    def tell(self) -> int:
        return self._size

    def info(self) -> BlobInfo:
        return BlobInfo(size=self._size, md5_hex=self._md5.hexdigest())


def wrong_md5(actual: str, expected: str) -> InvalidInput:
    return InvalidInput(f"the uploaded bytes have MD5 {actual}, not {expected}")


def upload_checked(chunks: Iterable[bytes], md5_hex: str | None,
                   upload: Callable[[HashingReader], object],
                   delete: Callable[[], object]) -> BlobInfo:
    """`upload(reader)` of the chunks through a HashingReader; with `md5_hex`, bytes of
    another MD5 raise InvalidInput and are not left in the store."""
    reader = HashingReader(chunks, md5_hex)
    try:
        upload(reader)
    except Exception:
        if reader.refused is not None:
            raise reader.refused from None
        raise
    info = reader.info()
    if md5_hex is not None and info.md5_hex != md5_hex:  # an SDK that went on regardless
        delete()
        raise wrong_md5(info.md5_hex, md5_hex)
    return info


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
