"""Opaque GraphQL ids: base64 of 'Kind:number'. The client never decodes them.
Numeric page cursors ('after'): the position of the last row of the page before."""

from __future__ import annotations

import base64
import binascii

from wbserver.errors import InvalidInput

MAX_ID = 2**63 - 1  # a signed 64-bit row id, what SQLite and MariaDB can compare
MAX_CURSOR = 2**53  # past every real position; still fits any database's integer


def encode_id(kind: str, number: int) -> str:
    return base64.b64encode(f"{kind}:{number}".encode()).decode()


def decode_id(kind: str, value: str) -> int:
    try:
        text = base64.b64decode(value.encode(), validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    found_kind, _, number = text.partition(":")
    if found_kind != kind or not _digits(number) or not 0 < int(number) <= MAX_ID:
        raise InvalidInput(f"{value[:100]!r} is not a valid {kind} id")
    return int(number)


def cursor(after: str | None) -> int | None:
    """A numeric cursor's position (at most MAX_CURSOR), or None for none or any other."""
    if not after or not (after.isascii() and after.isdigit()):
        return None
    return MAX_CURSOR if len(after) > 16 else min(int(after), MAX_CURSOR)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 40


def page_start(after: str | None) -> int:
    """The position a page begins at: just past its cursor, or 0."""
    position = cursor(after)
    return 0 if position is None else position + 1
