"""Segment data: the compact layout round-trips every shape, and segments written in the first
layout (four whole arrays) still read back."""

from __future__ import annotations

import numpy as np
import pytest

from wbserver.domain.history_codec import COMPACT, pack_points, unpack_points


def _shapes() -> list[tuple[np.ndarray, ...]]:
    rng = np.random.default_rng(7)
    shapes = []
    for n in (1, 2, 3, 16, 17, 64, 1000):
        start = int(rng.integers(0, 10**6))
        contiguous = np.arange(start, start + n, dtype=np.int64)
        gappy = np.sort(rng.choice(np.arange(start, start + 3 * n), size=n, replace=False))
        for lines in (contiguous, gappy.astype(np.int64)):
            for steps in (lines + 5, lines * 2, rng.integers(-50, 50, size=n)):
                for ints in (np.zeros(n), np.ones(n), rng.integers(0, 2, size=n)):
                    values = rng.normal(size=n)
                    values[rng.random(n) < 0.1] = np.nan
                    shapes.append((lines, steps.astype(np.int64), values, ints.astype(np.int8)))
    return shapes


@pytest.mark.parametrize("shape", _shapes())
def test_compact_layout_round_trips(shape: tuple[np.ndarray, ...]) -> None:
    lines, steps, values, ints = shape
    data = pack_points(lines, steps, values, ints)
    assert data.startswith(COMPACT)
    assert len(data) != 25 * len(lines)  # never mistaken for the first layout
    back = unpack_points(data, len(lines), int(lines[0]))
    for want, got in zip(shape, back, strict=True):
        np.testing.assert_array_equal(got, want)


def test_usual_segment_is_eight_bytes_a_point() -> None:
    n = 5000
    lines = np.arange(100, 100 + n, dtype=np.int64)
    data = pack_points(lines, lines - 100, np.linspace(0, 1, n), np.zeros(n, dtype=np.int8))
    assert len(data) == 8 * n + 16


def test_first_layout_still_reads() -> None:
    lines = np.array([3, 4, 9], dtype=np.int64)
    steps = np.array([30, 40, 90], dtype=np.int64)
    values = np.array([0.5, np.inf, -2.0])
    ints = np.array([0, 0, 1], dtype=np.int8)
    old = lines.tobytes() + steps.tobytes() + values.tobytes() + ints.tobytes()
    back = unpack_points(old, 3, 3)
    for want, got in zip((lines, steps, values, ints), back, strict=True):
        np.testing.assert_array_equal(got, want)


def test_unknown_layout_is_refused() -> None:
    with pytest.raises(ValueError):
        unpack_points(b"garbage!" * 3, 2, 0)
