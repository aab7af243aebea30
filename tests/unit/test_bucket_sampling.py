"""Property test of the chart downsampling: for random series of every shape, each bucket's
first, last, min and max point survive, indices are sorted and unique, and the budget of four
points per bucket holds."""

import numpy as np
import pytest

from wbserver.domain.chart_data import SeriesQuery, shape_series
from wbserver.domain.sampling import bucket_edges, bucket_indices


def random_series(rng: np.random.Generator) -> np.ndarray:
    count = int(rng.integers(0, 30_000))
    kind = rng.integers(0, 5)
    if kind == 0:
        values = rng.normal(size=count)
    elif kind == 1:
        values = np.cumsum(rng.normal(size=count))
    elif kind == 2:  # plateaus: ties for min and max
        values = rng.integers(0, 3, size=count).astype(float)
    elif kind == 3:  # spikes
        values = np.zeros(count)
        values[rng.integers(0, max(count, 1), size=min(count, 5))] = rng.normal(size=min(count, 5)) * 1e9
    else:  # NaN holes
        values = rng.normal(size=count)
        values[rng.random(count) < 0.2] = np.nan
    return values


@pytest.mark.parametrize("seed", range(60))
def test_every_bucket_keeps_first_last_min_and_max(seed):
    rng = np.random.default_rng(seed)
    values = random_series(rng)
    buckets = int(rng.integers(1, 1500))
    picked = bucket_indices(values, buckets)
    assert np.all(np.diff(picked) > 0)
    if len(values) <= 4 * buckets:
        assert picked.tolist() == list(range(len(values)))
        return
    chosen = set(picked.tolist())
    edges = bucket_edges(len(values), buckets)
    assert len(edges) - 1 <= buckets and len(picked) <= 4 * (len(edges) - 1)
    assert edges[0] == 0 and edges[-1] == len(values)
    for start, stop in zip(edges[:-1], edges[1:], strict=True):
        assert start in chosen and stop - 1 in chosen
        part = values[start:stop]
        kept = values[[i for i in range(start, stop) if i in chosen]]
        if np.isnan(part).all():
            continue
        assert np.nanmin(kept) == np.nanmin(part)
        assert np.nanmax(kept) == np.nanmax(part)


def test_overall_first_last_and_extremes_reach_the_chart():
    rng = np.random.default_rng(7)
    ys = rng.normal(size=1_000_000)
    xs = np.arange(len(ys), dtype=float)
    shaped = shape_series(xs, ys, SeriesQuery(keys=("y",)))
    assert shaped["total"] == 1_000_000 and shaped["sampled"] is True
    assert len(shaped["x"]) <= 4000
    assert shaped["x"][0] == 0 and shaped["x"][-1] == 999_999
    assert min(shaped["y"]) == ys.min() and max(shaped["y"]) == ys.max()


def test_a_zoomed_range_comes_back_whole_and_unsorted_x_is_sorted():
    xs = np.array([5.0, 1.0, 3.0, 2.0, 4.0, np.nan])
    ys = np.array([50.0, 10.0, 30.0, 20.0, 40.0, 1.0])
    shaped = shape_series(xs, ys, SeriesQuery(keys=("y",), x_min=2, x_max=4))
    assert shaped == {"x": [2.0, 3.0, 4.0], "y": [20.0, 30.0, 40.0], "total": 3,
                      "sampled": False, "notFinite": 0}


def test_values_a_chart_cannot_draw_are_counted_in_range():
    xs = np.array([0.0, 1.0, 2.0, 3.0, 4.0, np.nan])
    ys = np.array([1.0, np.nan, np.inf, -np.inf, 2.0, np.nan])
    shaped = shape_series(xs, ys, SeriesQuery(keys=("y",), x_max=2))
    assert shaped == {"x": [0.0], "y": [1.0], "total": 1, "sampled": False, "notFinite": 2}
