"""JSON as the client writes it, and JSON for strict readers.

Python's json and wandb-core's simplejsonext both write NaN and ±Infinity as the bare tokens
`NaN`, `Infinity` and `-Infinity` (a diverged loss). orjson, Go's encoding/json and browsers
refuse those tokens, so what the client sent is kept as it sent it and read leniently here;
answers that strict parsers read (sampledHistory and liveData, which wandb-core decodes with
encoding/json, and the UI's JSON) spell those values as the strings W&B itself uses for them
(`wandb.util.make_safe_for_json`): "NaN", "Infinity", "-Infinity". `float()` of each gives
the value back exactly.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

NAN, INFINITY, NEG_INFINITY = "NaN", "Infinity", "-Infinity"


def loads(text: str | bytes) -> Any:
    """Parse JSON text, NaN and ±Infinity tokens included (orjson first: it is faster)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def non_finite_name(value: float) -> str:
    """"NaN", "Infinity" or "-Infinity" for a value that is not finite."""
    if math.isnan(value):
        return NAN
    return INFINITY if value > 0 else NEG_INFINITY


def strict(value: Any) -> Any:
    """`value` with every non-finite float replaced by its name (dicts and lists walked;
    everything else returned as it is)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else non_finite_name(value)
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strict(v) for v in value]
    return value
