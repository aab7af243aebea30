"""Downsampling that keeps a curve's shape: first, last, and each bucket's min and max."""

from __future__ import annotations

import numpy as np


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
