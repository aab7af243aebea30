"""The C accelerator's columns give what the pure-Python path gives, and it declines what that
path must decide. In CI the accelerator must have been built (a missing compiler fails)."""

import json
import math
import os
import random
from decimal import Decimal

import numpy as np
import orjson
import pytest

from wbserver.domain import history_columns
from wbserver.domain.history_codec import digest_rows, parse_lines
from wbserver.domain.history_columns import digest_columns, read_numeric_columns

needs_accelerator = pytest.mark.skipif(
    not history_columns.ACCELERATED and not os.environ.get("CI"),
    reason="built without a C compiler (CI requires the accelerator)")


def test_ci_builds_the_accelerator():
    if os.environ.get("CI"):
        assert history_columns.ACCELERATED, "the C accelerator was not built"


def _numbers(rng: random.Random) -> object:
    return rng.choice([
        rng.random(), -rng.random() * 1e-300, rng.uniform(-1e300, 1e300), rng.randrange(-9, 9),
        rng.randrange(-2**52, 2**52), 0, 0.0, -0.0, 5e-324, 1.0, 2**53 - 1, -(2**53 - 1),
        round(rng.random(), 3), float(rng.randrange(100))])


def _lines(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    keys = ["loss", "acc", "lr", "_runtime", "épsilon", "a b", "x/y.z", "k" * 300]
    out = []
    for i in range(count):
        row = {k: _numbers(rng) for k in rng.sample(keys, rng.randrange(0, len(keys)))}
        if rng.random() < 0.7:
            row["_step"] = i if rng.random() < 0.9 else i + 0.75
        text = json.dumps(row, ensure_ascii=False,  # an escaped key takes the Python path
                          separators=rng.choice([(",", ":"), (", ", ": ")]))
        if rng.random() < 0.1:
            text = " \t" + text.replace(":", " :\n", 1) + "\r\n "
        if rng.random() < 0.1:  # how Go writes floats: exponents, no ".0"
            text = text.replace("e+", "E+").replace(".0,", ",")
        out.append(text)
    return out


def _segments(segments):
    return {s.key: s for s in segments}


@needs_accelerator
def test_columns_match_the_per_value_path():
    for seed in range(40):
        lines = _lines(seed, 200)
        columns = read_numeric_columns(lines)
        assert columns is not None, seed
        got_counts: dict = {"loss": {"number": 5}}
        want_counts: dict = {"loss": {"number": 5}}
        got = digest_columns(columns.tail(3), 103, got_counts)
        want = digest_rows(parse_lines(lines[3:], where="line", first=103), 103, want_counts)
        assert got is not None
        assert got_counts == want_counts, seed
        assert _segments(got) == _segments(want), seed


@needs_accelerator
def test_a_repeated_key_keeps_its_last_value_as_json_does():
    lines = ['{"a": 1, "a": 2.5, "_step": 4}']
    columns = read_numeric_columns(lines)
    counts: dict = {}
    got = _segments(digest_columns(columns, 0, counts))
    assert got == _segments(digest_rows([orjson.loads(lines[0])], 0, {}))
    assert counts == {"a": {"number": 1}, "_step": {"number": 1}}


@pytest.mark.parametrize("line", [
    '{"a": "text"}', '{"a": {"b": 1}}', '{"a": [1]}', '{"a": true}', '{"a": null}',
    '{"a": NaN}', '{"a": Infinity}', '{"a": 1e999}', '{"a": 01}', '{"a": 1.}', '{"a": .5}',
    '{"a": +1}', '{"a": 1e}', '{"a": -}', '{"a": 9007199254740992}', '{"a\\n": 1}',
    '{"a": 1,}', '{"a" 1}', '{a: 1}', '[1]', '1', '', '{"a": 1} {}', '{"a": 1', '{"a":\x01 1}',
    '{"\ud800": 1}', '{"a": 12345678901234567}',
])
@needs_accelerator
def test_declines_what_the_python_path_must_decide(line):
    assert read_numeric_columns(['{"ok": 1}', line]) is None


@needs_accelerator
def test_a_step_no_int64_holds_is_refused_by_the_python_path():
    from wbserver.errors import InvalidInput

    lines = ['{"_step": 1, "a": 1}', '{"_step": 1e30, "a": 1}']
    columns = read_numeric_columns(lines)
    assert columns is not None
    assert digest_columns(columns, 0, counts := {}) is None and counts == {}
    with pytest.raises(InvalidInput, match="line 8: _step 1e[+]?30 is not an integer"):
        digest_rows(parse_lines(lines, where="line", first=7), 7, {})


@needs_accelerator
def test_empty_objects_and_an_empty_batch():
    columns = read_numeric_columns(["{}", " { } "])
    assert columns is not None and len(columns) == 2 and columns.keys == []
    assert digest_columns(columns, 0, {}) == []
    assert read_numeric_columns([]) is None


def _decimal_strings(rng: random.Random) -> list[str]:
    out = []
    for _ in range(20_000):
        out.append(repr(rng.uniform(-1e6, 1e6)))  # 15 to 17 significant digits
        out.append(repr(float(np.float32(rng.random()))))  # float32 metrics
        out.append(repr(rng.random() * 10.0 ** rng.randrange(-40, 40)))
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 22)))
        out.append(f"{rng.choice(['', '-'])}0.{digits}e{rng.randrange(-30, 30)}")
        out.append(f"{rng.randrange(1, 10)}.{digits}")
    # halfway cases between neighbouring doubles, where one rounding too many shows
    for _ in range(5_000):
        low = rng.uniform(1, 2) * 10.0 ** rng.randrange(-8, 8)
        half = (Decimal(low) + Decimal(math.nextafter(low, math.inf))) / 2
        out += [format(half, ".25g"), format(half, ".19g"), format(half, ".18g"),
                format(half, ".17g")]
    return out


@needs_accelerator
def test_numbers_are_the_correctly_rounded_doubles_python_reads():
    strings = _decimal_strings(random.Random(5))
    columns = read_numeric_columns([f'{{"v": {s}}}' for s in strings])
    assert columns is not None
    got = columns.values[:, 0].tolist()
    want = [float(s) for s in strings]
    wrong = [(s, g, w) for s, g, w in zip(strings, got, want, strict=True)
             if g != w or str(g) != str(w)]
    assert not wrong, wrong[:5]


@needs_accelerator
def test_sparse_rows_take_the_python_path():
    lines = [json.dumps({f"key{i}": i, "_step": i}) for i in range(1000)]
    assert read_numeric_columns(lines) is None
    assert read_numeric_columns(lines[:10]) is not None  # small: the matrix stays small
