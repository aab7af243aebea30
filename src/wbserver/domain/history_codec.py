"""Turning history lines into key statistics and packed per-key numeric columns, and back."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from typing import Any

import numpy as np
import orjson

from wbserver.domain.models import HistorySegment
from wbserver.errors import InvalidInput

_INT_LIMIT = 2**53


def parse_line(line: str, *, where: str) -> dict[str, Any]:
    """Parse one JSON object line; NaN and Infinity (which Python clients write) are allowed."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise InvalidInput(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidInput(f"{where} must be a JSON object")
    return value


def value_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "nil"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        kind = value.get("_type")
        return kind if isinstance(kind, str) else "map"
    return "unknown"


def flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested plain dicts become dotted keys; typed media dicts (with `_type`) stay whole."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and "_type" not in value and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def count_types(rows: list[dict[str, Any]], into: dict[str, dict[str, int]]) -> None:
    for row in rows:
        for key, value in flatten(row).items():
            kinds = into.setdefault(key, {})
            kind = value_type(value)
            kinds[kind] = kinds.get(kind, 0) + 1


def build_segments(rows: list[dict[str, Any]], first_line: int) -> list[HistorySegment]:
    """One segment per numeric key over these rows: line, step, value and an int flag."""
    columns: dict[str, list[tuple[int, int, float, int]]] = defaultdict(list)
    for offset, row in enumerate(rows):
        line = first_line + offset
        step = row.get("_step")
        step = int(step) if isinstance(step, int | float) and not isinstance(step, bool) else line
        for key, value in flatten(row).items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            is_int = isinstance(value, int)
            if is_int and abs(value) >= _INT_LIMIT:
                value, is_int = float(value), False
            columns[key].append((line, step, float(value), 1 if is_int else 0))
    segments = []
    for key, points in columns.items():
        if len(key) > 255:
            continue
        lines = np.fromiter((p[0] for p in points), dtype=np.int64, count=len(points))
        steps = np.fromiter((p[1] for p in points), dtype=np.int64, count=len(points))
        values = np.fromiter((p[2] for p in points), dtype=np.float64, count=len(points))
        ints = np.fromiter((p[3] for p in points), dtype=np.int8, count=len(points))
        segments.append(HistorySegment(
            key=key, start_line=int(lines[0]), end_line=int(lines[-1]) + 1,
            point_count=len(points), min_step=int(steps.min()), max_step=int(steps.max()),
            data=lines.tobytes() + steps.tobytes() + values.tobytes() + ints.tobytes()))
    return segments


def unpack_segments(segments: list[HistorySegment]) -> tuple[np.ndarray, np.ndarray,
                                                             np.ndarray, np.ndarray]:
    """Concatenate segments into (lines, steps, values, is_int) arrays in line order."""
    if not segments:
        empty_i = np.empty(0, dtype=np.int64)
        return empty_i, empty_i, np.empty(0, dtype=np.float64), np.empty(0, dtype=np.int8)
    parts = [_unpack(s) for s in segments]
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))  # type: ignore[return-value]


def _unpack(segment: HistorySegment) -> tuple[np.ndarray, ...]:
    n = segment.point_count
    buf = segment.data
    lines = np.frombuffer(buf, dtype=np.int64, count=n, offset=0)
    steps = np.frombuffer(buf, dtype=np.int64, count=n, offset=8 * n)
    values = np.frombuffer(buf, dtype=np.float64, count=n, offset=16 * n)
    ints = np.frombuffer(buf, dtype=np.int8, count=n, offset=24 * n)
    return lines, steps, values, ints


def to_python(value: float, is_int: int) -> int | float:
    if is_int and math.isfinite(value):
        return int(value)
    return float(value)
