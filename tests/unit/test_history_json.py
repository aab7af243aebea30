"""rows_json writes, column at a time, exactly the bytes orjson gives for the dict rows that
sampled_history built before it (python_values numbers): through the C accelerator and through
the pure-Python path alike."""

import json
import math
import os
import random
import warnings

import numpy as np
import orjson
import pytest

from wbserver.api.raw_json import RawJson
from wbserver.api.rest.responses import json_response
from wbserver.domain import history_json
from wbserver.domain.history_codec import python_values, to_python
from wbserver.domain.history_json import rows_json
from wbserver.domain.json_text import strict

SPECIAL = [float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1e-320, 5e-324, 1.7976931348623157e308,
           2.0**53, 2.0**63, -(2.0**63), 9.3e18, 1e22, 0.1, 1 / 3, -1.5e-7, 123456789.125]


@pytest.fixture(autouse=True, params=["accelerator", "python"])
def path(request, monkeypatch):
    if request.param == "python":
        monkeypatch.setattr(history_json, "_interleave", None)
    elif history_json._interleave is None and not os.environ.get("CI"):
        pytest.skip("built without a C compiler (CI requires the accelerator)")
    return request.param


def test_the_accelerator_declines_columns_that_do_not_hold_count_tokens(path):
    if path == "python":
        return
    interleave = history_json._interleave
    assert interleave([b'"a"'], [b"[1,2]"], 2) == b'[{"a":1},{"a":2}]'
    assert interleave([b'"a"', b'"b"'], [b"[1,2]", b"[3.5,null]"], 2) == \
        b'[{"a":1,"b":3.5},{"a":2,"b":null}]'
    for column, count in ((b"[1,2]", 3), (b"[1,2,3]", 2), (b"[1,,2]", 3), (b"[]", 1),
                          (b"1,2", 2), (b"[1,2", 2)):
        assert interleave([b'"a"'], [column], count) is None, (column, count)


def _reference(names, columns):
    # NaN and Infinity as the strings strict JSON readers (wandb-core) can take
    python = [strict(python_values(v, n)) for v, n in columns]
    return orjson.dumps([dict(zip(names, row, strict=True)) for row in zip(*python, strict=True)])


def _random_column(rng, count, kind):
    values = np.empty(count, dtype=np.float64)
    ints = np.zeros(count, dtype=np.int8)
    for i in range(count):
        pick = rng.random()
        if kind == "ints" or (kind == "mixed" and pick < 0.3):
            values[i] = float(rng.randint(-(2**62), 2**62) if rng.random() < 0.2
                              else rng.randint(-1000, 1000))
            ints[i] = 1
        elif kind == "mixed" and pick < 0.45:
            values[i] = rng.choice(SPECIAL)
            ints[i] = rng.random() < 0.5  # an int flag on NaN/Infinity stays a float ("NaN")
        else:
            values[i] = rng.choice([rng.random(), rng.gauss(0, 1e6), rng.uniform(-1e-9, 1e-9),
                                    rng.choice(SPECIAL)])
    return values, ints


def test_rows_json_equals_the_dict_rows_over_random_columns():
    rng = random.Random(7)
    for trial in range(60):
        count = rng.choice([1, 2, 3, 17, 500])
        names = rng.sample(["_step", "loss", "acc", "é/ü \"q\"", "_runtime", "x\\y"],
                           rng.randint(1, 4))
        columns = [_random_column(rng, count, rng.choice(["ints", "floats", "mixed"]))
                   for _ in names]
        assert rows_json(names, columns) == _reference(names, columns), trial


def test_rows_lines_are_the_same_rows_one_a_line():
    rng = random.Random(11)
    for trial in range(40):
        count = rng.choice([1, 2, 17, 300])
        names = rng.sample(["_step", "loss", "é/ü \"q\"", "},{", "x\\y", "a\nb"],
                           rng.randint(1, 4))
        columns = [_random_column(rng, count, rng.choice(["ints", "floats", "mixed"]))
                   for _ in names]
        lines = history_json.rows_lines(names, columns)
        assert len(lines) == count, trial
        assert [orjson.loads(line) for line in lines] == orjson.loads(_reference(names, columns))
        assert "[" + ",".join(lines) + "]" == _reference(names, columns).decode(), trial
    assert history_json.rows_lines([], []) == []


def test_rows_json_of_nothing():
    empty = (np.empty(0), np.empty(0, dtype=np.int8))
    assert rows_json(["a"], [empty]) == b"[]"
    assert rows_json([], []) == b"[]"


def test_rows_json_of_a_slice_that_is_not_contiguous():
    values = np.arange(20, dtype=np.float64) * 0.5
    ints = np.zeros(20, dtype=np.int8)
    column = (values[::2], ints[::2])
    assert rows_json(["v"], [column]) == _reference(["v"], [column])


def test_raw_json_is_written_as_is_and_survives_the_big_integer_fallback():
    raw = RawJson(b'[{"a":1,"b":null},{"a":2,"b":0.5}]')
    body = json_response({"data": {"rows": [raw]}}).body
    assert body == b'{"data":{"rows":[[{"a":1,"b":null},{"a":2,"b":0.5}]]}}'
    # an integer past 64 bits elsewhere: the standard encoder, RawJson decoded again
    big = json_response({"data": {"rows": [raw], "big": 2**70}}).body
    assert json.loads(big) == {"data": {"rows": [[{"a": 1, "b": None}, {"a": 2, "b": 0.5}]],
                                        "big": 2**70}}


def test_integers_past_int64_come_back_as_floats_not_wrapped():
    values = np.array([9.3e18, 2.0**63, -(2.0**63), 1e22, 5.0, -(2.0**62), np.nan, np.inf])
    ints = np.ones(len(values), dtype=np.int8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's cast of an out-of-range value warns
        out = python_values(values, ints)
    assert out[:6] == [9.3e18, 2.0**63, -(2.0**63), 1e22, 5, -(2**62)]
    assert [type(v) for v in out[:6]] == [float, float, float, float, int, int]
    assert math.isnan(out[6]) and out[7] == math.inf
    assert out == [to_python(v, 1) if not math.isnan(v) else out[6] for v in values.tolist()]
    assert orjson.loads(rows_json(["x"], [(values, ints)]))[0] == {"x": 9.3e18}
