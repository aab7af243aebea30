"""Differential fuzzing of the C accelerator (`wbserver.domain._accel`, issue #19 item 10).

It reads untrusted network input (file_stream history lines), so random and mutated JSON
lines go to it and to the pure-Python path, which must agree: where the accelerator takes
the lines, Python parses them too, to the same keys, kinds and bit-identical values, and the
segments and key counts made from both are the same; where it declines, Python decides
alone. Its second function, `rows_json`, is checked against a Python model of its contract
on well-formed and mutated column texts.

Budget: FUZZ_EXAMPLES hypothesis examples per test (default 600; scripts/sanitize-accel runs
these under AddressSanitizer/UBSan). `scripts/fuzz-accel` is the coverage-guided (atheris) run.
"""

from __future__ import annotations

import json
import math
import os
import string

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from wbserver.domain import history_columns
from wbserver.domain.history_codec import digest_rows, parse_lines
from wbserver.errors import InvalidInput

try:
    from wbserver.domain import _accel
except ImportError:  # a build without a C compiler: nothing to fuzz, and CI has one
    _accel = None

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "600"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
                suppress_health_check=list(HealthCheck))

pytestmark = pytest.mark.skipif(
    _accel is None and not os.environ.get("CI"), reason="built without the C accelerator")


def test_the_accelerator_is_built_in_ci():
    assert _accel is not None, "CI builds the C accelerator: the fuzz tests must run"


# --- numbers and lines --------------------------------------------------------------------

DIGITS = st.text("0123456789", min_size=1, max_size=24)


@st.composite
def number_text(draw) -> str:
    """Number tokens around every branch of the C reader: ints near 2**53, long mantissas,
    exponents near the limits, leading zeros, and some that are not JSON at all."""
    sign = draw(st.sampled_from(["", "", "-", "+"]))
    whole = draw(st.one_of(DIGITS, st.just("0"), st.sampled_from(
        ["9007199254740991", "9007199254740992", "9007199254740993", "18446744073709551616",
         "00", "01"])))
    frac = draw(st.one_of(st.just(""), DIGITS.map(lambda d: "." + d), st.just(".")))
    exp = draw(st.one_of(st.just(""), st.tuples(
        st.sampled_from("eE"), st.sampled_from(["", "+", "-"]),
        st.one_of(DIGITS, st.sampled_from(["308", "309", "324", "325", "22", "23", "27", "28"]))
    ).map("".join), st.just("e")))
    return sign + whole + frac + exp


KEYS = st.one_of(
    st.sampled_from(["_step", "loss", "acc", "_runtime", "_timestamp", "lr", "a", ""]),
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=8),
    st.text(string.ascii_letters + '\\"/\u00e9\u4e2d', max_size=6))
VALUES = st.one_of(
    number_text(),
    st.integers(-(2**64), 2**64).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(json.dumps),
    st.sampled_from(["true", "false", "null", '"x"', "{}", "[]", "NaN", "-Infinity",
                     '{"a": 1}', "[1, 2]", "1.0", "-0", "-0.0", "0e0", "1E+2"]))
SPACE = st.sampled_from(["", "", " ", "\t", "\n", "\r\n", "  "])


@st.composite
def json_line(draw) -> str:
    """One history line: usually a flat object of numbers, with odd keys, spacing and
    values mixed in."""
    pairs = draw(st.lists(st.tuples(KEYS, VALUES), max_size=8))
    parts = []
    for key, value in pairs:
        parts.append(draw(SPACE) + json.dumps(key, ensure_ascii=draw(st.booleans()))
                     + draw(SPACE) + ":" + draw(SPACE) + value + draw(SPACE))
    return draw(SPACE) + "{" + ",".join(parts) + "}" + draw(SPACE)


@st.composite
def mutated(draw, base) -> str:
    """`base` with a few bytes changed: cut, duplicated, inserted or replaced."""
    text = draw(base)
    for _ in range(draw(st.integers(0, 3))):
        if not text:
            break
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["cut", "insert", "replace", "double"]))
        piece = draw(st.text(st.sampled_from('{}[],:"\\ -+.eE0123456789nNaIu\x00\x1f\u00e9'),
                             min_size=1, max_size=3))
        if op == "cut":
            text = text[:at] + text[at + len(piece):]
        elif op == "insert":
            text = text[:at] + piece + text[at:]
        elif op == "replace":
            text = text[:at] + piece + text[at + len(piece):]
        else:
            text = text[:at] + text[at:][:8] + text[at:]
    return text


def flat_numeric_lines() -> st.SearchStrategy[list[str]]:
    """Lines a training loop logs: the same few keys, plain numbers, sometimes one missing."""
    keys = st.lists(st.sampled_from(["_step", "loss", "acc", "lr", "x"]), min_size=1,
                    max_size=5, unique=True)
    cell = st.one_of(st.integers(-(2**60), 2**60), st.floats(allow_nan=False,
                                                              allow_infinity=False))
    return keys.flatmap(lambda ks: st.lists(
        st.fixed_dictionaries({}, optional={k: cell for k in ks}).map(json.dumps),
        min_size=1, max_size=40))


LINES = st.one_of(
    flat_numeric_lines(),
    st.lists(json_line(), min_size=1, max_size=12),
    st.lists(mutated(json_line()), min_size=1, max_size=6),
    st.lists(st.one_of(json_line(), mutated(json_line()),
                       st.text(max_size=40)), min_size=1, max_size=6))


# --- the differential ---------------------------------------------------------------------

def python_rows(lines: list[str]) -> list[dict] | None:
    try:
        return parse_lines(lines, where="line", first=0)
    except InvalidInput:
        return None


