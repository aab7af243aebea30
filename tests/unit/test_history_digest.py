"""digest_rows (the fast ingest path) gives what count_types + build_segments give."""

import random

from wbserver.domain.history_codec import build_segments, count_types, digest_rows


def _rows(seed: int, count: int) -> list[dict]:
    rng = random.Random(seed)
    shapes = [
        lambda i: {"loss": rng.random(), "acc": rng.random(), "_step": i, "_runtime": i * 0.1},
        lambda i: {"loss": rng.random(), "epoch": i // 10, "_step": i},
        lambda i: {"loss": rng.random(), "flag": rng.random() > 0.5, "_step": i},
        lambda i: {"big": 2**60 + i, "small": -i, "_step": float(i) + 0.5},
        lambda i: {"nested": {"a": i, "b": {"c": 0.5}}, "_step": i},
        lambda i: {"img": {"_type": "image-file", "path": "x.png"}, "loss": None, "_step": i},
        lambda i: {"text": "hello", "loss": float("nan"), "acc": float("inf")},
        lambda i: {"loss": rng.random(), "_step": True},
        lambda i: {"loss": 1, "_step": i},
    ]
    out = []
    for i in range(count):
        pick = rng.randrange(len(shapes)) if seed % 2 else (i // 7) % len(shapes)
        out.append(shapes[pick](i))
    return out


def _by_key(segments):
    return {s.key: s for s in segments}


def test_digest_matches_the_per_value_path():
    for seed in range(12):
        rows = _rows(seed, 300)
        expected_counts: dict = {"loss": {"number": 3}}
        got_counts: dict = {"loss": {"number": 3}}
        count_types(rows, expected_counts)
        expected = _by_key(build_segments(rows, 40))
        got = _by_key(digest_rows(rows, 40, got_counts))
        assert got_counts == expected_counts
        assert got.keys() == expected.keys()
        for key, segment in expected.items():
            assert got[key] == segment, (seed, key)


def test_uniform_rows_take_one_segment_per_key():
    rows = [{"a": i, "b": i * 0.5, "_step": i * 2} for i in range(1000)]
    counts: dict = {}
    segments = _by_key(digest_rows(rows, 0, counts))
    assert counts == {"a": {"number": 1000}, "b": {"number": 1000}, "_step": {"number": 1000}}
    assert segments["a"].min_step == 0 and segments["a"].max_step == 1998
    assert segments == _by_key(build_segments(rows, 0))


def test_rollup_keeps_each_blocks_first_last_min_and_max():
    import numpy as np

    from wbserver.domain.history_codec import ROLLUP_BLOCK, rollup_segment, unpack_rollups

    rng = random.Random(9)
    rows = [{"v": rng.random(), "_step": i} for i in range(1000)]
    rows[10]["v"] = float("nan")
    (segment,) = [s for s in build_segments(rows, 0) if s.key == "v"]
    rollup = rollup_segment(segment)
    assert rollup.raw_count == 1000 and rollup.finite_count == 999 and rollup.monotonic
    lines, steps, values = unpack_rollups([rollup])
    assert rollup.point_count == len(lines) <= 4 * -(-999 // ROLLUP_BLOCK)
    assert list(lines) == sorted(lines) and 10 not in lines
    finite = [r["v"] for r in rows if r["v"] == r["v"]]
    assert values.max() == max(finite) and values.min() == min(finite)
    assert steps[0] == 0 and steps[-1] == 999
    assert np.all(steps == lines)


def test_ints_and_floats_mixed_per_row_keep_their_flags():
    rows = [{"a": i if i % 3 else float(i), "b": 2**53 + i if i % 5 == 0 else 0.5, "_step": i}
            for i in range(200)]
    rows[7]["extra"] = "text"
    counts: dict = {}
    expected_counts: dict = {}
    count_types(rows, expected_counts)
    assert _by_key(digest_rows(rows, 3, counts)) == _by_key(build_segments(rows, 3))
    assert counts == expected_counts


def test_python_values_match_to_python():
    import numpy as np

    from wbserver.domain.history_codec import python_values, to_python

    values = np.array([1.0, 2.5, float("nan"), float("inf"), -3.0, 4.0])
    for flags in ([1, 0, 1, 1, 1, 0], [1] * 6, [0] * 6, [1, 1, 0, 0, 1, 1]):
        ints = np.array(flags, dtype=np.int8)
        got = python_values(values, ints)
        expected = [to_python(v, i) for v, i in zip(values, ints, strict=True)]
        assert [type(x) for x in got] == [type(x) for x in expected]
        assert str(got) == str(expected)
    finite = np.array([1.0, 2.0])
    assert python_values(finite, np.array([1, 1], dtype=np.int8)) == [1, 2]


def test_key_order_varying_from_row_to_row():
    rng = random.Random(4)
    rows = []
    for i in range(300):
        items = [("a", i * 0.5), ("b", i), ("_step", i), ("_runtime", i * 0.1)]
        rng.shuffle(items)
        rows.append(dict(items))
    rows.append({"single": 1.5})
    counts: dict = {}
    expected_counts: dict = {}
    count_types(rows, expected_counts)
    assert _by_key(digest_rows(rows, 0, counts)) == _by_key(build_segments(rows, 0))
    assert counts == expected_counts
