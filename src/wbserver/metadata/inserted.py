"""The primary key an INSERT of one row gave it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult


def inserted_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:  # SQLAlchemy gives None only for an executemany or a non-INSERT
        raise TypeError("not the result of a one-row INSERT")
    return int(key[0])
