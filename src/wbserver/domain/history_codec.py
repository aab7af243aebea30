"""Turning history lines into key statistics and packed per-key numeric columns, and back."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import orjson

from wbserver.domain.models import HistoryRollup, HistorySegment
from wbserver.domain.row_checks import MAX_DEPTH, check_row, suspicious
from wbserver.domain.sampling import bucket_indices
from wbserver.errors import InvalidInput

if TYPE_CHECKING:
    import numpy as np
else:
    from wbserver.domain.lazy_numpy import np

_INT_LIMIT = 2**53


def parse_line(line: str, *, where: str) -> dict[str, Any]:
    """Parse one JSON object line; NaN and Infinity (which Python clients write) are allowed.
    Rows nested too deeply or with keys that are not valid Unicode are refused (row_checks)."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise InvalidInput(f"{where} is not valid JSON: {exc}") from None
        except RecursionError:
            raise InvalidInput(f"{where} nests deeper than {MAX_DEPTH} levels") from None
    if not isinstance(value, dict):
        raise InvalidInput(f"{where} must be a JSON object")
    check_row(line, value, where=where)
    return value


def parse_lines(lines: list[str], *, where: str, first: int) -> list[dict[str, Any]]:
    """`parse_line` over many lines; the error names the first bad line (`where` + number).
    The common case (every line a plain JSON object) runs without a Python call per line."""
    try:
        rows = list(map(orjson.loads, lines))
    except orjson.JSONDecodeError:
        rows = None  # NaN/Infinity, or a bad line: decide line by line
    if rows is not None and set(map(type, rows)) <= {dict} and not suspicious(lines):
        return rows
    return [parse_line(line, where=f"{where} {first + i}") for i, line in enumerate(lines)]


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
    return _slow_segments(rows, range(first_line, first_line + len(rows)))


def _slow_segments(rows: list[dict[str, Any]], line_numbers: Any) -> list[HistorySegment]:
    columns: dict[str, list[tuple[int, int, float, int]]] = defaultdict(list)
    for line, row in zip(line_numbers, rows, strict=True):
        step = row_step(row, line)
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
        segments.append(new_segment(key, lines, steps, values, ints))
    return segments


def row_step(row: dict[str, Any], line: int) -> int:
    """The step every step-range read places a row at: its `_step` truncated to an integer
    when that is a number, else its line number."""
    step = row.get("_step")
    if isinstance(step, bool) or not isinstance(step, int | float):
        return line
    return _step_of(step, line)


def step_range(segments: list[HistorySegment], first_line: int, count: int) -> tuple[int, int]:
    """(min, max) of `row_step` over `count` rows from `first_line`, from their segments:
    the `_step` segment's points, and the line numbers of rows without a numeric `_step`."""
    steps = next((s for s in segments if s.key == "_step"), None)
    if steps is None or steps.min_step is None or steps.max_step is None:
        return first_line, first_line + count - 1  # (a `_step` segment always has its range)
    if steps.point_count == count:
        return steps.min_step, steps.max_step
    others = np.setdiff1d(np.arange(first_line, first_line + count, dtype=np.int64),
                          _unpack(steps)[0], assume_unique=True)
    return min(steps.min_step, int(others.min())), max(steps.max_step, int(others.max()))


def _step_of(step: float, line: int) -> int:
    if not math.isfinite(step) or abs(step) >= 2**63:
        raise InvalidInput(f"history line {line}: _step {step!r} is not an integer that fits "
                           "in 64 bits")
    return int(step)


def digest_rows(rows: list[dict[str, Any]], first_line: int,
                counts: dict[str, dict[str, int]]) -> list[HistorySegment]:
    """`count_types(rows, counts)` and `build_segments(rows, first_line)` in one pass.

    Rows with the same keys (a training loop logs the same dict every step) whose values are
    all plain ints and floats are handled as one numpy matrix; other rows take the per-value
    path. The segments are the same as build_segments' either way."""
    by_keys: dict[frozenset[str], list[int]] = {}  # key order may differ from row to row
    for offset, row in enumerate(rows):
        row_keys = frozenset(row)
        found = by_keys.get(row_keys)
        if found is None:
            by_keys[row_keys] = [offset]
        else:
            found.append(offset)
    parts: dict[str, list[tuple[np.ndarray, ...]]] = {}
    for offsets in by_keys.values():
        keys = tuple(rows[offsets[0]])
        if not keys:
            continue  # empty rows: nothing to count, no points
        numeric, number_rows, int_flags, other = _numeric_rows(rows, offsets, keys)
        if numeric and not _numeric_group(keys, number_rows, numeric, int_flags, first_line, counts,
                                          parts):
            other = sorted(other + numeric)
        if other:
            picked = [rows[i] for i in other]
            count_types(picked, counts)
            for segment in _slow_segments(picked, [first_line + i for i in other]):
                parts.setdefault(segment.key, []).append(_unpack(segment))
    segments = []
    for key, chunks in parts.items():
        if len(chunks) == 1:
            lines, steps, values, ints = chunks[0]
        else:
            lines, steps, values, ints = (np.concatenate([c[i] for c in chunks])
                                          for i in range(4))
            order = np.argsort(lines, kind="stable")
            lines, steps, values, ints = lines[order], steps[order], values[order], ints[order]
        segments.append(new_segment(key, lines, steps, values, ints))
    return segments


