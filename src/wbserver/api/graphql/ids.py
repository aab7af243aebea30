"""Opaque GraphQL ids: base64 of 'Kind:number'. The client never decodes them."""

from __future__ import annotations

import base64
import binascii

from wbserver.errors import InvalidInput


def encode_id(kind: str, number: int) -> str:
    return base64.b64encode(f"{kind}:{number}".encode()).decode()


def decode_id(kind: str, value: str) -> int:
    try:
        text = base64.b64decode(value.encode(), validate=True).decode()
        found_kind, _, number = text.partition(":")
        if found_kind != kind:
            raise ValueError(kind)
        return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput(f"{value!r} is not a valid {kind} id") from None