def check_agreement(lines: list[str]) -> None:
    found = _accel.numeric_rows(lines)
    rows = python_rows(lines)
    if found is None:
        return  # declined: the Python path decides (and explains) alone
    assert rows is not None, f"the accelerator took lines Python refuses: {lines!r}"
    keys, values, kinds = found
    width = len(keys)
    assert len(values) == 8 * width * len(lines) and len(kinds) == width * len(lines)
    matrix = np.frombuffer(values, dtype=np.float64).reshape(len(lines), width)
    kind = np.frombuffer(kinds, dtype=np.uint8).reshape(len(lines), width)
    seen = list(dict.fromkeys(k for row in rows for k in row))
    assert keys == seen, (lines, keys, seen)
    for i, row in enumerate(rows):
        for j, key in enumerate(keys):
            if key not in row:
                assert kind[i, j] == 0, (lines[i], key)
                continue
            value = row[key]
            assert type(value) in (int, float), (lines[i], key, value)
            assert kind[i, j] == (2 if type(value) is int else 1), (lines[i], key, value)
            assert math.isfinite(value) and (type(value) is float or abs(value) < 2**53)
            want = np.float64(float(value)).tobytes()
            assert matrix[i, j].tobytes() == want, (lines[i], key, value, matrix[i, j])
    columns = history_columns.NumericColumns(keys, matrix, kind)
    for skip in sorted({0, len(lines) // 2, len(lines) - 1}):  # a retry stores only a tail
        same_segments(columns.tail(skip), rows[skip:], lines)


def same_segments(columns: history_columns.NumericColumns, rows: list[dict],
                  lines: list[str]) -> None:
    counts_c: dict = {}
    segments_c = history_columns.digest_columns(columns, 7, counts_c)
    if segments_c is None:
        return  # a _step no int64 holds: the Python path refuses it, as the caller does
    counts_py: dict = {}
    segments_py = digest_rows(rows, 7, counts_py)
    assert counts_c == counts_py, lines
    assert sorted((s.key, s.start_line, s.end_line, s.point_count, s.min_step, s.max_step,
                   s.data) for s in segments_c) == sorted(
        (s.key, s.start_line, s.end_line, s.point_count, s.min_step, s.max_step, s.data)
        for s in segments_py), lines


@FUZZ
@given(LINES)
def test_numeric_rows_agrees_with_the_python_path(lines):
    check_agreement(lines)


@FUZZ
@given(st.lists(st.binary(max_size=60).map(lambda b: b.decode("utf-8", "surrogateescape")),
                min_size=1, max_size=5))
def test_numeric_rows_on_arbitrary_text(lines):
    check_agreement(lines)  # lone surrogates and control bytes included


def test_numeric_rows_refuses_what_is_not_a_list_of_text():
    with pytest.raises(TypeError):
        _accel.numeric_rows(("{}",))
    assert _accel.numeric_rows(["{}", b"{}"]) is None  # type: ignore[list-item]
    assert _accel.numeric_rows([]) is not None


# --- rows_json ----------------------------------------------------------------------------

def rows_json_model(names: list[bytes], columns: list[bytes], count: int,
                    lines: bool) -> bytes | None:
    """What `rows_json` promises, written plainly."""
    if not names or len(names) != len(columns) or count <= 0:
        return None
    tokens = []
    for text in columns:
        if len(text) < 2 or text[:1] != b"[" or text[-1:] != b"]":
            return None
        split = text[1:-1].split(b",")
        if len(split) != count or any(t == b"" for t in split):
            return None
        tokens.append(split)
    rows = [b"{" + b",".join(n + b":" + tokens[i][r] for i, n in enumerate(names)) + b"}"
            for r in range(count)]
    return b"\n".join(rows) if lines else b"[" + b",".join(rows) + b"]"


COLUMN = st.one_of(
    st.lists(st.one_of(st.integers(-(2**63), 2**63 - 1).map(str),
                       st.floats().map(lambda f: json.dumps(f) if math.isfinite(f) else "null")),
             min_size=1, max_size=20).map(lambda ts: ("[" + ",".join(ts) + "]").encode()),
    st.binary(max_size=30),
    st.binary(max_size=30).map(lambda b: b"[" + b + b"]"))


@FUZZ
@given(st.lists(st.tuples(st.text(max_size=6).map(lambda n: json.dumps(n).encode()), COLUMN),
                min_size=0, max_size=5),
       st.one_of(st.integers(-2, 25), st.integers(2**59, 2**63 - 1),
                 st.sampled_from([2**61, 2**62, 2**63 - 1, 2**64 // 24, 2**60 + 1])),
       st.booleans())
def test_rows_json_matches_its_contract(pairs, count, lines):
    names = [n for n, _c in pairs]
    columns = [c for _n, c in pairs]
    assert _accel.rows_json(names, columns, count, lines) == rows_json_model(
        names, columns, count, lines)


def test_rows_json_refuses_counts_its_columns_cannot_hold():
    """Found while fuzzing: the output size was `count` times the row width, unchecked, so a
    count near 2**61 wrapped it to a few bytes and the rows were written past the buffer
    (heap corruption; the count comes from Python, len(values), never the network)."""
    column = b"[" + b",".join([b"1"] * 10000) + b"]"
    for count in (2**61, 2**62, 2**63 - 1, 2**64 // 24, 10001):
        assert _accel.rows_json([b'"a"'], [column], count) is None
        assert _accel.rows_json([b'"a"', b'"bb"'], [column, column], count, True) is None
    assert _accel.rows_json([b'"a"'], [b"[1,2]"], 2) == b'[{"a":1},{"a":2}]'


def test_rows_json_refuses_what_is_not_bytes():
    with pytest.raises(TypeError):
        _accel.rows_json(["a"], [b"[1]"], 1)
    with pytest.raises(TypeError):
        _accel.rows_json([b'"a"'], ["[1]"], 1)
