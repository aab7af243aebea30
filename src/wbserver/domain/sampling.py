"""Downsampling that keeps a curve's shape: first, last, and each bucket's min and max."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
else:
    from wbserver.domain.lazy_numpy import np



def even_indices(count: int, samples: int) -> np.ndarray:
    """`samples` indices spread evenly over range(count), first and last included."""
    if count <= samples:
        return np.arange(count)
    if samples <= 1:
        return np.array([count - 1][: max(samples, 0)], dtype=np.int64)
    return np.unique(np.linspace(0, count - 1, samples).round().astype(np.int64))


def shape_indices(values: np.ndarray, samples: int) -> np.ndarray:
    """At most `samples` sorted indices into `values` keeping first, last and per-bucket
    min and max, so spikes and the overall range survive downsampling."""
    count = len(values)
    if count <= samples:
        return np.arange(count)
    if samples < 4:
        return even_indices(count, samples)
    buckets = (samples - 2) // 2
    edges = np.linspace(0, count, buckets + 1).astype(np.int64)
    starts, stops = edges[:-1], edges[1:]
    keep = [np.array([0, count - 1], dtype=np.int64)]
    finite = np.where(np.isnan(values), np.inf, values)
    lows = np.minimum.reduceat(finite, starts)
    highs = np.maximum.reduceat(np.where(np.isnan(values), -np.inf, values), starts)
    # positions of min and max within each bucket
    bucket_of = np.repeat(np.arange(buckets), stops - starts)
    is_low = finite == lows[bucket_of]
    is_high = np.where(np.isnan(values), -np.inf, values) == highs[bucket_of]
    first_low = _first_true_per_bucket(is_low, bucket_of, buckets, starts)
    first_high = _first_true_per_bucket(is_high, bucket_of, buckets, starts)
    keep.extend([first_low, first_high])
    return np.unique(np.concatenate(keep))[: max(samples, 2)]


def _first_true_per_bucket(mask: np.ndarray, bucket_of: np.ndarray, buckets: int,
                           starts: np.ndarray) -> np.ndarray:
    positions = np.flatnonzero(mask)
    owners = bucket_of[positions]
    firsts = np.full(buckets, -1, dtype=np.int64)
    # reversed assignment leaves the first position of each bucket
    firsts[owners[::-1]] = positions[::-1]
    return np.where(firsts >= 0, firsts, starts)


def bucket_edges(count: int, buckets: int) -> np.ndarray:
    """Start offsets of `buckets` equal-count buckets over range(count) (plus `count`)."""
    buckets = max(1, min(buckets, count))
    return np.unique(np.linspace(0, count, buckets + 1).astype(np.int64))


def bucket_indices(values: np.ndarray, buckets: int) -> np.ndarray:
    """Sorted indices keeping, for each of `buckets` equal-count buckets, its first, last,
    min and max point (NaN never counts as an extreme). At most 4 points per bucket."""
    count = len(values)
    if count <= 4 * buckets:
        return np.arange(count)
    edges = bucket_edges(count, buckets)
    starts, stops = edges[:-1], edges[1:]
    n = len(starts)
    bucket_of = np.repeat(np.arange(n), stops - starts)
    lows_src = np.where(np.isnan(values), np.inf, values)
    highs_src = np.where(np.isnan(values), -np.inf, values)
    lows = np.minimum.reduceat(lows_src, starts)
    highs = np.maximum.reduceat(highs_src, starts)
    first_low = _first_true_per_bucket(lows_src == lows[bucket_of], bucket_of, n, starts)
    first_high = _first_true_per_bucket(highs_src == highs[bucket_of], bucket_of, n, starts)
    return np.unique(np.concatenate([starts, stops - 1, first_low, first_high]))


def bucket_indices_many(values: np.ndarray, bounds: list[tuple[int, int]],
                        buckets: int) -> np.ndarray:
    """`bucket_indices` for many series at once: `values` holds them one after another,
    series i at values[start:stop] for bounds[i] = (start, stop). Returns the sorted global
    indices kept — the same points `bucket_indices` keeps of each series on its own — in one
    pass of numpy over all of them (a panel of 200 runs, not 200 passes)."""
    whole: list[np.ndarray] = []
    sampled: list[tuple[int, int]] = []
    for start, stop in bounds:
        if stop - start <= 4 * buckets:
            whole.append(np.arange(start, stop))
        else:
            sampled.append((start, stop))
    if not sampled:
        return np.concatenate(whole) if whole else np.empty(0, dtype=np.int64)
    # each sampled series' bucket starts as bucket_edges computes them (linspace's
    # arithmetic; no duplicates: every series has more than `buckets` points)
    first = np.array([start for start, _stop in sampled], dtype=np.int64)
    counts = np.array([stop - start for start, stop in sampled], dtype=np.int64)
    steps = counts.astype(np.float64) / buckets
    grid = (np.arange(buckets, dtype=np.float64)[None, :] * steps[:, None]).astype(np.int64)
    starts = (first[:, None] + grid).ravel()
    stops = np.empty_like(starts)
    stops[:-1] = starts[1:]
    # a series' last bucket stops at its own end, not where the next sampled one starts
    stops[buckets - 1::buckets] = first + counts
    lengths = stops - starts
    take = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) + \
        np.arange(int(lengths.sum()))
    part = values[take]
    local = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    n = len(starts)
    bucket_of = np.repeat(np.arange(n), lengths)
    lows_src = np.where(np.isnan(part), np.inf, part)
    highs_src = np.where(np.isnan(part), -np.inf, part)
    lows = np.minimum.reduceat(lows_src, local)
    highs = np.maximum.reduceat(highs_src, local)
    first_low = _first_true_per_bucket(lows_src == lows[bucket_of], bucket_of, n, local)
    first_high = _first_true_per_bucket(highs_src == highs[bucket_of], bucket_of, n, local)
    kept = np.concatenate([starts, stops - 1, take[first_low], take[first_high]])
    return np.unique(np.concatenate([kept, *whole]))