def _numeric_rows(rows: list[dict[str, Any]], offsets: list[int], keys: tuple[str, ...]
                  ) -> tuple[list[int], list[tuple[Any, ...]], np.ndarray, list[int]]:
    """Split rows (all holding `keys`) into those holding only plain ints and floats (with
    their values in `keys` order and an int-flag matrix) and the others."""
    kinds: dict[tuple[type, ...], int] = {}  # value types -> index in `table`, -1: not numeric
    table: list[list[int]] = []
    numeric: list[int] = []
    picked: list[tuple[Any, ...]] = []
    ids: list[int] = []
    other: list[int] = []
    getter = itemgetter(*keys)
    single = len(keys) == 1
    for i in offsets:
        values = (getter(rows[i]),) if single else getter(rows[i])
        types = tuple(map(type, values))
        kind = kinds.get(types)
        if kind is None:
            if all(t is int or t is float for t in types):
                kind = len(table)
                table.append([t is int for t in types])
            else:
                kind = -1
            kinds[types] = kind
        if kind < 0:
            other.append(i)
        else:
            numeric.append(i)
            picked.append(values)
            ids.append(kind)
    flags = np.asarray(table, dtype=np.int8)[np.asarray(ids, dtype=np.int64)] if numeric \
        else np.empty((0, 0), dtype=np.int8)
    return numeric, picked, flags, other


def _numeric_group(keys: tuple[str, ...], rows: list[tuple[Any, ...]], offsets: list[int],
                   int_flags: np.ndarray, first_line: int, counts: dict[str, dict[str, int]],
                   parts: dict[str, list[tuple[np.ndarray, ...]]]) -> bool:
    """Rows of the same keys holding only plain ints and floats, as one matrix; False (and
    nothing counted) when the per-value path must decide."""
    if any(len(k) > 255 for k in keys):
        return False
    try:
        matrix = np.array(rows, dtype=np.float64)
    except OverflowError:
        return False
    matrix = matrix.reshape(len(offsets), len(keys))
    lines = np.asarray(offsets, dtype=np.int64) + first_line
    if "_step" in keys:
        column = matrix[:, keys.index("_step")]
        if not np.isfinite(column).all() or (np.abs(column) >= 2.0**63).any():
            return False  # the per-value path decides (and refuses) as before
        steps = np.trunc(column).astype(np.int64)
    else:
        steps = lines
    n = len(offsets)
    for j, key in enumerate(keys):
        kinds = counts.setdefault(key, {})
        kinds["number"] = kinds.get("number", 0) + n
        values = np.ascontiguousarray(matrix[:, j])
        ints = (int_flags[:, j] & (np.abs(values) < _INT_LIMIT)).astype(np.int8)
        parts.setdefault(key, []).append((lines, steps, values, ints))
    return True


def new_segment(key: str, lines: np.ndarray, steps: np.ndarray, values: np.ndarray,
             ints: np.ndarray) -> HistorySegment:
    return HistorySegment(
        key=key, start_line=int(lines[0]), end_line=int(lines[-1]) + 1,
        point_count=len(lines), min_step=int(steps.min()), max_step=int(steps.max()),
        data=pack_points(lines, steps, values, ints))


# Segment data. The first layout is four whole arrays, 25 bytes a point: lines (int64), steps
# (int64), values (float64), int flags (int8). The compact layout starts with COMPACT and a
# flags byte and leaves out what follows from the rest, which is the usual case (a key logged
# on every line, one step a line, all floats or all ints): 8 bytes a point. A compact blob is
# never 25 bytes a point long (a pad byte is added when it would be), so the length tells the
# layouts apart and segments stored before the compact layout read as they always did.
COMPACT = b"WBS2"
_LINES_CONTIGUOUS, _STEPS_OFFSET, _INTS_NONE, _INTS_ALL = 1, 2, 4, 8


def pack_points(lines: np.ndarray, steps: np.ndarray, values: np.ndarray,
                ints: np.ndarray) -> bytes:
    n = len(lines)
    flags = 0
    parts = []
    if n and lines[-1] - lines[0] == n - 1 and (n < 2 or (np.diff(lines) == 1).all()):
        flags |= _LINES_CONTIGUOUS
    else:
        parts.append(lines.astype(np.int64).tobytes())
    delta = steps - lines
    if n and (delta == delta[0]).all():
        flags |= _STEPS_OFFSET
        parts.append(np.asarray(delta[:1], dtype=np.int64).tobytes())
    else:
        parts.append(steps.astype(np.int64).tobytes())
    parts.append(values.astype(np.float64).tobytes())
    if not ints.any():
        flags |= _INTS_NONE
    elif ints.all():
        flags |= _INTS_ALL
    else:
        parts.append(ints.astype(np.int8).tobytes())
    data = COMPACT + bytes([flags, 0, 0, 0]) + b"".join(parts)
    return data + b"\0" if len(data) == 25 * n else data


