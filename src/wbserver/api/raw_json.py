"""JSON text made ahead of the response (e.g. 10,000 history rows encoded column-wise), put
into a GraphQL answer through the JSON scalar and written out as it is."""

from __future__ import annotations

from typing import Any

import orjson


class RawJson:
    """Already-encoded JSON; `json_response` writes its bytes into the body unchanged."""

    __slots__ = ("text",)

    def __init__(self, text: bytes) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RawJson) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"RawJson({self.text[:60]!r}…)"


def as_fragment(value: Any) -> orjson.Fragment:
    """orjson's `default`: RawJson is written as is; anything else stays unencodable."""
    if isinstance(value, RawJson):
        return orjson.Fragment(value.text)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def as_python(value: Any) -> Any:
    """The standard encoder's `default`: RawJson decoded again (orjson wrote NaN as null)."""
    if isinstance(value, RawJson):
        return orjson.loads(value.text)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
