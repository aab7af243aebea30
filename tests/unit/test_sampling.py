import numpy as np

from wbserver.domain.sampling import even_indices, shape_indices


def test_short_series_is_returned_whole():
    assert shape_indices(np.arange(10.0), 50).tolist() == list(range(10))
    assert even_indices(5, 10).tolist() == [0, 1, 2, 3, 4]


def test_shape_keeps_first_last_and_spikes():
    values = np.zeros(100_000)
    values[12_345] = 1e9
    values[77_777] = -1e9
    picked = shape_indices(values, 1000)
    assert len(picked) <= 1000
    assert picked[0] == 0 and picked[-1] == len(values) - 1
    assert 12_345 in picked and 77_777 in picked
    assert np.all(np.diff(picked) > 0)


def test_shape_handles_nan():
    values = np.linspace(0, 1, 5000)
    values[100:200] = np.nan
    picked = shape_indices(values, 100)
    assert len(picked) <= 100
    assert np.nanmax(values[picked]) == 1.0 and np.nanmin(values[picked]) == 0.0


def test_even_indices_include_both_ends():
    picked = even_indices(1001, 11)
    assert picked.tolist() == [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]


def test_many_series_at_once_keep_what_each_would_keep_alone():
    """A workspace panel samples all its runs in one pass: the same points per run as
    `bucket_indices` of each run on its own (sizes under and over 4 x buckets, NaN too)."""
    import numpy as np

    from wbserver.domain.sampling import bucket_indices, bucket_indices_many

    rng = np.random.default_rng(3)
    for _ in range(200):
        series = [rng.normal(size=n) for n in rng.integers(0, 600, size=rng.integers(1, 12))]
        for s in series:
            if len(s) and rng.random() < 0.3:
                s[rng.integers(0, len(s), size=3)] = np.nan
        buckets = int(rng.integers(1, 40))
        bounds, at = [], 0
        for s in series:
            bounds.append((at, at + len(s)))
            at += len(s)
        got = bucket_indices_many(np.concatenate(series), bounds, buckets)
        want = np.concatenate([start + bucket_indices(s, buckets)
                               for s, (start, _stop) in zip(series, bounds, strict=True)])
        assert np.array_equal(got, np.sort(want))
