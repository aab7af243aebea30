"""Chart data for the web UI: per-key series read from the packed history columns, on an x
axis of step, relative time or wall time, downsampled to ~1,000 buckets (first, last, min and
max of each survive) unless the range asked for is small enough to send whole."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from wbserver.domain.history_codec import (
    ROLLUP_BLOCK,
    flatten,
    parse_line,
    unpack_rollups,
    unpack_segments,
)
from wbserver.domain.history_lines import chunk_lines
from wbserver.domain.models import HistoryChunk, Run
from wbserver.domain.sampling import bucket_indices
from wbserver.errors import InvalidInput
from wbserver.ports import MetadataStore

if TYPE_CHECKING:
    import numpy as np
else:
    from wbserver.domain.lazy_numpy import np

X_AXES = {"step": "_step", "runtime": "_runtime", "wall": "_timestamp"}
X_KEYS = frozenset(X_AXES.values())
DEFAULT_BUCKETS = 1000
MAX_KEYS = 64


@dataclass(frozen=True)
class SeriesQuery:
    keys: tuple[str, ...]
    x_axis: str = "step"  # one of X_AXES
    x_min: float | None = None
    x_max: float | None = None
    buckets: int = DEFAULT_BUCKETS


def parse_series_query(params: dict[str, str]) -> SeriesQuery:
    """keys=a,b&x=step|runtime|wall&min=…&max=…&buckets=… from a query string."""
    keys = tuple(k for k in (params.get("keys") or "").split(",") if k)
    if len(keys) > MAX_KEYS:
        raise InvalidInput(f"at most {MAX_KEYS} keys per request")
    x_axis = params.get("x") or "step"
    if x_axis not in X_AXES:
        raise InvalidInput(f"x must be one of {', '.join(X_AXES)}")
    buckets = _number(params.get("buckets"), "buckets")
    return SeriesQuery(keys=keys, x_axis=x_axis, x_min=_number(params.get("min"), "min"),
                       x_max=_number(params.get("max"), "max"),
                       buckets=int(min(max(buckets or DEFAULT_BUCKETS, 10), 5000)))


def _number(text: str | None, name: str) -> float | None:
    if text in (None, ""):
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a number") from None
    if not np.isfinite(value):
        raise InvalidInput(f"{name} must be finite")
    return value


def numeric_keys(run: Run) -> list[str]:
    """History keys that hold numbers (never the x axis keys), sorted."""
    kinds: dict[str, dict[str, int]] = orjson.loads(run.history_keys or "{}")
    return sorted(k for k, types in kinds.items()
                  if types.get("number") and k not in X_KEYS and not k.startswith("_"))


def shape_series(xs: np.ndarray, ys: np.ndarray, query: SeriesQuery) -> dict[str, Any]:
    """Sort by x, keep finite points in [x_min, x_max], downsample: {x, y, total, sampled,
    notFinite}; `notFinite` counts the points in range whose value is NaN or ±Infinity,
    which a chart cannot draw (the page says so)."""
    xs, ys, not_finite = drawable(xs, ys, query)
    chosen = bucket_indices(ys, query.buckets)
    return {"x": xs[chosen].tolist(), "y": ys[chosen].tolist(), "total": int(len(xs)),
            "sampled": bool(len(chosen) < len(xs)), "notFinite": not_finite}


def drawable(xs: np.ndarray, ys: np.ndarray,
             query: SeriesQuery) -> tuple[np.ndarray, np.ndarray, int]:
    """The finite points in [x_min, x_max] sorted by x, and how many in range are NaN or
    ±Infinity."""
    keep = np.isfinite(xs)
    if query.x_min is not None:
        keep &= xs >= query.x_min
    if query.x_max is not None:
        keep &= xs <= query.x_max
    finite = np.isfinite(ys)
    not_finite = int(np.count_nonzero(keep & ~finite))
    keep &= finite
    xs, ys = xs[keep], ys[keep]
    if len(xs) > 1 and np.any(np.diff(xs) < 0):
        order = np.argsort(xs, kind="stable")
        xs, ys = xs[order], ys[order]
    return xs, ys, not_finite


def run_series(store: MetadataStore, run: Run, query: SeriesQuery) -> dict[str, Any]:
    """{key: {x, y, total, sampled}} for each requested numeric key of the run's history."""
    x_key = X_AXES[query.x_axis]
    x_column = None
    if x_key != "_step":
        x_lines, _s, x_values, _i = unpack_segments(store.read_segments(run.id, x_key))
        x_column = (x_lines, x_values)
    out: dict[str, Any] = {}
    for key in query.keys:
        if x_column is None and query.x_min is None and query.x_max is None:
            rolled = _from_rollups(store, run, key, query)
            if rolled is not None:
                out[key] = rolled
                continue
        lines, steps, values, _ints = unpack_segments(store.read_segments(run.id, key))
        if x_column is None:
            xs = steps.astype(np.float64)
        else:
            xs, values = align_lines(lines, values, *x_column)
        out[key] = shape_series(xs, values, query)
    return out