def unpack_points(data: bytes, n: int, start_line: int) -> tuple[np.ndarray, ...]:
    """(lines, steps, values, ints) of a segment's data, either layout."""
    if len(data) == 25 * n:
        return (np.frombuffer(data, dtype=np.int64, count=n, offset=0),
                np.frombuffer(data, dtype=np.int64, count=n, offset=8 * n),
                np.frombuffer(data, dtype=np.float64, count=n, offset=16 * n),
                np.frombuffer(data, dtype=np.int8, count=n, offset=24 * n))
    if not data.startswith(COMPACT):
        raise ValueError("history segment data in an unknown layout")
    flags, at = data[4], 8
    if flags & _LINES_CONTIGUOUS:
        lines = np.arange(start_line, start_line + n, dtype=np.int64)
    else:
        lines, at = np.frombuffer(data, dtype=np.int64, count=n, offset=at), at + 8 * n
    if flags & _STEPS_OFFSET:
        steps, at = lines + np.frombuffer(data, dtype=np.int64, count=1, offset=at)[0], at + 8
    else:
        steps, at = np.frombuffer(data, dtype=np.int64, count=n, offset=at), at + 8 * n
    values, at = np.frombuffer(data, dtype=np.float64, count=n, offset=at), at + 8 * n
    if flags & (_INTS_NONE | _INTS_ALL):
        ints = np.full(n, 1 if flags & _INTS_ALL else 0, dtype=np.int8)
    else:
        ints = np.frombuffer(data, dtype=np.int8, count=n, offset=at)
    return lines, steps, values, ints


def unpack_segments(segments: list[HistorySegment]) -> tuple[np.ndarray, np.ndarray,
                                                             np.ndarray, np.ndarray]:
    """Concatenate segments into (lines, steps, values, is_int) arrays in line order."""
    if not segments:
        empty_i = np.empty(0, dtype=np.int64)
        return empty_i, empty_i, np.empty(0, dtype=np.float64), np.empty(0, dtype=np.int8)
    parts = [_unpack(s) for s in segments]
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))  # type: ignore[return-value]


def _unpack(segment: HistorySegment) -> tuple[np.ndarray, ...]:
    return unpack_points(segment.data, segment.point_count, segment.start_line)


ROLLUP_BLOCK = 64


def rollup_segment(segment: HistorySegment) -> HistoryRollup:
    """Of each block of ROLLUP_BLOCK finite points of the segment: first, last, min, max."""
    lines, steps, values, _ints = _unpack(segment)
    finite = np.flatnonzero(np.isfinite(values))
    keep = finite
    if len(finite):
        keep = finite[bucket_indices(values[finite], -(-len(finite) // ROLLUP_BLOCK))]
    return HistoryRollup(
        key=segment.key, start_line=segment.start_line, end_line=segment.end_line,
        raw_count=segment.point_count, finite_count=len(finite),
        monotonic=bool(len(steps) < 2 or (np.diff(steps) >= 0).all()), point_count=len(keep),
        data=lines[keep].tobytes() + steps[keep].tobytes() + values[keep].tobytes())


def unpack_rollups(rollups: list[HistoryRollup]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lines, steps, values) of the rollups' points, in line order."""
    parts = []
    for r in rollups:
        n = r.point_count
        parts.append((np.frombuffer(r.data, dtype=np.int64, count=n, offset=0),
                      np.frombuffer(r.data, dtype=np.int64, count=n, offset=8 * n),
                      np.frombuffer(r.data, dtype=np.float64, count=n, offset=16 * n)))
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float64)
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))  # type: ignore[return-value]


def python_values(values: np.ndarray, ints: np.ndarray) -> list[int | float]:
    """`[to_python(v, i) for v, i in zip(values, ints)]`, column at a time."""
    as_int = (ints != 0) & (np.abs(values) < _INT64_LIMIT)  # NaN and ±inf compare False
    if as_int.all():
        return values.astype(np.int64).tolist()  # type: ignore[no-any-return]
    out: list[int | float] = values.tolist()
    if as_int.any():
        where = np.flatnonzero(as_int)
        for pos, number in zip(where.tolist(), values[where].astype(np.int64).tolist(),
                               strict=True):
            out[pos] = number
    return out


_INT64_LIMIT = 2.0**63


def to_python(value: float, is_int: int) -> int | float:
    """An integer stays one within int64's range; past it (or NaN, ±inf) it is a float, as
    numpy's cast and JSON writers could not hold it."""
    if is_int and abs(value) < _INT64_LIMIT:
        return int(value)
    return float(value)
