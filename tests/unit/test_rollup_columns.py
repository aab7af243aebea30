"""Rollups made for all keys at once equal the per-segment rollups, byte for byte."""

from __future__ import annotations

import numpy as np
import pytest

from wbserver.domain import history_columns
from wbserver.domain.history_codec import rollup_segment
from wbserver.domain.history_columns import (
    ABSENT,
    FLOAT,
    INT,
    NumericColumns,
    digest_columns,
    rollup_columns,
)


def _columns(keys: list[str], values: np.ndarray, kinds: np.ndarray | None = None
             ) -> NumericColumns:
    if kinds is None:
        kinds = np.full(values.shape, FLOAT, dtype=np.uint8)
    return NumericColumns(keys, np.ascontiguousarray(values, dtype=np.float64),
                          np.ascontiguousarray(kinds, dtype=np.uint8))


def _both(columns: NumericColumns, first_line: int, monkeypatch=None) -> tuple[list, list]:
    segments = digest_columns(columns, first_line, {})
    assert segments is not None
    if monkeypatch is not None:  # the columns must not fall back to segment by segment
        with monkeypatch.context() as patch:
            patch.setattr(history_columns, "rollup_segment", None)
            fast = rollup_columns(columns, first_line, segments)
    else:
        fast = rollup_columns(columns, first_line, segments)
    return fast, [rollup_segment(s) for s in segments]


@pytest.mark.parametrize("rows", [1, 2, 4, 5, 63, 64, 65, 200, 257, 5000])
def test_all_keys_at_once_equal_segment_by_segment(rows, monkeypatch):
    rng = np.random.default_rng(rows)
    keys = ["_step", "loss", "acc", "const", "ties", "ints", "k" * 300, "_runtime"]
    values = np.column_stack([
        np.arange(rows) * 2.0,                                   # _step, every other step
        rng.normal(size=rows),
        rng.random(rows),
        np.full(rows, 3.5),                                      # one value throughout
        rng.integers(0, 3, rows).astype(float),                  # ties everywhere
        rng.integers(-5, 5, rows).astype(float),
        rng.random(rows),                                        # a key too long to keep
        np.cumsum(rng.random(rows)),
    ])
    kinds = np.full(values.shape, FLOAT, dtype=np.uint8)
    kinds[:, [0, 5]] = INT
    fast, slow = _both(_columns(keys, values, kinds), 1000, monkeypatch)
    assert [r.key for r in fast] == [k for k in keys if len(k) <= 255]
    assert fast == slow


def test_signed_zeros_and_decreasing_steps(monkeypatch):
    values = np.array([[3.0, -0.0], [2.0, 0.0], [1.0, -0.0]] * 100)
    fast, slow = _both(_columns(["_step", "z"], values), 0, monkeypatch)
    assert fast == slow and not fast[0].monotonic


@pytest.mark.parametrize("change", ["absent", "infinite", "nan"])
def test_other_rows_take_the_per_segment_path(change):
    values = np.random.default_rng(1).random((300, 3))
    kinds = np.full(values.shape, FLOAT, dtype=np.uint8)
    if change == "absent":
        kinds[7, 1] = ABSENT
    elif change == "infinite":
        values[9, 2] = np.inf
    else:
        values[11, 0] = np.nan
    fast, slow = _both(_columns(["a", "b", "c"], values, kinds), 5)
    assert fast == slow