def _from_rollups(store: MetadataStore, run: Run, key: str,
                  query: SeriesQuery) -> dict[str, Any] | None:
    """A whole-run step chart of a long series from the ingest-time rollups (1/16 of the
    points; every block's first, last, min and max), or None where they do not apply: a
    short series, steps that go back, or segments stored before rollups existed."""
    rollups = store.read_rollups(run.id, key)
    finite = sum(r.finite_count for r in rollups)
    if finite < ROLLUP_BLOCK * 4 * query.buckets or not all(r.monotonic for r in rollups):
        return None
    if sum(r.raw_count for r in rollups) != store.count_segment_points(run.id, key):
        return None
    _lines, steps, values = unpack_rollups(rollups)
    if np.any(np.diff(steps) < 0):
        return None
    chosen = bucket_indices(values, query.buckets)
    return {"x": steps[chosen].astype(np.float64).tolist(), "y": values[chosen].tolist(),
            "total": finite, "sampled": True,
            "notFinite": sum(r.raw_count - r.finite_count for r in rollups)}


def align_lines(lines: np.ndarray, values: np.ndarray, x_lines: np.ndarray,
           x_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values paired with the x column's value on the same history line."""
    if len(x_lines) == 0:
        return np.empty(0), np.empty(0)
    pos = np.minimum(np.searchsorted(x_lines, lines), len(x_lines) - 1)
    found = x_lines[pos] == lines
    return x_values[pos][found], values[found]


def system_series(store: MetadataStore, run: Run, query: SeriesQuery) -> dict[str, Any]:
    """System metrics from the events stream: {key: {x, y, …}} on relative or wall time
    (the events stream has no steps; `step` falls back to relative time)."""
    x_key = "_timestamp" if query.x_axis == "wall" else "_runtime"
    columns = system_columns(store, run, x_key, set(query.keys) or None)
    wanted: Iterable[str] = query.keys or sorted(columns)
    return {key: shape_series(*columns[key], query) for key in wanted if key in columns}


def system_columns(store: MetadataStore, run: Run, x_key: str, keys: set[str] | None = None,
                   chunks: list[HistoryChunk] | None = None,
                   ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{key: (x values, values)} of the run's system metrics (all, or KEYS), x being
    `_runtime` (relative time) or `_timestamp` (wall time) of each events line. CHUNKS: the
    run's events chunks, when read already (a workspace panel reads many runs' at once)."""
    lines: list[str] = []
    for chunk in store.read_chunks(run.id, "events") if chunks is None else chunks:
        lines.extend(line for line in chunk_lines(store, run.id, chunk) if line)
    try:  # checked when they came (file_stream): a stored line is a JSON object
        rows: list[dict[str, Any]] = list(map(orjson.loads, lines))
    except orjson.JSONDecodeError:  # NaN or Infinity, which Python writers send
        rows = [parse_line(line, where="stored events line") for line in lines]
    columns: dict[str, tuple[list[float], list[float]]] = {}
    started: float | None = None
    for row in rows:
        stamp = row.get("_timestamp")
        if isinstance(stamp, int | float) and started is None:
            started = float(stamp) - float(row.get("_runtime") or 0)
        x = _event_x(row, x_key, started)
        if x is None:
            continue
        # the client's keys are flat ("system.cpu"); a nested one is found flattened
        nested = dict in map(type, row.values())
        if keys is None:
            found: Iterable[tuple[str, Any]] = flatten(row).items() if nested else row.items()
        else:
            found = [(k, row[k]) for k in keys if k in row]
            if len(found) < len(keys) and nested:
                found = [(k, v) for k, v in flatten(row).items() if k in keys]
        for key, value in found:
            kind = type(value)  # a number, not a bool (bool is no int here)
            if (kind is float or kind is int) and key[:1] != "_":
                column = columns.get(key)
                if column is None:
                    column = columns[key] = ([], [])
                column[0].append(x)
                column[1].append(value)
    return {key: (np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64))
            for key, (xs, ys) in columns.items()}


def _event_x(row: dict[str, Any], x_key: str, started: float | None) -> float | None:
    value = row.get(x_key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    stamp = row.get("_timestamp")
    if x_key == "_runtime" and isinstance(stamp, int | float) and started is not None:
        return float(stamp) - started
    return None
