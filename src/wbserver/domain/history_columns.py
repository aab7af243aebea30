"""History ingest's fast path: rows of plain numbers read straight into numeric columns.

A training loop logs the same flat dict of numbers every step. The optional C accelerator
(`wbserver.domain._accel`, built with the package when a C compiler is there) reads such lines
into a float64 matrix and a matrix of value kinds, without a Python object per value. Any
other line (strings, nested dicts, media, NaN, big ints, invalid JSON) makes it decline, and
the request takes the pure-Python path (`history_codec.parse_lines` and `digest_rows`), which
gives the same segments and key counts and explains bad input. Without the accelerator every
request takes that path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from wbserver.domain.history_codec import ROLLUP_BLOCK, new_segment, rollup_segment
from wbserver.domain.models import HistoryRollup, HistorySegment
from wbserver.domain.sampling import bucket_edges

if TYPE_CHECKING:
    import numpy as np
else:
    from wbserver.domain.lazy_numpy import np

_numeric_rows: Callable[[list[str]], tuple[list[str], bytes, bytes] | None] | None
try:
    from wbserver.domain._accel import numeric_rows as _numeric_rows
except ImportError:  # built without a C compiler
    _numeric_rows = None

ABSENT, FLOAT, INT = 0, 1, 2
ACCELERATED = _numeric_rows is not None


@dataclass(frozen=True)
class NumericColumns:
    """n rows x len(keys): `values` (float64) and `kinds` (ABSENT, FLOAT or INT)."""

    keys: list[str]
    values: np.ndarray
    kinds: np.ndarray

    def __len__(self) -> int:
        return int(self.values.shape[0])

    @cached_property
    def dense(self) -> bool:
        """Every row holds every key, as a finite number."""
        return len(self) > 0 and not (self.kinds == ABSENT).any() \
            and bool(np.isfinite(self.values).all())

    def complete(self) -> bool:
        """Dense, and every key gets a segment: the rows can be written again from the
        segments alone (history_lines.py)."""
        return self.dense and bool(self.keys) and all(len(k) <= 255 for k in self.keys)

    def tail(self, skip: int) -> NumericColumns:
        """The rows after the first `skip` (the ones a retried request has not stored yet)."""
        return NumericColumns(self.keys, self.values[skip:], self.kinds[skip:])


def read_numeric_columns(lines: list[str]) -> NumericColumns | None:
    """The lines as columns when every one is a flat JSON object of plain numbers and the
    accelerator is there; None otherwise."""
    if _numeric_rows is None or not lines:
        return None
    found = _numeric_rows(lines)
    if found is None:
        return None
    keys, values, kinds = found
    shape = (len(lines), len(keys))
    return NumericColumns(keys, np.frombuffer(values, dtype=np.float64).reshape(shape),
                          np.frombuffer(kinds, dtype=np.uint8).reshape(shape))


def digest_columns(columns: NumericColumns, first_line: int,
                   counts: dict[str, dict[str, int]]) -> list[HistorySegment] | None:
    """What `history_codec.digest_rows` gives for the same rows: a segment per key, and each
    key's values counted into `counts`. None (nothing counted) for a `_step` no int64 holds,
    which the per-value path refuses."""
    n = len(columns)
    lines = np.arange(first_line, first_line + n, dtype=np.int64)
    steps = _steps(columns, lines)
    if steps is None:
        return None
    segments = []
    for j, key in enumerate(columns.keys):
        kinds = columns.kinds[:, j]
        present = kinds != ABSENT
        everywhere = bool(present.all())
        count = n if everywhere else int(np.count_nonzero(present))
        if count == 0:  # only in rows already stored (the tail of a retry): no points here
            continue
        seen = counts.setdefault(key, {})
        seen["number"] = seen.get("number", 0) + count
        if len(key) > 255:
            continue
        if everywhere:
            picked = (lines, steps, np.ascontiguousarray(columns.values[:, j]), kinds)
        else:
            rows = np.flatnonzero(present)
            picked = (lines[rows], steps[rows], columns.values[rows, j], kinds[rows])
        key_lines, key_steps, values, key_kinds = picked
        segments.append(new_segment(key, key_lines, key_steps, values,
                                    (key_kinds == INT).astype(np.int8)))
    return segments


def _steps(columns: NumericColumns, lines: np.ndarray) -> np.ndarray | None:
    """Each row's step: its `_step`, else its line number; None when a `_step` does not fit
    in 64 bits."""
    if "_step" not in columns.keys:
        return lines
    j = columns.keys.index("_step")
    present = columns.kinds[:, j] != ABSENT
    step_values = np.where(present, columns.values[:, j], 0.0)
    if (np.abs(step_values) >= 2.0**63).any():
        return None
    return np.where(present, np.trunc(step_values).astype(np.int64), lines)


def rollup_columns(columns: NumericColumns, first_line: int,
                   segments: list[HistorySegment]) -> list[HistoryRollup]:
    """`[rollup_segment(s) for s in segments]` for the segments `digest_columns` made of
    these columns, all keys at once when every row holds every key as a finite number (what
    a training loop logs); otherwise segment by segment."""
    n, width = columns.values.shape
    lines = np.arange(first_line, first_line + n, dtype=np.int64)
    steps = _steps(columns, lines)
    keys = [k for k in columns.keys if len(k) <= 255]
    if not (columns.dense and steps is not None and [s.key for s in segments] == keys):
        return [rollup_segment(s) for s in segments]
    assert steps is not None
    matrix = columns.values[:, [columns.keys.index(k) for k in keys]] \
        if len(keys) < width else columns.values
    monotonic = bool(n < 2 or (np.diff(steps) >= 0).all())
    picks = _block_extremes(matrix, -(-n // ROLLUP_BLOCK))
    rollups = []
    for j, key in enumerate(keys):
        keep = picks(j)
        rollups.append(HistoryRollup(
            key=key, start_line=first_line, end_line=first_line + n, raw_count=n,
            finite_count=n, monotonic=monotonic, point_count=len(keep),
            data=lines[keep].tobytes() + steps[keep].tobytes()
            + np.ascontiguousarray(matrix[keep, j]).tobytes()))
    return rollups


def _block_extremes(matrix: np.ndarray, buckets: int):  # type: ignore[no-untyped-def]
    """For column j: `sampling.bucket_indices(matrix[:, j], buckets)` of finite values,
    with the per-bucket minima and maxima found for all columns at once."""
    n = matrix.shape[0]
    if n <= 4 * buckets:
        everything = np.arange(n)
        return lambda _j: everything
    edges = bucket_edges(n, buckets)
    starts, stops = edges[:-1], edges[1:]
    bucket_of = np.repeat(np.arange(len(starts)), stops - starts)
    rows = np.arange(n)[:, None]
    lows = np.minimum.reduceat(matrix, starts, axis=0)
    highs = np.maximum.reduceat(matrix, starts, axis=0)
    # the first row of each bucket holding its minimum (maximum): n where a row does not
    first_low = np.minimum.reduceat(np.where(matrix == lows[bucket_of], rows, n), starts, axis=0)
    first_high = np.minimum.reduceat(np.where(matrix == highs[bucket_of], rows, n), starts,
                                     axis=0)
    ends = stops - 1
    return lambda j: np.unique(np.concatenate([starts, ends, first_low[:, j], first_high[:, j]]))
