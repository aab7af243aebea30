"""Time in one place: naive UTC datetimes everywhere in storage."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@overload
def iso(value: datetime) -> str: ...
@overload
def iso(value: datetime | None) -> str | None: ...
def iso(value: datetime | None) -> str | None:
    """The client's timestamp format: ISO 8601 without offset, seconds precision."""
    if value is None:
        return None
    return value.isoformat(timespec="seconds")  # microseconds cut, not rounded
