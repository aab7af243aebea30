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

from dataclasses import dataclass

import numpy as np

from wbserver.domain.history_codec import new_segment
from wbserver.domain.models import HistorySegment

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
    steps = lines
    if "_step" in columns.keys:
        j = columns.keys.index("_step")
        present = columns.kinds[:, j] != ABSENT
        step_values = np.where(present, columns.values[:, j], 0.0)
        if (np.abs(step_values) >= 2.0**63).any():
            return None
        steps = np.where(present, np.trunc(step_values).astype(np.int64), lines)
    segments = []
    for j, key in enumerate(columns.keys):
        kinds = columns.kinds[:, j]
        present = kinds != ABSENT
        everywhere = bool(present.all())
        count = n if everywhere else int(np.count_nonzero(present))
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
